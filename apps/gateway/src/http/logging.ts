import { randomUUID } from 'node:crypto';
import { type IncomingMessage, type ServerResponse } from 'node:http';

import { type Params } from 'nestjs-pino';

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** Keeps a caller's X-Request-Id when it is a sane token, so one id follows a call across services. */
export function requestIdFor(req: IncomingMessage & { id?: unknown }, res: ServerResponse): string {
  if (typeof req.id === 'string') return req.id;
  const offered = req.headers['x-request-id'];
  const id = typeof offered === 'string' && REQUEST_ID.test(offered) ? offered : randomUUID();
  res.setHeader('X-Request-Id', id);
  return id;
}

/**
 * Structured JSON logs. Request lines carry method, path, status and timing only: query strings
 * (which hold filters such as `email`), headers (keys) and bodies (personal data) never reach a
 * log line. `redact` is the second line of defence for anything logged by hand.
 */
export function loggerParams(level: string): Params {
  return {
    pinoHttp: {
      level,
      genReqId: requestIdFor,
      // Every line logged while a request runs carries its id as `requestId`.
      quietReqLogger: true,
      customAttributeKeys: { reqId: 'requestId' },
      serializers: {
        req: (req: { id: string; method: string; url: string }) => ({
          id: req.id,
          method: req.method,
          path: req.url.split('?')[0],
        }),
        res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
      },
      redact: {
        paths: [
          'req.headers',
          'res.headers',
          '*.authorization',
          '*.apiKey',
          '*.secretKey',
          '*.secret',
          '*.password',
          '*.email',
          '*.phone',
          '*.body',
        ],
        censor: '[redacted]',
      },
    },
  };
}
