import { type RunningSandboxes, startSandboxes } from '@app/sandboxes';

import { BULK_LOAD_RATE_LIMITS, testAccounts } from '../support/gateway';
import {
  call,
  createTestSchema,
  type GatewayProcess,
  killAllGateways,
  spawnGateway,
  type TestSchema,
} from '../support/processes';
import { eventually, sleep } from '../support/eventually';

/**
 * Issue 5: several gateway instances run against one PostgreSQL at once without double delivery.
 * Two built gateways share one schema under load; every provider write is counted by the
 * sandboxes, and each change must cost at most one write per provider (reads are free).
 */

const CUSTOMERS = 200;
const UPDATES = 100;
const IN_FLIGHT = 16;

const reference = (i: number) => `load-${String(i).padStart(3, '0')}`;
const newCustomer = (i: number) => ({
  externalReference: reference(i),
  email: `load.${i}@example.test`,
  givenName: 'Load',
  familyName: `Customer ${i}`,
  address: { line1: `${i} Main St`, city: 'Minnetonka', state: 'MN', postalCode: '55129', country: 'US' },
  locale: 'en-US',
  // Half without a type: DR stores its default (`individual`) for those, which is not a difference.
  ...(i % 2 === 0 ? { type: 'individual' } : {}),
  metadata: { batch: 'instances' },
});
const patchFor = (i: number) => ({
  givenName: 'Updated',
  phone: `952-555-${String(i).padStart(4, '0')}`,
  metadata: { batch: 'instances', updated: 'yes' },
});

/** Runs `work` over `items`, at most `limit` at a time. */
async function inPool<T>(
  items: readonly T[],
  limit: number,
  work: (item: T) => Promise<void>,
): Promise<void> {
  const queue = [...items];
  await Promise.all(
    Array.from({ length: limit }, async () => {
      for (let item = queue.shift(); item !== undefined; item = queue.shift()) await work(item);
    }),
  );
}

