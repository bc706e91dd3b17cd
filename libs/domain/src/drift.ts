import { type CustomerData } from './customer';
import {
  CANONICAL_FIELDS,
  type CanonicalField,
  type CustomerProvider,
  type RemoteCustomer,
} from './customer-provider';
import { canonicalAt, type FieldCopy, NOT_COMPARED } from './field-projection';

/** A field whose value at a provider differs from the mirror's. */
export interface FieldDrift {
  /** The canonical (sub-)field, e.g. `email`, `address.city`. */
  field: string;
  /** The provider field that holds it, e.g. `shipping.email`, when the provider declares one. */
  at?: string;
  /** What the provider should hold: the mirror's value as the provider can hold it. */
  ours: unknown;
  /** What the provider's copy holds, in canonical terms. */
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

/** The address's parts, each compared on its own so drift names `address.city`, not `address`. */
const ADDRESS_PARTS = ['line1', 'line2', 'city', 'state', 'postalCode', 'country'] as const;
const ADDITIONAL_ADDRESS_PARTS = ['neighborhood', 'division', 'phoneticName'] as const;

function canonicalCopy(field: string): FieldCopy {
  return {
    field,
    at: field,
    project: (customer) => canonicalAt(customer, field),
    read: (remote) => canonicalAt(remote.customer, field),
  };
}

/**
 * The comparison for a provider that declares no table: every canonical field as read back, the
 * address per part. Real adapters declare their own (`<provider>.fields.ts`).
 */
export const CANONICAL_COPIES = Object.fromEntries(
  CANONICAL_FIELDS.map((field): [CanonicalField, FieldCopy[]] => {
    if (field === 'externalReference') return [field, []];
    if (field === 'address') return [field, ADDRESS_PARTS.map((part) => canonicalCopy(`address.${part}`))];
    if (field === 'address.additionalAddressInfo') {
      return [field, ADDITIONAL_ADDRESS_PARTS.map((part) => canonicalCopy(`${field}.${part}`))];
    }
    return [field, [canonicalCopy(field)]];
  }),
) as unknown as Readonly<Record<CanonicalField, readonly FieldCopy[]>>;

/**
 * How `remote` (a provider's copy) differs from what that provider should hold of `data` (the
 * mirror's customer): the provider's projection of `data` against what the copy holds, per
 * sub-field, at every provider field the mapping writes (DR's `email` and `shipping.email` both).
 * The one comparison delivery, drift, reconciliation, migration and inbound provider changes
 * share, so they can never disagree on whether a copy is in sync. A value the provider cannot
 * hold is compared on what is sent instead (cleared, or the nearest value it can hold), unless
 * the table says nothing comparable is held of it.
 */
export function copyDrift(
  provider: CustomerProvider,
  data: CustomerData,
  remote: RemoteCustomer,
): FieldDrift[] {
  const table = provider.fieldTable;
  // A provider without a table cannot say what it holds of a value it cannot take, so such fields
  // are left out; a table says it per copy instead (`NOT_COMPARED`).
  const skipped = new Set<string>(
    table === undefined ? [...remote.unsupportedFields, ...provider.unsupportedFields(data)] : [],
  );
  const drift: FieldDrift[] = [];
  for (const field of CANONICAL_FIELDS) {
    if (skipped.has(field)) continue;
    for (const copy of table === undefined ? CANONICAL_COPIES[field] : table[field].copies) {
      const ours = copy.project(data);
      if (ours === NOT_COMPARED) continue;
      const theirs = copy.read(remote, data);
      const top = copy.field.split('.')[0]!;
      if (normalised(top, ours) !== normalised(top, theirs)) {
        drift.push({ field: copy.field, ...(copy.at === copy.field ? {} : { at: copy.at }), ours, theirs });
      }
    }
  }
  return drift;
}

function withoutAdditionalInfo(address: CustomerData['address']) {
  if (address === undefined) return undefined;
  const { additionalAddressInfo: _dropped, ...rest } = address;
  return rest;
}
