import request from 'supertest';

import { SweepScheduler } from '../../apps/gateway/src/reconciliations/sweep-scheduler';
import { eventually } from '../support/eventually';
import {
  bearer,
  type GatewayWithSandboxes,
  johnSmith,
  KEYS,
  type Link,
  linkOf,
  startGatewayWithSandboxes,
} from '../support/gateway';
import {
  type ReconciliationBody,
  reconciliationCompleted,
  reconciliationItems,
} from '../support/reconciliations';

interface CustomerBody {
  id: string;
  version: number;
  phone?: string;
  externalReference: string;
  providers: Link[];
}

const admin = bearer(KEYS.admin);
const ORIGINAL_PHONE = '952-111-1111';

async function syncedCustomer(
  gateway: GatewayWithSandboxes,
  externalReference: string,
): Promise<CustomerBody> {
  const res = await request(gateway.url)
    .post('/v1/customers')
    .set(admin)
    .send(johnSmith({ externalReference, email: `${externalReference}@example.com` }))
    .expect(201);
  await gateway.drain();
  return (
    await request(gateway.url)
      .get(`/v1/customers/${(res.body as CustomerBody).id}`)
      .set(admin)
      .expect(200)
  ).body as CustomerBody;
}

const customerAt = async (gateway: GatewayWithSandboxes, id: string) =>
  (await request(gateway.url).get(`/v1/customers/${id}`).set(admin).expect(200)).body as CustomerBody;

const twoCheckoutCopy = (gateway: GatewayWithSandboxes, reference: string) =>
  gateway.sandboxes['two-checkout'].admin.dump().find((c) => c.ExternalCustomerReference === reference);

/**
 * The 2CO sweep (issue 30): 2Checkout announces no customer changes, so the gateway reads its
 * copies on a schedule, as a reconciliation job, and resolves what differs by CONFLICT_POLICY.
 * Edits are made directly at the 2CO sandbox (its admin API), as in the merchant's control panel.
 */
describe('the 2CO sweep, CONFLICT_POLICY push (the default), started early', () => {
  let gateway: GatewayWithSandboxes;

  beforeAll(async () => {
    gateway = await startGatewayWithSandboxes();
  }, 180_000);
  afterAll(async () => {
    await gateway?.close();
  });

  it('finds an edit and a deletion made at 2CO and writes the mirror back, reported as a reconciliation', async () => {
    const untouched = await syncedCustomer(gateway, 'sweep-push-same');
    const edited = await syncedCustomer(gateway, 'sweep-push-edit');
    const deleted = await syncedCustomer(gateway, 'sweep-push-gone');
    gateway.sandboxes['two-checkout'].admin.modifyCustomer(edited.externalReference, { Phone: '555-0199' });
    gateway.sandboxes['two-checkout'].admin.removeCustomer(deleted.externalReference);

    const id = await gateway.app.get(SweepScheduler).sweepNow();
    expect(id).toBeDefined();
    const run = await reconciliationCompleted(gateway.url, admin, id!);
    expect(run).toMatchObject({ trigger: 'sweep', repair: true });
    expect(run.counts).toMatchObject({ total: 3, in_sync: 1, repaired: 2, failed: 0 });
    expect(run.fields).toEqual({ phone: 1 });
    const repaired = await reconciliationItems(gateway.url, admin, id!, 'repaired');
    const byCustomer = new Map(repaired.map((item) => [item.customerId, item.drift]));
    expect(byCustomer.get(edited.id)).toEqual([
      expect.objectContaining({ provider: 'two-checkout', state: 'drifted', fields: ['phone'] }),
    ]);
    expect(byCustomer.get(deleted.id)).toEqual([
      expect.objectContaining({ provider: 'two-checkout', state: 'missing', fields: [] }),
    ]);
    expect(byCustomer.has(untouched.id)).toBe(false);

    // Pushed back: 2CO holds the mirror's values again, and the mirror did not move.
    expect(twoCheckoutCopy(gateway, edited.externalReference)?.Phone).toBe(ORIGINAL_PHONE);
    expect(twoCheckoutCopy(gateway, deleted.externalReference)).toBeDefined();
    const after = await customerAt(gateway, edited.id);
    expect(after.version).toBe(edited.version);
    expect(linkOf(after, 'two-checkout').status).toBe('synced');

    const listed = await request(gateway.url).get('/v1/reconciliations').set(admin).expect(200);
    expect((listed.body as { data: ReconciliationBody[] }).data[0]).toMatchObject({ id, trigger: 'sweep' });

    const metrics = await request(gateway.url).get('/metrics').set(admin).expect(200);
    expect(metrics.text).toMatch(
      /csg_provider_change_convergence_seconds_count\{provider="two-checkout",resolution="push"\} 2/,
    );
    expect(metrics.text).toMatch(/csg_write_convergence_seconds_count [1-9]/);
  });

  it('starts no second sweep while one runs', async () => {
    const scheduler = gateway.app.get(SweepScheduler);
    const [first, second] = await Promise.all([scheduler.sweepNow(), scheduler.sweepNow()]);
    expect([first, second].filter((id) => id !== undefined)).toHaveLength(1);
    await reconciliationCompleted(gateway.url, admin, (first ?? second)!);
  });
});

describe('the 2CO sweep on its schedule, CONFLICT_POLICY adopting 2CO phones', () => {
  let gateway: GatewayWithSandboxes;

  beforeAll(async () => {
    gateway = await startGatewayWithSandboxes({
      SWEEP_INTERVAL_SECONDS: '1',
      CONFLICT_POLICY: JSON.stringify({ 'two-checkout': { fields: { phone: 'adopt' } } }),
    });
  }, 180_000);
  afterAll(async () => {
    await gateway?.close();
  });

  it('adopts an edit made at 2CO into the mirror as a new version and sends it on to DR', async () => {
    const edited = await syncedCustomer(gateway, 'sweep-adopt-edit');
    gateway.sandboxes['two-checkout'].admin.modifyCustomer(edited.externalReference, { Phone: '555-0123' });

    const after = await eventually(
      'a scheduled sweep to adopt the 2CO phone',
      async () => {
        const customer = await customerAt(gateway, edited.id);
        return customer.phone === '555-0123' ? customer : undefined;
      },
      { timeoutMs: 60_000 },
    );
    expect(after.version).toBe(edited.version + 1);
    await gateway.drain();
    const dr = gateway.sandboxes['digital-river'].admin.dump().find((c) => c.id === edited.externalReference);
    expect(dr?.shipping?.phone).toBe('555-0123');
    expect(twoCheckoutCopy(gateway, edited.externalReference)?.Phone).toBe('555-0123');

    const runs = (await request(gateway.url).get('/v1/reconciliations').set(admin).expect(200)).body as {
      data: ReconciliationBody[];
    };
    expect(runs.data.length).toBeGreaterThan(0);
    expect(runs.data.every((run) => run.trigger === 'sweep')).toBe(true);
    const events = (await request(gateway.url).get('/v1/events').query({ limit: 100 }).set(admin).expect(200))
      .body as { data: { type: string; customerId: string; data: Record<string, unknown> }[] };
    const resolved = events.data.find(
      (e) => e.customerId === edited.id && e.type === 'customer.provider_change_resolved',
    );
    expect(resolved?.data).toMatchObject({ adopted: ['phone'], pushed: [], version: edited.version + 1 });
    expect(JSON.stringify(resolved)).not.toContain('555-0123');
  });
});
