import { createTestDatabase } from '@app/persistence';
import { Webhook } from 'standardwebhooks';
import request from 'supertest';

import { johnSmith, type RunningGateway, startGateway } from '../support/gateway';
import {
  admin,
  FAST_WEBHOOKS,
  legacySignatureIsValid,
  type Received,
  type Receiver,
  signatureIsValid,
  startReceiver,
  subscribe,
  waitFor,
} from './receiver';

/** Whether the `standardwebhooks` package itself accepts the delivery as signed with `secret`. */
function verifies(secret: string, received: Received): boolean {
  try {
    new Webhook(secret).verify(received.body, received.headers as Record<string, string>);
    return true;
  } catch {
    return false;
  }
}

async function createCustomers(gateway: RunningGateway, prefix: string, count: number): Promise<void> {
  for (let i = 0; i < count; i++) {
    await request(gateway.url)
      .post('/v1/customers')
      .set(admin)
      .send(johnSmith({ externalReference: `${prefix}-${i}`, providers: [] }))
      .expect(201);
  }
}

/** Waits until `receiver` holds `count` requests and returns the ones after `from`. */
async function received(receiver: Receiver, count: number, from = 0): Promise<Received[]> {
  await waitFor(`${count} requests received`, () => receiver.received.length >= count);
  return receiver.received.slice(from, count);
}

