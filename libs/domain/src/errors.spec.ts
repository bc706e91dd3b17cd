import {
  codeOf,
  DomainError,
  failureOf,
  PROVIDER_ERROR_KINDS,
  ProviderError,
  type ProviderErrorKind,
} from './errors';

const providerError = (kind: ProviderErrorKind, extra: { retryable?: boolean } = {}) =>
  new ProviderError({
    provider: '2checkout',
    account: 'default',
    kind,
    providerCode: 'INVALID_CUSTOMER',
    providerMessage: 'Email is invalid',
    ...extra,
  });

describe('the one error code of a failure', () => {
  it.each<[ProviderErrorKind, string, boolean]>([
    ['rejected', 'provider_rejected', false],
    ['conflict', 'provider_conflict', false],
    ['not_found', 'provider_not_found', false],
    ['auth', 'provider_auth_failed', false],
    ['rate_limited', 'provider_rate_limited', true],
    ['unavailable', 'provider_unavailable', true],
    ['bad_response', 'provider_bad_response', false],
  ])('a provider failure of kind %s is %s, retryable: %s', (kind, code, retryable) => {
    const error = providerError(kind);
    expect(codeOf(error)).toBe(code);
    expect(error.retryable).toBe(retryable);
    expect(failureOf(error, 'unused')).toEqual({
      code,
      message: error.message,
      retryable,
      providerCode: 'INVALID_CUSTOMER',
      providerMessage: 'Email is invalid',
    });
  });

  it('covers every kind a provider client can classify', () => {
    expect(new Set(PROVIDER_ERROR_KINDS.map((kind) => codeOf(providerError(kind)))).size).toBe(
      PROVIDER_ERROR_KINDS.length,
    );
  });

  it('keeps the retryability the provider client decided at classification', () => {
    expect(providerError('conflict', { retryable: true }).retryable).toBe(true);
    expect(failureOf(providerError('unavailable', { retryable: false }), 'unused').retryable).toBe(false);
  });

  it("is a domain error's own code; only internal_error may pass on a later try", () => {
    expect(failureOf(new DomainError('validation_failed', 'The customer is not valid.'), 'unused')).toEqual({
      code: 'validation_failed',
      message: 'The customer is not valid.',
      retryable: false,
    });
    expect(new DomainError('internal_error', 'boom').retryable).toBe(true);
  });

  it('is internal_error for anything unclassified, with our message instead of its own', () => {
    const error = new TypeError('cannot read properties of undefined (reading "email")');
    expect(codeOf(error)).toBe('internal_error');
    expect(failureOf(error, 'The gateway failed while delivering to the provider.')).toEqual({
      code: 'internal_error',
      message: 'The gateway failed while delivering to the provider.',
      retryable: true,
    });
  });
});
