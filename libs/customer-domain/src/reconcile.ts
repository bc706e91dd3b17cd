import { type LinkDrift, type ReconcileRequest } from './customer-reconciliation';
import { type ProviderTarget } from './provider-accounts';
import { COMPARED_FIELDS, type ComparedField } from './drift';
import { DomainError } from './errors';

/**
 * What a reconcile copies from a provider into the mirror, as a merge patch: the drifted fields
 * whose strategy (the field's own, else the request's) is `adopt`, with the values of `from`'s copy,
 * or else of the first link that drifted. A field the provider's copy lacks is removed (`null`).
 * Empty when nothing is to be adopted; every other drifted field is pushed from the mirror.
 */
export function adoptionPatch(
  drift: readonly LinkDrift[],
  request: Pick<ReconcileRequest, 'strategy' | 'fields'>,
  from?: ProviderTarget,
): Record<string, unknown> {
  const adopting = COMPARED_FIELDS.filter(
    (field) => (request.fields?.[field] ?? request.strategy) === 'adopt',
  );
  if (adopting.length === 0) return {};
  const source = from
    ? drift.find((d) => d.provider === from.provider && d.account === from.account)
    : drift.find((d) => d.state === 'drifted');
  if (source?.state === 'missing') {
    throw new DomainError(
      'provider_customer_not_found',
      `${source.provider}/${source.account} no longer holds the customer.`,
    );
  }
  const patch: Record<string, unknown> = {};
  // Field names come from COMPARED_FIELDS, each a key of the canonical customer.
  for (const change of source?.fields ?? []) {
    if (adopting.includes(change.field as ComparedField)) patch[change.field] = change.theirs ?? null;
  }
  return patch;
}
