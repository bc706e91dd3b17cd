/**
 * What 2Checkout holds of each canonical field, where the mapping writes it, and what its copy
 * should hold of a customer (two-checkout.mapper.ts sends exactly that). The provider's
 * capabilities, `unsupportedFields` and `lossyFields` are derived from this table, `copyDrift`
 * compares by it, and docs/providers/field-projections.md is generated from it
 * (`npm run fields:table`). Customer object:
 * https://docs.2checkout.com/soap-api-reference/soap-api-6.0/api-requests/customer
 */
import {
  type CustomerData,
  type FieldCopy,
  type FieldTable,
  type RemoteCustomer,
  type TaxIdentifier,
  wireCopy,
} from '@app/domain';
import { TCO_FISCAL_CODE_TYPE, tcoUnsupportedFields, toTcoLanguage } from './two-checkout.mapper';
import { type TcoCustomer, tcoCustomerSchema } from './two-checkout.schemas';

const parsed = new WeakMap<object, TcoCustomer | undefined>();

/** 2CO's own object behind a copy this adapter answered (its `raw`), parsed once per copy. */
function tcoCopyOf(remote: RemoteCustomer): TcoCustomer | undefined {
  const raw = remote.raw;
  if (raw === null || typeof raw !== 'object') return undefined;
  if (!parsed.has(raw)) {
    const result = tcoCustomerSchema.safeParse(raw);
    parsed.set(raw, result.success ? result.data : undefined);
  }
  return parsed.get(raw);
}

/** 2CO answers a cleared field as `""` or null: both are no value. */
const text = (value: string | null | undefined) =>
  value === null || value === undefined || value.trim() === '' ? undefined : value;

/** A plain text field: what is sent is the canonical value, what is held is 2CO's text. */
const plain = (
  field: string,
  at: keyof TcoCustomer,
  project: (customer: CustomerData) => string | undefined,
  read: (value: string | undefined) => string | undefined = (value) => value,
): FieldCopy =>
  wireCopy(tcoCopyOf, field, at, project, (held) => {
    const value = held[at];
    return read(typeof value === 'string' ? text(value) : undefined);
  });

/** The one tax id 2CO holds (`FiscalCode`, for companies only), typed as the mirror types it. */
function fiscalCode(customer: CustomerData): TaxIdentifier[] {
  const first = customer.taxIdentifiers[0];
  return customer.companyName !== undefined && first !== undefined ? [first] : [];
}

const none = (note?: string) => ({ support: 'none' as const, ...(note ? { note } : {}), copies: [] });

export const TWO_CHECKOUT_FIELDS: FieldTable = {
  externalReference: {
    support: 'full',
    note: 'ExternalCustomerReference, unique per account, the reference the copy is found by (not compared)',
    copies: [],
  },
  email: { support: 'full', note: 'Email', copies: [plain('email', 'Email', (c) => c.email)] },
  givenName: {
    support: 'full',
    note: 'FirstName',
    copies: [plain('givenName', 'FirstName', (c) => c.givenName)],
  },
  familyName: {
    support: 'full',
    note: 'LastName',
    copies: [plain('familyName', 'LastName', (c) => c.familyName)],
  },
  companyName: {
    support: 'full',
    note: 'Company',
    copies: [plain('companyName', 'Company', (c) => c.companyName)],
  },
  phone: { support: 'full', note: 'Phone', copies: [plain('phone', 'Phone', (c) => c.phone)] },
  address: {
    support: 'full',
    note: 'Address1/2, City, State, Zip, CountryCode (read back lower-case)',
    copies: [
      plain('address.line1', 'Address1', (c) => c.address?.line1),
      plain('address.line2', 'Address2', (c) => c.address?.line2),
      plain('address.city', 'City', (c) => c.address?.city),
      plain('address.state', 'State', (c) => c.address?.state),
      plain('address.postalCode', 'Zip', (c) => c.address?.postalCode),
      plain(
        'address.country',
        'CountryCode',
        (c) => c.address?.country.toUpperCase(),
        (value) => value?.toUpperCase(),
      ),
    ],
  },
  'address.additionalAddressInfo': none(),
  locale: {
    support: 'partial',
    projection: 'the ISO 639-1 language (`Language`): de-CH → de; the region is lost',
    unheld: 'a locale without an ISO 639-1 language clears Language',
    copies: [
      plain(
        'locale',
        'Language',
        (c) => (c.locale === undefined ? undefined : toTcoLanguage(c.locale)),
        (value) => value?.toLowerCase(),
      ),
    ],
    refuses: (c) => tcoUnsupportedFields(c).includes('locale'),
    loses: (c) =>
      c.locale !== undefined &&
      toTcoLanguage(c.locale) !== undefined &&
      toTcoLanguage(c.locale) !== c.locale.toLowerCase(),
  },
  type: none('business is only implied by Company + FiscalCode'),
  enabled: none('Enabled is derived from subscriptions'),
  metadata: none('kept in the gateway only'),
  taxIdentifiers: {
    support: 'partial',
    projection: 'the first tax id, as FiscalCode, only with a Company (its type is not kept)',
    unheld: 'without a Company, FiscalCode is cleared',
    copies: [
      wireCopy(tcoCopyOf, 'taxIdentifiers', 'FiscalCode', fiscalCode, (held, customer) => {
        const value = text(held.FiscalCode);
        if (value === undefined) return [];
        const type = customer.taxIdentifiers.find((tax) => tax.value === value)?.type ?? TCO_FISCAL_CODE_TYPE;
        return [{ type, value }];
      }),
    ],
    refuses: (c) => tcoUnsupportedFields(c).includes('taxIdentifiers'),
    loses: (c) => c.taxIdentifiers.length > 1,
  },
  taxCertificates: none(),
  sourceIds: none(),
  defaultSourceId: none(),
};
