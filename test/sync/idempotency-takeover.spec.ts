import { type RunningSandboxes, startSandboxes } from '@app/sandboxes';

import { johnSmith, KEYS, testAccounts } from '../support/gateway';
import { eventually } from '../support/eventually';
import {
  createTestSchema,
  type GatewayProcess,
  killAllGateways,
  spawnGateway,
  type TestSchema,
} from '../support/processes';

/**
 * Issue 31: a retry of a request whose gateway died takes its Idempotency-Key over as soon as the
 * holder is dead, and never while it is alive. Two built gateways share one PostgreSQL schema; a
 * create parks at the provider (Digital River hangs) on the first, holding its key after its
 * commit. While it lives, the same key at the second is a 409; once it is killed (SIGKILL), the
 * same key at the second answers the customer the first attempt made, within 5 s of the kill,
 * where a time-based lock kept it at 409 for IDEMPOTENCY_LOCK_SECONDS (60 s).
 */

const KEY = 'takeover-create';
const DR = { provider: 'digital-river', account: 'sandbox' };

async function create(base: string): Promise<{ status: number; body: { id?: string; code?: string } }> {
  const res = await fetch(`${base}/v1/customers`, {
    method: 'POST',
    headers: {
      Authorization: `Bearer ${KEYS.admin}`,
      'Idempotency-Key': KEY,
      'Content-Type': 'application/json',
    },
    body: JSON.stringify({ ...johnSmith({ email: 'takeover@example.test' }), providers: [DR] }),
  });
  return { status: res.status, body: (await res.json()) as { id?: string; code?: string } };
}

describe('an Idempotency-Key held by a killed gateway (PostgreSQL, two processes)', () => {
  let sandboxes: RunningSandboxes;
  let schema: TestSchema;
  let doomed: GatewayProcess;
  let survivor: GatewayProcess;

  beforeAll(async () => {
    sandboxes = await startSandboxes({ 'digital-river': { rateLimitPerSecond: 0 } });
    schema = await createTestSchema();
    const env = {
      ...schema.env,
      // Long enough for the parked request to outlive the test's wait for it.
      PROVIDER_ACCOUNTS: JSON.stringify(testAccounts(sandboxes, { timeoutMs: 60_000 })),
      SYNC_LEASE_MS: '2000',
    };
    // The first waits for its provider for as long as it is allowed; the second answers at once.
    doomed = await spawnGateway({ ...env, SYNC_WAIT_MS: '60000' });
    survivor = await spawnGateway({ ...env, SYNC_WAIT_MS: '500', MIGRATE_ON_START: 'false' });
  }, 120_000);

  afterAll(async () => {
    await killAllGateways();
    await sandboxes?.close();
    await schema?.drop();
  });

  it('is a 409 elsewhere while its holder lives, and taken over within 5 s of the kill', async () => {
    sandboxes['digital-river'].admin.setFaults({ 'POST /customers': { hangRate: 1 } });
    const first = create(doomed.url).catch(() => undefined);
    // Parked: the create committed (with the key's recovery point) and waits for Digital River.
    const record = await eventually('the first attempt committed', async () => {
      const [row] = await schema.query<{ recovery_point: string; resource_id: string | null }>(
        'SELECT recovery_point::text, resource_id FROM idempotency_records WHERE key = $1',
        [KEY],
      );
      return row?.recovery_point === 'committed' ? row : undefined;
    });

    const whileAlive = await create(survivor.url);
    expect(whileAlive.status).toBe(409);
    expect(whileAlive.body.code).toBe('idempotency_request_in_progress');

    const killedAt = Date.now();
    expect(await doomed.kill()).toEqual({ code: null, signal: 'SIGKILL' });
    expect(await first).toBeUndefined();
    sandboxes['digital-river'].admin.setFaults({});

    // A client's retry loop: the same key until the answer is neither a 409 nor a 5xx.
    const retried = await eventually(
      'the retry at the other gateway answered',
      async () => {
        const answer = await create(survivor.url);
        return answer.status === 409 || answer.status >= 500 ? undefined : answer;
      },
      { timeoutMs: 30_000, intervalMs: 100 },
    );
    const tookOverAfterMs = Date.now() - killedAt;
    expect(retried.status).toBe(201);
    expect(retried.body.id).toBe(record.resource_id);
    expect(tookOverAfterMs).toBeLessThan(5_000);
    const customers = await schema.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM customers WHERE email = 'takeover@example.test'",
    );
    expect(customers[0]!.n).toBe(1);
  }, 120_000);
});
