/**
 * Digital River resources as the API returns them (DR's PHP SDK docs/Model/Customer.md, docs/providers/digital-river.md).
 * Timestamps are ISO-8601 UTC with milliseconds and `Z` (DR's docs source api-structure.md "Dates and times");
 * the Java date objects in docs/providers/digital-river.md's examples are a doc-rendering artifact.
 */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

export interface DigitalRiverAddress {
  line1?: string;
  line2?: string;
  city?: string;
  postalCode?: string;
  state?: string;
  /** ISO 3166-1 alpha-2; required whenever an address is sent (DR's PHP SDK lib/Model/Address.php). */
  country: string;
}

export interface DigitalRiverShipping {
  name?: string;
  phone?: string;
  email?: string;
  organization?: string;
  address?: DigitalRiverAddress;
  additionalAddressInfo?: { neighborhood?: string; division?: string; phoneticName?: string };
}

export interface DigitalRiverTaxCertificate {
  companyName?: string;
  taxAuthority?: string;
  startDate?: string;
  endDate?: string;
  fileId?: string;
}

/** The person a source belongs to, as DigitalRiver.js sends it when it creates the source. */
export interface DigitalRiverSourceOwner {
  firstName: string;
  lastName: string;
  email: string;
  organization?: string;
  upstreamId?: string;
  address: DigitalRiverAddress;
  additionalAddressInfo?: DigitalRiverShipping['additionalAddressInfo'];
}

/** A source as the attach answer and `customer.sources` show it (the Source example of https://docs.digitalriver.com/digital-river-api-reference/2020-12-17/customers). */
export interface DigitalRiverSource {
  id: string;
  clientSecret: string;
  createdTime: string;
  type: 'creditCard';
  currency: string;
  amount: number;
  reusable: boolean;
  /** Removed when the customer's personal data is erased after a request to be forgotten. */
  owner?: DigitalRiverSourceOwner;
  creditCard: { lastFourDigits: string; expirationMonth: number; expirationYear: number; brand: string };
  flow: 'standard';
  state: 'chargeable';
  metadata: Record<string, JsonValue>;
  customerId?: string;
  paymentSessionId: string;
  liveMode: boolean;
}

export interface DigitalRiverTaxIdentifier {
  id: string;
  createdTime: string;
  updatedTime: string;
  customerId?: string;
  type: string;
  value: string;
  state: 'pending' | 'verified' | 'not_valid';
  stateTransitions: { pending?: string; verified?: string; not_valid?: string };
  liveMode: boolean;
}

export type DigitalRiverCustomerType = 'individual' | 'business';

export interface DigitalRiverCustomer {
  id: string;
  createdTime: string;
  updatedTime: string;
  email?: string;
  shipping?: DigitalRiverShipping;
  defaultSourceId?: string;
  sources?: DigitalRiverSource[];
  taxIdentifiers?: DigitalRiverTaxIdentifier[];
  taxCertificates?: DigitalRiverTaxCertificate[];
  requestToBeForgotten: boolean;
  type: DigitalRiverCustomerType;
  metadata?: Record<string, JsonValue>;
  locale?: string;
  enabled: boolean;
  liveMode: boolean;
}

export interface DigitalRiverList<T> {
  hasMore: boolean;
  data: T[];
}
