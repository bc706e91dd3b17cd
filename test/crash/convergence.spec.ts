import { randomUUID } from 'node:crypto';
import { createServer } from 'node:net';
import { isDeepStrictEqual } from 'node:util';

import { type RunningSandboxes, startSandboxes } from '@app/sandboxes';

import {
  mergePatch,
  type ModelCustomer,
  newCustomer,
  type Provider,
  type ProviderEdit,
  sequences,
  type Step,
  TRACKED_FIELDS,
} from '../support/convergence-model';
import { sleep } from '../support/eventually';
import { BULK_LOAD_RATE_LIMITS, KEYS, TEST_ENCRYPTION_KEYS, testAccounts } from '../support/gateway';
import {
  createTestSchema,
  type GatewayProcess,
  killAllGateways,
  spawnGateway,
  type TestSchema,
} from '../support/processes';

/**
 * Issue 30: the copies converge, whatever happens. Random sequences (fast-check, fixed seed in CI;
 * `CONVERGENCE_SEED=<n>` or `CONVERGENCE_SEED=random` to explore) of API writes, edits made directly
 * at the sandboxes, provider faults and `kill -9` of the gateway run against the built gateway on
 * PostgreSQL. After each sequence, for every customer it touched and every provider: the mirror
 * holds what the answered writes made of it, every link is settled, and the provider's copy equals
 * the projection of the canonical customer (drift `in_sync`): under the default policy (push back)
 * every provider-side edit is undone. Sequences run four at a time on disjoint customers, so a kill
 * in one lands in the middle of the others' writes too. Edits at Digital River come back through
 * its signed webhooks (and the Events API catch-up for those sent while the gateway was dead);
 * edits at 2Checkout through the sweep. A second test turns the webhook receiver and the catch-up
 * off and shows the same check then finds the difference: the test can fail.
 */

const SEED =
  process.env.CONVERGENCE_SEED === 'random'
    ? Date.now() % 1_000_000
    : Number(process.env.CONVERGENCE_SEED ?? 30);
const SEQUENCES = Number(process.env.CONVERGENCE_SEQUENCES ?? 100);
const MIN_STEPS = 25;
const KILL_EVERY = 7;
const LANES = 4;

interface Answer {
  status: number;
  body: Record<string, unknown>;
}
interface Link {
  provider: Provider;
  reference: string;
  status: string;
  intent: string;
  syncedVersion: number | null;
}

/** The one gateway the lanes share; a kill replaces it and every lane's call waits for the new one. */
class Gateway {
  private current!: GatewayProcess;
  private restarting: Promise<void> | undefined;
  kills = 0;

  constructor(private readonly env: Record<string, string>) {}

  get url(): string {
    return this.current.url;
  }

  async start(): Promise<void> {
    this.current = await spawnGateway(this.env);
  }

  /** SIGKILL, then a new process on the same database. */
  async kill(): Promise<void> {
    if (this.restarting !== undefined) return this.restarting;
    this.kills += 1;
    this.restarting = (async () => {
      await this.current.kill();
      await this.start();
    })().finally(() => (this.restarting = undefined));
    return this.restarting;
  }

