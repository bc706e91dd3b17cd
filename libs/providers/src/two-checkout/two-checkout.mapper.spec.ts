import { customerData, type CustomerData } from '@app/domain';
import { fixtureBody } from '../testing/fixtures';
import {
  TCO_UNHELD_FIELDS,
  fromTcoCustomer,
  toTcoCustomer,
  toTcoForgottenCustomer,
  toTcoLanguage,
} from './two-checkout.mapper';
import { type TcoCustomer, tcoCreatedSchema, tcoCustomerSchema } from './two-checkout.schemas';

const fixture = (name: string) => fixtureBody(__dirname, name);
const tcoCustomer = (name: string): TcoCustomer => tcoCustomerSchema.parse(fixture(name));

const empty = customerData();

/** The customer of the avangate REST sample (create request and GET answer). */
const sampleCustomer: CustomerData = {
  ...empty,
  email: 'john.ruby@avangate.com',
  givenName: 'John',
  familyName: 'Ruby',
  companyName: 'A',
  phone: '021-000-111',
  address: { line1: 'DP10A', line2: 'CBP, b3', city: 'Atlanta', state: 'Georgia', postalCode: '123456', country: 'US' },
  locale: 'en',
  taxIdentifiers: [{ type: 'vat', value: '123' }],
}; // prettier-ignore

