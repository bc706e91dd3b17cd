import request from 'supertest';

import {
  bearer,
  type GatewayWithSandboxes,
  johnSmith,
  KEYS,
  linkOf,
  type RunningGateway,
  startGateway,
  startGatewayWithSandboxes,
} from '../support/gateway';

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

/** Waits for `condition` with a generous deadline instead of sleeping a guessed time. */
async function waitFor(condition: () => boolean, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('fair use: a read-only key flooding drift cannot starve live writes', () => {
  let gateway: GatewayWithSandboxes;

  // The read and write limits as shipped; a provider budget below the default of 5 a second keeps
  // the admitted share of the flood small next to a 2-core machine's capacity.
  beforeAll(async () => {
    gateway = await startGatewayWithSandboxes({ RATE_LIMIT_PROVIDER_PER_SECOND: '2' });
  });
  afterAll(() => gateway.close());

  let serial = 0;
  /** One create by the other writer, timed; it names both providers, so `synced` means both took it. */
  const timedCreate = async () => {
    serial += 1;
    const started = performance.now();
    const res = await request(gateway.url)
      .post('/v1/customers')
      .set(bearer(KEYS.otherWriter))
      .send(johnSmith({ externalReference: `fair-${serial}`, email: `fair-${serial}@example.test` }));
    const ms = performance.now() - started;
    expect(res.status).toBe(201);
    expect(linkOf(res.body, 'digital-river').status).toBe('synced');
    expect(linkOf(res.body, 'two-checkout').status).toBe('synced');
    return ms;
  };

  it('the flood gets 429s while the other caller creates stay synced and within a band of the baseline', async () => {
    const target = await request(gateway.url)
      .post('/v1/customers')
      .set(bearer(KEYS.writer))
      .send(johnSmith({ externalReference: 'drift-target', email: 'drift-target@example.test' }));
    expect(target.status).toBe(201);

    await timedCreate(); // warm-up: the first request of a process pays for lazy initialisation
    const baseline: number[] = [];
    for (let i = 0; i < 6; i += 1) baseline.push(await timedCreate());

    const statuses = new Map<number, number>();
    let flooding = true;
    let retryAfter: string | undefined;
    const flood = Array.from({ length: 4 }, async () => {
      while (flooding) {
        const res = await request(gateway.url)
          .get(`/v1/customers/${target.body.id}/drift`)
          .set(bearer(KEYS.reader));
        statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
        if (res.status === 429) {
          expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
          expect(res.body).toMatchObject({ status: 429, code: 'rate_limited' });
          retryAfter = res.headers['retry-after'];
        }
      }
    });
    try {
      await waitFor(() => (statuses.get(429) ?? 0) > 0, 'the flood to be rate limited');
      const underFlood: number[] = [];
      for (let i = 0; i < 6; i += 1) underFlood.push(await timedCreate());
      expect(median(underFlood)).toBeLessThan(3 * median(baseline) + 250);
    } finally {
      flooding = false;
      await Promise.all(flood);
    }
    expect(statuses.get(200)).toBeGreaterThan(0);
    expect([...statuses.keys()].sort()).toEqual([200, 429]);
    expect(Number(retryAfter)).toBeGreaterThanOrEqual(1);
  });
});

describe('fair use: many keys flooding drift share one provider budget', () => {
  let gateway: GatewayWithSandboxes;

  // Each key's own provider budget is out of reach (the bulk-load default): what refuses the flood
  // is the budget all keys share.
  beforeAll(async () => {
    gateway = await startGatewayWithSandboxes({ RATE_LIMIT_PROVIDER_TOTAL_PER_SECOND: '3' });
  });
  afterAll(() => gateway.close());

  it('a flood spread over keys is held to the shared budget, and writes still go through', async () => {
    const target = await request(gateway.url)
      .post('/v1/customers')
      .set(bearer(KEYS.writer))
      .send(johnSmith({ externalReference: 'shared-drift', email: 'shared-drift@example.test' }));
    expect(target.status).toBe(201);

    const flooders = [KEYS.reader, KEYS.eraser, KEYS.writer, KEYS.admin];
    const [answers, create] = await Promise.all([
      Promise.all(
        flooders.flatMap((key) =>
          Array.from({ length: 5 }, () =>
            request(gateway.url).get(`/v1/customers/${target.body.id}/drift`).set(bearer(key)),
          ),
        ),
      ),
      request(gateway.url)
        .post('/v1/customers')
        .set(bearer(KEYS.otherWriter))
        .send(johnSmith({ externalReference: 'shared-drift-write', email: 'shared-write@example.test' })),
    ]);
    expect(answers.every((res) => res.status === 200 || res.status === 429)).toBe(true);
    const limited = answers.filter((res) => res.status === 429);
    // However the 20 fall across one-second windows, at most 3 in each pass, whichever key sent them.
    expect(limited.length).toBeGreaterThanOrEqual(14);
    for (const res of limited) {
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(res.body).toMatchObject({ status: 429, code: 'rate_limited' });
      expect(res.body.detail).toContain('for all API keys together');
      expect(Number(res.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    }
    // The write spends no provider budget: it is created and delivered to both providers.
    expect(create.status).toBe(201);
    expect(linkOf(create.body, 'digital-river').status).toBe('synced');
    expect(linkOf(create.body, 'two-checkout').status).toBe('synced');
  });
});

describe('provider budget with priority: writes keep their share while reads flood drift', () => {
  let gateway: GatewayWithSandboxes;

  // Each key's own provider budget is out of reach (the bulk-load default): only the shared budget
  // of 10 a second decides, half of which is kept for writes (RATE_LIMIT_PROVIDER_WRITE_SHARE).
  beforeAll(async () => {
    gateway = await startGatewayWithSandboxes({ RATE_LIMIT_PROVIDER_TOTAL_PER_SECOND: '10' });
  });
  afterAll(() => gateway.close());

  it("a write key's re-drives succeed while two read-only keys flood drift", async () => {
    const target = await request(gateway.url)
      .post('/v1/customers')
      .set(bearer(KEYS.writer))
      .send(johnSmith({ externalReference: 'priority-target', email: 'priority@example.test' }));
    expect(target.status).toBe(201);

    const statuses = new Map<number, number>();
    let flooding = true;
    let refusal: { detail?: string } | undefined;
    const flood = [KEYS.reader, KEYS.eraser].flatMap((key) =>
      Array.from({ length: 3 }, async () => {
        while (flooding) {
          const res = await request(gateway.url)
            .get(`/v1/customers/${target.body.id}/drift`)
            .set(bearer(key));
          statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
          if (res.status === 429) refusal = res.body;
        }
      }),
    );
    try {
      await waitFor(() => (statuses.get(429) ?? 0) >= 10, 'the flood to be rate limited');
      // Five re-drives fit in what is kept for writes however they fall across one-second windows.
      const redrives = [];
      for (let i = 0; i < 5; i += 1) {
        redrives.push(
          await request(gateway.url).post(`/v1/customers/${target.body.id}/sync`).set(bearer(KEYS.writer)),
        );
      }
      expect(redrives.map((res) => res.status)).toEqual([200, 200, 200, 200, 200]);
    } finally {
      flooding = false;
      await Promise.all(flood);
    }
    expect(statuses.get(200)).toBeGreaterThan(0);
    expect(refusal?.detail).toContain('kept for writes');
  });
});

describe('failed authentication, throttled per client address', () => {
  let gateway: RunningGateway;

  beforeAll(async () => {
    gateway = await startGateway({ AUTH_FAILURES_PER_ADDRESS: '3', AUTH_FAILURE_WINDOW_SECONDS: '60' });
  });
  afterAll(() => gateway.close());

  it('answers 429 with Retry-After after N failures, still serves valid keys, and counts refusals', async () => {
    const guess = (key: string) =>
      request(gateway.url)
        .get('/v1/customers')
        .set(bearer(`${key}_0123456789abcdef`));
    for (const key of ['wrong_1', 'wrong_2', 'wrong_3']) expect((await guess(key)).status).toBe(401);
    const refused = await guess('wrong_4');
    expect(refused.status).toBe(429);
    expect(refused.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(refused.body).toMatchObject({ status: 429, code: 'rate_limited', retryable: true });
    expect(Number(refused.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    // A missing key counts as a failure too.
    expect((await request(gateway.url).get('/v1/customers')).status).toBe(429);
    // The right key from the same address still gets in.
    expect((await request(gateway.url).get('/v1/customers').set(bearer(KEYS.reader))).status).toBe(200);

    const metrics = await request(gateway.url).get('/metrics').set(bearer(KEYS.admin));
    expect(metrics.text).toMatch(/^csg_rate_limited_total\{scope="auth"\} 2$/m);
  });
});

describe('per-key limits, answered as 429 problem+json', () => {
  let gateway: RunningGateway;

  beforeAll(async () => {
    gateway = await startGateway({
      RATE_LIMIT_READ_PER_SECOND: '3',
      RATE_LIMIT_WRITE_PER_SECOND: '2',
      // The eraser holds customers:read too: the most generous of its scopes' limits is its own.
      RATE_LIMITS_BY_SCOPE: JSON.stringify({
        admin: { read: 1000 },
        'customers:erase': { read: 1000 },
        'customers:read': { read: 2 },
      }),
    });
  });
  afterAll(() => gateway.close());

  it('sets limits apart per API-key scope', async () => {
    const burst = (key: string) =>
      Promise.all(Array.from({ length: 20 }, () => request(gateway.url).get('/v1/events').set(bearer(key))));
    for (const key of [KEYS.admin, KEYS.eraser]) {
      expect((await burst(key)).map((res) => res.status)).toEqual(Array.from({ length: 20 }, () => 200));
    }
    const limited = (await burst(KEYS.reader)).filter((res) => res.status === 429);
    // However the 20 fall across one-second windows, at most 2 in each pass.
    expect(limited.length).toBeGreaterThanOrEqual(16);
    expect(limited[0]!.body.detail).toContain('read limit of 2 requests a second');
  });

  it('a key over its read limit gets 429 with Retry-After; another key is not affected', async () => {
    const answers = await Promise.all(
      Array.from({ length: 20 }, () => request(gateway.url).get('/v1/customers').set(bearer(KEYS.reader))),
    );
    const limited = answers.filter((res) => res.status === 429);
    // However the 20 fall across one-second windows, at most 3 in each pass.
    expect(limited.length).toBeGreaterThanOrEqual(14);
    expect(answers.every((res) => res.status === 200 || res.status === 429)).toBe(true);
    for (const res of limited) {
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(res.body).toMatchObject({ type: 'urn:customer-sync:problem:rate_limited', status: 429 });
      expect(Number(res.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    }
    expect((await request(gateway.url).get('/v1/customers').set(bearer(KEYS.writer))).status).toBe(200);
    // Health checks carry no key and are never counted.
    expect((await request(gateway.url).get('/health')).status).toBe(200);
  });

  it('a refused write did nothing: retrying it under the same Idempotency-Key creates it once', async () => {
    const keys = Array.from({ length: 8 }, (_, i) => `fair-use-${i}`);
    const create = (key: string, i: number) =>
      request(gateway.url)
        .post('/v1/customers')
        .set(bearer(KEYS.otherWriter))
        .set('Idempotency-Key', key)
        .send({ email: `retry-${i}@example.test`, providers: [] });
    const first = await Promise.all(keys.map(create));
    expect(first.some((res) => res.status === 429)).toBe(true);

    // What a client should do: wait as Retry-After says, then send the same request again.
    const done = new Map<string, string>();
    for (const [i, res] of first.entries()) if (res.status === 201) done.set(keys[i]!, res.body.id);
    const deadline = Date.now() + 30_000;
    while (done.size < keys.length) {
      if (Date.now() > deadline) throw new Error('retries never got through');
      for (const [i, key] of keys.entries()) {
        if (done.has(key)) continue;
        const res = await create(key, i);
        if (res.status === 201) done.set(key, res.body.id);
        else if (res.status === 429)
          await new Promise((r) => setTimeout(r, Number(res.headers['retry-after']) * 250));
        else throw new Error(`unexpected ${res.status}`);
      }
    }
    expect(new Set(done.values()).size).toBe(keys.length);
    const stored = await gateway.prisma.customer.count({ where: { email: { startsWith: 'retry-' } } });
    expect(stored).toBe(keys.length);
  });
});
