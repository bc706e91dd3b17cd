/**
 * A link as the statements that answer links render it in SQL (LINK_OBJECT, the provider_links row
 * aliased `l`) and as the gateway reads it back (toLink): the customer's reads and writes and the
 * sync queue's settles answer links in one shape.
 */
import {
  type Erasure,
  type LinkError,
  type LinkIntent,
  type LinkStatus,
  type ProviderLink,
} from '@app/domain';

/** A timestamp column as epoch milliseconds: JSON has no date type, and this needs no time zone. */
export const epochMs = (column: string) => `(extract(epoch FROM ${column}) * 1000)::float8`;

/** One link as a JSON object, in the shape of `ProviderLink` (timestamps as epoch milliseconds). */
export const LINK_OBJECT = `json_build_object(
  'provider', l.provider, 'account', l.account, 'reference', l.reference,
  'providerCustomerId', l.provider_customer_id, 'status', l.status, 'intent', l.intent,
  'syncedVersion', l.synced_version, 'attempts', l.attempts, 'nextAttemptAt', ${epochMs('l.next_attempt_at')},
  'lastSyncedAt', ${epochMs('l.last_synced_at')}, 'lastError', l.last_error,
  'unsupportedFields', l.unsupported_fields, 'lossyFields', l.lossy_fields, 'erasure', l.erasure,
  'primary', l."primary", 'lockedUntil', ${epochMs('l.locked_until')}, 'createdAt', ${epochMs('l.created_at')})`;

/** A link as LINK_OBJECT renders it. */
export interface LinkRecord {
  provider: string;
  account: string;
  reference: string;
  providerCustomerId: string | null;
  status: LinkStatus;
  intent: LinkIntent;
  syncedVersion: number | null;
  attempts: number;
  nextAttemptAt: number | null;
  lastSyncedAt: number | null;
  lastError: LinkError | null;
  unsupportedFields: string[];
  lossyFields: string[];
  erasure: Erasure | null;
  primary: boolean;
  lockedUntil: number | null;
  createdAt: number;
}

export function optional<T>(value: T | null): T | undefined {
  return value === null ? undefined : value;
}

export function optionalDate(epochMs: number | null): Date | undefined {
  return epochMs === null ? undefined : new Date(epochMs);
}

export function toLink(row: LinkRecord): ProviderLink {
  return {
    provider: row.provider,
    account: row.account,
    reference: row.reference,
    providerCustomerId: optional(row.providerCustomerId),
    status: row.status,
    intent: row.intent,
    syncedVersion: optional(row.syncedVersion),
    attempts: row.attempts,
    nextAttemptAt: optionalDate(row.nextAttemptAt),
    lastSyncedAt: optionalDate(row.lastSyncedAt),
    lastError: optional(row.lastError),
    unsupportedFields: row.unsupportedFields,
    lossyFields: row.lossyFields,
    erasure: optional(row.erasure),
    primary: row.primary,
    lockedUntil: optionalDate(row.lockedUntil),
    createdAt: new Date(row.createdAt),
  };
}
