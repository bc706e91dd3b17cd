import {
  Inject,
  Injectable,
  type OnApplicationShutdown,
  type OnModuleInit,
  SetMetadata,
} from '@nestjs/common';
import { parsePostgresUrl } from '@app/persistence';
import { type GatewayConfig } from '@app/config';
import { Pool } from 'pg';
import {
  type RateLimiterAbstract,
  RateLimiterMemory,
  RateLimiterPostgres,
  RateLimiterRedis,
} from 'rate-limiter-flexible';

import { type ApiKeyScope } from '../auth/api-keys';
import { GATEWAY_CONFIG } from '../config/config.module';
import { HttpError } from '../errors/http-error';
import { LeasedLimiter } from './leased-limiter';

/**
 * Per-API-key limits, so that one caller cannot take the gateway from the others. Every request
 * counts against `read` (GET) or `write`; a request that makes provider calls on the caller's
 * behalf (drift, sync, reconcile, import) also draws from the much smaller `provider` budget,
 * which is what keeps a loop of drift reads from starving everyone's live writes of provider
 * capacity, database connections and CPU. `provider-total` is the same budget for all keys
 * together: without it, every additional key flooding drift would add its own share, until the
 * flood took the provider accounts' rate limits from the writes again. RATE_LIMITS_BY_SCOPE sets
 * the per-key limits apart for the keys holding an API-key scope (an admin key's bulk writes, a
 * read-only key's smaller share).
 */
export const RATE_LIMIT_SCOPES = ['read', 'write', 'provider', 'provider-total'] as const;
export type RateLimitScope = (typeof RATE_LIMIT_SCOPES)[number];

export const SPENDS_PROVIDER_CALLS = 'gateway:spends-provider-calls';

/** Marks a route whose every call makes provider calls: it draws from the provider budget too. */
export const SpendsProviderCalls = () => SetMetadata(SPENDS_PROVIDER_CALLS, true);

const WINDOW_SECONDS = 1;
const TABLE = 'rate_limits';

function perSecond(config: GatewayConfig, scope: RateLimitScope): number {
  switch (scope) {
    case 'read':
      return config.RATE_LIMIT_READ_PER_SECOND;
    case 'write':
      return config.RATE_LIMIT_WRITE_PER_SECOND;
    case 'provider':
      return config.RATE_LIMIT_PROVIDER_PER_SECOND;
    case 'provider-total':
      return config.RATE_LIMIT_PROVIDER_TOTAL_PER_SECOND;
  }
}

/** The one counter `provider-total` keeps, whichever key is calling. */
export const ALL_KEYS = 'all';

interface Store {
  limiter(scope: RateLimitScope, points: number): RateLimiterAbstract;
  /** Whether other instances count in it too, so that each request would cost a round trip. */
  shared: boolean;
  close(): Promise<void>;
}

/**
 * A shared store is asked for a twentieth of a window's points at a time: one round trip per 5%
 * of the limit instead of one per request, and at most 5% of the limit per instance left unspent
 * when a window ends (see LeasedLimiter).
 */
const LEASES_PER_WINDOW = 20;

/**
 * Where the counters live: Redis when REDIS_URL is set, else PostgreSQL when DATABASE_URL is set
 * (so every instance on one database shares them), else this process's memory (the embedded
 * default runs one process). A store that fails falls back to memory for that call rather than
 * failing the request: https://github.com/animir/node-rate-limiter-flexible/wiki/Insurance-Strategy
 */
