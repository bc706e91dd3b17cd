import { HttpException } from '@nestjs/common';
import {
  codeOf,
  CustomerGoneError,
  DomainError,
  type ErrorCode,
  type FieldError,
  ProviderError,
  type ProviderErrorKind,
} from '@app/domain';
import { isDatabaseUnreachable } from '@app/persistence';

import { HttpError, type HttpErrorCode } from './http-error';

/**
 * RFC 9457 problem details, the one shape every error takes. `code` is the stable, documented
 * identifier callers branch on; `type` is the same code as a URI, as the RFC asks.
 */
export interface Problem {
  type: string;
  title: string;
  status: number;
  code: string;
  detail: string;
  /** Whether sending the same request again later may succeed (a rate limit or an outage may pass). */
  retryable: boolean;
  /** The offending input fields, for validation errors. */
  errors?: FieldError[];
  requestId?: string;
  instance?: string;
  /** Set when a provider refused: which one, and its own code and message. */
  provider?: string;
  account?: string;
  providerCode?: string;
  providerMessage?: string;
  /** For `customer_gone`: when the customer was deleted (ISO 8601). */
  deletedAt?: string;
  /** For `customer_gone`: what each provider account still holds (`remaining`, `[]` for nothing). */
  providers?: {
    provider: string;
    account: string;
    outcome: string;
    remaining: string[];
    erasure?: unknown;
    error?: unknown;
  }[];
}

export interface RenderedProblem {
  status: number;
  body: Problem;
  headers: Record<string, string>;
}

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

export function problemType(code: string): string {
  return `urn:customer-sync:problem:${code}`;
}

/** Every code an answer can carry: the domain's, the providers', and those only HTTP produces. */
export type ProblemCode = ErrorCode | HttpErrorCode;

interface ProblemSpec {
  status: number;
  /**
   * The answer says the request was refused before anything was carried out, so the caller can fix
   * it (or wait) and send it again under the same Idempotency-Key: such answers are not kept.
   */
  refusedUpFront: boolean;
}

const refused = (status: number): ProblemSpec => ({ status, refusedUpFront: true });
const answered = (status: number): ProblemSpec => ({ status, refusedUpFront: false });

/** The single table from every code to HTTP. */
export const PROBLEMS: Record<ProblemCode, ProblemSpec> = {
  validation_failed: refused(400),
  malformed_json: refused(400),
  provider_unknown: answered(400),
  unauthenticated: refused(401),
  forbidden: refused(403),
  customer_not_found: answered(404),
  migration_not_found: answered(404),
  provider_customer_not_found: answered(404),
  route_not_found: refused(404),
  method_not_allowed: refused(405),
  external_reference_taken: answered(409),
  provider_reference_taken: answered(409),
  customer_forgotten: answered(409),
  // The customer was deleted: its tombstone says when and what remains where, until the
  // retention ends (then 404).
  customer_gone: answered(410),
  idempotency_request_in_progress: refused(409),
  provider_conflict: answered(409),
  // The link points at a customer the provider no longer has: the caller must decide what to do.
  provider_not_found: answered(409),
  precondition_failed: refused(412),
  payload_too_large: refused(413),
  unsupported_media_type: refused(415),
  idempotency_key_reused: refused(422),
  unsupported_by_provider: answered(422),
  // Refused before any provider call, listing every rule at once; nothing was written.
  provider_rules_violated: refused(422),
  default_source_not_attached: refused(422),
  provider_rejected: answered(422),
  event_not_found: answered(404),
  webhook_endpoint_not_found: answered(404),
  webhook_delivery_not_found: answered(404),
  not_ready: answered(503),
  // The database went away: the write could not commit (or a read could not run). Not "refused up
  // front": a request that committed before the connection was lost may have been carried out,
  // and a retry under the same Idempotency-Key resumes from its recovery point.
  database_unavailable: answered(503),
  reconciliation_not_found: answered(404),
  migration_already_running: answered(409),
  reconciliation_already_running: answered(409),
  malformed_request: refused(400),
  rate_limited: refused(429),
  request_timeout: refused(408),
  headers_too_large: refused(431),
  internal_error: answered(500),
  // Our credentials are wrong: nothing the caller can fix, and no provider detail is passed on.
  provider_auth_failed: answered(502),
  provider_unavailable: answered(502),
  provider_bad_response: answered(502),
  provider_rate_limited: answered(503),
};

/**
 * When a caller should try again after the database was unreachable: PostgreSQL restarts in
 * seconds, and a reconnect is attempted on every request, so a short wait is the honest answer.
 */
export const DATABASE_RETRY_AFTER_SECONDS = 2;

/** Whether an answer with this code says nothing was carried out (see ProblemSpec). */
export function isRefusedUpFront(code: string): boolean {
  return code in PROBLEMS && PROBLEMS[code as ProblemCode].refusedUpFront;
}

