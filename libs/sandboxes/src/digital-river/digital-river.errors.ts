import { type SandboxResponse, SandboxHttpError } from '../shared/sandbox-server';

/**
 * DR error body: `{type, errors: [{code, parameter?, message}]}` (DR's PHP SDK docs/Model/Errors.md,
 * Error.md; DR's docs source examples show `parameter` may be absent). Types and codes come from the DR's PHP SDK
 * ObjectSerializer.php tables.
 */
export interface DigitalRiverErrorItem {
  code: string;
  parameter?: string;
  message: string;
}

export interface DigitalRiverErrorBody {
  type: string;
  errors: DigitalRiverErrorItem[];
}

export function drErrorResponse(
  status: number,
  type: string,
  errors: DigitalRiverErrorItem[],
  headers?: Record<string, string>,
): SandboxResponse {
  const body: DigitalRiverErrorBody = { type, errors };
  return headers ? { status, body, headers } : { status, body };
}

export function drError(
  status: number,
  type: string,
  code: string,
  message: string,
  parameter?: string,
): never {
  const item: DigitalRiverErrorItem =
    parameter === undefined ? { code, message } : { code, parameter, message };
  throw new SandboxHttpError(drErrorResponse(status, type, [item]));
}

export function drNotFound(parameter: string, message: string, code = 'not_found'): never {
  return drError(404, 'not_found', code, message, parameter);
}

/** Status -> DR error type, for injected faults and framework errors (the types DR's PHP SDK lists). */
export function drErrorForStatus(status: number, message: string): SandboxResponse {
  const type =
    status === 401 || status === 403
      ? 'unauthorized'
      : status === 404
        ? 'not_found'
        : status === 408
          ? 'request_timeout'
          : status === 409
            ? 'conflict'
            : status === 429
              ? 'too_many_requests'
              : status >= 500
                ? 'internal_server_error'
                : 'bad_request';
  const code = type === 'bad_request' ? 'invalid_parameter' : type;
  return drErrorResponse(status, type, [{ code, message }]);
}

/** 429 with `Retry-After` in whole seconds (DR's docs source developer-resources/rate-limiting.md). */
export function drRateLimited(retryAfterSeconds: number): SandboxResponse {
  return drErrorResponse(
    429,
    'too_many_requests',
    [{ code: 'too_many_requests', message: 'Too many requests. Retry after the time given in Retry-After.' }],
    { 'retry-after': String(retryAfterSeconds) },
  );
}
