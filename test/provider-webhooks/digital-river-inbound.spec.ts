import { createHmac } from 'node:crypto';

import { type CallContext, type ObservedChange, type ProviderChangeHint, ProviderChanges } from '@app/domain';
import { type RunningSandboxes, startSandboxes } from '@app/sandboxes';
import { createGatewayClient } from '@customer-sync/client';
import request from 'supertest';

import { eventually } from '../support/eventually';
import { bearer, FAST_SYNC, KEYS, type RunningGateway, startGateway, testAccounts } from '../support/gateway';

/**
 * Test-only: records the hints the gateway hands on, in place of the conflict policy (another
 * part of the gateway) that acts on them.
 */
class RecordingProviderChanges extends ProviderChanges {
  readonly hints: ProviderChangeHint[] = [];
  failNext = 0;

  // eslint-disable-next-line @typescript-eslint/require-await
  async observe(_context: CallContext, hint: ProviderChangeHint): Promise<ObservedChange> {
    if (this.failNext > 0) {
      this.failNext--;
      throw new Error('observe failed (test)');
    }
    this.hints.push(hint);
    return { kind: 'unknown_customer' };
  }
}

const SECRET = 'test-inbound-secret-0123456789';
const CATCH_UP_SECONDS = 1;

function signature(body: string, secret: string, t = Math.floor(Date.now() / 1000)): string {
  return `t=${t},v0=${createHmac('sha256', secret).update(`${t}.${body}`).digest('hex')}`;
}