describe('Standard Webhooks', () => {
  let gateway: RunningGateway;
  let receiver: Receiver;
  const api = () => request(gateway.url);

  beforeAll(async () => {
    gateway = await startGateway(FAST_WEBHOOKS);
    receiver = await startReceiver(() => 200);
  });
  afterAll(async () => {
    await gateway.close();
    await receiver.close();
  });
  beforeEach(() => {
    receiver.received.length = 0;
  });
  afterEach(async () => {
    // Each test's endpoints go, so the next test's receiver hears only its own.
    await waitFor(
      'nothing pending',
      async () => (await gateway.prisma.webhookDelivery.count({ where: { status: 'pending' } })) === 0,
    );
    for (const { id } of await gateway.prisma.webhookEndpoint.findMany({ select: { id: true } })) {
      await api().delete(`/v1/webhook-endpoints/${id}`).set(admin).expect(204);
    }
  });

  it('signs every delivery so that the standardwebhooks package verifies it: 0 failures', async () => {
    const endpoint = await subscribe(gateway, receiver.url, ['customer.created']);
    await createCustomers(gateway, 'sw', 12);
    const deliveries = await received(receiver, 12);
    const failures = deliveries.filter((delivery) => !verifies(endpoint.secret, delivery));
    expect(failures).toHaveLength(0);
    for (const delivery of deliveries) {
      expect(delivery.headers['webhook-id']).toBe(delivery.event.id);
      expect(delivery.headers['webhook-timestamp']).toMatch(/^\d{10}$/);
      expect(delivery.headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/]{43}=$/);
      // …and so does the README's example.
      expect(signatureIsValid(endpoint.secret, delivery.headers, delivery.body)).toBe(true);
    }
    // Not vacuous: another secret, a changed byte or another id fail.
    const [sample] = deliveries;
    expect(verifies(`whsec_${Buffer.alloc(32, 1).toString('base64')}`, sample!)).toBe(false);
    expect(verifies(endpoint.secret, { ...sample!, body: sample!.body.replace('}', ' }') })).toBe(false);
    expect(
      verifies(endpoint.secret, { ...sample!, headers: { ...sample!.headers, 'webhook-id': 'evt_other' } }),
    ).toBe(false);
  });

  it('keeps the old and the new secret valid through a rotation’s overlap, and only the new after', async () => {
    const endpoint = await subscribe(gateway, receiver.url, ['customer.created']);
    const rotated = await api()
      .post(`/v1/webhook-endpoints/${endpoint.id}/rotate-secret`)
      .set(admin)
      .send({ overlapSeconds: 3600 })
      .expect(200);
    expect(rotated.body).toMatchObject({
      id: endpoint.id,
      signatureScheme: 'standard',
      secret: expect.stringMatching(/^whsec_/),
      previousSecretExpiresAt: expect.any(String),
    });
    const expiresIn = Date.parse(rotated.body.previousSecretExpiresAt) - Date.now();
    expect(expiresIn).toBeGreaterThan(3_000_000);
    expect(expiresIn).toBeLessThanOrEqual(3_600_000);
    const secret = rotated.body.secret as string;
    expect(secret).not.toBe(endpoint.secret);
    // The secret is shown in this answer only.
    const read = await api().get(`/v1/webhook-endpoints/${endpoint.id}`).set(admin).expect(200);
    expect(read.body).not.toHaveProperty('secret');

    await createCustomers(gateway, 'rot-overlap', 3);
    for (const delivery of await received(receiver, 3)) {
      expect(delivery.headers['webhook-signature']).toMatch(/^v1,\S+ v1,\S+$/);
      expect(verifies(secret, delivery)).toBe(true);
      expect(verifies(endpoint.secret, delivery)).toBe(true);
    }

    // Rotated again without an overlap: only the newest signs; both before it are done.
    const again = await api()
      .post(`/v1/webhook-endpoints/${endpoint.id}/rotate-secret`)
      .set(admin)
      .send({ overlapSeconds: 0 })
      .expect(200);
    expect(again.body.previousSecretExpiresAt).toBeNull();
    await createCustomers(gateway, 'rot-after', 2);
    for (const delivery of await received(receiver, 5, 3)) {
      expect(delivery.headers['webhook-signature']).toMatch(/^v1,\S+$/);
      expect(verifies(again.body.secret as string, delivery)).toBe(true);
      expect(verifies(secret, delivery)).toBe(false);
      expect(verifies(endpoint.secret, delivery)).toBe(false);
    }
  });

  it('overlaps a rotation for WEBHOOK_SECRET_OVERLAP_HOURS when the call names no overlap', async () => {
    const endpoint = await subscribe(gateway, receiver.url, ['customer.created']);
    const rotated = await api()
      .post(`/v1/webhook-endpoints/${endpoint.id}/rotate-secret`)
      .set(admin)
      .expect(200);
    const expiresIn = Date.parse(rotated.body.previousSecretExpiresAt) - Date.now();
    expect(expiresIn).toBeGreaterThan(23 * 3_600_000);
    expect(expiresIn).toBeLessThanOrEqual(24 * 3_600_000);
  });

  it('refuses a rotation of an unknown endpoint or with a bad overlap', async () => {
    const missing = await api().post('/v1/webhook-endpoints/we_nope/rotate-secret').set(admin).send({});
    expect(missing.status).toBe(404);
    expect(missing.body.code).toBe('webhook_endpoint_not_found');
    const endpoint = await subscribe(gateway, receiver.url);
    for (const overlapSeconds of [-1, 1.5, 'soon', 7 * 24 * 3600 + 1]) {
      const res = await api()
        .post(`/v1/webhook-endpoints/${endpoint.id}/rotate-secret`)
        .set(admin)
        .send({ overlapSeconds });
      expect(res.status).toBe(400);
      expect(res.body.errors.length).toBeGreaterThan(0);
      expect(new Set(res.body.errors.map((e: { field: string }) => e.field))).toEqual(
        new Set(['overlapSeconds']),
      );
    }
  });

  it('sends a signed test event on demand, enabled or not, leaving the log and the streak alone', async () => {
    const endpoint = await subscribe(gateway, receiver.url, ['customer.created'], { enabled: false });
    const sent = await api().post(`/v1/webhook-endpoints/${endpoint.id}/test`).set(admin).expect(200);
    expect(sent.body).toEqual({
      webhookId: expect.stringMatching(/^evt_test_/),
      outcome: 'delivered',
      statusCode: 200,
      durationMs: expect.any(Number),
    });
    const [test] = await received(receiver, 1);
    expect(test!.event).toMatchObject({
      id: sent.body.webhookId,
      type: 'webhook.test',
      data: { endpointId: endpoint.id },
    });
    expect(verifies(endpoint.secret, test!)).toBe(true);

    receiver.answer = () => 503;
    try {
      const failed = await api().post(`/v1/webhook-endpoints/${endpoint.id}/test`).set(admin).expect(200);
      expect(failed.body).toMatchObject({ outcome: 'http_error', statusCode: 503 });
    } finally {
      receiver.answer = () => 200;
    }
    const after = await api().get(`/v1/webhook-endpoints/${endpoint.id}`).set(admin).expect(200);
    expect(after.body).toMatchObject({ enabled: false, failureStreak: 0 });
    const log = await api().get(`/v1/webhook-endpoints/${endpoint.id}/deliveries`).set(admin).expect(200);
    expect(log.body.data).toEqual([]);
    const events = await api().get('/v1/events').query({ limit: 100 }).set(admin).expect(200);
    expect(events.body.data.map((e: { type: string }) => e.type)).not.toContain('webhook.test');

    const missing = await api().post('/v1/webhook-endpoints/we_nope/test').set(admin);
    expect(missing.status).toBe(404);
  });
});

