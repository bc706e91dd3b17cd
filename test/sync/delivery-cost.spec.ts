import request from 'supertest';

import {
  bearer,
  type GatewayWithSandboxes,
  johnSmith,
  KEYS,
  linkOf,
  startGatewayWithSandboxes,
} from '../support/gateway';
import { eventually } from '../support/processes';

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
  const dr = () => gateway.sandboxes.digitalRiver.admin;
  const tco = () => gateway.sandboxes.twoCheckout.admin;
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

  it('delivers a create in the background as soon as it commits, in one call at DR and two at 2Checkout', async () => {
    const before = requests();
    const res = await api().post('/v1/customers').set(auth).send(customer()).expect(201);
    expect(linkOf(res.body, 'digital-river').status).toBe('pending');
    await synced(res.body.id, 'digital-river');
    await synced(res.body.id, 'two-checkout');
    // 2Checkout's create answers only its numeric reference: the read-back is the stored copy.
    expect(since(before)).toEqual({
      'dr POST /customers': 1,
      '2co POST /customers': 1,
      '2co GET /customers/:ref': 1,
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
