import request from 'supertest';

import { bearer, type GatewayWithSandboxes, KEYS, startGatewayWithSandboxes } from '../support/gateway';
import { eventually } from '../support/processes';

interface MigrationBody {
  id: string;
  status: string;
  counts: Record<string, number>;
  lossyFields: Record<string, number>;
}

describe('POST /v1/migrations (in-process, through the sandboxes)', () => {
  let gateway: GatewayWithSandboxes;
  const admin = bearer(KEYS.admin);

  beforeEach(async () => {
    gateway = await startGatewayWithSandboxes();
  });
  afterEach(async () => {
    await gateway.close();
  });

  async function finished(id: string): Promise<MigrationBody> {
    return eventually(
      `migration ${id} to complete`,
      async () => {
        const res = await request(gateway.url).get(`/v1/migrations/${id}`).set(admin).expect(200);
        const body = res.body as MigrationBody;
        if (body.status !== 'completed')
          throw new Error(`still ${body.status}: ${JSON.stringify(body.counts)}`);
        return body;
      },
      { timeoutMs: 60_000 },
    );
  }

  it('moves every Digital River customer to 2Checkout, and a second run finds them all present', async () => {
    const references = gateway.sandboxes.digitalRiver.admin.seed(30);
    const start = await request(gateway.url)
      .post('/v1/migrations')
      .set(admin)
      .send({
        source: { provider: 'digital-river', account: 'sandbox', kind: 'list' },
        target: { provider: 'two-checkout', account: 'sandbox' },
        batchSize: 7,
      })
      .expect(202);
    const first = await finished((start.body as MigrationBody).id);
    expect(first.counts).toEqual({
      total: 30,
      pending: 0,
      migrated: 30,
      already_present: 0,
      skipped: 0,
      failed: 0,
    });
    const stored = gateway.sandboxes.twoCheckout.admin.dump();
    expect(stored.map((c) => c.ExternalCustomerReference).sort()).toEqual([...references].sort());

    const creates = gateway.sandboxes.twoCheckout.admin.stats().byRoute['POST /customers'] ?? 0;
    const again = await request(gateway.url)
      .post('/v1/migrations')
      .set(admin)
      .send({
        source: { provider: 'digital-river', account: 'sandbox', kind: 'list' },
        target: { provider: 'two-checkout', account: 'sandbox' },
      })
      .expect(202);
    const second = await finished((again.body as MigrationBody).id);
    expect(second.counts).toMatchObject({ total: 30, already_present: 30, migrated: 0 });
    expect(gateway.sandboxes.twoCheckout.admin.stats().byRoute['POST /customers'] ?? 0).toBe(creates);
  });

  it('plans a dry run without writing anything', async () => {
    gateway.sandboxes.digitalRiver.admin.seed(5);
    const res = await request(gateway.url)
      .post('/v1/migrations')
      .set(admin)
      .send({
        source: { provider: 'digital-river', account: 'sandbox', kind: 'list' },
        target: { provider: 'two-checkout', account: 'sandbox' },
        dryRun: true,
      })
      .expect(200);
    expect(res.body).toMatchObject({ counts: { total: 5, migrate: 5 }, truncated: false });
    expect(gateway.sandboxes.twoCheckout.admin.dump()).toHaveLength(0);
    expect(await gateway.prisma.customer.count()).toBe(0);
    expect(await gateway.prisma.migrationRun.count()).toBe(0);
    expect(await gateway.prisma.providerCall.count()).toBe(0);
  });
});
