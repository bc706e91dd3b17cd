import { HttpException } from '@nestjs/common';
import {
  DomainError,
  type DomainErrorCode,
  type FieldError,
  ProviderError,
  type ProviderErrorKind,
} from '@app/customer-domain';

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
  /** The offending input fields, for validation errors. */
  errors?: FieldError[];
  requestId?: string;
  instance?: string;
  /** Set when a provider refused: which one, and its own code and message. */
  provider?: string;
  account?: string;
  providerCode?: string;
  providerMessage?: string;
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

const DOMAIN_STATUS: Record<DomainErrorCode, number> = {
  validation_failed: 400,
  malformed_json: 400,
  malformed_request: 400,
  request_timeout: 408,
  headers_too_large: 431,
  rate_limited: 429,
  provider_unknown: 400,
  unauthenticated: 401,
  forbidden: 403,
  customer_not_found: 404,
  migration_not_found: 404,
  route_not_found: 404,
  method_not_allowed: 405,
  external_reference_taken: 409,
  provider_reference_taken: 409,
  provider_customer_not_found: 404,
  customer_forgotten: 409,
  idempotency_request_in_progress: 409,
  precondition_failed: 412,
  payload_too_large: 413,
  unsupported_media_type: 415,
  idempotency_key_reused: 422,
  unsupported_by_provider: 422,
  internal_error: 500,
};

/** How each way a provider can fail reaches our caller. */
const PROVIDER_PROBLEM: Record<ProviderErrorKind, { status: number; code: string; detail: string }> = {
  rejected: { status: 422, code: 'provider_rejected', detail: 'The provider rejected the request.' },
  conflict: { status: 409, code: 'provider_conflict', detail: 'The provider reported a conflict.' },
  not_found: {
    status: 409,
    code: 'provider_not_found',
    detail: 'The provider no longer has the customer this gateway links to.',
  },
  // Our credentials are wrong: nothing the caller can fix, and no provider detail is passed on.
  auth: {
    status: 502,
    code: 'provider_auth_failed',
    detail: 'The gateway could not authenticate with the provider.',
  },
  rate_limited: {
    status: 503,
    code: 'provider_rate_limited',
    detail: 'The provider is rate limiting the gateway.',
  },
  unavailable: { status: 502, code: 'provider_unavailable', detail: 'The provider could not be reached.' },
  bad_response: {
    status: 502,
    code: 'provider_bad_response',
    detail: 'The provider answered with something the gateway could not understand.',
  },
};

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
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

/** Errors raised by Express's body parser carry a `type` and a `status` of their own. */
interface BodyParserError {
  type: string;
  status: number;
}

function isBodyParserError(error: unknown): error is BodyParserError {
  return (
    typeof error === 'object' &&
    error !== null &&
    typeof (error as Partial<BodyParserError>).type === 'string' &&
    typeof (error as Partial<BodyParserError>).status === 'number'
  );
}

/** Nest wraps Express's own errors (body parser, bad path encoding) in HttpExceptions. */
function fromHttpException(error: HttpException): DomainError {
  if (isBodyParserError(error.cause)) return fromBodyParser(error.cause);
  const status = error.getStatus();
  if (status === 400) {
    return error.cause instanceof SyntaxError
      ? new DomainError('malformed_json', 'The request body is not valid JSON.')
      : new DomainError('validation_failed', 'The request could not be read.');
  }
  if (status === 404) return new DomainError('route_not_found', 'No such route.');
  if (status === 405) return new DomainError('method_not_allowed', 'This route does not accept that method.');
  if (status === 413) return new DomainError('payload_too_large', 'The request body is too large.');
  if (status === 415) return new DomainError('unsupported_media_type', 'Send the body as application/json.');
  return new DomainError('internal_error', 'The gateway failed to handle the request.', [], { cause: error });
}

function fromBodyParser(error: BodyParserError): DomainError {
  switch (error.type) {
    case 'entity.too.large':
      return new DomainError('payload_too_large', 'The request body is too large.');
    case 'entity.parse.failed':
      return new DomainError('malformed_json', 'The request body is not valid JSON.');
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return new DomainError('unsupported_media_type', 'Send the body as UTF-8 application/json.');
    default:
      return new DomainError('malformed_json', 'The request body could not be read.');
  }
}

/** The single table from our error model to HTTP. */
export function toProblem(error: unknown, context: { requestId?: string; path?: string }): RenderedProblem {
  const headers: Record<string, string> = {};
  const base = { requestId: context.requestId, instance: context.path };

  if (error instanceof ProviderError) {
    const mapped = PROVIDER_PROBLEM[error.kind];
    if (error.retryAfterMs !== undefined)
      headers['Retry-After'] = String(Math.ceil(error.retryAfterMs / 1000));
    const showsProviderDetail =
      error.kind === 'rejected' || error.kind === 'conflict' || error.kind === 'not_found';
    return {
      status: mapped.status,
      headers,
      body: {
        type: problemType(mapped.code),
        title: TITLES[mapped.status] ?? 'Error',
        status: mapped.status,
        code: mapped.code,
        detail: mapped.detail,
        provider: error.provider,
        account: error.account,
        ...(showsProviderDetail
          ? { providerCode: error.providerCode, providerMessage: error.providerMessage }
          : {}),
        ...base,
      },
    };
  }

  const domain =
    error instanceof DomainError
      ? error
      : error instanceof HttpException
        ? fromHttpException(error)
        : isBodyParserError(error)
          ? fromBodyParser(error)
          : new DomainError('internal_error', 'The gateway failed to handle the request.', [], {
              cause: error,
            });
  const status = DOMAIN_STATUS[domain.code];
  if (domain.code === 'unauthenticated') headers['WWW-Authenticate'] = 'Bearer';
  if (domain.retryAfterMs !== undefined)
    headers['Retry-After'] = String(Math.max(1, Math.ceil(domain.retryAfterMs / 1000)));
  return {
    status,
    headers,
    body: {
      type: problemType(domain.code),
      title: TITLES[status] ?? 'Error',
      status,
      code: domain.code,
      detail: domain.message,
      ...(domain.fieldErrors.length > 0 ? { errors: domain.fieldErrors } : {}),
      ...base,
    },
  };
}
