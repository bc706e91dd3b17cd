import { type LinkDrift } from './customer-reconciliation';
import { DomainError } from './errors';
import { adoptionPatch } from './reconcile';

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
