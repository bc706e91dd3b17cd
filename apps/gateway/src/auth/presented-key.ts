import { type IncomingHttpHeaders } from 'node:http';

/** Reads the presented key from `Authorization: Bearer <key>` or `X-API-Key`. */
export function presentedApiKey(req: { headers: IncomingHttpHeaders }): string | undefined {
  const authorization = req.headers.authorization;
  if (authorization !== undefined) {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
    return match?.[1];
  }
  const header = req.headers['x-api-key'];
  return typeof header === 'string' && header.length > 0 ? header : undefined;
}
