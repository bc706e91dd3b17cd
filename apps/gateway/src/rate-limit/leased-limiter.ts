import { type RateLimiterAbstract, RateLimiterRes } from 'rate-limiter-flexible';

interface Lease {
  /** Points taken from the store and not yet spent here. */
  remaining: number;
  /** When the store's window the lease belongs to ends (epoch ms). */
  endsAt: number;
  /** Near the limit: every request asks the store for its own point until the window ends. */
  oneByOne: boolean;
  /** The store's refusal, answered from memory until the window ends. */
  refusal?: RateLimiterRes;
}

/**
 * A shared store's points taken a lease at a time, so that a busy key costs the store (PostgreSQL
 * or Redis, shared by every instance) one round trip per lease instead of one per request.
 *
 * Every point is counted in the store before it is spent, so all instances together never admit
 * more than the limit. Near the limit a refused lease is handed back and the window's last points
 * are taken one by one, so a single instance admits exactly up to the limit. What a lease leaves
 * unspent when its window ends is lost: with many busy instances a key can be refused up to
 * (instances x lease size) points before its limit, never after.
 *
 * Counting stays with rate-limiter-flexible (the store, its windows, its insurance limiter); only
 * the leasing is ours, as the library has no way to take a store's points in batches: its
 * `inMemoryBlockOnConsumed` saves round trips only once a key is over its limit, and a key under
 * it (the usual case) would still cost one per request.
 */
export class LeasedLimiter {
  private readonly leases = new Map<string, Lease>();
  private readonly taking = new Map<string, Promise<void>>();

  constructor(
    private readonly store: RateLimiterAbstract,
    private readonly leaseSize: number,
  ) {}

  /** Spends one point of `key`; answers the store's refusal when the window has none left. */
  async consume(key: string): Promise<RateLimiterRes | undefined> {
    for (;;) {
      const lease = this.leases.get(key);
      if (lease === undefined || lease.endsAt <= Date.now()) {
        this.leases.delete(key);
        await this.take(key);
        continue;
      }
      if (lease.refusal !== undefined) return lease.refusal;
      if (lease.remaining > 0) {
        lease.remaining -= 1;
        return undefined;
      }
      if (!lease.oneByOne) {
        this.leases.delete(key);
        continue;
      }
      try {
        await this.store.consume(key, 1);
        return undefined;
      } catch (refusal) {
        // rate-limiter-flexible rejects with a RateLimiterRes when over the limit, an Error otherwise.
        if (!(refusal instanceof RateLimiterRes)) throw refusal;
        lease.refusal = refusal;
        return refusal;
      }
    }
  }

  /** One lease at a time per key: callers arriving while it is being taken wait for it. */
  private async take(key: string): Promise<void> {
    const pending = this.taking.get(key);
    if (pending !== undefined) return pending;
    const taking = this.takeLease(key).finally(() => this.taking.delete(key));
    this.taking.set(key, taking);
    return taking;
  }

  private async takeLease(key: string): Promise<void> {
    try {
      const granted = await this.store.consume(key, this.leaseSize);
      this.leases.set(key, {
        remaining: this.leaseSize,
        endsAt: Date.now() + granted.msBeforeNext,
        oneByOne: false,
      });
    } catch (refusal) {
      if (!(refusal instanceof RateLimiterRes)) throw refusal;
      // Fewer points than a lease are left in this window: give the lease back and let requests
      // take the rest one at a time. A lease of one point is already a single request's point.
      if (this.leaseSize > 1) await this.store.reward(key, this.leaseSize);
      this.leases.set(key, {
        remaining: 0,
        endsAt: Date.now() + refusal.msBeforeNext,
        oneByOne: this.leaseSize > 1,
        ...(this.leaseSize > 1 ? {} : { refusal }),
      });
    }
  }
}
