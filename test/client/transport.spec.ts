import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { type AddressInfo } from 'node:net';

import { createGatewayClient, GatewayError } from '@customer-sync/client';

import { collect } from './collect';
import { eventually } from '../support/eventually';

/** What the server does with the next request: answer it now, or never (hold it open). */
type Reply =
  { status: number; headers?: Record<string, string>; problem?: Record<string, unknown> } | 'hold' | 'stall';

interface Arrival {
  method: string;
  url: string;
  idempotencyKey: string | undefined;
  /** performance.now() on the server when the request arrived. */
  at: number;
}

/**
 * A real HTTP server on loopback standing in for the gateway: it answers each request as scripted
 * (then 200 with an empty provider list) and records when each one arrived.
 */
class ScriptedServer {
  readonly arrivals: Arrival[] = [];
  private script: Reply[] = [];
  private readonly server: Server = createServer((req, res) => this.handle(req, res));
  url = '';

  async start(): Promise<void> {
    this.server.listen(0, '127.0.0.1');
    await once(this.server, 'listening');
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((done) => this.server.close(done));
  }

  will(...replies: Reply[]): void {
    this.script = replies;
    this.arrivals.length = 0;
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    this.arrivals.push({
      method: req.method!,
      url: req.url!,
      idempotencyKey: req.headers['idempotency-key'] as string | undefined,
      at: performance.now(),
    });
    req.resume();
    const reply = this.script.shift() ?? { status: 200 };
    if (reply === 'hold') return;
    if (reply === 'stall') {
      // The head and the first bytes of the body, then nothing more.
      res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': '100' });
      res.write('{"data":[');
      return;
    }
    if (reply.status === 200) {
      res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ data: [] }));
      return;
    }
    res
      .writeHead(reply.status, { 'Content-Type': 'application/problem+json', ...reply.headers })
      .end(JSON.stringify({ status: reply.status, requestId: 'req_scripted', ...reply.problem }));
  }
}

/** Resolves once the server has seen `count` requests. */
const arrivedAt = (server: ScriptedServer) => (count: number) =>
  eventually(`${count} request(s) to arrive`, () =>
    Promise.resolve(server.arrivals.length >= count ? true : undefined),
  );

const fail = (status: number, problem: Record<string, unknown>, headers?: Record<string, string>) => ({
  status,
  problem,
  ...(headers === undefined ? {} : { headers }),
});

