import { type RunningSandboxes, startSandboxes } from '@app/sandboxes';

import { johnSmith, testAccounts } from '../support/gateway';
import {
  call,
  createTestSchema,
  exitWithin,
  type GatewayProcess,
  killAllGateways,
  spawnGateway,
  type TestSchema,
} from '../support/processes';
import { eventually } from '../support/eventually';

/**
 * Issue 5: the gateway process is killed with SIGKILL at each step boundary of a write (after the
 * database commit, during the provider call, after the provider answered, before the link is
 * saved); after a restart the outcome is the same as without the kill. Real processes (the built
 * gateway), real HTTP, real PostgreSQL, both provider sandboxes run by this test process.
 */

const BOUNDARIES = ['after-commit', 'during-provider-call', 'after-answer', 'before-link-save'] as const;
type Boundary = (typeof BOUNDARIES)[number];
type Operation = 'create' | 'update';

/** The provider write each operation waits on, by sandbox route key. */
const WRITE_ROUTES: Record<Operation, { dr: string; tco: string }> = {
  create: { dr: 'POST /customers', tco: 'POST /customers' },
  update: { dr: 'POST /customers/:id', tco: 'PUT /customers/:ref' },
};
const PROVIDER_LATENCY_MS = 3_000;

const PATCH = {
  givenName: 'Johnny',
  phone: '952-222-2222',
  address: { city: 'Eden Prairie', postalCode: '55344' },
  metadata: { coupon: null, tier: 'gold' },
};

interface Link {
  provider: string;
  reference: string;
  status: string;
  syncedVersion: number | null;
  lastError: unknown;
}

interface CustomerBody {
  id: string;
  version: number;
  providers: Link[];
  [field: string]: unknown;
}

/** What a provider copy or a mirror row holds, without what differs between any two customers. */
const IDENTITY = new Set([
  'id',
  'customerId',
  'createdTime',
  'updatedTime',
  'createdAt',
  'updatedAt',
  'lastSyncedAt',
  'externalReference',
  'reference',
  'providerCustomerId',
  'ExternalCustomerReference',
  'CustomerReference',
  'AvangateCustomerReference',
]);
const TIMESTAMP = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/;
function content(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(content);
  if (typeof value === 'string' && TIMESTAMP.test(value)) return '<timestamp>';
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value)
      .filter(([key]) => !IDENTITY.has(key))
      .map(([key, inner]) => [key, content(inner)]),
  );
}

