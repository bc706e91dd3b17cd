/**
 * Pure mapping between the canonical customer and 2Checkout's `CustomerInformation`, following
 * the mapping table in docs/providers/two-checkout.md. 2CO holds much less than the canonical model; everything it
 * cannot hold is reported in `unsupportedFields`, never dropped silently.
 */
import {
  type Address,
  type CanonicalField,
  customerData,
  type CustomerData,
  type RemoteCustomer,
  type TaxIdentifier,
} from '@app/domain';
import { type TcoCustomer, type TcoCustomerRequest } from './two-checkout.schemas';

/** Canonical fields 2CO has no place for at all. */
export const TCO_UNHELD_FIELDS: readonly CanonicalField[] = [
  'type',
  'enabled',
  'metadata',
  'taxCertificates',
  'sourceIds',
  'defaultSourceId',
  'address.additionalAddressInfo',
];

/**
 * FirstName, LastName, Address1, City, Zip, CountryCode and Email are required on the customer
 * object (https://docs.2checkout.com/soap-api-reference/soap-api-6.0/api-requests/customer), keyed
 * here by the canonical field each comes from.
 */
export const TCO_REQUIRED_FIELDS: ReadonlyArray<readonly [field: string, tcoField: string]> = [
  ['givenName', 'FirstName'],
  ['familyName', 'LastName'],
  ['email', 'Email'],
  ['address.line1', 'Address1'],
  ['address.city', 'City'],
  ['address.postalCode', 'Zip'],
  ['address.country', 'CountryCode'],
];

/** The canonical field behind each 2CO field, for refusals that name one ("LastName is required."). */
export const TCO_FIELD_TO_CANONICAL: Readonly<Record<string, string>> = {
  ...Object.fromEntries(TCO_REQUIRED_FIELDS.map(([field, tcoField]) => [tcoField, field])),
  Company: 'companyName',
  FiscalCode: 'taxIdentifiers',
  Address2: 'address.line2',
  State: 'address.state',
  Phone: 'phone',
  Language: 'locale',
  ExternalCustomerReference: 'externalReference',
};

/** The tax identifier type we report for a `FiscalCode`, which carries no type of its own. */
export const TCO_FISCAL_CODE_TYPE = 'vat';

/** BCP 47 `en-US` → 2CO `Language` `en` (ISO 639-1 only, so the region is lost). */
export function toTcoLanguage(locale: string): string | undefined {
  const match = /^([a-z]{2})(?:[-_][a-z0-9]+)*$/i.exec(locale);
  return match ? match[1]!.toLowerCase() : undefined;
}

/**
 * Canonical fields of `customer` that have a value 2CO cannot hold at all (the field table in
 * two-checkout.fields.ts says the same, checked by its spec). A value held in part (a locale's
 * language, the first of several tax ids) is lossy, not unsupported.
 */
export function tcoUnsupportedFields(customer: CustomerData): CanonicalField[] {
  const lost = new Set<CanonicalField>();
  if (customer.type !== undefined) lost.add('type');
  // `Enabled` is derived from subscriptions at 2CO, not writable (docs/providers/two-checkout.md: new customers are Inactive).
  if (!customer.enabled) lost.add('enabled');
  if (Object.keys(customer.metadata).length > 0) lost.add('metadata');
  if (customer.taxCertificates.length > 0) lost.add('taxCertificates');
  if (customer.sourceIds.length > 0) lost.add('sourceIds');
  if (customer.defaultSourceId !== undefined) lost.add('defaultSourceId');
  const extra = customer.address?.additionalAddressInfo;
  if (extra && Object.values(extra).some((value) => value !== undefined)) {
    lost.add('address.additionalAddressInfo');
  }
  // A locale with no ISO 639-1 language (`tlh-QO`) leaves Language empty.
  if (customer.locale !== undefined && toTcoLanguage(customer.locale) === undefined) lost.add('locale');
  // `FiscalCode` is a company's VAT id only (2CO customer object docs).
  if (customer.taxIdentifiers.length > 0 && customer.companyName === undefined) lost.add('taxIdentifiers');
  return [...lost];
}

/**
 * Canonical → `CustomerInformation`. `replacing` is the object 2CO holds now when this body will
 * replace it with a PUT (REST 6.0 updates take the whole object): optional text the canonical
 * customer no longer has is then sent as `""` to clear it, and `Fax`, which canonical does not
 * model, is carried over instead of being wiped.
 */