describe('Digital River changes coming back: webhook receiver and Events API catch-up', () => {
  let sandboxes: RunningSandboxes;
  let gateway: RunningGateway;
  const changes = new RecordingProviderChanges();
  const path = '/v1/provider-webhooks/digital-river/sandbox';
  const dr = () => sandboxes['digital-river'];
  const hintsFor = (reference: string, eventType: string) =>
    changes.hints.filter((h) => h.reference === reference && h.eventType === eventType);
  const post = (body: string, sig?: string) => {
    const req = request(gateway.url).post(path).set('Content-Type', 'application/json');
    return (sig === undefined ? req : req.set('DigitalRiver-Signature', sig)).send(body);
  };
  const counted = async (outcome: string) => {
    const text = (await request(gateway.url).get('/metrics').set(bearer(KEYS.admin))).text;
    const line = text
      .split('\n')
      .find((l) =>
        l.startsWith(`csg_provider_webhooks_total{provider="digital-river",outcome="${outcome}"}`),
      );
    return line === undefined ? 0 : Number(line.split(' ').at(-1));
  };
  const eventRow = async (eventId: string) =>
    (
      await gateway.prisma.$queryRaw<{ source: string; processed_at: Date | null }[]>`
        SELECT source, processed_at FROM provider_events WHERE event_id = ${eventId}`
    )[0];

  beforeAll(async () => {
    sandboxes = await startSandboxes({
      'digital-river': { rateLimitPerSecond: 0, webhookRetryDelayMs: 100 },
    });
    gateway = await startGateway(
      { ...FAST_SYNC, DR_EVENTS_CATCHUP_INTERVAL_SECONDS: String(CATCH_UP_SECONDS) },
      testAccounts(sandboxes),
      { providerChanges: changes },
    );
    const setSecret = await request(gateway.url)
      .put(`${path}/secret`)
      .set(bearer(KEYS.admin))
      .send({ secret: SECRET });
    expect(setSecret.status).toBe(204);
    dr().admin.registerWebhook({ url: gateway.url + path, secret: SECRET });
    // A fresh database is migrated first: minutes on a loaded machine.
  }, 240_000);
  afterAll(async () => {
    await gateway?.close();
    await sandboxes?.close();
  });
  beforeEach(() => dr().admin.setWebhooksEnabled(true));

  it('an edit made at Digital River reaches ProviderChanges within 5 s through the signed webhook', async () => {
    const [id] = dr().admin.seed(1);
    const started = Date.now();
    dr().admin.modifyCustomer(id!, { email: 'dashboard.edit@example.com' });
    await eventually(
      'the hint from the webhook',
      () => Promise.resolve(hintsFor(id!, 'customer.updated').length > 0 ? true : undefined),
      { timeoutMs: 5_000, intervalMs: 20 },
    );
    expect(Date.now() - started).toBeLessThan(5_000);
    const [hint] = hintsFor(id!, 'customer.updated');
    expect(hint).toMatchObject({ provider: 'digital-river', account: 'sandbox', reference: id });
    const eventId = hint!.eventId!;
    expect(
      dr()
        .admin.dumpEvents()
        .some((e) => e.id === eventId),
    ).toBe(true);
    expect((await eventRow(eventId))?.source).toBe('webhook');
    // The catch-up reader reads the same event later: recognised, not handed on again.
    await eventually('a catch-up round after the edit', async () => {
      const [cursor] = await gateway.prisma.$queryRaw<{ last_event_id: string | null }[]>`
        SELECT last_event_id FROM provider_event_cursors WHERE account = 'sandbox'`;
      return cursor?.last_event_id === eventId ? true : undefined;
    });
    expect(hintsFor(id!, 'customer.updated')).toHaveLength(1);
  });

  it('with webhooks off, the Events API catch-up brings the edit within one interval', async () => {
    dr().admin.setWebhooksEnabled(false);
    // The reader's cursor exists from its first round at start-up, so this edit is after it.
    await eventually('the catch-up cursor', async () => {
      const rows = await gateway.prisma.$queryRaw<
        { account: string }[]
      >`SELECT account FROM provider_event_cursors`;
      return rows.length > 0 ? true : undefined;
    });
    const [id] = dr().admin.seed(1);
    dr().admin.modifyCustomer(id!, { locale: 'de_DE' });
    dr().admin.removeCustomer(id!);
    await eventually(
      'the hints from the Events API',
      () => Promise.resolve(hintsFor(id!, 'customer.deleted').length > 0 ? true : undefined),
      { timeoutMs: CATCH_UP_SECONDS * 1000 + 3_000, intervalMs: 50 },
    );
    const updated = hintsFor(id!, 'customer.updated');
    expect(updated).toHaveLength(1);
    expect((await eventRow(updated[0]!.eventId!))?.source).toBe('catch-up');
    // Both are handed on once each; their order is not asserted: the two events can carry the same
    // millisecond, and each hint is revalidated by a read of the copy anyway.
    expect(hintsFor(id!, 'customer.deleted')).toHaveLength(1);
  });

  it('accepts a duplicate delivery with 204 and hands the event on once', async () => {
    const body = JSON.stringify({
      id: 'dup-event-1',
      type: 'customer.updated',
      createdTime: new Date().toISOString(),
      data: { object: { id: 'dup-customer' } },
      liveMode: false,
    });
    const before = await counted('duplicate');
    expect((await post(body, signature(body, SECRET))).status).toBe(204);
    expect((await post(body, signature(body, SECRET))).status).toBe(204);
    await eventually('the hint', () =>
      Promise.resolve(hintsFor('dup-customer', 'customer.updated').length > 0 ? true : undefined),
    );
    expect(hintsFor('dup-customer', 'customer.updated')).toHaveLength(1);
    expect(await counted('duplicate')).toBe(before + 1);
  });

  it('refuses forged, stale and unsigned requests with a 401 problem and counts each', async () => {
    const body = JSON.stringify({
      id: 'forged-1',
      type: 'customer.deleted',
      data: { object: { id: 'victim' } },
    });
    const counts = {
      mismatch: await counted('mismatch'),
      stale: await counted('stale'),
      unsigned: await counted('unsigned'),
      malformed: await counted('malformed'),
    };
    const forged = await post(body, signature(body, 'not-the-secret'));
    expect(forged.status).toBe(401);
    expect(forged.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(forged.body).toMatchObject({ code: 'unauthenticated', status: 401 });
    const tampered = await post(body.replace('victim', 'other'), signature(body, SECRET));
    expect(tampered.status).toBe(401);
    const stale = await post(body, signature(body, SECRET, Math.floor(Date.now() / 1000) - 301));
    expect(stale.status).toBe(401);
    expect((await post(body)).status).toBe(401);
    expect((await post(body, 'v0=deadbeef')).status).toBe(401);
    expect(await counted('mismatch')).toBe(counts.mismatch + 2);
    expect(await counted('stale')).toBe(counts.stale + 1);
    expect(await counted('unsigned')).toBe(counts.unsigned + 1);
    expect(await counted('malformed')).toBe(counts.malformed + 1);
    expect(await eventRow('forged-1')).toBeUndefined();
    expect(hintsFor('victim', 'customer.deleted')).toHaveLength(0);
  });

  it('accepts the previous secret while a rotation overlaps, and not after', async () => {
    const body = (id: string) =>
      JSON.stringify({ id, type: 'customer.updated', data: { object: { id: 'rot' } } });
    const rotate = (secret: string, overlapHours: number) =>
      request(gateway.url).put(`${path}/secret`).set(bearer(KEYS.admin)).send({ secret, overlapHours });
    expect((await rotate('rotated-secret-0123456789', 1)).status).toBe(204);
    expect((await post(body('rot-1'), signature(body('rot-1'), SECRET))).status).toBe(204);
    expect((await post(body('rot-2'), signature(body('rot-2'), 'rotated-secret-0123456789'))).status).toBe(
      204,
    );
    // Back to the secret the sandbox signs with, the rotated one dropped at once.
    expect((await rotate(SECRET, 0)).status).toBe(204);
    expect((await post(body('rot-3'), signature(body('rot-3'), 'rotated-secret-0123456789'))).status).toBe(
      401,
    );
    expect((await post(body('rot-4'), signature(body('rot-4'), SECRET))).status).toBe(204);
  });

  it('retries a failed hint later instead of losing it', async () => {
    changes.failNext = 1;
    const body = JSON.stringify({
      id: 'retry-1',
      type: 'customer.updated',
      data: { object: { id: 'retry-c' } },
    });
    expect((await post(body, signature(body, SECRET))).status).toBe(204);
    await eventually(
      'the hint on a later attempt',
      () => Promise.resolve(hintsFor('retry-c', 'customer.updated').length > 0 ? true : undefined),
      { timeoutMs: 10_000 },
    );
    expect((await eventRow('retry-1'))?.processed_at).not.toBeNull();
  });

  it('the client sets the secret and relays a delivery unchanged', async () => {
    const client = createGatewayClient({ baseUrl: gateway.url, apiKey: KEYS.admin });
    await client.providerWebhooks.digitalRiver.setSecret('sandbox', { secret: SECRET, overlapHours: 0 });
    const body = JSON.stringify({
      id: 'relay-1',
      type: 'customer.updated',
      data: { object: { id: 'relay-c' } },
    });
    await client.providerWebhooks.digitalRiver.deliver('sandbox', body, signature(body, SECRET));
    expect((await eventRow('relay-1'))?.source).toBe('webhook');
    await expect(
      client.providerWebhooks.digitalRiver.deliver('sandbox', body, signature(body, 'forged-secret')),
    ).rejects.toMatchObject({ status: 401 });
  });

  it('answers unknown accounts with a problem, and keeps the secret endpoint for admins', async () => {
    const body = JSON.stringify({ id: 'x', type: 'customer.updated', data: { object: { id: 'x' } } });
    const unknown = await request(gateway.url)
      .post('/v1/provider-webhooks/digital-river/nope')
      .set('Content-Type', 'application/json')
      .set('DigitalRiver-Signature', signature(body, SECRET))
      .send(body);
    expect(unknown.status).toBe(400);
    expect(unknown.body.code).toBe('provider_unknown');
    const writer = await request(gateway.url)
      .put(`${path}/secret`)
      .set(bearer(KEYS.writer))
      .send({ secret: SECRET });
    expect(writer.status).toBe(403);
    const short = await request(gateway.url)
      .put(`${path}/secret`)
      .set(bearer(KEYS.admin))
      .send({ secret: 'short' });
    expect(short.status).toBe(400);
  });
});
