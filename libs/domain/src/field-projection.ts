/**
 * Field projections: for every canonical field, what one provider holds of it (all of it, part of
 * it, or nothing), where its mapping writes it, and what the copy should hold of a given customer.
 * Each adapter declares one table (`<provider>.fields.ts`); its capabilities, `unsupportedFields`
 * and `lossyFields` are derived from that table, and `copyDrift` compares by it, so what a
 * provider says it holds, what delivery sends and what drift compares cannot disagree.
 */
import { type CustomerData } from './customer';
import {
  CANONICAL_FIELDS,
  type CanonicalField,
  type FieldCapability,
  type RemoteCustomer,
  type Support,
} from './customer-provider';

/**
 * What `FieldCopy.project` answers when the provider holds nothing comparable of the value (DR
 * keeps every certificate it was ever sent): the copy is then not compared.
 */
export const NOT_COMPARED: unique symbol = Symbol('not compared');

/**
 * One provider field the mapping writes a canonical (sub-)field to, with the value the copy should
 * hold there and the value it does hold, both in canonical vocabulary so they compare directly
 * and a reconcile can adopt what the copy holds.
 */
export interface FieldCopy {
  /** The canonical (sub-)field, e.g. `address.city`. */
  field: string;
  /** The provider's field, e.g. `shipping.address.city` (DR) or `City` (2CO). */
  at: string;
  /**
   * Pure: what the provider should hold here of `customer` (its projection, in canonical terms):
   * what a write sends, so a copy in sync with it is in sync. `NOT_COMPARED` when nothing is.
   */
  project(customer: CustomerData): unknown;
  /**
   * Pure: what `remote` holds here, in canonical terms. `customer` (the mirror's) only restores
   * what the provider cannot store but did not contradict (DR's name split, 2CO's tax id type).
   */
  read(remote: RemoteCustomer, customer: CustomerData): unknown;
}

/** One cell of a provider's table: one canonical field at one provider. */
export interface FieldProjection {
  /** `full`: held; `partial`: held in part (see `projection`); `none`: not held. */
  support: Support;
  /** For a field held in part: what of a value the provider keeps, e.g. "the ISO 639-1 language". */
  projection?: string;
  /** What is sent when the provider cannot hold a value (cleared, or the nearest value it can hold). */
  unheld?: string;
  note?: string;
  /** Where the mapping writes it: every one of these is compared. Empty when not held. */
  copies: readonly FieldCopy[];
  /** Pure: `customer`'s value is one this provider cannot hold at all (default: any value of a `none` field). */
  refuses?(customer: CustomerData): boolean;
  /** Pure: `customer`'s value is held only in part (default: any value of a `partial` field). */
  loses?(customer: CustomerData): boolean;
}

/** A provider's whole table: a cell for every canonical field. */
export type FieldTable = Readonly<Record<CanonicalField, FieldProjection>>;

/** The value at a dotted canonical path (`address.city`), undefined when any step is absent. */
export function canonicalAt(customer: CustomerData, path: string): unknown {
  let value: unknown = customer;
  for (const step of path.split('.')) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<string, unknown>)[step];
  }
  return value;
}

/**
 * Whether `customer` says anything about `field`: `enabled: true`, empty lists and maps are what
 * every provider assumes of a customer nobody said more about.
 */
export function hasValue(customer: CustomerData, field: CanonicalField): boolean {
  if (field === 'enabled') return !customer.enabled;
  const value = canonicalAt(customer, field);
  if (value === undefined || value === null) return false;
  if (Array.isArray(value)) return value.length > 0;
  if (typeof value === 'object') return Object.values(value).some((v) => v !== undefined);
  return true;
}

/** Canonical fields of `customer` with a value `table`'s provider cannot hold at all. */
export function unsupportedByTable(table: FieldTable, customer: CustomerData): CanonicalField[] {
  return CANONICAL_FIELDS.filter((field) => {
    const cell = table[field];
    if (cell.refuses) return cell.refuses(customer);
    return cell.support === 'none' && hasValue(customer, field);
  });
}

/** Canonical fields of `customer` whose value `table`'s provider holds only in part. */
export function lossyByTable(table: FieldTable, customer: CustomerData): CanonicalField[] {
  return CANONICAL_FIELDS.filter((field) => {
    const cell = table[field];
    if (cell.support !== 'partial') return false;
    return cell.loses ? cell.loses(customer) : hasValue(customer, field) && !cell.refuses?.(customer);
  });
}

/** What `GET /v1/providers` renders per field, from the table. */
export function capabilityFields(table: FieldTable): Record<CanonicalField, FieldCapability> {
  return Object.fromEntries(
    CANONICAL_FIELDS.map((field) => {
      const cell = table[field];
      const parts = [
        cell.note,
        cell.projection === undefined ? undefined : `holds ${cell.projection}`,
        cell.unheld === undefined ? undefined : `when it cannot hold a value: ${cell.unheld}`,
      ].filter((part): part is string => part !== undefined);
      return [field, { support: cell.support, ...(parts.length > 0 ? { note: parts.join('; ') } : {}) }];
    }),
  ) as Record<CanonicalField, FieldCapability>;
}

/**
 * A copy whose provider-side value is read from the adapter's wire object (`remote.raw`, parsed
 * by `wire`), or from the canonical read-back where the copy carries no wire object.
 */
export function wireCopy<W>(
  wire: (remote: RemoteCustomer) => W | undefined,
  field: string,
  at: string,
  project: (customer: CustomerData) => unknown,
  read: (held: W, customer: CustomerData) => unknown,
): FieldCopy {
  return {
    field,
    at,
    project,
    read: (remote, customer) => {
      const held = wire(remote);
      return held === undefined ? canonicalAt(remote.customer, field) : read(held, customer);
    },
  };
}
