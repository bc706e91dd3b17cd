import { createTestDatabase, WebhookStore } from '@app/persistence';
import { startSandboxes } from '@app/sandboxes';
import request from 'supertest';

import {
  bearer,
  FAST_SYNC,
  johnSmith,
  KEYS,
  type RunningGateway,
  startGateway,
  testAccounts,
} from '../support/gateway';
import {
  admin,
  FAST_WEBHOOKS,
  type Received,
  type Receiver,
  signatureIsValid,
  startReceiver,
  subscribe,
  waitFor,
} from './receiver';

interface EventBody {
  id: string;
  type: string;
  customerId: string | null;
}

async function allEvents(gateway: RunningGateway): Promise<EventBody[]> {
  const events: EventBody[] = [];
  for (let startingAfter: string | undefined; ;) {
    const res = await request(gateway.url)
      .get('/v1/events')
      .query({ limit: 100, ...(startingAfter !== undefined ? { startingAfter } : {}) })
      .set(admin);
    events.push(...(res.body.data as EventBody[]));
    if (!(res.body.hasMore as boolean)) return events;
    startingAfter = events.at(-1)!.id;
  }
}

/** Each event's first arrival, in arrival order: what a receiver de-duplicating on the id keeps. */
const firstArrivals = (received: Received[]) => {
  const seen = new Set<string>();
  return received.filter((r) => !seen.has(r.eventId) && seen.add(r.eventId));
};

