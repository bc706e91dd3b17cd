import { Pool } from 'pg';

import { type OutageLog } from './database-outage';
import { parsePostgresUrl } from './migrations/migration-session';

/** A small pool for the rate limiter's counter rows, and the schema their table lives in. */
export interface CounterPool {
  /** A `pg.Pool`, as rate-limiter-flexible's `RateLimiterPostgres` takes it (`storeType: 'pool'`). */
  readonly client: unknown;
  readonly schema: string;
  close(): Promise<void>;
}

/**
 * Opens the pool the shared rate limits count in. Every request upserts its key's counter row, so
 * each commit holds that row until it is flushed to disk: with the flush awaited, requests of one
 * key queue behind each other's fsync. A counter lost in a server crash only forgets a moment of
 * usage, which asynchronous commit risks and nothing more
 * (https://www.postgresql.org/docs/current/wal-async-commit.html).
 */
export function openCounterPool(
  url: string,
  schemaOverride: string | undefined,
  outage: OutageLog,
  connectTimeoutMs: number,
): CounterPool {
  const { connectionString, schema } = parsePostgresUrl(url, schemaOverride);
  const pool = new Pool({
    connectionString,
    max: 4,
    options: '-c synchronous_commit=off',
    connectionTimeoutMillis: connectTimeoutMs,
    keepAlive: true,
  });
  // An idle connection the server ends (a restart, `pg_terminate_backend`) is reported here and
  // dropped; without a listener the 'error' event ends the process.
  // https://node-postgres.com/apis/pool#error
  pool.on('error', (error) => outage.failed(error));
  // Checked-out connections too: the pool's own listener is off them while they are in use.
  pool.on('connect', (client) => {
    outage.succeeded();
    client.on('error', (error) => outage.failed(error));
  });
  return { client: pool, schema, close: () => pool.end() };
}
