import { Inject, Injectable, Optional } from '@nestjs/common';
import {
  type CallContext,
  type Address,
  type AdditionalAddressInfo,
  type Customer,
  type CustomerData,
  type CustomerListQuery,
  type CustomerPage,
  CustomerRepository,
  type InsertedCustomer,
  type AdoptedLink,
  type LinkTarget,
  type NewLink,
  customerInvariantViolations,
  DomainError,
  randomId,
  type Lease,
  CustomerGoneError,
  DEFAULT_TOMBSTONE_RETENTION_MS,
  TOMBSTONE_RETENTION_MS,
  tombstoneExpired,
  tombstoneOf,
} from '@app/domain';

/** JSON merge patch (RFC 7396) of a customer: absent keeps a field, `null` removes it. */
export type Nullable<T> = { [K in keyof T]?: T[K] | null };
export type CustomerPatch = Omit<Nullable<CustomerData>, 'address' | 'metadata'> & {
  address?:
    | (Nullable<Omit<Address, 'additionalAddressInfo'>> & {
        additionalAddressInfo?: Nullable<AdditionalAddressInfo> | null;
      })
    | null;
  metadata?: Record<string, string | null> | null;
};

/** Ours, stable, and short enough to serve as a provider reference (DR ids are at most 40 characters). */
export function newCustomerId(): string {
  return randomId('cus');
}

@Injectable()
export class CustomerService {
  private readonly retentionMs: number;

  constructor(
    private readonly repository: CustomerRepository,
    @Optional() @Inject(TOMBSTONE_RETENTION_MS) retentionMs?: number,
  ) {
    this.retentionMs = retentionMs ?? DEFAULT_TOMBSTONE_RETENTION_MS;
  }

  /**
   * `links(id)` names where the new customer goes, once its id is drawn; with `lease`, they are
   * written claimed for that worker (CustomerRepository.insert).
   */
  async create(
    context: CallContext,
    data: CustomerData,
    links: (id: string) => NewLink[] = () => [],
    lease?: Lease,
  ): Promise<InsertedCustomer> {
    assertInvariants(data);
    const id = newCustomerId();
    return this.repository.insert(context, id, data, links(id), lease);
  }

  /** Also a customer whose deletion is still under way at a provider (`deletedAt` set). */
  async get(id: string): Promise<Customer> {
    const customer = await this.repository.findById(id);
    if (customer === undefined) throw notFound(id);
    return customer;
  }

  /**
   * The customer as a caller may read it: a deleted one answers 410 `customer_gone` with its
   * tombstone (or, with `includeDeleted`, itself) until the tombstone retention ends, then 404 as
   * if it never existed. A forgotten customer is answered, scrubbed.
   */
  async read(id: string, options: { includeDeleted?: boolean } = {}): Promise<Customer> {
    return this.visible(await this.repository.findById(id), options, () => notFound(id));
  }

  /** `read` by any of a provider's references; the same answers for a deleted customer. */
  async readByReference(
    provider: string,
    reference: string,
    options: { includeDeleted?: boolean } = {},
  ): Promise<Customer> {
    return this.visible(await this.findLinked(provider, reference), options, () => {
      return new DomainError(
        'customer_not_found',
        `No customer is linked to ${provider} under "${reference}".`,
      );
    });
  }

  /** Throws 404 for no customer, or a deleted one past the tombstone retention. */
  async assertNotExpired(id: string): Promise<void> {
    this.visible(await this.repository.findById(id), { includeDeleted: true }, () => notFound(id));
  }

  /** A customer not deleted (forgotten is fine): else 410 within the tombstone retention, 404 after. */
  async getLive(id: string): Promise<Customer> {
    return this.visible(await this.repository.findById(id), {}, () => notFound(id));
  }

  /** Tombstones deleted since this moment are within the retention (answered 410, listed on request). */
  tombstonesSince(now = Date.now()): Date {
    return new Date(now - this.retentionMs);
  }

  private visible(
    customer: Customer | undefined,
    options: { includeDeleted?: boolean },
    missing: () => DomainError,
  ): Customer {
    if (customer === undefined) throw missing();
    const { deletedAt } = customer;
    if (deletedAt === undefined) return customer;
    if (tombstoneExpired(deletedAt, this.retentionMs)) throw missing();
    if (options.includeDeleted === true) return customer;
    throw new CustomerGoneError(customer.id, tombstoneOf({ ...customer, deletedAt }));
  }

  /** Like `get`, but answers undefined for no such customer. */
  find(id: string): Promise<Customer | undefined> {
    return this.repository.findById(id);
  }

  /** A customer that may still be changed: neither forgotten nor being deleted. */
  async getWritable(id: string): Promise<Customer> {
    const customer = await this.getLive(id);
    assertWritable(customer);
    return customer;
  }

  /** The customer linked at this provider under this reference or the provider's own id. */
  async findLinked(provider: string, reference: string): Promise<Customer | undefined> {
    const id = await this.repository.findIdByReference(provider, reference);
    return id === undefined ? undefined : this.repository.findById(id);
  }

