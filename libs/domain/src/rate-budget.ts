/**
 * A request budget that some work must stay within, on top of each account's own limiter: the
 * migration job runs under one so that it leaves a share of every provider's limit to the live
 * API, however many worker processes share the run. Work carries it in its `CallContext`.
 */
export interface RateBudget {
  /** Resolves when one more request may be sent to the account. */
  acquire(provider: string, account: string): Promise<void>;
  /** The provider asked to slow down (429 `Retry-After`): nobody sharing the budget sends sooner. */
  pause(provider: string, account: string, ms: number): Promise<void>;
}
