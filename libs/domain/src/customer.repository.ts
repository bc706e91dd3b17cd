import { type CallContext } from './call-context';
import { type Customer, type CustomerData } from './customer';
import { type ClaimedLink, type Lease } from './sync-queue';

export interface CustomerListQuery {
  limit: number;
  /** Return customers older than this one (the next page, newest first). */
  startingAfter?: string;
  /** Return customers newer than this one (the previous page); wins over `startingAfter`. */
  endingBefore?: string;
  email?: string;
  ids?: string[];
  forgotten?: boolean;
  /** Only customers linked to this provider. */
  provider?: string;
  /** Only customers with a link in this state. */
  syncStatus?: 'synced' | 'pending' | 'failed';
  /** Also deleted customers (tombstones) deleted at or after this moment; else none. */
  deletedSince?: Date;
}

export interface CustomerPage {
  data: Customer[];
  hasMore: boolean;
}

export interface LinkTarget {
  provider: string;
  account: string;
}

/** A new link: where the customer should go, under which reference. */
export interface NewLink {
  provider: string;
  account: string;
  reference: string;
}

/** A new customer as written, and those of its links the write claimed for a worker. */
export interface InsertedCustomer {
  customer: Customer;
  claimed: ClaimedLink[];
}

/** A link to a customer adopted from a provider, already in sync. */
export interface AdoptedLink extends NewLink {
  providerCustomerId?: string;
  unsupportedFields: string[];
  lossyFields: string[];
}

/**
 * The mirror of canonical customers. Every write that providers must follow also marks the
 * customer's links pending in the same transaction (the outbox), so a crash can never separate a
 * change from the work it implies. Every write takes the caller's context, which its events are
 * recorded for; when it holds an Idempotency-Key (`context.idempotency.recordId`) the writes below
 * also record the key's recovery
 * point in their transaction; on a retry after a crash a write the first attempt already committed
 * is not applied again and resolves the state it left. An abstract class so it doubles as its own Nest injection token.
 */
export abstract class CustomerRepository {
  /**
   * With `lease`, the links are written claimed for that worker (one attempt counted, as a claim
   * counts one) and answered in `claimed`; a retry that finds the Idempotency-Key's write already
   * committed claims nothing. Throws DomainError `external_reference_taken` or
   * `provider_reference_taken`.
   */
  abstract insert(
    context: CallContext,
    id: string,
    data: CustomerData,
    links: readonly NewLink[],
    lease?: Lease,
  ): Promise<InsertedCustomer>;

  /** A customer read from a provider, stored with its link already synced. */
  abstract insertAdopted(
    context: CallContext,
    id: string,
    data: CustomerData,
    link: AdoptedLink,
  ): Promise<Customer>;

  /** Includes customers whose deletion is still under way at a provider (`deletedAt` set). */
  abstract findById(id: string): Promise<Customer | undefined>;

  /** The customer linked at this provider under this reference or the provider's own id. */
  abstract findIdByReference(provider: string, reference: string): Promise<string | undefined>;

  /** Throws DomainError `validation_failed` (field `startingAfter`/`endingBefore`) for an unknown cursor. */
  abstract list(query: CustomerListQuery): Promise<CustomerPage>;

  /**
   * Read-modify-write under a row lock: `change` sees the customer as it is at the moment of the
   * write and may throw to abort it. The version is bumped and every kept-in-sync link marked
   * pending in the same transaction. Resolves `undefined` when there is no such customer.
   */
  abstract modify(
    context: CallContext,
    id: string,
    change: (current: Customer) => CustomerData,
  ): Promise<Customer | undefined>;

  /** Adds a link (pending) or puts an existing one back in line. Throws `provider_reference_taken`. */
  abstract addLink(context: CallContext, customerId: string, link: NewLink): Promise<void>;

  /**
   * Deletes the customer: scrubs its personal fields, marks it deleted (the tombstone) and its links
   * to be deleted there. The tombstone stays, with every link as the record of what remains where,
   * until the retention job purges it (TOMBSTONE_RETENTION_HOURS). A repeated delete puts the links
   * not yet settled back in line. Resolves the provider accounts the customer was linked to when it was
   * deleted, or undefined for no customer.
   */
  abstract markDeleted(context: CallContext, id: string): Promise<LinkTarget[] | undefined>;

  /**
   * GDPR erasure: clears the personal fields, marks the customer forgotten, its links to be
   * forgotten at the providers, drops stored idempotent answers about it and records the event.
   */
  abstract erase(context: CallContext, id: string): Promise<Customer | undefined>;

  /** Marks the customer's link at this account as its system of record, and no other link. */
  abstract setPrimary(context: CallContext, customerId: string, target: LinkTarget): Promise<void>;

  /**
   * Stops syncing the customer to this account (its copy there stays, e.g. disabled after a
   * migration's cutover) and records the event with `reason`.
   */
  abstract retireLink(
    context: CallContext,
    customerId: string,
    target: LinkTarget,
    reason: string,
  ): Promise<void>;

  /** Marks the link to be forgotten at that provider only (GDPR erasure there); the customer stays. */
  abstract forgetAt(context: CallContext, customerId: string, target: LinkTarget): Promise<void>;

  /**
   * Puts the link in line to disable the customer's copy at that provider (a migration's cutover),
   * from `sync`, or again from `disable` (a cutover resumed after a crash or a failed delivery).
   * A link being deleted or forgotten is left alone.
   */
  abstract disableAt(context: CallContext, customerId: string, target: LinkTarget): Promise<void>;
}
