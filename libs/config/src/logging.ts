import { randomUUID } from 'node:crypto';
import { type IncomingMessage, type ServerResponse } from 'node:http';

import { currentRequestContext } from '@app/customer-domain';
import { type Params } from 'nestjs-pino';
import { type Logger, type LoggerOptions, pino } from 'pino';
import PinoPretty from 'pino-pretty';

import { type GatewayConfig } from './gateway.config';

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** Keeps a caller's X-Request-Id when it is a sane token, so one id follows a call across services. */
export function requestIdFor(req: IncomingMessage & { id?: unknown }, res: ServerResponse): string {
  if (typeof req.id === 'string') return req.id;
  const offered = req.headers['x-request-id'];
  const id = typeof offered === 'string' && REQUEST_ID.test(offered) ? offered : randomUUID();
  res.setHeader('X-Request-Id', id);
  return id;
}

/** JSON for machines (production, pipes, files); readable lines for a person at a terminal. */
export function usesPrettyLogs(
  config: Pick<GatewayConfig, 'LOG_FORMAT' | 'NODE_ENV'>,
  stdoutIsTerminal = process.stdout.isTTY === true,
): boolean {
  if (config.LOG_FORMAT !== 'auto') return config.LOG_FORMAT === 'pretty';
  return stdoutIsTerminal && config.NODE_ENV !== 'production';
}

/**
 * JSON lines written in batches of 4 KB, and at least once a second, instead of one write per
 * line: with a line per request, the write calls cost more than the lines, and a shorter flush
 * interval would wake an idle gateway for nothing. Pino flushes what is buffered when the process
 * exits, crashes included; only a SIGKILL can lose the last second of lines.
 * https://github.com/pinojs/pino/blob/main/docs/asynchronous.md
 */
function jsonLogDestination(fd: 1 | 2) {
  return pino.destination({ dest: fd, minLength: 4096, periodicFlush: 1_000, sync: false });
}

/**
 * Structured logs. Request lines (RequestLog) carry method, path, status and timing only: query
 * strings (which hold filters such as `email`), headers (keys) and bodies (personal data) never
 * reach a log line. `redact` is the second line of defence for anything logged by hand. Every line
 * written while a request runs names the request (`requestId`) and the API key's id (`keyId`,
 * never the key), so what a key did can be traced.
 */
export function createLogger(
  config: Pick<GatewayConfig, 'LOG_LEVEL' | 'LOG_FORMAT' | 'NODE_ENV'>,
  jsonTo: 1 | 2 = 1,
): Logger {
  const options: LoggerOptions = {
    level: config.LOG_LEVEL,
    // Read at each line from the request context ApiKeyMiddleware opens, so lines logged deep in
    // the domain are attributed without a child logger per request; lines outside a request (the
    // background worker) carry neither.
    mixin: () => {
      const context = currentRequestContext();
      if (context === undefined) return {};
      return { requestId: context.requestId, keyId: context.actor };
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
  };
  if (!usesPrettyLogs(config)) return pino(options, jsonLogDestination(jsonTo));
  // Synchronous, in this thread: the last lines before an exit are not lost in a worker's buffer.
  const pretty = PinoPretty({
    sync: true,
    colorize: process.stdout.isTTY === true,
    singleLine: true,
    translateTime: 'SYS:HH:MM:ss.l',
    ignore: 'pid,hostname',
  });
  return pino(options, pretty);
}

/**
 * nestjs-pino's Nest logger over `logger`, without its per-request middleware: pino-http built two
 * child loggers and serialized the request into them on every request, about a twentieth of a
 * read's CPU; the request context already carries what those children held (see the mixin), and
 * RequestLog writes the request line.
 */
export function loggerParams(logger: Logger): Params {
  return { pinoHttp: { logger }, forRoutes: [] };
}