describe('2Checkout mapper', () => {
  describe('reads recorded and documented bodies', () => {
    it('get-customer.200.avangate-sample.json: string reference, lower-case country, FiscalCode', () => {
      const remote = fromTcoCustomer(tcoCustomer('get-customer.200.avangate-sample.json'));
      expect(remote.providerCustomerId).toBe('601952421');
      // No ExternalCustomerReference in that sample: the numeric reference is the only one.
      expect(remote.reference).toBe('601952421');
      expect(remote.customer).toEqual(sampleCustomer);
      expect(remote.unsupportedFields).toEqual(TCO_UNHELD_FIELDS);
      expect(remote.forgotten).toBe(false);
    });

    it('get-customer.200.seed004-schema.json: every documented property, CustomerReference naming', () => {
      const known: CustomerData = { ...empty, locale: 'de-DE', taxIdentifiers: [{ type: 'eu_vat', value: 'DE123456789' }] };
      const remote = fromTcoCustomer(tcoCustomer('get-customer.200.seed004-schema.json'), known);
      expect(remote.reference).toBe('HotTalks1Customer123');
      expect(remote.providerCustomerId).toBe('352365983');
      expect(remote.customer).toEqual({
        ...empty,
        email: 'jane.doe@example.test',
        givenName: 'Jane',
        familyName: 'Doe',
        companyName: 'Example GmbH',
        phone: '+49 30 123456',
        address: { line1: 'Hauptstrasse 1', line2: '2. OG', city: 'Berlin', state: 'Berlin', postalCode: '10115', country: 'DE' },
        // Language `de` agrees with what we wrote, so the region and the tax id type come back.
        locale: 'de-DE',
        taxIdentifiers: [{ type: 'eu_vat', value: 'DE123456789' }],
      });
    }); // prettier-ignore

    it('create-customer.200.avangate-sample.json: the bare numeric reference', () => {
      expect(tcoCreatedSchema.parse(fixture('create-customer.200.avangate-sample.json'))).toBe(601952421);
      expect(tcoCreatedSchema.parse('601952421')).toBe('601952421');
      expect(tcoCreatedSchema.safeParse({ id: 1 }).success).toBe(false);
    });
  });

  it('writes the sample’s create body (plus our ExternalCustomerReference; canonical has no Fax)', () => {
    const { Fax: _fax, ...documented } = fixture('create-customer.request.avangate-sample.json') as Record<string, unknown>;
    const { body, unsupportedFields } = toTcoCustomer('cust-1', sampleCustomer);
    expect(body).toEqual({ ...documented, ExternalCustomerReference: 'cust-1' });
    expect(unsupportedFields).toEqual([]);
  }); // prettier-ignore

  it('round trip: canonical → 2CO (country stored lower-case) → canonical', () => {
    const customer: CustomerData = { ...sampleCustomer, locale: 'en-US', taxIdentifiers: [{ type: 'eu_vat', value: '123' }] };
    const { body } = toTcoCustomer('cust-1', customer);
    const stored = tcoCustomerSchema.parse({ ...body, CountryCode: body.CountryCode?.toLowerCase(), CustomerReference: '42', Enabled: false });
    const remote = fromTcoCustomer(stored, customer);
    expect(remote.customer).toEqual(customer);
    expect(remote.reference).toBe('cust-1');
    expect(remote.providerCustomerId).toBe('42');
    // Without our written state, the region and the tax id type are lost.
    expect(fromTcoCustomer(stored).customer).toEqual({ ...customer, locale: 'en', taxIdentifiers: [{ type: 'vat', value: '123' }] });
  }); // prettier-ignore

  describe('every field 2CO cannot hold is reported', () => {
    it.each<[string, Partial<CustomerData>, string[]]>([
      ['metadata', { metadata: { a: '1' } }, ['metadata']],
      ['type', { type: 'business' }, ['type']],
      ['enabled false (subscription-derived at 2CO)', { enabled: false }, ['enabled']],
      ['unparseable locale', { locale: 'x' }, ['locale']],
      ['additionalAddressInfo', { address: { country: 'JP', additionalAddressInfo: { phoneticName: 'ヤマダ' } } }, ['address.additionalAddressInfo']],
      ['tax certificates', { taxCertificates: [{ fileId: 'f' }] }, ['taxCertificates']],
      ['sources', { sourceIds: ['s1'], defaultSourceId: 's1' }, ['sourceIds', 'defaultSourceId']],
      ['a tax id without a company', { taxIdentifiers: [{ type: 'vat', value: 'DE1' }] }, ['taxIdentifiers']],
    ])('%s', (_label, change, fields) => {
      const { body, unsupportedFields } = toTcoCustomer('r', { ...empty, ...change });
      expect(unsupportedFields).toEqual(fields);
      expect(body).not.toHaveProperty('metadata');
      if (fields.includes('taxIdentifiers') && !change.companyName) expect(body.FiscalCode).toBeUndefined();
    }); // prettier-ignore

    // Issue 30: held in part is lossy (tcoLossyFields), not unsupported: the language and the first
    // tax id are sent and compared.
    it.each<[string, Partial<CustomerData>, Record<string, string>]>([
      ['locale region', { locale: 'en-US' }, { Language: 'en' }],
      ['a second tax id', { companyName: 'C', taxIdentifiers: [{ type: 'vat', value: 'DE1' }, { type: 'vat', value: 'FR2' }] }, { FiscalCode: 'DE1' }],
    ])('%s is held in part, not reported unsupported', (_label, change, sent) => {
      const { body, unsupportedFields } = toTcoCustomer('r', { ...empty, ...change });
      expect(unsupportedFields).toEqual([]);
      expect(body).toMatchObject(sent);
    }); // prettier-ignore

    it('nothing is reported for a customer 2CO can hold entirely', () => {
      expect(toTcoCustomer('r', { ...sampleCustomer, locale: 'fr' }).unsupportedFields).toEqual([]);
    });
  });

  it('a replacing PUT clears removed optional fields with "" and keeps the Fax we do not model', () => {
    const current = tcoCustomer('get-customer.200.avangate-sample.json');
    const customer: CustomerData = { ...empty, givenName: 'John', familyName: 'Ruby', email: 'j@example.test', address: { line1: 'L1', city: 'C', postalCode: 'Z', country: 'us' } };
    expect(toTcoCustomer('cust-1', customer, current).body).toEqual({
      ExternalCustomerReference: 'cust-1', FirstName: 'John', LastName: 'Ruby', Email: 'j@example.test',
      Address1: 'L1', Address2: '', City: 'C', State: '', Zip: 'Z', CountryCode: 'US',
      Company: '', FiscalCode: '', Phone: '', Language: '', Fax: '021-000-000',
    });
  }); // prettier-ignore

  it('forget overwrites every personal field and reports the country it must keep', () => {
    const current = tcoCustomer('get-customer.200.avangate-sample.json');
    const { body, notErased } = toTcoForgottenCustomer('cust-1', current);
    const personal = ['john', 'ruby', 'DP10A', 'CBP', 'Atlanta', 'Georgia', '123456', '021-000', 'avangate'];
    for (const value of personal)
      expect(JSON.stringify(body).toLowerCase()).not.toContain(value.toLowerCase());
    expect(body.CountryCode).toBe('us');
    expect(notErased).toEqual(['address']);
  });

  it.each([
    ['en-US', 'en'],
    ['EN', 'en'],
    ['zh-Hant-TW', 'zh'],
    ['english', undefined],
  ])('language of %s is %s', (locale, language) => {
    expect(toTcoLanguage(locale)).toBe(language);
  });
});
