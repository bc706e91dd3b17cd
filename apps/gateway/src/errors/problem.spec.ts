import { HttpException } from '@nestjs/common';
import {
  DOMAIN_ERROR_CODES,
  DomainError,
  PROVIDER_ERROR_KINDS,
  ProviderError,
  type ProviderErrorKind,
} from '@app/domain';

import { HTTP_ERROR_CODES, HttpError } from './http-error';
import { isRefusedUpFront, PROBLEMS, type ProblemCode, toProblem } from './problem';

const providerError = (kind: ProviderErrorKind, extra: { retryAfterMs?: number } = {}) =>
  new ProviderError({
    provider: 'digital-river',
    account: 'default',
    kind,
    status: 400,
    providerCode: 'their_code',
    providerMessage: 'their message',
    ...extra,
  });

/** One error of each code, as the code that raises it would. */
const RAISED: Record<ProblemCode, () => unknown> = {
  ...(Object.fromEntries(
    DOMAIN_ERROR_CODES.map((code) => [code, () => new DomainError(code, `a ${code}`)]),
  ) as Record<(typeof DOMAIN_ERROR_CODES)[number], () => unknown>),
  ...(Object.fromEntries(
    HTTP_ERROR_CODES.map((code) => [code, () => new HttpError(code, `a ${code}`)]),
  ) as Record<(typeof HTTP_ERROR_CODES)[number], () => unknown>),
  provider_rejected: () => providerError('rejected'),
  provider_conflict: () => providerError('conflict'),
  provider_not_found: () => providerError('not_found'),
  provider_auth_failed: () => providerError('auth'),
  provider_rate_limited: () => providerError('rate_limited', { retryAfterMs: 2_500 }),
  provider_unavailable: () => providerError('unavailable'),
  provider_bad_response: () => providerError('bad_response'),
};

/** What each code is answered with: the contract callers branch on. */
const EXPECTED: Record<
  ProblemCode,
  { status: number; title: string; retryable: boolean; refusedUpFront: boolean }
