import { Injectable } from '@nestjs/common';
import { type RateBudget } from '@app/domain';

import { HttpError } from '../errors/http-error';
import { ALL_KEYS, RateLimits } from '../rate-limit/rate-limits';

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Provider calls made for provider events (the Events API catch-up and the re-reads acting on
 * events) spend the shared provider budget at drift-read priority: each draws from `provider-reads`,
 * the share RATE_LIMIT_PROVIDER_WRITE_SHARE leaves to reads, and then from `provider-total`, so a
 * burst of events can never take the capacity kept for live writes. Over the limit, it waits.
 */
@Injectable()
export class ProviderReadBudget implements RateBudget {
  constructor(private readonly limits: RateLimits) {}

  async acquire(): Promise<void> {
    for (;;) {
      try {
        await this.limits.consume('provider-reads', ALL_KEYS);
        await this.limits.consume('provider-total', ALL_KEYS);
        return;
      } catch (error) {
        if (!(error instanceof HttpError) || error.code !== 'rate_limited') throw error;
        await sleep(error.retryAfterMs ?? 100);
      }
    }
  }

  /** The account's own limiter and the resilience layer already hold off after a 429. */
  async pause(_provider: string, _account: string, ms: number): Promise<void> {
    await sleep(Math.min(ms, 1_000));
  }
}
