import {
  Inject,
  Injectable,
  type OnApplicationShutdown,
  type OnModuleInit,
  SetMetadata,
} from '@nestjs/common';
import { type GatewayConfig } from '@app/config';
import { Counter } from 'prom-client';
import { type RateLimiterAbstract, RateLimiterRes } from 'rate-limiter-flexible';

import { type ApiKeyScope } from '../auth/api-keys';
import { GATEWAY_CONFIG } from '../config/config.module';
import { HttpError } from '../errors/http-error';
import { MetricsRegistry } from '../metrics/metrics.registry';
import { LeasedLimiter } from './leased-limiter';
import { openRateLimitStore, type RateLimitStore } from './rate-limit-store';

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
 *
 * Within `provider-total`, writes come first: live writes, re-drives and repairs (`POST …/sync`,
 * `…/reconcile`, import) may take all of it, while reads (drift) together may take only what
 * RATE_LIMIT_PROVIDER_WRITE_SHARE leaves them (`provider-reads`), so a flood of drift reads from
 * any number of keys always leaves the writes their share.
 */
export const RATE_LIMIT_SCOPES = ['read', 'write', 'provider', 'provider-reads', 'provider-total'] as const;
export type RateLimitScope = (typeof RATE_LIMIT_SCOPES)[number];

export const SPENDS_PROVIDER_CALLS = 'gateway:spends-provider-calls';

/** Marks a route whose every call makes provider calls: it draws from the provider budget too. */
export const SpendsProviderCalls = () => SetMetadata(SPENDS_PROVIDER_CALLS, true);

const WINDOW_SECONDS = 1;

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
    case 'provider-reads': {
      const total = config.RATE_LIMIT_PROVIDER_TOTAL_PER_SECOND;
      return Math.max(1, total - Math.ceil(total * config.RATE_LIMIT_PROVIDER_WRITE_SHARE));
    }
  }
}

/** The budgets every key shares: one counter each, whichever key is calling. */
const SHARED_SCOPES: ReadonlySet<RateLimitScope> = new Set(['provider-total', 'provider-reads']);
export const ALL_KEYS = 'all';

/**
 * A shared store is asked for a twentieth of a window's points at a time: one round trip per 5%
 * of the limit instead of one per request, and at most 5% of the limit per instance left unspent
 * when a window ends (see LeasedLimiter).
 */
const LEASES_PER_WINDOW = 20;

@Injectable()
export class RateLimits implements OnModuleInit, OnApplicationShutdown {
  private store: RateLimitStore | undefined;
  /** One limiter per scope and limit: keys whose API-key scopes set another limit get their own. */
  private readonly limiters = new Map<string, LeasedLimiter>();
  /** Failed authentications per client address (AUTH_FAILURES_PER_ADDRESS in AUTH_FAILURE_WINDOW_SECONDS). */
  private authFailures: RateLimiterAbstract | undefined;
  /**
   * Refusals are counted here rather than logged one line each: a flood over its limit is
   * thousands of 429s a second, and a log line per refusal was most of what the gateway wrote.
   */
  private readonly refusals: Counter<'scope'>;

  constructor(
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
    registry: MetricsRegistry,
  ) {
    this.refusals = new Counter({
      name: 'csg_rate_limited_total',
      help: 'Requests refused 429 rate_limited, by the limit they were over (auth: failed authentications).',
      labelNames: ['scope'],
      registers: [registry],
    });
  }

  async onModuleInit(): Promise<void> {
    this.store = await openRateLimitStore(this.config);
    const points = this.config.AUTH_FAILURES_PER_ADDRESS;
    this.authFailures = this.store.limiter({
      name: 'auth_failures',
      points,
      durationSeconds: this.config.AUTH_FAILURE_WINDOW_SECONDS,
      blockInMemoryAfter: points + 1,
    });
  }

  /**
   * Counts a failed authentication from `address` (a wrong or missing key); a `rate_limited`
   * HttpError once the address is over AUTH_FAILURES_PER_ADDRESS in the window, so guessing keys
   * costs a window's wait per few guesses. Valid keys from the same address are not refused.
   */
  async authenticationFailed(address: string): Promise<void> {
    try {
      await this.authFailures!.consume(address);
    } catch (refusal) {
      if (!(refusal instanceof RateLimiterRes)) throw refusal;
      this.refusals.inc({ scope: 'auth' });
      const retryAfterMs = Math.max(1, refusal.msBeforeNext);
      throw new HttpError(
        'rate_limited',
        `Too many failed authentications from this address; retry after ${Math.ceil(retryAfterMs / 1000)} s.`,
        retryAfterMs,
      );
    }
  }

  /**
   * What `scope` allows a key holding `keyScopes` a second: the most generous limit
   * RATE_LIMITS_BY_SCOPE sets for any of them, else the default.
   */
  private limitOf(scope: RateLimitScope, keyScopes: readonly ApiKeyScope[]): number {
    const perKey = scope === 'provider-total' || scope === 'provider-reads' ? undefined : scope;
    const set =
      perKey === undefined
        ? []
        : keyScopes.flatMap((keyScope) => this.config.RATE_LIMITS_BY_SCOPE?.[keyScope]?.[perKey] ?? []);
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
      limiter = new LeasedLimiter(
        store.limiter({ name: scope, points: limit, durationSeconds: WINDOW_SECONDS }),
        leaseSize,
      );
      this.limiters.set(`${scope}:${limit}`, limiter);
    }
    const refusal = await limiter.consume(SHARED_SCOPES.has(scope) ? ALL_KEYS : keyId);
    if (refusal === undefined) return;
    this.refusals.inc({ scope });
    const retryAfterMs = Math.max(1, refusal.msBeforeNext);
    const whose =
      scope === 'provider-total'
        ? `The gateway is over its limit of ${limit} requests a second, for all API keys together, to operations that call the providers`
        : scope === 'provider-reads'
          ? `The gateway is over its limit of ${limit} reads a second, for all API keys together, to operations that call the providers (the rest of the provider budget is kept for writes)`
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
