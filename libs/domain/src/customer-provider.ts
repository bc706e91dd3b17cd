/**
 * The one seam between the gateway and a payment provider account. Every adapter (Digital River,
 * 2Checkout, ...) implements it; the gateway and the migration job only ever see these types.
 *
 * Contract (checked by libs/providers/src/testing/customer-provider.contract.ts for every adapter):
 * - methods resolve with canonical data or throw `ProviderError` (classified once by the adapter's
 *   client) or `DomainError('unsupported_by_provider')` before any call is made; never raw HTTP or
 *   zod errors, and never anything carrying a credential;
 * - `get` answers `null` when the provider has no such customer;
 * - `create` is naturally idempotent on `reference`: repeating it returns the customer already
 *   there (`created: false`) instead of making a second one;
 * - every method takes one input object, so new optional fields never break call sites, and the
 *   caller's `CallContext`, which every HTTP call the adapter makes is sent and recorded under.
 */
import { type CallContext } from './call-context';
import { type CustomerData, type TaxIdentifier } from './customer';
import { type FieldTable } from './field-projection';

/** Canonical field paths an adapter may report as not held (`unsupportedFields`, capabilities). */
export const CANONICAL_FIELDS = [
  'externalReference',
  'email',
  'givenName',
  'familyName',
  'companyName',
  'phone',
  'address',
  'address.additionalAddressInfo',
  'locale',
  'type',
  'enabled',
  'metadata',
  'taxIdentifiers',
  'taxCertificates',
  'sourceIds',
  'defaultSourceId',
] as const;
export type CanonicalField = (typeof CANONICAL_FIELDS)[number];

/**
 * How a provider would refuse a customer: `required` (absent), `max_length`, `format`, or
 * `requires` (the field is only accepted together with another one).
 */
export const PROVIDER_RULE_CODES = ['required', 'max_length', 'format', 'requires'] as const;
export type ProviderRuleCode = (typeof PROVIDER_RULE_CODES)[number];

/** One thing a provider would refuse, in canonical terms, found before any call is made. */
export interface ProviderRuleViolation {
  provider: string;
  /** Canonical dotted path, e.g. `familyName`, `address.line1`. */
  field: string;
  rule: ProviderRuleCode;
  message: string;
}

/**
 * Canonical fields that hold personal data. What a provider still holds of these after a forget
 * or a delete decides whether the erasure is done.
 */
export const PERSONAL_FIELDS = [
  'email',
  'givenName',
  'familyName',
  'companyName',
  'phone',
  'address',
  'taxIdentifiers',
  'taxCertificates',
] as const;
/**
 * Personal data a provider keeps outside the canonical fields: `sources`, the owner details (name,
 * email, billing address) of the customer's payment sources at Digital River
 * (https://docs.digitalriver.com/digital-river-api-reference/2020-12-17/customers, the Source example), which a customer delete
 * only detaches and no API call deletes.
 */
export const PERSONAL_SUB_RESOURCES = ['sources'] as const;
export type PersonalField = (typeof PERSONAL_FIELDS)[number] | (typeof PERSONAL_SUB_RESOURCES)[number];

/** The personal fields of `customer` that hold a value. */
export function personalFieldsWithValues(customer: CustomerData): (typeof PERSONAL_FIELDS)[number][] {
  return PERSONAL_FIELDS.filter((field) => {
    const value = customer[field];
    if (Array.isArray(value)) return value.length > 0;
    return value !== undefined;
  });
}

export const PROVIDER_OPERATIONS = [
  'create',
  'get',
  'update',
  'delete',
  'forget',
  'list',
  'attachSource',
  'detachSource',
  'attachTaxIdentifier',
  'detachTaxIdentifier',
] as const;
export type ProviderOperation = (typeof PROVIDER_OPERATIONS)[number];

/** A customer as the provider holds it, mapped back to canonical vocabulary. */
export interface RemoteCustomer {
  /** The reference we chose and the provider stores (DR `id`, 2CO `ExternalCustomerReference`). */
  reference: string;
  /** The provider's own id where it differs from `reference` (2CO's numeric `CustomerReference`). */
  providerCustomerId?: string;
  /** Canonical data as read back. Fields in `unsupportedFields` hold neutral defaults, not truth. */
  customer: CustomerData;
  /**
   * After a write: the canonical fields of the input that had a value the provider could not take.
   * After a read: the canonical fields this provider cannot hold at all (their values above are
   * defaults). Lossy mappings are never silent.
   */
  unsupportedFields: CanonicalField[];
  /** The provider recorded a GDPR request to be forgotten (DR `requestToBeForgotten`). */
  forgotten: boolean;
  /**
   * The provider's wire payload, for audit and debugging: only the adapter that produced it may
   * read it (2CO's update starts from it instead of reading the copy again).
   */
  raw?: unknown;
}

