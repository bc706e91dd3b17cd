import { randomUUID } from 'node:crypto';

import request from 'supertest';

import {
  bearer,
  type GatewayWithSandboxes,
  johnSmith,
  KEYS,
  startGateway,
  startGatewayWithSandboxes,
} from '../support/gateway';

/** One sample of the Prometheus text format: `name{label="value",...} number`. */
interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

function parseMetrics(text: string): Sample[] {
  return text
    .split('\n')
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => {
      const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
      if (match === null) throw new Error(`not a sample: ${line}`);
      const labels: Record<string, string> = {};
      for (const [, key, value] of (match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) {
        labels[key!] = value!;
      }
      return { name: match[1]!, labels, value: Number(match[3]) };
    });
}

/** The sum of the samples named `name` whose labels include `labels`. */
function total(samples: Sample[], name: string, labels: Record<string, string> = {}): number {
  return samples
    .filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))
    .reduce((sum, s) => sum + s.value, 0);
}

describe('/metrics', () => {
  let gateway: GatewayWithSandboxes;
  const api = () => request(gateway.url);
  const scrape = async () => {
    const res = await api().get('/metrics');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    return parseMetrics(res.text);
  };
  const create = (reference: string) =>
    api()
      .post('/v1/customers')
      .set(bearer(KEYS.writer))
      .send(johnSmith({ externalReference: reference }));

  beforeAll(async () => {
    // No background worker and no wait: links stay pending until the test drains them, so the
    // outbox holds exactly what the test put there when it scrapes.
    gateway = await startGatewayWithSandboxes({
      SYNC_WORKER: 'off',
      SYNC_WAIT_MS: '0',
      SYNC_MAX_ATTEMPTS: '1',
    });
  });
  afterAll(() => gateway.close());

  it('counts requests by route template, provider calls by outcome, and the outbox as it stands', async () => {
    const first = await create('metrics-1');
    const second = await create('metrics-2');
    expect([first.status, second.status]).toEqual([201, 201]);
    expect((await api().get(`/v1/customers/${first.body.id}`).set(bearer(KEYS.reader))).status).toBe(200);
    expect((await api().get('/v1/nowhere').set(bearer(KEYS.reader))).status).toBe(404);

    const queued = await scrape();
    expect(total(queued, 'csg_outbox_links', { status: 'pending' })).toBe(4);
    expect(total(queued, 'csg_outbox_links', { status: 'synced' })).toBe(0);
    expect(total(queued, 'csg_outbox_oldest_pending_age_seconds')).toBeGreaterThan(0);

    // Every 2Checkout call fails from here: the Digital River links sync, the 2Checkout ones fail.
    gateway.sandboxes['two-checkout'].admin.setFaults({ '*': { errorRate: 1, errorStatus: 500 } });
    await gateway.drain();

    const samples = await scrape();
    const http = 'csg_http_requests_total';
    expect(total(samples, http, { method: 'POST', route: '/v1/customers', status: '201' })).toBe(2);
    expect(total(samples, http, { method: 'GET', route: '/v1/customers/:id', status: '200' })).toBe(1);
    expect(total(samples, http, { method: 'GET', route: 'unmatched', status: '404' })).toBe(1);
    // The histogram counts the same requests; no label ever holds a raw URL or a customer id.
    expect(total(samples, 'csg_http_request_duration_seconds_count', { route: '/v1/customers/:id' })).toBe(1);
    expect(samples.some((s) => Object.values(s.labels).some((v) => v.includes('cus_')))).toBe(false);

    const calls = 'csg_provider_calls_total';
    const dr = { provider: 'digital-river', account: 'sandbox', operation: 'sync' };
    const tco = { provider: 'two-checkout', account: 'sandbox', operation: 'sync' };
    // Every request each sandbox received is counted once, under the operation that made it.
    const drStats = gateway.sandboxes['digital-river'].admin.stats();
    const tcoStats = gateway.sandboxes['two-checkout'].admin.stats();
    expect(total(samples, calls, { provider: 'digital-river' })).toBe(drStats.requests);
    expect(total(samples, calls, dr)).toBe(drStats.requests);
    // Digital River: a first delivery creates without looking first, so every call succeeded.
    expect(total(samples, calls, { ...dr, outcome: 'not_found' })).toBe(0);
    expect(total(samples, calls, { ...dr, outcome: 'ok' })).toBe(drStats.requests);
    // 2Checkout: every attempt the sandbox failed, retries included, and nothing else.
    const injected = tcoStats.faults['error'] ?? 0;
    expect(injected).toBeGreaterThanOrEqual(2);
    expect(tcoStats.requests).toBe(injected);
    expect(total(samples, calls, { ...tco, outcome: 'unavailable' })).toBe(injected);
    expect(total(samples, calls, { provider: 'two-checkout' })).toBe(injected);
    expect(
      total(samples, 'csg_provider_call_duration_seconds_count', { ...tco, outcome: 'unavailable' }),
    ).toBe(injected);

    expect(total(samples, 'csg_outbox_links', { status: 'pending' })).toBe(0);
    expect(total(samples, 'csg_outbox_links', { status: 'synced' })).toBe(2);
    expect(total(samples, 'csg_outbox_links', { status: 'failed' })).toBe(2);
    expect(total(samples, 'csg_outbox_oldest_pending_age_seconds')).toBe(0);
    // Process metrics come along.
    expect(total(samples, 'process_resident_memory_bytes')).toBeGreaterThan(0);
    gateway.sandboxes['two-checkout'].admin.setFaults({});
  });

  it('reports each running migration by outcome, read from the database at scrape time', async () => {
    const run = `mig_${randomUUID()}`;
    const outcomes = ['migrated', 'migrated', 'already_present', 'failed', null, null, null] as const;
    await gateway.prisma.migrationRun.create({
      data: {
        id: run,
        sourceProvider: 'digital-river',
        sourceAccount: 'sandbox',
        sourceKind: 'list',
        targetProvider: 'two-checkout',
        targetAccount: 'sandbox',
        options: {},
        items: {
          create: outcomes.map((outcome, seq) => ({ seq, sourceReference: `ref-${seq}`, outcome })),
        },
      },
    });
    const samples = await scrape();
    const of = (outcome: string) => total(samples, 'csg_migration_items', { run, outcome });
    expect(samples.find((s) => s.name === 'csg_migration_items' && s.labels['run'] === run)?.labels).toEqual(
      expect.objectContaining({ source: 'digital-river/sandbox', target: 'two-checkout/sandbox' }),
    );
    expect([of('migrated'), of('already_present'), of('skipped'), of('failed'), of('pending')]).toEqual([
      2, 1, 0, 1, 3,
    ]);

    await gateway.prisma.migrationRun.update({ where: { id: run }, data: { status: 'completed' } });
    const after = await scrape();
    expect(after.some((s) => s.name === 'csg_migration_items' && s.labels['run'] === run)).toBe(false);
  });

  it('is open in development; METRICS_TOKEN or an admin key guard it otherwise, the probes never', async () => {
    const token = 'metrics_token_0123456789abcdef';
    const guards: Record<string, string>[] = [{ METRICS_TOKEN: token }, { NODE_ENV: 'production' }];
    for (const env of guards) {
      const guarded = await startGateway(env);
      try {
        const none = await request(guarded.url).get('/metrics');
        expect(none.status).toBe(401);
        expect(none.body.code).toBe('unauthenticated');
        const reader = await request(guarded.url).get('/metrics').set(bearer(KEYS.reader));
        expect(reader.status).toBe(403);
        expect(reader.body.code).toBe('forbidden');
        const withToken = await request(guarded.url).get('/metrics').set(bearer(token));
        expect(withToken.status).toBe(env['METRICS_TOKEN'] === undefined ? 401 : 200);
        expect((await request(guarded.url).get('/metrics').set(bearer(KEYS.admin))).status).toBe(200);
        // The probes stay open, as Kubernetes calls them without credentials.
        for (const probe of ['/health/live', '/health/ready']) {
          expect((await request(guarded.url).get(probe)).status).toBe(200);
        }
      } finally {
        await guarded.close();
      }
    }
  });
});

