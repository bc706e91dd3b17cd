import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

import request from 'supertest';

/**
 * The gateway as users run it: the built entry point in its own process, on the embedded
 * database in a data directory. `npm test` builds it before the `process` ring.
 */
const MAIN = resolve(__dirname, '../../dist/apps/gateway/apps/gateway/src/main.js');

interface Started {
  child: ChildProcessWithoutNullStreams;
  url: string;
  apiKey: string;
  output: () => string;
}

function start(env: Record<string, string>): Promise<Started> {
  const child = spawn(process.execPath, [MAIN], {
    env: { PATH: process.env.PATH, PORT: '0', LOG_LEVEL: 'info', ...env },
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  return new Promise((resolvePromise, reject) => {
    const timer = setTimeout(() => reject(new Error(`gateway did not start:\n${output}`)), 30_000);
    const check = () => {
      // The banner as text (at a terminal, LOG_FORMAT=pretty) or as one JSON line (JSON logs), which
      // names the development key's file instead of printing the key.
      const url = (/Swagger UI:\s+(http:\/\/\S+)\/docs/.exec(output) ??
        /"swaggerUi":"(http:\/\/[^"]+)\/docs"/.exec(output))?.[1];
      const keyFile = /"developmentKeyFile":"([^"]+)"/.exec(output)?.[1];
      const apiKey =
        /API key:\s+(\S+)/.exec(output)?.[1] ?? (keyFile && readFileSync(keyFile, 'utf8').trim());
      if (url && apiKey) {
        clearTimeout(timer);
        resolvePromise({ child, url, apiKey, output: () => output });
      }
    };
    child.stdout.on('data', check);
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`gateway exited with ${code}:\n${output}`));
    });
  });
}

/** SIGTERM, as an orchestrator stops it; Nest closes everything, then re-raises the signal. */
async function stop(started: Started): Promise<void> {
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolvePromise) => {
    started.child.removeAllListeners('exit');
    // 'close' comes after the last output has been read; 'exit' may come before it.
    started.child.on('close', (code, signal) => resolvePromise({ code, signal }));
  });
  started.child.kill('SIGTERM');
  const { code, signal } = await exit;
  expect({ code, signal }).toEqual({ code: 0, signal: null });
  expect(started.output()).toContain('database closed');
}

function run(env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  return new Promise((resolvePromise) => {
    const child = spawn(process.execPath, [MAIN], { env: { PATH: process.env.PATH, ...env } });
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    child.on('close', (code) => resolvePromise({ code, output }));
  });
}

