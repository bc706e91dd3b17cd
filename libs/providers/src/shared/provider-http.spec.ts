import { TEST_CONTEXT } from '../testing/fixtures';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { createServer, type ClientRequest, type Server } from 'node:http';
import { type AddressInfo } from 'node:net';

import { ProviderHttp } from './provider-http';
import { resilienceSchema } from './resilience';

describe('ProviderHttp', () => {
  let server: Server;
  let baseUrl: string;
  const events: string[] = [];
  // Published when Node writes a request to its socket.
  // https://nodejs.org/docs/latest-v24.x/api/diagnostics_channel.html#http
  const onTheWire = (message: unknown) =>
    events.push(`on the wire ${(message as { request: ClientRequest }).request.path}`);

  beforeAll(async () => {
    server = createServer((req, res) => {
      req.resume();
      req.on('end', () => res.end('{}'));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    subscribe('http.client.request.start', onTheWire);
  });

  afterAll(async () => {
    unsubscribe('http.client.request.start', onTheWire);
    await new Promise((resolve) => server.close(resolve));
  });

  const client = (provider: string) =>
    new ProviderHttp({
      provider,
      account: 'test',
      baseUrl,
      timeoutMs: 5_000,
      resilience: resilienceSchema.parse({ rateLimitPerSecond: 100 }),
      // Called while the request is prepared, just before it is handed to Node.
      authHeaders: () => {
        events.push(`prepared ${provider}`);
        return {};
      },
      redactedAuthHeaders: () => ({}),
      headers: {},
      classify: () => ({ kind: 'unavailable' }),
    });

  it('puts each of requests started together on the wire before preparing the next', async () => {
    const [first, second] = [client('first'), client('second')];
    try {
      await Promise.all([
        first.send({ method: 'POST', path: '/first', body: {}, idempotent: false }, TEST_CONTEXT),
        second.send({ method: 'POST', path: '/second', body: {}, idempotent: false }, TEST_CONTEXT),
      ]);
      expect(events).toEqual([
        'prepared first',
        'on the wire /first',
        'prepared second',
        'on the wire /second',
      ]);
    } finally {
      first.close();
      second.close();
    }
  });
});