describe('a gateway killed with SIGKILL at each step of a write, then restarted (PostgreSQL)', () => {
  let db: TestSchema;
  let sandboxes: RunningSandboxes;
  let env: Record<string, string>;
  const dr = () => sandboxes['digital-river'].admin;
  const tco = () => sandboxes['two-checkout'].admin;
  /** The outcome without any kill, per operation: the mirror and both providers' copies. */
  const baseline = new Map<Operation, Outcome>();
  /** Customers made (synced) beforehand for the update cases, by boundary. */
  const toUpdate = new Map<Boundary, string>();

  interface Outcome {
    mirror: unknown;
    dr: unknown;
    tco: unknown;
  }

  /** The mirror's customer and both provider copies, minus identity, for comparison with the baseline. */
  async function outcomeOf(gateway: GatewayProcess, id: string): Promise<Outcome> {
    const customer = (await call(gateway.url, 'GET', `/v1/customers/${id}`)).body as CustomerBody;
    const reference = customer.externalReference as string;
    return {
      // How many attempts it took is the one thing a kill may change.
      mirror: content({ ...customer, providers: customer.providers.map((l) => ({ ...l, attempts: 0 })) }),
      dr: content(
        dr()
          .dump()
          .find((c) => c.id === reference),
      ),
      tco: content(
        tco()
          .dump()
          .find((c) => c.ExternalCustomerReference === reference),
      ),
    };
  }

  async function synced(gateway: GatewayProcess, id: string): Promise<CustomerBody> {
    return eventually(
      `customer ${id} synced at both providers`,
      async () => {
        const { status, body } = await call(gateway.url, 'GET', `/v1/customers/${id}`);
        const customer = body as CustomerBody;
        return status === 200 &&
          customer.providers.length === 2 &&
          customer.providers.every((l) => l.status === 'synced' && l.syncedVersion === customer.version)
          ? customer
          : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 100 },
    );
  }

  async function createSynced(gateway: GatewayProcess, reference: string): Promise<CustomerBody> {
    const created = await call(
      gateway.url,
      'POST',
      '/v1/customers',
      johnSmith({ externalReference: reference }),
    );
    if (created.status !== 201) {
      throw new Error(
        `create answered ${created.status} ${JSON.stringify(created.body)}\n${gateway.output()}`,
      );
    }
    return synced(gateway, (created.body as CustomerBody).id);
  }

  beforeAll(async () => {
    db = await createTestSchema();
    sandboxes = await startSandboxes({ 'digital-river': { rateLimitPerSecond: 0 } });
    env = {
      ...db.env,
      // A call may take the injected latency and more without timing out: the kill decides.
      PROVIDER_ACCOUNTS: JSON.stringify(testAccounts(sandboxes, { timeoutMs: 10_000 })),
      SYNC_WAIT_MS: '5000',
      // A dead worker's lease runs out quickly; the restarted one takes the link over.
      SYNC_LEASE_MS: '2000',
      SYNC_RETRY_BASE_MS: '50',
      SYNC_RETRY_MAX_MS: '500',
      SYNC_POLL_MS: '50',
      // The suite reads drift after each restart; DR's Events API reader would share its budget.
      DR_EVENTS_CATCHUP_INTERVAL_SECONDS: '0',
    };

    // The outcomes to match, made by a gateway that is never killed; and the customers to update.
    const healthy = await spawnGateway(env);
    const created = await createSynced(healthy, 'baseline-create');
    baseline.set('create', await outcomeOf(healthy, created.id));
    const toPatch = await createSynced(healthy, 'baseline-update');
    expect((await call(healthy.url, 'PATCH', `/v1/customers/${toPatch.id}`, PATCH)).status).toBe(200);
    baseline.set('update', await outcomeOf(healthy, (await synced(healthy, toPatch.id)).id));
    for (const boundary of BOUNDARIES) {
      toUpdate.set(boundary, (await createSynced(healthy, `crash-update-${boundary}`)).id);
    }
    expect(await healthy.stop()).toEqual({ code: 0, signal: null });
  }, 120_000);

  afterEach(async () => {
    await killAllGateways();
    dr().setFaults({});
    tco().setFaults({});
  });

  afterAll(async () => {
    await killAllGateways();
    await sandboxes?.close();
    await db?.drop();
  });

  /** When writes a killed gateway left in flight at a slow provider have landed. */

  /** Child A: sends the write and dies at `boundary`; resolves once A is gone. */
  async function writeAndDie(
    boundary: Boundary,
    operation: Operation,
    send: (gateway: GatewayProcess) => Promise<unknown>,
  ): Promise<void> {
    if (boundary !== 'during-provider-call') {
      const a = await spawnGateway({ ...env, CHAOS_CRASH_AT: boundary });
      // Its answer is a dropped connection, or nothing at all: either is fine.
      void send(a).catch(() => undefined);
      const exit = await exitWithin(a, 20_000);
      if (exit === undefined) throw new Error(`A never reached ${boundary}:\n${a.output()}`);
      expect(exit).toEqual({ code: null, signal: 'SIGKILL' });
      return;
    }
    // No crash point: the providers answer slowly, and A is killed while both calls are in flight.
    const routes = WRITE_ROUTES[operation];
    dr().setFaults({ [routes.dr]: { latencyMs: PROVIDER_LATENCY_MS } });
    tco().setFaults({ [routes.tco]: { latencyMs: PROVIDER_LATENCY_MS } });
    const count = () => [dr().stats().byRoute[routes.dr] ?? 0, tco().stats().byRoute[routes.tco] ?? 0];
    const [drBefore, tcoBefore] = count() as [number, number];
    const a = await spawnGateway(env);
    void send(a).catch(() => undefined);
    await eventually('both provider writes in flight', () => {
      const [drNow, tcoNow] = count() as [number, number];
      return Promise.resolve(drNow > drBefore && tcoNow > tcoBefore ? true : undefined);
    });
    expect(await a.kill()).toEqual({ code: null, signal: 'SIGKILL' });
    // The providers recover; the writes A sent still land, late, after their latency.
    dr().setFaults({});
    tco().setFaults({});
  }

  /** Child B restarts on the same schema; the outcome must be the one without a kill. */
  async function restartAndCheck(operation: Operation, reference: string, knownId?: string): Promise<void> {
    const b = await spawnGateway(env);
    let id = knownId;
    if (id === undefined) {
      // A died before answering: the mirror knows the customer by its reference.
      const found = await call(b.url, 'GET', `/v1/customers/by-reference/digital-river/${reference}`);
      expect(found.status).toBe(200);
      id = (found.body as CustomerBody).id;
    }
    const customer = await synced(b, id);
    expect(customer.version).toBe(operation === 'create' ? 1 : 2);
    // Writes a killed gateway left in flight have landed (or been refused) by now.
    await eventually('the writes a killed gateway left in flight handled', () =>
      Promise.resolve(dr().stats().inFlight === 0 && tco().stats().inFlight === 0 ? true : undefined),
    );

    const rows = await db.query<{ customers: string }>(
      'SELECT count(*)::text AS customers FROM customers WHERE external_reference = $1',
      [reference],
    );
    expect(rows).toEqual([{ customers: '1' }]);
    const links = await db.query<{
      provider: string;
      status: string;
      synced_version: number;
      locked_by: null;
    }>(
      `SELECT provider, status::text AS status, synced_version, locked_by
         FROM provider_links WHERE customer_id = $1 ORDER BY provider`,
      [id],
    );
    expect(links).toEqual([
      { provider: 'digital-river', status: 'synced', synced_version: customer.version, locked_by: null },
      { provider: 'two-checkout', status: 'synced', synced_version: customer.version, locked_by: null },
    ]);

    // Exactly one copy at each provider.
    expect(
      dr()
        .dump()
        .filter((c) => c.id === reference),
    ).toHaveLength(1);
    expect(
      tco()
        .dump()
        .filter((c) => c.ExternalCustomerReference === reference),
    ).toHaveLength(1);

    const drift = await call(b.url, 'GET', `/v1/customers/${id}/drift`);
    expect(drift.status).toBe(200);
    expect((drift.body as { data: { provider: string; state: string }[] }).data).toEqual([
      expect.objectContaining({ provider: 'digital-river', state: 'in_sync' }),
      expect.objectContaining({ provider: 'two-checkout', state: 'in_sync' }),
    ]);

    // Field for field what the gateway that was never killed ended with.
    expect(await outcomeOf(b, id)).toEqual(baseline.get(operation));
    expect(await b.stop()).toEqual({ code: 0, signal: null });
  }

  describe.each(BOUNDARIES)('killed %s', (boundary) => {
    it('a create ends as without the kill', async () => {
      const reference = `crash-create-${boundary}`;
      await writeAndDie(boundary, 'create', (a) =>
        call(a.url, 'POST', '/v1/customers', johnSmith({ externalReference: reference })),
      );
      await restartAndCheck('create', reference);
    }, 60_000);

    it('an update ends as without the kill', async () => {
      const id = toUpdate.get(boundary)!;
      await writeAndDie(boundary, 'update', (a) => call(a.url, 'PATCH', `/v1/customers/${id}`, PATCH));
      await restartAndCheck('update', `crash-update-${boundary}`, id);
    }, 60_000);
  });
});