describe('/metrics: calls held back by an account’s client-side limit', () => {
  it('times how long each provider call waited before it was sent', async () => {
    // One call every 2 s per account (a burst of one): of two creates sent at once, the second
    // call to each provider waits about 2 s for its token, far beyond how far apart the two
    // requests' calls can start.
    const gateway = await startGatewayWithSandboxes({ SYNC_WAIT_MS: '0' }, { rateLimitPerSecond: 0.5 });
    try {
      const creates = await Promise.all(
        [1, 2].map((n) =>
          request(gateway.url)
            .post('/v1/customers')
            .set(bearer(KEYS.writer))
            // No tax identifiers: at Digital River those are calls of their own.
            .send(johnSmith({ externalReference: `held-${n}`, taxIdentifiers: undefined })),
        ),
      );
      expect(creates.map((res) => res.status)).toEqual([201, 201]);
      await gateway.drain();

      const samples = parseMetrics((await request(gateway.url).get('/metrics')).text);
      const held = 'csg_provider_call_held_seconds';
      for (const provider of ['digital-river', 'two-checkout']) {
        const labels = { provider, account: 'sandbox', operation: 'sync' };
        const within = (le: string) => total(samples, `${held}_bucket`, { ...labels, le });
        expect(total(samples, 'csg_provider_calls_total', labels)).toBe(2);
        // Every call is timed: the first went out on the bucket's one token, the second waited.
        expect(total(samples, `${held}_count`, labels)).toBe(2);
        expect(within('0.25')).toBe(1);
        expect(within('+Inf') - within('1')).toBe(1);
        expect(total(samples, `${held}_sum`, labels)).toBeGreaterThan(1);
      }
    } finally {
      await gateway.close();
    }
  });
});
