import request from 'supertest';

import { type FaultConfig } from '@app/sandboxes';

import {
  bearer,
  BULK_LOAD_RATE_LIMITS,
  type GatewayWithSandboxes,
  KEYS,
  startGatewayWithSandboxes,
} from '../support/gateway';
import { eventually } from '../support/eventually';
import { reconcileWholeBase, reconciliationItems } from '../support/reconciliations';

/**
 * 20% of provider requests go wrong, in every way the sandboxes can make them go wrong, while
 * 1,000 creates and updates go through the API. Afterwards every customer must be at each provider
 * exactly once, the providers must hold what the mirror holds, and nothing may be left pending.
 */
const CHAOS: FaultConfig = {
  '*': {
    errorRate: 0.06,
    errorStatus: 503,
    hangRate: 0.02,
    resetRate: 0.04,
    rateLimitBurst: { rate: 0.02, length: 3, retryAfterSeconds: 0 },
    commitThenFailRate: 0.06,
    commitThenFailStatus: 500,
  },
};
const CREATES = 500;
const UPDATES = 500;

/** Runs `work` over `items` with at most `limit` in flight. */
async function pool<T, R>(items: T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: limit }, async () => {
      while (next < items.length) {
        const index = next++;
        results[index] = await work(items[index]!);
      }
    }),
  );
  return results;
}

describe('sync under provider chaos', () => {
  let gateway: GatewayWithSandboxes;
  const auth = bearer(KEYS.admin);

  beforeAll(async () => {
    gateway = await startGatewayWithSandboxes(
      {
        SYNC_WAIT_MS: '50',
        SYNC_MAX_ATTEMPTS: '50',
        SYNC_RETRY_BASE_MS: '10',
        SYNC_RETRY_MAX_MS: '200',
        SYNC_CONCURRENCY: '8',
        // One key drives a bulk load here, far beyond one caller's ordinary share.
        ...BULK_LOAD_RATE_LIMITS,
      },
      // A hang costs a whole timeout: keep it short, as a production deployment would not.
      { timeoutMs: 500, rateLimitPerSecond: 1_000 },
    );
    gateway.sandboxes['digital-river'].admin.setFaults(CHAOS);
    gateway.sandboxes['two-checkout'].admin.setFaults(CHAOS);
  });
  afterAll(() => gateway.close());

  it('ends with every customer exactly once at each provider, equal to the mirror, nothing pending', async () => {
    const created = await pool(
      Array.from({ length: CREATES }, (_, i) => i),
      16,
      async (i) => {
        const res = await request(gateway.url)
          .post('/v1/customers')
          .set(auth)
          .send({
            externalReference: `chaos-${i}`,
            email: `chaos.${i}@example.test`,
            givenName: 'Chaos',
            familyName: `Monkey${i}`,
            address: { line1: `${i} Main St`, city: 'Minnetonka', postalCode: '55129', country: 'US' },
            locale: 'en-US',
            metadata: { batch: 'chaos' },
          });
        // A provider failure never fails the write: the mirror has it and the link says how it went.
        expect(res.status).toBe(201);
        return res.body.id as string;
      },
    );
    await pool(
      Array.from({ length: UPDATES }, (_, i) => i),
      16,
      async (i) => {
        const id = created[(i * 7) % CREATES]!;
        const res = await request(gateway.url)
          .patch(`/v1/customers/${id}`)
          .set(auth)
          .send({ phone: `555-${String(i).padStart(4, '0')}`, metadata: { [`u${i % 5}`]: String(i) } });
        expect(res.status).toBe(200);
      },
    );

    // The workers finish the job with the faults still on.
    await gateway.drain(240_000);
    expect(await gateway.prisma.providerLink.count({ where: { status: { not: 'synced' } } })).toBe(0);
    const injected = [gateway.sandboxes['digital-river'].admin, gateway.sandboxes['two-checkout'].admin]
      .flatMap((admin) => Object.values(admin.stats().faults))
      .reduce((sum, n) => sum + n, 0);
    expect(injected).toBeGreaterThan(0);

    const references = Array.from({ length: CREATES }, (_, i) => `chaos-${i}`).sort();
    const atDr = gateway.sandboxes['digital-river'].admin
      .dump()
      .map((c) => c.id)
      .filter((id) => id.startsWith('chaos-'));
    expect(atDr.sort()).toEqual(references);
    const atTco = gateway.sandboxes['two-checkout'].admin
      .dump()
      .map((c) => c.ExternalCustomerReference ?? '')
      .filter((ref) => ref.startsWith('chaos-'));
    expect(atTco.sort()).toEqual(references);

    // Field by field, every provider copy equals the mirror (read with the faults off).
    gateway.sandboxes['digital-river'].admin.setFaults({});
    gateway.sandboxes['two-checkout'].admin.setFaults({});
    const report = await reconcileWholeBase(gateway.url, auth, {}, 120_000);
    expect(report.counts).toMatchObject({ total: CREATES, drifted: 0 });
    // A check can still fail for want of an answer: a breaker the chaos left open stays open for
    // its 10 s, and on a loaded machine a read can outlast the 500 ms timeout. Those customers are
    // checked again, one by one, until the provider answers; what they then show must be equal.
    const unanswered = await reconciliationItems(gateway.url, auth, report.id, 'failed');
    expect(report.counts.in_sync + unanswered.length).toBe(CREATES);
    for (const item of unanswered) {
      expect(item.reason).toMatchObject({ code: 'provider_unavailable', retryable: true });
      const drift = await eventually(`${item.customerId} to be checked at every provider`, async () => {
        const res = await request(gateway.url).get(`/v1/customers/${item.customerId}/drift`).set(auth);
        if (res.status !== 200) throw new Error(`${res.status} ${JSON.stringify(res.body)}`);
        return res.body as { data: { state: string }[] };
      });
      expect(drift.data.map((link) => link.state)).toEqual(['in_sync', 'in_sync']);
    }
  }, 600_000);
});
