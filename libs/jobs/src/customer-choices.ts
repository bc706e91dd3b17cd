import {
  type Customer,
  DomainError,
  failureOf,
  type LinkError,
  type OutcomeReason,
  ProviderError,
  type ProviderLink,
} from '@app/domain';

/**
 * The choices the migrator makes for one customer, as pure functions of what it read: the
 * CustomerMigrator does the reading and writing around them.
 */

/** The target already holds the customer's current version: nothing to deliver. */
export function isUpToDate(link: ProviderLink | undefined, customer: Pick<Customer, 'version'>): boolean {
  return link?.intent === 'sync' && link.status === 'synced' && link.syncedVersion === customer.version;
}

/**
 * The field an error is about, when it says: the first field error of a refused canonical
 * customer, else the canonical field (or the provider's own parameter name) a provider named.
 */
function fieldOf(error: unknown): string | undefined {
  if (error instanceof DomainError) return error.fieldErrors[0]?.field;
  if (error instanceof ProviderError) return error.field ?? error.providerParameter;
  return undefined;
}

/** Why a customer failed on an error thrown while working on it, under the one error table's code. */
export function reasonOf(error: unknown, unexpected = 'The migration failed unexpectedly.'): OutcomeReason {
  const { code, message, retryable } = failureOf(error, unexpected);
  const field = fieldOf(error);
  return { code, message, retryable, ...(field !== undefined ? { field } : {}) };
}

/** How a target link ended that did not settle as synced. */
export type UnsettledLink =
  { status: 'failed' | 'pending'; error?: LinkError } | { status: 'missing' | 'requested' };

/**
 * Why a customer failed whose target link did not settle. A link parked as failed is retried on
 * resume only if its last failure may pass (a rate limit, an outage); one still pending when the
 * wait ran out, or gone, is always retried.
 */
export function reasonOfUnsettledLink(settled: UnsettledLink): OutcomeReason {
  const error = 'error' in settled ? settled.error : undefined;
  return {
    code: error?.code ?? 'delivery_failed',
    message: error?.message ?? 'The target did not accept the customer.',
    retryable: settled.status !== 'failed' || (error?.retryable ?? false),
    ...(error?.field !== undefined ? { field: error.field } : {}),
  };
}
