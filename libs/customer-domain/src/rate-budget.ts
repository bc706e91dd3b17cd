import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * A request budget that some work must stay within, on top of each account's own limiter: the
 * migration job runs under one so that it leaves a share of every provider's limit to the live
 * API, however many worker processes share the run.
 */
export interface RateBudget {
  /** Resolves when one more request may be sent to the account. */
  acquire(provider: string, account: string): Promise<void>;
  /** The provider asked to slow down (429 `Retry-After`): nobody sharing the budget sends sooner. */
  pause(provider: string, account: string, ms: number): Promise<void>;
}

const scope = new AsyncLocalStorage<RateBudget>();

/** Runs `work` with every provider request it makes (retries included) drawn from `budget`. */
export function withRateBudget<T>(budget: RateBudget, work: () => Promise<T>): Promise<T> {
  return scope.run(budget, work);
}

/** Called by the providers' transport before each attempt. */
export function currentRateBudget(): RateBudget | undefined {
  return scope.getStore();
}
