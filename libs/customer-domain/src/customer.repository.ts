import { type Customer, type CustomerData } from './customer';

export interface CustomerListQuery {
  limit: number;
  /** Return customers older than this one (the next page, newest first). */
  startingAfter?: string;
  /** Return customers newer than this one (the previous page); wins over `startingAfter`. */
  endingBefore?: string;
  email?: string;
  ids?: string[];
  forgotten?: boolean;
}

export interface CustomerPage {
  data: Customer[];
  hasMore: boolean;
}

/**
 * The mirror of canonical customers. An abstract class so it doubles as its own Nest injection
 * token; `@app/persistence` binds the Prisma implementation.
 */
export abstract class CustomerRepository {
  /** Throws DomainError `external_reference_taken` when the reference is in use. */
  abstract insert(id: string, data: CustomerData): Promise<Customer>;

  abstract findById(id: string): Promise<Customer | undefined>;

  /** Throws DomainError `validation_failed` (field `startingAfter`/`endingBefore`) for an unknown cursor. */
  abstract list(query: CustomerListQuery): Promise<CustomerPage>;

  /**
   * Writes `data` if the stored version is still `expectedVersion` and bumps the version;
   * resolves `undefined` when someone else wrote first (or the customer is gone).
   */
  abstract update(id: string, expectedVersion: number, data: CustomerData): Promise<Customer | undefined>;

  /**
   * GDPR erasure: clears the personal fields, marks the customer forgotten and drops the stored
   * idempotent responses that mention it; resolves `undefined` when there is no such customer.
   */
  abstract erase(id: string): Promise<Customer | undefined>;

  /** Resolves false when there was nothing to delete. */
  abstract delete(id: string): Promise<boolean>;
}