  async findByReference(provider: string, reference: string): Promise<Customer> {
    const customer = await this.findLinked(provider, reference);
    if (customer === undefined) {
      throw new DomainError(
        'customer_not_found',
        `No customer is linked to ${provider} under "${reference}".`,
      );
    }
    return customer;
  }

  /** With `includeDeleted`, tombstones within the retention are listed too (`deletedAt` set). */
  list(
    query: Omit<CustomerListQuery, 'deletedSince'>,
    options: { includeDeleted?: boolean } = {},
  ): Promise<CustomerPage> {
    return this.repository.list(
      options.includeDeleted === true ? { ...query, deletedSince: this.tombstonesSince() } : query,
    );
  }

  /**
   * Applies a merge patch to the customer as it is when the write happens (the row is locked
   * meanwhile), so concurrent updates serialise and none loses another's fields. A forgotten
   * customer, or one being deleted, is refused. With
   * `expectedVersions` (from If-Match) it applies only if the stored version is one of them.
   * `check` sees the merged customer under the lock and may throw to refuse it (provider rules).
   */
  async update(
    context: CallContext,
    id: string,
    patch: CustomerPatch,
    expectedVersions?: readonly number[],
    check?: (merged: CustomerData, current: Customer) => void,
  ): Promise<Customer> {
    const saved = await this.repository.modify(context, id, (current) => {
      if (current.deletedAt !== undefined) this.visible(current, {}, () => notFound(id));
      assertWritable(current);
      if (expectedVersions !== undefined && !expectedVersions.includes(current.version)) {
        throw new DomainError(
          'precondition_failed',
          `The customer is at version ${current.version}; If-Match named another. Read it again and retry.`,
        );
      }
      const merged = applyPatch(current, patch);
      assertInvariants(merged);
      check?.(merged, current);
      return merged;
    });
    if (saved === undefined) throw notFound(id);
    return saved;
  }

  /** Stores a customer read from a provider, its link already synced. */
  async adopt(context: CallContext, data: CustomerData, link: AdoptedLink): Promise<Customer> {
    assertInvariants(data);
    return this.repository.insertAdopted(context, newCustomerId(), data, link);
  }

  /** The customer an update would produce, checked, without writing it (for dry runs). */
  preview(current: CustomerData, patch: CustomerPatch): CustomerData {
    const merged = applyPatch(current, patch);
    assertInvariants(merged);
    return merged;
  }

  /** Removes every personal field and stored answer about the customer, keeping a tombstone. */
  async erase(context: CallContext, id: string): Promise<Customer> {
    const erased = await this.repository.erase(context, id);
    if (erased === undefined) throw notFound(id);
    return erased;
  }

  /** Resolves the provider accounts the customer was linked to. */
  async delete(context: CallContext, id: string): Promise<LinkTarget[]> {
    const targets = await this.repository.markDeleted(context, id);
    if (targets === undefined) throw notFound(id);
    return targets;
  }
}

function notFound(id: string): DomainError {
  return new DomainError('customer_not_found', `No customer with id "${id}".`);
}

function assertWritable(customer: Customer): void {
  if (customer.forgottenAt !== undefined) {
    throw new DomainError(
      'customer_forgotten',
      'The customer asked to be forgotten; it can no longer be changed.',
    );
  }
  if (customer.deletedAt !== undefined) {
    throw new DomainError('customer_not_found', `The customer "${customer.id}" is being deleted.`);
  }
}

function assertInvariants(data: CustomerData): void {
  const problems = customerInvariantViolations(data);
  if (problems.length > 0) throw new DomainError('validation_failed', 'The customer is not valid.', problems);
}

/** Merges one level of an object patch: `null` removes a key, `undefined` leaves it alone. */
function mergeObject<T extends object>(current: T | undefined, patch: Nullable<T>): T {
  const result: Record<string, unknown> = { ...current };
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete result[key];
    else if (value !== undefined) result[key] = value;
  }
  return result as T;
}

export function applyPatch(current: CustomerData, patch: CustomerPatch): CustomerData {
  const { address, metadata, enabled, ...scalars } = patch;
  const next = mergeObject<CustomerData>(current, scalars);
  // `enabled` is never absent: clearing it means the default, enabled.
  if (enabled !== undefined) next.enabled = enabled ?? true;
  if (metadata === null) next.metadata = {};
  else if (metadata !== undefined) next.metadata = mergeObject(current.metadata, metadata);
  if (address === null) delete next.address;
  else if (address !== undefined) {
    const { additionalAddressInfo, ...lines } = address;
    const merged = mergeObject<Address>(current.address, lines);
    if (additionalAddressInfo === null) delete merged.additionalAddressInfo;
    else if (additionalAddressInfo !== undefined) {
      merged.additionalAddressInfo = mergeObject(
        current.address?.additionalAddressInfo,
        additionalAddressInfo,
      );
    }
    next.address = merged;
  }
  for (const listField of ['taxIdentifiers', 'taxCertificates', 'sourceIds'] as const) {
    if (patch[listField] === null) next[listField] = [];
  }
  return next;
}