/**
 * What a create or update did: the ids the customer is stored under, the fields the provider
 * could not take, and the provider's copy (`stored`) when the write's answer carries it (Digital
 * River answers the stored customer). A provider whose write answers only an id or nothing
 * (2Checkout) leaves the copy out rather than spend a read on it: the sync engine keeps only the
 * ids, and a migration's verification reads the copy when it is missing.
 */
export interface WriteResult {
  /** The reference we chose and the provider stores it under. */
  reference: string;
  /** The provider's own id where it differs from `reference` (2CO's numeric `CustomerReference`). */
  providerCustomerId?: string;
  /** The canonical fields of the input that had a value the provider could not take. */
  unsupportedFields: CanonicalField[];
  stored?: RemoteCustomer;
}

/** A repeated create always brings the copy, read by the adapter, for the caller to compare. */
export type CreateResult = WriteResult &
  (
    | { created: true }
    /** The provider already held a customer under `reference` (a repeated create). */
    | { created: false; stored: RemoteCustomer }
  );

/** The result of a write whose answer, or the read after it, is the provider's copy. */
export function writtenAs(stored: RemoteCustomer): WriteResult & { stored: RemoteCustomer } {
  return {
    reference: stored.reference,
    ...(stored.providerCustomerId === undefined ? {} : { providerCustomerId: stored.providerCustomerId }),
    unsupportedFields: stored.unsupportedFields,
    stored,
  };
}

export interface RemoteCustomerPage {
  items: RemoteCustomer[];
  hasMore: boolean;
}

export interface ForgetResult {
  /**
   * The erased copy when the provider's answer carries it (Digital River), null when the provider
   * no longer had the customer. Absent when the answer carries no customer (2Checkout's `PUT`):
   * the sync engine confirms every erasure by reading the copy back, so the adapter does not.
   */
  stored?: RemoteCustomer | null;
  /** Canonical fields that still hold personal data at the provider after the erasure. */
  notErased: CanonicalField[];
}

export interface CreateCustomerInput {
  /** The id to store at the provider: the customer's `externalReference`, else our own id. */
  reference: string;
  customer: CustomerData;
}

export interface CustomerRefInput {
  reference: string;
  /** Pass it when known: 2CO addresses its own numeric reference more cheaply than ours. */
  providerCustomerId?: string;
}

/**
 * What a delete leaves behind: personal data that objects once linked to the customer still hold
 * at the provider, which the adapter could not remove (Digital River: `sources`). Empty when the
 * delete leaves nothing personal.
 */
export interface DeleteResult {
  notErased: PersonalField[];
}

export interface GetCustomerInput extends CustomerRefInput {
  /**
   * The canonical state the gateway holds, when it has one: adapters use it only to restore what
   * the provider cannot store but did not contradict (DR's given/family split, 2CO's locale region).
   */
  known?: CustomerData;
}

export interface UpdateCustomerInput extends CustomerRefInput {
  /** The canonical state last synced to this provider: DR needs it to send deletions (`""`). */
  previous: CustomerData;
  customer: CustomerData;
  /**
   * The provider's copy as this adapter answered it a moment ago (a delivery reads it to diff),
   * when there is one: an adapter whose update replaces the whole object (2CO) starts from it
   * instead of reading the copy again.
   */
  current?: RemoteCustomer;
}

export interface ForgetCustomerInput extends CustomerRefInput {
  /** The canonical state before erasure, so adapters can scrub exactly what they hold. */
  customer: CustomerData;
  /**
   * The provider's copy as this adapter answered it a moment ago (a delivery reads it to decide
   * whether to ask at all): an adapter that scrubs by replacing the whole object (2CO) starts from
   * it instead of reading the copy again.
   */
  current?: RemoteCustomer;
}

export interface ListCustomersInput {
  /** 1 to the provider's `capabilities.listPageSize`. */
  limit?: number;
  startingAfter?: string;
  endingBefore?: string;
  email?: string;
  references?: string[];
  forgotten?: boolean;
}

export interface SourceInput extends CustomerRefInput {
  sourceId: string;
}

export interface TaxIdentifierInput extends CustomerRefInput {
  taxIdentifier: TaxIdentifier;
}

/** One HTTP request an adapter would send, for `?dryRun=true`. Secrets are already redacted. */
export interface PlannedRequest {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** Absolute URL, with `{placeholders}` for values only known once an earlier request answers. */
  url: string;
  headers: Record<string, string>;
  body?: unknown;
  /** Why the request is there, e.g. "attach the tax identifier created above". */
  note?: string;
}

export interface DryRunPlan {
  requests: PlannedRequest[];
  unsupportedFields: CanonicalField[];
}

/** A write operation described as data, so any of them can be dry-run through one method. */
export type WriteOperation =
  | { operation: 'create'; input: CreateCustomerInput }
  | { operation: 'update'; input: UpdateCustomerInput }
  | { operation: 'delete'; input: CustomerRefInput }
  | { operation: 'forget'; input: ForgetCustomerInput }
  | { operation: 'attachSource'; input: SourceInput }
  | { operation: 'detachSource'; input: SourceInput }
  | { operation: 'attachTaxIdentifier'; input: TaxIdentifierInput }
  | { operation: 'detachTaxIdentifier'; input: TaxIdentifierInput };

