import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { type RunningSandboxes, startSandboxes } from '@app/sandboxes';

import { johnSmith, KEYS, testAccounts } from '../support/gateway';
import {
  createTestSchema,
  exitWithin,
  type GatewayProcess,
  killAllGateways,
  spawnGateway,
  type TestSchema,
} from '../support/processes';
import { eventually } from '../support/eventually';

/**
 * Issue 12: exactly once across a crash. The built gateway is killed with SIGKILL at each boundary
 * of an idempotent write (inside the transaction before its commit, after the commit, during the
 * provider call, before its answer is stored under the Idempotency-Key, after that but before it
 * is sent) while a create (with and without externalReference), an update, a delete, a forget, a
 * link and a migration start are all parked at that boundary. A restarted gateway gets every
 * request again under the same key, as a client that never saw an answer must send it: each
 * retry's answer names the one resource its first attempt made, which exists exactly once in the
 * mirror and at each provider sandbox (run by this test process, so their state survives the
 * kill). On the embedded PGlite (a data directory that survives the kill), or on PostgreSQL when
 * TEST_DATABASE_URL is set.
 */

const BOUNDARIES = [
  'before-commit',
  'after-commit',
  'after-answer',
  'before-answer-saved',
  'before-answer-sent',
] as const;
type Boundary = (typeof BOUNDARIES)[number];

const DR = { provider: 'digital-river', account: 'sandbox' };
const TCO = { provider: 'two-checkout', account: 'sandbox' };

interface Answer {
  status: number;
  body: Record<string, unknown> & { id?: string };
}
interface CustomerBody {
  id: string;
  version: number;
  externalReference?: string | null;
  providers: {
    provider: string;
    reference: string;
    status: string;
    syncedVersion: number | null;
    erasure?: unknown;
  }[];
}

