import { type IncomingMessage, type ServerResponse } from 'node:http';

import { type Logger } from 'pino';

/**
 * One line per answered request: method, path (never the query string, which holds filters such
 * as `email`), status and time. The request id and the key's id come from the request context
 * (see `createLogger`'s mixin), as on every other line the request writes.
 */
export class RequestLog {
  private readonly lines: Logger;

  constructor(logger: Logger) {
    // The line is built here from the method, the path, the status and the ids, none of which
    // redaction would touch: its wildcard paths (`*.email`, …) are a search through every object
    // of a line, a few percent of a read's CPU, kept for the lines logged by hand.
    this.lines = logger.child({}, { redact: [] });
  }

  /** Writes the line of an answered request (`started`: `performance.now()` when it arrived). */
  record(req: IncomingMessage & { id?: string }, res: ServerResponse, started: number): void {
    // A refusal over a rate limit is counted (csg_rate_limited_total), not logged at info: a flood
    // over its limit is thousands a second, which buried every other line.
    const level = res.statusCode === 429 ? 'debug' : 'info';
    if (!this.lines.isLevelEnabled(level)) return;
    const url = req.url;
    this.lines[level](
      {
        requestId: req.id,
        req: { id: req.id, method: req.method, path: url?.split('?', 1)[0] },
        res: { statusCode: res.statusCode },
        responseTime: Math.round(performance.now() - started),
      },
      'request completed',
    );
  }
}