describe('the gateway process', () => {
  let dataDir: string;

  beforeAll(() => {
    if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: run npm run build first`);
    dataDir = mkdtempSync(join(tmpdir(), 'gateway-process-'));
  });
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('starts on the embedded database, keeps data across a restart, and shuts down cleanly', async () => {
    const first = await start({ DATA_DIR: dataDir });
    expect(first.apiKey).toMatch(/^csg_dev_/);
    const docs = await request(first.url).get('/docs/');
    expect(docs.status).toBe(200);
    expect(docs.text).toContain('swagger');

    const created = await request(first.url)
      .post('/v1/customers')
      .set('Authorization', `Bearer ${first.apiKey}`)
      .send({
        email: 'persist@example.test',
        givenName: 'Persisted',
        familyName: 'Customer',
        address: { line1: '1 Main St', city: 'Minnetonka', postalCode: '55129', country: 'US' },
      });
    expect(created.status).toBe(201);
    // The embedded default runs both provider sandboxes and creates there too.
    expect(first.output()).toMatch(/"sandboxes":\["Digital River http:\/\/127\.0\.0\.1:\d+","2Checkout http/);
    // JSON logs are JSON only: the banner is a line like the others, without the key itself.
    const lines = first
      .output()
      .split('\n')
      .filter((line) => line !== '');
    expect(lines.filter((line) => !line.startsWith('{"level"'))).toEqual([]);
    expect(first.output()).not.toContain(first.apiKey);
    expect(first.output()).not.toContain('Mapped {');
    expect(
      created.body.providers.map((l: { provider: string; status: string }) => `${l.provider}:${l.status}`),
    ).toEqual(['digital-river:synced', 'two-checkout:synced']);
    await stop(first);

    // Readable lines instead of JSON (what a terminal gets by default).
    const second = await start({ DATA_DIR: dataDir, LOG_FORMAT: 'pretty' });
    expect(second.apiKey).toBe(first.apiKey);
    const read = await request(second.url)
      .get(`/v1/customers/${created.body.id}`)
      .set('X-API-Key', second.apiKey);
    expect(read.status).toBe(200);
    expect(read.body).toMatchObject({ email: 'persist@example.test', givenName: 'Persisted' });
    await stop(second);
    const completed = second
      .output()
      .split('\n')
      .find((line) => line.includes('request completed'));
    expect(completed).toMatch(/^\[\d\d:\d\d:\d\d\.\d{3}\] INFO.*request completed.*"keyId":"development"/);
    expect(second.output()).not.toMatch(/^\{"level"/m);
  }, 60_000);

  it('logs JSON naming the key id and each provider failure, never keys or personal data', async () => {
    const started = await start({ DATA_DIR: dataDir });
    const secretEmail = 'very.private.person@example.test';
    // Every 2Checkout call fails from here: each attempt must leave a warn line.
    const twoCheckout = /2Checkout (http:\/\/127\.0\.0\.1:\d+)/.exec(started.output())![1]!;
    const faults = await fetch(`${twoCheckout}/__admin/faults`, {
      method: 'PUT',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ '*': { errorRate: 1, errorStatus: 503 } }),
    });
    expect(faults.status).toBe(200);
    const created = await request(started.url)
      .post('/v1/customers')
      .set('Authorization', `Bearer ${started.apiKey}`)
      .set('Idempotency-Key', 'log-check')
      .send({
        email: secretEmail,
        phone: '555-0100',
        givenName: 'Privata',
        familyName: 'Personne',
        address: { line1: '1 Hidden Lane', city: 'Minnetonka', postalCode: '55129', country: 'US' },
      });
    expect(created.status).toBe(201);
    const createdRequestId = created.headers['x-request-id'];
    await request(started.url)
      .get('/v1/customers')
      .query({ email: secretEmail })
      .set('X-API-Key', started.apiKey);
    await request(started.url)
      .post('/v1/customers')
      .set('Authorization', 'Bearer wrong-key-wrong-key-wrong-key')
      .send({});
    // Requests refused while their bodies or URLs are read, before any route runs: each still gets
    // its request line, naming the key that sent it (hostile input is what an engineer looks for).
    const refusedEarly = [
      request(started.url)
        .post('/v1/customers')
        .set('X-API-Key', started.apiKey)
        .set('Content-Type', 'application/json')
        .send('{"givenName":"unterminated'),
      request(started.url).get('/v1/events?type=%00').set('X-API-Key', started.apiKey),
      request(started.url)
        .post('/v1/customers')
        .set('X-API-Key', started.apiKey)
        .set('Content-Type', 'application/json')
        .send('{"__proto__":{"admin":true}}'),
      request(started.url)
        .post('/v1/customers')
        .set('X-API-Key', started.apiKey)
        .set('Content-Type', 'text/plain')
        .send('x'),
    ];
    const refusedIds: string[] = [];
    for (const pending of refusedEarly) {
      const res = await pending;
      expect([400, 415]).toContain(res.status);
      refusedIds.push(res.headers['x-request-id'] as string);
    }
    await stop(started);

    const logLines = started
      .output()
      .split('\n')
      .filter((line) => line.startsWith('{'));
    const lines = logLines.map((line) => JSON.parse(line) as Record<string, unknown>);
    const requestLines = lines.filter((l) => l['msg'] === 'request completed');
    expect(requestLines.length).toBeGreaterThanOrEqual(3);
    // Who did it: the key's id on every line of an authenticated request, none on the refused one.
    const byPath = (path: string, status: number) =>
      requestLines.filter(
        (l) =>
          (l['req'] as { path: string }).path === path &&
          (l['res'] as { statusCode: number }).statusCode === status,
      );
    expect(byPath('/v1/customers', 201).map((l) => l['keyId'])).toEqual(['development']);
    expect(byPath('/v1/customers', 200).map((l) => l['keyId'])).toEqual(['development']);
    expect(byPath('/v1/customers', 401).map((l) => l['keyId'])).toEqual([undefined]);
    for (const id of refusedIds) {
      expect(requestLines.filter((l) => l['requestId'] === id)).toEqual([
        expect.objectContaining({ keyId: 'development', res: { statusCode: expect.any(Number) } }),
      ]);
    }
    const failures = lines.filter((l) => l['msg'] === 'provider call failed');
    expect(failures.length).toBeGreaterThanOrEqual(1);
    for (const failure of failures) {
      expect(failure).toMatchObject({
        level: 40,
        provider: 'two-checkout',
        account: 'sandbox',
        operation: 'sync',
        outcome: 'unavailable',
        httpStatus: 503,
        path: expect.stringMatching(/^\/customers/),
      });
    }
    // Those made while the create waited for its providers name the request and the key.
    expect(failures.filter((l) => l['requestId'] === createdRequestId)).not.toHaveLength(0);
    expect(
      failures.filter((l) => l['requestId'] === createdRequestId).every((l) => l['keyId'] === 'development'),
    ).toBe(true);

    const logs = logLines.join('\n');
    for (const secret of [
      secretEmail,
      'very.private.person',
      '555-0100',
      'Privata',
      'Personne',
      'Hidden Lane',
      started.apiKey,
      'wrong-key-wrong-key',
    ]) {
      expect(logs).not.toContain(secret);
    }
  }, 60_000);

  it('refuses to start on bad configuration, naming each bad variable', async () => {
    const { code, output } = await run({
      PORT: 'eighty',
      DATABASE_URL: 'mysql://nope',
      API_KEYS: '[{"id":"x","scopes":["customers:fly"],"key":"short"}]',
      LOG_LEVEL: 'loud',
      RATE_LIMITS_BY_SCOPE: '{"admin":{"writes":5}}',
    });
    expect(code).toBe(1);
    expect(output).toContain('Invalid configuration');
    for (const name of [
      'PORT',
      'DATABASE_URL',
      'API_KEYS (0.scopes.0)',
      'API_KEYS (0.key)',
      'LOG_LEVEL',
      'RATE_LIMITS_BY_SCOPE (admin)',
    ]) {
      expect(output).toContain(name);
    }
    expect(output).not.toMatch(/\n\s+at /);
  });

  it('requires API keys in production', async () => {
    const { code, output } = await run({ NODE_ENV: 'production', DATA_DIR: dataDir });
    expect(code).toBe(1);
    expect(output).toContain('API_KEYS: required in production');
  });
});
