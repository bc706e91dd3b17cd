import { type LinkDrift, type ReconcileRequest } from './customer-reconciliation';
import { type ProviderTarget, COMPARED_FIELDS, type ComparedField, DomainError } from '@app/domain';

/**
 * What a reconcile copies from a provider into the mirror, as a merge patch: the drifted fields
 * whose strategy (the field's own, else the request's) is `adopt`, with the values of `from`'s copy,
 * or else of the first link that drifted. Drift names sub-fields, and each is adopted on its own
 * (`address.city` patches only the city). A field the provider's copy lacks is removed (`null`);
 * an address without a country is no address. Where two provider fields hold one canonical field
 * (DR `email` and `shipping.email`), the first that drifted is adopted.
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
  const adopted = new Set<string>();
  for (const change of source?.fields ?? []) {
    // Drifted fields are canonical paths whose first step is one of COMPARED_FIELDS.
    const top = change.field.split('.')[0] as ComparedField;
    if (!adopting.includes(top) || adopted.has(change.field)) continue;
    adopted.add(change.field);
    if (change.field === 'address.country' && change.theirs === undefined) {
      patch['address'] = null;
      continue;
    }
    setPath(patch, change.field.split('.'), change.theirs ?? null);
  }
  return patch;
}

/** Sets `value` at `path` in a merge patch, making the objects on the way; a removed parent wins. */
function setPath(patch: Record<string, unknown>, path: string[], value: unknown): void {
  let node = patch;
  for (const step of path.slice(0, -1)) {
    const next = node[step];
    if (next === null) return;
    if (typeof next !== 'object' || next === undefined) node[step] = {};
    node = node[step] as Record<string, unknown>;
  }
  node[path[path.length - 1]!] = value;
}
