import { type CallContext } from './call-context';
import { type Erasure, type LinkError, type LinkIntent, type ProviderLink } from './customer';
import { type RemoteCustomer } from './customer-provider';
import { type ProviderCallRecord } from './provider-calls';

/** `created` there, `updated` an existing copy, or found it already `unchanged` (equal to the mirror). */
export type DeliveryAction = 'created' | 'updated' | 'unchanged';

/** A link a worker has leased: it alone delivers it until it settles or the lease runs out. */
export interface ClaimedLink {
  id: string;
  customerId: string;
  provider: string;
  account: string;
  reference: string;
  providerCustomerId?: string;
  intent: LinkIntent;
  attempts: number;
  /** The customer version the provider was last confirmed to hold; absent for a link never delivered. */
  syncedVersion?: number;
  unsupportedFields: string[];
  /** The erasure recorded so far, for a forget (or a scrub in place of a delete) being confirmed. */
  erasure?: Erasure;
}

export type SettleOutcome =
  /** The provider holds `version` of the customer (or newer work is queued if the mirror moved on). */
  | {
      kind: 'synced';
      version: number;
      providerCustomerId?: string;
      unsupportedFields: string[];
      lossyFields: string[];
      /** What the delivery did at the provider (not stored; bulk jobs report it). */
      action?: DeliveryAction;
      /** The provider's copy as it answered this delivery (not stored; bulk jobs verify against it). */
      remote?: RemoteCustomer;
    }
  /** A passing failure: try again at `nextAttemptAt`. */
  | { kind: 'retry'; error: LinkError; nextAttemptAt: Date }
  /** Parked until someone re-drives it (`POST /v1/customers/{id}/sync`). */
  | { kind: 'failed'; error: LinkError }
  /**
   * The delete is done there, confirmed by a read-back: the link stays as the tombstone's record,
   * `notErased` naming what objects once linked to the copy still hold there.
   */
  | { kind: 'removed'; notErased: string[] }
  /** The erasure is confirmed (or is all the provider can do): the link keeps it as the record. */
  | { kind: 'forgotten'; erasure: Erasure }
  /** Erasure asked for, not yet confirmed by a read-back: read again at `nextAttemptAt`. */
  | { kind: 'erasure_requested'; erasure: Erasure; nextAttemptAt: Date };

/**
 * A settle that found the lease still held. `stored` is the link as the settle wrote it, when its
 * statement answered it (a synced delivery's does): a request that has just written the customer
 * answers with it instead of reading the customer back.
 */
export interface Settled {
  stored?: ProviderLink;
}

/**
 * Links a write commits already claimed by the worker of the request that delivers them, as a
 * `claim` would lease them: the request needs no claim of its own, and no other worker can take
 * the links between the commit and the delivery (the outbox's wake-up announces unleased links
 * only). Should the request's process die, the lease runs out and any worker delivers them.
 */
export interface Lease {
  workerId: string;
  leaseMs: number;
}

/**
 * The transactional outbox. The links themselves are its entries: every canonical write marks the
 * customer's links `pending` in the same transaction, and workers lease, deliver and settle them.
 */
export abstract class SyncQueue {
  /**
   * Leases up to `limit` due pending links (of one customer when given). Leases are exclusive
   * across every gateway instance sharing the database.
   */
  abstract claim(options: {
    workerId: string;
    leaseMs: number;
    limit: number;
    customerId?: string;
    /**
     * Leave links whose erasure is `requested` (waiting for the provider to erase) to the
     * background worker: an API call answers `requested` rather than wait for the provider.
     */
    excludeErasureChecks?: boolean;
  }): Promise<ClaimedLink[]>;

  /**
   * Records the outcome, if the lease is still this worker's, and appends the delivery's provider
   * calls to the audit trail (`ProviderCallLog`) in the same write, whether the lease was still
   * held or not; undefined when it was lost. Its events are recorded for `context`, whose work
   * the delivery was (a request's, or the background worker's).
   */
  abstract settle(
    link: ClaimedLink,
    workerId: string,
    outcome: SettleOutcome,
    calls: readonly ProviderCallRecord[],
    context: CallContext,
  ): Promise<Settled | undefined>;

  /** Gives back links this worker leased but will not deliver (it is stopping). */
  abstract release(links: readonly ClaimedLink[], workerId: string): Promise<void>;

  /** Puts every failed or pending link of the customer back in line, due now; returns how many. */
  abstract redrive(customerId: string): Promise<number>;

  /**
   * Resolves when a link may have become deliverable (any instance committed work for the outbox)
   * or after `timeoutMs`, whichever comes first: workers sleep on this instead of polling. True
   * when a notification woke it.
   */
  abstract waitForWork(timeoutMs: number): Promise<boolean>;

  /** When the earliest pending link becomes claimable (its backoff or a dead worker's lease ends). */
  abstract nextDueAt(): Promise<Date | undefined>;

  /**
   * Whether any of the customer's links still waits for delivery; links only waiting to confirm a
   * `requested` erasure do not count (the background worker reads them again).
   */
  abstract hasPending(customerId: string): Promise<boolean>;

  /** How much work waits, for metrics and drains. */
  abstract backlog(): Promise<{ pending: number; failed: number }>;
}