describe("the client's transport: retries as the problem says, deadlines and AbortSignal", () => {
  const server = new ScriptedServer();
  const client = (options: { timeoutMs?: number; maxRetryAfterMs?: number } = {}) =>
    createGatewayClient({
      baseUrl: server.url,
      apiKey: 'key',
      retry: {
        maxAttempts: 4,
        baseDelayMs: 5,
        maxDelayMs: 20,
        maxRetryAfterMs: options.maxRetryAfterMs ?? 30_000,
      },
      ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
    });
  const list = (c: ReturnType<typeof client>, options = {}) => collect(c.providers.list(options));

  const arrived = arrivedAt(server);

  beforeAll(() => server.start());
  afterAll(() => server.close());

  it('does not retry a 503 whose problem says retryable: false, and reports it so', async () => {
    server.will(fail(503, { code: 'not_ready', retryable: false }));
    const error = await list(client()).catch((failure: unknown) => failure);
    expect(error).toBeInstanceOf(GatewayError);
    expect(error).toMatchObject({ status: 503, code: 'not_ready', retryable: false });
    expect(server.arrivals).toHaveLength(1);
  });

  it('retries any answer whose problem says retryable: true, whatever its status and code', async () => {
    server.will(
      fail(409, { code: 'a_code_this_client_does_not_know', retryable: true }),
      fail(500, { code: 'internal_error', retryable: true }),
    );
    const created = await client()
      .customers.forget('cus_4f7d0e1c9b2a3d4e5f6a7b8c')
      .catch((failure: unknown) => failure);
    // The third answer is the scripted server's 200; the point is how it got there.
    expect(created).not.toBeInstanceOf(GatewayError);
    expect(server.arrivals.map((a) => a.method)).toEqual(['POST', 'POST', 'POST']);
    expect(new Set(server.arrivals.map((a) => a.idempotencyKey)).size).toBe(1);
  });

  it('judges an answer without `retryable` (a proxy’s) by its status: 502 again, 404 not', async () => {
    server.will(fail(502, { code: 'bad_gateway' }));
    await expect(list(client())).resolves.toEqual([]);
    expect(server.arrivals).toHaveLength(2);

    server.will(fail(404, { code: 'not_found' }));
    await expect(list(client())).rejects.toMatchObject({ status: 404, retryable: false });
    expect(server.arrivals).toHaveLength(1);
  });

  it('waits out Retry-After (seconds, or an HTTP date) before the next try', async () => {
    server.will(fail(429, { code: 'rate_limited', retryable: true }, { 'Retry-After': '1' }));
    await expect(list(client())).resolves.toEqual([]);
    const [first, second] = server.arrivals;
    expect(second!.at - first!.at).toBeGreaterThanOrEqual(990);

    const inTwoSeconds = new Date(Date.now() + 2_000).toUTCString();
    server.will(
      fail(503, { code: 'provider_rate_limited', retryable: true }, { 'Retry-After': inTwoSeconds }),
    );
    await expect(list(client())).resolves.toEqual([]);
    const [dated, after] = server.arrivals;
    // An HTTP date has whole seconds: the wait is at least what is left of them.
    expect(after!.at - dated!.at).toBeGreaterThanOrEqual(990);
  });

  it('answers at once instead of waiting a Retry-After beyond maxRetryAfterMs or the deadline', async () => {
    server.will(fail(429, { code: 'rate_limited', retryable: true }, { 'Retry-After': '120' }));
    await expect(list(client())).rejects.toMatchObject({ status: 429, code: 'rate_limited' });
    expect(server.arrivals).toHaveLength(1);

    server.will(fail(429, { code: 'rate_limited', retryable: true }, { 'Retry-After': '20' }));
    await expect(list(client({ timeoutMs: 10_000 }))).rejects.toMatchObject({ status: 429 });
    expect(server.arrivals).toHaveLength(1);
  });

  it('stops a call at its deadline (the client’s, or the call’s own) as a `timeout`', async () => {
    server.will('hold');
    const error = await list(client({ timeoutMs: 300 })).catch((failure: unknown) => failure);
    expect(error).toBeInstanceOf(GatewayError);
    expect(error).toMatchObject({ status: 0, code: 'timeout', retryable: true });
    expect(server.arrivals).toHaveLength(1);

    server.will('hold');
    await expect(
      client().customers.get('cus_4f7d0e1c9b2a3d4e5f6a7b8c', { timeoutMs: 300 }),
    ).rejects.toMatchObject({
      code: 'timeout',
    });
    // The call's own deadline wins over the client's, either way.
    server.will('hold');
    await expect(list(client({ timeoutMs: 60_000 }), { timeoutMs: 300 })).rejects.toMatchObject({
      code: 'timeout',
    });
  });

  it('stops a call when the caller aborts, mid-request or mid-wait, and tries no more', async () => {
    const midRequest = new AbortController();
    server.will('hold');
    const held = list(client(), { signal: midRequest.signal }).catch((failure: unknown) => failure);
    await arrived(1);
    midRequest.abort();
    expect(await held).toMatchObject({ status: 0, code: 'aborted', retryable: false });

    const midWait = new AbortController();
    server.will(fail(429, { code: 'rate_limited', retryable: true }, { 'Retry-After': '25' }));
    const waiting = client()
      .customers.update('cus_4f7d0e1c9b2a3d4e5f6a7b8c', { phone: '1' }, { signal: midWait.signal })
      .catch((failure: unknown) => failure);
    await arrived(1);
    midWait.abort();
    expect(await waiting).toMatchObject({ code: 'aborted' });
    expect(server.arrivals).toHaveLength(1);

    server.will();
    await expect(list(client(), { signal: AbortSignal.abort() })).rejects.toMatchObject({ code: 'aborted' });
    expect(server.arrivals).toHaveLength(0);
  });
});