describe('an endpoint from before Standard Webhooks', () => {
  it('keeps its scheme and its secret (encrypted at start) until rotated, then signs the standard way', async () => {
    const database = await createTestDatabase();
    const receiver = await startReceiver(() => 200);
    // As the previous version left it: the legacy scheme, its secret in the clear.
    const legacySecret = 'whsec_Xq2-7wAbCdEfGhIjKlMnOpQrStUvWxYz';
    await database.prisma.$executeRaw`
      INSERT INTO webhook_endpoints (id, url, event_types, secret, signature_scheme, updated_at)
      VALUES ('we_legacy', ${receiver.url}, ARRAY['customer.created'], ${legacySecret}, 'legacy', now())`;
    const gateway = await startGateway(FAST_WEBHOOKS, [], { database });
    try {
      const api = () => request(gateway.url);
      const [stored] = await database.prisma.$queryRaw<{ secret: string | null }[]>`
        SELECT secret FROM webhook_endpoints WHERE id = 'we_legacy'`;
      expect(stored!.secret).toBeNull();
      expect(JSON.stringify(await database.prisma.secret.findMany())).not.toContain(legacySecret.slice(6));
      const before = await api().get('/v1/webhook-endpoints/we_legacy').set(admin).expect(200);
      expect(before.body.signatureScheme).toBe('legacy');

      await createCustomers(gateway, 'legacy', 2);
      for (const delivery of await received(receiver, 2)) {
        expect(delivery.headers['webhook-signature']).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);
        expect(delivery.headers['webhook-id']).toBe(delivery.event.id);
        expect(
          legacySignatureIsValid(
            legacySecret,
            delivery.headers['webhook-signature'] as string,
            delivery.body,
          ),
        ).toBe(true);
      }

      const rotated = await api()
        .post('/v1/webhook-endpoints/we_legacy/rotate-secret')
        .set(admin)
        .send({ overlapSeconds: 3600 })
        .expect(200);
      // The old secret only ever signed the legacy format: it stops at once.
      expect(rotated.body).toMatchObject({ signatureScheme: 'standard', previousSecretExpiresAt: null });
      await createCustomers(gateway, 'legacy-rotated', 2);
      for (const delivery of await received(receiver, 4, 2)) {
        expect(verifies(rotated.body.secret as string, delivery)).toBe(true);
        expect(delivery.headers['webhook-signature']).toMatch(/^v1,\S+$/);
      }
    } finally {
      await gateway.close();
      await receiver.close();
      await database.close();
    }
  });
});
