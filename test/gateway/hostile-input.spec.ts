import { connect } from 'node:net';

import request from 'supertest';

import { bearer, johnSmith, KEYS, type RunningGateway, startGateway } from '../support/gateway';

/** Writes raw bytes to the gateway and collects everything it answers until it closes. */
function rawExchange(url: string, chunks: (string | Buffer)[]): Promise<string> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => {
      for (const chunk of chunks) socket.write(chunk);
    });
    let answer = '';
    socket.on('data', (data) => (answer += data.toString('utf8')));
    socket.on('close', () => resolve(answer));
    socket.on('error', reject);
  });
}

/** The status line and problem body of a raw HTTP answer. */
function parseRaw(answer: string): { status: number; contentType: string; body: Record<string, unknown> } {
  const [head = '', body = ''] = answer.split('\r\n\r\n');
  const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1]);
  const contentType = /content-type: ([^\r\n]+)/i.exec(head)?.[1] ?? '';
  return { status, contentType, body: JSON.parse(body) as Record<string, unknown> };
}

describe('hostile input is a 4xx problem+json naming the field, and changes nothing', () => {
  let gateway: RunningGateway;
  const auth = bearer(KEYS.admin);
  let customerId: string;

  beforeAll(async () => {
    gateway = await startGateway({
      REQUEST_TIMEOUT_MS: '400',
      HEADERS_TIMEOUT_MS: '400',
      MAX_HEADER_BYTES: '4096',
    });
    const created = await request(gateway.url)
      .post('/v1/customers')
      .set(auth)
      .send(johnSmith({ providers: [] }));
    expect(created.status).toBe(201);
    customerId = created.body.id;
  });
  afterAll(() => gateway.close());

  const expectFieldError = (
    res: { status: number; headers: Record<string, unknown>; body: { errors?: unknown } },
    field: string,
    code: string,
  ) => {
    expect(res.status).toBe(400);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body).toMatchObject({ code: 'validation_failed', status: 400 });
    expect(res.body.errors).toEqual(expect.arrayContaining([expect.objectContaining({ field, code })]));
  };

  const postRaw = (path: string, text: string) =>
    request(gateway.url).post(path).set(auth).set('Content-Type', 'application/json').send(text);

  it.each([
    ['a path id', `/v1/customers/a%00b`, 'id'],
    ['a path id on a nested route', `/v1/customers/a%00b/calls`, 'id'],
    ['a provider reference', `/v1/customers/by-reference/two-checkout/x%00y`, 'reference'],
    ['ids', `/v1/customers?ids=a%00b`, 'ids'],
    ['startingAfter', `/v1/customers?startingAfter=%00`, 'startingAfter'],
    ['a query parameter no route reads', `/v1/customers?nothing=%00`, 'nothing'],
  ])('a NUL in %s is refused (400)', async (_what, path, field) => {
    expectFieldError(await request(gateway.url).get(path).set(auth), field, 'invalid_characters');
  });

  it('percent-encoded invalid UTF-8 or surrogates in the query or path are refused', async () => {
    expectFieldError(
      await request(gateway.url).get('/v1/customers?email=%ED%BF%BF').set(auth),
      'email',
      'invalid_encoding',
    );
    expectFieldError(
      await request(gateway.url).get('/v1/customers/%FF').set(auth),
      'path',
      'invalid_encoding',
    );
  });

  it.each([
    ['a name', { givenName: 'Jo\u0000hn' }, 'givenName'],
    ['a metadata value', { metadata: { coupon: 'SPRING\u000020' } }, 'metadata.coupon'],
    ['a metadata key', { metadata: { 'cou\u0000pon': 'x' } }, 'metadata.cou\\u0000pon'],
    ['a nested field', { address: { country: 'US', city: 'Minne\u0000tonka' } }, 'address.city'],
    ['a tax identifier', { taxIdentifiers: [{ type: 'de', value: 'DE\u00001' }] }, 'taxIdentifiers.0.value'],
  ])('a NUL in %s of a create is refused, nothing stored', async (_what, patch, field) => {
    const before = await gateway.prisma.customer.count();
    const res = await request(gateway.url)
      .post('/v1/customers')
      .set(auth)
      .send(johnSmith({ externalReference: undefined, providers: [], ...patch }));
    expectFieldError(res, field, 'invalid_characters');
    expect(await gateway.prisma.customer.count()).toBe(before);
  });

  it('a NUL in an import reference or a tax identifier write is refused', async () => {
    expectFieldError(
      await request(gateway.url)
        .post('/v1/customers/import')
        .set(auth)
        .send({ provider: 'digital-river', reference: 'a\u0000b' }),
      'reference',
      'invalid_characters',
    );
    expectFieldError(
      await request(gateway.url)
        .post(`/v1/customers/${customerId}/tax-identifiers`)
        .set(auth)
        .send({ type: 'de', value: 'DE\u0000' }),
      'value',
      'invalid_characters',
    );
  });

  it('an unpaired surrogate in metadata is refused rather than stored as U+FFFD', async () => {
    for (const escaped of ['\\udfff', '\\ud800', 'a\\ud800b']) {
      const res = await request(gateway.url)
        .patch(`/v1/customers/${customerId}`)
        .set(auth)
        .set('Content-Type', 'application/json')
        .send(`{"metadata":{"coupon":"${escaped}"}}`);
      expectFieldError(res, 'metadata.coupon', 'invalid_characters');
    }
    const stored = await request(gateway.url).get(`/v1/customers/${customerId}`).set(auth);
    expect(stored.body.metadata).toEqual({ coupon: 'SPRING20' });
  });

  it('a body that is not valid UTF-8 is refused rather than stored as U+FFFD', async () => {
    const postBytes = async (body: Buffer) => {
      const res = await fetch(`${gateway.url}/v1/customers`, {
        method: 'POST',
        headers: { ...auth, 'Content-Type': 'application/json' },
        body,
      });
      return {
        status: res.status,
        headers: { 'content-type': res.headers.get('content-type') },
        body: (await res.json()) as { errors?: unknown },
      };
    };
    const before = await gateway.prisma.customer.count();
    const body = Buffer.concat([
      Buffer.from('{"givenName":"Jo'),
      Buffer.from([0xff, 0xfe]),
      Buffer.from('"}'),
    ]);
    expectFieldError(await postBytes(body), 'body', 'invalid_encoding');
    // CESU-8, a surrogate encoded as three bytes, is not UTF-8 either.
    const cesu = Buffer.concat([
      Buffer.from('{"givenName":"'),
      Buffer.from([0xed, 0xbf, 0xbf]),
      Buffer.from('"}'),
    ]);
    expectFieldError(await postBytes(cesu), 'body', 'invalid_encoding');
    expect(await gateway.prisma.customer.count()).toBe(before);
  });

  it('a body nested 4,000 levels deep (24 KB) is refused at parse time', async () => {
    const deep = `{"metadata":${'{"a":'.repeat(4_000)}1${'}'.repeat(4_000)}}`;
    expect(deep.length).toBeLessThan(30_000);
    const res = await postRaw('/v1/customers', deep);
    expect(res.status).toBe(400);
    expect(res.body.errors).toEqual([expect.objectContaining({ code: 'too_deep' })]);
    // The limit is on depth, not on size: a body at the limit is still read.
    const atLimit = `{"metadata":${'{"a":'.repeat(30)}"x"${'}'.repeat(30)}}`;
    expectFieldError(await postRaw('/v1/customers', atLimit), 'metadata', 'invalid_metadata');
  });

  it.each([
    ['__proto__', '{"__proto__":{"enabled":false},"providers":[]}', '__proto__'],
    ['constructor', '{"constructor":{"x":1},"providers":[]}', 'constructor'],
    [
      '__proto__ nested',
      '{"address":{"country":"US","__proto__":{"x":1}},"providers":[]}',
      'address.__proto__',
    ],
    [
      'prototype nested',
      '{"providers":[{"provider":"digital-river","prototype":"x"}]}',
      'providers.0.prototype',
    ],
    ['constructor in metadata', '{"metadata":{"constructor":"x"},"providers":[]}', 'metadata.constructor'],
  ])('%s as a key is refused as an unknown field', async (_what, text, field) => {
    const before = await gateway.prisma.customer.count();
    expectFieldError(await postRaw('/v1/customers', text), field, 'unknown_field');
    expect(await gateway.prisma.customer.count()).toBe(before);
  });

  it.each([
    [`/v1/customers/{id}/calls?limit=abc`],
    [`/v1/customers/{id}/calls?limit=1e3`],
    [`/v1/customers/{id}/calls?limit=-1`],
    [`/v1/customers/{id}/calls?limit=0`],
    [`/v1/customers/{id}/calls?limit=501`],
    [`/v1/customers?limit=1e1`],
    [`/v1/customers?limit=0x10`],
    [`/v1/customers?limit=%205`],
    [`/v1/customers?limit=5&limit=6`],
    [`/v1/migrations?limit=2.0`],
    [`/v1/migrations/mig_x/items?after=1e3`],
  ])('a malformed number is refused: %s', async (path) => {
    const res = await request(gateway.url).get(path.replace('{id}', customerId)).set(auth);
    expect(res.status).toBe(400);
    expect(res.body.code).toBe('validation_failed');
    expect(res.body.errors[0].field).toMatch(/^(limit|after)$/);
  });

  it('reconcile choices are validated with the body, before the handler runs', async () => {
    for (const fields of [{ nickname: 'push' }, { phone: 'merge' }, { __proto__: null, email: 1 }]) {
      const res = await request(gateway.url)
        .post(`/v1/customers/${customerId}/reconcile`)
        .set(auth)
        .send({ strategy: 'push', fields });
      expectFieldError(res, 'fields', 'not_allowed');
    }
  });

  it('a well-formed limit still works', async () => {
    const res = await request(gateway.url).get(`/v1/customers/${customerId}/calls?limit=5`).set(auth);
    expect(res.status).toBe(200);
  });

  it('does not announce Express', async () => {
    const res = await request(gateway.url).get('/health');
    expect(res.headers['x-powered-by']).toBeUndefined();
  });

  it("Node's own refusals are problem+json: bad header (400), headers too large (431)", async () => {
    const nul = parseRaw(
      await rawExchange(gateway.url, ['GET /health HTTP/1.1\r\nHost: x\r\nX-A: a\u0000b\r\n\r\n']),
    );
    expect(nul.status).toBe(400);
    expect(nul.contentType).toMatch(/^application\/problem\+json/);
    expect(nul.body).toMatchObject({ status: 400, code: 'malformed_request', requestId: expect.any(String) });

    const big = parseRaw(
      await rawExchange(gateway.url, [
        `GET /health HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(8_000)}\r\n\r\n`,
      ]),
    );
    expect(big.status).toBe(431);
    expect(big.contentType).toMatch(/^application\/problem\+json/);
    expect(big.body).toMatchObject({ status: 431, code: 'headers_too_large' });
  });

  it('a slow body is cut off with a 408 problem+json after REQUEST_TIMEOUT_MS, not minutes', async () => {
    const started = Date.now();
    const answer = await rawExchange(gateway.url, [
      `POST /v1/customers HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${KEYS.admin}\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"giv`,
    ]);
    const slow = parseRaw(answer);
    expect(slow.status).toBe(408);
    expect(slow.body).toMatchObject({ status: 408, code: 'request_timeout' });
    // Generous: the configured 400 ms plus Node's check interval, far below its 300 s default.
    expect(Date.now() - started).toBeLessThan(20_000);
  });
});