describe('webhook delivery', () => {
  it('delivers every event once after de-duplication, in order per customer, across a provider failure and a restart', async () => {
    const database = await createTestDatabase();
    const sandboxes = await startSandboxes({ 'digital-river': { rateLimitPerSecond: 0 } });
    const env = { ...FAST_SYNC, ...FAST_WEBHOOKS, SYNC_MAX_ATTEMPTS: '2' };
    let openGate!: () => void;
    const gate = new Promise<void>((resolve) => (openGate = resolve));
    // Held until the gate opens; then every third event's first arrival is answered 500 as if the
    // acknowledgement were lost, so the gateway sends it again.
    const lostAcks = new Set<string>();
    let distinct = 0;
    const receiver: Receiver = await startReceiver(async (received) => {
      await gate;
      if (received.eventId !== undefined && !lostAcks.has(received.eventId) && ++distinct % 3 === 0) {
        lostAcks.add(received.eventId);
        return 500;
      }
      return 200;
    });
    let gateway = await startGateway(env, testAccounts(sandboxes), { database });
    try {
      const api = () => request(gateway.url);
      const endpoint = await subscribe(gateway, receiver.url);

      const alice = await api()
        .post('/v1/customers')
        .set(admin)
        .send(johnSmith({ externalReference: 'wh-alice' }));
      expect(alice.status).toBe(201);
      // 2Checkout fails every call: Bob's link there ends `failed` after SYNC_MAX_ATTEMPTS.
      sandboxes['two-checkout'].admin.setFaults({ '*': { errorRate: 1, errorStatus: 503 } });
      const bob = await api()
        .post('/v1/customers')
        .set(admin)
        .send(johnSmith({ externalReference: 'wh-bob' }));
      expect(bob.status).toBe(201);
      await gateway.drain();
      sandboxes['two-checkout'].admin.setFaults({});
      await api().patch(`/v1/customers/${alice.body.id}`).set(admin).send({ givenName: 'Alice' }).expect(200);

      // A delivery is in flight (held by the receiver) when the gateway stops.
      await waitFor('a delivery in flight', () => receiver.received.length > 0);
      await gateway.close();
      expect(await database.prisma.webhookDelivery.count({ where: { status: 'delivered' } })).toBe(0);
      expect(await database.prisma.webhookDelivery.count({ where: { lockedBy: { not: null } } })).toBe(0);

      openGate();
      gateway = await startGateway(env, testAccounts(sandboxes), { database });
      await api()
        .patch(`/v1/customers/${bob.body.id}`)
        .set(admin)
        .send({ phone: '612-555-0100' })
        .expect(200);
      // 202: 2Checkout cannot delete, so a scrubbed copy (the country) remains there.
      await api().delete(`/v1/customers/${alice.body.id}`).set(admin).expect(202);
      const carol = await api()
        .post('/v1/customers')
        .set(admin)
        .send(johnSmith({ externalReference: 'wh-carol', providers: [] }));
      await api().post(`/v1/customers/${carol.body.id}/forget`).set(admin).expect(200);
      await gateway.drain();

      await waitFor('every delivery settled', async () => {
        const [pending, deliveries, events] = await Promise.all([
          database.prisma.webhookDelivery.count({ where: { status: 'pending' } }),
          database.prisma.webhookDelivery.count(),
          database.prisma.event.count(),
        ]);
        return pending === 0 && deliveries === events;
      });
      const events = await allEvents(gateway);
      expect(new Set(events.map((e) => e.type))).toEqual(
        new Set([
          'customer.created',
          'customer.updated',
          'customer.deleted',
          'customer.forgotten',
          'customer.link.synced',
          'customer.link.failed',
        ]),
      );
      expect(await database.prisma.webhookDelivery.count({ where: { status: { not: 'delivered' } } })).toBe(
        0,
      );

      // Duplicates came (the restart and the lost acknowledgements), every one validly signed.
      expect(receiver.received.length).toBeGreaterThan(events.length);
      for (const received of receiver.received) {
        expect(signatureIsValid(endpoint.secret, received.headers, received.body)).toBe(true);
        expect(received.event.id).toBe(received.eventId);
      }
      // …and the check is not vacuous: another secret or a changed byte fails it.
      const [sample] = receiver.received;
      const someoneElses = `whsec_${Buffer.alloc(32, 1).toString('base64')}`;
      expect(signatureIsValid(someoneElses, sample!.headers, sample!.body)).toBe(false);
      expect(signatureIsValid(endpoint.secret, sample!.headers, sample!.body.replace('}', ' }'))).toBe(false);
      const kept = firstArrivals(receiver.received);
      expect(kept.map((r) => r.eventId).sort()).toEqual(events.map((e) => e.id).sort());
      for (const customer of [alice, bob, carol]) {
        const id = customer.body.id as string;
        expect(kept.filter((r) => r.event.customerId === id).map((r) => r.eventId)).toEqual(
          events.filter((e) => e.customerId === id).map((e) => e.id),
        );
      }
      expect(kept.find((r) => r.event.type === 'customer.link.failed')?.event).toMatchObject({
        customerId: bob.body.id,
        data: { provider: 'two-checkout', error: { code: 'provider_unavailable' } },
      });
      // No personal data went out in any delivery: ids, codes and field names only.
      expect(receiver.received.map((r) => r.body).join('\n')).not.toMatch(
        /jsmith|John|Smith|Bren Rd|Minnetonka|55129|952-111|612-555|SPRING20|12-3456789/,
      );
    } finally {
      await gateway.close();
      await receiver.close();
      await sandboxes.close();
      await database.close();
    }
  });

  describe('to a failing receiver', () => {
    let gateway: RunningGateway;
    let receiver: Receiver;
    const api = () => request(gateway.url);

    beforeAll(async () => {
      gateway = await startGateway({ ...FAST_WEBHOOKS, WEBHOOK_DISABLE_AFTER_FAILURES: '3' });
      receiver = await startReceiver(() => 500);
    });
    afterAll(async () => {
      await gateway.close();
      await receiver.close();
    });

    it('retries, disables the endpoint saying why, and delivers once re-enabled; redelivers on demand', async () => {
      const endpoint = await subscribe(gateway, receiver.url, ['customer.created']);
      await api()
        .post('/v1/customers')
        .set(admin)
        .send(johnSmith({ externalReference: 'wh-failing', providers: [] }))
        .expect(201);

      await waitFor('the endpoint disabled', async () => {
        const res = await api().get(`/v1/webhook-endpoints/${endpoint.id}`).set(admin);
        return res.body.enabled === false;
      });
      const disabled = await api().get(`/v1/webhook-endpoints/${endpoint.id}`).set(admin);
      expect(disabled.body).toMatchObject({ enabled: false, failureStreak: 3 });
      expect(disabled.body.disabledReason).toMatch(
        /^Disabled after 3 consecutive failed deliveries; the last: HTTP 500/,
      );
      expect(receiver.received).toHaveLength(3);
      expect(new Set(receiver.received.map((r) => r.eventId)).size).toBe(1);
      const log = await api().get(`/v1/webhook-endpoints/${endpoint.id}/deliveries`).set(admin);
      expect(log.body.data).toEqual([
        expect.objectContaining({
          eventId: receiver.received[0]!.eventId,
          eventType: 'customer.created',
          status: 'pending',
          attempts: 3,
          lastStatusCode: 500,
          lastOutcome: 'http_error',
          lastDurationMs: expect.any(Number),
        }),
      ]);
      expect(JSON.stringify(log.body)).not.toContain('John');
      const failing = await api().get('/metrics').set(admin).expect(200);
      expect(failing.text).toContain('csg_webhook_deliveries{status="pending",outcome="http_error"} 1');

      receiver.answer = () => 200;
      const enabled = await api()
        .patch(`/v1/webhook-endpoints/${endpoint.id}`)
        .set(admin)
        .send({ enabled: true });
      expect(enabled.body).toMatchObject({ enabled: true, failureStreak: 0, disabledReason: null });
      const deliveryId = log.body.data[0].id as string;
      await waitFor('the delivery made', async () => {
        const row = await gateway.prisma.webhookDelivery.findUniqueOrThrow({ where: { id: deliveryId } });
        return row.status === 'delivered';
      });

      const again = await api()
        .post(`/v1/webhook-endpoints/${endpoint.id}/deliveries/${deliveryId}/redeliver`)
        .set(admin);
      expect(again.status).toBe(202);
      expect(again.body).toMatchObject({
        eventId: receiver.received[0]!.eventId,
        status: 'pending',
        attempts: 0,
      });
      expect(again.body.id).not.toBe(deliveryId);
      const perEvent = await api()
        .post(`/v1/webhook-endpoints/${endpoint.id}/events/${receiver.received[0]!.eventId}/redeliver`)
        .set(admin);
      expect(perEvent.status).toBe(202);
      // Recorded, not only received: the worker settles a delivery after the receiver has answered.
      await waitFor('both redeliveries recorded as delivered', async () => {
        const delivered = await gateway.prisma.webhookDelivery.count({
          where: { endpointId: endpoint.id, status: 'delivered' },
        });
        return delivered === 3;
      });
      expect(receiver.received).toHaveLength(6);
      expect(new Set(receiver.received.map((r) => r.eventId)).size).toBe(1);

      const missing = await api()
        .post(`/v1/webhook-endpoints/${endpoint.id}/deliveries/whd_nope/redeliver`)
        .set(admin);
      expect(missing.status).toBe(404);
      expect(missing.body.code).toBe('webhook_delivery_not_found');

      // The log pages newest first; the outcome counts are what metrics read.
      const page = await api()
        .get(`/v1/webhook-endpoints/${endpoint.id}/deliveries`)
        .query({ limit: 2 })
        .set(admin);
      expect(page.body.hasMore).toBe(true);
      const rest = await api()
        .get(`/v1/webhook-endpoints/${endpoint.id}/deliveries`)
        .query({ limit: 2, startingAfter: page.body.data[1].id })
        .set(admin);
      expect(rest.body).toMatchObject({ data: [{ id: deliveryId }], hasMore: false });
      expect(await gateway.app.get(WebhookStore).deliveryCounts()).toEqual([
        { status: 'delivered', outcome: 'delivered', count: 3 },
      ]);
      // …and what /metrics exposes from them.
      const metrics = await api().get('/metrics').set(admin).expect(200);
      expect(metrics.text).toContain('csg_webhook_deliveries{status="delivered",outcome="delivered"} 3');
    });
  });

  it('wakes on work, not on a timer: new deliveries, due retries and a re-enabled endpoint go out with the safety poll ten minutes away', async () => {
    // Only the outbox trigger's notifications and the dispatcher's own retry timer can explain a
    // delivery within the deadlines here.
    const gateway = await startGateway({
      ...FAST_WEBHOOKS,
      WEBHOOK_POLL_MS: '600000',
      WEBHOOK_DISABLE_AFTER_FAILURES: '2',
    });
    const failedOnce = new Set<string>();
    const receiver = await startReceiver(() => 200);
    try {
      const api = () => request(gateway.url);
      const endpoint = await subscribe(gateway, receiver.url);
      const delivered = (type: string) =>
        waitFor(`${type} delivered`, async () => {
          const rows = await gateway.prisma.webhookDelivery.findMany({
            where: { endpointId: endpoint.id, event: { type } },
          });
          return rows.length > 0 && rows.every((row) => row.status === 'delivered');
        });

      // A new delivery: the insert notifies.
      const created = await api()
        .post('/v1/customers')
        .set(admin)
        .send(johnSmith({ externalReference: 'wh-wake', providers: [] }))
        .expect(201);
      await delivered('customer.created');

      // A failed attempt is retried tens of milliseconds later: nothing notifies, the dispatcher
      // sleeps until the retry is due.
      receiver.answer = (received) =>
        failedOnce.has(received.eventId) ? 200 : (failedOnce.add(received.eventId), 500);
      await api().patch(`/v1/customers/${created.body.id}`).set(admin).send({ givenName: 'Wa' }).expect(200);
      await delivered('customer.updated');
      const updates = receiver.received.filter((r) => r.event.type === 'customer.updated');
      expect(updates).toHaveLength(2);

      // Disabled after two failures with the delivery still pending; enabling the endpoint notifies.
      receiver.answer = () => 500;
      await api().post(`/v1/customers/${created.body.id}/forget`).set(admin).expect(200);
      await waitFor('the endpoint disabled', async () => {
        const res = await api().get(`/v1/webhook-endpoints/${endpoint.id}`).set(admin);
        return res.body.enabled === false;
      });
      receiver.answer = () => 200;
      await api()
        .patch(`/v1/webhook-endpoints/${endpoint.id}`)
        .set(admin)
        .send({ enabled: true })
        .expect(200);
      await waitFor('nothing pending', async () => {
        const pending = await gateway.prisma.webhookDelivery.count({ where: { status: 'pending' } });
        return pending === 0;
      });
      expect(receiver.received.at(-1)?.event.type).toBe('customer.forgotten');
      expect(await gateway.prisma.webhookDelivery.count({ where: { status: { not: 'delivered' } } })).toBe(0);
    } finally {
      // Ends the ten-minute idle wait at once and closes the LISTEN session, or jest would not exit.
      await gateway.close();
      await receiver.close();
    }
  });

  it('gives a delivery up after WEBHOOK_RETRY_FOR_HOURS, and the customer’s next event goes on', async () => {
    const gateway = await startGateway({ ...FAST_WEBHOOKS, WEBHOOK_RETRY_FOR_HOURS: '0.0002' });
    const receiver = await startReceiver(() => 500);
    try {
      const api = () => request(gateway.url);
      const endpoint = await subscribe(gateway, receiver.url);
      const created = await api()
        .post('/v1/customers')
        .set(admin)
        .send(johnSmith({ externalReference: 'wh-give-up', providers: [] }))
        .expect(201);
      await waitFor('the delivery given up', async () => {
        const row = await gateway.prisma.webhookDelivery.findFirst({ where: { endpointId: endpoint.id } });
        return row?.status === 'failed';
      });
      receiver.answer = () => 200;
      await api().patch(`/v1/customers/${created.body.id}`).set(admin).send({ givenName: 'Jo' }).expect(200);
      await waitFor('the next event delivered', async () => {
        const pending = await gateway.prisma.webhookDelivery.count({ where: { status: 'pending' } });
        return pending === 0;
      });
      expect(receiver.received.at(-1)?.event.type).toBe('customer.updated');
      const log = await api().get(`/v1/webhook-endpoints/${endpoint.id}/deliveries`).set(admin);
      expect(
        log.body.data.map((d: { eventType: string; status: string }) => [d.eventType, d.status]),
      ).toEqual([
        ['customer.updated', 'delivered'],
        ['customer.created', 'failed'],
      ]);
    } finally {
      await gateway.close();
      await receiver.close();
    }
  });
});

