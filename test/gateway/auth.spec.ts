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

  it('keeps forget for customers:erase (or admin) and bulk work for admin', async () => {
    const forget = (key: string) =>
      request(gateway.url).post(`/v1/customers/${customerId}/forget`).set(bearer(key));
    const bulk = [
      () =>
        request(gateway.url)
          .post('/v1/customers/import')
          .send({ provider: 'digital-river', reference: 'cus_elsewhere' }),
      () => request(gateway.url).post('/v1/reconciliations').send({}),
      () => request(gateway.url).post('/v1/migrations').send({}),
      () => request(gateway.url).get('/v1/migrations'),
    ];
    for (const key of [KEYS.reader, KEYS.writer]) {
      const refused = await forget(key);
      expect(refused.status).toBe(403);
      expect(refused.body).toMatchObject({
        code: 'forbidden',
        detail: expect.stringContaining('customers:erase'),
      });
    }
    for (const call of bulk) {
      for (const key of [KEYS.reader, KEYS.writer, KEYS.eraser]) {
        const refused = await call().set(bearer(key));
        expect(refused.status).toBe(403);
        expect(refused.body).toMatchObject({ code: 'forbidden', detail: expect.stringContaining('"admin"') });
      }
    }
    // The eraser may forget and read, and nothing else.
    const created = await request(gateway.url).post('/v1/customers').set(bearer(KEYS.admin)).send({});
    expect((await request(gateway.url).post('/v1/customers').set(bearer(KEYS.eraser)).send({})).status).toBe(
      403,
    );
    const forgotten = await request(gateway.url)
      .post(`/v1/customers/${created.body.id as string}/forget`)
      .set(bearer(KEYS.eraser));
    expect(forgotten.status).toBe(200);
    expect(forgotten.body.customer.forgottenAt).toEqual(expect.any(String));
    // Who erased it is on the record: the event names the key and the request.
    const events = await request(gateway.url)
      .get('/v1/events')
      .query({ customerId: created.body.id as string, type: 'customer.forgotten' })
      .set(bearer(KEYS.reader));
    expect(events.body.data).toEqual([
      expect.objectContaining({ actor: 'eraser', requestId: forgotten.headers['x-request-id'] }),
    ]);
    expect((await forget(KEYS.admin)).status).toBe(200);
  });

  it("states each operation's scope in the OpenAPI document, and security: [] on the open ones", async () => {
    const { paths } = (await request(gateway.url).get('/docs-json')).body as {
      paths: Record<string, Record<string, { 'x-required-scope'?: string; security?: unknown[] }>>;
    };
    expect(paths['/v1/customers/{id}/forget']?.['post']?.['x-required-scope']).toBe('customers:erase');
    expect(paths['/v1/customers/import']?.['post']?.['x-required-scope']).toBe('admin');
    expect(paths['/v1/customers/{id}']?.['patch']?.['x-required-scope']).toBe('customers:write');
    expect(paths['/v1/migrations']?.['post']?.['x-required-scope']).toBe('admin');
    for (const probe of ['/health', '/health/live', '/health/ready']) {
      expect(paths[probe]?.['get']?.security).toEqual([]);
    }
  });

  it('leaves the health probes and /docs open', async () => {
    expect((await request(gateway.url).get('/health')).body).toEqual({
      status: 'ok',
      database: 'up',
      migrations: expect.any(Number),
    });
    expect((await request(gateway.url).get('/health/live')).body).toEqual({ status: 'ok' });
    expect((await request(gateway.url).get('/docs/')).status).toBe(200);
    expect((await request(gateway.url).get('/docs-json')).status).toBe(200);
  });
});
