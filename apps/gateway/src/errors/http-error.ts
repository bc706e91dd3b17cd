/**
 * Failures only the HTTP layer can produce: a route or method that does not exist, a body that
 * cannot be read, an Idempotency-Key used wrongly. The domain never sees them; the problem table
 * (`problem.ts`) maps them to HTTP like every other code.
 */
export const HTTP_ERROR_CODES = [
  'route_not_found',
  'method_not_allowed',
  'payload_too_large',
  'unsupported_media_type',
  'malformed_json',
  'idempotency_key_reused',
  'idempotency_request_in_progress',
  'malformed_request',
  'request_timeout',
  'headers_too_large',
  'rate_limited',
] as const;
export type HttpErrorCode = (typeof HTTP_ERROR_CODES)[number];

export class HttpError extends Error {
  /**
   * Only a request whose key is still held by another, or one over its rate limit, may succeed
   * when sent again unchanged.
   */
  readonly retryable: boolean;

  constructor(
    readonly code: HttpErrorCode,
    message: string,
    /** When the caller may try again (a `rate_limited` answer's `Retry-After`). */
    readonly retryAfterMs?: number,
  ) {
    super(message);
    this.name = 'HttpError';
    this.retryable = code === 'idempotency_request_in_progress' || code === 'rate_limited';
  }
}
