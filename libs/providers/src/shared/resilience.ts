import { Logger } from '@nestjs/common';
import { ProviderError, type RateBudget } from '@app/domain';
import {
  BrokenCircuitError,
  ConsecutiveBreaker,
  DelegateBackoff,
  circuitBreaker,
  handleWhen,
  retry,
  wrap,
  type IPolicy,
  type IRetryBackoffContext,
} from 'cockatiel';
import { z } from 'zod';

const REPORT_EVERY_MS = 10_000;

/** Retry, rate-limit and breaker settings shared by every provider account's config. */
export const resilienceSchema = z.object({
  /** Token bucket: steady requests per second for this account (DR: 25 test / 250 live). */
  rateLimitPerSecond: z.number().positive(),
  retry: z
    .object({
      /** Total attempts including the first. */
      maxAttempts: z.number().int().min(1).max(10).default(3),
      baseDelayMs: z.number().int().min(0).default(100),
      maxDelayMs: z.number().int().min(0).default(2_000),
      /**
       * A `Retry-After` longer than this is not waited out inline: the rate_limited error goes
       * back to the caller (a queue can wait two minutes, an HTTP request cannot).
       */
      maxRetryAfterMs: z.number().int().min(0).default(5_000),
    })
    .prefault({}),
  circuitBreaker: z
    .object({
      /** Consecutive `unavailable` outcomes that open the circuit. */
      consecutiveFailures: z.number().int().min(1).default(5),
      halfOpenAfterMs: z.number().int().min(1).default(10_000),
    })
    .prefault({}),
});
export type ResilienceConfig = z.infer<typeof resilienceSchema>;

/**
 * A token bucket per provider account: providers count requests per key, so all calls made with
 * one account share one bucket. Capacity equals one second's worth of tokens (the burst), and at
 * least one: a limit under one request a second would otherwise never hold a whole token.
 *
 * Hand-written rather than rate-limiter-flexible's RateLimiterQueue, which waits in the same FIFO
 * order but counts in fixed windows: two windows' points can go out back to back across a
 * window's edge, twice the rate the provider's own token bucket allows, and each excess request
 * would come back 429.
 */
export class TokenBucket {
  private tokens: number;
  private readonly capacity: number;
  private last = performance.now();
  private queue: Promise<void> = Promise.resolve();

  constructor(private readonly perSecond: number) {
    this.capacity = Math.max(1, perSecond);
    this.tokens = this.capacity;
  }

  /**
   * Resolves when a token is available, with how long the caller waited for it (0 when a token
   * was there); callers are served in arrival order.
   */
  async take(): Promise<number> {
    const asked = performance.now();
    const turn = this.queue.then(() => this.waitForToken());
    this.queue = turn;
    await turn;
    return performance.now() - asked;
  }

  private async waitForToken(): Promise<void> {
    for (;;) {
      const now = performance.now();
      this.tokens = Math.min(this.capacity, this.tokens + ((now - this.last) / 1000) * this.perSecond);
      this.last = now;
      if (this.tokens >= 1) {
        this.tokens -= 1;
        return;
      }
      const waitMs = ((1 - this.tokens) / this.perSecond) * 1000;
      await new Promise((resolve) => setTimeout(resolve, Math.ceil(waitMs)));
    }
  }
}

/** Marks one attempt as safe to repeat after an ambiguous failure (no answer from the provider). */
export interface AttemptOptions {
  idempotent: boolean;
  /** The caller's shared budget (its `CallContext`'s), drawn on before every attempt. */
  budget?: RateBudget;
}

/**
 * Retry (capped exponential backoff with full jitter, or exactly `Retry-After` when the provider
 * says) around a circuit breaker around one rate-limited attempt. Everything that escapes is a
 * ProviderError: an open circuit becomes `unavailable` without touching the network.
 */
export class ResiliencePolicy {
  private readonly bucket: TokenBucket;
  private readonly breaker: IPolicy;

