import { applyPatch } from './customer.service';
import { type CustomerData } from '@app/domain';

const current: CustomerData = {
  externalReference: 'crm-1001',
  email: 'john.smith@example.com',
  givenName: 'John',
  familyName: 'Smith',
  phone: '+12025550123',
  address: {
    line1: '1 Main Street',
    line2: 'Suite 5',
    city: 'Springfield',
    postalCode: '12345',
    country: 'US',
    additionalAddressInfo: { neighborhood: 'Downtown', division: 'North' },
  },
  locale: 'en-US',
  enabled: false,
  metadata: { crm: 'salesforce', tier: 'gold' },
  taxIdentifiers: [{ type: 'us_ein', value: '12-3456789' }],
  taxCertificates: [{ companyName: 'Smith Inc' }],
  sourceIds: ['src_1'],
};

/** applyPatch (customer.service.ts): JSON merge patch, RFC 7396 (https://www.rfc-editor.org/rfc/rfc7396). */
describe('a merge patch of a customer', () => {
  it('keeps every field the patch does not name', () => {
    expect(applyPatch(current, {})).toEqual(current);
    expect(applyPatch(current, { givenName: 'Johnny' })).toEqual({ ...current, givenName: 'Johnny' });
  });

  it('removes a field set to null', () => {
    const { phone: _phone, locale: _locale, ...rest } = current;
    expect(applyPatch(current, { phone: null, locale: null })).toEqual(rest);
  });

  it('merges the address line by line, down to its additional info', () => {
    const next = applyPatch(current, {
      address: {
        line2: null,
        city: 'Shelbyville',
        additionalAddressInfo: { division: null, phoneticName: 'ジョン' },
      },
    });
    expect(next.address).toEqual({
      line1: '1 Main Street',
      city: 'Shelbyville',
      postalCode: '12345',
      country: 'US',
      additionalAddressInfo: { neighborhood: 'Downtown', phoneticName: 'ジョン' },
    });
  });

  it('removes the whole address, or only its additional info, with null', () => {
    expect(applyPatch(current, { address: null })).not.toHaveProperty('address');
    expect(applyPatch(current, { address: { additionalAddressInfo: null } }).address).toEqual({
      line1: '1 Main Street',
      line2: 'Suite 5',
      city: 'Springfield',
      postalCode: '12345',
      country: 'US',
    });
  });

  it('merges metadata key by key, and empties it with null', () => {
    expect(applyPatch(current, { metadata: { tier: null, region: 'emea' } }).metadata).toEqual({
      crm: 'salesforce',
      region: 'emea',
    });
    expect(applyPatch(current, { metadata: null }).metadata).toEqual({});
  });

  it('replaces lists whole, and empties them with null', () => {
    expect(applyPatch(current, { sourceIds: ['src_2', 'src_3'] }).sourceIds).toEqual(['src_2', 'src_3']);
    const cleared = applyPatch(current, { sourceIds: null, taxIdentifiers: null, taxCertificates: null });
    expect(cleared).toMatchObject({ sourceIds: [], taxIdentifiers: [], taxCertificates: [] });
  });

  it('turns enabled back to its default, true, when cleared', () => {
    expect(applyPatch(current, { enabled: null }).enabled).toBe(true);
    expect(applyPatch({ ...current, enabled: true }, { enabled: false }).enabled).toBe(false);
  });

  it('never changes the customer it was given', () => {
    const before = structuredClone(current);
    applyPatch(current, { address: { city: 'Shelbyville' }, metadata: { tier: null }, sourceIds: null });
    expect(current).toEqual(before);
  });
});
