/**
 * The one error model. Services and adapters throw these; `failureOf` names each failure with one
 * code wherever it is recorded (a link's last error, a migration item's reason), and the gateway's
 * exception filter is the only place that turns the same codes into HTTP responses. Codes that
 * only HTTP can produce (unknown routes, unreadable bodies, Idempotency-Key misuse) belong to the
 * gateway (`apps/gateway/src/errors/http-error.ts`).
 */

/** A problem with one input field: `field` is a dotted path such as `address.country`. */
export interface FieldError {
  field: string;
  code: string;
  message: string;
  /** Set when the problem is a provider's rule (`provider_rules_violated`): which provider. */
  provider?: string;
}

export const DOMAIN_ERROR_CODES = [
  'validation_failed',
  'customer_not_found',
  'migration_not_found',
  'event_not_found',
  'webhook_endpoint_not_found',
  'webhook_delivery_not_found',
  'reconciliation_not_found',
  'migration_already_running',
  'reconciliation_already_running',
  'external_reference_taken',
  'provider_reference_taken',
  'provider_customer_not_found',
  'customer_forgotten',
  /**
   * The customer was deleted; its tombstone answers 410 for TOMBSTONE_RETENTION_HOURS, with when
   * and what each provider still holds (`CustomerGoneError`). Not `customer_deleted`: that is
   * a migration's outcome reason (the table below is one list of unique codes).
   */
  'customer_gone',
  'precondition_failed',
  'unauthenticated',
  'forbidden',
  'provider_unknown',
  'unsupported_by_provider',
  'provider_rules_violated',
  'default_source_not_attached',
  'internal_error',
  /** The gateway is up but cannot serve yet: database unreachable or a migration not applied. */
  'not_ready',
  /** The database could not be reached or dropped the connection: nothing was changed; try again. */
  'database_unavailable',
] as const;
export type DomainErrorCode = (typeof DOMAIN_ERROR_CODES)[number];

export class DomainError extends Error {
  /**
   * Whether the same request may succeed later unchanged: after an unexpected failure
   * (`internal_error`), once the gateway is ready (`not_ready`), or once the database is back
   * (`database_unavailable`).
   */
  readonly retryable: boolean;

