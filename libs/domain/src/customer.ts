/**
 * The canonical customer (v1). Provider vocabulary never appears here: adapters translate to and
 * from these types, and the HTTP layer validates input into them.
 */

import { type ReasonCode } from './errors';

export const CUSTOMER_TYPES = ['individual', 'business'] as const;
export type CustomerType = (typeof CUSTOMER_TYPES)[number];

export interface AdditionalAddressInfo {
  neighborhood?: string;
  division?: string;
  phoneticName?: string;
}

export interface Address {
  line1?: string;
  line2?: string;
  city?: string;
  state?: string;
  postalCode?: string;
  /** ISO 3166-1 alpha-2, upper case. */
  country: string;
  additionalAddressInfo?: AdditionalAddressInfo;
}

export interface TaxIdentifier {
  type: string;
  value: string;
}

export interface TaxCertificate {
  companyName?: string;
  taxAuthority?: string;
  startDate?: string;
  endDate?: string;
  fileId?: string;
}

/** Everything a caller may write about a customer. */
export interface CustomerData {
  /** The caller's own id for the customer, unique across the gateway. */
  externalReference?: string;
  email?: string;
  givenName?: string;
  familyName?: string;
  companyName?: string;
  phone?: string;
  address?: Address;
  /** BCP 47, e.g. `en-US`. */
  locale?: string;
  type?: CustomerType;
  enabled: boolean;
  metadata: Record<string, string>;
  taxIdentifiers: TaxIdentifier[];
  taxCertificates: TaxCertificate[];
  sourceIds: string[];
  defaultSourceId?: string;
}

export const LINK_STATUSES = ['synced', 'pending', 'failed'] as const;
export type LinkStatus = (typeof LINK_STATUSES)[number];

/**
 * What the provider's copy should become: kept in sync, deleted, forgotten (GDPR), or disabled
 * (a migration's cutover retires the source copy this way, then stops syncing it).
 */
export const LINK_INTENTS = ['sync', 'delete', 'forget', 'disable'] as const;
export type LinkIntent = (typeof LINK_INTENTS)[number];

/**
 * How a forget (or a delete where the provider has none, which scrubs instead) stands at one
 * provider. `requested`: asked, but a read-back still shows personal data (DR erases
 * asynchronously); the worker reads again with backoff. `erased`: a read-back shows none.
 * `partial`: confirmed, except `notErased`, which the provider cannot erase. `unsupported`: the
 * provider has no way to erase anything. `deleted`: a delete there is confirmed (a read-back found
 * no copy); the link stays only while the customer's tombstone does.
 */
export const ERASURE_STATUSES = ['requested', 'erased', 'partial', 'unsupported', 'deleted'] as const;
export type ErasureStatus = (typeof ERASURE_STATUSES)[number];

export interface Erasure {
  status: ErasureStatus;
  /** Personal fields the provider still held at the last read-back. */
  notErased: string[];
}

/** Why a link's last delivery failed, as `failureOf` recorded it. */
export interface LinkError {
  code: ReasonCode;
  message: string;
  /** Whether delivering again later may succeed (a rate limit or an outage may pass). */
  retryable: boolean;
  providerCode?: string;
  providerMessage?: string;
  /** The canonical field the provider's refusal is about, when it names one. */
  field?: string;
}

/** Where a customer lives at one provider account. */
export interface ProviderLink {
  provider: string;
  account: string;
  /** The reference we chose and the provider stores (DR `id`, 2CO `ExternalCustomerReference`). */
  reference: string;
  /** The provider's own id where it differs from `reference` (2CO's numeric `CustomerReference`). */
  providerCustomerId?: string;
  status: LinkStatus;
  intent: LinkIntent;
  /** The customer version the provider was last confirmed to hold. */
  syncedVersion?: number;
  attempts: number;
  nextAttemptAt?: Date;
  lastSyncedAt?: Date;
  lastError?: LinkError;
  /** Canonical fields this provider cannot hold. */
  unsupportedFields: string[];
  /** Canonical fields this provider holds only partially (joined, truncated, part lost). */
  lossyFields: string[];
  erasure?: Erasure;
  /** The customer's system of record, set by a migration's cutover. */
  primary: boolean;
  /** Until when a worker holds the link for a delivery. */
  lockedUntil?: Date;
  createdAt: Date;
}

export interface Customer extends CustomerData {
  id: string;
  forgottenAt?: Date;
  /** Set by a delete while providers still hold copies. */
  deletedAt?: Date;
  version: number;
  createdAt: Date;
  updatedAt: Date;
  providers: ProviderLink[];
}

/**
 * Canonical data from the fields given, the rest at the defaults of a customer nobody said more
 * about: enabled, with no metadata, tax data or payment sources.
 */
export function customerData(fields: Partial<CustomerData> = {}): CustomerData {
  return { enabled: true, metadata: {}, taxIdentifiers: [], taxCertificates: [], sourceIds: [], ...fields };
}

/** The customer's canonical data, without the mirror's bookkeeping (id, version, links). */
export function dataOf(customer: Customer): CustomerData {
  const {
    id: _id,
    forgottenAt: _forgotten,
    deletedAt: _deleted,
    version: _version,
    createdAt: _created,
    updatedAt: _updated,
    providers: _providers,
    ...data
  } = customer;
  return data;
}

/** The reference a new link stores at the provider: the caller's external reference, else our id. */
export function referenceOf(customer: Pick<Customer, 'id' | 'externalReference'>): string {
  return customer.externalReference ?? customer.id;
}

/** The links the customer is kept in sync with (not those being deleted or forgotten there). */
export function syncedLinks(customer: Customer): ProviderLink[] {
  return customer.providers.filter((link) => link.intent === 'sync');
}

/** How a provider call addresses the customer's copy behind `link`. */
export function copyAt(link: Pick<ProviderLink, 'reference' | 'providerCustomerId'>): {
  reference: string;
  providerCustomerId?: string;
} {
  return {
    reference: link.reference,
    ...(link.providerCustomerId !== undefined ? { providerCustomerId: link.providerCustomerId } : {}),
  };
}