export type Support = 'full' | 'partial' | 'none';

export interface OperationCapability {
  support: Support;
  note?: string;
}

export interface FieldCapability {
  support: Support;
  note?: string;
}

/** What `GET /v1/providers` renders: static per adapter, the same for all of its accounts. */
export interface ProviderCapabilities {
  provider: string;
  displayName: string;
  apiVersion: string;
  docsUrl: string;
  operations: Record<ProviderOperation, OperationCapability>;
  fields: Record<CanonicalField, FieldCapability>;
  idempotency: string;
  pagination: 'cursor' | 'none';
  /** Most customers one list call answers (and one `references` filter takes); absent where it cannot list. */
  listPageSize?: number; /**
   * Whether the provider tells of changes made to its customers outside the gateway: `events`
   * (webhooks or an events API, handed to ProviderChanges), or `none`, whose copies the gateway
   * sweeps (reads and compares) on a schedule instead.
   */
  changeNotifications: 'events' | 'none';
}

export interface CustomerProvider {
  /** Adapter id, the same string as its folder: `digital-river`, `two-checkout`. */
  readonly provider: string;
  /** The configured account name (one adapter instance per provider account). */
  readonly account: string;
  readonly capabilities: ProviderCapabilities;
  /**
   * For every canonical field: held, held in part (and how), or not held, and where the mapping
   * writes it (`<provider>.fields.ts`). `copyDrift` compares by it; capabilities, `unsupportedFields`
   * and `lossyFields` are derived from it. A provider without one is compared field by field on
   * its canonical read-back.
   */
  readonly fieldTable?: FieldTable;
  /** The account's configured request limit; bulk work takes only a share of it. */
  readonly requestsPerSecond: number;

  // Every call takes the caller's context: whose work it is (the audit trail names the API key and
  // request, or the job), where its calls are recorded, and the budget bulk work stays within.
  create(input: CreateCustomerInput, context: CallContext): Promise<CreateResult>;
  get(input: GetCustomerInput, context: CallContext): Promise<RemoteCustomer | null>;
  update(input: UpdateCustomerInput, context: CallContext): Promise<WriteResult>;
  /**
   * Idempotent: a customer already gone counts as deleted. Removes the sub-resources that hold the
   * customer's personal data wherever the provider lets it (Digital River's tax identifiers, which a
   * customer delete would only detach), and answers what stays behind.
   */
  delete(input: CustomerRefInput, context: CallContext): Promise<DeleteResult>;
  forget(input: ForgetCustomerInput, context: CallContext): Promise<ForgetResult>;
  list(input: ListCustomersInput, context: CallContext): Promise<RemoteCustomerPage>;
  attachSource(input: SourceInput, context: CallContext): Promise<RemoteCustomer>;
  detachSource(input: SourceInput, context: CallContext): Promise<RemoteCustomer>;
  attachTaxIdentifier(input: TaxIdentifierInput, context: CallContext): Promise<RemoteCustomer>;
  detachTaxIdentifier(input: TaxIdentifierInput, context: CallContext): Promise<RemoteCustomer>;

  /**
   * The exact requests a write would send, without sending any write. An adapter may perform
   * safe reads to compute them (2CO's update is read-modify-write). Unsupported operations throw
   * `DomainError('unsupported_by_provider')` here too.
   */
  dryRun(operation: WriteOperation, context: CallContext): Promise<DryRunPlan>;

  /**
   * Pure: every way this provider would refuse `customer` (required fields, formats, lengths,
   * fields that need another), so a write is refused with all of them before any call is made.
   */
  check(customer: CustomerData): ProviderRuleViolation[];

  /**
   * Pure: canonical fields of `customer` that have a value the provider cannot hold at all (what a
   * write of it would report as `unsupportedFields`), learnt from the adapter's mapping alone.
   */
  unsupportedFields(customer: CustomerData): CanonicalField[];

  /**
   * Pure: canonical fields of `customer` the provider holds only partially (joined with another
   * field, truncated, part of the value lost), as opposed to `unsupportedFields` (not held at all).
   */
  lossyFields(customer: CustomerData): CanonicalField[];

  /**
   * Pure: the personal fields `remote` still holds (placeholders a scrub wrote do not count). An
   * erasure or a scrub is confirmed only when a read-back shows none, or only those in
   * `unerasableFields`.
   */
  personalDataHeld(remote: RemoteCustomer): PersonalField[];

  /** Personal fields this provider can never erase (a required field with no neutral value). */
  readonly unerasableFields: readonly PersonalField[];

  /** Releases keep-alive sockets; call on shutdown. */
  close(): void;
}
