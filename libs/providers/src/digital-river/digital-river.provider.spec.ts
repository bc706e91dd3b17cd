import { TEST_CONTEXT } from '../testing/fixtures';
import { type CustomerData, ProviderError } from '@app/domain';
import { type RunningDigitalRiverSandbox, startDigitalRiverSandbox } from '@app/sandboxes';
import { customerProviderContract } from '../testing/customer-provider.contract';
import { type DigitalRiverConfigInput, parseDigitalRiverConfig } from './digital-river.config';
import { DigitalRiverProvider } from './digital-river.provider';

// Fast retries; the breaker threshold is out of reach here because the fault scenarios share one
// account (the breaker itself is covered in shared/resilience.spec.ts).
const fast = {
  // Short enough for the timeout scenarios, long enough for a loaded 2-core CI machine.
  timeoutMs: 1_000,
  rateLimitPerSecond: 1_000,
  retry: { maxAttempts: 6, baseDelayMs: 5, maxDelayMs: 20 },
  circuitBreaker: { consecutiveFailures: 1_000 },
};

function providerFor(sandbox: RunningDigitalRiverSandbox, overrides: Partial<DigitalRiverConfigInput> = {}) {
  return new DigitalRiverProvider(
    parseDigitalRiverConfig({ account: 'dr-test', baseUrl: sandbox.url, secretKey: sandbox.secretKey, ...fast, ...overrides }),
  );
} // prettier-ignore

const sample = (email: string): CustomerData => ({
  email,
  givenName: 'Ada',
  familyName: 'Lovelace',
  address: { line1: '1 Main St', city: 'Minnetonka', postalCode: '55129', state: 'MN', country: 'US' },
  locale: 'en-US',
  type: 'individual',
  enabled: true,
  metadata: { tier: 'gold', source: 'web' },
  taxIdentifiers: [],
  taxCertificates: [],
  sourceIds: [],
});

customerProviderContract({
  name: 'DigitalRiverProvider',
  async start() {
    const sandbox = await startDigitalRiverSandbox({ seed: 7 });
    return {
      provider: providerFor(sandbox),
      badCredentials: providerFor(sandbox, { secretKey: 'sk_test_wrong0000000000000000' }),
      secret: sandbox.secretKey,
      sample,
      setFaults: (faults) => sandbox.admin.setFaults(faults),
      setRateLimit: (perSecond) => sandbox.admin.setRateLimit(perSecond),
      faultCount: (kind) => sandbox.admin.stats().faults[kind] ?? 0,
      storedReferences: () => sandbox.admin.dump().map((customer) => customer.id),
      corrupt: (reference) => {
        sandbox.admin.modifyCustomer(reference, { enabled: 'yes' } as unknown as { enabled: boolean });
      },
      routes: { create: 'POST /customers', read: 'GET /customers/:id' },
      close: () => sandbox.close(),
    };
  },
});

