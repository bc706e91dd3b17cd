import {
  CANONICAL_FIELDS,
  type CanonicalField,
  copyDrift,
  customerData,
  type CustomerData,
  type CustomerProvider,
} from '@app/domain';
import { TWO_CHECKOUT_FIELDS } from './two-checkout.fields';
import { fromTcoCustomer, tcoUnsupportedFields, toTcoCustomer } from './two-checkout.mapper';
import { tcoLossyFields, tcoUnheldFields, TWO_CHECKOUT_CAPABILITIES } from './two-checkout.rules';
import { type TcoCustomer, tcoCustomerSchema } from './two-checkout.schemas';

const empty = customerData();

const rich: CustomerData = {
  ...empty,
  email: 'jsmith@example.test',
  givenName: 'John',
  familyName: 'Smith',
  companyName: 'Digital River',
  phone: '952-111-1111',
  address: { line1: '10380 Bren Rd W', line2: 'Suite 5', city: 'Minnetonka', state: 'MN', postalCode: '55129', country: 'US' },
  locale: 'de-CH',
  taxIdentifiers: [{ type: 'eu_vat', value: 'DE123456789' }, { type: 'us_ein', value: '12-3456789' }],
}; // prettier-ignore

/** What 2CO would answer after storing `customer`: the body, the country lower-case as 2CO answers it. */
function stored(customer: CustomerData, replacing?: TcoCustomer): TcoCustomer {
  const { body } = toTcoCustomer('ref', customer, replacing);
  return tcoCustomerSchema.parse({
    ...body,
    CustomerReference: 7,
    CountryCode: body.CountryCode?.toLowerCase(),
  });
}

const provider = {
  fieldTable: TWO_CHECKOUT_FIELDS,
  unsupportedFields: tcoUnheldFields,
} as unknown as CustomerProvider;

/** Every cell: support, and every 2CO field its mapping writes. */
const EXPECTED: Record<CanonicalField, [support: string, at: string[]]> = {
  externalReference: ['full', []],
  email: ['full', ['Email']],
  givenName: ['full', ['FirstName']],
  familyName: ['full', ['LastName']],
  companyName: ['full', ['Company']],
  phone: ['full', ['Phone']],
  address: ['full', ['Address1', 'Address2', 'City', 'State', 'Zip', 'CountryCode']],
  'address.additionalAddressInfo': ['none', []],
  locale: ['partial', ['Language']],
  type: ['none', []],
  enabled: ['none', []],
  metadata: ['none', []],
  taxIdentifiers: ['partial', ['FiscalCode']],
  taxCertificates: ['none', []],
  sourceIds: ['none', []],
  defaultSourceId: ['none', []],
};

describe('2Checkout field table', () => {
  it.each(CANONICAL_FIELDS)('%s: support and the 2CO fields written', (field) => {
    const cell = TWO_CHECKOUT_FIELDS[field];
    expect([cell.support, cell.copies.map((copy) => copy.at)]).toEqual(EXPECTED[field]);
    expect(TWO_CHECKOUT_CAPABILITIES.fields[field].support).toBe(cell.support);
  });

  it.each(CANONICAL_FIELDS.flatMap((field) => TWO_CHECKOUT_FIELDS[field].copies.map((copy) => [field, copy.at, copy] as const)))(
    '%s at %s: what is sent reads back as the projection',
    (_field, _at, copy) => {
      for (const customer of [rich, { ...rich, locale: 'fr', companyName: undefined, taxIdentifiers: [] }]) {
        const remote = fromTcoCustomer(stored(customer));
        expect(JSON.stringify(copy.read(remote, customer) ?? null)).toBe(JSON.stringify(copy.project(customer) ?? null));
      }
    },
  ); // prettier-ignore

  it('holds a locale as its language, and compares it (issue 30: de-CH then fr-FR)', () => {
    const locale = TWO_CHECKOUT_FIELDS.locale.copies[0]!;
    expect(locale.project({ ...empty, locale: 'de-CH' })).toBe('de');
    expect(locale.project({ ...empty, locale: 'tlh-QO' })).toBeUndefined();
    const held = stored(rich);
    const next = { ...rich, locale: 'fr-FR' };
    expect(copyDrift(provider, next, fromTcoCustomer(held, rich))).toEqual([
      { field: 'locale', at: 'Language', ours: 'fr', theirs: 'de' },
    ]);
    expect(toTcoCustomer('ref', next, held).body.Language).toBe('fr');
    expect(toTcoCustomer('ref', { ...next, locale: 'tlh-QO' }, held).body.Language).toBe('');
  });

  it('reports a region or a second tax id as lossy, not unsupported', () => {
    expect(tcoLossyFields(rich)).toEqual(['locale', 'taxIdentifiers']);
    expect(tcoUnheldFields(rich)).toEqual([]);
    expect(tcoUnheldFields({ ...empty, locale: 'tlh-QO' })).toEqual(['locale']);
    expect(tcoLossyFields({ ...empty, locale: 'fr' })).toEqual([]);
  });

  it.each<CustomerData>([
    rich,
    empty,
    { ...empty, locale: 'tlh-QO', type: 'business', enabled: false, metadata: { a: '1' } },
    { ...empty, taxIdentifiers: [{ type: 'vat', value: 'DE1' }], sourceIds: ['s'], defaultSourceId: 's' },
    {
      ...empty,
      taxCertificates: [{ fileId: 'f' }],
      address: { country: 'JP', additionalAddressInfo: { division: 'x' } },
    },
  ])('agrees with the mapper on what is not held (%#)', (customer) => {
    expect([...tcoUnheldFields(customer)].sort()).toEqual([...tcoUnsupportedFields(customer)].sort());
  });

  it('names an address part, read case-blind for the country', () => {
    const held = tcoCustomerSchema.parse({ ...stored(rich), City: 'Edina' });
    expect(copyDrift(provider, rich, fromTcoCustomer(held, rich))).toEqual([
      { field: 'address.city', at: 'City', ours: 'Minnetonka', theirs: 'Edina' },
    ]);
  });
});
