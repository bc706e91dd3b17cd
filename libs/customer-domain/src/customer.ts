/**
 * The canonical customer (v1). Provider vocabulary never appears here: adapters translate to and
 * from these types, and the HTTP layer validates input into them.
 */

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

/** What the provider's copy should become: kept in sync, deleted, or forgotten (GDPR). */
export const LINK_INTENTS = ['sync', 'delete', 'forget'] as const;
export type LinkIntent = (typeof LINK_INTENTS)[number];

/** How a forget went at one provider. */
export interface Erasure {
  status: 'erased' | 'partial' | 'unsupported';
  /** Personal fields the provider still holds: it has no way to erase them. */
  notErased: string[];
}

export interface LinkError {
  code: string;
  message: string;
  providerCode?: string;
  providerMessage?: string;
  /** The provider's name of the parameter it refused, when it says (e.g. DR `shipping.address.country`). */
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
