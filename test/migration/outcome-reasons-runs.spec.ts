import { OUTCOME_REASONS, REASON_CODES } from '@app/domain';
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
  reconciliationCompleted,
  reconciliationItems,
  startReconciliation,
} from '../support/reconciliations';

interface ItemBody {
  sourceReference: string;
  outcome: string | null;
  reason: { code: string; retryable: boolean; field?: string } | null;
}

const DR = { provider: 'digital-river', account: 'sandbox' };
const TCO = { provider: 'two-checkout', account: 'sandbox' };

/**
 * The outcome reasons a run produces after its source read, each made for real: a customer synced
 * to both sandboxes through the API, then the sandboxes' admin API (a copy changed at the
 * provider) and fault injection (a route that refuses) set up what the run runs into.
 */
describe('a run meets a customer it cannot finish, and answers a code of the closed list', () => {
  let gateway: GatewayWithSandboxes;
  const admin = bearer(KEYS.admin);
  const api = () => request(gateway.url);
  const dr = () => gateway.sandboxes['digital-river'].admin;
  const tco = () => gateway.sandboxes['two-checkout'].admin;
  let created = 0;

  beforeAll(async () => {
    gateway = await startGatewayWithSandboxes();
  });
  afterAll(() => gateway.close());
  afterEach(async () => {
    dr().setFaults({});
    tco().setFaults({});
    await gateway.drain();
  });

  /** A customer synced to both sandboxes; its reference there is its externalReference. */
  async function syncedCustomer(): Promise<{ id: string; reference: string }> {
    created += 1;
    const reference = `reason-${created}`;
    const res = await api()
      .post('/v1/customers')
      .set(admin)
      .send(johnSmith({ externalReference: reference, email: `${reference}@example.com` }))
      .expect(201);
    await gateway.drain();
    return { id: (res.body as { id: string }).id, reference };
  }

  /** Migrates `reference` from Digital River to 2Checkout and answers its item's reason. */
  async function migrateOne(reference: string, extra: Record<string, unknown> = {}) {
    const started = await api()
      .post('/v1/migrations')
      .set(admin)
      .send({ source: { ...DR, kind: 'references', references: [reference] }, target: TCO, ...extra })
      .expect(202);
    const id = (started.body as { id: string }).id;
    await eventually(`migration ${id} completed`, async () => {
      const run = await api().get(`/v1/migrations/${id}`).set(admin).expect(200);
      return (run.body as { status: string }).status === 'completed' ? true : undefined;
    });
    const page = await api().get(`/v1/migrations/${id}/items`).set(admin).expect(200);
    const [item] = (page.body as { data: ItemBody[] }).data;
    return item!;
  }

  const inClosedList = (code: string | undefined) => {
    expect(REASON_CODES).toContain(code);
    expect(OUTCOME_REASONS).toHaveProperty(code!);
  };

  it('customer_deleted: the mirror holds the customer only as the tombstone of a delete', async () => {
    const { id, reference } = await syncedCustomer();
    // Digital River refuses the delete, so the customer stays in the mirror marked deleted.
    dr().setFaults({ 'DELETE /customers/:id': { errorRate: 1, errorStatus: 500 } });
    await api().delete(`/v1/customers/${id}`).set(admin);
    const tombstone = await gateway.prisma.customer.findUnique({ where: { id } });
    expect(tombstone?.deletedAt).not.toBeNull();

    const item = await migrateOne(reference);
    expect(item).toMatchObject({
      outcome: 'skipped',
      reason: { code: 'customer_deleted', retryable: false },
    });
    inClosedList(item.reason?.code);
  });

  it("verification_failed: the target's copy differs from the mirror when read back", async () => {
    const { reference } = await syncedCustomer();
    // Someone changes the 2Checkout copy: the link still says synced, so the run delivers nothing
    // and reads the copy back to verify it.
    tco().modifyCustomer(reference, { City: 'Paris' });

    const item = await migrateOne(reference);
    expect(item).toMatchObject({
      outcome: 'failed',
      reason: { code: 'verification_failed', retryable: true },
    });
    inClosedList(item.reason?.code);
  });

  it('cutover_failed: the source refuses to disable its copy', async () => {
    const { reference } = await syncedCustomer();
    dr().setFaults({ 'POST /customers/:id': { errorRate: 1, errorStatus: 400 } });

    const item = await migrateOne(reference, { cutover: { primary: true, source: 'disable' } });
    expect(item).toMatchObject({ outcome: 'failed', reason: { code: 'cutover_failed', retryable: true } });
    inClosedList(item.reason?.code);
    // Nothing was disabled: the copy at Digital River is as it was.
    expect(
      dr()
        .dump()
        .find((c) => c.id === reference)?.enabled,
    ).toBe(true);
  });

  it('repair_incomplete: a repairing reconciliation cannot push the mirror to a drifted copy', async () => {
    const { id, reference } = await syncedCustomer();
    tco().modifyCustomer(reference, { City: 'Paris' });
    tco().setFaults({ 'PUT /customers/:ref': { errorRate: 1, errorStatus: 400 } });

    const run = await startReconciliation(gateway.url, admin, { repair: true });
    await reconciliationCompleted(gateway.url, admin, run);
    const failed = (await reconciliationItems(gateway.url, admin, run, 'failed')).filter(
      (item) => item.customerId === id,
    );
    expect(failed).toEqual([
      expect.objectContaining({
        outcome: 'failed',
        reason: expect.objectContaining({ code: 'repair_incomplete' }),
      }),
    ]);
    inClosedList(failed[0]?.reason?.code);
  });
});
