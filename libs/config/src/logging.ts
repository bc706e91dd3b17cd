import { randomUUID } from 'node:crypto';
import { type IncomingMessage, type ServerResponse } from 'node:http';

import { currentRequestContext } from '@app/customer-domain';
import { type Params } from 'nestjs-pino';
import { pino } from 'pino';
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
 * Structured logs. Request lines carry method, path, status and timing only: query strings
 * (which hold filters such as `email`), headers (keys) and bodies (personal data) never reach a
 * log line. `redact` is the second line of defence for anything logged by hand. Every line written
 * while a request runs names the API key's id (`keyId`, never the key), so what a key did can be
 * traced.
 */
export function loggerParams(
  config: Pick<GatewayConfig, 'LOG_LEVEL' | 'LOG_FORMAT' | 'NODE_ENV'>,
  jsonTo: 1 | 2 = 1,
): Params {
  const options = {
    level: config.LOG_LEVEL,
    // Read at each line from the request context ApiKeyMiddleware opens, so lines logged deep in
    // the domain are attributed too; lines outside a request (the background worker) carry none.
    mixin: () => {
      const actor = currentRequestContext()?.actor;
      return actor === undefined ? {} : { keyId: actor };
    },
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
  };
  if (!usesPrettyLogs(config)) return { pinoHttp: [options, jsonLogDestination(jsonTo)] };
  // Synchronous, in this thread: the last lines before an exit are not lost in a worker's buffer.
  const pretty = PinoPretty({
    sync: true,
    colorize: process.stdout.isTTY === true,
    singleLine: true,
    translateTime: 'SYS:HH:MM:ss.l',
    ignore: 'pid,hostname',
  });
  return { pinoHttp: [options, pretty] };
}
