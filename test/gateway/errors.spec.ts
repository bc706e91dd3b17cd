import request from 'supertest';

import { bearer, KEYS, type RunningGateway, startGateway } from '../support/gateway';

describe('one error shape for everything', () => {
  let gateway: RunningGateway;
  const auth = bearer(KEYS.admin);

  beforeAll(async () => {
    gateway = await startGateway({ BODY_LIMIT: '2kb' });
  });
  afterAll(() => gateway.close());

  const expectProblem = (res: request.Response, status: number, code: string) => {
    expect(res.status).toBe(status);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body).toMatchObject({
      type: `urn:customer-sync:problem:${code}`,
      status,
      code,
      detail: expect.any(String),
      requestId: expect.any(String),
    });
    expect(JSON.stringify(res.body)).not.toMatch(/at .*\.(ts|js):\d+/);
  };

  /** A create with `body` sent as is, under `contentType`. */
  const postRaw = (contentType: string, body?: string) => {
    const req = request(gateway.url).post('/v1/customers').set(auth).set('Content-Type', contentType);
    return body === undefined ? req.set('Content-Length', '0') : req.send(body);
  };

  it('404 for an unknown route', async () => {
    expectProblem(await request(gateway.url).get('/v2/nothing').set(auth), 404, 'route_not_found');
  });

  it('413 for an oversized body, creating nothing', async () => {
    const before = await gateway.prisma.customer.count();
    const res = await request(gateway.url)
      .post('/v1/customers')
      .set(auth)
      .send({ metadata: { k: 'v'.repeat(3000) } });
    expectProblem(res, 413, 'payload_too_large');
    expect(await gateway.prisma.customer.count()).toBe(before);
  });

  it('415 for a body that is not JSON', async () => {
    const res = await request(gateway.url)
      .post('/v1/customers')
      .set(auth)
      .type('form')
      .send('email=a@example.test');
    expectProblem(res, 415, 'unsupported_media_type');
    const text = await postRaw('text/plain', '{}');
    expectProblem(text, 415, 'unsupported_media_type');
  });

  it('400 for malformed JSON', async () => {
    const res = await postRaw('application/json', '{"email": ');
    expectProblem(res, 400, 'malformed_json');
  });

  it('415 for JSON declared in a charset other than UTF-8, creating nothing', async () => {
    const before = await gateway.prisma.customer.count();
    const res = await postRaw('application/json; charset=iso-8859-1', '{"email":"a@example.test"}');
    expectProblem(res, 415, 'unsupported_media_type');
    const utf8 = await postRaw(
      'application/json; charset=UTF-8',
      '{"email":"b@example.test","providers":[]}',
    );
    expect(utf8.status).toBe(201);
    expect(await gateway.prisma.customer.count()).toBe(before + 1);
  });

  it('400 malformed_json for a bare JSON scalar, which no body of ours is', async () => {
    for (const body of ['null', '42', '"text"', '  true']) {
      expectProblem(await postRaw('application/json', body), 400, 'malformed_json');
    }
  });

  it('reads an empty JSON body as an empty object', async () => {
    const res = await postRaw('application/json');
    // Every field of a customer is optional: an empty body is an empty customer.
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ email: null, metadata: {}, version: 1 });
  });

  it('400 for a body that is JSON but not an object', async () => {
    const res = await postRaw('application/json', '[1,2]');
    expect(res.status).toBe(400);
  });

  it('keeps the caller’s X-Request-Id', async () => {
    const res = await request(gateway.url)
      .get('/v1/customers/nope')
      .set(auth)
      .set('X-Request-Id', 'trace-abc.123');
    expect(res.headers['x-request-id']).toBe('trace-abc.123');
    expect(res.body.requestId).toBe('trace-abc.123');
  });
});
