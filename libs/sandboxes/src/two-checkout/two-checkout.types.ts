/**
 * A 2Checkout customer as `GET /rest/6.0/customers/{ref}/` returns it (docs/providers/two-checkout.md CustomerInformation;
 * recorded responses in avangate-ruby-rest-code-samples Customers/Details/get-customer.rb and the
 * PHP SOAP/JSON-RPC samples: absent fields come back null, `Language` as "", `CountryCode` lower-case).
 */
/** The writable part of CustomerInformation, after validation. */
export interface TwoCheckoutCustomerFields {
  ExternalCustomerReference: string | null;
  FirstName: string;
  LastName: string;
  Company: string | null;
  FiscalCode: string | null;
  Address1: string;
  Address2: string | null;
  City: string;
  State: string | null;
  Zip: string;
  CountryCode: string;
  Phone: string | null;
  Fax: string | null;
  Email: string;
  Language: string;
}

/** CustomerInformation as 2CO returns it: the writable fields plus what 2CO derives itself. */
export interface TwoCheckoutCustomer extends TwoCheckoutCustomerFields {
  /** The numeric internal reference, as a string on GET. The name used by REST 3.0 and JSON-RPC/SOAP 6.0. */
  AvangateCustomerReference: string;
  /** Same value under the REST 6.0 OAS name (docs/providers/two-checkout.md); docs/providers/two-checkout.md#create-and-update-semantics says accept both. */
  CustomerReference: string;
  /** Filled only when retrieved by SSO token (verifone.cloud SOAP 5.0 009Customer): always [] here. */
  ExistingCards: unknown[];
  /** Derived from subscriptions: false until one is assigned (docs/providers/two-checkout.md create overview). */
  Enabled: boolean;
  Trial: boolean;
  /** The customer's credit line (REST 6.0 OAS `Credit`); null: the merchant granted none. */
  Credit: { Limit: number; Remaining: number; Currency: string } | null;
}
