import { DomainError, type LinkError, ProviderError } from '@app/customer-domain';

import { type OutcomeReason } from './migration';

/**
 * The field an error is about, when it says: the first field error of a refused canonical
 * customer, else the field (or the provider's own parameter name) a provider error carries.
 */
function fieldOf(error: unknown): string | undefined {
  if (error instanceof DomainError) return error.fieldErrors[0]?.field;
  if (typeof error !== 'object' || error === null) return undefined;
  const { field, providerParameter } = error as { field?: unknown; providerParameter?: unknown };
  if (typeof field === 'string') return field;
  return typeof providerParameter === 'string' ? providerParameter : undefined;
}

const withField = (reason: OutcomeReason, error: unknown): OutcomeReason => {
  const field = fieldOf(error);
  return field === undefined ? reason : { ...reason, field };
};

/** Why a customer of a run failed, from the error its work threw. */
export function reasonOf(error: unknown, failed = 'The run failed unexpectedly.'): OutcomeReason {
  if (error instanceof ProviderError) {
    return withField(
      { code: `provider_${error.kind}`, message: error.message, retryable: error.retryable },
      error,
    );
  }
  if (error instanceof DomainError) {
    return withField({ code: error.code, message: error.message, retryable: false }, error);
  }
  return { code: 'internal_error', message: failed, retryable: true };
}

/** Why the sync engine could not deliver a customer's link, from the error it parked the link with. */
export function reasonOfLink(error: LinkError | undefined, retryable: boolean): OutcomeReason {
  return withField(
    {
      code: error?.code ?? 'delivery_failed',
      message: error?.message ?? 'The target did not accept the customer.',
      retryable,
    },
    error,
  );
}
