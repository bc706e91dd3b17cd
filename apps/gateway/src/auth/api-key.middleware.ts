import { Injectable, NestMiddleware } from '@nestjs/common';
import { type NextFunction, type Request, type Response } from 'express';

import { ApiKeyRegistry } from './api-keys';
import { runAsCaller } from './caller-context';

/** Reads the presented key from `Authorization: Bearer <key>` or `X-API-Key`. */
export function presentedApiKey(req: Request): string | undefined {
  const authorization = req.headers.authorization;
  if (authorization !== undefined) {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
    return match?.[1];
  }
  const header = req.headers['x-api-key'];
  return typeof header === 'string' && header.length > 0 ? header : undefined;
}

/**
 * Identifies the caller before anything else runs, so that idempotency records can be scoped to
 * the calling key and every log line of the request names the key, even of a request refused
 * while its body is read; and opens the request context (request id and key id) that everything
 * the request does runs in. Rejecting is the guard's job: it knows which scope the route needs.
 */
@Injectable()
export class ApiKeyMiddleware implements NestMiddleware {
  constructor(private readonly keys: ApiKeyRegistry) {}

  use(req: Request, _res: Response, next: NextFunction): void {
    const presented = presentedApiKey(req);
    req.principal = presented === undefined ? undefined : this.keys.authenticate(presented);
    const requestId = typeof req.id === 'string' ? req.id : undefined;
    const caller = {
      actor: req.principal?.keyId ?? 'anonymous',
      ...(requestId === undefined ? {} : { requestId }),
      // IdempotencyMiddleware puts the request's Idempotency-Key record here once it holds one.
      idempotency: {},
    };
    runAsCaller(caller, next);
  }
}
