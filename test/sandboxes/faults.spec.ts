import {
  signAvangateAuthentication,
  startDigitalRiverSandbox,
  startTwoCheckoutSandbox,
  type FaultConfig,
  type RunningDigitalRiverSandbox,
  type RunningTwoCheckoutSandbox,
} from '@app/sandboxes';
import { request } from 'node:http';
import { http } from './http';

describe('fault injection (both sandboxes, over HTTP)', () => {
  let dr: RunningDigitalRiverSandbox;
  let tco: RunningTwoCheckoutSandbox;
  const drGet = (path: string, signal?: AbortSignal) =>
    http(dr.url + path, { headers: { authorization: `Bearer ${dr.secretKey}` }, signal });
  const drCreate = (json: unknown) =>
    http(`${dr.url}/customers`, {
      method: 'POST',
      json,
      headers: { authorization: `Bearer ${dr.secretKey}` },
    });
  const tcoHeaders = () => ({
    'X-Avangate-Authentication': signAvangateAuthentication({
      code: tco.merchantCode,
      secretKey: tco.secretKey,
    }),
  });
  const tcoCustomer = {
    ExternalCustomerReference: 'CTF-1',
    FirstName: 'A',
    LastName: 'B',
    Address1: 'x',
    City: 'y',
    Zip: 'z',
    CountryCode: 'RO',
    Email: 'a@example.com',
  };

  beforeAll(async () => {
    dr = await startDigitalRiverSandbox({ rateLimitPerSecond: 0, seed: 42 });
    tco = await startTwoCheckoutSandbox({ seed: 42 });
  });
  afterAll(async () => {
    await dr.close();
    await tco.close();
  });
  beforeEach(() => {
    dr.admin.reset();
    tco.admin.reset();
    dr.admin.setFaults({});
    tco.admin.setFaults({});
  });

  it('injects errors with the chosen status in each provider error shape', async () => {
    dr.admin.setFaults({ '*': { errorRate: 1, errorStatus: 503 } });
    const drRes = await drGet('/customers');
    expect(drRes.status).toBe(503);
    expect(drRes.body).toEqual({
      type: 'internal_server_error',
      errors: [{ code: 'internal_server_error', message: expect.any(String) }],
    });
    expect(drRes.headers.get('x-dr-requestid')).toBeTruthy();

    tco.admin.setFaults({ 'GET /customers/:ref': { errorRate: 1, errorStatus: 500 } });
    const tcoRes = await http(`${tco.url}/customers/1/`, { headers: tcoHeaders() });
    expect(tcoRes.status).toBe(500);
    expect(tcoRes.body).toEqual({ error_code: 'INTERNAL_SERVER_ERROR', message: expect.any(String) });
  });

  it('applies per-route configuration only to that route', async () => {
    dr.admin.setFaults({ 'GET /customers/:id': { errorRate: 1 } });
    expect((await drCreate({ id: 'r1' })).status).toBe(201);
    expect((await drGet('/customers')).status).toBe(200);
    expect((await drGet('/customers/r1')).status).toBe(500);
  });

  it('is deterministic: the same seed replays the same fault sequence, another seed differs', async () => {
    const config: FaultConfig = { '*': { errorRate: 0.5 } };
    const sequence = async (sandbox: RunningDigitalRiverSandbox) => {
      sandbox.admin.setFaults(config);
      const statuses: number[] = [];
      for (let i = 0; i < 24; i++) {
        statuses.push(
          (
            await http(`${sandbox.url}/customers`, {
              headers: { authorization: `Bearer ${sandbox.secretKey}` },
            })
          ).status,
        );
      }
      return statuses;
    };
    const twin = await startDigitalRiverSandbox({ rateLimitPerSecond: 0, seed: 42 });
    const other = await startDigitalRiverSandbox({ rateLimitPerSecond: 0, seed: 7 });
    try {
      const first = await sequence(dr);
      expect(first).toContain(500);
      expect(first).toContain(200);
      expect(await sequence(twin)).toEqual(first);
      // setFaults restarts the streams, so the same sandbox replays too.
      expect(await sequence(dr)).toEqual(first);
      expect(await sequence(other)).not.toEqual(first);
    } finally {
      await twin.close();
      await other.close();
    }
  });

  it('adds fixed latency and latency from a distribution', async () => {
    dr.admin.setFaults({ 'GET /customers': { latencyMs: 150 } });
    let started = performance.now();
    expect((await drGet('/customers')).status).toBe(200);
    expect(performance.now() - started).toBeGreaterThanOrEqual(140);

    tco.admin.setFaults({ '*': { latencyMs: { min: 80, max: 120 } } });
    started = performance.now();
    await http(`${tco.url}/customers/1/`, { headers: tcoHeaders() });
    expect(performance.now() - started).toBeGreaterThanOrEqual(75);

    dr.admin.setFaults({ '*': { latencyMs: { mean: 60, stddev: 5 } } });
    started = performance.now();
    await drGet('/customers');
    expect(performance.now() - started).toBeGreaterThanOrEqual(35);
    expect(dr.admin.stats().faults['latency']).toBe(2);
  });

  it('hangs until the client gives up, and the server stays healthy', async () => {
    dr.admin.setFaults({ 'GET /customers': { hangRate: 1 } });
    await expect(drGet('/customers', AbortSignal.timeout(200))).rejects.toThrow(/abort|timeout/i);
    expect((await drCreate({ id: 'after-hang' })).status).toBe(201);
    expect(dr.admin.stats().faults['hang']).toBe(1);
  });

  it('resets the connection', async () => {
    tco.admin.setFaults({ 'GET /customers/:ref': { resetRate: 1 } });
    const url = new URL(`${tco.url}/customers/1/`);
    const error = await new Promise<NodeJS.ErrnoException>((resolve, reject) => {
      const req = request(url, { headers: tcoHeaders() }, () =>
        reject(new Error('expected a reset, got a response')),
      );
      req.on('error', resolve);
      req.end();
    });
    expect(error.code).toBe('ECONNRESET');
  });

  it('answers 429 bursts of the configured length with Retry-After', async () => {
    dr.admin.setFaults({
      'GET /customers': { rateLimitBurst: { rate: 1, length: 3, retryAfterSeconds: 7 } },
    });
    const res = await drGet('/customers');
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBe('7');
    expect(res.body.type).toBe('too_many_requests');

    dr.admin.setFaults({ 'GET /customers': { rateLimitBurst: { rate: 0.15, length: 4 } } });
    const statuses: number[] = [];
    for (let i = 0; i < 60; i++) statuses.push((await drGet('/customers')).status);
    const runs = statuses
      .join(',')
      .split(/,?200,?/)
      .filter((run) => run !== '');
    expect(runs.length).toBeGreaterThan(0);
    // Every burst is `length` long, except one cut short by the end of the sample.
    const lengths = runs.map((run) => run.split(',').length);
    expect(lengths.slice(0, -1).every((n) => n % 4 === 0)).toBe(true);
  });

  it('commits then fails: the write is applied but the answer is an error (DR)', async () => {
    dr.admin.setFaults({ 'POST /customers': { commitThenFailRate: 1, commitThenFailStatus: 502 } });
    const res = await drCreate({ id: 'ambiguous' });
    expect(res.status).toBe(502);
    expect(res.body.type).toBe('internal_server_error');
    expect((await drGet('/customers/ambiguous')).status).toBe(200);
    // Retrying the create now meets the committed write.
    dr.admin.setFaults({});
    expect((await drCreate({ id: 'ambiguous' })).body.errors[0].code).toBe('already_exists');
  });

  it('commits then fails: the write is applied but the answer is an error (2CO)', async () => {
    await http(`${tco.origin}/__admin/faults`, {
      method: 'PUT',
      json: { 'POST /customers': { commitThenFailRate: 1 } },
    });
    const res = await http(`${tco.url}/customers/`, {
      method: 'POST',
      json: tcoCustomer,
      headers: tcoHeaders(),
    });
    expect(res.status).toBe(500);
    expect(res.body.error_code).toBe('INTERNAL_SERVER_ERROR');
    expect((await http(`${tco.url}/customers/CTF-1/`, { headers: tcoHeaders() })).status).toBe(200);
    expect(tco.admin.stats().faults['commitThenFail']).toBe(1);
  });

  it('does not turn a failed write into commit-then-fail', async () => {
    dr.admin.setFaults({ 'POST /customers': { commitThenFailRate: 1 } });
    const res = await drCreate({ id: 'x'.repeat(41) });
    expect(res.status).toBe(400);
    expect(dr.admin.dump()).toEqual([]);
  });

  it('validates fault configuration on the admin endpoint and reads it back', async () => {
    const bad = await http(`${dr.origin}/__admin/faults`, { method: 'PUT', json: { '*': { errorRate: 2 } } });
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatch(/Invalid fault configuration/);
    const typo = await http(`${dr.origin}/__admin/faults`, {
      method: 'PUT',
      json: { '*': { errorRatio: 0.1 } },
    });
    expect(typo.status).toBe(400);
    const ok = await http(`${dr.origin}/__admin/faults`, { method: 'PUT', json: { '*': { latencyMs: 1 } } });
    expect(ok.status).toBe(200);
    expect((await http(`${dr.origin}/__admin/faults`)).body).toEqual({ '*': { latencyMs: 1 } });
    expect(() => dr.admin.setFaults({ '*': { errorStatus: 200 } })).toThrow(/Invalid fault configuration/);
  });

  it('never applies faults to admin routes', async () => {
    dr.admin.setFaults({ '*': { errorRate: 1 } });
    expect((await http(`${dr.origin}/__admin/seed`, { method: 'POST', json: { count: 2 } })).status).toBe(
      201,
    );
    expect((await http(`${dr.origin}/__admin/customers`)).body).toHaveLength(2);
  });
});
