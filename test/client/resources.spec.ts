import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import { type AddressInfo } from 'node:net';

import { createGatewayClient, type GatewayClient, GatewayError } from '@customer-sync/client';

import { collect } from './collect';
import { eventually } from '../support/eventually';
import { type GatewayWithSandboxes, KEYS, startGatewayWithSandboxes } from '../support/gateway';

const DR = { provider: 'digital-river', account: 'sandbox' } as const;
const TCO = { provider: 'two-checkout', account: 'sandbox' } as const;

/** Resolves the run once `get` says it stopped running, with a generous deadline. */
const finished = <Run extends { status: string }>(get: () => Promise<Run>) =>
  eventually(
    'the run to finish',
    async () => {
      const run = await get();
      return ['running', 'pending', 'queued'].includes(run.status) ? undefined : run;
    },
    { timeoutMs: 60_000 },
  );

/** A webhook receiver on loopback that answers 200 and counts what it got. */
async function startReceiver(): Promise<{ url: string; received: string[]; close(): Promise<void> }> {
  const received: string[] = [];
  const server: Server = createServer((req, res) => {
    received.push(String(req.headers['webhook-id']));
    req.resume();
    req.on('end', () => res.writeHead(200).end());
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`,
    received,
    close: async () => {
      server.closeAllConnections();
      await new Promise((done) => server.close(done));
    },
  };
}

describe('client.events, migrations, reconciliations, webhookEndpoints, providers, health and metrics', () => {
  let gateway: GatewayWithSandboxes;
  let client: GatewayClient;

  beforeAll(async () => {
    gateway = await startGatewayWithSandboxes({
      WEBHOOK_RETRY_BASE_MS: '20',
      WEBHOOK_RETRY_MAX_MS: '200',
      WEBHOOK_POLL_MS: '20',
    });
    client = createGatewayClient({ baseUrl: gateway.url, apiKey: KEYS.admin });
  });
  afterAll(() => gateway.close());

  it('reads the providers, health, readiness, liveness and metrics', async () => {
    const providers = await collect(client.providers.list());
    expect(providers.map((provider) => provider.provider).sort()).toEqual(['digital-river', 'two-checkout']);
    expect(await client.health.live()).toEqual({ status: 'ok' });
    expect(await client.health.ready()).toMatchObject({ status: 'ok', database: 'up' });
    expect(await client.health.get()).toMatchObject({ status: 'ok' });
    expect(await client.metrics.get()).toMatch(/^# HELP /m);
  });

  it('pages every event of a customer, oldest first, and reads one', async () => {
    const customer = await client.customers.create({ email: 'events@example.com', providers: [] });
    for (const phone of ['952-111-1111', '952-222-2222', '952-333-3333']) {
      await client.customers.update(customer.id, { phone });
    }
    const events = await collect(client.events.list({ customerId: customer.id, limit: 2 }));
    expect(events.map((event) => event.type)).toEqual([
      'customer.created',
      'customer.updated',
      'customer.updated',
      'customer.updated',
    ]);
    expect(await client.events.get(events[0]!.id)).toEqual(events[0]);
  });

  it('plans, starts, follows, lists, pages the items of, cancels and resumes a migration', async () => {
    const references = gateway.sandboxes['digital-river'].admin.seed(5);
    const spec = { source: { ...DR, kind: 'list' as const }, target: TCO };
    const plan = await client.migrations.start({ ...spec, dryRun: true });
    expect(plan.counts).toBeDefined();

    const started = await client.migrations.start(spec);
    const done = await finished(() => client.migrations.get(started.id));
    expect(done).toMatchObject({ id: started.id, status: 'completed' });
    expect((await collect(client.migrations.list({ limit: 1 }))).map((run) => run.id)).toContain(started.id);
    const items = await collect(client.migrations.items.list(started.id, { limit: 2 }));
    expect(items.map((item) => item.sourceReference).sort()).toEqual([...references].sort());
    expect(items.map((item) => item.seq)).toEqual([...items.map((item) => item.seq)].sort((a, b) => a - b));

    expect((await client.migrations.cancel(started.id)).id).toBe(started.id);
    expect((await client.migrations.resume(started.id)).id).toBe(started.id);
    await finished(() => client.migrations.get(started.id));
  });

  it('starts, follows, lists, pages the items of, cancels and resumes a reconciliation', async () => {
    const customers = [];
    for (const email of ['r1@example.com', 'r2@example.com', 'r3@example.com']) {
      customers.push(await client.customers.create({ email, providers: [DR] }));
    }
    const started = await client.reconciliations.start({ concurrency: 2 });
    const done = await finished(() => client.reconciliations.get(started.id));
    expect(done).toMatchObject({ id: started.id, status: 'completed' });
    expect((await collect(client.reconciliations.list({ limit: 1 }))).map((run) => run.id)).toContain(
      started.id,
    );
    const items = await collect(client.reconciliations.items.list(started.id, { limit: 1 }));
    expect(items.map((item) => item.customerId)).toEqual(expect.arrayContaining(customers.map((c) => c.id)));

    expect((await client.reconciliations.cancel(started.id)).id).toBe(started.id);
    expect((await client.reconciliations.resume(started.id)).id).toBe(started.id);
    await finished(() => client.reconciliations.get(started.id));
  });

  it('creates, reads, lists, updates and deletes a webhook endpoint, and redelivers to it', async () => {
    const receiver = await startReceiver();
    try {
      const endpoint = await client.webhookEndpoints.create({
        url: receiver.url,
        eventTypes: ['customer.created'],
      });
      expect(endpoint.secret).toEqual(expect.any(String));
      expect(await client.webhookEndpoints.get(endpoint.id)).toMatchObject({
        id: endpoint.id,
        url: receiver.url,
      });
      expect((await collect(client.webhookEndpoints.list())).map((e) => e.id)).toContain(endpoint.id);

      await client.customers.create({ email: 'hooks@example.com', providers: [] });
      const [delivery] = await eventually('the delivery to succeed', async () => {
        const deliveries = await collect(client.webhookEndpoints.deliveries.list(endpoint.id));
        return deliveries.some((d) => d.status === 'delivered') ? deliveries : undefined;
      });
      const again = await client.webhookEndpoints.deliveries.redeliver(endpoint.id, delivery!.id);
      expect(again).toMatchObject({ eventId: delivery!.eventId });
      const event = await client.webhookEndpoints.events.redeliver(endpoint.id, delivery!.eventId);
      expect(event).toMatchObject({ eventId: delivery!.eventId });
      await eventually('both redeliveries to arrive', () =>
        Promise.resolve(receiver.received.length >= 3 ? true : undefined),
      );

      const updated = await client.webhookEndpoints.update(endpoint.id, {
        description: 'Ours',
        enabled: false,
      });
      expect(updated).toMatchObject({ description: 'Ours', enabled: false });
      await client.webhookEndpoints.delete(endpoint.id);
      await expect(client.webhookEndpoints.get(endpoint.id)).rejects.toBeInstanceOf(GatewayError);
    } finally {
      await receiver.close();
    }
  });
});