describe('DigitalRiverProvider operation semantics (sandbox)', () => {
  let sandbox: RunningDigitalRiverSandbox;
  let provider: DigitalRiverProvider;
  beforeAll(async () => {
    sandbox = await startDigitalRiverSandbox({ seed: 11 });
    provider = providerFor(sandbox);
  });
  afterAll(async () => {
    provider.close();
    await sandbox.close();
  });

  it('updates partially: changed fields only, removed metadata keys deleted with ""', async () => {
    const before = sample('before@example.test');
    await provider.create({ reference: 'upd-1', customer: before }, TEST_CONTEXT);
    const after: CustomerData = { ...before, email: 'after@example.test', metadata: { tier: 'platinum' } };
    const plan = await provider.dryRun({ operation: 'update', input: { reference: 'upd-1', previous: before, customer: after } });
    expect(plan.requests).toHaveLength(1);
    expect(plan.requests[0]).toMatchObject({ method: 'POST', url: `${sandbox.url}/customers/upd-1` });
    expect(plan.requests[0]?.body).toEqual({ email: 'after@example.test', shipping: expect.any(Object), metadata: { tier: 'platinum', source: '' } });
    expect(plan.requests[0]?.headers.Authorization).toBe('Bearer sk_test_[REDACTED]');
    const updated = await provider.update({ reference: 'upd-1', previous: before, customer: after }, TEST_CONTEXT);
    // DR's update answers the customer it stored.
    expect(updated.stored?.customer.metadata).toEqual({ tier: 'platinum' });
    expect(updated.stored?.customer.email).toBe('after@example.test');
    expect(updated.stored?.customer.givenName).toBe('Ada');
  }); // prettier-ignore

  it('attaches a source and makes it the default on create, and adds tax identifiers', async () => {
    const source = sandbox.admin.createSource();
    const customer: CustomerData = { ...sample('src@example.test'), sourceIds: [source.id], defaultSourceId: source.id, taxIdentifiers: [{ type: 'de', value: 'DE123456789' }] };
    const created = await provider.create({ reference: 'src-1', customer }, TEST_CONTEXT);
    // DR's create answers the customer it stored, follow-ups included: no read is needed.
    expect(created.stored?.customer.sourceIds).toEqual([source.id]);
    expect(created.stored?.customer.defaultSourceId).toBe(source.id);
    expect(created.stored?.customer.taxIdentifiers).toEqual([{ type: 'de', value: 'DE123456789' }]);
    const detached = await provider.detachTaxIdentifier({ reference: 'src-1', taxIdentifier: { type: 'de', value: 'DE123456789' } }, TEST_CONTEXT);
    expect(detached.customer.taxIdentifiers).toEqual([]);
  }); // prettier-ignore

  it('leaves no second tax identifier when a retry follows a failure between its create and attach', async () => {
    const vat = { type: 'de', value: 'DE999999999' };
    const holding = () => sandbox.admin.dumpTaxIdentifiers().filter((tax) => tax.value === vat.value);
    await provider.create({ reference: 'tax-retry', customer: sample('tax-retry@example.test') }, TEST_CONTEXT);
    // The attach never answers (a crash or timeout after the create): the identifier is left unattached.
    sandbox.admin.setFaults({ 'POST /customers/:id/tax-identifiers/:taxId': { resetRate: 1 } });
    await expect(provider.attachTaxIdentifier({ reference: 'tax-retry', taxIdentifier: vat }, TEST_CONTEXT)).rejects.toBeInstanceOf(ProviderError);
    sandbox.admin.setFaults({});
    expect(holding()).toHaveLength(1);
    expect(holding()[0]!.customerId).toBeUndefined();

    const retried = await provider.attachTaxIdentifier({ reference: 'tax-retry', taxIdentifier: vat }, TEST_CONTEXT);
    expect(retried.customer.taxIdentifiers).toEqual([vat]);
    // The one identifier, now attached: nothing left holding the VAT id where forget cannot reach it.
    expect(holding()).toEqual([expect.objectContaining({ customerId: 'tax-retry' })]);
    // Again, as a retried delivery would: still one.
    await provider.attachTaxIdentifier({ reference: 'tax-retry', taxIdentifier: vat }, TEST_CONTEXT);
    expect(holding()).toHaveLength(1);
  }); // prettier-ignore

  it('lists with cursors, forgets, and deletes idempotently', async () => {
    await provider.create({ reference: 'list-a', customer: sample('list@example.test') }, TEST_CONTEXT);
    await provider.create({ reference: 'list-b', customer: sample('list@example.test') }, TEST_CONTEXT);
    const first = await provider.list({ email: 'list@example.test', limit: 1 }, TEST_CONTEXT);
    expect(first.items).toHaveLength(1);
    expect(first.hasMore).toBe(true);
    const second = await provider.list({ email: 'list@example.test', limit: 1, startingAfter: first.items[0]!.reference }, TEST_CONTEXT);
    expect(second.items.map((item) => item.reference)).not.toContain(first.items[0]!.reference);

    const forgotten = await provider.forget({ reference: 'list-a', customer: sample('list@example.test') }, TEST_CONTEXT);
    expect(forgotten.stored?.forgotten).toBe(true);
    expect(forgotten.notErased).toEqual([]);

    await provider.delete({ reference: 'list-b' }, TEST_CONTEXT);
    await provider.delete({ reference: 'list-b' }, TEST_CONTEXT);
    await expect(provider.get({ reference: 'list-b' }, TEST_CONTEXT)).resolves.toBeNull();
  }); // prettier-ignore

  it('surfaces DR’s own error code, parameter and request id on a refusal', async () => {
    const error: unknown = await provider.create({ reference: 'x'.repeat(41), customer: sample('long@example.test') }, TEST_CONTEXT).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProviderError);
    expect(error).toMatchObject({ kind: 'rejected', status: 400, providerCode: 'invalid_parameter', providerParameter: 'id' });
    expect((error as ProviderError).providerRequestId).toEqual(expect.any(String));
  }); // prettier-ignore
});
