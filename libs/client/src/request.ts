import { IDEMPOTENCY_KEY_HEADER, type Send } from './retry.js';

/** Options of any one call. */
export interface RequestOptions {
  /** Aborts the call, its retries and its waits (`GatewayError` with code `aborted`). */
  signal?: AbortSignal;
  /** This call's deadline, every retry and wait included; overrides the client's `timeoutMs`. */
  timeoutMs?: number;
}

/** Options of one write. */
export interface WriteOptions extends RequestOptions {
  /**
   * Your own key, to make the write safe to repeat across process restarts; by default each call
   * gets a fresh one, reused by every retry of that call.
   */
  idempotencyKey?: string;
}

/** Options of a write the gateway can make conditional on the version you read. */
export interface ConditionalWriteOptions extends WriteOptions {
  /**
   * The `etag` of the copy you read (`customer.etag`): the write applies only if the resource is
   * still at that version, else it fails with 412 `precondition_failed`
   * (https://www.rfc-editor.org/rfc/rfc9110#section-13.1.1).
   */
  ifMatch?: string;
}

/**
 * A resource as read, with the entity tag the gateway sent for it in `ETag` (undefined only when
 * something between stripped the header). `etag` is not enumerable: it stays out of
 * JSON.stringify and object spreads, which copy the resource only.
 */
export type Tagged<T> = T & { readonly etag: string | undefined };

/** openapi-fetch's per-call options for `options`: signal, headers and the call's deadline. */
export function callInit(send: Send, options: ConditionalWriteOptions = {}) {
  const headers: Record<string, string> = {};
  if (options.idempotencyKey !== undefined) headers[IDEMPOTENCY_KEY_HEADER] = options.idempotencyKey;
  if ('ifMatch' in options) {
    // `{ ifMatch: customer.etag }` with no etag must not turn into an unconditional write.
    if (options.ifMatch === undefined) throw new TypeError('ifMatch is undefined: the read carried no ETag');
    headers['If-Match'] = options.ifMatch;
  }
  const { timeoutMs } = options;
  return {
    headers,
    ...(options.signal === undefined ? {} : { signal: options.signal }),
    ...(timeoutMs === undefined ? {} : { fetch: (request: Request) => send(request, { timeoutMs }) }),
  };
}

/**
 * The body of a 2xx answer. Every non-2xx answer was already thrown as a GatewayError by the
 * client's middleware, so a missing body here means the document promised one the gateway did not
 * send.
 */
export function bodyOf<T>(result: { data?: T; response: Response }): T {
  if (result.data === undefined) {
    throw new Error(`${result.response.url} answered ${result.response.status} without a body`);
  }
  return result.data;
}

/** The body of a 2xx answer with the `ETag` the gateway sent with it. */
export function taggedBodyOf<T extends object>(result: { data?: T; response: Response }): Tagged<T> {
  const body = bodyOf(result);
  const etag = result.response.headers.get('etag') ?? undefined;
  return Object.defineProperty(body, 'etag', { value: etag, enumerable: false }) as Tagged<T>;
}
