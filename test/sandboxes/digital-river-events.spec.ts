import { createHmac } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { type AddressInfo } from 'node:net';

import { startDigitalRiverSandbox, type RunningDigitalRiverSandbox } from '@app/sandboxes';
import { eventually } from '../support/eventually';
import { http, type HttpInit } from './http';

interface Received {
  headers: IncomingHttpHeaders;
  body: string;
}

/** A receiver on loopback that answers the statuses it is told to, in order, then 200. */
async function startReceiver(): Promise<{
  url: string;
  received: Received[];
  answers: number[];
  close(): Promise<void>;
}> {
  const received: Received[] = [];
  const answers: number[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      received.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      res.writeHead(answers.shift() ?? 200).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hook`,
    received,
    answers,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** Checks a `DigitalRiver-Signature` as a receiver would: any v0 matching the secret over "<t>.<body>". */
function signedWith(header: string, body: string, secret: string): boolean {
  const parts = header.split(',');
  const t = parts.find((p) => p.startsWith('t='))?.slice(2);
  const expected = createHmac('sha256', secret).update(`${t}.${body}`).digest('hex');
  return parts.some((p) => p === `v0=${expected}`);
}

describe('Digital River sandbox: events and webhooks', () => {
  let dr: RunningDigitalRiverSandbox;
  const api = (path: string, init: HttpInit = {}) =>
    http(dr.url + path, { ...init, headers: { authorization: `Bearer ${dr.secretKey}`, ...init.headers } });

  beforeAll(async () => {
    dr = await startDigitalRiverSandbox({ rateLimitPerSecond: 0, webhookRetryDelayMs: 50 });
  });
  afterAll(() => dr.close());
  beforeEach(() => {
    dr.admin.reset();
    for (const hook of dr.admin.webhooks()) dr.admin.removeWebhook(hook.id);
    dr.admin.setWebhooksEnabled(true);
  });

  it('records an event for every API and out-of-band change, with previousAttributes on updates', async () => {
    await api('/customers', { method: 'POST', json: { id: 'c1', email: 'a@example.com' } });
    await api('/customers/c1', { method: 'POST', json: { email: 'b@example.com' } });
    const source = dr.admin.createSource();
    await api(`/customers/c1/sources/${source.id}`, { method: 'POST' });
    await api(`/customers/c1/sources/${source.id}`, { method: 'DELETE' });
    const tax = await api('/tax-identifiers', { method: 'POST', json: { type: 'de', value: 'DE123456789' } });
    await api(`/customers/c1/tax-identifiers/${tax.body.id}`, { method: 'POST' });
    await api(`/tax-identifiers/${tax.body.id}`, { method: 'DELETE' });
    dr.admin.modifyCustomer('c1', { email: 'dashboard@example.com' });
    dr.admin.removeCustomer('c1');

    const events = dr.admin.dumpEvents();
    expect(events.map((e) => e.type)).toEqual([
      'customer.created',
      'customer.updated',
      'customer.source.created',
      'customer.source.deleted',
      'customer.tax_identifier.created',
      'tax_identifier.deleted',
      'customer.updated',
      'customer.deleted',
    ]);
    const [created, updated] = events;
    expect(created).toMatchObject({
      data: { object: { id: 'c1', email: 'a@example.com' } },
      liveMode: false,
    });
    expect(created!.createdTime).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
    expect(updated!.data).toMatchObject({
      object: { email: 'b@example.com' },
      previousAttributes: { email: 'a@example.com' },
    });
    expect(events[2]!.data.object).toMatchObject({ id: source.id, customerId: 'c1' });
    expect(events[6]!.data.previousAttributes).toEqual({ email: 'b@example.com' });
    expect(events[7]!.data.object).toMatchObject({ id: 'c1', email: 'dashboard@example.com' });

    const one = await api(`/events/${updated!.id}`);
    expect(one.status).toBe(200);
    expect(one.body).toEqual(updated);
    expect((await api('/events/nope')).status).toBe(404);
  });

  it('lists events newest first with limit, cursors and type filters', async () => {
    for (let i = 1; i <= 5; i++) await api('/customers', { method: 'POST', json: { id: `p${i}` } });
    await api('/customers/p1', { method: 'POST', json: { email: 'x@example.com' } });
    const ids = dr.admin.dumpEvents().map((e) => e.id);

    const first = await api('/events?limit=2');
    expect(first.body.hasMore).toBe(true);
    expect(first.body.data.map((e: { id: string }) => e.id)).toEqual([ids[5], ids[4]]);
    const next = await api(`/events?limit=2&startingAfter=${ids[4]}`);
    expect(next.body.data.map((e: { id: string }) => e.id)).toEqual([ids[3], ids[2]]);
    // endingBefore: the events just newer than the cursor, still newest first.
    const newer = await api(`/events?limit=2&endingBefore=${ids[1]}`);
    expect(newer.body).toEqual({ hasMore: true, data: [dr.admin.dumpEvents()[3], dr.admin.dumpEvents()[2]] });

    const updates = await api('/events?type=customer.updated');
    expect(updates.body.data.map((e: { id: string }) => e.id)).toEqual([ids[5]]);
    expect((await api('/events?type=customer.*&limit=100')).body.data).toHaveLength(6);
    expect((await api('/events?types=customer.updated&types=customer.deleted')).body.data).toHaveLength(1);
    expect((await api('/events?type=a&types=b')).status).toBe(400);
    expect((await api('/events?startingAfter=unknown')).status).toBe(400);
    const future = new Date(Date.now() + 60_000).toISOString();
    expect((await api(`/events?createdTime[gt]=${future}`)).body.data).toEqual([]);
    expect((await http(`${dr.url}/events`)).status).toBe(401);
  });

  it('POSTs each event to a registered endpoint, signed over "<t>.<body>" with its secret', async () => {
    const receiver = await startReceiver();
    try {
      const hook = dr.admin.registerWebhook({ url: receiver.url, types: ['customer.created'] });
      await api('/customers', { method: 'POST', json: { id: 'w1' } });
      await api('/customers/w1', { method: 'POST', json: { email: 'w@example.com' } });
      await dr.admin.webhooksIdle();
      expect(receiver.received).toHaveLength(1);
      const [delivery] = receiver.received;
      const header = String(delivery!.headers['digitalriver-signature']);
      expect(header).toMatch(/^t=\d+,v0=[0-9a-f]{64}$/);
      expect(signedWith(header, delivery!.body, hook.secret)).toBe(true);
      expect(signedWith(header, delivery!.body, 'another secret')).toBe(false);
      expect(JSON.parse(delivery!.body)).toEqual(dr.admin.dumpEvents()[0]);
    } finally {
      await receiver.close();
    }
  });

  it('retries a non-2xx answer 3 times, each with a new timestamp and signature', async () => {
    // Timestamps are whole seconds: retries a second apart, so each gets a timestamp of its own.
    const slow = await startDigitalRiverSandbox({ rateLimitPerSecond: 0, webhookRetryDelayMs: 1_000 });
    const receiver = await startReceiver();
    try {
      receiver.answers.push(500, 503, 500, 500);
      slow.admin.registerWebhook({ url: receiver.url });
      slow.admin.modifyCustomer(slow.admin.seed(1)[0]!, { email: 'retry@example.com' });
      await slow.admin.webhooksIdle();
      const attempts = slow.admin.webhookDeliveries();
      expect(attempts.map((a) => [a.attempt, a.status])).toEqual([
        [1, 500],
        [2, 503],
        [3, 500],
        [4, 500],
      ]);
      expect(new Set(attempts.map((a) => a.timestamp)).size).toBe(4);
      expect(new Set(attempts.map((a) => a.signatureHeader)).size).toBe(4);
      expect(receiver.received.map((r) => r.headers['digitalriver-signature'])).toEqual(
        attempts.map((a) => a.signatureHeader),
      );
    } finally {
      await slow.close();
      await receiver.close();
    }
  });

  it('signs with the old and the new secret while a rotation overlaps, then with the new one only', async () => {
    const receiver = await startReceiver();
    try {
      const hook = dr.admin.registerWebhook({ url: receiver.url, secret: 'old-secret' });
      dr.admin.rotateWebhookSecret(hook.id, 'new-secret', 60_000);
      await api('/customers', { method: 'POST', json: { id: 'o1' } });
      await dr.admin.webhooksIdle();
      const during = receiver.received[0]!;
      const header = String(during.headers['digitalriver-signature']);
      expect(header.split(',').filter((p) => p.startsWith('v0='))).toHaveLength(2);
      expect(signedWith(header, during.body, 'old-secret')).toBe(true);
      expect(signedWith(header, during.body, 'new-secret')).toBe(true);

      dr.admin.rotateWebhookSecret(hook.id, 'newest-secret', 0);
      await api('/customers', { method: 'POST', json: { id: 'o2' } });
      await dr.admin.webhooksIdle();
      const after = receiver.received[1]!;
      const afterHeader = String(after.headers['digitalriver-signature']);
      expect(afterHeader.split(',').filter((p) => p.startsWith('v0='))).toHaveLength(1);
      expect(signedWith(afterHeader, after.body, 'newest-secret')).toBe(true);
      expect(signedWith(afterHeader, after.body, 'new-secret')).toBe(false);
    } finally {
      await receiver.close();
    }
  });

  it('sends nothing while webhooks are off, yet the Events API still has every event', async () => {
    const receiver = await startReceiver();
    try {
      dr.admin.registerWebhook({ url: receiver.url });
      dr.admin.setWebhooksEnabled(false);
      await api('/customers', { method: 'POST', json: { id: 'off1' } });
      await dr.admin.webhooksIdle();
      expect(receiver.received).toHaveLength(0);
      expect((await api('/events')).body.data).toHaveLength(1);
      dr.admin.setWebhooksEnabled(true);
      await api('/customers', { method: 'POST', json: { id: 'on1' } });
      await eventually('the delivery once sending is on', () =>
        Promise.resolve(receiver.received.length === 1 ? true : undefined),
      );
    } finally {
      await receiver.close();
    }
  });

  it('offers the same over the admin HTTP API', async () => {
    const receiver = await startReceiver();
    try {
      const admin = (path: string, init: HttpInit = {}) => http(`${dr.origin}/__admin${path}`, init);
      const created = await admin('/webhooks', { method: 'POST', json: { url: receiver.url, secret: 's1' } });
      expect(created.status).toBe(201);
      expect(created.body).toMatchObject({ url: receiver.url, types: ['*'], secret: 's1', enabled: true });
      const rotated = await admin(`/webhooks/${created.body.id}/rotate`, {
        method: 'POST',
        json: { secret: 's2' },
      });
      expect(rotated.body.secret).toBe('s2');
      expect((await admin('/webhook-sending', { method: 'PUT', json: { enabled: false } })).status).toBe(204);
      dr.admin.modifyCustomer('none', {});
      await api('/customers', { method: 'POST', json: { id: 'h1' } });
      expect((await admin('/events')).body).toHaveLength(1);
      expect((await admin('/webhook-deliveries')).body).toEqual([]);
      expect((await admin(`/webhooks/${created.body.id}`, { method: 'DELETE' })).status).toBe(204);
    } finally {
      await receiver.close();
    }
  });
});
