import request from 'supertest';

import { eventually } from '../support/eventually';
import {
  bearer,
  type GatewayWithSandboxes,
  johnSmith,
  KEYS,
  startGatewayWithSandboxes,
} from '../support/gateway';

interface CustomerBody {
  id: string;
  version: number;
  email: string;
  externalReference: string;
}

const SECRET = 'e2e-inbound-secret-0123456789';
const CATCH_UP_SECONDS = 2;

/**
 * The whole loop, with the real conflict policy (ProviderChanges): an email edited directly at the
 * Digital River sandbox (its admin API, standing for a Dashboard edit) is adopted into the mirror
 * and delivered to 2Checkout, via the signed webhook within 5 s, and via the Events API catch-up
 * within one interval when webhooks are off.
 */
describe('an edit made at Digital River reaches the mirror and 2Checkout', () => {
  let gateway: GatewayWithSandboxes;
  const admin = bearer(KEYS.admin);
  const dr = () => gateway.sandboxes['digital-river'].admin;
  const tco = () => gateway.sandboxes['two-checkout'].admin;

  beforeAll(async () => {
    gateway = await startGatewayWithSandboxes({
      CONFLICT_POLICY: JSON.stringify({ 'digital-river': { fields: { email: 'adopt' } } }),
      DR_EVENTS_CATCHUP_INTERVAL_SECONDS: String(CATCH_UP_SECONDS),
    });
    const path = '/v1/provider-webhooks/digital-river/sandbox';
    await request(gateway.url).put(`${path}/secret`).set(admin).send({ secret: SECRET }).expect(204);
    dr().registerWebhook({ url: gateway.url + path, secret: SECRET });
    // A fresh database is migrated first: minutes on a loaded machine.
  }, 240_000);
  afterAll(async () => {
    await gateway?.close();
  });

  async function synced(externalReference: string): Promise<CustomerBody> {
    const res = await request(gateway.url)
      .post('/v1/customers')
      .set(admin)
      .send(johnSmith({ externalReference, email: `${externalReference}@example.com` }))
      .expect(201);
    await gateway.drain();
    return res.body as CustomerBody;
  }

  /** Resolves once the mirror and 2CO both hold `email`; how long that took from `since`. */
  async function arrived(customer: CustomerBody, email: string, since: number, timeoutMs: number) {
    await eventually(
      `${email} in the mirror and at 2CO`,
      async () => {
        const mirror = (await request(gateway.url).get(`/v1/customers/${customer.id}`).set(admin))
          .body as CustomerBody;
        const atTco = tco()
          .dump()
          .find((c) => c.ExternalCustomerReference === customer.externalReference)?.Email;
        return mirror.email === email && atTco === email ? true : undefined;
      },
      { timeoutMs, intervalMs: 50 },
    );
    return Date.now() - since;
  }

  it('through the signed webhook within 5 s', async () => {
    const customer = await synced('e2e-webhook');
    const started = Date.now();
    dr().modifyCustomer(customer.externalReference, { email: 'edited.at.dr@example.com' });
    expect(await arrived(customer, 'edited.at.dr@example.com', started, 5_000)).toBeLessThan(5_000);
  });

  it('with webhooks off, through the Events API catch-up within one interval', async () => {
    const customer = await synced('e2e-catch-up');
    // The cursor of the reader exists (first round at start-up); this edit comes after it.
    await eventually('the catch-up cursor', async () => {
      const rows = await gateway.prisma.$queryRaw<
        { account: string }[]
      >`SELECT account FROM provider_event_cursors`;
      return rows.length > 0 ? true : undefined;
    });
    dr().setWebhooksEnabled(false);
    try {
      const started = Date.now();
      dr().modifyCustomer(customer.externalReference, { email: 'caught.up@example.com' });
      // One interval, plus the re-read, the adoption and the delivery to 2CO (loaded CI machine).
      const took = await arrived(customer, 'caught.up@example.com', started, CATCH_UP_SECONDS * 1000 + 5_000);
      expect(took).toBeLessThan(CATCH_UP_SECONDS * 1000 + 5_000);
    } finally {
      dr().setWebhooksEnabled(true);
    }
  });

  it("settles the echoes of the gateway's own writes on arrival, without reading the customer again", async () => {
    // No tax identifier: DR takes the whole customer in one call, so every event it raises carries
    // a copy equal to the mirror's (a tax identifier is attached by a call of its own, after).
    const created = await request(gateway.url)
      .post('/v1/customers')
      .set(admin)
      .send(johnSmith({ externalReference: 'e2e-echo', email: 'e2e-echo@example.com', taxIdentifiers: [] }))
      .expect(201);
    const customer = created.body as CustomerBody;
    await gateway.drain();
    await request(gateway.url)
      .patch(`/v1/customers/${customer.id}`)
      .set(admin)
      .send({ phone: '612-555-0199' })
      .expect(200);
    await gateway.drain();

    const echoes = await eventually('both echoes in the inbox', async () => {
      const rows = await gateway.prisma.$queryRaw<
        { event_type: string; attempts: number; processed: boolean }[]
      >`
        SELECT event_type, attempts, processed_at IS NOT NULL AS processed FROM provider_events
         WHERE reference = ${customer.externalReference} ORDER BY received_at`;
      return rows.filter((row) => row.event_type === 'customer.updated').length > 0 ? rows : undefined;
    });
    // Recorded processed, never claimed by the worker (no attempt counted)…
    expect(echoes.map((row) => row.event_type).sort()).toEqual(['customer.created', 'customer.updated']);
    expect(echoes.every((row) => row.processed && row.attempts === 0)).toBe(true);
    // …so nothing read the customer again at Digital River to check them.
    const observed = await gateway.prisma.$queryRaw<{ n: bigint }[]>`
      SELECT count(*) AS n FROM provider_calls WHERE customer_id = ${customer.id} AND operation = 'observe'`;
    expect(Number(observed[0]!.n)).toBe(0);
    const metrics = (await request(gateway.url).get('/metrics').set(admin)).text;
    expect(metrics).toMatch(
      /csg_provider_webhooks_total\{provider="digital-river",outcome="in_sync"\} [1-9]/,
    );
  });

  it('refuses a forged delivery and counts it', async () => {
    const body = JSON.stringify({
      id: 'forged',
      type: 'customer.deleted',
      data: { object: { id: 'e2e-webhook' } },
    });
    const t = Math.floor(Date.now() / 1000);
    const res = await request(gateway.url)
      .post('/v1/provider-webhooks/digital-river/sandbox')
      .set('Content-Type', 'application/json')
      .set('DigitalRiver-Signature', `t=${t},v0=${'0'.repeat(64)}`)
      .send(body);
    expect(res.status).toBe(401);
    const metrics = (await request(gateway.url).get('/metrics').set(admin)).text;
    expect(metrics).toMatch(
      /csg_provider_webhooks_total\{provider="digital-river",outcome="mismatch"\} [1-9]/,
    );
  });
});