describe('two gateway processes on one PostgreSQL schema, under load', () => {
  let db: TestSchema;
  let sandboxes: RunningSandboxes;
  let gateways: GatewayProcess[] = [];

  beforeAll(async () => {
    db = await createTestSchema();
    sandboxes = await startSandboxes({ 'digital-river': { rateLimitPerSecond: 0 } });
    // A little latency on every provider call, as a real network has: deliveries overlap in time.
    sandboxes['digital-river'].admin.setFaults({ '*': { latencyMs: 15 } });
    sandboxes['two-checkout'].admin.setFaults({ '*': { latencyMs: 15 } });
    const env = {
      ...db.env,
      // No call times out and is retried by the client: every provider write counted is the engine's.
      PROVIDER_ACCOUNTS: JSON.stringify(testAccounts(sandboxes, { timeoutMs: 15_000 })),
      // Requests answer at once; the two background workers do all the delivering.
      SYNC_WAIT_MS: '0',
      SYNC_WORKER: 'on',
      SYNC_POLL_MS: '50',
      SYNC_RETRY_BASE_MS: '50',
      SYNC_RETRY_MAX_MS: '500',
      // One key drives a bulk load here, far beyond one caller's ordinary share.
      ...BULK_LOAD_RATE_LIMITS,
    };
    // Started together: both migrate the fresh schema at once (serialized by an advisory lock).
    gateways = await Promise.all([spawnGateway(env), spawnGateway(env)]);
  }, 90_000);

  afterAll(async () => {
    await killAllGateways();
    await sandboxes?.close();
    await db?.drop();
  });

  it('delivers every change exactly once per provider, and both instances share the work', async () => {
    const [one, two] = gateways as [GatewayProcess, GatewayProcess];
    const via = (i: number) => (i % 2 === 0 ? one : two);

    // Which workers hold leases, sampled while the load runs: one worker id per process.
    const leaseHolders = new Set<string>();
    let loadDone = false;
    const sampling = (async () => {
      while (!loadDone) {
        const rows = await db.query<{ locked_by: string }>(
          'SELECT DISTINCT locked_by FROM provider_links WHERE locked_by IS NOT NULL',
        );
        for (const row of rows) leaseHolders.add(row.locked_by);
        await sleep(10);
      }
    })();

    const ids: string[] = [];
    const indexes = Array.from({ length: CUSTOMERS }, (_, i) => i);
    try {
      await inPool(indexes, IN_FLIGHT, async (i) => {
        const created = await call(via(i).url, 'POST', '/v1/customers', newCustomer(i));
        expect(created.status).toBe(201);
        ids[i] = (created.body as { id: string }).id;
      });
      // Updates through the other instance, while deliveries of the creates are still under way.
      await inPool(indexes.slice(0, UPDATES), IN_FLIGHT, async (i) => {
        const updated = await call(via(i + 1).url, 'PATCH', `/v1/customers/${ids[i]}`, patchFor(i));
        expect(updated.status).toBe(200);
      });

      await eventually(
        'no link pending',
        async () => {
          const [row] = await db.query<{ pending: number }>(
            `SELECT count(*)::int AS pending FROM provider_links WHERE status = 'pending' OR locked_by IS NOT NULL`,
          );
          return row?.pending === 0 ? true : undefined;
        },
        { timeoutMs: 90_000, intervalMs: 200 },
      );
    } finally {
      loadDone = true;
      await sampling;
    }

    // The mirror: every customer once, every link synced at the customer's latest version.
    const customers = await db.query<{ external_reference: string; version: number }>(
      'SELECT external_reference, version FROM customers ORDER BY external_reference',
    );
    expect(customers).toEqual(
      indexes.map((i) => ({ external_reference: reference(i), version: i < UPDATES ? 2 : 1 })),
    );
    const links = await db.query<{ provider: string; status: string; behind: number; n: number }>(
      `SELECT l.provider, l.status::text AS status,
              count(*) FILTER (WHERE l.synced_version IS DISTINCT FROM c.version)::int AS behind,
              count(*)::int AS n
         FROM provider_links l JOIN customers c ON c.id = l.customer_id
        GROUP BY l.provider, l.status ORDER BY l.provider`,
    );
    expect(links).toEqual([
      { provider: 'digital-river', status: 'synced', behind: 0, n: CUSTOMERS },
      { provider: 'two-checkout', status: 'synced', behind: 0, n: CUSTOMERS },
    ]);

    // Each provider holds every customer exactly once.
    const expected = indexes.map(reference);
    const atDr = sandboxes['digital-river'].admin.dump().map((c) => c.id);
    const atTco = sandboxes['two-checkout'].admin.dump().map((c) => c.ExternalCustomerReference);
    expect([...atDr].sort()).toEqual(expected);
    expect([...atTco].sort()).toEqual(expected);

    // Provider writes: one create per customer, at most one write per update; reads are free.
    const drWrites = writesOf(sandboxes['digital-river'].admin.stats().byRoute);
    const tcoWrites = writesOf(sandboxes['two-checkout'].admin.stats().byRoute);
    expect(drWrites['POST /customers']).toBe(CUSTOMERS);
    expect(tcoWrites['POST /customers']).toBe(CUSTOMERS);
    expect(drWrites['POST /customers/:id'] ?? 0).toBeLessThanOrEqual(UPDATES);
    expect(tcoWrites['PUT /customers/:ref'] ?? 0).toBeLessThanOrEqual(UPDATES);
    // Nothing else was written: no delete, no sub-resource, no second create anywhere.
    expect(Object.keys(drWrites).sort()).toEqual(
      ['POST /customers', 'POST /customers/:id'].filter((route) => route in drWrites),
    );
    expect(Object.keys(tcoWrites).sort()).toEqual(
      ['POST /customers', 'PUT /customers/:ref'].filter((route) => route in tcoWrites),
    );

    // What each provider holds is what the mirror holds, asked through either instance.
    const driftOff: string[] = [];
    await inPool(indexes, IN_FLIGHT, async (i) => {
      const drift = await call(via(i).url, 'GET', `/v1/customers/${ids[i]}/drift`);
      const states = (drift.body as { data?: { state: string }[] } | undefined)?.data ?? [];
      if (drift.status !== 200 || states.length !== 2 || states.some((d) => d.state !== 'in_sync')) {
        driftOff.push(`${reference(i)}: ${drift.status} ${JSON.stringify(drift.body)}`);
      }
    });
    expect(driftOff).toEqual([]);

    // Both processes' workers delivered: two distinct lease holders were seen.
    expect(leaseHolders.size).toBe(2);
  }, 150_000);

  it('delivers an update that commits while another delivery of the customer is settling', async () => {
    const [one, two] = gateways as [GatewayProcess, GatewayProcess];
    const dr = sandboxes['digital-river'].admin;
    // DR is slow to create this one; 2Checkout is not, so only the DR link is left in flight.
    dr.setFaults({ '*': { latencyMs: 15 }, 'POST /customers': { latencyMs: 1_500 } });
    const drCreatesBefore = dr.stats().byRoute['POST /customers'] ?? 0;
    const created = await call(one.url, 'POST', '/v1/customers', newCustomer(CUSTOMERS));
    expect(created.status).toBe(201);
    const id = (created.body as { id: string }).id;
    const linkStatus = async () =>
      Object.fromEntries(
        (
          await db.query<{ provider: string; status: string }>(
            'SELECT provider, status::text AS status FROM provider_links WHERE customer_id = $1',
            [id],
          )
        ).map((row) => [row.provider, row.status]),
      );
    await eventually('the DR create in flight and 2Checkout synced', async () =>
      (dr.stats().byRoute['POST /customers'] ?? 0) > drCreatesBefore &&
      (await linkStatus())['two-checkout'] === 'synced'
        ? true
        : undefined,
    );

    // Hold the DR link's row, so that the update below commits only after the delivery has begun
    // to settle: the order "settle reads the version, the update commits, settle writes" is forced.
    await db.query('BEGIN');
    let released = false;
    try {
      await db.query(
        `SELECT id FROM provider_links WHERE customer_id = $1 AND provider = 'digital-river' FOR UPDATE`,
        [id],
      );
      const updated = call(two.url, 'PATCH', `/v1/customers/${id}`, patchFor(CUSTOMERS));
      updated.catch(() => undefined); // awaited below; never an unhandled rejection if we fail first
      // Backends waiting on this session, directly or behind another waiter: the update, then settle.
      await eventually(
        'the update and the settling delivery both waiting on the link',
        async () => {
          const [row] = await db.query<{ waiting: number }>(
            `WITH RECURSIVE waiting(pid) AS (
               SELECT pid FROM pg_stat_activity WHERE pg_backend_pid() = ANY (pg_blocking_pids(pid))
               UNION
               SELECT a.pid FROM pg_stat_activity a JOIN waiting w ON w.pid = ANY (pg_blocking_pids(a.pid)))
             SELECT count(*)::int AS waiting FROM waiting`,
          );
          return (row?.waiting ?? 0) >= 2 ? true : undefined;
        },
        { timeoutMs: 15_000, intervalMs: 20 },
      );
      await db.query('ROLLBACK');
      released = true;
      expect((await updated).status).toBe(200);
    } finally {
      if (!released) await db.query('ROLLBACK');
      dr.setFaults({ '*': { latencyMs: 15 } });
    }

    await eventually(
      'the customer delivered',
      async () => {
        const [row] = await db.query<{ busy: number }>(
          `SELECT count(*)::int AS busy FROM provider_links
            WHERE customer_id = $1 AND (status = 'pending' OR locked_by IS NOT NULL)`,
          [id],
        );
        return row?.busy === 0 ? true : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 100 },
    );
    // The update is at both providers: no link was settled `synced` at the version before it.
    const links = await db.query<{ provider: string; status: string; synced_version: number }>(
      `SELECT provider, status::text AS status, synced_version FROM provider_links
        WHERE customer_id = $1 ORDER BY provider`,
      [id],
    );
    expect(links).toEqual([
      { provider: 'digital-river', status: 'synced', synced_version: 2 },
      { provider: 'two-checkout', status: 'synced', synced_version: 2 },
    ]);
    const drift = await call(one.url, 'GET', `/v1/customers/${id}/drift`);
    expect((drift.body as { data: { state: string }[] }).data.map((d) => d.state)).toEqual([
      'in_sync',
      'in_sync',
    ]);
    expect(dr.dump().find((c) => c.id === reference(CUSTOMERS))?.shipping?.name).toBe(
      `Updated Customer ${CUSTOMERS}`,
    );
  }, 60_000);

  it('both instances stop cleanly, having logged no warning or error', async () => {
    for (const gateway of gateways) {
      // A lost lease, a failed sync round, a failed request: none of them happened.
      const problems = gateway
        .output()
        .split('\n')
        .filter((line) => /"level":(40|50|60)/.test(line));
      expect(problems).toEqual([]);
    }
    for (const gateway of gateways) expect(await gateway.stop()).toEqual({ code: 0, signal: null });
  });
});

/** The non-GET routes a sandbox received, by route key. */
function writesOf(byRoute: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(byRoute).filter(([route]) => !route.startsWith('GET ')));
}
