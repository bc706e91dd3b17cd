import { type CustomerProvider, jobContext, ProviderAccounts, ProviderChanges } from '@app/domain';
import request from 'supertest';

import {
  bearer,
  type GatewayWithSandboxes,
  johnSmith,
  KEYS,
  type Link,
  linkOf,
  startGatewayWithSandboxes,
} from '../support/gateway';

interface CustomerBody {
  id: string;
  version: number;
  phone?: string;
  externalReference: string;
  providers: Link[];
}

interface EventBody {
  type: string;
  customerId: string;
  data: Record<string, unknown>;
}

const TEST_CONTEXT = jobContext('test');

/**
 * The conflict policy through ProviderChanges.observe, on the real sandboxes: an edit made at the
 * 2CO sandbox behind the gateway's back (its admin API) is pushed back or adopted, as configured;
 * an echo of our own pending delivery is left alone; the events name fields, never values.
 */
describe.each<{ policy: string; env: Record<string, string> }>([
  { policy: 'push', env: {} },
  {
    policy: 'adopt',
    env: { CONFLICT_POLICY: JSON.stringify({ 'two-checkout': { fields: { phone: 'adopt' } } }) },
  },
])('ProviderChanges.observe with CONFLICT_POLICY $policy for 2CO phone', ({ policy, env }) => {
  let gateway: GatewayWithSandboxes;
  const writer = bearer(KEYS.admin);
  const api = () => request(gateway.url);
  const tco = () => gateway.sandboxes['two-checkout'].admin;
  const dr = () => gateway.sandboxes['digital-river'].admin;
  const changes = () => gateway.app.get(ProviderChanges);

  // Two cores shared by many suites: starting the gateway and both sandboxes may take a while.
  beforeAll(async () => {
    gateway = await startGatewayWithSandboxes(env);
  }, 180_000);
  afterAll(async () => {
    await gateway.close();
  });

  async function synced(externalReference: string): Promise<CustomerBody> {
    const res = await api()
      .post('/v1/customers')
      .set(writer)
      .send(johnSmith({ externalReference, email: `${externalReference}@example.com` }))
      .expect(201);
    await gateway.drain();
    return (
      await api()
        .get(`/v1/customers/${(res.body as CustomerBody).id}`)
        .set(writer)
        .expect(200)
    ).body as CustomerBody;
  }

  const hintFor = (customer: CustomerBody) => {
    const link = linkOf(customer, 'two-checkout');
    return { provider: 'two-checkout', account: link.account, reference: link.reference };
  };

  async function eventsOf(customerId: string): Promise<EventBody[]> {
    const res = await api().get('/v1/events').query({ limit: 100 }).set(writer).expect(200);
    return (res.body as { data: EventBody[] }).data.filter((e) => e.customerId === customerId);
  }

  it('answers in_sync for an untouched copy and unknown_customer for a reference nobody links', async () => {
    const customer = await synced(`pc-same-${policy}`);
    await expect(changes().observe(TEST_CONTEXT, hintFor(customer))).resolves.toEqual({ kind: 'in_sync' });
    await expect(
      changes().observe(TEST_CONTEXT, { ...hintFor(customer), reference: 'nobody-links-this' }),
    ).resolves.toEqual({ kind: 'unknown_customer' });
  });

  it('resolves an edit made at the 2CO sandbox as the policy says, with events naming fields only', async () => {
    const customer = await synced(`pc-edit-${policy}`);
    tco().modifyCustomer(customer.externalReference, { Phone: '555-0199' });

    const observed = await changes().observe(TEST_CONTEXT, hintFor(customer));
    const after = (await api().get(`/v1/customers/${customer.id}`).set(writer).expect(200))
      .body as CustomerBody;
    if (policy === 'push') {
      expect(observed).toEqual({ kind: 'resolved', pushed: ['phone'], adopted: [] });
      expect(after.version).toBe(customer.version);
      expect(after.phone).toBe('952-111-1111');
      expect(
        tco()
          .dump()
          .find((c) => c.ExternalCustomerReference === customer.externalReference)?.Phone,
      ).toBe('952-111-1111');
    } else {
      expect(observed).toEqual({ kind: 'resolved', pushed: [], adopted: ['phone'] });
      expect(after.version).toBe(customer.version + 1);
      expect(after.phone).toBe('555-0199');
      await gateway.drain();
      expect(
        dr()
          .dump()
          .find((c) => c.id === customer.externalReference)?.shipping?.phone,
      ).toBe('555-0199');
    }
    const events = await eventsOf(customer.id);
    const detected = events.find((e) => e.type === 'customer.provider_change_detected');
    const resolved = events.find((e) => e.type === 'customer.provider_change_resolved');
    expect(detected?.data).toMatchObject({ provider: 'two-checkout', fields: ['phone'], missing: false });
    expect(resolved?.data).toMatchObject({ provider: 'two-checkout', missing: false });
    for (const event of [detected, resolved]) expect(JSON.stringify(event)).not.toContain('555-0199');
  });

  // Under either policy: the write made while the copy is read wins, and the copy read is an echo.
  it('lets an API write made while the copy is read win over the policy', async () => {
    const customer = await synced(`pc-race-${policy}`);
    tco().modifyCustomer(customer.externalReference, { Phone: '555-0142' });
    // The API write lands between the policy's read of the 2CO copy and its adopt.
    const adapter: CustomerProvider = gateway.app
      .get(ProviderAccounts)
      .get('two-checkout', hintFor(customer).account);
    const read = adapter.get.bind(adapter);
    let raced = false;
    const spy = jest.spyOn(adapter, 'get').mockImplementation(async (input, context) => {
      const copy = await read(input, context);
      if (!raced) {
        raced = true;
        await api().patch(`/v1/customers/${customer.id}`).set(writer).send({ phone: '555-0177' }).expect(200);
      }
      return copy;
    });
    try {
      const observed = await changes().observe(TEST_CONTEXT, hintFor(customer));
      expect(['echo', 'in_sync']).toContain(observed.kind);
    } finally {
      spy.mockRestore();
    }
    await gateway.drain();
    const after = (await api().get(`/v1/customers/${customer.id}`).set(writer).expect(200))
      .body as CustomerBody;
    expect(after).toMatchObject({ phone: '555-0177', version: customer.version + 1 });
    expect(
      tco()
        .dump()
        .find((c) => c.ExternalCustomerReference === customer.externalReference)?.Phone,
    ).toBe('555-0177');
    const events = await eventsOf(customer.id);
    expect(events.filter((e) => e.type === 'customer.provider_change_resolved')).toEqual([]);
  });

  it('takes a copy read while our own delivery is pending for an echo, not a change', async () => {
    const customer = await synced(`pc-echo-${policy}`);
    // The link goes back in line (as after a write), and the copy differs meanwhile.
    await gateway.prisma.providerLink.updateMany({
      where: { customerId: customer.id, provider: 'two-checkout' },
      data: { status: 'pending', nextAttemptAt: new Date(Date.now() + 3_600_000) },
    });
    tco().modifyCustomer(customer.externalReference, { Phone: '555-0100' });
    await expect(changes().observe(TEST_CONTEXT, hintFor(customer))).resolves.toEqual({ kind: 'echo' });
    const events = await eventsOf(customer.id);
    expect(events.filter((e) => e.type.startsWith('customer.provider_change'))).toEqual([]);
  });
});
