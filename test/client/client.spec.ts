import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { type AddressInfo } from 'node:net';
import { resolve } from 'node:path';

import { createGatewayClient, GatewayError } from '@customer-sync/client';

import { quickstart } from '../../libs/client/examples/quickstart';
import { tour } from '../../libs/client/examples/tour';
import {
  type GatewayWithSandboxes,
  KEYS,
  type RunningGateway,
  startGateway,
  startGatewayWithSandboxes,
} from '../support/gateway';

/**
 * What the loopback proxy in front of the gateway does with the next request: pass it on, answer
 * in the gateway's place, pass it on and then lose the gateway's answer, or drop the connection.
 */
type Step =
  | 'forward'
  | 'reset'
  | { answer: number; headers?: Record<string, string>; problem?: Record<string, unknown> }
  | { forwardThenAnswer: number };

interface SeenRequest {
  method: string;
  url: string;
  idempotencyKey: string | undefined;
  replayed: string | null;
}

/**
 * A real HTTP server on loopback between the client and the gateway, failing the way networks and
 * servers do, as scripted per test; with no script left it forwards everything.
 */
class FlakyProxy {
  readonly seen: SeenRequest[] = [];
  private script: Step[] = [];
  private server: Server | undefined;
  url = '';

  constructor(private readonly target: string) {}

  async start(): Promise<void> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((done) => this.server!.listen(0, '127.0.0.1', done));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async close(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise((done) => this.server?.close(done));
  }

  /** The steps for the next requests; then it forwards everything again. */
  will(...steps: Step[]): void {
    this.script = steps;
    this.seen.length = 0;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const step = this.script.shift() ?? 'forward';
    const seen: SeenRequest = {
      method: req.method!,
      url: req.url!,
      idempotencyKey: req.headers['idempotency-key'] as string | undefined,
      replayed: null,
    };
    this.seen.push(seen);
    if (step === 'reset') {
      req.socket.destroy();
      return;
    }
    if (typeof step === 'object' && 'answer' in step) {
      res.writeHead(step.answer, { 'Content-Type': 'application/problem+json', ...step.headers });
      res.end(JSON.stringify({ status: step.answer, requestId: 'proxy', ...step.problem }));
      return;
    }
    const headers = Object.fromEntries(
      Object.entries(req.headers).filter(
        ([name]) => !['host', 'connection', 'content-length'].includes(name),
      ),
    ) as Record<string, string>;
    const answer = await fetch(`${this.target}${req.url}`, {
      method: req.method!,
      headers,
      ...(chunks.length > 0 ? { body: Buffer.concat(chunks) } : {}),
    });
    const body = Buffer.from(await answer.arrayBuffer());
    seen.replayed = answer.headers.get('idempotent-replayed');
    if (typeof step === 'object') {
      // The gateway did the work; its answer is lost on the way back.
      res.writeHead(step.forwardThenAnswer, { 'Content-Type': 'application/problem+json' });
      res.end(
        JSON.stringify({ status: step.forwardThenAnswer, code: 'bad_gateway', detail: 'Lost upstream.' }),
      );
      return;
    }
    res.writeHead(answer.status, {
      'Content-Type': answer.headers.get('content-type') ?? 'application/json',
      ...(answer.headers.has('etag') ? { ETag: answer.headers.get('etag')! } : {}),
    });
    res.end(body);
  }
}

