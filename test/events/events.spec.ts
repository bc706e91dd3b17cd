import request from 'supertest';

import { bearer, johnSmith, KEYS, type RunningGateway, startGateway } from '../support/gateway';

interface EventBody {
  id: string;
  type: string;
  customerId: string | null;
  actor: string;
  requestId: string | null;
  data: Record<string, unknown>;
}

/** Customers linked to no provider: these tests are about the event log, not the sync. */
const unlinked = (externalReference: string, overrides: Record<string, unknown> = {}) =>
  johnSmith({ externalReference, providers: [], ...overrides });

describe('GET /v1/events', () => {
  let gateway: RunningGateway;
  const api = () => request(gateway.url);
  const admin = bearer(KEYS.admin);

  beforeAll(async () => {
    gateway = await startGateway();
  });
  afterAll(() => gateway.close());

  const all = async (query: Record<string, string | number> = {}): Promise<EventBody[]> => {
    const events: EventBody[] = [];
    for (let startingAfter: string | undefined; ;) {
      const res = await api()
        .get('/v1/events')
        .query({ limit: 2, ...query, ...(startingAfter !== undefined ? { startingAfter } : {}) })
        .set(bearer(KEYS.reader));
      expect(res.status).toBe(200);
      events.push(...(res.body.data as EventBody[]));
      if (!(res.body.hasMore as boolean)) return events;
      startingAfter = events.at(-1)!.id;
    }
  };

  it('records every change in order, pages oldest first and filters by type and customer', async () => {
    const first = await api().post('/v1/customers').set(admin).send(unlinked('events-1'));
    const second = await api().post('/v1/customers').set(bearer(KEYS.writer)).send(unlinked('events-2'));
    expect([first.status, second.status]).toEqual([201, 201]);
    const patched = await api()
      .patch(`/v1/customers/${first.body.id}`)
      .set(admin)
      .set('X-Request-Id', 'req-events-patch')
      .send({ email: 'j.smith@example.com', givenName: 'Jon' });
    expect(patched.status).toBe(200);
    // A patch that changes nothing is no event.
    await api().patch(`/v1/customers/${first.body.id}`).set(admin).send({ givenName: 'Jon' });
    expect((await api().delete(`/v1/customers/${second.body.id}`).set(admin)).status).toBe(200);

    const events = await all();
    expect(events.map((e) => [e.type, e.customerId])).toEqual([
      ['customer.created', first.body.id],
      ['customer.created', second.body.id],
      ['customer.updated', first.body.id],
      ['customer.deleted', second.body.id],
    ]);
    expect(new Set(events.map((e) => e.id)).size).toBe(4);
    expect(events[0]).toMatchObject({
      actor: 'admin',
      data: { version: 1 },
    });
    expect(events[1]!.actor).toBe('writer');
    expect(events[2]).toMatchObject({
      requestId: 'req-events-patch',
      data: { version: 2, changedFields: ['email', 'givenName'] },
    });
    // Events carry ids, codes and field names: no personal data, neither the old values nor the new.
    expect(JSON.stringify(events)).not.toMatch(
      /jsmith|j\.smith|John|Jon|Smith|Bren Rd|Minnetonka|55129|952-111/,
    );

    expect((await all({ type: 'customer.updated' })).map((e) => e.id)).toEqual([events[2]!.id]);
    expect((await all({ type: 'customer.deleted,customer.updated' })).map((e) => e.id)).toEqual([
      events[2]!.id,
      events[3]!.id,
    ]);
    expect((await all({ customerId: second.body.id as string })).map((e) => e.type)).toEqual([
      'customer.created',
      'customer.deleted',
    ]);
    const one = await api().get(`/v1/events/${events[2]!.id}`).set(bearer(KEYS.reader));
    expect(one.body).toEqual(events[2]);
    const unknown = await api().get('/v1/events/evt_nope').set(admin);
    expect([unknown.status, unknown.body.code]).toEqual([404, 'event_not_found']);
    const tail = await api().get('/v1/events').query({ startingAfter: events[3]!.id }).set(admin);
    expect(tail.body).toEqual({ data: [], hasMore: false });
  });

  it('refuses an unknown type or cursor, and callers without a key', async () => {
    const badType = await api().get('/v1/events').query({ type: 'customer.exploded' }).set(admin);
    expect(badType.status).toBe(400);
    expect(badType.body.errors).toEqual([expect.objectContaining({ field: 'type' })]);
    const badCursor = await api().get('/v1/events').query({ startingAfter: 'evt_nope' }).set(admin);
    expect(badCursor.status).toBe(400);
    expect(badCursor.body.errors).toEqual([
      expect.objectContaining({ field: 'startingAfter', code: 'unknown_cursor' }),
    ]);
    expect((await api().get('/v1/events')).status).toBe(401);
  });

  it("marks a forgotten customer's events scrubbed in the same transaction; none ever held its data", async () => {
    const email = 'events.forget.target@example.test';
    const created = await api().post('/v1/customers').set(admin).send(unlinked('events-forget', { email }));
    await api().patch(`/v1/customers/${created.body.id}`).set(admin).send({ phone: '612-555-0100' });
    const before = await all({ customerId: created.body.id as string });
    expect(before.map((e) => e.type)).toEqual(['customer.created', 'customer.updated']);
    for (const text of [email, 'John', 'Smith', '612-555-0100', 'Bren Rd']) {
      expect(JSON.stringify(before)).not.toContain(text);
    }

    expect((await api().post(`/v1/customers/${created.body.id}/forget`).set(admin)).status).toBe(200);
    const after = await all({ customerId: created.body.id as string });
    expect(after.map((e) => e.type)).toEqual(['customer.created', 'customer.updated', 'customer.forgotten']);
    for (const text of [email, 'John', 'Smith', '612-555-0100', 'Bren Rd']) {
      expect(JSON.stringify(after)).not.toContain(text);
    }
    expect(after[1]!.data).toEqual({ version: 2, changedFields: ['phone'], scrubbed: true });
  });
});

describe('event retention', () => {
  it('purges events older than EVENT_RETENTION_HOURS', async () => {
    // About a second, with a purge round every second.
    const gateway = await startGateway({ EVENT_RETENTION_HOURS: '0.0003', RETENTION_INTERVAL_SECONDS: '1' });
    try {
      const api = () => request(gateway.url);
      await api().post('/v1/customers').set(bearer(KEYS.admin)).send(unlinked('events-retention'));
      expect((await api().get('/v1/events').set(bearer(KEYS.admin))).body.data).toHaveLength(1);
      const deadline = Date.now() + 20_000;
      while ((await gateway.prisma.event.count()) > 0 && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      expect((await api().get('/v1/events').set(bearer(KEYS.admin))).body).toEqual({
        data: [],
        hasMore: false,
      });
    } finally {
      await gateway.close();
    }
  });
});