async function openStore(config: GatewayConfig): Promise<Store> {
  const options = (scope: RateLimitScope, points: number) => ({
    keyPrefix: `rl_${scope}`,
    points,
    duration: WINDOW_SECONDS,
    insuranceLimiter: new RateLimiterMemory({ points, duration: WINDOW_SECONDS }),
  });
  if (config.REDIS_URL !== undefined) {
    // Loaded only here: most gateways run without Redis, and loading its client costs every start.
    const { Redis } = await import('ioredis');
    // A call made while Redis is away fails after one reconnect attempt; the insurance limiter answers.
    const redis = new Redis(config.REDIS_URL, { maxRetriesPerRequest: 1 });
    return {
      limiter: (scope, points) => new RateLimiterRedis({ storeClient: redis, ...options(scope, points) }),
      shared: true,
      close: () => {
        redis.disconnect();
        return Promise.resolve();
      },
    };
  }
  if (config.DATABASE_URL !== undefined) {
    const { connectionString, schema } = parsePostgresUrl(config.DATABASE_URL, config.DATABASE_SCHEMA);
    // Every request upserts its key's counter row, so each commit holds that row until it is
    // flushed to disk: with the flush awaited, requests of one key queue behind each other's fsync.
    // A counter lost in a server crash only forgets a moment of usage, which asynchronous commit
    // risks and nothing more: https://www.postgresql.org/docs/current/wal-async-commit.html
    const pool = new Pool({ connectionString, max: 4, options: '-c synchronous_commit=off' });
    return {
      // The table is created by the gateway's own migrations, not by the library.
      limiter: (scope, points) =>
        new RateLimiterPostgres({
          storeClient: pool,
          storeType: 'pool',
          schemaName: schema,
          tableName: TABLE,
          tableCreated: true,
          ...options(scope, points),
        }),
      shared: true,
      close: () => pool.end(),
    };
  }
  return {
    limiter: (scope, points) =>
      new RateLimiterMemory({ keyPrefix: `rl_${scope}`, points, duration: WINDOW_SECONDS }),
    shared: false,
    close: () => Promise.resolve(),
  };
}

@Injectable()
export class RateLimits implements OnModuleInit, OnApplicationShutdown {
  private store: Store | undefined;
  /** One limiter per scope and limit: keys whose API-key scopes set another limit get their own. */
  private readonly limiters = new Map<string, LeasedLimiter>();

  constructor(@Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig) {}

  async onModuleInit(): Promise<void> {
    this.store = await openStore(this.config);
  }

  /**
   * What `scope` allows a key holding `keyScopes` a second: the most generous limit
   * RATE_LIMITS_BY_SCOPE sets for any of them, else the default.
   */
  private limitOf(scope: RateLimitScope, keyScopes: readonly ApiKeyScope[]): number {
    const set =
      scope === 'provider-total'
        ? []
        : keyScopes.flatMap((keyScope) => this.config.RATE_LIMITS_BY_SCOPE?.[keyScope]?.[scope] ?? []);
    return set.length > 0 ? Math.max(...set) : perSecond(this.config, scope);
  }

  /**
   * Counts one request of `keyId` (whose API key holds `keyScopes`) against `scope`
   * (`provider-total` counts every key's as one); a `rate_limited` HttpError when over it.
   */
  async consume(scope: RateLimitScope, keyId: string, keyScopes: readonly ApiKeyScope[] = []): Promise<void> {
    const limit = this.limitOf(scope, keyScopes);
    let limiter = this.limiters.get(`${scope}:${limit}`);
    if (limiter === undefined) {
      // Opened in onModuleInit, before the server takes requests.
      const store = this.store!;
      const leaseSize = store.shared ? Math.max(1, Math.floor(limit / LEASES_PER_WINDOW)) : 1;
      limiter = new LeasedLimiter(store.limiter(scope, limit), leaseSize);
      this.limiters.set(`${scope}:${limit}`, limiter);
    }
    const refusal = await limiter.consume(scope === 'provider-total' ? ALL_KEYS : keyId);
    if (refusal === undefined) return;
    const retryAfterMs = Math.max(1, refusal.msBeforeNext);
    const whose =
      scope === 'provider-total'
        ? `The gateway is over its limit of ${limit} requests a second, for all API keys together, to operations that call the providers`
        : `This API key is over its ${scope} limit of ${limit} requests a second`;
    throw new HttpError(
      'rate_limited',
      `${whose}; retry after ${Math.ceil(retryAfterMs / 1000)} s.`,
      retryAfterMs,
    );
  }

  async onApplicationShutdown(): Promise<void> {
    await this.store?.close();
  }
}
