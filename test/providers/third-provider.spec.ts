/**
 * A third provider that exists only in this test, added through the same two registries a real one
 * is (PROVIDER_ADAPTERS and PROVIDER_SANDBOXES, here extended rather than edited): proof that
 * docs/adding-a-provider.md lists every touch point. Nothing else in the gateway names a provider.
 */
import { once } from 'node:events';
import { createServer, type IncomingMessage } from 'node:http';
import { type AddressInfo } from 'node:net';

import {
  CANONICAL_FIELDS,
  writtenAs,
  type CustomerData,
  type CustomerProvider,
  DomainError,
  PROVIDER_OPERATIONS,
  type ProviderCapabilities,
  ProviderError,
  type RemoteCustomer,
} from '@app/domain';
import { PROVIDER_ADAPTERS, type ProviderAdapter } from '@app/providers';
import {
  PROVIDER_SANDBOXES,
  type ProviderSandbox,
  type RunningSandbox,
  type SandboxOptions,
  startSandboxes,
} from '@app/sandboxes';
import request from 'supertest';
import { z } from 'zod';

import {
  bearer,
  FAST_SYNC,
  johnSmith,
  KEYS,
  type Link,
  type RunningGateway,
  startGateway,
  testAccounts,
} from '../support/gateway';

const TOY = 'toy';

/** The toy provider's API: it stores the canonical customer whole, under our reference. */
interface ToyCustomer {
  reference: string;
  customer: CustomerData;
}

// --- its sandbox: an in-memory server on loopback ----------------------------------------------

type RunningToySandbox = RunningSandbox<ToyCustomer>;

async function bodyOf(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return JSON.parse(Buffer.concat(chunks).toString('utf8'));
}