export function toTcoCustomer(
  reference: string,
  customer: CustomerData,
  replacing?: TcoCustomer,
): { body: TcoCustomerRequest; unsupportedFields: CanonicalField[] } {
  const clear = replacing ? '' : undefined;
  const address = customer.address;
  const fiscal = customer.companyName !== undefined ? customer.taxIdentifiers[0]?.value : undefined;
  const body: TcoCustomerRequest = dropUndefined({
    ExternalCustomerReference: reference,
    FirstName: customer.givenName,
    LastName: customer.familyName,
    Company: customer.companyName ?? clear,
    FiscalCode: fiscal ?? clear,
    Address1: address?.line1,
    Address2: address?.line2 ?? clear,
    City: address?.city,
    State: address?.state ?? clear,
    Zip: address?.postalCode,
    CountryCode: address?.country.toUpperCase(),
    Phone: customer.phone ?? clear,
    Fax: replacing?.Fax ?? undefined,
    Email: customer.email,
    // The locale's language, or cleared when it has none 2CO can hold: never the previous one.
    Language: (customer.locale === undefined ? undefined : toTcoLanguage(customer.locale)) ?? clear,
  });
  return { body, unsupportedFields: tcoUnsupportedFields(customer) };
}

/** What a scrub writes into 2CO's required fields, which cannot be emptied. */
export const TCO_ERASED = 'Erased';
export const TCO_ERASED_ZIP = '00000';
export const TCO_ERASED_EMAIL_DOMAIN = 'example.invalid';

/** The personal fields a forget scrubs, with the placeholders 2CO's required fields need. */
export function toTcoForgottenCustomer(
  reference: string,
  current: TcoCustomer,
): { body: TcoCustomerRequest; notErased: CanonicalField[] } {
  const body: TcoCustomerRequest = dropUndefined({
    ExternalCustomerReference: reference,
    // FirstName, LastName, Address1, City, Zip and Email are required on the 2CO customer object
    // (https://docs.2checkout.com/soap-api-reference/soap-api-6.0/api-requests/customer), so they
    // are overwritten with placeholders rather than emptied.
    FirstName: TCO_ERASED,
    LastName: TCO_ERASED,
    Company: '',
    FiscalCode: '',
    Address1: TCO_ERASED,
    Address2: '',
    City: TCO_ERASED,
    State: '',
    Zip: TCO_ERASED_ZIP,
    CountryCode: current.CountryCode ?? undefined,
    Phone: '',
    Fax: '',
    Email: `erased-${reference.replace(/[^A-Za-z0-9]/g, '')}@${TCO_ERASED_EMAIL_DOMAIN}`,
    Language: current.Language ?? undefined,
  });
  // The country is required and has no neutral value; orders and subscriptions keep their own
  // end-user copies, which this REST API cannot erase.
  return { body, notErased: current.CountryCode ? ['address'] : [] };
}

/**
 * `CustomerInformation` → canonical. `known` is the canonical state we last wrote: it restores the
 * locale region and the tax identifier type that 2CO cannot store, when the stored values agree.
 */
export function fromTcoCustomer(tco: TcoCustomer, known?: CustomerData): RemoteCustomer {
  const numeric = tco.CustomerReference ?? tco.AvangateCustomerReference;
  const providerCustomerId = numeric === undefined || numeric === null ? undefined : String(numeric);
  const country = nonEmpty(tco.CountryCode);
  const address: Address | undefined = country
    ? dropUndefined({
        line1: nonEmpty(tco.Address1),
        line2: nonEmpty(tco.Address2),
        city: nonEmpty(tco.City),
        state: nonEmpty(tco.State),
        postalCode: nonEmpty(tco.Zip),
        // 2CO answers the country lower-case (`"us"`); canonical is upper-case alpha-2.
        country: country.toUpperCase(),
      })
    : undefined;
  const language = nonEmpty(tco.Language)?.toLowerCase();
  const locale =
    language && known?.locale && toTcoLanguage(known.locale) === language ? known.locale : language;
  const fiscal = nonEmpty(tco.FiscalCode);
  const taxIdentifiers: TaxIdentifier[] = fiscal
    ? [
        {
          type: known?.taxIdentifiers.find((tax) => tax.value === fiscal)?.type ?? TCO_FISCAL_CODE_TYPE,
          value: fiscal,
        },
      ]
    : [];
  const customer = customerData(
    dropUndefined({
      email: nonEmpty(tco.Email),
      givenName: nonEmpty(tco.FirstName),
      familyName: nonEmpty(tco.LastName),
      companyName: nonEmpty(tco.Company),
      phone: nonEmpty(tco.Phone),
      address,
      locale,
      taxIdentifiers,
    }),
  );
  return {
    reference: nonEmpty(tco.ExternalCustomerReference) ?? providerCustomerId ?? '',
    ...(providerCustomerId ? { providerCustomerId } : {}),
    customer,
    unsupportedFields: [...TCO_UNHELD_FIELDS],
    forgotten: false,
    raw: tco,
  };
}

function nonEmpty(value: string | null | undefined): string | undefined {
  return value === null || value === undefined || value.trim() === '' ? undefined : value;
}

function dropUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
