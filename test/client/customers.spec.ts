import {
  type CreateCustomer,
  createGatewayClient,
  type Customer,
  CustomerGoneError,
  GatewayError,
} from '@customer-sync/client';

import { collect } from './collect';
import { type GatewayWithSandboxes, KEYS, startGatewayWithSandboxes } from '../support/gateway';

const DR = { provider: 'digital-river', account: 'sandbox' } as const;
const TCO = { provider: 'two-checkout', account: 'sandbox' } as const;

/** A customer each default provider accepts, under its own email. */
const jane = (email: string, providers = [DR]): CreateCustomer => ({
  email,
  givenName: 'Jane',
  familyName: 'Doe',
  address: { line1: '10380 Bren Rd W', city: 'Minnetonka', postalCode: '55129', country: 'US' },
  providers,
});

const statusOf = (customer: Customer, provider: string) =>
  customer.providers.find((link) => link.provider === provider)?.status;

/** The GatewayError a call fails with; fails the test if it succeeds or fails otherwise. */
async function refusal(call: Promise<unknown>): Promise<GatewayError> {
  const outcome = await call.then(
    (value) => new Error(`expected a refusal, got ${JSON.stringify(value)}`),
    (error: unknown) => error,
  );
  if (!(outcome instanceof GatewayError)) throw outcome;
  return outcome;
}

