/** How long the sync worker waits between deliveries of a link that failed with a retryable error. */
export interface Backoff {
  baseMs: number;
  maxMs: number;
}

/**
 * The delay before attempt `attempt + 1`: exponential from `baseMs`, capped at `maxMs`, with its
 * upper half random ("equal jitter",
 * https://aws.amazon.com/blogs/architecture/exponential-backoff-and-jitter/) so that links that
 * failed together do not retry together; never sooner than the provider's `Retry-After`.
 * `random` is Math.random's contract: a number in [0, 1).
 */
export function retryDelayMs(
  attempt: number,
  backoff: Backoff,
  retryAfterMs = 0,
  random: () => number = Math.random,
): number {
  const exponential = Math.min(backoff.maxMs, backoff.baseMs * 2 ** (attempt - 1));
  const jittered = exponential / 2 + random() * (exponential / 2);
  return Math.max(jittered, retryAfterMs);
}