async function startToySandbox(options: SandboxOptions): Promise<RunningToySandbox> {
  const store = new Map<string, ToyCustomer>();
  let requests = 0;
  const server = createServer((req, res) => {
    requests += 1;
    const answer = (status: number, body?: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body ?? {}));
    };
    const reference = /^\/customers\/([^/]+)$/.exec(req.url ?? '')?.[1];
    if (req.method === 'GET' && reference !== undefined) {
      const found = store.get(decodeURIComponent(reference));
      return found === undefined ? answer(404) : answer(200, found);
    }
    if (req.method === 'POST' && req.url === '/customers') {
      void bodyOf(req).then((body) => {
        const posted = body as ToyCustomer;
        const existing = store.get(posted.reference);
        if (existing !== undefined) return answer(200, existing);
        store.set(posted.reference, posted);
        answer(201, posted);
      });
      return;
    }
    answer(404);
  });
  server.listen(options.port ?? 0, options.host ?? '127.0.0.1');
  await once(server, 'listening');
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const noFaults = () => {
    throw new Error('the toy sandbox injects no faults and has no rate limit');
  };
  return {
    url: origin,
    origin,
    admin: {
      reset: () => store.clear(),
      seed: () => [],
      dump: () => [...store.values()],
      setFaults: noFaults,
      getFaults: () => ({}),
      setRateLimit: noFaults,
      modifyCustomer: () => undefined,
      removeCustomer: (ref) => store.delete(ref),
      stats: () => ({ requests, byRoute: {}, faults: {}, inFlight: 0 }),
    },
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

const TOY_SANDBOX: ProviderSandbox<SandboxOptions, RunningToySandbox> = {
  displayName: 'Toy',
  start: startToySandbox,
  account: (running) => ({ baseUrl: running.url }),
  standalone: { port: 4030, envPrefix: 'TOY' },
  describe: () => [],
};

// --- its adapter: create and get over HTTP, nothing else ---------------------------------------

const TOY_CAPABILITIES: ProviderCapabilities = {
  provider: TOY,
  displayName: 'Toy',
  apiVersion: '1',
  docsUrl: 'https://example.com/toy',
  operations: Object.fromEntries(
    PROVIDER_OPERATIONS.map((operation) => [
      operation,
      { support: operation === 'create' || operation === 'get' ? 'full' : 'none' },
    ]),
  ) as ProviderCapabilities['operations'],
  fields: Object.fromEntries(
    CANONICAL_FIELDS.map((field) => [field, { support: 'full' }]),
  ) as ProviderCapabilities['fields'],
  idempotency: 'a repeated create answers the customer already under the reference',
  pagination: 'none',
  changeNotifications: 'none',
};

const toyConfigSchema = z.object({ provider: z.literal(TOY), account: z.string(), baseUrl: z.url() });

class ToyProvider implements CustomerProvider {
  readonly provider = TOY;
  readonly capabilities = TOY_CAPABILITIES;
  readonly requestsPerSecond = 1_000;
  readonly unerasableFields = [];
  readonly account: string;
  private readonly baseUrl: string;

  constructor(config: z.infer<typeof toyConfigSchema>) {
    this.account = config.account;
    this.baseUrl = config.baseUrl;
  }

  async create({ reference, customer }: { reference: string; customer: CustomerData }) {
    const res = await this.send('POST', '/customers', { reference, customer });
    return { ...writtenAs(this.remote((await res.json()) as ToyCustomer)), created: res.status === 201 };
  }

  async get({ reference }: { reference: string }): Promise<RemoteCustomer | null> {
    const res = await this.send('GET', `/customers/${encodeURIComponent(reference)}`);
    return res.status === 404 ? null : this.remote((await res.json()) as ToyCustomer);
  }

  update = this.unsupported;
  delete = this.unsupported;
  forget = this.unsupported;
  list = this.unsupported;
  attachSource = this.unsupported;
  detachSource = this.unsupported;
  attachTaxIdentifier = this.unsupported;
  detachTaxIdentifier = this.unsupported;
  dryRun = this.unsupported;

  check = () => [];
  unsupportedFields = () => [];
  lossyFields = () => [];
  personalDataHeld = () => [];
  close(): void {}

  private unsupported(): Promise<never> {
    return Promise.reject(
      new DomainError('unsupported_by_provider', 'The toy provider only creates and reads.'),
    );
  }

  private remote(stored: ToyCustomer): RemoteCustomer {
    return {
      reference: stored.reference,
      customer: stored.customer,
      unsupportedFields: [],
      forgotten: false,
    };
  }

  private async send(method: 'GET' | 'POST', path: string, body?: unknown): Promise<Response> {
    const res = await fetch(`${this.baseUrl}${path}`, {
      method,
      headers: { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (res.status >= 500) {
      throw new ProviderError({
        provider: TOY,
        account: this.account,
        kind: 'unavailable',
        status: res.status,
      });
    }
    return res;
  }
}

const TOY_ADAPTER: ProviderAdapter = {
  capabilities: TOY_CAPABILITIES,
  fromConfig: (input) => new ToyProvider(toyConfigSchema.parse(input)),
};

// --- the gateway with three providers ----------------------------------------------------------

describe('a third provider, registered like the other two', () => {
  const sandboxRegistry = { ...PROVIDER_SANDBOXES, [TOY]: TOY_SANDBOX };
  let sandboxes: Awaited<ReturnType<typeof startSandboxes<typeof sandboxRegistry>>>;
  let gateway: RunningGateway;

  beforeAll(async () => {
    sandboxes = await startSandboxes({ 'digital-river': { rateLimitPerSecond: 0 } }, sandboxRegistry);
    gateway = await startGateway(FAST_SYNC, testAccounts(sandboxes), {
      providerAdapters: { ...PROVIDER_ADAPTERS, [TOY]: TOY_ADAPTER },
    });
  });
  afterAll(async () => {
    await gateway?.close();
    await sandboxes?.close();
  });

  it('is listed by GET /v1/providers with its sandbox account', async () => {
    const res = await request(gateway.url).get('/v1/providers').set(bearer(KEYS.reader));
    expect(res.status).toBe(200);
    const listed = (res.body.data as { provider: string; accounts: string[] }[]).map((p) => [
      p.provider,
      p.accounts,
    ]);
    expect(listed).toEqual([
      ['digital-river', ['sandbox']],
      ['two-checkout', ['sandbox']],
      [TOY, ['sandbox']],
    ]);
  });

  it('receives a create, as both real providers do', async () => {
    const created = await request(gateway.url)
      .post('/v1/customers')
      .set(bearer(KEYS.admin))
      .send(johnSmith({ externalReference: 'three-providers' }));
    expect(created.status).toBe(201);
    await gateway.drain();

    const read = await request(gateway.url).get(`/v1/customers/${created.body.id}`).set(bearer(KEYS.admin));
    const links = (read.body.providers as Link[]).map((l) => [l.provider, l.status]);
    expect(links).toEqual(
      expect.arrayContaining([
        ['digital-river', 'synced'],
        ['two-checkout', 'synced'],
        [TOY, 'synced'],
      ]),
    );
    expect(links).toHaveLength(3);
    expect(sandboxes[TOY].admin.dump()).toEqual([
      {
        reference: 'three-providers',
        customer: expect.objectContaining({ email: 'jsmith@digitalriver.com' }),
      },
    ]);
    expect(sandboxes['digital-river'].admin.dump()).toHaveLength(1);
    expect(sandboxes['two-checkout'].admin.dump()).toHaveLength(1);
  });
});
