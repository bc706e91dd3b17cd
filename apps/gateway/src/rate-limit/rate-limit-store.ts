import { type GatewayConfig } from '@app/config';
import { OutageLog, parsePostgresUrl } from '@app/persistence';
import { Pool } from 'pg';
import {
  type RateLimiterAbstract,
  RateLimiterMemory,
  RateLimiterPostgres,
  RateLimiterRedis,
} from 'rate-limiter-flexible';

export interface LimiterOptions {
  /** Names the counters apart in the store (`rl_<name>`). */
  name: string;
  points: number;
  durationSeconds: number;
  /**
   * Once a key has consumed this many points, refuse it from memory until its window ends instead
   * of asking the shared store again: a flood over its limit costs the store nothing.
   */
  blockInMemoryAfter?: number;
}

export interface RateLimitStore {
  limiter(options: LimiterOptions): RateLimiterAbstract;
  /** Whether other instances count in it too, so that each request would cost a round trip. */
  shared: boolean;
  close(): Promise<void>;
}

const TABLE = 'rate_limits';

/** How long taking a store connection may wait before the insurance limiter answers instead. */
const STORE_CONNECT_TIMEOUT_MS = 2_000;

/**
 * Where the counters live: Redis when REDIS_URL is set, else PostgreSQL when DATABASE_URL is set
 * (so every instance on one database shares them), else this process's memory (the embedded
 * default runs one process). A store that fails falls back to this process's memory for that call
 * rather than failing the request (rate-limiter-flexible's insurance limiter):
 * https://github.com/animir/node-rate-limiter-flexible/wiki/Insurance-Strategy
 */
export async function openRateLimitStore(config: GatewayConfig): Promise<RateLimitStore> {
  const options = ({ name, points, durationSeconds, blockInMemoryAfter }: LimiterOptions) => ({
    keyPrefix: `rl_${name}`,
    points,
    duration: durationSeconds,
    ...(blockInMemoryAfter === undefined
      ? {}
      : { inMemoryBlockOnConsumed: blockInMemoryAfter, inMemoryBlockDuration: durationSeconds }),
    insuranceLimiter: new RateLimiterMemory({ points, duration: durationSeconds }),
  });
  if (config.REDIS_URL !== undefined) {
    // Loaded only here: most gateways run without Redis, and loading its client costs every start.
    const { Redis } = await import('ioredis');
    const outage = new OutageLog('redis', 'RateLimits');
    const redis = new Redis(config.REDIS_URL, {
      // While Redis is away a command fails at once, and the insurance limiter answers, instead of
      // waiting in ioredis's offline queue for a reconnect (rate-limiter-flexible's advice:
      // https://github.com/animir/node-rate-limiter-flexible/wiki/Redis). ioredis itself keeps
      // reconnecting with a growing delay (its default retryStrategy, at most 2 s apart).
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
    });
    // Without a listener ioredis prints every connection error to stderr itself, as plain text.
    redis.on('error', (error: Error) => outage.failed(error));
    redis.on('ready', () => outage.succeeded());
    // Commands fail until the first connection is up: give it a moment before taking requests,
    // but do not let a Redis that is away hold up the start (the insurance limiter answers).
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, STORE_CONNECT_TIMEOUT_MS);
      redis.once('ready', () => {
        clearTimeout(timer);
        resolve();
      });
    });
    return {
      limiter: (limiter) => new RateLimiterRedis({ storeClient: redis, ...options(limiter) }),
      shared: true,
      close: () => {
        redis.disconnect();
        return Promise.resolve();
      },
    };
  }
  if (config.DATABASE_URL !== undefined) {
    const { connectionString, schema } = parsePostgresUrl(config.DATABASE_URL, config.DATABASE_SCHEMA);
    const outage = new OutageLog('rate-limit store', 'RateLimits');
    // Every request upserts its key's counter row, so each commit holds that row until it is
    // flushed to disk: with the flush awaited, requests of one key queue behind each other's fsync.
    // A counter lost in a server crash only forgets a moment of usage, which asynchronous commit
    // risks and nothing more: https://www.postgresql.org/docs/current/wal-async-commit.html
    const pool = new Pool({
      connectionString,
      max: 4,
      options: '-c synchronous_commit=off',
      connectionTimeoutMillis: STORE_CONNECT_TIMEOUT_MS,
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
    return {
      // The table is created by the gateway's own migrations, not by the library.
      limiter: (limiter) =>
        new RateLimiterPostgres({
          storeClient: pool,
          storeType: 'pool',
          schemaName: schema,
          tableName: TABLE,
          tableCreated: true,
          ...options(limiter),
        }),
      shared: true,
      close: () => pool.end(),
    };
  }
  return {
    limiter: ({ name, points, durationSeconds }) =>
      new RateLimiterMemory({ keyPrefix: `rl_${name}`, points, duration: durationSeconds }),
    shared: false,
    close: () => Promise.resolve(),
  };
}
