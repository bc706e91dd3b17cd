import { TEST_CONTEXT } from '../testing/fixtures';
import { type CustomerData, type CustomerProvider, DomainError } from '@app/domain';
import { type RunningTwoCheckoutSandbox, startTwoCheckoutSandbox } from '@app/sandboxes';
import { customerProviderContract } from '../testing/customer-provider.contract';
import { type TwoCheckoutConfigInput, parseTwoCheckoutConfig } from './two-checkout.config';
import { TwoCheckoutProvider } from './two-checkout.provider';

// Fast retries; the breaker threshold is out of reach here because the fault scenarios share one
// account (the breaker itself is covered in shared/resilience.spec.ts).
const fast = {
  // Short enough for the timeout scenarios, long enough for a loaded 2-core CI machine.
  timeoutMs: 1_000,
  rateLimitPerSecond: 1_000,
  retry: { maxAttempts: 6, baseDelayMs: 5, maxDelayMs: 20 },
  circuitBreaker: { consecutiveFailures: 1_000 },
};

function providerFor(sandbox: RunningTwoCheckoutSandbox, overrides: Partial<TwoCheckoutConfigInput> = {}) {
  return new TwoCheckoutProvider(
    parseTwoCheckoutConfig({ account: 'tco-test', baseUrl: sandbox.url, merchantCode: sandbox.merchantCode, secretKey: sandbox.secretKey, ...fast, ...overrides }),
  );
} // prettier-ignore

const sample = (email: string): CustomerData => ({
  email,
  givenName: 'Ada',
  familyName: 'Lovelace',
  companyName: 'Analytical Engines Ltd',
  address: { line1: '12 St James Sq', city: 'London', postalCode: 'SW1Y 4JH', country: 'GB' },
  locale: 'en-GB',
  enabled: true,
  metadata: {},
  taxIdentifiers: [{ type: 'vat', value: 'GB999999973' }],
  taxCertificates: [],
  sourceIds: [],
});

customerProviderContract({
  name: 'TwoCheckoutProvider',
  async start() {
    const sandbox = await startTwoCheckoutSandbox({ seed: 7 });
    return {
      provider: providerFor(sandbox),
      badCredentials: providerFor(sandbox, { secretKey: 'not-the-secret' }),
      secret: sandbox.secretKey,
      sample,
      setFaults: (faults) => sandbox.admin.setFaults(faults),
      setRateLimit: (perSecond) => sandbox.admin.setRateLimit(perSecond),
      faultCount: (kind) => sandbox.admin.stats().faults[kind] ?? 0,
      storedReferences: () =>
        sandbox.admin.dump().flatMap((customer) => (customer.ExternalCustomerReference ? [customer.ExternalCustomerReference] : [])),
      corrupt: (reference) => {
        sandbox.admin.modifyCustomer(reference, { Enabled: 'yes' } as unknown as { Enabled: boolean });
      },
      routes: { create: 'POST /customers', read: 'GET /customers/:ref' },
      close: () => sandbox.close(),
    };
  },
}); // prettier-ignore

