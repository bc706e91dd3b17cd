import { randomUUID } from 'node:crypto';
import { type IncomingMessage, type ServerResponse } from 'node:http';

import { logFields } from '@app/telemetry';
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
 * JSON lines written in batches of 4 KB, and within a second of being logged, instead of one write
 * per line: with a line per request, the write calls cost more than the lines. Pino flushes what
 * is buffered when the process exits, crashes included; only a SIGKILL can lose the last second
 * of lines. https://github.com/pinojs/pino/blob/main/docs/asynchronous.md
 */
function jsonLogDestination(fd: 1 | 2) {
  const destination = pino.destination({ dest: fd, minLength: 4096, sync: false });
  return { destination, streamWrite: flushWhileLogging(destination) };
}

/**
 * Pino's `streamWrite` hook that flushes `destination` every `everyMs` while lines come, and stops
 * `QUIET_FLUSHES` flushes after the last one. The later flushes write what a flush left behind
 * because a write was still under way. Sonic-boom's own `periodicFlush` writes every second even
 * when nothing is buffered, which wakes an idle gateway, and a thread of Node's pool, for nothing.
 */
export function flushWhileLogging(
  destination: { flush(): void; once(event: 'close', listener: () => void): unknown },
  everyMs = 1_000,
): (line: string) => string {
  let timer: NodeJS.Timeout | undefined;
  let flushesSinceLine = 0;
  let closed = false;
  const stop = () => {
    clearInterval(timer);
    timer = undefined;
  };
  destination.once('close', () => {
    // A closed sonic-boom throws on flush: a line logged after it must not arm the timer again.
    closed = true;
    stop();
  });
  return (line) => {
    flushesSinceLine = 0;
    if (closed) return line;
    timer ??= setInterval(() => {
      destination.flush();
      if (++flushesSinceLine >= QUIET_FLUSHES) stop();
    }, everyMs).unref();
    return line;
  };
}

const QUIET_FLUSHES = 3;

/**
 * What every log line names besides its message: inside a request, the request and the API key's
 * id; inside a delivery (background ones included, e.g. "provider call failed"), the customer's
 * id; with tracing on, the trace and span (logFields). Read at each line from the contexts the edge
 * and the sync engine open, so lines logged deep in the domain are attributed without a child
 * logger per request.
 */
export function logLineContext(
  /** The request being served, if any: the HTTP edge's own record of its caller. */
  currentRequest: () => { requestId?: string; keyId?: string } | undefined = () => undefined,
): Record<string, string | undefined> {
  const request = currentRequest();
  if (request === undefined) return logFields();
  return { requestId: request.requestId, keyId: request.keyId, ...logFields() };
}

/**
 * Structured logs. Request lines (RequestLog) carry method, path, status and timing only: query
 * strings (which hold filters such as `email`), headers (keys) and bodies (personal data) never
 * reach a log line. `redact` is the second line of defence for anything logged by hand. Every line
 * written while a request runs names the request (`requestId`) and the API key's id (`keyId`,
 * never the key), so what a key did can be traced.
 */
/**
 * Node prints its own process warnings (a deprecation, a negative timeout) as plain text on
 * stderr, which breaks a JSON log stream. In JSON mode they are log lines like any other: Node's
 * default printer is the process's 'warning' listener, so it is replaced, once per process
 * (https://nodejs.org/api/process.html#event-warning).
 */
let warningsRouted = false;
function warningsAsLogLines(logger: Logger): void {
  if (warningsRouted) return;
  warningsRouted = true;
  process.removeAllListeners('warning');
  process.on('warning', (warning) =>
    logger.warn({ warning: warning.name, code: (warning as { code?: string }).code }, warning.message),
  );
}

export function createLogger(
  config: Pick<GatewayConfig, 'LOG_LEVEL' | 'LOG_FORMAT' | 'NODE_ENV'>,
  jsonTo: 1 | 2 = 1,
  /** The request being served, if any: the HTTP edge's own record of its caller (see its mixin). */
  currentRequest: () => { requestId?: string; keyId?: string } | undefined = () => undefined,
): Logger {
  const options: LoggerOptions = {
    level: config.LOG_LEVEL,
    mixin: () => logLineContext(currentRequest),
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
  if (!usesPrettyLogs(config)) {
    const { destination, streamWrite } = jsonLogDestination(jsonTo);
    const logger = pino({ ...options, hooks: { streamWrite } }, destination);
    warningsAsLogLines(logger);
    return logger;
  }
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
