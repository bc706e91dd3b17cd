import request from 'supertest';

import { bearer, KEYS, type RunningGateway, startGateway } from '../support/gateway';

describe('API keys and scopes', () => {
  let gateway: RunningGateway;
  let customerId: string;

  beforeAll(async () => {
    gateway = await startGateway();
    const res = await request(gateway.url).post('/v1/customers').set(bearer(KEYS.admin)).send({});
    customerId = res.body.id as string;
  });
  afterAll(() => gateway.close());

  const routes = () => [
    { name: 'list', call: () => request(gateway.url).get('/v1/customers'), scope: 'read' },
    { name: 'get', call: () => request(gateway.url).get(`/v1/customers/${customerId}`), scope: 'read' },
    { name: 'create', call: () => request(gateway.url).post('/v1/customers').send({}), scope: 'write' },
    {
      name: 'update',
      call: () => request(gateway.url).patch(`/v1/customers/${customerId}`).send({}),
      scope: 'write',
    },
    { name: 'delete', call: () => request(gateway.url).delete('/v1/customers/cus_never'), scope: 'write' },
  ];

  it('answers 401 with WWW-Authenticate without a key, and with a wrong one', async () => {
    for (const route of routes()) {
      const none = await route.call();
      expect(none.status).toBe(401);
      expect(none.body.code).toBe('unauthenticated');
      expect(none.headers['www-authenticate']).toBe('Bearer');
      const wrong = await route.call().set(bearer('not-a-key-not-a-key-not-a-key'));
      expect(wrong.status).toBe(401);
      expect(wrong.body.detail).toBe('The API key is not valid.');
    }
  });

  it('accepts the key in X-API-Key too', async () => {
    const res = await request(gateway.url).get('/v1/customers').set('X-API-Key', KEYS.reader);
    expect(res.status).toBe(200);
  });

  it('lets customers:read read but not write (403)', async () => {
    for (const route of routes()) {
      const res = await route.call().set(bearer(KEYS.reader));
      if (route.scope === 'read') expect(res.status).toBe(200);
      else {
        expect(res.status).toBe(403);
        expect(res.body).toMatchObject({
          code: 'forbidden',
          detail: expect.stringContaining('customers:write'),
        });
      }
    }
  });

  it('lets customers:write read and write, and admin do everything', async () => {
    for (const key of [KEYS.writer, KEYS.admin]) {
      for (const route of routes()) {
        const res = await route.call().set(bearer(key));
        expect([200, 201, 404]).toContain(res.status);
      }
    }
  });

  it('leaves /health and /docs open', async () => {
    expect((await request(gateway.url).get('/health')).body).toEqual({ status: 'ok', database: 'up' });
    expect((await request(gateway.url).get('/docs/')).status).toBe(200);
    expect((await request(gateway.url).get('/docs-json')).status).toBe(200);
  });
});
