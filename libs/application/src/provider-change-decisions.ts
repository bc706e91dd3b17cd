import { type CustomerPatch } from './customer.service';
import {
  type Customer,
  type ProviderLink,
  type ConflictChoice,
  type ConflictPolicy,
  conflictChoice,
  type FieldDrift,
} from '@app/domain';

/**
 * Whether what a provider's copy shows now may be our own write on its way, rather than a change
 * made there: a delivery of the link is pending, leased or retrying, or the provider was last
 * confirmed at an older version than the mirror's. The outbox settles those copies anyway (it
 * reads the copy and writes the difference), so they are never adopted nor fanned out: the
 * gateway's own writes, and the provider webhooks they cause, cannot loop back into the mirror.
 */
export function mayBeOwnEcho(customer: Customer, link: ProviderLink, now: Date = new Date()): boolean {
  if (link.status === 'pending') return true;
  if (link.lockedUntil !== undefined && link.lockedUntil.getTime() > now.getTime()) return true;
  return link.syncedVersion === undefined || link.syncedVersion < customer.version;
}

/** The differing fields, split by the policy, and the merge patch that adopts those to adopt. */
export interface Resolution {
  pushed: string[];
  adopted: string[];
  /** Sets each adopted field to the provider's value (`null` where the provider has none). */
  patch: CustomerPatch;
}

/** Splits a copy's differing fields into pushed and adopted ones, as `policy` says for `provider`. */
export function resolutionOf(
  policy: ConflictPolicy,
  provider: string,
  drift: readonly FieldDrift[],
): Resolution {
  const pushed: string[] = [];
  const adopted: string[] = [];
  // Field names come from the comparison (COMPARED_FIELDS), each a key of the canonical customer.
  const patch: CustomerPatch & Record<string, unknown> = {};
  for (const change of drift) {
    const choice: ConflictChoice = conflictChoice(policy, provider, change.field);
    if (choice === 'push') {
      pushed.push(change.field);
      continue;
    }
    adopted.push(change.field);
    patch[change.field] = adoptedValue(change.ours, change.theirs);
  }
  return { pushed, adopted, patch };
}

/**
 * The merge-patch value (RFC 7396) that turns `ours` into `theirs`: an object's keys the provider
 * lacks are removed explicitly (`null`), since a merge patch keeps every key it does not name.
 */
function adoptedValue(ours: unknown, theirs: unknown): unknown {
  if (theirs === undefined || theirs === null) return null;
  if (!isPlainObject(theirs) || !isPlainObject(ours)) return theirs;
  const value: Record<string, unknown> = { ...theirs };
  for (const key of Object.keys(ours)) if (!(key in theirs)) value[key] = null;
  return value;
}

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  value !== null && typeof value === 'object' && !Array.isArray(value);
