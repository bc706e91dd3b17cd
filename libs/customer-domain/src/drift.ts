import { type CustomerData } from './customer';
import {
  CANONICAL_FIELDS,
  type CanonicalField,
  type CustomerProvider,
  type RemoteCustomer,
} from './customer-provider';

/** A field whose value at a provider differs from the mirror's. */
export interface FieldDrift {
  field: string;
  ours: unknown;
  theirs: unknown;
}

/**
 * The canonical fields compared between the mirror and a provider, in a stable order: all but the
 * reference itself (it is how the copy was found) and sub-fields (compared with their parent).
 */
export const COMPARED_FIELDS = CANONICAL_FIELDS.filter(
  (field): field is Exclude<CanonicalField, 'externalReference' | 'address.additionalAddressInfo'> =>
    field !== 'externalReference' && field !== 'address.additionalAddressInfo',
);
export type ComparedField = (typeof COMPARED_FIELDS)[number];

/** Lists whose order carries no meaning: compared as sets. */
const UNORDERED: ReadonlySet<string> = new Set(['sourceIds', 'taxIdentifiers', 'taxCertificates']);

function canonicalJson(value: unknown): string {
  if (value === undefined || value === null) return 'null';
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined && v !== null)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

function normalised(field: string, value: unknown): string {
  // An empty list or object and an absent one mean the same thing to every provider.
  if (Array.isArray(value) && value.length === 0) return 'null';
  if (
    value !== null &&
    typeof value === 'object' &&
    !Array.isArray(value) &&
    Object.keys(value).length === 0
  ) {
    return 'null';
  }
  if (UNORDERED.has(field) && Array.isArray(value)) return canonicalJson(value.map(canonicalJson).sort());
  return canonicalJson(value);
}

/**
 * Field by field, where the provider's copy differs from the mirror. Fields the provider cannot
 * hold (`skip`: its read-back `unsupportedFields` and what it could not take when written) are
 * left out, since their provider-side value is a default rather than the customer's.
 */
export function compareCustomers(
  ours: CustomerData,
  theirs: CustomerData,
  skip: Iterable<string>,
): FieldDrift[] {
  const skipped = new Set<string>(skip);
  const drift: FieldDrift[] = [];
  for (const field of COMPARED_FIELDS) {
    if (skipped.has(field)) continue;
    let mine: unknown = ours[field];
    let yours: unknown = theirs[field];
    if (field === 'address' && skipped.has('address.additionalAddressInfo')) {
      mine = withoutAdditionalInfo(ours.address);
      yours = withoutAdditionalInfo(theirs.address);
    }
    if (normalised(field, mine) !== normalised(field, yours))
      drift.push({ field, ours: mine, theirs: yours });
  }
  return drift;
}

/**
 * How `remote` (a provider's copy) differs from what that provider should hold of `data` (the
 * mirror's customer). The one comparison delivery, drift, reconciliation and inbound provider
 * changes share, so they can never disagree on whether a copy is in sync.
 */
export function copyDrift(
  provider: CustomerProvider,
  data: CustomerData,
  remote: RemoteCustomer,
): FieldDrift[] {
  return compareCustomers(data, remote.customer, [
    ...remote.unsupportedFields,
    ...provider.unsupportedFields(data),
  ]);
}

function withoutAdditionalInfo(address: CustomerData['address']) {
  if (address === undefined) return undefined;
  const { additionalAddressInfo: _dropped, ...rest } = address;
  return rest;
}
