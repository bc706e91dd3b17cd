/**
 * The one error model. Services and adapters throw these; the gateway's exception filter is the
 * only place that turns them into HTTP responses, and the migration job reads the same `code`s.
 */

/** A problem with one input field: `field` is a dotted path such as `address.country`. */
export interface FieldError {
  field: string;
  code: string;
  message: string;
}

export const DOMAIN_ERROR_CODES = [
  'validation_failed',
  'customer_not_found',
  'migration_not_found',
  'external_reference_taken',
  'provider_reference_taken',
  'provider_customer_not_found',
  'customer_forgotten',
  'precondition_failed',
  'idempotency_key_reused',
  'idempotency_request_in_progress',
  'unauthenticated',
  'forbidden',
  'route_not_found',
  'method_not_allowed',
  'payload_too_large',
  'unsupported_media_type',
  'malformed_json',
  'malformed_request',
  'request_timeout',
  'headers_too_large',
  'rate_limited',
  'provider_unknown',
  'unsupported_by_provider',
  'internal_error',
] as const;
export type DomainErrorCode = (typeof DOMAIN_ERROR_CODES)[number];

export class DomainError extends Error {
  /** When the caller may try again (a `rate_limited` answer's `Retry-After`). */
  readonly retryAfterMs: number | undefined;

  constructor(
    readonly code: DomainErrorCode,
    message: string,
    readonly fieldErrors: FieldError[] = [],
    options?: { cause?: unknown; retryAfterMs?: number },
  ) {
    super(message, options);
    this.name = 'DomainError';
    this.retryAfterMs = options?.retryAfterMs;
  }
}

/**
 * How a provider call failed, classified once by the provider's client.
 * `rejected`, `conflict` and `not_found` mean the provider answered "no" (not retryable);
 * `rate_limited` and `unavailable` mean we could not get an answer (retryable);
 * `auth` and `bad_response` mean our configuration or the provider's API changed (alert).
 */
export const PROVIDER_ERROR_KINDS = [
  'rejected',
  'conflict',
  'not_found',
  'auth',
  'rate_limited',
  'unavailable',
  'bad_response',
] as const;
export type ProviderErrorKind = (typeof PROVIDER_ERROR_KINDS)[number];

export interface ProviderErrorDetails {
  provider: string;
  account: string;
  kind: ProviderErrorKind;
  /** HTTP status the provider answered with, absent when no answer came (timeout, reset). */
  status?: number;
  /** The provider's own error code, e.g. DR `already_exists`, 2CO `AUTHENTICATION_ERROR`. */
  providerCode?: string;
  /** The provider's own message, kept for support; never contains our secrets. */
  providerMessage?: string;
  /** The provider's parameter name the error is about, when it says. */
  providerParameter?: string;
  /** From `Retry-After` on a 429 or 503. */
  retryAfterMs?: number;
  /** The provider's request id (DR `x-dr-requestid`), for support tickets. */
  providerRequestId?: string;
}

export class ProviderError extends Error {
  readonly provider: string;
  readonly account: string;
  readonly kind: ProviderErrorKind;
  readonly status?: number;
  readonly providerCode?: string;
  readonly providerMessage?: string;
  readonly providerParameter?: string;
  readonly retryAfterMs?: number;
  readonly providerRequestId?: string;

  constructor(details: ProviderErrorDetails, message?: string) {
    super(
      message ??
        `${details.provider} ${details.kind}${details.providerCode ? ` (${details.providerCode})` : ''}`,
    );
    this.name = 'ProviderError';
    this.provider = details.provider;
    this.account = details.account;
    this.kind = details.kind;
    this.status = details.status;
    this.providerCode = details.providerCode;
    this.providerMessage = details.providerMessage;
    this.providerParameter = details.providerParameter;
    this.retryAfterMs = details.retryAfterMs;
    this.providerRequestId = details.providerRequestId;
  }

  get retryable(): boolean {
    return this.kind === 'rate_limited' || this.kind === 'unavailable';
  }
}