> = {
  validation_failed: { status: 400, title: 'Bad Request', retryable: false, refusedUpFront: true },
  malformed_json: { status: 400, title: 'Bad Request', retryable: false, refusedUpFront: true },
  provider_unknown: { status: 400, title: 'Bad Request', retryable: false, refusedUpFront: false },
  unauthenticated: { status: 401, title: 'Unauthorized', retryable: false, refusedUpFront: true },
  forbidden: { status: 403, title: 'Forbidden', retryable: false, refusedUpFront: true },
  customer_not_found: { status: 404, title: 'Not Found', retryable: false, refusedUpFront: false },
  migration_not_found: { status: 404, title: 'Not Found', retryable: false, refusedUpFront: false },
  provider_customer_not_found: { status: 404, title: 'Not Found', retryable: false, refusedUpFront: false },
  route_not_found: { status: 404, title: 'Not Found', retryable: false, refusedUpFront: true },
  method_not_allowed: { status: 405, title: 'Method Not Allowed', retryable: false, refusedUpFront: true },
  external_reference_taken: { status: 409, title: 'Conflict', retryable: false, refusedUpFront: false },
  provider_reference_taken: { status: 409, title: 'Conflict', retryable: false, refusedUpFront: false },
  customer_forgotten: { status: 409, title: 'Conflict', retryable: false, refusedUpFront: false },
  customer_gone: { status: 410, title: 'Gone', retryable: false, refusedUpFront: false },
  idempotency_request_in_progress: { status: 409, title: 'Conflict', retryable: true, refusedUpFront: true },
  provider_rules_violated: {
    status: 422,
    title: 'Unprocessable Content',
    retryable: false,
    refusedUpFront: true,
  },
  default_source_not_attached: {
    status: 422,
    title: 'Unprocessable Content',
    retryable: false,
    refusedUpFront: true,
  },
  provider_conflict: { status: 409, title: 'Conflict', retryable: false, refusedUpFront: false },
  provider_not_found: { status: 409, title: 'Conflict', retryable: false, refusedUpFront: false },
  precondition_failed: { status: 412, title: 'Precondition Failed', retryable: false, refusedUpFront: true },
  payload_too_large: { status: 413, title: 'Content Too Large', retryable: false, refusedUpFront: true },
  unsupported_media_type: {
    status: 415,
    title: 'Unsupported Media Type',
    retryable: false,
    refusedUpFront: true,
  },
  idempotency_key_reused: {
    status: 422,
    title: 'Unprocessable Content',
    retryable: false,
    refusedUpFront: true,
  },
  unsupported_by_provider: {
    status: 422,
    title: 'Unprocessable Content',
    retryable: false,
    refusedUpFront: false,
  },
  event_not_found: { status: 404, title: 'Not Found', retryable: false, refusedUpFront: false },
  webhook_endpoint_not_found: { status: 404, title: 'Not Found', retryable: false, refusedUpFront: false },
  webhook_delivery_not_found: { status: 404, title: 'Not Found', retryable: false, refusedUpFront: false },
  not_ready: { status: 503, title: 'Service Unavailable', retryable: true, refusedUpFront: false },
  database_unavailable: {
    status: 503,
    title: 'Service Unavailable',
    retryable: true,
    refusedUpFront: false,
  },
  reconciliation_not_found: { status: 404, title: 'Not Found', retryable: false, refusedUpFront: false },
  migration_already_running: { status: 409, title: 'Conflict', retryable: false, refusedUpFront: false },
  reconciliation_already_running: { status: 409, title: 'Conflict', retryable: false, refusedUpFront: false },
  malformed_request: { status: 400, title: 'Bad Request', retryable: false, refusedUpFront: true },
  request_timeout: { status: 408, title: 'Request Timeout', retryable: false, refusedUpFront: true },
  headers_too_large: {
    status: 431,
    title: 'Request Header Fields Too Large',
    retryable: false,
    refusedUpFront: true,
  },
  rate_limited: { status: 429, title: 'Too Many Requests', retryable: true, refusedUpFront: true },
  provider_rejected: { status: 422, title: 'Unprocessable Content', retryable: false, refusedUpFront: false },
  internal_error: { status: 500, title: 'Internal Server Error', retryable: true, refusedUpFront: false },
  provider_auth_failed: { status: 502, title: 'Bad Gateway', retryable: false, refusedUpFront: false },
  provider_unavailable: { status: 502, title: 'Bad Gateway', retryable: true, refusedUpFront: false },
  provider_bad_response: { status: 502, title: 'Bad Gateway', retryable: false, refusedUpFront: false },
  provider_rate_limited: {
    status: 503,
    title: 'Service Unavailable',
    retryable: true,
    refusedUpFront: false,
  },
};

