import { Injectable, Logger } from '@nestjs/common';
import { type OutageReporter, OutageReporters } from '@app/domain';

/**
 * Prisma's codes for a server it cannot reach or lost: P1001 can't reach, P1002 timed out,
 * P1008 operation timed out, P1017 server closed the connection.
 * https://www.prisma.io/docs/orm/reference/error-reference#common
 */
const PRISMA_CONNECTION_CODES = new Set(['P1001', 'P1002', 'P1008', 'P1017']);

/** What @prisma/adapter-pg calls a lost or refused connection (its `DriverAdapterError` kinds). */
const ADAPTER_CONNECTION_KINDS = new Set([
  'DatabaseNotReachable',
  'ConnectionClosed',
  'SocketTimeout',
  'TooManyConnections',
]);

/** Node's own codes for a socket that could not connect or was cut. */
const SOCKET_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EPIPE',
  'EHOSTUNREACH',
]);

/**
 * SQLSTATEs of a server going away: class 08 (connection exception), 57P01-57P03 (administrator
 * or crash shutdown, cannot connect now), 53300 (too many connections), 25006 a read-only
 * transaction (a primary demoted during failover).
 * https://www.postgresql.org/docs/current/errcodes-appendix.html
 */
const isConnectionSqlState = (code: string) =>
  /^08[0-9A-Z]{3}$/.test(code) || ['57P01', '57P02', '57P03', '53300', '25006'].includes(code);

/**
 * What node-postgres says, with no code, when a connection dies under a query or times out; and
 * Prisma's P2028 when an interactive transaction waited `maxWait` for a connection of the pool and
 * got none (https://www.prisma.io/docs/orm/reference/error-reference#p2028): under a load the pool
 * cannot serve, a request fails like the pool's own "timeout exceeded when trying to connect",
 * a wait the caller should retry, not a bug. Other P2028s (a transaction that expired or was
 * already closed) stay 500.
 */
const DRIVER_MESSAGES =
  /Connection terminated|connection error and is not queryable|timeout exceeded when trying to connect|Client has encountered a connection error|Can't reach database server|Unable to start a transaction in the given time/i;

/**
 * Whether `error` (from Prisma, the adapter, `pg` or a socket, however wrapped) says the database
 * could not be reached or the connection was lost, rather than that a statement was wrong: the
 * difference between an outage the caller should wait out (503) and a bug of ours (500).
 */
export function isDatabaseUnreachable(error: unknown): boolean {
  const seen = new Set<unknown>();
  const pending: unknown[] = [error];
  while (pending.length > 0) {
    const current = pending.pop();
    if (typeof current !== 'object' || current === null || seen.has(current)) continue;
    seen.add(current);
    const fields = current as {
      code?: unknown;
      kind?: unknown;
      originalCode?: unknown;
      message?: unknown;
      name?: unknown;
      cause?: unknown;
      meta?: { driverAdapterError?: unknown };
      errors?: unknown;
    };
    const code = typeof fields.code === 'string' ? fields.code : undefined;
    if (code !== undefined) {
      if (PRISMA_CONNECTION_CODES.has(code) || SOCKET_CODES.has(code) || isConnectionSqlState(code))
        return true;
    }
    if (typeof fields.originalCode === 'string' && isConnectionSqlState(fields.originalCode)) return true;
    if (typeof fields.kind === 'string' && ADAPTER_CONNECTION_KINDS.has(fields.kind)) return true;
    if (fields.name === 'PrismaClientInitializationError') return true;
    if (typeof fields.message === 'string' && DRIVER_MESSAGES.test(fields.message)) return true;
    pending.push(fields.cause, fields.meta?.driverAdapterError);
    if (Array.isArray(fields.errors)) pending.push(...(fields.errors as unknown[]));
  }
  return false;
}

/**
 * How long a dependency must go without a failure before a success counts as its return: while a
 * server shuts down, queries already running still succeed beside the connections it ends, and a
 * recovery logged between them would be followed by the same outage again.
 */
const SETTLE_MS = 1_000;

/**
 * Says once that a dependency went away and once that it is back, however many probes, requests
 * and reconnects see it in between: an outage is one warning and one recovery line in the log,
 * not a stack per readiness probe.
 */
export class OutageLog {
  private readonly logger: Logger;
  private downSince: number | undefined;
  private lastFailureAt = 0;

  constructor(
    /** What is down, as the log names it: `database`, `redis`, `rate-limit store`. */
    private readonly dependency: string,
    context = 'Database',
  ) {
    this.logger = new Logger(context);
  }

  get down(): boolean {
    return this.downSince !== undefined;
  }

  /** Records a failure; logs only the first of an outage (by the error's name: messages may quote input). */
  failed(error?: unknown): void {
    this.lastFailureAt = Date.now();
    if (this.downSince !== undefined) return;
    this.downSince = this.lastFailureAt;
    const name = error instanceof Error ? error.name : undefined;
    const code = (error as { code?: unknown } | undefined)?.code;
    this.logger.warn(
      { dependency: this.dependency, error: name, ...(typeof code === 'string' ? { code } : {}) },
      `${this.dependency} unreachable`,
    );
  }

  /** Records a success; logs the first one that follows an outage once failures have stopped. */
  succeeded(): void {
    if (this.downSince === undefined) return;
    const now = Date.now();
    if (now - this.lastFailureAt < SETTLE_MS) return;
    const downForMs = now - this.downSince;
    this.downSince = undefined;
    this.logger.log({ dependency: this.dependency, downForMs }, `${this.dependency} reachable again`);
  }
}

/**
 * The background workers' outage logs (the domain's `OutageReporters` port): one `OutageLog` per
 * worker, named after it, which takes only failures that say the database is unreachable.
 */
@Injectable()
export class DatabaseOutageReporters extends OutageReporters {
  for(component: string): OutageReporter {
    const log = new OutageLog('database', component);
    return {
      failed: (error) => {
        if (!isDatabaseUnreachable(error)) return false;
        log.failed(error);
        return true;
      },
      succeeded: () => log.succeeded(),
    };
  }
}

/** The one log of the gateway's database outages, shared by the pool, the probes and the error filter. */
export const databaseOutage = new OutageLog('database');
