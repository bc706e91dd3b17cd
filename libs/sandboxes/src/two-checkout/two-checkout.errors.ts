import { type SandboxResponse, SandboxHttpError } from '../shared/sandbox-server';

/**
 * 2Checkout error body `{error_code, message}` (Ruby SDK lib/twocheckout_client/api.rb
 * handle_error_response; 2checkout-node lib/api-core.js). No 2CO page documents customer error
 * codes, so apart from AUTHENTICATION_ERROR (asserted by the Ruby SDK tests) the codes are ours,
 * listed in the README.
 */
export interface TwoCheckoutErrorBody {
  error_code: string;
  message: string;
}

export function tcoErrorResponse(
  status: number,
  errorCode: string,
  message: string,
  headers?: Record<string, string>,
): SandboxResponse {
  const body: TwoCheckoutErrorBody = { error_code: errorCode, message };
  return headers ? { status, body, headers } : { status, body };
}

export function tcoError(
  status: number,
  errorCode: string,
  message: string,
  headers?: Record<string, string>,
): never {
  throw new SandboxHttpError(tcoErrorResponse(status, errorCode, message, headers));
}

/** Status -> error_code, for injected faults and framework errors. */
export function tcoErrorForStatus(status: number, message: string): SandboxResponse {
  const code =
    status === 401
      ? 'AUTHENTICATION_ERROR'
      : status === 403
        ? 'FORBIDDEN'
        : status === 404
          ? 'NOT_FOUND'
          : status === 405
            ? 'METHOD_NOT_ALLOWED'
            : status === 409
              ? 'CONFLICT'
              : status === 429
                ? 'TOO_MANY_REQUESTS'
                : status === 503
                  ? 'SERVICE_UNAVAILABLE'
                  : status >= 500
                    ? 'INTERNAL_SERVER_ERROR'
                    : 'BAD_REQUEST';
  return tcoErrorResponse(status, code, message);
}

export function tcoRateLimited(retryAfterSeconds: number): SandboxResponse {
  return tcoErrorResponse(
    429,
    'TOO_MANY_REQUESTS',
    'Too many requests. Retry after the time given in Retry-After.',
    {
      'retry-after': String(retryAfterSeconds),
    },
  );
}
