import { RunEngine } from '@app/jobs';
import request from 'supertest';

import {
  bearer,
  type GatewayWithSandboxes,
  johnSmith,
  KEYS,
  startGatewayWithSandboxes,
} from '../support/gateway';
import { eventually } from '../support/eventually';
import {
  type ReconciliationBody,
  reconciliationCompleted,
  reconciliationItems,
  startReconciliation,
} from '../support/reconciliations';

interface CustomerBody {
  id: string;
  externalReference: string;
}

/**
 * Whole-base reconciliation as a job on the migration engine: one gateway with both sandboxes for
 * the file; every test starts from empty sandboxes and an empty database. Drift is made the way it
 * happens in production: someone changes a copy at the provider (here through its admin API).
 */
describe('POST /v1/reconciliations (in-process, through the sandboxes)', () => {
  let gateway: GatewayWithSandboxes;
  const admin = bearer(KEYS.admin);
  const api = () => request(gateway.url);
  const dr = () => gateway.sandboxes['digital-river'].admin;
  const tco = () => gateway.sandboxes['two-checkout'].admin;

  beforeAll(async () => {
    gateway = await startGatewayWithSandboxes();
  });
  afterAll(async () => {
    await gateway.close();
  });

  beforeEach(async () => {
    for (const sandbox of [dr(), tco()]) {
      sandbox.setFaults({});
      sandbox.reset();
    }
    await gateway.prisma.$executeRawUnsafe(
      'TRUNCATE customers, provider_links, provider_calls, events, idempotency_records, migration_runs, migration_items, rate_budgets CASCADE',
    );
  });
  afterEach(async () => {
    await eventually('no reconciliation left running', async () => {
      const running = await gateway.prisma.migrationRun.count({ where: { status: 'running' } });
      if (running > 0) throw new Error(`${running} still running`);
      return true;
    });
    // A cancelled run's customers under way still finish, and would write into the next test's
    // fresh tables (the sandboxes hand out the same ids again after their reset).
    await gateway.app.get(RunEngine).idle();
    await gateway.drain();
  });

  /** `count` customers synced to both providers. */
  async function customers(count: number): Promise<CustomerBody[]> {
    const created: CustomerBody[] = [];
    for (let i = 0; i < count; i++) {
      const res = await api()
        .post('/v1/customers')
        .set(admin)
        .send(johnSmith({ externalReference: `rec-${i}`, email: `rec-${i}@example.com` }))
        .expect(201);
      created.push(res.body as CustomerBody);
    }
    await gateway.drain();
    return created;
  }

  const progress = async (id: string) =>
    (await api().get(`/v1/reconciliations/${id}`).set(admin).expect(200)).body as ReconciliationBody;

  it('answers 202 at once, runs to completion, and lists which customers drifted where, in which fields', async () => {
    const [untouched, phoneAtDr, cityAt2co, goneAtDr] = await customers(4);
    dr().modifyCustomer(phoneAtDr!.externalReference, { locale: 'fr_FR' });
    tco().modifyCustomer(cityAt2co!.externalReference, { City: 'Paris' });
    dr().removeCustomer(goneAtDr!.externalReference);

    const id = await startReconciliation(gateway.url, admin, {});
    expect(id).toMatch(/^rec_[0-9a-f]{20}$/);
    const done = await reconciliationCompleted(gateway.url, admin, id);
    expect(done).toMatchObject({ repair: false, enumerated: true, ratePerSecond: 0, etaSeconds: null });
    expect(done.counts).toEqual({
      total: 4,
      checked: 4,
      pending: 0,
      in_sync: 1,
      drifted: 3,
      repaired: 0,
      failed: 0,
    });
    // Issue 30: drift names the sub-field that changed (`address.city`), not the whole address.
    expect((await progress(id)).fields).toEqual({ 'address.city': 1, locale: 1 });

    const drifted = await reconciliationItems(gateway.url, admin, id, 'drifted');
    const driftOf = (customer: CustomerBody) =>
      drifted.find((item) => item.customerId === customer.id)?.drift;
    expect(drifted).toHaveLength(3);
    expect(driftOf(phoneAtDr!)).toEqual([
      {
        provider: 'digital-river',
        account: 'sandbox',
        reference: 'rec-1',
        state: 'drifted',
        fields: ['locale'],
      },
    ]);
    expect(driftOf(cityAt2co!)).toEqual([
      {
        provider: 'two-checkout',
        account: 'sandbox',
        reference: 'rec-2',
        state: 'drifted',
        fields: ['address.city'],
      },
    ]);
    expect(driftOf(goneAtDr!)).toEqual([
      { provider: 'digital-river', account: 'sandbox', reference: 'rec-3', state: 'missing', fields: [] },
    ]);
    expect((await reconciliationItems(gateway.url, admin, id, 'in_sync')).map((i) => i.customerId)).toEqual([
      untouched!.id,
    ]);
    // A dry run by default: the providers keep what they had.
    expect(
      dr()
        .dump()
        .find((c) => c.id === 'rec-1')?.locale,
    ).toBe('fr_FR');
    expect(
      tco()
        .dump()
        .find((c) => c.ExternalCustomerReference === 'rec-2')?.City,
    ).toBe('Paris');

    const repair = await reconciliationCompleted(
      gateway.url,
      admin,
      await startReconciliation(gateway.url, admin, { repair: true }),
    );
    expect(repair.counts).toMatchObject({ total: 4, in_sync: 1, repaired: 3, drifted: 0, failed: 0 });
    expect(
      dr()
        .dump()
        .find((c) => c.id === 'rec-1')?.locale,
    ).toBe('en_US');
    expect(
      tco()
        .dump()
        .find((c) => c.ExternalCustomerReference === 'rec-2')?.City,
    ).toBe('Minnetonka');
    expect(
      dr()
        .dump()
        .filter((c) => c.id === 'rec-3'),
    ).toHaveLength(1);

    const list = await api().get('/v1/reconciliations').set(admin).query({ limit: 1 }).expect(200);
    expect(list.body).toMatchObject({ data: [{ id: repair.id, repair: true }], hasMore: true });
  });

  it('cancels a run mid-way, refuses a second one meanwhile, and a resume finishes it', async () => {
    await customers(8);
    // Slow reads at Digital River, one customer at a time: the run is caught mid-way.
    dr().setFaults({ 'GET /customers/:id': { latencyMs: 250 } });
    const id = await startReconciliation(gateway.url, admin, { concurrency: 1, batchSize: 2 });
    await eventually('a customer checked', async () => {
      const { counts } = await progress(id);
      return counts.checked >= 1 ? counts : undefined;
    });

    const second = await api().post('/v1/reconciliations').set(admin).send({});
    expect(second.status).toBe(409);
    expect(second.body).toMatchObject({
      code: 'reconciliation_already_running',
      detail: expect.stringContaining(id),
    });

    const cancelled = await api().post(`/v1/reconciliations/${id}/cancel`).set(admin).expect(200);
    expect(cancelled.body).toMatchObject({ id, status: 'cancelled' });
    // The customer in flight finishes; then nothing moves.
    await gateway.app.get(RunEngine).idle();
    const held = await progress(id);
    // Prod the engine as a restart of this process would: a cancelled run is not picked up again.
    await gateway.app.get(RunEngine).resumeInterrupted();
    await gateway.app.get(RunEngine).idle();
    expect((await progress(id)).counts).toEqual(held.counts);
    expect(held.counts.checked).toBeLessThan(8);

    dr().setFaults({});
    await api().post(`/v1/reconciliations/${id}/resume`).set(admin).expect(202);
    const done = await reconciliationCompleted(gateway.url, admin, id);
    expect(done.counts).toMatchObject({ total: 8, checked: 8, in_sync: 8, failed: 0 });
    const items = await reconciliationItems(gateway.url, admin, id);
    expect(items.every((item) => item.outcome === 'in_sync')).toBe(true);
  });

  it('refuses bad input with field errors, unknown runs with 404, and callers without admin', async () => {
    for (const [body, field, code] of [
      [{ repair: 'yes' }, 'repair', 'not_a_boolean'],
      [{ concurrency: 0 }, 'concurrency', 'out_of_range'],
      [{ everything: true }, 'everything', 'unknown_field'],
    ] as const) {
      const res = await api().post('/v1/reconciliations').set(admin).send(body);
      expect(res.status).toBe(400);
      expect(res.body.errors).toEqual([expect.objectContaining({ field, code })]);
    }
    const wrong = await api()
      .get('/v1/reconciliations/rec_00000000000000000000/items')
      .set(admin)
      .query({ outcome: 'migrated' });
    expect(wrong.status).toBe(400);
    expect(await gateway.prisma.migrationRun.count()).toBe(0);

    for (const call of [
      api().get('/v1/reconciliations/rec_00000000000000000000'),
      api().get('/v1/reconciliations/rec_00000000000000000000/items'),
      api().post('/v1/reconciliations/rec_00000000000000000000/cancel'),
    ]) {
      const res = await call.set(admin);
      expect(res.status).toBe(404);
      expect(res.body.code).toBe('reconciliation_not_found');
    }
    for (const route of [
      () => api().post('/v1/reconciliations').send({}),
      () => api().get('/v1/reconciliations'),
    ]) {
      expect((await route()).status).toBe(401);
      expect((await route().set(bearer(KEYS.reader))).status).toBe(403);
    }
    expect(await gateway.prisma.migrationRun.count()).toBe(0);
  });
});
