/**
 * Per-principal token bucket (per API key for Digital River, per merchant code for 2Checkout).
 *
 * A bucket holds at most `perSecond` tokens and refills continuously, which matches "N requests per
 * second" without the double-burst a fixed window allows at its edges. When empty, the caller gets
 * the whole seconds until a token is back, for the `Retry-After` header (DR documents integer
 * seconds; see DR's docs source developer-resources/rate-limiting.md).
 *
 * Hand-written rather than rate-limiter-flexible: a sandbox must refuse exactly as the provider's
 * token bucket does, and the library's limiters count in fixed windows, which admit a double burst
 * at a window's edge that the provider would refuse.
 */
interface Bucket {
  tokens: number;
  updatedAt: number;
}

export type RateLimitOutcome = { allowed: true } | { allowed: false; retryAfterSeconds: number };

const ALLOWED: RateLimitOutcome = { allowed: true };

export class TokenBucketLimiter {
  private readonly buckets = new Map<string, Bucket>();

  /** `perSecond` <= 0 (or not finite) means unlimited. */
  take(principal: string, perSecond: number, now = performance.now()): RateLimitOutcome {
    if (!(perSecond > 0) || !Number.isFinite(perSecond)) return ALLOWED;
    let bucket = this.buckets.get(principal);
    if (!bucket) {
      bucket = { tokens: perSecond, updatedAt: now };
      this.buckets.set(principal, bucket);
    }
    bucket.tokens = Math.min(perSecond, bucket.tokens + ((now - bucket.updatedAt) / 1000) * perSecond);
    bucket.updatedAt = now;
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return ALLOWED;
    }
    return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil((1 - bucket.tokens) / perSecond)) };
  }

  reset(): void {
    this.buckets.clear();
  }
}
