import request from 'supertest';

import {
  bearer,
  type GatewayWithSandboxes,
  johnSmith,
  KEYS,
  type Link,
  linkOf,
  startGatewayWithSandboxes,
} from '../support/gateway';
import { eventually } from '../support/eventually';
import { reconcileWholeBase, reconciliationItems } from '../support/reconciliations';

describe('sync engine', () => {
  let gateway: GatewayWithSandboxes;
  const auth = bearer(KEYS.admin);
  const api = () => request(gateway.url);
  const dr = () => gateway.sandboxes['digital-river'].admin;
  const tco = () => gateway.sandboxes['two-checkout'].admin;
  let counter = 0;
  const create = (overrides: Record<string, unknown> = {}) =>
    api()
      .post('/v1/customers')
      .set(auth)
      .send(johnSmith({ externalReference: `sync-${++counter}`, ...overrides }));

  beforeAll(async () => {
    gateway = await startGatewayWithSandboxes({ SYNC_MAX_ATTEMPTS: '4' });
  });
  afterAll(() => gateway.close());
  afterEach(() => {
    dr().setFaults({});
    tco().setFaults({});
  });

  it('keeps an audit trail of every provider call, without bodies', async () => {
    const created = await create({ taxIdentifiers: [] });
    const res = await api().get(`/v1/customers/${created.body.id}/calls`).set(bearer(KEYS.reader));
    expect(res.status).toBe(200);
    const calls = res.body.data as {
      provider: string;
      operation: string;
      method: string;
      path: string;
      outcome: string;
      httpStatus: number;
      durationMs: number;
      providerRequestId?: string;
    }[];
    // A first delivery cannot find anything to read: it creates straight away.
    const dr = calls.filter((c) => c.provider === 'digital-river').reverse();
    expect(dr.map((c) => `${c.method} ${c.path} ${c.httpStatus}`)).toEqual(['POST /customers 201']);
    expect(
      dr.every((c) => c.operation === 'sync' && c.durationMs >= 0 && typeof c.providerRequestId === 'string'),
    ).toBe(true);
    expect(dr.map((c) => c.outcome)).toEqual(['ok']);
    // 2Checkout's create answers only its numeric reference, all the mirror keeps: no read-back.
    const tco = calls.filter((c) => c.provider === 'two-checkout').reverse();
    expect(tco.map((c) => `${c.method} ${c.path}`)).toEqual(['POST /customers/']);
    const stored = JSON.stringify(
      await gateway.prisma.providerCall.findMany({ where: { customerId: created.body.id } }),
    );
    for (const personal of ['jsmith@digitalriver.com', 'John', '952-111-1111', 'Bren'])
      expect(stored).not.toContain(personal);
  });

  it('settles a commit-then-fail create by reading back: exactly one copy', async () => {
    dr().setFaults({ 'POST /customers': { commitThenFailRate: 1, commitThenFailStatus: 502 } });
    const created = await create();
    dr().setFaults({});
    await gateway.drain();
    const after = await api().get(`/v1/customers/${created.body.id}`).set(auth);
    expect(linkOf(after.body, 'digital-river')).toMatchObject({ status: 'synced', syncedVersion: 1 });
    expect(
      dr()
        .dump()
        .filter((c) => c.id === created.body.externalReference),
    ).toHaveLength(1);
  });

  it('retries passing failures, parks the link as failed after the budget, and re-drives it', async () => {
    tco().setFaults({ '*': { errorRate: 1, errorStatus: 503 } });
    const created = await create();
    await gateway.drain();
    const parked = await api().get(`/v1/customers/${created.body.id}`).set(auth);
    expect(linkOf(parked.body, 'two-checkout')).toMatchObject({
      status: 'failed',
      lastError: { code: 'provider_unavailable' },
    });
    expect(linkOf(parked.body, 'digital-river').status).toBe('synced');
    expect(
      tco()
        .dump()
        .some((c) => c.ExternalCustomerReference === created.body.externalReference),
    ).toBe(false);
    // Each failed delivery wrote the calls it tried with its outcome, as a synced one does.
    const trail = await api().get(`/v1/customers/${created.body.id}/calls`).set(bearer(KEYS.reader));
    const refused = (trail.body.data as { provider: string; httpStatus?: number }[]).filter(
      (call) => call.provider === 'two-checkout',
    );
    expect(refused.length).toBeGreaterThan(1);
    expect(refused.every((call) => call.httpStatus === 503)).toBe(true);

    tco().setFaults({});
    // The breaker of the failed account lets a call through once its half-open pause is over:
    // re-drive until it does (a re-drive the breaker refuses changes nothing).
    const redriven = await eventually('the re-drive synced', async () => {
      const answer = await api().post(`/v1/customers/${created.body.id}/sync`).set(auth);
      return answer.status === 200 && linkOf(answer.body, 'two-checkout').status === 'synced'
        ? answer
        : undefined;
    });
    expect(linkOf(redriven.body, 'two-checkout')).toMatchObject({ status: 'synced', lastError: null });
    expect(
      tco()
        .dump()
        .filter((c) => c.ExternalCustomerReference === created.body.externalReference),
    ).toHaveLength(1);
  });

  it('answers within the wait with links pending, and delivers afterwards', async () => {
    dr().setFaults({ 'GET /customers/:id': { latencyMs: 1_500 } });
    const started = Date.now();
    const created = await api()
      .post('/v1/customers')
      .set(auth)
      .send(johnSmith({ externalReference: 'sync-slow' }));
    // SYNC_WAIT_MS is 3s in these tests: the answer may come before or after DR finished.
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(['pending', 'synced']).toContain(linkOf(created.body, 'digital-river').status);
    await gateway.drain();
    const after = await api().get(`/v1/customers/${created.body.id}`).set(auth);
    expect(linkOf(after.body, 'digital-river').status).toBe('synced');
  });

  it('delivers concurrent updates in order: the provider ends with the latest version', async () => {
    const created = await create({ metadata: {} });
    const updates = Array.from({ length: 10 }, (_, i) =>
      api()
        .patch(`/v1/customers/${created.body.id}`)
        .set(auth)
        .send({ phone: `555-000-${String(i).padStart(4, '0')}`, metadata: { [`k${i}`]: String(i) } }),
    );
    const answers = await Promise.all(updates);
    expect(answers.every((r) => r.status === 200)).toBe(true);
    await gateway.drain();
    const mirror = await api().get(`/v1/customers/${created.body.id}`).set(auth);
    expect(mirror.body.version).toBe(11);
    for (const link of mirror.body.providers as Link[])
      expect(link).toMatchObject({ status: 'synced', syncedVersion: 11 });
    const atDr = dr()
      .dump()
      .find((c) => c.id === created.body.externalReference)!;
    expect(atDr.shipping?.phone).toBe(mirror.body.phone);
    expect(atDr.metadata).toEqual(mirror.body.metadata);
    expect(
      tco()
        .dump()
        .find((c) => c.ExternalCustomerReference === created.body.externalReference)?.Phone,
    ).toBe(mirror.body.phone);
    const drift = await api().get(`/v1/customers/${created.body.id}/drift`).set(auth);
    expect(drift.body.data.map((d: { state: string }) => d.state)).toEqual(['in_sync', 'in_sync']);
  });

  it('finds drift injected at a provider and repairs it by pushing ours', async () => {
    const created = await create();
    dr().modifyCustomer(created.body.externalReference, { email: 'changed.at.dr@example.test' });
    const drift = await api().get(`/v1/customers/${created.body.id}/drift`).set(auth);
    expect(drift.status).toBe(200);
    expect(drift.body.data).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          provider: 'digital-river',
          state: 'drifted',
          fields: [{ field: 'email', ours: 'jsmith@digitalriver.com', theirs: 'changed.at.dr@example.test' }],
        }),
        expect.objectContaining({ provider: 'two-checkout', state: 'in_sync', fields: [] }),
      ]),
    );
    const repaired = await api()
      .post(`/v1/customers/${created.body.id}/reconcile`)
      .set(auth)
      .send({ strategy: 'push' });
    expect(repaired.status).toBe(200);
    expect(repaired.body.data.map((d: { state: string }) => d.state)).toEqual(['in_sync', 'in_sync']);
    expect(
      dr()
        .dump()
        .find((c) => c.id === created.body.externalReference)?.email,
    ).toBe('jsmith@digitalriver.com');
  });

  it('adopts a provider’s value per field, and carries it to the other provider', async () => {
    const created = await create();
    tco().modifyCustomer(linkOf(created.body, 'two-checkout').providerCustomerId!, {
      Phone: '612-555-0199',
      City: 'Edina',
    });
    const res = await api()
      .post(`/v1/customers/${created.body.id}/reconcile`)
      .set(auth)
      .send({ strategy: 'push', fields: { phone: 'adopt' }, from: { provider: 'two-checkout' } });
    expect(res.status).toBe(200);
    expect(res.body.data.map((d: { state: string }) => d.state)).toEqual(['in_sync', 'in_sync']);
    const mirror = await api().get(`/v1/customers/${created.body.id}`).set(auth);
    expect(mirror.body.phone).toBe('612-555-0199');
    expect(mirror.body.address.city).toBe('Minnetonka');
    expect(
      dr()
        .dump()
        .find((c) => c.id === created.body.externalReference)?.shipping?.phone,
    ).toBe('612-555-0199');
    expect(
      tco()
        .dump()
        .find((c) => c.ExternalCustomerReference === created.body.externalReference)?.City,
    ).toBe('Minnetonka');
  });

  it('rejects an unknown field in a reconcile', async () => {
    const created = await create();
    const res = await api()
      .post(`/v1/customers/${created.body.id}/reconcile`)
      .set(auth)
      .send({ strategy: 'push', fields: { shoeSize: 'adopt' } });
    expect(res.status).toBe(400);
    expect(res.body.errors).toEqual([expect.objectContaining({ field: 'fields', code: 'not_allowed' })]);
  });

  it('reconciles the whole base: finds the drift, then repairs it', async () => {
    await gateway.drain();
    const clean = await reconcileWholeBase(gateway.url, auth);
    expect(clean.counts).toMatchObject({ pending: 0, drifted: 0, failed: 0 });
    const victims = await Promise.all([create(), create(), create()]);
    for (const victim of victims) dr().modifyCustomer(victim.body.externalReference, { locale: 'fr_FR' });
    dr().removeCustomer(victims[0].body.externalReference);
    const found = await reconcileWholeBase(gateway.url, auth, { repair: false });
    expect(found.counts).toMatchObject({ drifted: 3, repaired: 0, failed: 0 });
    const drifted = await reconciliationItems(gateway.url, auth, found.id, 'drifted');
    const at = (id: string) => drifted.find((item) => item.customerId === id)?.drift;
    expect(at(victims[0].body.id)).toEqual([
      expect.objectContaining({ provider: 'digital-river', state: 'missing' }),
    ]);
    for (const victim of victims.slice(1)) {
      expect(at(victim.body.id)).toEqual([
        expect.objectContaining({ provider: 'digital-river', state: 'drifted', fields: ['locale'] }),
      ]);
    }
    const repaired = await reconcileWholeBase(gateway.url, auth, { repair: true });
    expect(repaired.counts).toMatchObject({ drifted: 0, repaired: 3, failed: 0 });
    const after = await reconcileWholeBase(gateway.url, auth);
    expect(after.counts).toMatchObject({ drifted: 0, repaired: 0, failed: 0 });
    expect(
      dr()
        .dump()
        .filter((c) => c.id === victims[0].body.externalReference),
    ).toHaveLength(1);
  });

  it('forgets: the seeded email is nowhere in the database afterwards', async () => {
    const email = 'seeded.forget.target@example.test';
    const created = await api()
      .post('/v1/customers')
      .set(auth)
      .set('Idempotency-Key', 'forget-seed')
      .send(johnSmith({ externalReference: 'sync-forget', email }));
    await api()
      .patch(`/v1/customers/${created.body.id}`)
      .set(auth)
      .set('Idempotency-Key', 'forget-patch')
      .send({ givenName: 'Jo' });
    const forgotten = await api().post(`/v1/customers/${created.body.id}/forget`).set(auth);
    expect(forgotten.status).toBe(200);
    const tables = await gateway.prisma.$queryRawUnsafe<{ table_name: string }[]>(
      `SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'`,
    );
    expect(tables.length).toBeGreaterThanOrEqual(6);
    for (const { table_name } of tables) {
      const rows = await gateway.prisma.$queryRawUnsafe<{ hits: bigint }[]>(
        `SELECT count(*) AS hits FROM "${table_name}" t WHERE t::text ILIKE $1`,
        `%${email}%`,
      );
      expect({ table: table_name, hits: Number(rows[0]!.hits) }).toEqual({ table: table_name, hits: 0 });
    }
    const events = await gateway.prisma.event.findMany({
      where: { customerId: created.body.id },
      orderBy: { seq: 'asc' },
    });
    expect(events.at(0)?.type).toBe('customer.created');
    expect(events.at(-1)?.type).toBe('customer.forgotten');
  });
});