describe('the problem table', () => {
  it('has a row for every code the domain, the providers and HTTP can produce, and no other', () => {
    const providerCodes = PROVIDER_ERROR_KINDS.map((kind) => toProblem(providerError(kind), {}).body.code);
    expect(Object.keys(PROBLEMS).sort()).toEqual(
      [...DOMAIN_ERROR_CODES, ...HTTP_ERROR_CODES, ...providerCodes].sort(),
    );
    expect(Object.keys(EXPECTED).sort()).toEqual(Object.keys(PROBLEMS).sort());
  });

  describe.each(Object.entries(EXPECTED) as [ProblemCode, (typeof EXPECTED)[ProblemCode]][])(
    '%s',
    (code, expected) => {
      it(`is answered ${expected.status} ${expected.title}, retryable: ${expected.retryable}`, () => {
        const { status, body } = toProblem(RAISED[code](), { requestId: 'req-1', path: '/v1/x' });
        expect({ status, title: body.title, retryable: body.retryable }).toEqual({
          status: expected.status,
          title: expected.title,
          retryable: expected.retryable,
        });
        expect(body).toMatchObject({
          code,
          type: `urn:customer-sync:problem:${code}`,
          status: expected.status,
          requestId: 'req-1',
          instance: '/v1/x',
        });
      });

      it(`${expected.refusedUpFront ? 'says' : 'does not say'} that nothing was carried out`, () => {
        expect(isRefusedUpFront(code)).toBe(expected.refusedUpFront);
      });
    },
  );

  it('passes on what the provider said only when it refused, never for our credentials', () => {
    expect(toProblem(providerError('rejected'), {}).body).toMatchObject({
      provider: 'digital-river',
      account: 'default',
      providerCode: 'their_code',
      providerMessage: 'their message',
    });
    const auth = toProblem(providerError('auth'), {}).body;
    expect(auth).toMatchObject({ provider: 'digital-river', account: 'default' });
    expect(auth).not.toHaveProperty('providerCode');
    expect(auth).not.toHaveProperty('providerMessage');
  });

  it("tells the caller when to retry from the provider's Retry-After, in whole seconds", () => {
    expect(toProblem(providerError('rate_limited', { retryAfterMs: 2_500 }), {}).headers).toEqual({
      'Retry-After': '3',
    });
  });

  it('asks an unauthenticated caller for a bearer key', () => {
    expect(toProblem(new DomainError('unauthenticated', 'no key'), {}).headers).toEqual({
      'WWW-Authenticate': 'Bearer',
    });
  });

  it('answers anything unclassified as internal_error, without its message', () => {
    const { status, body } = toProblem(new Error('secret detail from a library'), {});
    expect({ status, code: body.code, retryable: body.retryable }).toEqual({
      status: 500,
      code: 'internal_error',
      retryable: true,
    });
    expect(JSON.stringify(body)).not.toContain('secret detail');
  });

  it('answers a lost or unreachable database as database_unavailable, 503 with Retry-After', () => {
    // As @prisma/adapter-pg wraps a refused connection, and as pg reports a terminated session.
    const refused = Object.assign(new Error("Can't reach database server at 127.0.0.1:1"), {
      name: 'PrismaClientKnownRequestError',
      code: 'P1001',
      meta: { driverAdapterError: { cause: { kind: 'DatabaseNotReachable' } } },
    });
    const terminated = Object.assign(new Error('terminating connection due to administrator command'), {
      code: '57P01',
      severity: 'FATAL',
    });
    for (const error of [refused, terminated, new Error('Connection terminated unexpectedly')]) {
      const { status, body, headers } = toProblem(error, {});
      expect({ status, code: body.code, retryable: body.retryable }).toEqual({
        status: 503,
        code: 'database_unavailable',
        retryable: true,
      });
      expect(headers['Retry-After']).toMatch(/^[1-9]\d*$/);
    }
    // A statement the database refused is still ours to fix.
    const syntax = Object.assign(new Error('syntax error'), { code: '42601', severity: 'ERROR' });
    expect(toProblem(syntax, {}).body.code).toBe('internal_error');
  });

  it("maps Fastify's refusal of a path that is not valid percent-encoding to the path's field error", () => {
    const badUrl = Object.assign(new Error("'/v1/%E0' is not a valid url component"), {
      code: 'FST_ERR_BAD_URL',
      statusCode: 400,
    });
    const problem = toProblem(new HttpException(badUrl.message, 400, { cause: badUrl }), {});
    expect(problem.body.code).toBe('validation_failed');
    expect(problem.body.errors).toEqual([
      expect.objectContaining({ field: 'path', code: 'invalid_encoding' }),
    ]);
    const other = toProblem(new HttpException('Bad Request', 400), {});
    expect(other.body.code).toBe('validation_failed');
    expect(other.body.errors).toBeUndefined();
  });

  it.each([
    [404, 'route_not_found'],
    [405, 'method_not_allowed'],
    [413, 'payload_too_large'],
    [415, 'unsupported_media_type'],
  ])("maps Nest's HttpException %d to %s", (status, code) => {
    expect(toProblem(new HttpException('nope', status), {}).body.code).toBe(code);
  });

  it('does not treat an unknown code as refused up front', () => {
    expect(isRefusedUpFront('no_such_code')).toBe(false);
  });
});