describe('webhook endpoints', () => {
  let gateway: RunningGateway;
  const api = () => request(gateway.url);

  beforeAll(async () => {
    gateway = await startGateway();
  });
  afterAll(() => gateway.close());

  it('shows the signing secret once, at creation', async () => {
    const created = await api()
      .post('/v1/webhook-endpoints')
      .set(admin)
      .send({
        url: 'https://example.com/webhooks',
        eventTypes: ['customer.link.failed'],
        description: 'failures',
      });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      url: 'https://example.com/webhooks',
      eventTypes: ['customer.link.failed'],
      enabled: true,
      disabledReason: null,
      signatureScheme: 'standard',
      secret: expect.stringMatching(/^whsec_[A-Za-z0-9+/]{43}=$/),
    });
    const read = await api().get(`/v1/webhook-endpoints/${created.body.id}`).set(admin);
    expect(read.status).toBe(200);
    expect(read.body).not.toHaveProperty('secret');
    const listed = await api().get('/v1/webhook-endpoints').set(admin);
    expect(listed.body).toEqual({ data: [read.body] });
    expect(JSON.stringify(listed.body)).not.toContain(created.body.secret);

    const patched = await api()
      .patch(`/v1/webhook-endpoints/${created.body.id}`)
      .set(admin)
      .send({ eventTypes: ['*'], description: null, enabled: false });
    expect(patched.body).toMatchObject({ eventTypes: ['*'], description: null, enabled: false });
    expect(patched.body).not.toHaveProperty('secret');
    expect((await api().delete(`/v1/webhook-endpoints/${created.body.id}`).set(admin)).status).toBe(204);
    const gone = await api().get(`/v1/webhook-endpoints/${created.body.id}`).set(admin);
    expect(gone.status).toBe(404);
    expect(gone.body.code).toBe('webhook_endpoint_not_found');
  });

  it('needs the admin scope', async () => {
    const res = await api()
      .post('/v1/webhook-endpoints')
      .set(bearer(KEYS.writer))
      .send({ url: 'https://example.com/webhooks', eventTypes: ['*'] });
    expect(res.status).toBe(403);
  });

  it.each([
    ['ftp://example.com/hooks', 'unsupported_scheme'],
    ['https://user:pass@example.com/hooks', 'credentials_in_url'],
    ['not a url', 'invalid_url'],
  ])('refuses %s (400, field url)', async (url, code) => {
    const res = await api()
      .post('/v1/webhook-endpoints')
      .set(admin)
      .send({ url, eventTypes: ['*'] });
    expect(res.status).toBe(400);
    expect(res.body.errors).toEqual([expect.objectContaining({ field: 'url', code })]);
    expect(await gateway.prisma.webhookEndpoint.count({ where: { url } })).toBe(0);
  });

  it('refuses unknown event types and fields', async () => {
    const res = await api()
      .post('/v1/webhook-endpoints')
      .set(admin)
      .send({ url: 'https://example.com/webhooks', eventTypes: ['customer.exploded'], secret: 'mine' });
    expect(res.status).toBe(400);
    expect(res.body.errors.map((e: { field: string }) => e.field).sort()).toEqual(['eventTypes', 'secret']);
  });
});
