import { applyPatch } from './customer.service';
import { mayBeOwnEcho, resolutionOf } from './provider-change-decisions';
import {
  conflictChoice,
  conflictPolicyProblems,
  type Customer,
  customerData,
  type ProviderLink,
  compareCustomers,
} from '@app/domain';

const link = (overrides: Partial<ProviderLink> = {}): ProviderLink => ({
  provider: 'two-checkout',
  account: 'default',
  reference: 'cus_1',
  status: 'synced',
  intent: 'sync',
  syncedVersion: 3,
  attempts: 0,
  unsupportedFields: [],
  lossyFields: [],
  primary: false,
  createdAt: new Date(0),
  ...overrides,
});

const ours = customerData({
  email: 'ada@example.test',
  phone: '111',
  address: { line1: '1 Main St', line2: 'Flat 2', city: 'Springfield', country: 'US' },
});

const customer = (version: number, providers: ProviderLink[] = []): Customer => ({
  id: 'cus_1',
  ...ours,
  version,
  createdAt: new Date(0),
  updatedAt: new Date(0),
  providers,
});

describe('mayBeOwnEcho: a copy read while our own write may be on its way is not a change', () => {
  it.each([
    ['pending (queued or retrying)', link({ status: 'pending' }), 3, true],
    ['leased by a worker', link({ lockedUntil: new Date(Date.now() + 60_000) }), 3, true],
    ['confirmed at an older version', link({ syncedVersion: 2 }), 3, true],
    ['never confirmed', link({ syncedVersion: undefined }), 3, true],
    ['synced at the current version, lease long gone', link({ lockedUntil: new Date(0) }), 3, false],
    ['parked failed at the current version', link({ status: 'failed' }), 3, false],
  ])('%s', (_what, copy, version, echo) => {
    expect(mayBeOwnEcho(customer(version, [copy]), copy)).toBe(echo);
  });
});

describe('resolutionOf: each differing field pushed or adopted, as the policy says', () => {
  const theirs = customerData({
    email: 'ada@example.test',
    phone: '222',
    address: { line1: '9 Elm St', city: 'Springfield', country: 'US' },
  });
  const drift = compareCustomers(ours, theirs, []);

  it('pushes everything by default', () => {
    expect(resolutionOf({}, 'two-checkout', drift)).toEqual({
      pushed: ['phone', 'address'],
      adopted: [],
      patch: {},
    });
  });

  it('adopts the fields the provider policy names, per field over its default', () => {
    const policy = { 'two-checkout': { default: 'adopt' as const, fields: { phone: 'push' as const } } };
    const resolution = resolutionOf(policy, 'two-checkout', drift);
    expect(resolution.pushed).toEqual(['phone']);
    expect(resolution.adopted).toEqual(['address']);
    // A key the provider lacks is removed explicitly: a merge patch keeps what it does not name.
    expect(applyPatch(ours, resolution.patch).address).toEqual(theirs.address);
  });

  it('leaves other providers to their own policy', () => {
    const policy = { 'digital-river': { default: 'adopt' as const } };
    expect(resolutionOf(policy, 'two-checkout', drift).adopted).toEqual([]);
  });

  it('adopts a field the provider no longer has as its removal', () => {
    const without = compareCustomers(ours, { ...ours, phone: undefined }, []);
    const resolution = resolutionOf(
      { 'two-checkout': { fields: { phone: 'adopt' } } },
      'two-checkout',
      without,
    );
    expect(resolution.patch).toEqual({ phone: null });
    expect(applyPatch(ours, resolution.patch).phone).toBeUndefined();
  });
});

describe('the conflict policy configuration', () => {
  it('chooses push unless told otherwise', () => {
    expect(conflictChoice({}, 'two-checkout', 'phone')).toBe('push');
    expect(conflictChoice({ 'two-checkout': { default: 'adopt' } }, 'two-checkout', 'phone')).toBe('adopt');
  });

  it('names every problem on a line of its own', () => {
    expect(
      conflictPolicyProblems({ 'two-checkout': { default: 'push', fields: { phone: 'adopt' } } }),
    ).toEqual([]);
    expect(
      conflictPolicyProblems({
        'Two Checkout': {},
        'two-checkout': { default: 'merge', fields: { shoeSize: 'adopt', phone: 'keep' }, extra: 1 },
        'digital-river': 'push',
      }),
    ).toEqual([
      '"Two Checkout" is not a provider id',
      '"two-checkout".default must be "push" or "adopt"',
      '"two-checkout".fields.shoeSize is not a compared field (email, givenName, familyName, companyName, phone, address, locale, type, enabled, metadata, taxIdentifiers, taxCertificates, sourceIds, defaultSourceId)',
      '"two-checkout".fields.phone must be "push" or "adopt"',
      '"two-checkout".extra is not a setting (use "default" and "fields")',
      '"digital-river" must be an object with "default" and/or "fields"',
    ]);
    expect(conflictPolicyProblems([])).toEqual(['must be a JSON object keyed by provider']);
  });
});
