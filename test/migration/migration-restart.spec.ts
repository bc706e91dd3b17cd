import { type RunningSandboxes, startSandboxes } from '@app/sandboxes';

import { johnSmith, testAccounts } from '../support/gateway';
import { call, createTestSchema, killAllGateways, spawnGateway, type TestSchema } from '../support/processes';
import { eventually } from '../support/eventually';

interface MigrationBody {
  id: string;
  status: string;
  counts: Record<string, number>;
}

interface ReconciliationBody {
  id: string;
  status: string;
  counts: Record<string, number>;
}

/**
 * A migration (or a whole-base reconciliation) started through the API of a gateway that runs it
 * in-process (the embedded default's mode) survives the gateway being killed: the restarted
 * gateway carries it on from its checkpoint by itself, with nothing done twice.
 */
describe('in-process runs across a gateway restart', () => {
  let sandboxes: RunningSandboxes;
  let db: TestSchema;

  beforeAll(async () => {
    sandboxes = await startSandboxes({ 'digital-river': { rateLimitPerSecond: 0 } });
    db = await createTestSchema();
  });
  afterAll(async () => {
    await killAllGateways();
    await sandboxes.close();
    await db.drop();
  });

  it('finishes after a SIGKILL, every customer once at the target', async () => {
    const references = sandboxes['digital-river'].admin.seed(300);
    // Slow enough that the kill lands mid-run.
    sandboxes['two-checkout'].admin.setFaults({ 'POST /customers': { latencyMs: 40 } });
    const env = {
      ...db.env,
      MIGRATION_QUEUE: 'in-process',
      PROVIDER_ACCOUNTS: JSON.stringify(testAccounts(sandboxes)),
      SYNC_LEASE_MS: '2000',
      SYNC_RETRY_BASE_MS: '50',
      SYNC_RETRY_MAX_MS: '500',
    };
    const first = await spawnGateway(env);
    const started = await call(first.url, 'POST', '/v1/migrations', {
      source: { provider: 'digital-river', account: 'sandbox', kind: 'list' },
      target: { provider: 'two-checkout', account: 'sandbox' },
      concurrency: 4,
      batchSize: 20,
    });
    expect(started.status).toBe(202);
    const { id } = started.body as MigrationBody;
    await eventually('a third of the customers migrated', async () => {
      const { body } = await call(first.url, 'GET', `/v1/migrations/${id}`);
      return (body as MigrationBody).counts['migrated']! >= 100 ? true : undefined;
    });
    await first.kill();
    const midway = sandboxes['two-checkout'].admin.dump().length;
    expect(midway).toBeLessThan(300);

    const second = await spawnGateway(env);
    const done = await eventually(
      'the migration to complete after the restart',
      async () => {
        const { body } = await call(second.url, 'GET', `/v1/migrations/${id}`);
        return (body as MigrationBody).status === 'completed' ? (body as MigrationBody) : undefined;
      },
      { timeoutMs: 60_000 },
    );
    expect(done.counts).toMatchObject({ total: 300, pending: 0, failed: 0, skipped: 0 });
    expect(done.counts['migrated']! + done.counts['already_present']!).toBe(300);
    const stored = sandboxes['two-checkout'].admin.dump().map((c) => c.ExternalCustomerReference);
    expect(stored).toHaveLength(300);
    expect(new Set(stored)).toEqual(new Set(references));
    await second.stop();
  });

  it('a whole-base reconciliation finishes after a SIGKILL, every customer checked once', async () => {
    // A database of its own: the base is exactly the customers made here.
    const own = await createTestSchema();
    const env = {
      ...own.env,
      MIGRATION_QUEUE: 'in-process',
      PROVIDER_ACCOUNTS: JSON.stringify(testAccounts(sandboxes)),
      SYNC_LEASE_MS: '2000',
    };
    const first = await spawnGateway(env);
    const ids: string[] = [];
    for (let i = 0; i < 60; i++) {
      const created = await call(
        first.url,
        'POST',
        '/v1/customers',
        johnSmith({
          externalReference: `restart-rec-${i}`,
          email: `restart-rec-${i}@example.com`,
          providers: [{ provider: 'digital-river' }],
        }),
      );
      expect(created.status).toBe(201);
      ids.push((created.body as { id: string }).id);
    }
    // Slow reads, two at a time: the kill lands mid-run.
    sandboxes['digital-river'].admin.setFaults({ 'GET /customers/:id': { latencyMs: 100 } });
    const reads = () => sandboxes['digital-river'].admin.stats().byRoute['GET /customers/:id'] ?? 0;
    const readsBefore = reads();
    const started = await call(first.url, 'POST', '/v1/reconciliations', { concurrency: 2, batchSize: 10 });
    expect(started.status).toBe(202);
    const { id } = started.body as ReconciliationBody;
    await eventually('ten customers checked', async () => {
      const { body } = await call(first.url, 'GET', `/v1/reconciliations/${id}`);
      return (body as ReconciliationBody).counts['checked']! >= 10 ? true : undefined;
    });
    await first.kill();
    expect(reads() - readsBefore).toBeLessThan(60);
    sandboxes['digital-river'].admin.setFaults({});

    const second = await spawnGateway(env);
    const done = await eventually(
      'the reconciliation to complete after the restart',
      async () => {
        const { body } = await call(second.url, 'GET', `/v1/reconciliations/${id}`);
        return (body as ReconciliationBody).status === 'completed' ? (body as ReconciliationBody) : undefined;
      },
      { timeoutMs: 60_000 },
    );
    expect(done.counts).toMatchObject({ total: 60, checked: 60, pending: 0, in_sync: 60, failed: 0 });
    const { body } = await call(second.url, 'GET', `/v1/reconciliations/${id}/items?limit=1000`);
    const items = (body as { data: { customerId: string; attempts: number }[] }).data;
    expect(new Set(items.map((item) => item.customerId))).toEqual(new Set(ids));
    expect(items.every((item) => item.attempts === 1)).toBe(true);
    await second.stop();
    await own.drop();
  });
});