/** What the caller is told when a provider fails; the provider's own words only when it refused. */
const PROVIDER_DETAIL: Record<ProviderErrorKind, string> = {
  rejected: 'The provider rejected the request.',
  conflict: 'The provider reported a conflict.',
  not_found: 'The provider no longer has the customer this gateway links to.',
  auth: 'The gateway could not authenticate with the provider.',
  rate_limited: 'The provider is rate limiting the gateway.',
  unavailable: 'The provider could not be reached.',
  bad_response: 'The provider answered with something the gateway could not understand.',
};

export const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  410: 'Gone',
  412: 'Precondition Failed',
  413: 'Content Too Large',
  408: 'Request Timeout',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  429: 'Too Many Requests',
  431: 'Request Header Fields Too Large',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
};

/** Fastify's own errors (https://fastify.dev/docs/latest/Reference/Errors/) carry a code of their own. */
function fastifyCodeOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' && code.startsWith('FST_') ? code : undefined;
}

/**
 * Nest wraps what Fastify refuses before a handler runs (a path that is not valid percent-encoding,
 * a body over the limit, a Content-Length that does not match) in HttpExceptions.
 */
function fromHttpException(error: HttpException): DomainError | HttpError {
  const status = error.getStatus();
  if (status === 400) {
    // The router decodes the path to match a route, before any hook of ours.
    if (fastifyCodeOf(error.cause) === 'FST_ERR_BAD_URL') {
      const message = 'The path is not valid percent-encoded UTF-8.';
      return new DomainError('validation_failed', message, [
        { field: 'path', code: 'invalid_encoding', message },
      ]);
    }
    return new DomainError('validation_failed', 'The request could not be read.');
  }
  if (status === 404) return new HttpError('route_not_found', 'No such route.');
  if (status === 405) return new HttpError('method_not_allowed', 'This route does not accept that method.');
  if (status === 413) return new HttpError('payload_too_large', 'The request body is too large.');
  if (status === 415) return new HttpError('unsupported_media_type', 'Send the body as application/json.');
  return new DomainError('internal_error', 'The gateway failed to handle the request.', [], { cause: error });
}

/** Renders any error through the one table. */
export function toProblem(error: unknown, context: { requestId?: string; path?: string }): RenderedProblem {
  const headers: Record<string, string> = {};
  const base = { requestId: context.requestId, instance: context.path };

  if (error instanceof ProviderError) {
    const code = codeOf(error);
    const { status } = PROBLEMS[code];
    if (error.retryAfterMs !== undefined)
      headers['Retry-After'] = String(Math.ceil(error.retryAfterMs / 1000));
    const showsProviderDetail =
      error.kind === 'rejected' || error.kind === 'conflict' || error.kind === 'not_found';
    return {
      status,
      headers,
      body: {
        type: problemType(code),
        title: TITLES[status] ?? 'Error',
        status,
        code,
        detail: PROVIDER_DETAIL[error.kind],
        retryable: error.retryable,
        provider: error.provider,
        account: error.account,
        ...(showsProviderDetail
          ? { providerCode: error.providerCode, providerMessage: error.providerMessage }
          : {}),
        ...base,
      },
    };
  }

  const known =
    error instanceof DomainError || error instanceof HttpError
      ? error
      : error instanceof HttpException
        ? fromHttpException(error)
        : isDatabaseUnreachable(error)
          ? new DomainError('database_unavailable', 'The database is unavailable; nothing was changed.', [], {
              cause: error,
            })
          : new DomainError('internal_error', 'The gateway failed to handle the request.', [], {
              cause: error,
            });
  const { status } = PROBLEMS[known.code];
  if (known.code === 'unauthenticated') headers['WWW-Authenticate'] = 'Bearer';
  const fieldErrors = known instanceof DomainError ? known.fieldErrors : [];
  if (known instanceof HttpError && known.retryAfterMs !== undefined)
    headers['Retry-After'] = String(Math.max(1, Math.ceil(known.retryAfterMs / 1000)));
  if (known.code === 'database_unavailable' || known.code === 'not_ready')
    headers['Retry-After'] = String(DATABASE_RETRY_AFTER_SECONDS);
  return {
    status,
    headers,
    body: {
      type: problemType(known.code),
      title: TITLES[status] ?? 'Error',
      status,
      code: known.code,
      detail: known.message,
      retryable: known.retryable,
      ...(fieldErrors.length > 0 ? { errors: fieldErrors } : {}),
      ...(known instanceof CustomerGoneError
        ? {
            deletedAt: known.tombstone.deletedAt.toISOString(),
            providers: known.tombstone.providers,
          }
        : {}),
      ...base,
    },
  };
}
