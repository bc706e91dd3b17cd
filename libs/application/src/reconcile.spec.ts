import { type LinkDrift } from './customer-reconciliation';
import { adoptionPatch } from './reconcile';
import { DomainError } from '@app/domain';

const inSync: LinkDrift = {
  provider: 'digital-river',
  account: 'default',
  reference: 'crm-1',
  state: 'in_sync',
  fields: [],
};
const drifted: LinkDrift = {
  provider: '2checkout',
  account: 'default',
  reference: 'crm-1',
  state: 'drifted',
  fields: [
    { field: 'email', ours: 'john.smith@example.com', theirs: 'john@example.org' },
    { field: 'phone', ours: '+12025550123', theirs: undefined },
  ],
};
const otherDrifted: LinkDrift = {
  provider: 'digital-river',
  account: 'eu',
  reference: 'crm-1',
  state: 'drifted',
  fields: [{ field: 'email', ours: 'john.smith@example.com', theirs: 'j.smith@example.eu' }],
};
const missing: LinkDrift = {
  provider: 'digital-river',
  account: 'default',
  reference: 'crm-1',
  state: 'missing',
  fields: [],
};

describe('what a reconcile adopts from a provider', () => {
  it('is nothing when every field is pushed', () => {
    expect(adoptionPatch([inSync, drifted], { strategy: 'push' })).toEqual({});
  });

  it('is every drifted field of the first drifted link, a field it lacks removed', () => {
    expect(adoptionPatch([inSync, drifted, otherDrifted], { strategy: 'adopt' })).toEqual({
      email: 'john@example.org',
      phone: null,
    });
  });

  it('takes the values of the provider the caller named', () => {
    const from = { provider: 'digital-river', account: 'eu' };
    expect(adoptionPatch([drifted, otherDrifted], { strategy: 'adopt' }, from)).toEqual({
      email: 'j.smith@example.eu',
    });
  });

  it('adopts only the fields chosen for it, pushing the rest', () => {
    expect(adoptionPatch([drifted], { strategy: 'push', fields: { phone: 'adopt' } })).toEqual({
      phone: null,
    });
    expect(adoptionPatch([drifted], { strategy: 'adopt', fields: { phone: 'push' } })).toEqual({
      email: 'john@example.org',
    });
  });

  it('is nothing when no link drifted', () => {
    expect(adoptionPatch([inSync], { strategy: 'adopt' })).toEqual({});
  });

  it('refuses to adopt from a provider that no longer holds the customer', () => {
    const from = { provider: 'digital-river', account: 'default' };
    const refusal = (() => {
      try {
        adoptionPatch([missing, drifted], { strategy: 'adopt' }, from);
      } catch (error) {
        return error;
      }
    })();
    expect(refusal).toBeInstanceOf(DomainError);
    expect(refusal).toMatchObject({ code: 'provider_customer_not_found' });
  });
});

describe('what a reconcile adopts, per sub-field', () => {
  const cityOnly: LinkDrift = {
    ...drifted,
    fields: [{ field: 'address.city', at: 'City', ours: 'Minnetonka', theirs: 'Edina' }],
  };

  it('patches only the address part that drifted', () => {
    expect(adoptionPatch([cityOnly], { strategy: 'adopt' })).toEqual({ address: { city: 'Edina' } });
  });

  it('lets the parent field’s choice cover its sub-fields', () => {
    expect(adoptionPatch([cityOnly], { strategy: 'push', fields: { address: 'adopt' } })).toEqual({
      address: { city: 'Edina' },
    });
    expect(adoptionPatch([cityOnly], { strategy: 'adopt', fields: { address: 'push' } })).toEqual({});
  });

  it('removes the address when the copy holds no country, and a part the copy lacks', () => {
    const gone: LinkDrift = {
      ...drifted,
      fields: [
        { field: 'address.line2', ours: 'Suite 5', theirs: undefined },
        { field: 'address.country', ours: 'US', theirs: undefined },
        { field: 'address.additionalAddressInfo.division', ours: 'x', theirs: undefined },
      ],
    };
    expect(adoptionPatch([gone], { strategy: 'adopt' })).toEqual({ address: null });
    const line2: LinkDrift = { ...drifted, fields: [gone.fields[0]!] };
    expect(adoptionPatch([line2], { strategy: 'adopt' })).toEqual({ address: { line2: null } });
  });

  it('adopts the first of two provider fields holding one canonical field', () => {
    const both: LinkDrift = {
      ...drifted,
      fields: [
        { field: 'email', ours: 'a@example.test', theirs: 'b@example.test' },
        { field: 'email', at: 'shipping.email', ours: 'a@example.test', theirs: 'c@example.test' },
      ],
    };
    expect(adoptionPatch([both], { strategy: 'adopt' })).toEqual({ email: 'b@example.test' });
  });
});