  private readonly logger = new Logger('ProviderRateLimit');
  /** Calls held back by the bucket since the last report, reported at most every REPORT_EVERY_MS. */
  private held = { calls: 0, ms: 0 };
  private reportDue: NodeJS.Timeout | undefined;

  constructor(
    private readonly config: ResilienceConfig,
    private readonly origin: { provider: string; account: string },
  ) {
    this.bucket = new TokenBucket(config.rateLimitPerSecond);
    // Only "could not get an answer" trips the breaker: a 429 proves the provider is alive.
    this.breaker = circuitBreaker(
      handleWhen((error) => error instanceof ProviderError && error.kind === 'unavailable'),
      {
        halfOpenAfter: config.circuitBreaker.halfOpenAfterMs,
        breaker: new ConsecutiveBreaker(config.circuitBreaker.consecutiveFailures),
      },
    );
  }

  /**
   * Runs `attempt` under the retry policy and the breaker, each try once the caller's budget and
   * this account's bucket let it go; `attempt` is told how long that try was held back.
   */
  async execute<T>(attempt: (heldMs: number) => Promise<T>, options: AttemptOptions): Promise<T> {
    const { retry: settings } = this.config;
    const retryPolicy = retry(
      handleWhen(
        (error) =>
          error instanceof ProviderError &&
          // A 429 means the request was not processed, so even a non-idempotent one may repeat;
          // a timeout or reset may have been processed, so only idempotent requests repeat.
          ((error.kind === 'rate_limited' && (error.retryAfterMs ?? 0) <= settings.maxRetryAfterMs) ||
            (error.kind === 'unavailable' && options.idempotent)),
      ),
      {
        maxAttempts: settings.maxAttempts - 1,
        backoff: new DelegateBackoff((context: IRetryBackoffContext<unknown>) => {
          const failure = 'error' in context.result ? context.result.error : undefined;
          if (failure instanceof ProviderError && failure.retryAfterMs !== undefined) {
            return failure.retryAfterMs;
          }
          const ceiling = Math.min(settings.maxDelayMs, settings.baseDelayMs * 2 ** (context.attempt - 1));
          return Math.round(Math.random() * ceiling);
        }),
      },
    );
    try {
      return await wrap(retryPolicy, this.breaker).execute(async () => {
        const budget = options.budget;
        const asked = performance.now();
        await budget?.acquire(this.origin.provider, this.origin.account);
        this.noteWait(await this.bucket.take());
        try {
          return await attempt(performance.now() - asked);
        } catch (error) {
          // Everyone sharing the budget holds off, not just this caller's retry.
          if (budget && error instanceof ProviderError && error.kind === 'rate_limited') {
            await budget.pause(this.origin.provider, this.origin.account, error.retryAfterMs ?? 1_000);
          }
          throw error;
        }
      });
    } catch (error) {
      if (error instanceof BrokenCircuitError) {
        throw new ProviderError(
          { ...this.origin, kind: 'unavailable' },
          `${this.origin.provider} unavailable (circuit open after repeated failures)`,
        );
      }
      throw error;
    }
  }

  /**
   * A call that waited on this account's own limit is worth knowing about (the limit may be set
   * too low for the traffic), but not once per call: one line per account every few seconds.
   */
  private noteWait(waitedMs: number): void {
    if (waitedMs < 1) return;
    this.held.calls += 1;
    this.held.ms += waitedMs;
    this.reportDue ??= setTimeout(() => {
      this.logger.log(
        {
          ...this.origin,
          limitPerSecond: this.config.rateLimitPerSecond,
          heldCalls: this.held.calls,
          heldMs: Math.round(this.held.ms),
        },
        'calls waited on the client-side rate limit',
      );
      this.held = { calls: 0, ms: 0 };
      this.reportDue = undefined;
    }, REPORT_EVERY_MS).unref();
  }
}
