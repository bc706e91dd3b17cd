import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';

export interface RetryOptions {
  /** Tries per logical request, the first included (default 4). 1 turns retries off. */
  maxAttempts?: number;
  /** The first backoff's ceiling (default 200 ms); each retry doubles it up to `maxDelayMs`. */
  baseDelayMs?: number;
  /** The largest backoff (default 10 s). */
  maxDelayMs?: number;
  /** The longest `Retry-After` waited for (default 30 s); a longer one is answered to the caller. */
  maxRetryAfterMs?: number;
}

const UNSAFE_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
export const IDEMPOTENCY_KEY_HEADER = 'Idempotency-Key';

/**
 * The gateway stores no answer for a request that was never carried out, so these are safe to send
 * again under the same Idempotency-Key: rate limits, server and provider outages, and a 409 that
 * says the first try of this very key is still running.
 */
async function isRetryable(response: Response): Promise<boolean> {
  if (response.status === 429 || response.status >= 500) return true;
  if (response.status !== 409) return false;
  const body = (await response
    .clone()
    .json()
    .catch(() => undefined)) as { code?: unknown } | undefined;
  return body?.code === 'idempotency_request_in_progress';
}

/** `Retry-After` in seconds or as an HTTP date, in milliseconds; undefined when absent or unreadable. */
function retryAfterMs(response: Response): number | undefined {
  const header = response.headers.get('retry-after');
  if (header === null) return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(header);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}

/**
 * The wait after failed attempt `attempt` (1 for the first): capped exponential backoff with full
 * jitter (https://aws.amazon.com/blogs/architecture/exponential-backoff-and-jitter/), anywhere from
 * 0 up to `baseDelayMs` doubled per attempt, never above `maxDelayMs`.
 */
export function backoffMs(
  attempt: number,
  options: { baseDelayMs: number; maxDelayMs: number },
  random = Math.random(),
): number {
  return random * Math.min(options.maxDelayMs, options.baseDelayMs * 2 ** (attempt - 1));
}

/**
 * A `fetch` for openapi-fetch that makes every write safe to retry and retries what may pass.
 * A write without an Idempotency-Key gets a fresh one here, once per logical request, and every
 * retry of it sends the same key: the gateway then replays the first outcome instead of acting
 * twice. Waits are `backoffMs`, or the server's `Retry-After` where it gives one.
 */
export function retryingFetch(
  options: RetryOptions = {},
  baseFetch: (request: Request) => Promise<Response> = (request) => fetch(request),
): (request: Request) => Promise<Response> {
  const maxAttempts = Math.max(1, options.maxAttempts ?? 4);
  const baseDelayMs = options.baseDelayMs ?? 200;
  const maxDelayMs = options.maxDelayMs ?? 10_000;
  const maxRetryAfterMs = options.maxRetryAfterMs ?? 30_000;
  const backoff = (attempt: number) => backoffMs(attempt, { baseDelayMs, maxDelayMs });

  return async (original: Request) => {
    const request = original.clone();
    if (UNSAFE_METHODS.has(request.method) && !request.headers.has(IDEMPOTENCY_KEY_HEADER)) {
      request.headers.set(IDEMPOTENCY_KEY_HEADER, randomUUID());
    }
    for (let attempt = 1; ; attempt++) {
      let response: Response;
      try {
        // A clone per attempt: a body stream can be read only once.
        response = await baseFetch(request.clone());
      } catch (error) {
        if (attempt >= maxAttempts) throw error;
        await sleep(backoff(attempt));
        continue;
      }
      if (attempt >= maxAttempts || !(await isRetryable(response))) return response;
      const wait = retryAfterMs(response) ?? backoff(attempt);
      if (wait > maxRetryAfterMs) return response;
      await response.body?.cancel();
      await sleep(wait);
    }
  };
}
