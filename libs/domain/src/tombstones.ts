/**
 * What a deleted customer's tombstone says, and for how long: when it was deleted and, for each
 * provider account it was linked to, what that provider still holds. A read of a deleted
 * customer answers this (410 Gone) for the tombstone retention, then as if it never existed (404);
 * a forgotten customer is not deleted and keeps answering, scrubbed.
 */
import { type Customer, type Erasure, type LinkError, type ProviderLink } from './customer';
import { DomainError } from './errors';
import { type ProviderTarget, targetOf } from './provider-accounts';

/** Injection token: how long, in milliseconds, a deleted customer answers 410 before 404. */
export const TOMBSTONE_RETENTION_MS = 'TOMBSTONE_RETENTION_MS';

/** TOMBSTONE_RETENTION_HOURS' default: 30 days. */
export const DEFAULT_TOMBSTONE_RETENTION_MS = 720 * 3_600_000;

/**
 * What a delete or forget did at one provider account, as far as it got within the wait:
 * `deleted` (a read-back found no copy), `scrubbed` (the provider cannot delete: its personal
 * fields were overwritten, confirmed by a read-back), `forgotten` (erasure confirmed), `requested`
 * (erasure asked for, not confirmed yet), `unsupported`, `pending` or `failed`.
 */
export interface ProviderReport extends ProviderTarget {
  outcome: 'deleted' | 'scrubbed' | 'forgotten' | 'requested' | 'unsupported' | 'pending' | 'failed';
  erasure?: Erasure;
  /**
   * Personal data this provider still holds, as far as the gateway knows: canonical field names,
   * `sources` for payment sources' owner details (Digital River), `*` for everything it held.
   */
  remaining?: string[];
  error?: LinkError;
}

/** A link whose provider work has not settled: still waiting, or parked with its error. */
export function pendingOrFailed(link: ProviderLink): ProviderReport {
  const requested = link.status === 'pending' && link.erasure?.status === 'requested';
  return {
    ...targetOf(link),
    outcome: link.status === 'failed' ? 'failed' : requested ? 'requested' : 'pending',
    ...(link.erasure !== undefined ? { erasure: link.erasure, remaining: link.erasure.notErased } : {}),
    ...(link.lastError !== undefined ? { error: link.lastError } : {}),
  };
}

/**
 * How a deleted customer's link stands: `deleted` (naming what objects once linked to the copy
 * still hold, if anything), `scrubbed`/`unsupported` where the provider cannot delete, else
 * pending or failed. `undefined` (no link left) counts as deleted.
 */
export function deletionReport(target: ProviderTarget, link: ProviderLink | undefined): ProviderReport {
  if (link === undefined) return { ...targetOf(target), outcome: 'deleted' };
  if (link.status === 'synced' && link.erasure?.status === 'deleted') {
    const remaining = link.erasure.notErased;
    return {
      ...targetOf(link),
      outcome: 'deleted',
      ...(remaining.length > 0 ? { erasure: link.erasure, remaining } : {}),
    };
  }
  if (link.status === 'synced' && link.erasure !== undefined) {
    return {
      ...targetOf(link),
      outcome: link.erasure.status === 'unsupported' ? 'unsupported' : 'scrubbed',
      erasure: link.erasure,
      remaining: link.erasure.notErased,
    };
  }
  return pendingOrFailed(link);
}

/** Nothing personal remains anywhere, which only confirmed read-backs show. */
export function nothingRemains(reports: readonly ProviderReport[]): boolean {
  return reports.every(
    (report) =>
      (report.outcome === 'deleted' || report.outcome === 'scrubbed') &&
      (report.remaining ?? []).length === 0,
  );
}

/** One provider account of a tombstone: what it still holds, `[]` for nothing. */
export interface TombstoneEntry extends ProviderReport {
  /** Always set: `*` while the provider's delete is not confirmed (its copy may hold everything). */
  remaining: string[];
}

export interface Tombstone {
  deletedAt: Date;
  providers: TombstoneEntry[];
}

export function tombstoneOf(customer: Customer & { deletedAt: Date }): Tombstone {
  return {
    deletedAt: customer.deletedAt,
    providers: customer.providers.map((link) => {
      const report = deletionReport(link, link);
      const unconfirmed = report.outcome === 'pending' || report.outcome === 'failed';
      return { ...report, remaining: report.remaining ?? (unconfirmed ? ['*'] : []) };
    }),
  };
}

/** A read or write of a deleted customer within the tombstone retention: 410 `customer_gone`. */
export class CustomerGoneError extends DomainError {
  constructor(
    customerId: string,
    readonly tombstone: Tombstone,
  ) {
    super(
      'customer_gone',
      `The customer "${customerId}" was deleted at ${tombstone.deletedAt.toISOString()}.`,
    );
    this.name = 'CustomerGoneError';
  }
}

/** Whether a tombstone deleted at `deletedAt` is past the retention at `now` (then it answers 404). */
export function tombstoneExpired(deletedAt: Date, retentionMs: number, now = Date.now()): boolean {
  return now - deletedAt.getTime() >= retentionMs;
}