  constructor(
    readonly code: DomainErrorCode,
    message: string,
    readonly fieldErrors: FieldError[] = [],
    options?: { cause?: unknown; retryAfterMs?: number },
  ) {
    super(message, options);
    this.name = 'DomainError';
    this.retryable = code === 'internal_error' || code === 'not_ready' || code === 'database_unavailable';
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

/**
 * Each kind of provider failure: the code it is known by everywhere (HTTP problems, link errors,
 * migration reasons) and whether trying again later may succeed.
 */
export const PROVIDER_FAILURES = {
  rejected: { code: 'provider_rejected', retryable: false },
  conflict: { code: 'provider_conflict', retryable: false },
  not_found: { code: 'provider_not_found', retryable: false },
  auth: { code: 'provider_auth_failed', retryable: false },
  rate_limited: { code: 'provider_rate_limited', retryable: true },
  unavailable: { code: 'provider_unavailable', retryable: true },
  bad_response: { code: 'provider_bad_response', retryable: false },
} as const satisfies Record<ProviderErrorKind, { code: `provider_${string}`; retryable: boolean }>;
export type ProviderFailureCode = (typeof PROVIDER_FAILURES)[ProviderErrorKind]['code'];

/** Every code a failure below the HTTP layer can carry. */
export type ErrorCode = DomainErrorCode | ProviderFailureCode;

/**
 * Why a delivery, or one customer of a migration or reconciliation run, did not end as planned
 * when no thrown failure says it (those carry their ErrorCode): each code with where it is
 * produced. Recorded on a link's `lastError` or a run item's `reason`.
 */
export const OUTCOME_REASONS = {
  /** Migration (CustomerMigrator): the source account holds no customer under the reference. */
  not_found_at_source: 'The source provider holds no customer under this reference.',
  /** Migration (CustomerMigrator): the source says the customer asked to be forgotten. */
  forgotten_at_source: 'The customer asked the source provider to forget them.',
  /** Migration (CustomerMigrator): the source's copy is not a valid canonical customer. */
  invalid_at_source: 'The source customer is not a valid canonical customer.',
  /** Migration (CustomerMigrator): the mirror is deleting the customer. */
  customer_deleted: 'The customer is being deleted in the mirror.',
  /** Migration (CustomerMigrator): the target's copy is missing or differs after delivery. */
  verification_failed: "The target's copy is missing or differs from the mirror after delivery.",
  /** Migration (CustomerMigrator): forgetting the customer at the source did not settle. */
  cutover_failed: 'Forgetting the customer at the source failed.',
  /** Migration (CustomerMigrator), an `already_present` customer: the target held it already. */
  already_at_target:
    'The target already held the customer as the mirror has it; this run wrote nothing there.',
  /** Migration (CustomerMigrator), an `already_present` customer: another worker or run delivered it. */
  delivered_elsewhere:
    'Another worker or run delivered the customer to the target meanwhile; this run wrote nothing there.',
  /** Migration (reasonOfUnsettledLink): the target link did not settle, with no error of its own. */
  delivery_failed: 'The target did not accept the customer.',
  /** Reconciliation (CustomerReconciler): a copy is still out of sync after the repair. */
  repair_incomplete: 'A provider copy is still out of sync after the repair.',
  /** Sync engine: the provider still held the customer when read back after its delete. */
  delete_unconfirmed: 'The provider still held the customer after its delete.',
  /** Sync engine: the provider still held personal data after every erasure read-back. */
  erasure_unconfirmed: 'The provider still held personal data after its erasure was requested.',
} as const;
export type OutcomeReasonCode = keyof typeof OUTCOME_REASONS;

/** Every code a link's `lastError` or a run item's `reason` can carry: the closed list. */
export type ReasonCode = ErrorCode | OutcomeReasonCode;

export const REASON_CODES: readonly ReasonCode[] = [
  ...DOMAIN_ERROR_CODES,
  ...Object.values(PROVIDER_FAILURES).map((failure) => failure.code),
  ...(Object.keys(OUTCOME_REASONS) as OutcomeReasonCode[]),
];

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
  /** `providerParameter` (or the field named in the message) in canonical terms, e.g. `familyName`. */
  field?: string;
  /** From `Retry-After` on a 429 or 503. */
  retryAfterMs?: number;
  /** The provider's request id (DR `x-dr-requestid`), for support tickets. */
  providerRequestId?: string;
  /** Whether trying again later may succeed; the kind's default (PROVIDER_FAILURES) unless the client knows better. */
  retryable?: boolean;
}

export class ProviderError extends Error {
  readonly provider: string;
  readonly account: string;
  readonly kind: ProviderErrorKind;
  readonly status?: number;
  readonly providerCode?: string;
  readonly providerMessage?: string;
  readonly providerParameter?: string;
  readonly field?: string;
  readonly retryAfterMs?: number;
  readonly providerRequestId?: string;
  readonly retryable: boolean;

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
    this.field = details.field;
    this.retryAfterMs = details.retryAfterMs;
    this.providerRequestId = details.providerRequestId;
    this.retryable = details.retryable ?? PROVIDER_FAILURES[details.kind].retryable;
  }
}

/** The one code a failure is known by. Anything unclassified is a bug of ours: `internal_error`. */
export function codeOf(error: unknown): ErrorCode {
  if (error instanceof ProviderError) return PROVIDER_FAILURES[error.kind].code;
  if (error instanceof DomainError) return error.code;
  return 'internal_error';
}

/** A failure as it is recorded on a provider link or a migration item. */
export interface Failure {
  code: ErrorCode;
  message: string;
  retryable: boolean;
  /** The provider's own code and message, when a provider answered "no". */
  providerCode?: string;
  providerMessage?: string;
  /** The canonical field the provider's refusal is about, when it names one. */
  field?: string;
}

/**
 * Records a failure under its one code. `unexpectedMessage` replaces the message of an
 * unclassified error, which may quote input; such an error is retryable, as a later try may pass
 * once the bug or the lost database connection behind it is gone.
 */
export function failureOf(error: unknown, unexpectedMessage: string): Failure {
  if (error instanceof ProviderError) {
    return {
      code: codeOf(error),
      // The field the provider named leads the message, so a migration item's reason shows it.
      message: error.field !== undefined ? `${error.field}: ${error.message}` : error.message,
      retryable: error.retryable,
      ...(error.providerCode !== undefined ? { providerCode: error.providerCode } : {}),
      ...(error.providerMessage !== undefined ? { providerMessage: error.providerMessage } : {}),
      ...(error.field !== undefined ? { field: error.field } : {}),
    };
  }
  if (error instanceof DomainError)
    return { code: error.code, message: error.message, retryable: error.retryable };
  return { code: 'internal_error', message: unexpectedMessage, retryable: true };
}
