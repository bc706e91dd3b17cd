import { RunEngine } from '@app/jobs';
import request from 'supertest';

import { bearer, type GatewayWithSandboxes, KEYS, startGatewayWithSandboxes } from '../support/gateway';
import { eventually } from '../support/eventually';

type Counts = Record<'total' | 'pending' | 'migrated' | 'already_present' | 'skipped' | 'failed', number>;

interface MigrationBody {
  id: string;
  status: string;
  counts: Counts;
  resume: { endpoint: string; command: string | null } | null;
}

interface ItemBody {
  sourceReference: string;
  outcome: string | null;
  reason: { code: string; retryable: boolean } | null;
}

const DR = { provider: 'digital-river', account: 'sandbox' };
const TCO = { provider: 'two-checkout', account: 'sandbox' };

/**
 * Issue 34: each customer's outcome says what THIS run did, and a run whose process stopped says
 * `interrupted` with how to resume it, rather than `running`.
 */
describe('migration bookkeeping: exact outcomes, interrupted runs', () => {
  let gateway: GatewayWithSandboxes;
  const admin = bearer(KEYS.admin);
  const api = () => request(gateway.url);

  beforeAll(async () => {
    gateway = await startGatewayWithSandboxes();
  });
  afterAll(async () => {
    await gateway.close();
  });
  beforeEach(async () => {
    for (const sandbox of [gateway.sandboxes['digital-river'], gateway.sandboxes['two-checkout']]) {
      sandbox.admin.setFaults({});
      sandbox.admin.reset();
    }
    await gateway.prisma.$executeRawUnsafe(
      'TRUNCATE customers, provider_links, provider_calls, events, webhook_deliveries, idempotency_records, migration_runs, migration_items, rate_budgets CASCADE',
    );
  });
  afterEach(async () => {
    await gateway.app.get(RunEngine).idle();
    await gateway.drain();
  });

  const progress = async (id: string) =>
    (await api().get(`/v1/migrations/${id}`).set(admin).expect(200)).body as MigrationBody;
  const start = async (body: Record<string, unknown>) =>
    ((await api().post('/v1/migrations').set(admin).send(body).expect(202)).body as MigrationBody).id;
  const items = async (id: string) =>
    (
      (await api().get(`/v1/migrations/${id}/items`).set(admin).query({ limit: 1000 }).expect(200)).body as {
        data: ItemBody[];
      }
    ).data;
  const finished = (id: string) =>
    eventually(
      `migration ${id} to complete`,
      async () => {
        const body = await progress(id);
        if (body.status !== 'completed')
          throw new Error(`still ${body.status}: ${JSON.stringify(body.counts)}`);
        return body;
      },
      { timeoutMs: 60_000 },
    );

  it('a resumed run counts as migrated only what it wrote itself, not what another run moved meanwhile', async () => {
    const references = gateway.sandboxes['digital-river'].admin.seed(20);
    const tco = gateway.sandboxes['two-checkout'].admin;
    tco.setFaults({ '*': { latencyMs: 150 } });
    const first = await start({
      source: { ...DR, kind: 'list' },
      target: TCO,
      concurrency: 2,
      batchSize: 20,
    });
    await eventually('some customers migrated', async () => {
      const { counts } = await progress(first);
      if (counts.migrated < 2) throw new Error(JSON.stringify(counts));
      return counts;
    });
    await api().post(`/v1/migrations/${first}/cancel`).set(admin).expect(200);
    await gateway.app.get(RunEngine).idle();
    const held = (await progress(first)).counts;
    expect(held.pending).toBeGreaterThan(0);

    // Another run over the same pair moves the rest while the first is cancelled.
    tco.setFaults({});
    const second = await finished(await start({ source: { ...DR, kind: 'list' }, target: TCO }));
    expect(second.counts).toMatchObject({
      total: 20,
      migrated: held.pending,
      already_present: held.migrated,
    });

    // The first run, resumed, finds them there: they are not its migrations.
    await api().post(`/v1/migrations/${first}/resume`).set(admin).expect(202);
    const resumed = await finished(first);
    expect(resumed.counts).toMatchObject({
      total: 20,
      pending: 0,
      migrated: held.migrated,
      already_present: held.pending,
      failed: 0,
    });
    expect(resumed.counts.migrated + second.counts.migrated).toBe(references.length);
    // Each customer created once at 2Checkout, and every already_present item says why.
    expect(tco.stats().byRoute['POST /customers']).toBe(references.length);
    const already = (await items(first)).filter((item) => item.outcome === 'already_present');
    expect(already).toHaveLength(held.pending);
    expect(already.every((item) => item.reason?.code === 'already_at_target')).toBe(true);
    expect(resumed.resume).toBeNull();
  });

  it('a run stopped by its process says interrupted with how to resume it, and resumes to the end', async () => {
    gateway.sandboxes['digital-river'].admin.seed(10);
    gateway.sandboxes['two-checkout'].admin.setFaults({ '*': { latencyMs: 100 } });
    const id = await start({ source: { ...DR, kind: 'list' }, target: TCO, concurrency: 2, batchSize: 10 });
    await gateway.app.get(RunEngine).interrupt('migration', id);
    await gateway.app.get(RunEngine).idle();

    const stopped = await progress(id);
    expect(stopped).toMatchObject({
      status: 'interrupted',
      resume: { endpoint: `POST /v1/migrations/${id}/resume`, command: `migrator run --resume ${id}` },
    });
    // An interrupted run is not picked up by a restart of an in-process host: it waits for a resume.
    await gateway.app.get(RunEngine).resumeInterrupted();
    await gateway.app.get(RunEngine).idle();
    expect((await progress(id)).status).toBe('interrupted');

    gateway.sandboxes['two-checkout'].admin.setFaults({});
    await api().post(`/v1/migrations/${id}/resume`).set(admin).expect(202);
    expect(await finished(id)).toMatchObject({
      counts: { total: 10, pending: 0, migrated: 10 },
      resume: null,
    });
  });

  it('a running run whose process is gone (stale heartbeat) reads interrupted, and a resume drives it', async () => {
    gateway.sandboxes['digital-river'].admin.seed(5);
    gateway.sandboxes['two-checkout'].admin.setFaults({ '*': { latencyMs: 100 } });
    const id = await start({ source: { ...DR, kind: 'list' }, target: TCO, concurrency: 1, batchSize: 5 });
    await gateway.app.get(RunEngine).interrupt('migration', id);
    await gateway.app.get(RunEngine).idle();
    // As a SIGKILLed driver leaves it: still `running` in the database, its heartbeat a minute old.
    await gateway.prisma.$executeRawUnsafe(
      `UPDATE migration_runs SET status = 'running', heartbeat_at = now() - interval '1 minute' WHERE id = '${id}'`,
    );
    expect(await progress(id)).toMatchObject({
      status: 'interrupted',
      resume: { endpoint: `POST /v1/migrations/${id}/resume` },
    });

    gateway.sandboxes['two-checkout'].admin.setFaults({});
    await api().post(`/v1/migrations/${id}/resume`).set(admin).expect(202);
    expect(await finished(id)).toMatchObject({ counts: { total: 5, pending: 0 }, resume: null });
  });
});