  /**
   * A call with the admin key that outlives kills: a connection refused or reset is sent again, with
   * the same Idempotency-Key for a write, once the new process is up, until an answer comes.
   */
  async call(
    method: string,
    path: string,
    body?: unknown,
    beforeSend?: (sent: Promise<unknown>) => void,
  ): Promise<Answer> {
    const idempotencyKey = method === 'GET' ? undefined : randomUUID();
    for (let attempt = 0; ; attempt += 1) {
      await this.restarting;
      const request = fetch(`${this.current.url}${path}`, {
        method,
        headers: {
          Authorization: `Bearer ${KEYS.admin}`,
          ...(idempotencyKey === undefined ? {} : { 'Idempotency-Key': idempotencyKey }),
          ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      if (attempt === 0) beforeSend?.(request);
      try {
        const res = await request;
        const text = await res.text();
        // A key still held by a killed process: taken over as soon as its session is gone.
        if (res.status === 409 && text.includes('idempotency_key_in_use')) {
          await sleep(50);
          continue;
        }
        return { status: res.status, body: text === '' ? {} : (JSON.parse(text) as Record<string, unknown>) };
      } catch {
        if (attempt > 200) throw new Error(`${method} ${path}: no answer after ${attempt} attempts`);
        await sleep(50);
      }
    }
  }
}

describe('convergence: random writes, provider-side edits, faults and kills (PostgreSQL)', () => {
  let db: TestSchema;
  let sandboxes: RunningSandboxes;
  let gateway: Gateway;
  const faultHolds: Record<Provider, number> = { 'digital-river': 0, 'two-checkout': 0 };
  const totals = { steps: 0, providerEdits: 0, refusedWrites: 0, sequencesWithKill: 0 };

  /** The gateway on a port of its own, kept across restarts, so DR's webhooks find each new process. */
  async function startGateway(receiver: 'webhooks' | 'off'): Promise<void> {
    db = await createTestSchema();
    sandboxes = await startSandboxes({
      'digital-river': { rateLimitPerSecond: 0, webhookRetryDelayMs: 200 },
    });
    const port = await freePort();
    gateway = new Gateway({
      PORT: String(port),
      // Changes made at 2CO are found by reading: a sweep a second.
      SWEEP_INTERVAL_SECONDS: '1',
      // Webhooks a dead gateway missed are read back from DR's Events API (off: never).
      DR_EVENTS_CATCHUP_INTERVAL_SECONDS: receiver === 'off' ? '86400' : '1',
      ...db.env,
      ...BULK_LOAD_RATE_LIMITS,
      SECRETS_ENCRYPTION_KEYS: TEST_ENCRYPTION_KEYS,
      PROVIDER_ACCOUNTS: JSON.stringify(testAccounts(sandboxes, { timeoutMs: 2_000 })),
      SYNC_WAIT_MS: '0',
      SYNC_LEASE_MS: '2000',
      SYNC_RETRY_BASE_MS: '20',
      SYNC_RETRY_MAX_MS: '300',
      SYNC_POLL_MS: '100',
      // Faults come and go: a link is retried until they have gone, not parked (100 attempts at most 300 ms apart outlast any fault a sequence holds).
      SYNC_MAX_ATTEMPTS: '100',
    });
    await gateway.start();
    if (receiver === 'off') return;
    // As an operator would: the receiver's secret at the gateway, the endpoint in DR's Dashboard.
    const secret = `whsec-convergence-${randomUUID()}`;
    const path = '/v1/provider-webhooks/digital-river/sandbox';
    const stored = await gateway.call('PUT', `${path}/secret`, { secret });
    if (stored.status !== 204) throw new Error(`setting the webhook secret answered ${stored.status}`);
    sandboxes['digital-river'].admin.registerWebhook({ url: `${gateway.url}${path}`, secret });
  }

  afterEach(async () => {
    await killAllGateways();
    await sandboxes?.close();
    await db?.drop();
  });

  const admin = (provider: Provider) => sandboxes[provider].admin;

  function holdFault(provider: Provider): void {
    faultHolds[provider] += 1;
    admin(provider).setFaults({
      '*': {
        errorRate: 0.2,
        resetRate: 0.05,
        commitThenFailRate: 0.1,
        rateLimitBurst: { rate: 0.05, length: 2, retryAfterSeconds: 0 },
      },
    });
  }
  function releaseFault(provider: Provider): void {
    faultHolds[provider] -= 1;
    if (faultHolds[provider] === 0) admin(provider).setFaults({});
  }

  /** Edits the copy as a person would in the provider's dashboard; false when there is no copy yet. */
  function editAtProvider(provider: Provider, reference: string, edit: ProviderEdit): boolean {
    if (provider === 'digital-river') {
      const copy = sandboxes['digital-river'].admin.dump().find((c) => c.id === reference);
      if (copy === undefined) return false;
      const shipping = copy.shipping ?? {};
      const change =
        edit.field === 'email'
          ? { email: edit.value }
          : edit.field === 'locale'
            ? { locale: edit.value.replace('-', '_') }
            : edit.field === 'givenName'
              ? { shipping: { ...shipping, name: `${edit.value} Smith` } }
              : edit.field === 'phone'
                ? { shipping: { ...shipping, phone: edit.value } }
                : { shipping: { ...shipping, address: { ...shipping.address, city: edit.value } } };
      return sandboxes['digital-river'].admin.modifyCustomer(reference, change as never) !== undefined;
    }
    const tcoField = {
      email: 'Email',
      givenName: 'FirstName',
      phone: 'Phone',
      city: 'City',
      locale: 'Language',
    }[edit.field];
    const value = edit.field === 'locale' ? edit.value.slice(0, 2) : edit.value;
    const copy = sandboxes['two-checkout'].admin
      .dump()
      .find((c) => c.ExternalCustomerReference === reference);
    if (copy === undefined) return false;
    return (
      sandboxes['two-checkout'].admin.modifyCustomer(copy.AvangateCustomerReference, {
        [tcoField]: value,
      }) !== undefined
    );
  }

  /** Runs one sequence on customers of its own; returns its model. */
  async function run(sequence: Step[], tag: string): Promise<ModelCustomer[]> {
    const customers: ModelCustomer[] = [];
    const faults: { provider: Provider; left: number }[] = [];
    let killNextWrite = false;
    const pick = (index: number) =>
      customers.length === 0 ? undefined : customers[index % customers.length];

    /** A write; with a kill pending, the gateway is killed while the request is on its way. */
    const write = (method: string, path: string, body?: unknown) => {
      if (!killNextWrite) return gateway.call(method, path, body);
      killNextWrite = false;
      return gateway.call(method, path, body, () => void gateway.kill());
    };
    const applied = (answer: Answer) => {
      if (answer.status >= 500) throw new Error(`5xx: ${answer.status} ${JSON.stringify(answer.body)}`);
      if (answer.status >= 400) totals.refusedWrites += 1;
      return answer.status < 300;
    };

    for (const step of sequence) {
      totals.steps += 1;
      const target = 'customer' in step ? pick(step.customer) : undefined;
      const alive = target?.state === 'alive' ? target : undefined;
      switch (step.kind) {
        case 'create': {
          const body = {
            ...newCustomer(`${tag}-${customers.length}`),
            providers: step.providers.map((provider) => ({ provider })),
          };
          const answer = await write('POST', '/v1/customers', body);
          if (applied(answer)) {
            const { providers: _providers, ...fields } = body;
            customers.push({
              id: answer.body.id as string,
              reference: body.externalReference,
              fields,
              providers: new Set(step.providers),
              state: 'alive',
            });
          }
          break;
        }
        case 'update':
          if (alive && applied(await write('PATCH', `/v1/customers/${alive.id}`, step.patch))) {
            alive.fields = mergePatch(alive.fields, step.patch);
          }
          break;
        case 'delete':
          if (alive && applied(await write('DELETE', `/v1/customers/${alive.id}`))) alive.state = 'deleted';
          break;
        case 'forget':
          if (alive && applied(await write('POST', `/v1/customers/${alive.id}/forget`)))
            alive.state = 'forgotten';
          break;
        case 'link':
          if (alive && !alive.providers.has(step.provider)) {
            if (
              applied(await write('POST', `/v1/customers/${alive.id}/links`, { provider: step.provider }))
            ) {
              alive.providers.add(step.provider);
            }
          }
          break;
        case 'addTaxId': {
          const taxId = { type: 'de', value: 'DE123456789' };
          if (alive && applied(await write('POST', `/v1/customers/${alive.id}/tax-identifiers`, taxId))) {
            alive.fields = { ...alive.fields, taxIdentifiers: [taxId] };
          }
          break;
        }
        case 'removeTaxId':
          if (alive && applied(await write('DELETE', `/v1/customers/${alive.id}/tax-identifiers/de`))) {
            const { taxIdentifiers: _gone, ...rest } = alive.fields;
            alive.fields = rest;
          }
          break;
        case 'providerEdit':
          if (
            alive?.providers.has(step.provider) &&
            editAtProvider(step.provider, alive.reference, step.edit)
          ) {
            totals.providerEdits += 1;
          }
          break;
        case 'fault':
          holdFault(step.provider);
          faults.push({ provider: step.provider, left: step.steps });
          break;
        case 'kill':
          if (step.duringNextWrite) killNextWrite = true;
          else await gateway.kill();
          break;
      }
      for (const fault of faults) fault.left -= 1;
      for (const done of faults.filter((f) => f.left <= 0)) releaseFault(done.provider);
      faults.splice(0, faults.length, ...faults.filter((f) => f.left > 0));
    }
    for (const fault of faults) releaseFault(fault.provider);
    return customers;
  }

  /** What still differs for `customer`; empty once it has converged. */
  async function differences(customer: ModelCustomer): Promise<string[]> {
    const found: string[] = [];
    const read = await gateway.call('GET', `/v1/customers/${customer.id}`);
    const links = (read.body.providers ?? []) as Link[];
    const drCopies = sandboxes['digital-river'].admin.dump().filter((c) => c.id === customer.reference);
    const tcoCopies = sandboxes['two-checkout'].admin
      .dump()
      .filter((c) => c.ExternalCustomerReference === customer.reference);
    if (drCopies.length > 1 || tcoCopies.length > 1) found.push('a provider holds the customer twice');
    if (customer.state === 'deleted') {
      // 410 Gone with what remains where while the tombstone is kept, 404 after.
      if (read.status === 410) {
        const reports = (read.body.providers ?? []) as { provider: string; outcome: string }[];
        for (const report of reports) {
          if (['pending', 'requested', 'failed'].includes(report.outcome)) {
            found.push(`${report.provider} deletion ${report.outcome}`);
          }
        }
      } else if (read.status !== 404) found.push(`GET answered ${read.status} after the delete`);
      if (drCopies.length > 0) found.push('Digital River still holds the deleted customer');
      return found;
    }
    if (read.status !== 200) return [`GET answered ${read.status}`];
    if (customer.state === 'forgotten') {
      if (read.body.forgotten !== true) found.push('not forgotten in the mirror');
      if (links.some((link) => link.status === 'pending')) found.push('erasure links unsettled');
      return found;
    }
    for (const field of TRACKED_FIELDS) {
      const expected = customer.fields[field];
      const actual = read.body[field] ?? undefined;
      const empty = (value: unknown) => value === undefined || (Array.isArray(value) && value.length === 0);
      if (!(empty(expected) && empty(actual)) && !isDeepStrictEqual(actual, expected)) {
        found.push(`mirror ${field}: ${JSON.stringify(actual)} instead of ${JSON.stringify(expected)}`);
      }
    }
    const linked = new Set(links.map((link) => link.provider));
    for (const provider of customer.providers) if (!linked.has(provider)) found.push(`no ${provider} link`);
    for (const link of links) {
      if (link.status !== 'synced' || link.syncedVersion !== read.body.version) {
        found.push(
          `${link.provider} link ${link.status} at ${link.syncedVersion} of ${String(read.body.version)}`,
        );
      }
    }
    if (found.length > 0) return found;
    const drift = await gateway.call('GET', `/v1/customers/${customer.id}/drift`);
    if (drift.status !== 200) return [`drift answered ${drift.status}`];
    for (const copy of drift.body.data as {
      provider: string;
      state: string;
      fields: { field: string }[];
    }[]) {
      if (copy.state !== 'in_sync')
        found.push(`${copy.provider} ${copy.state}: ${copy.fields.map((f) => f.field).join(', ')}`);
    }
    return found;
  }

  /** Waits until every customer of the sequence converged; fails naming what still differs. */
  async function converged(customers: ModelCustomer[], label: string, timeoutMs = 120_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let last: string[] = [];
    while (Date.now() < deadline) {
      last = (
        await Promise.all(
          customers.map(async (c) => (await differences(c)).map((d) => `${c.reference}: ${d}`)),
        )
      ).flat();
      if (last.length === 0) return;
      await sleep(200);
    }
    throw new Error(`${label} did not converge:\n${last.join('\n')}`);
  }

  /** How many changes made at a provider the gateway found, and how many it pushed back or adopted. */
  async function countEvents(type: string): Promise<number> {
    let count = 0;
    let after: string | undefined;
    for (;;) {
      const page = await gateway.call(
        'GET',
        `/v1/events?type=${type}&limit=100${after ? `&startingAfter=${after}` : ''}`,
      );
      const data = page.body.data as {
        id: string;
        data: { fields?: string[]; pushed?: string[]; adopted?: string[] };
      }[];
      count += data.length;
      if (page.body.hasMore !== true || data.length === 0) return count;
      after = data[data.length - 1]!.id;
    }
  }

  it(`${SEQUENCES} sequences of ${MIN_STEPS}+ steps converge, seed ${SEED}`, async () => {
    await startGateway('webhooks');
    const all = sequences(SEED, SEQUENCES, MIN_STEPS, KILL_EVERY);
    totals.sequencesWithKill = all.filter((s) => s.some((step) => step.kind === 'kill')).length;
    let next = 0;
    const lane = async () => {
      for (let index = next++; index < all.length; index = next++) {
        const customers = await run(all[index]!, `${SEED}-${index}`);
        await converged(customers, `sequence ${index} (seed ${SEED})`);
      }
    };
    await Promise.all(Array.from({ length: LANES }, lane));
    const summary = {
      seed: SEED,
      sequences: all.length,
      ...totals,
      kills: gateway.kills,
      providerChangesDetected: await countEvents('customer.provider_change_detected'),
      providerChangesResolved: await countEvents('customer.provider_change_resolved'),
      // Under the default policy (push back) nothing is left for a person to decide.
      unexplainedDifferences: 0,
    };
    process.stdout.write(`convergence: ${JSON.stringify(summary)}\n`);
    // The issue's bar for the default run: kill -9 in at least 10 sequences.
    if (SEQUENCES >= 100) expect(gateway.kills).toBeGreaterThanOrEqual(10);
  }, 600_000);

  it('finds the difference when changes made at Digital River are not listened to', async () => {
    await startGateway('off');
    // The first sequences (same seed) until one with an edit made at DR: it must not converge.
    const all = sequences(SEED, 20, MIN_STEPS, KILL_EVERY).filter(
      (sequence) =>
        !sequence.some((step) => step.kind === 'kill') &&
        sequence.some((step) => step.kind === 'providerEdit' && step.provider === 'digital-river'),
    );
    const failures: string[] = [];
    for (const [index, sequence] of all.entries()) {
      const editsBefore = totals.providerEdits;
      const customers = await run(sequence, `off-${SEED}-${index}`);
      if (totals.providerEdits === editsBefore) continue;
      // A difference that can never go away (nothing reads DR's changes): a short wait shows it.
      await converged(customers, `sequence ${index}`, 10_000).catch((error: Error) =>
        failures.push(error.message),
      );
      if (failures.length > 0) break;
    }
    expect(failures.join('\n')).toMatch(/digital-river drifted/);
  }, 300_000);
});

/** A port nothing listens on now, for a gateway to keep across its restarts. */
function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolvePort(port));
    });
  });
}
