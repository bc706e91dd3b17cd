import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';

import { GatewayError } from './errors.js';

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

/** What one call may set on top of the client's defaults. */
export interface CallLimits {
  /** The whole call's deadline in milliseconds, every retry and wait included. */
  timeoutMs?: number;
}

/** The transport under openapi-fetch: one logical request in, its final answer out. */
export type Send = (request: Request, limits?: CallLimits) => Promise<Response>;

const UNSAFE_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
/** Statuses whose Response may not carry a body (https://fetch.spec.whatwg.org/#null-body-status). */
const NULL_BODY_STATUSES = new Set([101, 103, 204, 205, 304]);
export const IDEMPOTENCY_KEY_HEADER = 'Idempotency-Key';

/**
 * Whether the same request may succeed if sent again. The gateway says so in its problem+json
 * (`retryable`: a rate limit, a provider outage, an Idempotency-Key whose first try is still
 * running, an internal error), and stores no answer for such a request, so it is safe to send again
 * under the same Idempotency-Key. An answer without that field (a proxy's, a load balancer's) is
 * judged by its status: 429 and 5xx may pass.
 */
async function isRetryable(response: Response): Promise<boolean> {
  if (response.status < 400) return false;
  const problem = (await response
    .clone()
    .json()
    .catch(() => undefined)) as { code?: unknown; retryable?: unknown } | null | undefined;
  if (typeof problem?.retryable === 'boolean') return problem.retryable;
  if (response.status === 429 || response.status >= 500) return true;
  return response.status === 409 && problem?.code === 'idempotency_request_in_progress';
}

/**
 * `Retry-After` (https://www.rfc-editor.org/rfc/rfc9110#section-10.2.3) in seconds or as an HTTP
 * date, in milliseconds; undefined when absent or unreadable.
 */
function retryAfterMs(response: Response): number | undefined {
  const header = response.headers.get('retry-after');
  if (header === null) return undefined;
  const seconds = Number(header);
  if (header.trim() !== '' && Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
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

/** Why a call stopped before an answer: its deadline passed, or the caller's signal aborted it. */
function stopped(timeout: AbortSignal | undefined, timeoutMs: number | undefined, signal: AbortSignal) {
  if (timeout?.aborted === true) {
    return new GatewayError(
      0,
      { code: 'timeout', detail: `No answer within ${timeoutMs} ms.`, retryable: true },
      { cause: timeout.reason },
    );
  }
  return new GatewayError(
    0,
    { code: 'aborted', detail: 'The caller aborted the request.', retryable: false },
    { cause: signal.reason },
  );
}

/**
 * `work`, or the signal's abort, whichever comes first. fetch and the body it streams stop on the
 * signal of the Request they are given, but undici makes that Request's signal follow ours through
 * a weak reference, and once the Request is garbage collected mid-call the abort no longer reaches
 * it (https://github.com/nodejs/node/issues/55428, fixed upstream by
 * https://github.com/nodejs/undici/pull/4984): the call then ran past its deadline until the
 * server closed the connection, seen once in the http ring under load. Racing the signal here
 * keeps every deadline and abort whatever undici does.
 */
function unlessAborted<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) {
    work.catch(() => undefined);
    return Promise.reject(signal.reason as Error);
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason as Error);
    signal.addEventListener('abort', onAbort, { once: true });
    void work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

/**
 * A `fetch` for openapi-fetch that makes every write safe to retry and retries what may pass.
 * A write without an Idempotency-Key gets a fresh one here, once per logical request, and every
 * retry of it sends the same key: the gateway then replays the first outcome instead of acting
 * twice. Waits are `backoffMs`, or the server's `Retry-After` where it gives one. The request's own
 * `signal` (the caller's AbortSignal) and the deadline (`timeoutMs`, the call's or the client's)
 * stop every attempt and every wait; a wait that would outlast the deadline is not started, and the
 * last answer is returned instead.
 */
export function retryingFetch(
  options: RetryOptions = {},
  baseFetch: (request: Request) => Promise<Response> = (request) => fetch(request),
  defaults: CallLimits = {},
): Send {
  const maxAttempts = Math.max(1, options.maxAttempts ?? 4);
  const baseDelayMs = options.baseDelayMs ?? 200;
  const maxDelayMs = options.maxDelayMs ?? 10_000;
  const maxRetryAfterMs = options.maxRetryAfterMs ?? 30_000;
  const backoff = (attempt: number) => backoffMs(attempt, { baseDelayMs, maxDelayMs });

  return async (original: Request, limits: CallLimits = {}) => {
    const request = original.clone();
    if (UNSAFE_METHODS.has(request.method) && !request.headers.has(IDEMPOTENCY_KEY_HEADER)) {
      request.headers.set(IDEMPOTENCY_KEY_HEADER, randomUUID());
    }
    const timeoutMs = limits.timeoutMs ?? defaults.timeoutMs;
    const timeout = timeoutMs === undefined ? undefined : AbortSignal.timeout(timeoutMs);
    const signal = timeout === undefined ? request.signal : AbortSignal.any([request.signal, timeout]);
    const deadline = timeoutMs === undefined ? Infinity : performance.now() + timeoutMs;
    // The answer read in full within the deadline: a body that stalls is a timeout too, thrown
    // here as a GatewayError rather than later from whoever reads the stream.
    const settled = async (response: Response): Promise<Response> => {
      const body = await unlessAborted(response.arrayBuffer(), signal).catch((error: unknown) => {
        throw signal.aborted ? stopped(timeout, timeoutMs, signal) : error;
      });
      const { status, statusText, headers } = response;
      return new Response(NULL_BODY_STATUSES.has(status) ? null : body, { status, statusText, headers });
    };
    const pause = async (ms: number) => {
      await sleep(ms, undefined, { signal }).catch(() => {
        throw stopped(timeout, timeoutMs, signal);
      });
    };

    for (let attempt = 1; ; attempt++) {
      let response: Response;
      try {
        // A clone per attempt: a body stream can be read only once.
        response = await unlessAborted(baseFetch(new Request(request.clone(), { signal })), signal);
      } catch (error) {
        if (signal.aborted) throw stopped(timeout, timeoutMs, signal);
        if (attempt >= maxAttempts) throw error;
        await pause(backoff(attempt));
        continue;
      }
      const retryable = await unlessAborted(isRetryable(response), signal).catch(() => {
        throw stopped(timeout, timeoutMs, signal);
      });
      if (attempt >= maxAttempts || !retryable) return settled(response);
      const wait = retryAfterMs(response) ?? backoff(attempt);
      if (wait > maxRetryAfterMs || performance.now() + wait >= deadline) return settled(response);
      await response.body?.cancel();
      await pause(wait);
    }
  };
}
