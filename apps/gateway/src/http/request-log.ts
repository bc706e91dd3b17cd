import { type IncomingMessage, type ServerResponse } from 'node:http';

import { type Logger } from 'pino';

/**
 * One line per answered request, written when the answer has been sent: method, path (never the
 * query string, which holds filters such as `email`), status and time. The request id and the
 * key's id come from the request context (see `createLogger`'s mixin), as on every other line the
 * request writes.
 */
export class RequestLog {
  constructor(private readonly logger: Logger) {}

  /** Express middleware, mounted before anything can refuse the request. */
  readonly middleware = (
    req: IncomingMessage & { id?: string },
    res: ServerResponse,
    next: () => void,
  ): void => {
    const started = performance.now();
    res.once('finish', () => {
      if (!this.logger.isLevelEnabled('info')) return;
      const path = req.url?.split('?', 1)[0];
      this.logger.info(
        {
          requestId: req.id,
          req: { id: req.id, method: req.method, path },
          res: { statusCode: res.statusCode },
          responseTime: Math.round(performance.now() - started),
        },
        'request completed',
      );
    });
    next();
  };
}
