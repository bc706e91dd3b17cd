import request from 'supertest';

import {
  bearer,
  type GatewayWithSandboxes,
  johnSmith,
  KEYS,
  linkOf,
  startGatewayWithSandboxes,
} from '../support/gateway';
import { eventually } from '../support/eventually';

/**
 * What a delivery costs at each provider, counted by the sandboxes themselves, and how the
 * background worker finds its work: by the outbox's notifications and the due time of the next
 * retry, not by polling. Requests here do not wait for their providers (SYNC_WAIT_MS=0) and the
 * safety poll is ten minutes, far beyond every deadline: only a notification or a due backoff can
 * get a link delivered in time.
 */
describe('delivery cost and wake-up', () => {
  let gateway: GatewayWithSandboxes;
  const auth = bearer(KEYS.admin);
  const api = () => request(gateway.url);
  const dr = () => gateway.sandboxes['digital-river'].admin;
  const tco = () => gateway.sandboxes['two-checkout'].admin;
  let counter = 0;
  const customer = () => johnSmith({ externalReference: `cost-${++counter}`, taxIdentifiers: [] });

  /** Provider requests by route, both sandboxes together. */
  const requests = (): Record<string, number> => ({
    ...prefixed('dr', dr().stats().byRoute),
    ...prefixed('2co', tco().stats().byRoute),
  });
  const prefixed = (name: string, byRoute: Record<string, number>) =>
    Object.fromEntries(Object.entries(byRoute).map(([route, count]) => [`${name} ${route}`, count]));
  const since = (before: Record<string, number>) =>
    Object.fromEntries(
      Object.entries(requests())
        .map(([route, count]) => [route, count - (before[route] ?? 0)] as const)
        .filter(([, count]) => count > 0),
    );

  const linksOf = async (id: string) =>
    (await api().get(`/v1/customers/${id}`).set(auth).expect(200)).body as Parameters<typeof linkOf>[0];
  const synced = (id: string, provider: string) =>
    eventually(`the ${provider} link synced by the background worker`, async () => {
      const link = linkOf(await linksOf(id), provider);
      if (link.status !== 'synced') throw new Error(JSON.stringify(link));
      return true;
    });

  beforeAll(async () => {
    gateway = await startGatewayWithSandboxes({
      SYNC_WAIT_MS: '0',
      SYNC_POLL_MS: '600000',
      SYNC_RETRY_BASE_MS: '1000',
      SYNC_RETRY_MAX_MS: '2000',
    });
  });
  afterAll(() => gateway.close());
  afterEach(() => {
    dr().setFaults({});
    tco().setFaults({});
  });

  it('delivers a create in the background as soon as it commits, in one call at each provider', async () => {
    const before = requests();
    const res = await api().post('/v1/customers').set(auth).send(customer()).expect(201);
    expect(linkOf(res.body, 'digital-river').status).toBe('pending');
    await synced(res.body.id, 'digital-river');
    await synced(res.body.id, 'two-checkout');
    // 2Checkout's create answers only its numeric reference, which is all the mirror keeps.
    expect(since(before)).toEqual({
      'dr POST /customers': 1,
      '2co POST /customers': 1,
    });
  });

  it('updates, forgets and deletes with the calls the provider READMEs publish', async () => {
    const created = await api().post('/v1/customers').set(auth).send(customer()).expect(201);
    const id = created.body.id as string;
    await synced(id, 'digital-river');
    await synced(id, 'two-checkout');

    let before = requests();
    await api().patch(`/v1/customers/${id}`).set(auth).send({ phone: '952-222-2222' }).expect(200);
    await synced(id, 'digital-river');
    await synced(id, 'two-checkout');
    // DR: read, then send the difference. 2CO: read (the whole object its PUT replaces, handed
    // to the update rather than read again), then PUT; the PUT answers no customer, and the
    // mirror needs nothing more of it.
    expect(since(before)).toEqual({
      'dr GET /customers/:id': 1,
      'dr POST /customers/:id': 1,
      '2co GET /customers/:ref': 1,
      '2co PUT /customers/:ref': 1,
    });

    const other = await api().post('/v1/customers').set(auth).send(customer()).expect(201);
    await synced(other.body.id, 'two-checkout');
    before = requests();
    await api().post(`/v1/customers/${other.body.id}/forget`).set(auth).expect(200);
    await eventually('both erasures confirmed', async () => {
      const links = (await linksOf(other.body.id)).providers as { erasure?: { status: string } | null }[];
      return links.every((l) => l.erasure?.status === 'erased' || l.erasure?.status === 'partial')
        ? true
        : undefined;
    });
    const forgotten = since(before);
    // DR erases after the request is recorded: read, request, then read back until it is gone.
    expect(forgotten['dr POST /customers/:id']).toBe(1);
    expect(forgotten['dr GET /customers/:id']).toBeGreaterThanOrEqual(2);
    // 2CO: read (the whole object the PUT replaces), PUT the scrubbed copy, read it back to confirm.
    expect(forgotten['2co GET /customers/:ref']).toBe(2);
    expect(forgotten['2co PUT /customers/:ref']).toBe(1);

    before = requests();
    await api().delete(`/v1/customers/${id}`).set(auth);
    await eventually('the delete settled everywhere', async () => {
      const res = await api().get(`/v1/customers/${id}?include=deleted`).set(auth);
      const links = (res.body.providers ?? []) as { status: string; provider: string }[];
      return links.every((l) => l.status === 'synced') ? true : undefined;
    });
    // DR: read its tax identifiers (none here), delete, then read back to confirm it is gone. 2CO
    // has no delete: scrubbed as by forget.
    expect(since(before)).toEqual({
      'dr DELETE /customers/:id': 1,
      'dr GET /customers/:id': 2,
      '2co GET /customers/:ref': 2,
      '2co PUT /customers/:ref': 1,
    });
  });

  it('wakes for a retry when its backoff is due', async () => {
    dr().setFaults({ 'POST /customers': { errorRate: 1, errorStatus: 503 } });
    const res = await api().post('/v1/customers').set(auth).send(customer()).expect(201);
    await eventually('a failed attempt waiting for its retry', async () =>
      linkOf(await linksOf(res.body.id), 'digital-river').lastError !== null ? true : undefined,
    );
    dr().setFaults({});
    await synced(res.body.id, 'digital-river');
  });
});