describe('TwoCheckoutProvider operation semantics (sandbox)', () => {
  let sandbox: RunningTwoCheckoutSandbox;
  let provider: TwoCheckoutProvider;
  beforeAll(async () => {
    sandbox = await startTwoCheckoutSandbox({ seed: 11 });
    provider = providerFor(sandbox);
  });
  afterAll(async () => {
    provider.close();
    await sandbox.close();
  });

  it('creates with both references in one call and reports what 2CO cannot hold', async () => {
    const customer: CustomerData = { ...sample('both@example.test'), metadata: { tier: 'gold' }, type: 'business' };
    const before = sandbox.admin.stats().byRoute;
    const created = await provider.create({ reference: 'tco-1', customer }, TEST_CONTEXT);
    // The create answers only the numeric reference, and the adapter does not read the copy back.
    expect(sandbox.admin.stats().byRoute).toEqual({ ...before, 'POST /customers': (before['POST /customers'] ?? 0) + 1 });
    expect(created).toEqual({ reference: 'tco-1', providerCustomerId: expect.stringMatching(/^\d+$/), unsupportedFields: expect.any(Array), created: true });
    // Issue 30: the locale's region is lost, but its language is held: lossy, not unsupported.
    expect(created.unsupportedFields.sort()).toEqual(['metadata', 'type']);
    expect(provider.lossyFields(customer)).toEqual(['locale']);
    // Read with what the mirror holds, which restores the locale's region 2CO cannot store.
    const byNumeric = await provider.get({ reference: 'tco-1', providerCustomerId: created.providerCustomerId, known: customer }, TEST_CONTEXT);
    expect(byNumeric?.reference).toBe('tco-1');
    expect(byNumeric?.customer.address?.country).toBe('GB');
    expect(byNumeric?.customer.locale).toBe('en-GB');
  }); // prettier-ignore

  it('updates by read-modify-write PUT of the whole object, keeping fields we do not model', async () => {
    const before = sample('rmw@example.test');
    const created = await provider.create({ reference: 'tco-2', customer: before }, TEST_CONTEXT);
    sandbox.admin.modifyCustomer('tco-2', { Fax: '+44 20 0000' });
    const after: CustomerData = { ...before, phone: '+44 20 1234', companyName: undefined, taxIdentifiers: [] };
    const plan = await provider.dryRun({ operation: 'update', input: { reference: 'tco-2', previous: before, customer: after } }, TEST_CONTEXT);
    expect(plan.requests.map((request) => request.method)).toEqual(['GET', 'PUT']);
    expect(plan.requests[1]?.url).toBe(`${sandbox.url}/customers/${created.providerCustomerId}/`);
    expect(plan.requests[1]?.headers['X-Avangate-Authentication']).toMatch(/hash="\[REDACTED\]" algo="sha256"$/);
    const calls = sandbox.admin.stats().requests;
    const updated = await provider.update({ reference: 'tco-2', previous: before, customer: after }, TEST_CONTEXT);
    // The read and the PUT; the PUT answers no customer, and the copy is not read back.
    expect(sandbox.admin.stats().requests).toBe(calls + 2);
    // Issue 30: the en-GB locale is held in part (Language en), not reported unsupported.
    expect(updated).toEqual({ reference: 'tco-2', providerCustomerId: created.providerCustomerId, unsupportedFields: [] });
    const stored = await provider.get({ reference: 'tco-2', known: after }, TEST_CONTEXT);
    expect(stored?.customer.phone).toBe('+44 20 1234');
    expect(stored?.customer.companyName).toBeUndefined();
    expect(stored?.customer.taxIdentifiers).toEqual([]);
    expect(sandbox.admin.dump().find((c) => c.ExternalCustomerReference === 'tco-2')?.Fax).toBe('+44 20 0000');
  }); // prettier-ignore

  it('refuses delete, list, sources and tax resources before any call', async () => {
    const before = sandbox.admin.stats().requests;
    const port: CustomerProvider = provider;
    await expect(port.delete({ reference: 'tco-1' }, TEST_CONTEXT)).rejects.toMatchObject({ code: 'unsupported_by_provider' });
    await expect(port.list({}, TEST_CONTEXT)).rejects.toBeInstanceOf(DomainError);
    await expect(port.attachSource({ reference: 'tco-1', sourceId: 's' }, TEST_CONTEXT)).rejects.toBeInstanceOf(DomainError);
    await expect(provider.dryRun({ operation: 'detachSource', input: { reference: 'tco-1', sourceId: 's' } }, TEST_CONTEXT)).rejects.toBeInstanceOf(DomainError);
    expect(sandbox.admin.stats().requests).toBe(before);
  }); // prettier-ignore

  it('plans a delete as the scrub that stands in for it (2CO has no delete)', async () => {
    const plan = await provider.dryRun({ operation: 'delete', input: { reference: 'tco-1' } }, TEST_CONTEXT);
    expect(plan.requests.map((r) => r.method)).toEqual(['GET', 'PUT']);
    expect(plan.requests[1]?.body).toMatchObject({ FirstName: 'Erased', LastName: 'Erased' });
  });

  it('says which rules a customer breaks, what it keeps in part, and what a scrub leaves', async () => {
    const incomplete = { ...sample('rules@example.test'), familyName: undefined, address: { country: 'GB' } };
    expect(provider.check(incomplete).map((v) => `${v.field}:${v.rule}`)).toEqual([
      'familyName:required', 'address.line1:required', 'address.city:required', 'address.postalCode:required',
    ]);
    expect(provider.check({ ...sample('rules@example.test'), companyName: undefined })).toEqual([
      expect.objectContaining({ field: 'taxIdentifiers', rule: 'requires' }),
    ]);
    expect(provider.check(sample('rules@example.test'))).toEqual([]);
    expect(provider.lossyFields({ ...sample('rules@example.test'), locale: 'en-GB' })).toEqual(['locale']);
    await provider.create({ reference: 'tco-4', customer: sample('scrub@example.test') }, TEST_CONTEXT);
    const before = await provider.get({ reference: 'tco-4' }, TEST_CONTEXT);
    expect(provider.personalDataHeld(before!)).toEqual(expect.arrayContaining(['email', 'givenName', 'address']));
    await provider.forget({ reference: 'tco-4', customer: sample('scrub@example.test') }, TEST_CONTEXT);
    const after = await provider.get({ reference: 'tco-4' }, TEST_CONTEXT);
    expect(provider.personalDataHeld(after!)).toEqual(['address']);
    expect(provider.unerasableFields).toEqual(['address']);
  }); // prettier-ignore

  it('forgets by scrubbing personal fields and says what it could not erase', async () => {
    await provider.create({ reference: 'tco-3', customer: sample('forget@example.test') }, TEST_CONTEXT);
    const result = await provider.forget(
      { reference: 'tco-3', customer: sample('forget@example.test') },
      TEST_CONTEXT,
    );
    expect(result.notErased).toEqual(['address']);
    const stored = JSON.stringify(sandbox.admin.dump().find((c) => c.ExternalCustomerReference === 'tco-3'));
    for (const personal of ['forget@example.test', 'Ada', 'Lovelace', 'St James', 'GB999999973']) {
      expect(stored).not.toContain(personal);
    }
  });
});