describe('client.customers: every customer operation against a gateway with both sandboxes', () => {
  let gateway: GatewayWithSandboxes;
  const client = () => createGatewayClient({ baseUrl: gateway.url, apiKey: KEYS.admin });
  const dr = () => gateway.sandboxes['digital-river'].admin;

  beforeAll(async () => {
    gateway = await startGatewayWithSandboxes();
  });
  afterAll(() => gateway.close());

  it('keeps the ETag of every read and write, and writes with ifMatch only onto that version', async () => {
    const created = await client().customers.create(jane('etag@example.com'));
    expect(created.etag).toBe(`"${created.version}"`);
    // The tag rides beside the customer, not in it.
    expect(Object.keys(created)).not.toContain('etag');
    expect(JSON.parse(JSON.stringify(created))).not.toHaveProperty('etag');

    const read = await client().customers.get(created.id);
    expect(read.etag).toBe(created.etag);
    const updated = await client().customers.update(
      read.id,
      { phone: '952-222-2222' },
      { ifMatch: read.etag },
    );
    expect(updated).toMatchObject({
      phone: '952-222-2222',
      version: read.version + 1,
      etag: `"${read.version + 1}"`,
    });

    // Someone else's write came between: the stale tag is refused, and nothing changes.
    const stale = await refusal(
      client().customers.update(read.id, { phone: '952-333-3333' }, { ifMatch: read.etag }),
    );
    expect(stale).toMatchObject({ status: 412, code: 'precondition_failed', retryable: false });
    // A read whose ETag got lost on the way (undefined) never becomes an unconditional write.
    const untagged = client().customers.update(read.id, { phone: '952-444-4444' }, { ifMatch: undefined });
    await expect(untagged).rejects.toThrow(TypeError);
    const now = await client().customers.get(read.id);
    expect(now).toMatchObject({ phone: '952-222-2222', etag: updated.etag });

    const reference = created.providers[0]!.reference;
    const byReference = await client().customers.getByReference('digital-river', reference);
    expect(byReference).toMatchObject({ id: created.id, etag: updated.etag });
  });

  it('plans a create, an update, a link and a delete with { dryRun: true }, and does none of them', async () => {
    const plan = await client().customers.create(jane('plan@example.com'), { dryRun: true });
    expect(plan).toMatchObject({
      dryRun: true,
      providers: [expect.objectContaining({ provider: 'digital-river' })],
    });
    expect(await collect(client().customers.list({ email: 'plan@example.com' }))).toEqual([]);

    const customer = await client().customers.create(jane('plan@example.com'));
    expect(
      (await client().customers.update(customer.id, { phone: '952-444-4444' }, { dryRun: true })).dryRun,
    ).toBe(true);
    expect((await client().customers.links.create(customer.id, TCO, { dryRun: true })).dryRun).toBe(true);
    expect((await client().customers.delete(customer.id, { dryRun: true })).dryRun).toBe(true);
    expect(await client().customers.get(customer.id)).toMatchObject({
      version: 1,
      phone: null,
      deletedAt: null,
    });
    expect(customer.providers.map((link) => link.provider)).toEqual(['digital-river']);
  });

  it('links, syncs, reads drift, reconciles and lists the provider calls', async () => {
    const customer = await client().customers.create(jane('links@example.com'));
    const linked = await client().customers.links.create(customer.id, TCO);
    expect(linked.providers.map((link) => link.provider).sort()).toEqual(['digital-river', 'two-checkout']);
    expect(statusOf(linked, 'two-checkout')).toBe('synced');

    const synced = await client().customers.sync(customer.id);
    expect(synced.providers.every((link) => link.status === 'synced')).toBe(true);

    const drift = await client().customers.drift(customer.id);
    expect(drift.data.map((link) => [link.provider, link.state]).sort()).toEqual([
      ['digital-river', 'in_sync'],
      ['two-checkout', 'in_sync'],
    ]);
    const reconciled = await client().customers.reconcile(customer.id, { strategy: 'push' });
    expect(reconciled.data.every((link) => link.state === 'in_sync')).toBe(true);

    const calls = await collect(client().customers.calls.list(customer.id, { limit: 500 }));
    expect(calls.map((call) => call.provider)).toEqual(
      expect.arrayContaining(['digital-river', 'two-checkout']),
    );
  });

  it('attaches and detaches payment sources, and sets and removes tax identifiers', async () => {
    const customer = await client().customers.create(jane('sources@example.com'));
    const source = dr().createSource();
    const attached = await client().customers.sources.attach(customer.id, source.id, { default: true });
    expect(attached).toMatchObject({ sources: [source.id], defaultSourceId: source.id });
    const detached = await client().customers.sources.detach(customer.id, source.id);
    expect(detached).toMatchObject({ sources: [], defaultSourceId: null });

    const taxed = await client().customers.taxIdentifiers.set(customer.id, {
      type: 'us_ein',
      value: '12-3456789',
    });
    expect(taxed.taxIdentifiers).toEqual([{ type: 'us_ein', value: '12-3456789' }]);
    const untaxed = await client().customers.taxIdentifiers.remove(customer.id, 'us_ein');
    expect(untaxed.taxIdentifiers).toEqual([]);
  });

  it('imports a customer only a provider holds, once', async () => {
    const [reference] = dr().seed(1) as [string];
    const imported = await client().customers.import({ provider: 'digital-river', reference });
    expect(imported.providers[0]).toMatchObject({ provider: 'digital-river', reference });
    expect(imported.etag).toBe(`"${imported.version}"`);
    const again = await client().customers.import({ provider: 'digital-river', reference });
    expect(again.id).toBe(imported.id);
  });

  it('deletes one customer and forgets another, everywhere', async () => {
    const doomed = await client().customers.create(jane('delete@example.com'));
    const deleted = await client().customers.delete(doomed.id);
    expect(deleted).toMatchObject({ id: doomed.id, deleted: true });
    // Gone, typed: when, and what each provider still holds (nothing here).
    const gone = await refusal(client().customers.get(doomed.id));
    expect(gone).toBeInstanceOf(CustomerGoneError);
    expect(gone).toMatchObject({ status: 410, code: 'customer_gone', deletedAt: expect.any(String) });
    expect((gone as CustomerGoneError).providers).toEqual([
      expect.objectContaining({ provider: 'digital-river', outcome: 'deleted', remaining: [] }),
    ]);

    const forgotten = await client().customers.create(jane('forget@example.com'));
    const erased = await client().customers.forget(forgotten.id);
    expect(erased.customer).toMatchObject({ id: forgotten.id, forgotten: true, email: null });
    expect(erased.providers.map((report) => report.provider)).toEqual(['digital-river']);
  });
});
