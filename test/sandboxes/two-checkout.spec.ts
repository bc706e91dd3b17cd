import {
  avangateHash,
  formatAvangateDate,
  signAvangateAuthentication,
  startTwoCheckoutSandbox,
  type RunningTwoCheckoutSandbox,
} from '@app/sandboxes';
import { createHmac } from 'node:crypto';
import { http, type HttpInit } from './http';

const customer = (overrides: Record<string, unknown> = {}) => ({
  ExternalCustomerReference: 'EXT-1',
  FirstName: 'John',
  LastName: 'Doe',
  Company: 'Acme',
  FiscalCode: 'RO123456',
  Address1: '1 Main St',
  Address2: 'Suite 2',
  City: 'Atlanta',
  State: 'Georgia',
  Zip: '30301',
  CountryCode: 'US',
  Phone: '021-000-111',
  Fax: '021-000-000',
  Email: 'john@example.com',
  Language: 'EN',
  ...overrides,
});

describe('2Checkout sandbox: X-Avangate-Authentication', () => {
  describe('HMAC test vectors (docs/providers/two-checkout.md#authentication)', () => {
    it.each([
      ['AVANGATE', '2010-05-13 12:12:12', 'SECRET_KEY', 'md5', 'bf763db7d333e9c3038698cf59ada3e6'],
      [
        'AVANGATE',
        '2010-05-13 12:12:12',
        'SECRET_KEY',
        'sha256',
        '29e85dbf92ce0113e7755c31c0438a7db98a4de9f910bf0a527e005f35e43739',
      ],
      [
        'AVANGATE',
        '2010-05-13 12:12:12',
        'SECRET_KEY',
        'sha3-256',
        '0c7e9c0c96148e5bf8e199a0a0e27977edc099ff0b27794e761853b96e04c7fb',
      ],
      [
        'YOURCODE123',
        '2020-06-18 08:05:46',
        'YOUR_SECRET_KEY',
        'sha256',
        'c8d30e4c86238e1ad1f025b2b117d2fd304a76081b3187135d0fd35498a044f1',
      ],
      [
        'YOURCODE123',
        '2020-06-18 08:05:46',
        'YOUR_SECRET_KEY',
        'sha3-256',
        '06ff92a319a49bc2980cfc12587c36396dac88d2f9c6f698e1d5ccb2de37b99c',
      ],
    ] as const)('%s %s %s %s', (code, date, key, algo, expected) => {
      expect(avangateHash(code, key, date, algo)).toBe(expected);
    });

    it('prefixes UTF-8 byte lengths, not character counts', () => {
      const expected = createHmac('sha256', 'k').update('5CAFÉ192020-06-18 08:05:46').digest('hex');
      expect(avangateHash('CAFÉ', 'k', '2020-06-18 08:05:46', 'sha256')).toBe(expected);
    });

    it('signs headers in the documented format; md5 omits algo', () => {
      const date = new Date(Date.UTC(2020, 5, 18, 8, 5, 46));
      expect(formatAvangateDate(date)).toBe('2020-06-18 08:05:46');
      expect(signAvangateAuthentication({ code: 'YOURCODE123', secretKey: 'YOUR_SECRET_KEY', date })).toBe(
        'code="YOURCODE123" date="2020-06-18 08:05:46" hash="c8d30e4c86238e1ad1f025b2b117d2fd304a76081b3187135d0fd35498a044f1" algo="sha256"',
      );
      expect(
        signAvangateAuthentication({
          code: 'AVANGATE',
          secretKey: 'SECRET_KEY',
          date: '2010-05-13 12:12:12',
          algo: 'md5',
        }),
      ).toBe('code="AVANGATE" date="2010-05-13 12:12:12" hash="bf763db7d333e9c3038698cf59ada3e6"');
    });
  });

  describe('over HTTP', () => {
    let tco: RunningTwoCheckoutSandbox;
    let strict: RunningTwoCheckoutSandbox;
    const get = (sandbox: RunningTwoCheckoutSandbox, header?: string) =>
      http(`${sandbox.url}/customers/1/`, {
        headers: header === undefined ? {} : { 'X-Avangate-Authentication': header },
      });
    const sign = (
      sandbox: RunningTwoCheckoutSandbox,
      extra: { date?: Date | string; algo?: 'sha256' | 'sha3-256' | 'md5' } = {},
    ) => signAvangateAuthentication({ code: sandbox.merchantCode, secretKey: sandbox.secretKey, ...extra });
    /** 404 means "authenticated, customer 1 does not exist". */
    const AUTHENTICATED = 404;

    beforeAll(async () => {
      tco = await startTwoCheckoutSandbox();
      strict = await startTwoCheckoutSandbox({
        allowMd5: false,
        skewSeconds: 30,
        merchantCode: 'STRICT',
        secretKey: 'strict-key',
      });
    });
    afterAll(async () => {
      await tco.close();
      await strict.close();
    });

    it('accepts sha256 and sha3-256', async () => {
      expect((await get(tco, sign(tco))).status).toBe(AUTHENTICATED);
      expect((await get(tco, sign(tco, { algo: 'sha3-256' }))).status).toBe(AUTHENTICATED);
    });

    it('accepts single quotes and a missing space before algo, as the official SDKs send them', async () => {
      const header = sign(tco);
      expect((await get(tco, header.replace(/"/g, "'"))).status).toBe(AUTHENTICATED);
      expect((await get(tco, header.replace('" algo=', '"algo='))).status).toBe(AUTHENTICATED);
      expect((await get(tco, header.replace(/"/g, "'").replace("' algo=", "'algo="))).status).toBe(
        AUTHENTICATED,
      );
    });

    it('accepts md5 when algo is absent, unless md5 is switched off', async () => {
      expect((await get(tco, sign(tco, { algo: 'md5' }))).status).toBe(AUTHENTICATED);
      const res = await get(strict, sign(strict, { algo: 'md5' }));
      expect(res.status).toBe(401);
      expect(res.body).toEqual({
        error_code: 'AUTHENTICATION_ERROR',
        message: expect.stringContaining('MD5'),
      });
      expect((await get(strict, sign(strict))).status).toBe(AUTHENTICATED);
    });

    it('enforces the skew window on both sides (default 10 minutes, configurable)', async () => {
      const minutes = (m: number) => new Date(Date.now() + m * 60_000);
      expect((await get(tco, sign(tco, { date: minutes(-9) }))).status).toBe(AUTHENTICATED);
      expect((await get(tco, sign(tco, { date: minutes(9) }))).status).toBe(AUTHENTICATED);
      expect((await get(tco, sign(tco, { date: minutes(-11) }))).status).toBe(401);
      expect((await get(tco, sign(tco, { date: minutes(11) }))).status).toBe(401);
      expect((await get(strict, sign(strict, { date: minutes(-1) }))).status).toBe(401);
    });

    it('refuses every other failure with 401 AUTHENTICATION_ERROR', async () => {
      const good = sign(tco);
      const bad = [
        undefined,
        '',
        'garbage',
        good.replace(/hash="[0-9a-f]+"/, `hash="${'0'.repeat(64)}"`),
        good.replace(`code="${tco.merchantCode}"`, 'code="OTHER"'),
        good.replace('algo="sha256"', 'algo="sha512"'),
        signAvangateAuthentication({ code: tco.merchantCode, secretKey: 'wrong', algo: 'sha256' }),
        signAvangateAuthentication({
          code: tco.merchantCode,
          secretKey: tco.secretKey,
          date: new Date().toISOString(),
        }),
        signAvangateAuthentication({
          code: tco.merchantCode,
          secretKey: tco.secretKey,
          date: '2020-13-45 10:00:00',
        }),
        signAvangateAuthentication({
          code: tco.merchantCode,
          secretKey: tco.secretKey,
          date: '2021-02-29 10:00:00',
        }),
        // Signed as sha3-256 but labelled sha256.
        sign(tco, { algo: 'sha3-256' }).replace('sha3-256', 'sha256'),
      ];
      for (const header of bad) {
        const res = await get(tco, header);
        expect(res.status).toBe(401);
        expect(res.body).toEqual({ error_code: 'AUTHENTICATION_ERROR', message: expect.any(String) });
      }
    });
  });
});

describe('2Checkout sandbox: customers (REST 6.0 over HTTP)', () => {
  let tco: RunningTwoCheckoutSandbox;
  const api = (path: string, init: HttpInit = {}) =>
    http(tco.url + path, {
      ...init,
      headers: {
        'X-Avangate-Authentication': signAvangateAuthentication({
          code: tco.merchantCode,
          secretKey: tco.secretKey,
        }),
        ...init.headers,
      },
    });
  const create = (json: unknown) => api('/customers/', { method: 'POST', json });

  beforeAll(async () => {
    tco = await startTwoCheckoutSandbox();
  });
  afterAll(() => tco.close());
  beforeEach(() => tco.admin.reset());

  it('creates: 200 with the bare numeric reference as JSON', async () => {
    const res = await create(customer());
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('application/json');
    expect(res.text).toMatch(/^\d+$/);
    expect(typeof res.body).toBe('number');
    expect((await create(customer({ ExternalCustomerReference: 'EXT-2' }))).body).toBe(res.body + 1);
  });

  it('reads by internal reference and by ExternalCustomerReference, in the recorded response shape', async () => {
    const ref = (await create(customer())).body as number;
    const byRef = await api(`/customers/${ref}/`);
    expect(byRef.status).toBe(200);
    expect(byRef.body).toEqual({
      AvangateCustomerReference: String(ref),
      CustomerReference: String(ref),
      ExternalCustomerReference: 'EXT-1',
      FirstName: 'John',
      LastName: 'Doe',
      Company: 'Acme',
      FiscalCode: 'RO123456',
      Address1: '1 Main St',
      Address2: 'Suite 2',
      City: 'Atlanta',
      State: 'Georgia',
      Zip: '30301',
      CountryCode: 'us',
      Phone: '021-000-111',
      Fax: '021-000-000',
      Email: 'john@example.com',
      ExistingCards: [],
      Enabled: false,
      Trial: false,
      Language: 'en',
      // REST 6.0's CustomerInformation adds the credit line the 3.0 recording predates.
      Credit: null,
    });
    expect((await api('/customers/EXT-1/')).body).toEqual(byRef.body);
    expect((await api(`/customers/${ref}/?includePaymentData=false`)).status).toBe(200);
  });

  it('returns null for fields never sent and "" for an absent Language', async () => {
    const ref = (
      await create(
        customer({
          ExternalCustomerReference: undefined,
          Company: undefined,
          FiscalCode: undefined,
          Language: undefined,
        }),
      )
    ).body;
    const body = (await api(`/customers/${ref}/`)).body;
    expect(body).toMatchObject({
      ExternalCustomerReference: null,
      Company: null,
      FiscalCode: null,
      Language: '',
    });
  });

  it('makes the trailing slash optional', async () => {
    const ref = (await api('/customers', { method: 'POST', json: customer() })).body;
    expect((await api(`/customers/${ref}`)).status).toBe(200);
    expect((await api(`/customers/${ref}/`)).status).toBe(200);
  });

  it('answers 404 NOT_FOUND in {error_code, message} for unknown references', async () => {
    for (const ref of ['999999999', 'NO-SUCH-EXT']) {
      const res = await api(`/customers/${ref}/`);
      expect(res.status).toBe(404);
      expect(res.body).toEqual({ error_code: 'NOT_FOUND', message: expect.any(String) });
    }
  });

  it.each(['FirstName', 'LastName', 'Address1', 'City', 'Zip', 'CountryCode', 'Email'])(
    'requires %s',
    async (field) => {
      for (const value of [undefined, null, '']) {
        const res = await create(customer({ [field]: value }));
        expect(res.status).toBe(400);
        expect(res.body).toEqual({ error_code: 'MISSING_FIELD', message: `${field} is required.` });
      }
    },
  );

  it('validates CountryCode, Language, Email and field types', async () => {
    expect((await create(customer({ CountryCode: 'USA' }))).body.error_code).toBe('INVALID_COUNTRY_CODE');
    expect((await create(customer({ Language: 'eng' }))).body.error_code).toBe('INVALID_LANGUAGE');
    expect((await create(customer({ Language: 'en-US' }))).body.error_code).toBe('INVALID_LANGUAGE');
    expect((await create(customer({ Email: 'nope' }))).body.error_code).toBe('INVALID_EMAIL');
    expect((await create(customer({ Zip: 30301 }))).body.error_code).toBe('INVALID_FIELD');
    expect((await api('/customers/', { method: 'POST', raw: '{"FirstName":' })).body.error_code).toBe(
      'BAD_REQUEST',
    );
  });

  it('requires Company when FiscalCode is set', async () => {
    const res = await create(customer({ Company: undefined }));
    expect(res.status).toBe(400);
    expect(res.body.error_code).toBe('FISCAL_CODE_REQUIRES_COMPANY');
  });

  it('rejects a duplicate ExternalCustomerReference', async () => {
    await create(customer());
    const res = await create(customer({ Email: 'other@example.com' }));
    expect(res.status).toBe(400);
    expect(res.body.error_code).toBe('DUPLICATE_EXTERNAL_CUSTOMER_REFERENCE');
    expect(tco.admin.dump()).toHaveLength(1);
  });

  it('PUT replaces the whole object: fields not sent become null', async () => {
    const ref = (await create(customer())).body;
    const res = await api(`/customers/${ref}/`, {
      method: 'PUT',
      json: {
        FirstName: 'Jane',
        LastName: 'Roe',
        Address1: '2 Side St',
        City: 'Boston',
        Zip: '02101',
        CountryCode: 'us',
        Email: 'jane@example.com',
      },
    });
    expect(res.status).toBe(200);
    expect(res.body).toBe(true);
    const body = (await api(`/customers/${ref}/`)).body;
    expect(body).toMatchObject({
      FirstName: 'Jane',
      CountryCode: 'us',
      ExternalCustomerReference: null,
      Company: null,
      Phone: null,
      Language: '',
    });
    // The external reference was cleared, so it is free again.
    expect((await create(customer())).status).toBe(200);
  });

  it('PUT enforces required fields and external-reference uniqueness, and addresses the internal reference only', async () => {
    const ref = (await create(customer())).body;
    await create(customer({ ExternalCustomerReference: 'EXT-2' }));
    expect(
      (await api(`/customers/${ref}/`, { method: 'PUT', json: customer({ City: '' }) })).body.error_code,
    ).toBe('MISSING_FIELD');
    const dup = await api(`/customers/${ref}/`, {
      method: 'PUT',
      json: customer({ ExternalCustomerReference: 'EXT-2' }),
    });
    expect(dup.body.error_code).toBe('DUPLICATE_EXTERNAL_CUSTOMER_REFERENCE');
    expect((await api(`/customers/${ref}/`, { method: 'PUT', json: customer() })).status).toBe(200);
    expect((await api('/customers/EXT-1/', { method: 'PUT', json: customer() })).status).toBe(404);
    expect((await api('/customers/999999999/', { method: 'PUT', json: customer() })).status).toBe(404);
  });

  it('has no customer delete (405 with Allow) and no list (405 with Allow: POST)', async () => {
    const ref = (await create(customer())).body;
    const res = await api(`/customers/${ref}/`, { method: 'DELETE' });
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('HEAD, GET, PUT');
    expect(res.body).toEqual({ error_code: 'METHOD_NOT_ALLOWED', message: expect.any(String) });
    const list = await api('/customers/');
    expect(list.status).toBe(405);
    expect(list.headers.get('allow')).toBe('POST');
    expect((await api(`/customers/${ref}/`)).status).toBe(200);
  });

  it('deletes a saved credit card by transient token', async () => {
    const ref = (await create(customer())).body;
    const token = (await http(`${tco.origin}/__admin/customers/${ref}/cards`, { method: 'POST' })).body.token;
    const res = await api(`/customers/EXT-1/credit-card/${token}`, { method: 'DELETE' });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ Deleted: true });
    const again = await api(`/customers/${ref}/credit-card/${token}`, { method: 'DELETE' });
    expect(again.status).toBe(400);
    expect(again.body).toEqual({
      Deleted: false,
      Errors: [{ SubscriptionReference: null, Message: expect.any(String), ErrorCode: 'CARD_NOT_FOUND' }],
    });
    expect((await api(`/customers/NOPE/credit-card/${token}`, { method: 'DELETE' })).status).toBe(404);
  });

  it('keeps Enabled false until a subscription exists, and ignores Enabled/Trial on writes', async () => {
    const ref = (await create(customer({ Enabled: true, Trial: true }))).body;
    expect((await api(`/customers/${ref}/`)).body).toMatchObject({ Enabled: false, Trial: false });
    await http(`${tco.origin}/__admin/customers/${ref}/subscriptions`, {
      method: 'POST',
      json: { trial: true },
    });
    expect((await api(`/customers/${ref}/`)).body).toMatchObject({ Enabled: true, Trial: true });
    await api(`/customers/${ref}/`, { method: 'PUT', json: customer({ Enabled: false }) });
    expect((await api(`/customers/${ref}/`)).body.Enabled).toBe(true);
  });

  it('applies a configurable rate limit with 429 and Retry-After', async () => {
    const limited = await startTwoCheckoutSandbox({ rateLimitPerSecond: 3 });
    try {
      const header = signAvangateAuthentication({ code: limited.merchantCode, secretKey: limited.secretKey });
      const results = await Promise.all(
        Array.from({ length: 6 }, () =>
          http(`${limited.url}/customers/1/`, { headers: { 'X-Avangate-Authentication': header } }),
        ),
      );
      const rejected = results.filter((r) => r.status === 429);
      expect(rejected).toHaveLength(3);
      expect(rejected[0]?.body).toEqual({ error_code: 'TOO_MANY_REQUESTS', message: expect.any(String) });
      expect(rejected[0]?.headers.get('retry-after')).toMatch(/^[1-9]\d*$/);
    } finally {
      await limited.close();
    }
  });

  it('seeds, dumps and modifies out-of-band through the admin API', async () => {
    const refs = tco.admin.seed(3);
    expect(refs).toEqual(['100000001', '100000002', '100000003']);
    const seeded = (await api(`/customers/${refs[0]}/`)).body;
    expect(seeded).toMatchObject({ CountryCode: 'us', Language: 'en', ExternalCustomerReference: 'SEED1' });
    const patched = await http(`${tco.origin}/__admin/customers/SEED2`, {
      method: 'PATCH',
      json: { Email: 'drift@example.com' },
    });
    expect(patched.body.Email).toBe('drift@example.com');
    expect((await api(`/customers/${refs[1]}/`)).body.Email).toBe('drift@example.com');
    expect((await http(`${tco.origin}/__admin/customers`)).body).toHaveLength(3);
    expect((await http(`${tco.origin}/__admin/customers/${refs[2]}`, { method: 'DELETE' })).status).toBe(204);
    expect((await api(`/customers/${refs[2]}/`)).status).toBe(404);
  });
});