describe('the typed client (@customer-sync/client) against a real gateway', () => {
  let gateway: RunningGateway;
  let proxy: FlakyProxy;
  const client = () =>
    createGatewayClient({
      baseUrl: proxy.url,
      apiKey: KEYS.admin,
      retry: { maxAttempts: 4, baseDelayMs: 5, maxDelayMs: 50 },
    });

  beforeAll(async () => {
    gateway = await startGateway();
    proxy = new FlakyProxy(gateway.url);
    await proxy.start();
  });

  afterAll(async () => {
    await proxy.close();
    await gateway.close();
  });

  it('creates, reads and updates with typed calls, and pages a list with for await', async () => {
    const email = 'pages@example.com';
    const created = [];
    for (let i = 0; i < 5; i++) created.push(await client().customers.create({ email, providers: [] }));
    const updated = await client().customers.update(created[0]!.id, { phone: '952-222-2222' });
    expect(updated).toMatchObject({ id: created[0]!.id, phone: '952-222-2222', version: 2 });
    expect((await client().customers.get(created[0]!.id)).phone).toBe('952-222-2222');

    proxy.will();
    const listed: string[] = [];
    for await (const customer of client().customers.list({ email, limit: 2 })) listed.push(customer.id);
    expect(listed).toEqual(created.map((c) => c.id).reverse());
    expect(proxy.seen.map((r) => r.method)).toEqual(['GET', 'GET', 'GET']);
  });

  it('throws every refusal as a GatewayError carrying the problem+json', async () => {
    proxy.will();
    const missing = await client()
      .customers.get('cus_000000000000000000000000')
      .catch((error: unknown) => error);
    expect(missing).toBeInstanceOf(GatewayError);
    expect(missing).toMatchObject({ status: 404, code: 'customer_not_found', requestId: expect.any(String) });

    const invalid = await client()
      .customers.create({ email: 'not an email', providers: [] })
      .catch((error: unknown) => error);
    expect(invalid).toMatchObject({
      status: 400,
      code: 'validation_failed',
      detail: expect.any(String),
      errors: [expect.objectContaining({ field: 'email' })],
    });
    // A refusal is final: neither was sent twice.
    expect(proxy.seen).toHaveLength(2);
  });

  it('retries a write whose answer was lost under the same Idempotency-Key, so it is done once', async () => {
    const email = 'lost-answer@example.com';
    proxy.will({ forwardThenAnswer: 503 });
    const customer = await client().customers.create({ email, providers: [] });

    const [first, second] = proxy.seen;
    expect(proxy.seen).toHaveLength(2);
    expect(first!.idempotencyKey).toEqual(expect.any(String));
    expect(second!.idempotencyKey).toBe(first!.idempotencyKey);
    expect(second!.replayed).toBe('true');
    const stored = [];
    for await (const c of client().customers.list({ email })) stored.push(c.id);
    expect(stored).toEqual([customer.id]);
  });

  it('gives each logical write its own key', async () => {
    proxy.will();
    await client().customers.create({ email: 'one@example.com', providers: [] });
    await client().customers.create({ email: 'two@example.com', providers: [] });
    const [first, second] = proxy.seen;
    expect(first!.idempotencyKey).not.toBe(second!.idempotencyKey);
  });

  it('waits out a 429 for as long as Retry-After says', async () => {
    proxy.will({ answer: 429, headers: { 'Retry-After': '1' }, problem: { code: 'rate_limited' } });
    const started = performance.now();
    const listed = await client().api.GET('/v1/customers', { params: { query: { limit: 1 } } });
    expect(listed.data?.data).toHaveLength(1);
    expect(performance.now() - started).toBeGreaterThanOrEqual(990);
    expect(proxy.seen).toHaveLength(2);
  });

  it("retries a dropped connection and a 409 saying the key's first try is still running", async () => {
    const { id } = await client().customers.create({ email: 'retried@example.com', providers: [] });
    proxy.will(
      'reset',
      { answer: 409, problem: { code: 'idempotency_request_in_progress', detail: 'Still running.' } },
      { answer: 502, problem: { code: 'provider_unavailable' } },
    );
    const updated = await client().customers.update(id, { givenName: 'Retried' });
    expect(updated.givenName).toBe('Retried');
    expect(proxy.seen).toHaveLength(4);
    expect(new Set(proxy.seen.map((r) => r.idempotencyKey)).size).toBe(1);
  });

  it('gives up after maxAttempts with the last problem, and keeps a caller-chosen key', async () => {
    proxy.will(
      ...Array.from({ length: 4 }, () => ({ answer: 503, problem: { code: 'provider_rate_limited' } })),
    );
    const error = await client()
      .customers.create(
        { email: 'never@example.com', providers: [] },
        { idempotencyKey: 'order-42-customer' },
      )
      .catch((failure: unknown) => failure);
    expect(error).toMatchObject({ status: 503, code: 'provider_rate_limited' });
    expect(proxy.seen.map((r) => r.idempotencyKey)).toEqual(Array(4).fill('order-42-customer'));
  });

  it('reports a gateway it cannot reach as a GatewayError (network_error)', async () => {
    proxy.will(...Array.from({ length: 4 }, () => 'reset' as const));
    const error = await client()
      .customers.get('cus_000000000000000000000000')
      .catch((failure: unknown) => failure);
    expect(error).toBeInstanceOf(GatewayError);
    expect(error).toMatchObject({ status: 0, code: 'network_error' });
    expect(proxy.seen).toHaveLength(4);
  });

  it("runs the README's quickstart as printed", async () => {
    const example = readFileSync(resolve(__dirname, '../../libs/client/examples/quickstart.ts'), 'utf8');
    const readme = readFileSync(resolve(__dirname, '../../README.md'), 'utf8');
    expect(readme).toContain(`\`\`\`ts\n${example}\`\`\``);

    const ids = await quickstart(gateway.url, KEYS.admin);
    expect(ids.length).toBeGreaterThanOrEqual(1);
    const newest = await client().customers.get(ids[0]!);
    expect(newest).toMatchObject({ email: 'jsmith@example.com', phone: '952-222-2222' });
  });
});

describe("the client README's tour, against a gateway with both provider sandboxes", () => {
  let gateway: GatewayWithSandboxes;

  beforeAll(async () => {
    gateway = await startGatewayWithSandboxes();
  });
  afterAll(() => gateway.close());

  it('runs as printed: creates in every default provider, updates (conditionally too), pages, reads drift and events, throws one error class', async () => {
    const example = readFileSync(resolve(__dirname, '../../libs/client/examples/tour.ts'), 'utf8');
    const readme = readFileSync(resolve(__dirname, '../../libs/client/README.md'), 'utf8');
    expect(readme).toContain(`\`\`\`ts\n${example}\`\`\``);

    const { john, failed, drift, history, missing } = await tour(gateway.url, KEYS.admin);
    expect(john.providers.map((link) => link.provider).sort()).toEqual(['digital-river', 'two-checkout']);
    expect(failed).toEqual([]);
    expect(drift.data.map((link) => [link.provider, link.state]).sort()).toEqual([
      ['digital-river', 'in_sync'],
      ['two-checkout', 'in_sync'],
    ]);
    expect(history.filter((type) => !type.startsWith('customer.link.'))).toEqual([
      'customer.created',
      'customer.updated',
      'customer.updated',
    ]);
    expect(missing).toMatch(/^customer_not_found \(.+\)$/);
    const client = createGatewayClient({ baseUrl: gateway.url, apiKey: KEYS.admin });
    expect(await client.customers.get(john.id)).toMatchObject({
      phone: '952-222-2222',
      locale: 'en-US',
      version: 3,
    });
  });
});
