import { type CustomerData } from './customer';
import { type CanonicalField, type CustomerProvider, type RemoteCustomer } from './customer-provider';
import { compareCustomers, copyDrift } from './drift';

const ours: CustomerData = {
  externalReference: 'crm-1001',
  email: 'john.smith@example.com',
  givenName: 'John',
  familyName: 'Smith',
  address: {
    line1: '1 Main Street',
    city: 'Springfield',
    postalCode: '12345',
    country: 'US',
    additionalAddressInfo: { neighborhood: 'Downtown' },
  },
  enabled: true,
  metadata: { crm: 'salesforce' },
  taxIdentifiers: [
    { type: 'us_ein', value: '12-3456789' },
    { type: 'eu_vat', value: 'DE123456789' },
  ],
  taxCertificates: [],
  sourceIds: ['src_1', 'src_2'],
};

describe("drift between the mirror and a provider's copy", () => {
  it('is none for the same customer', () => {
    expect(compareCustomers(ours, structuredClone(ours), [])).toEqual([]);
  });

  it('names each field that differs, with both values, in a stable order', () => {
    const theirs = { ...ours, familyName: 'Smyth', email: 'john@example.org', enabled: false };
    expect(compareCustomers(ours, theirs, [])).toEqual([
      { field: 'email', ours: 'john.smith@example.com', theirs: 'john@example.org' },
      { field: 'familyName', ours: 'Smith', theirs: 'Smyth' },
      { field: 'enabled', ours: true, theirs: false },
    ]);
  });

  it('sees a field the provider lost as drift', () => {
    const { givenName: _lost, ...theirs } = ours;
    expect(compareCustomers(ours, theirs, [])).toEqual([
      { field: 'givenName', ours: 'John', theirs: undefined },
    ]);
  });

  it('leaves out the fields the provider cannot hold', () => {
    const theirs = { ...ours, metadata: {}, taxIdentifiers: [] };
    expect(compareCustomers(ours, theirs, ['metadata', 'taxIdentifiers'])).toEqual([]);
  });

  it('compares the address without its additional info where the provider cannot hold that', () => {
    const theirs = { ...ours, address: { ...ours.address!, additionalAddressInfo: undefined } };
    expect(compareCustomers(ours, theirs, ['address.additionalAddressInfo'])).toEqual([]);
    expect(compareCustomers(ours, theirs, []).map((d) => d.field)).toEqual(['address']);
  });

  it('does not mind key order, or the order of lists that are sets', () => {
    const theirs: CustomerData = {
      ...ours,
      address: {
        country: 'US',
        postalCode: '12345',
        city: 'Springfield',
        line1: '1 Main Street',
        additionalAddressInfo: { neighborhood: 'Downtown' },
      },
      taxIdentifiers: [...ours.taxIdentifiers].reverse(),
      sourceIds: [...ours.sourceIds].reverse(),
    };
    expect(compareCustomers(ours, theirs, [])).toEqual([]);
  });

  it('treats an empty list or object as absent', () => {
    const bare: CustomerData = { ...ours, metadata: {}, taxIdentifiers: [], sourceIds: [] };
    const { metadata: _m, taxIdentifiers: _t, sourceIds: _s, ...withoutThem } = bare;
    expect(compareCustomers(bare, withoutThem as CustomerData, [])).toEqual([]);
  });

  it('does not compare the reference the copy was found by', () => {
    expect(compareCustomers(ours, { ...ours, externalReference: 'other' }, [])).toEqual([]);
  });
});

describe('copyDrift for a provider that declares no field table', () => {
  const provider = (unheld: CanonicalField[] = []) =>
    ({ unsupportedFields: () => unheld }) as unknown as CustomerProvider;
  const remote = (customer: CustomerData, unsupportedFields: CanonicalField[] = []): RemoteCustomer => ({
    reference: 'r',
    customer,
    unsupportedFields,
    forgotten: false,
  });

  it('compares the address part by part', () => {
    const theirs = { ...ours, address: { ...ours.address!, city: 'Shelbyville' } };
    expect(copyDrift(provider(), ours, remote(theirs))).toEqual([
      { field: 'address.city', ours: 'Springfield', theirs: 'Shelbyville' },
    ]);
  });

  it('leaves out what the provider cannot hold, and what a write could not take', () => {
    const theirs = { ...ours, metadata: {}, address: { ...ours.address!, additionalAddressInfo: undefined } };
    expect(
      copyDrift(provider(['metadata']), ours, remote(theirs, ['address.additionalAddressInfo'])),
    ).toEqual([]);
  });
});