/** One request, under its Idempotency-Key; rejects when the connection is dropped (the kill). */
async function send(
  base: string,
  method: string,
  path: string,
  key: string | undefined,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<Answer> {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: {
      Authorization: `Bearer ${KEYS.admin}`,
      ...(key === undefined ? {} : { 'Idempotency-Key': key }),
      ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
      ...headers,
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, body: text === '' ? {} : (JSON.parse(text) as Answer['body']) };
}

const onPostgres = Boolean(process.env.TEST_DATABASE_URL);

describe(`idempotent writes killed with SIGKILL at every boundary, retried under the same key (${
  onPostgres ? 'PostgreSQL' : 'PGlite'
})`, () => {
  let sandboxes: RunningSandboxes;
  let schema: TestSchema | undefined;
  let dataDir: string | undefined;
  let env: Record<string, string>;
  const dr = () => sandboxes['digital-river'].admin;
  const tco = () => sandboxes['two-checkout'].admin;

  /** The customers each group's update, delete, forget and link work on; a DR reference to migrate. */
  const fixtures = new Map<
    Boundary,
    { update: string; delete: string; forget: string; link: string; migrate: string }
  >();

  /** An operation: its first attempt goes to the gateway that dies, its retry to the next one. */
  interface Operation {
    name: string;
    request: (base: string) => Promise<Answer>;
    /** Checks the retry's answer and that its resource exists exactly once everywhere. */
    check: (base: string, retry: Answer) => Promise<void>;
  }

  async function createdAnswer(base: string, body: Record<string, unknown>): Promise<CustomerBody> {
    const res = await send(base, 'POST', '/v1/customers', undefined, body);
    if (res.status !== 201) throw new Error(`create answered ${res.status} ${JSON.stringify(res.body)}`);
    return synced(
      base,
      (res.body as unknown as CustomerBody).id,
      (body.providers as unknown[] | undefined)?.length ?? 2,
    );
  }

  async function synced(base: string, id: string, links = 2): Promise<CustomerBody> {
    return eventually(
      `customer ${id} synced at ${links} providers`,
      async () => {
        const { status, body } = await send(base, 'GET', `/v1/customers/${id}`, undefined);
        const customer = body as unknown as CustomerBody;
        if (
          status === 200 &&
          customer.providers.length === links &&
          customer.providers.every((l) => l.status === 'synced' && l.syncedVersion === customer.version)
        ) {
          return customer;
        }
        throw new Error(`links: ${JSON.stringify(customer.providers)}`);
      },
      { timeoutMs: 30_000 },
    );
  }

  /** The one mirror customer with this email, synced; fails on none or several. */
  async function onlyCustomerWith(base: string, email: string): Promise<CustomerBody> {
    const { body } = await send(base, 'GET', `/v1/customers?email=${encodeURIComponent(email)}`, undefined);
    const data = (body as unknown as { data: CustomerBody[] }).data;
    expect(data).toHaveLength(1);
    return synced(base, data[0]!.id);
  }

  function operations(boundary: Boundary): Operation[] {
    const fixture = fixtures.get(boundary)!;
    const createOnce = (name: string, externalReference: string | undefined): Operation => {
      const email = `${name}-${boundary}@example.test`;
      return {
        name,
        request: (base) =>
          send(base, 'POST', '/v1/customers', `${name}-${boundary}`, johnSmith({ externalReference, email })),
        check: async (base, retry) => {
          // A conflict with the customer made under the same key is that key's success, not a 409.
          expect(retry.status).toBe(201);
          const customer = await onlyCustomerWith(base, email);
          expect(retry.body.id).toBe(customer.id);
          expect(
            dr()
              .dump()
              .filter((c) => c.email === email),
          ).toHaveLength(1);
          expect(
            tco()
              .dump()
              .filter((c) => c.Email === email),
          ).toHaveLength(1);
        },
      };
    };
    return [
      createOnce('create', undefined),
      createOnce('create-with-reference', `ref-${boundary}`),
      {
        name: 'update',
        // If-Match on the first version: applied twice, the second would be a 412.
        request: (base) =>
          send(
            base,
            'PATCH',
            `/v1/customers/${fixture.update}`,
            `update-${boundary}`,
            { givenName: 'Updated' },
            {
              'If-Match': '"1"',
            },
          ),
        check: async (base, retry) => {
          expect(retry.status).toBe(200);
          expect(retry.body).toMatchObject({ id: fixture.update, version: 2, givenName: 'Updated' });
          const customer = await synced(base, fixture.update);
          expect(customer.version).toBe(2);
          const reference = customer.providers[0]!.reference;
          expect(
            dr()
              .dump()
              .filter((c) => c.id === reference),
          ).toHaveLength(1);
        },
      },
      {
        name: 'delete',
        request: (base) => send(base, 'DELETE', `/v1/customers/${fixture.delete}`, `delete-${boundary}`),
        check: async (base, retry) => {
          expect([200, 202]).toContain(retry.status);
          expect(retry.body.id).toBe(fixture.delete);
          // Gone at Digital River; 2Checkout cannot delete, so its one copy is scrubbed and the
          // tombstone stays, still found by id, holding nothing personal.
          await eventually(`customer ${fixture.delete} deleted at Digital River`, () =>
            Promise.resolve(
              dr()
                .dump()
                .some((c) => c.id === fixture.delete)
                ? undefined
                : true,
            ),
          );
          const tombstone = await send(
            base,
            'GET',
            `/v1/customers/${fixture.delete}?include=deleted`,
            undefined,
          );
          expect(tombstone.status).toBe(200);
          expect(tombstone.body).toMatchObject({ email: null, givenName: null, familyName: null });
          expect(typeof tombstone.body['deletedAt']).toBe('string');
          expect(
            tco()
              .dump()
              .filter((c) => c.ExternalCustomerReference === fixture.delete),
          ).toHaveLength(1);
        },
      },
      {
        name: 'forget',
        request: (base) => send(base, 'POST', `/v1/customers/${fixture.forget}/forget`, `forget-${boundary}`),
        check: async (base, retry) => {
          expect(retry.status).toBe(200);
          // Erased once: the version went up once.
          expect(retry.body.customer).toMatchObject({ id: fixture.forget, version: 2 });
          await eventually(`customer ${fixture.forget} forgotten at both providers`, async () => {
            const { body } = await send(base, 'GET', `/v1/customers/${fixture.forget}`, undefined);
            const customer = body as unknown as CustomerBody;
            return customer.version === 2 &&
              customer.providers.every((l) => l.status === 'synced' && l.erasure !== null)
              ? true
              : undefined;
          });
          expect(
            dr()
              .dump()
              .filter((c) => c.id === fixture.forget && c.requestToBeForgotten),
          ).toHaveLength(1);
        },
      },
      {
        name: 'link',
        request: (base) => send(base, 'POST', `/v1/customers/${fixture.link}/links`, `link-${boundary}`, TCO),
        check: async (base, retry) => {
          expect(retry.status).toBe(201);
          expect(retry.body.id).toBe(fixture.link);
          await synced(base, fixture.link, 2);
          expect(
            tco()
              .dump()
              .filter((c) => c.ExternalCustomerReference === fixture.link),
          ).toHaveLength(1);
        },
      },
      {
        name: 'migration',
        request: (base) =>
          send(base, 'POST', '/v1/migrations', `migration-${boundary}`, {
            source: { ...DR, kind: 'references', references: [fixture.migrate] },
            target: TCO,
          }),
        check: async (base, retry) => {
          expect(retry.status).toBe(202);
          const runs = (
            (await send(base, 'GET', '/v1/migrations?limit=100', undefined)).body as unknown as {
              data: { id: string }[];
            }
          ).data;
          // One run per group so far: this group's is the retry's, and the only new one.
          expect(runs).toHaveLength(BOUNDARIES.indexOf(boundary) + 1);
          expect(runs[0]!.id).toBe(retry.body.id);
          await eventually(`migration ${retry.body.id} completed`, async () => {
            const run = await send(base, 'GET', `/v1/migrations/${retry.body.id}`, undefined);
            return run.body.status === 'completed' ? run : undefined;
          });
          expect(
            tco()
              .dump()
              .filter((c) => c.ExternalCustomerReference === fixture.migrate),
          ).toHaveLength(1);
        },
      },
    ];
  }

  /** Retries as a client must: the same key until the answer is neither a 409 nor a 5xx. */
  async function retry(base: string, operation: Operation): Promise<Answer> {
    return eventually(
      `${operation.name} answered`,
      async () => {
        const answer = await operation.request(base);
        return answer.status === 409 || answer.status >= 500 ? undefined : answer;
      },
      { timeoutMs: 30_000, intervalMs: 200 },
    );
  }

  beforeAll(async () => {
    sandboxes = await startSandboxes({ 'digital-river': { rateLimitPerSecond: 0 } });
    let database: Record<string, string>;
    if (onPostgres) {
      schema = await createTestSchema();
      database = schema.env;
    } else {
      dataDir = mkdtempSync(join(tmpdir(), 'idempotency-crash-'));
      database = { DATA_DIR: dataDir };
    }
    env = {
      ...database,
      PROVIDER_ACCOUNTS: JSON.stringify(testAccounts(sandboxes, { timeoutMs: 10_000 })),
      MIGRATION_QUEUE: 'in-process',
      SYNC_WAIT_MS: '8000',
      // A dead worker's lease runs out soon; the restarted one takes the link over. Longer than a
      // delivery takes on a loaded machine, where every query of the embedded PGlite queues.
      SYNC_LEASE_MS: '6000',
      SYNC_RETRY_BASE_MS: '50',
      SYNC_RETRY_MAX_MS: '500',
      SYNC_POLL_MS: '50',
    };

    const setup = await spawnGateway(env);
    await Promise.all(
      BOUNDARIES.map(async (boundary) => {
        const customer = async (name: string, providers = [DR, TCO]) =>
          (
            await createdAnswer(setup.url, {
              ...johnSmith({ externalReference: undefined, email: `${name}-${boundary}@example.test` }),
              providers,
            })
          ).id;
        const [update, remove, forget, link] = await Promise.all([
          customer('to-update'),
          customer('to-delete'),
          customer('to-forget'),
          customer('to-link', [DR]),
        ]);
        fixtures.set(boundary, { update, delete: remove, forget, link, migrate: dr().seed(1)[0]! });
      }),
    );
    expect(await setup.stop()).toEqual({ code: 0, signal: null });
  }, 120_000);

  afterAll(async () => {
    await killAllGateways();
    await sandboxes?.close();
    await schema?.drop();
    if (dataDir !== undefined) rmSync(dataDir, { recursive: true, force: true });
  });

  it.each(BOUNDARIES)(
    'killed %s: every retry answers the one resource its first attempt made',
    async (boundary) => {
      const group = operations(boundary);
      // The gateway that dies: every request of the group parks at the boundary, then SIGKILL.
      // Its background worker is off, so only the requests themselves reach the providers.
      const doomed: GatewayProcess = await spawnGateway({
        ...env,
        CHAOS_CRASH_AT: boundary,
        CHAOS_CRASH_REQUESTS: String(group.length),
        SYNC_WORKER: 'off',
      });
      const first = group.map((operation) => operation.request(doomed.url).catch(() => undefined));
      const exit = await exitWithin(doomed, 30_000);
      if (exit === undefined) throw new Error(`never reached ${boundary}:\n${doomed.output()}`);
      expect(exit).toEqual({ code: null, signal: 'SIGKILL' });
      const answeredBeforeTheKill = await Promise.all(first);

      const restarted = await spawnGateway(env);
      const retries = await Promise.all(group.map((operation) => retry(restarted.url, operation)));
      for (const [index, operation] of group.entries()) {
        const answer = retries[index]!;
        try {
          await operation.check(restarted.url, answer);
          // An answer the client did get before the kill is the one the retry gets.
          const seen = answeredBeforeTheKill[index];
          if (seen !== undefined) expect(answer.body).toEqual(seen.body);
        } catch (error) {
          throw new Error(
            `${operation.name} after a kill ${boundary}: ${(error as Error).message}\nanswer: ${JSON.stringify(answer)}\n${restarted.output().slice(-4000)}`,
            { cause: error },
          );
        }
      }
      expect(await restarted.stop()).toEqual({ code: 0, signal: null });
    },
    120_000,
  );
});
