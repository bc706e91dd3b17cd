import { startDigitalRiverSandbox, type RunningDigitalRiverSandbox } from '@app/sandboxes';
import { http, type HttpInit } from './http';

const LIVE_KEY = 'sk_5ad0live0000000000000000000000';

describe('Digital River sandbox (conformance over HTTP)', () => {
  let dr: RunningDigitalRiverSandbox;
  const api = (path: string, init: HttpInit = {}) =>
    http(dr.url + path, { ...init, headers: { authorization: `Bearer ${dr.secretKey}`, ...init.headers } });
  const create = (json: unknown) => api('/customers', { method: 'POST', json });

  beforeAll(async () => {
    dr = await startDigitalRiverSandbox({
      secretKeys: ['sk_test_conformance0000000000000000', LIVE_KEY],
      rateLimitPerSecond: 0,
      liveRateLimitPerSecond: 0,
    });
  });
  afterAll(() => dr.close());
  beforeEach(() => dr.admin.reset());

  describe('authentication and headers', () => {
    it('answers 401 in DR error shape without a key, with a bad key or a non-Bearer scheme', async () => {
      for (const authorization of [undefined, 'Bearer sk_test_nope', `Basic ${dr.secretKey}`]) {
        const res = await http(`${dr.url}/customers`, { headers: authorization ? { authorization } : {} });
        expect(res.status).toBe(401);
        expect(res.body).toEqual({
          type: 'unauthorized',
          errors: [{ code: 'unauthorized', message: expect.any(String) }],
        });
        expect(res.headers.get('x-dr-requestid')).toBeTruthy();
      }
    });

    it('only accepts configured keys, so a well-formed but unknown key is refused', async () => {
      const res = await http(`${dr.url}/customers`, {
        headers: { authorization: 'Bearer sk_test_wellformedbutunknown' },
      });
      expect(res.status).toBe(401);
    });

    it('sets liveMode from the key and keeps test and live data apart', async () => {
      const test = await create({ id: 'mode-test' });
      expect(test.body.liveMode).toBe(false);
      const live = await api('/customers', {
        method: 'POST',
        json: { id: 'mode-live' },
        headers: { authorization: `Bearer ${LIVE_KEY}` },
      });
      expect(live.status).toBe(201);
      expect(live.body.liveMode).toBe(true);
      expect(
        (await api('/customers/mode-test', { headers: { authorization: `Bearer ${LIVE_KEY}` } })).status,
      ).toBe(404);
    });

    it('accepts DigitalRiver-Version and gives every response its own x-dr-requestid', async () => {
      const a = await api('/customers', { headers: { 'DigitalRiver-Version': '2021-12-13' } });
      const b = await api('/customers/missing');
      expect(a.status).toBe(200);
      expect(b.status).toBe(404);
      expect(a.headers.get('x-dr-requestid')).toMatch(/\S{8,}/);
      expect(a.headers.get('x-dr-requestid')).not.toBe(b.headers.get('x-dr-requestid'));
    });
  });

  describe('customers', () => {
    it('creates with the caller id: 201, defaults, ISO-8601 UTC timestamps with milliseconds', async () => {
      const res = await create({
        id: '5823594806',
        email: 'jsmith@digitalriver.com',
        shipping: {
          name: 'John Smith',
          organization: 'Digital River',
          address: {
            line1: '10380 Bren Rd W',
            city: 'Minnetonka',
            postalCode: '55129',
            state: 'MN',
            country: 'US',
          },
        },
        metadata: { coupon: 'iOS' },
        locale: 'en_US',
      });
      expect(res.status).toBe(201);
      expect(res.body).toMatchObject({
        id: '5823594806',
        email: 'jsmith@digitalriver.com',
        shipping: { name: 'John Smith', address: { country: 'US' } },
        metadata: { coupon: 'iOS' },
        locale: 'en_US',
        type: 'individual',
        enabled: true,
        requestToBeForgotten: false,
        liveMode: false,
      });
      expect(res.body.createdTime).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
      expect(res.body.updatedTime).toBe(res.body.createdTime);
    });

    it('generates an id when none is sent', async () => {
      const res = await create({ email: 'a@example.com' });
      expect(res.status).toBe(201);
      expect(typeof res.body.id).toBe('string');
      expect((await api(`/customers/${res.body.id}`)).body.email).toBe('a@example.com');
    });

    it('rejects an id over 40 characters with 400 invalid_parameter, accepts exactly 40', async () => {
      expect((await create({ id: 'x'.repeat(40) })).status).toBe(201);
      const res = await create({ id: 'y'.repeat(41) });
      expect(res.status).toBe(400);
      expect(res.body).toEqual({
        type: 'bad_request',
        errors: [{ code: 'invalid_parameter', parameter: 'id', message: expect.any(String) }],
      });
    });

    it('answers 409 already_exists for a duplicate id', async () => {
      await create({ id: 'dup' });
      const res = await create({ id: 'dup' });
      expect(res.status).toBe(409);
      expect(res.body.type).toBe('conflict');
      expect(res.body.errors[0]).toMatchObject({ code: 'already_exists', parameter: 'id' });
    });

    it('reads by id (URL-encoded opaque ids too) and answers 404 not_found for unknown ids', async () => {
      await create({ id: 'a b/c' });
      expect((await api(`/customers/${encodeURIComponent('a b/c')}`)).body.id).toBe('a b/c');
      const res = await api('/customers/nobody');
      expect(res.status).toBe(404);
      expect(res.body).toEqual({
        type: 'not_found',
        errors: [{ code: 'not_found', parameter: 'id', message: expect.any(String) }],
      });
    });

    it('updates partially with POST: metadata merged, "" deletes a key, other fields kept', async () => {
      const created = await create({
        id: 'u1',
        email: 'old@example.com',
        metadata: { a: '1', b: '2' },
        locale: 'de_DE',
      });
      await new Promise((resolve) => setTimeout(resolve, 5));
      const res = await api('/customers/u1', {
        method: 'POST',
        json: { metadata: { b: '', c: '3' }, type: 'business' },
      });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({
        email: 'old@example.com',
        locale: 'de_DE',
        type: 'business',
        metadata: { a: '1', c: '3' },
      });
      expect(res.body.metadata).not.toHaveProperty('b');
      expect(Date.parse(res.body.updatedTime)).toBeGreaterThan(Date.parse(created.body.updatedTime));
      expect(res.body.createdTime).toBe(created.body.createdTime);
    });

    it('records requestToBeForgotten and refuses to withdraw it', async () => {
      await create({ id: 'gdpr' });
      expect(
        (await api('/customers/gdpr', { method: 'POST', json: { requestToBeForgotten: true } })).body
          .requestToBeForgotten,
      ).toBe(true);
      const res = await api('/customers/gdpr', { method: 'POST', json: { requestToBeForgotten: false } });
      expect(res.status).toBe(400);
      expect(res.body.errors[0].code).toBe('restricted_update');
    });

    it('erases a forgotten customer asynchronously: on the second read after the request, or after a delay', async () => {
      await create({ id: 'erase-me', email: 'erase@example.test', shipping: { name: 'Erase Me', address: { line1: '1 Main St', country: 'US' } }, metadata: { k: 'v' } });
      const asked = await api('/customers/erase-me', { method: 'POST', json: { requestToBeForgotten: true } });
      expect(asked.body).toMatchObject({ requestToBeForgotten: true, email: 'erase@example.test' });
      expect((await api('/customers/erase-me')).body.email).toBe('erase@example.test');
      const erased = (await api('/customers/erase-me')).body;
      expect(erased).toMatchObject({ id: 'erase-me', requestToBeForgotten: true });
      expect(erased).not.toHaveProperty('email');
      expect(erased).not.toHaveProperty('shipping');
      expect(erased).not.toHaveProperty('metadata');

      const timed = await startDigitalRiverSandbox({ rateLimitPerSecond: 0, forgetErasure: { afterReads: 1_000, afterMs: 0 } });
      try {
        const call = (path: string, json?: unknown) => http(timed.url + path, { method: json ? 'POST' : 'GET', ...(json ? { json } : {}), headers: { authorization: `Bearer ${timed.secretKey}` } });
        await call('/customers', { id: 'timed', email: 'timed@example.test' });
        await call('/customers/timed', { requestToBeForgotten: true });
        expect((await call('/customers/timed')).body).not.toHaveProperty('email');
      } finally {
        await timed.close();
      }
    }); // prettier-ignore

    it('accepts a JSON content type with an empty body where an endpoint takes none', async () => {
      await create({ id: 'empty-body' });
      const source = dr.admin.createSource();
      const res = await api(`/customers/empty-body/sources/${source.id}`, { method: 'POST', headers: { 'content-type': 'application/json' } });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ id: source.id, customerId: 'empty-body', owner: expect.objectContaining({ email: expect.any(String) }) });
    }); // prettier-ignore

    it('rejects id on update (not an UpdateCustomerRequest field) and 404s unknown customers', async () => {
      await create({ id: 'u2' });
      expect(
        (await api('/customers/u2', { method: 'POST', json: { id: 'other' } })).body.errors[0],
      ).toMatchObject({
        code: 'unknown_parameter',
        parameter: 'id',
      });
      expect((await api('/customers/ghost', { method: 'POST', json: {} })).status).toBe(404);
    });

    it('deletes with 204 and no body, then 404', async () => {
      await create({ id: 'gone' });
      const res = await api('/customers/gone', { method: 'DELETE' });
      expect(res.status).toBe(204);
      expect(res.text).toBe('');
      expect((await api('/customers/gone')).status).toBe(404);
      expect((await api('/customers/gone', { method: 'DELETE' })).status).toBe(404);
    });
  });

  describe('validation', () => {
    type ErrorBody = { type: string; errors: { code: string; parameter: string }[] };
    const firstError = async (json: unknown) => (await create(json)).body as ErrorBody;

    it('reports unknown parameters, including nested ones', async () => {
      const body = await firstError({ nickname: 'x', shipping: { colour: 'red' } });
      expect(body.type).toBe('bad_request');
      expect(body.errors.map((e) => [e.code, e.parameter])).toEqual([
        ['unknown_parameter', 'nickname'],
        ['unknown_parameter', 'shipping.colour'],
      ]);
    });

    it('rejects bad emails with email_invalid (top level and shipping)', async () => {
      const body = await firstError({ email: 'not-an-email', shipping: { email: 'x@' } });
      expect(body.errors).toEqual([
        { code: 'email_invalid', parameter: 'email', message: expect.any(String) },
        { code: 'email_invalid', parameter: 'shipping.email', message: expect.any(String) },
      ]);
    });

    it('enforces metadata limits: 20 keys, 40-char keys, 500-char values', async () => {
      const many = Object.fromEntries(Array.from({ length: 21 }, (_, i) => [`k${i}`, 'v']));
      expect((await firstError({ metadata: many })).errors[0]?.code).toBe('too_many_metadata_pairs');
      expect((await firstError({ metadata: { ['k'.repeat(41)]: 'v' } })).errors[0]?.code).toBe(
        'invalid_metadata_key',
      );
      expect((await firstError({ metadata: { k: 'v'.repeat(501) } })).errors[0]?.code).toBe(
        'invalid_metadata_value',
      );
      expect(
        (await create({ metadata: { ['k'.repeat(40)]: 'v'.repeat(500), nested: { ok: [1, true] } } })).status,
      ).toBe(201);
    });

    it('counts metadata keys after an update merge', async () => {
      await create({
        id: 'm',
        metadata: Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`k${i}`, 'v'])),
      });
      const res = await api('/customers/m', { method: 'POST', json: { metadata: { extra: 'v' } } });
      expect(res.body.errors[0]?.code).toBe('too_many_metadata_pairs');
      expect(
        (await api('/customers/m', { method: 'POST', json: { metadata: { k0: '', extra: 'v' } } })).status,
      ).toBe(200);
    });

    it('accepts only the documented locales and type values', async () => {
      expect((await firstError({ locale: 'en_GB' })).errors[0]).toMatchObject({
        code: 'invalid_parameter',
        parameter: 'locale',
      });
      expect((await firstError({ locale: 'en-US' })).errors[0]?.parameter).toBe('locale');
      expect((await firstError({ type: 'company' })).errors[0]).toMatchObject({
        code: 'invalid_parameter',
        parameter: 'type',
      });
      expect((await create({ locale: 'zh_TW', type: 'business' })).status).toBe(201);
    });

    it('requires a country when an address is sent', async () => {
      const body = await firstError({ shipping: { address: { line1: 'x', city: 'y' } } });
      expect(body.errors).toEqual([
        { code: 'missing_parameter', parameter: 'shipping.address.country', message: expect.any(String) },
      ]);
    });

    it('checks booleans, strings and empty ids', async () => {
      const body = await firstError({ id: '', enabled: 'yes', email: 42 });
      expect(body.errors.map((e) => e.code).sort()).toEqual([
        'invalid_boolean',
        'invalid_parameter',
        'invalid_string_empty',
      ]);
    });

    it('answers malformed JSON in the DR error shape', async () => {
      const res = await api('/customers', { method: 'POST', raw: '{"id": ' });
      expect(res.status).toBe(400);
      expect(res.body.type).toBe('bad_request');
      expect(res.body.errors[0].code).toBe('invalid_parameter');
    });
  });

  describe('list', () => {
    const ids = (res: { body: { data: { id: string }[] } }) => res.body.data.map((c) => c.id);

    beforeEach(async () => {
      for (let i = 1; i <= 15; i++) {
        await create({ id: `c${i}`, email: i % 5 === 0 ? 'five@example.com' : `c${i}@example.com` });
      }
    });

    it('returns newest first, 10 by default, with hasMore', async () => {
      const res = await api('/customers');
      expect(res.status).toBe(200);
      expect(ids(res)).toEqual(['c15', 'c14', 'c13', 'c12', 'c11', 'c10', 'c9', 'c8', 'c7', 'c6']);
      expect(res.body.hasMore).toBe(true);
    });

    it('validates limit 1-100', async () => {
      for (const limit of ['0', '101', 'abc', '1.5']) {
        const res = await api(`/customers?limit=${limit}`);
        expect(res.status).toBe(400);
        expect(res.body.errors[0]).toMatchObject({ code: 'invalid_parameter', parameter: 'limit' });
      }
      expect(ids(await api('/customers?limit=100'))).toHaveLength(15);
    });

    it('pages forward with startingAfter and back with endingBefore', async () => {
      const page1 = await api('/customers?limit=4');
      const page2 = await api('/customers?limit=4&startingAfter=c12');
      expect(ids(page2)).toEqual(['c11', 'c10', 'c9', 'c8']);
      expect(page2.body.hasMore).toBe(true);
      const last = await api('/customers?limit=4&startingAfter=c4');
      expect(ids(last)).toEqual(['c3', 'c2', 'c1']);
      expect(last.body.hasMore).toBe(false);
      const back = await api('/customers?limit=4&endingBefore=c11');
      expect(ids(back)).toEqual(ids(page1));
      expect(back.body.hasMore).toBe(false);
      const backMore = await api('/customers?limit=2&endingBefore=c11');
      expect(ids(backMore)).toEqual(['c13', 'c12']);
      expect(backMore.body.hasMore).toBe(true);
    });

    it('uses only endingBefore when both cursors are sent', async () => {
      expect(ids(await api('/customers?limit=2&startingAfter=c3&endingBefore=c10'))).toEqual(['c12', 'c11']);
    });

    it('keeps a cursor valid after its customer is deleted; rejects unknown cursors', async () => {
      await api('/customers/c8', { method: 'DELETE' });
      expect(ids(await api('/customers?limit=2&startingAfter=c8'))).toEqual(['c7', 'c6']);
      const res = await api('/customers?startingAfter=never-existed');
      expect(res.status).toBe(400);
      expect(res.body.errors[0]).toMatchObject({ code: 'invalid_parameter', parameter: 'startingAfter' });
    });

    it('filters by email, ids (repeated) and requestToBeForgotten', async () => {
      expect(ids(await api('/customers?email=five%40example.com'))).toEqual(['c15', 'c10', 'c5']);
      expect(ids(await api('/customers?ids=c2&ids=c9&ids=missing'))).toEqual(['c9', 'c2']);
      await api('/customers/c3', { method: 'POST', json: { requestToBeForgotten: true } });
      expect(ids(await api('/customers?requestToBeForgotten=true'))).toEqual(['c3']);
      expect(ids(await api('/customers?requestToBeForgotten=false&limit=100'))).toHaveLength(14);
      expect((await api('/customers?requestToBeForgotten=maybe')).body.errors[0].code).toBe(
        'invalid_boolean',
      );
    });

    it('filters by createdTime and updatedTime, plain and with [gt] [gte] [lt] [lte]', async () => {
      const c6 = dr.admin.dump().find((c) => c.id === 'c6');
      dr.admin.modifyCustomer('c6', { updatedTime: '2030-01-01T00:00:00.000Z' });
      expect(ids(await api('/customers?updatedTime=2030-01-01T00:00:00.000Z'))).toEqual(['c6']);
      expect(ids(await api('/customers?updatedTime[gte]=2030-01-01T00:00:00Z'))).toEqual(['c6']);
      expect(ids(await api('/customers?updatedTime[gt]=2030-01-01T00:00:00Z'))).toEqual([]);
      expect(ids(await api('/customers?updatedTime[lt]=2030-01-01T00:00:00Z&limit=100'))).toHaveLength(14);
      expect(ids(await api('/customers?updatedTime[lte]=2030-01-01T00:00:00Z&limit=100'))).toHaveLength(15);
      const createdTime = c6?.createdTime ?? '';
      expect(
        ids(await api(`/customers?createdTime[lte]=${createdTime}&createdTime[gte]=${createdTime}&ids=c6`)),
      ).toEqual(['c6']);
      expect(ids(await api('/customers?createdTime[lt]=2000-01-01T00:00:00Z'))).toEqual([]);
      expect((await api('/customers?createdTime[gt]=yesterday')).body.errors[0].parameter).toBe(
        'createdTime[gt]',
      );
    });

    it('rejects unknown query parameters', async () => {
      const res = await api('/customers?sort=asc');
      expect(res.status).toBe(400);
      expect(res.body.errors[0]).toMatchObject({ code: 'unknown_parameter', parameter: 'sort' });
    });

    it('pages through 100,000 seeded customers with deep cursors', async () => {
      const seeded = dr.admin.seed(100_000);
      const middle = seeded[50_000] ?? '';
      const res = await api(`/customers?limit=3&startingAfter=${middle}`);
      expect(ids(res)).toEqual([seeded[49_999], seeded[49_998], seeded[49_997]]);
      const back = await api(`/customers?limit=2&endingBefore=${middle}`);
      expect(ids(back)).toEqual([seeded[50_002], seeded[50_001]]);
    });
  });

  describe('sources', () => {
    it('attaches, shows, sets default, detaches (default cleared)', async () => {
      await create({ id: 's1' });
      const source = dr.admin.createSource();
      const attached = await api(`/customers/s1/sources/${source.id}`, { method: 'POST' });
      expect(attached.status).toBe(200);
      expect(attached.body).toMatchObject({ id: source.id, customerId: 's1', type: 'creditCard' });
      const updated = await api('/customers/s1', { method: 'POST', json: { defaultSourceId: source.id } });
      expect(updated.body.defaultSourceId).toBe(source.id);
      expect((updated.body.sources as { id: string }[]).map((s) => s.id)).toEqual([source.id]);
      expect((await api(`/customers/s1/sources/${source.id}`, { method: 'DELETE' })).status).toBe(204);
      const after = (await api('/customers/s1')).body;
      expect(after.defaultSourceId).toBeUndefined();
      expect(after.sources).toBeUndefined();
      expect(
        (await api(`/customers/s1/sources/${source.id}`, { method: 'DELETE' })).body.errors[0].code,
      ).toBe('source_not_found');
    });

    it('404s unknown sources and 409s a source attached to another customer', async () => {
      await create({ id: 's2' });
      await create({ id: 's3' });
      const unknown = await api('/customers/s2/sources/00000000-0000-0000-0000-000000000000', {
        method: 'POST',
      });
      expect(unknown.status).toBe(404);
      expect(unknown.body.errors[0].code).toBe('source_not_found');
      const source = (await http(`${dr.origin}/__admin/sources`, { method: 'POST', json: {} })).body;
      await api(`/customers/s2/sources/${source.id}`, { method: 'POST' });
      const conflict = await api(`/customers/s3/sources/${source.id}`, { method: 'POST' });
      expect(conflict.status).toBe(409);
      expect(conflict.body.type).toBe('conflict');
    });
  });

  describe('tax identifiers', () => {
    const newTaxId = async (type: string, value: string) =>
      (await api('/tax-identifiers', { method: 'POST', json: { type, value } })).body as {
        id: string;
        state: string;
      };

    it('creates (201, pending), reads, lists and validates', async () => {
      const res = await api('/tax-identifiers', {
        method: 'POST',
        json: { type: 'de', value: 'DE123456789' },
      });
      expect(res.status).toBe(201);
      expect(res.body).toMatchObject({ type: 'de', value: 'DE123456789', state: 'pending', liveMode: false });
      expect((await api(`/tax-identifiers/${res.body.id}`)).body.id).toBe(res.body.id);
      expect((await api('/tax-identifiers')).body).toEqual({
        hasMore: false,
        data: [expect.objectContaining({ id: res.body.id })],
      });
      const missing = await api('/tax-identifiers', { method: 'POST', json: { type: 'de' } });
      expect(missing.body.errors[0]).toMatchObject({ code: 'missing_parameter', parameter: 'value' });
      const notFound = await api('/tax-identifiers/nope');
      expect(notFound.body).toEqual({
        type: 'not_found',
        errors: [{ code: 'not_found', parameter: 'id', message: "Tax identifier 'nope' not found." }],
      });
    });

    it('attaches one per type per customer; 409 when attached elsewhere; delete detaches', async () => {
      await create({ id: 't1' });
      await create({ id: 't2' });
      const de = await newTaxId('de', 'DE123456789');
      const de2 = await newTaxId('de', 'DE987654321');
      const attached = await api(`/customers/t1/tax-identifiers/${de.id}`, { method: 'POST' });
      expect(attached.status).toBe(200);
      expect(attached.body.customerId).toBe('t1');
      expect((await api('/customers/t1')).body.taxIdentifiers).toEqual([
        expect.objectContaining({ id: de.id, type: 'de' }),
      ]);
      const sameType = await api(`/customers/t1/tax-identifiers/${de2.id}`, { method: 'POST' });
      expect(sameType.status).toBe(409);
      const elsewhere = await api(`/customers/t2/tax-identifiers/${de.id}`, { method: 'POST' });
      expect(elsewhere.status).toBe(409);
      expect(elsewhere.body.errors[0].code).toBe('customer_not_updateable');
      expect((await api(`/tax-identifiers/${de.id}`, { method: 'DELETE' })).status).toBe(204);
      expect((await api('/customers/t1')).body.taxIdentifiers).toBeUndefined();
      expect((await api(`/customers/t1/tax-identifiers/${de2.id}`, { method: 'POST' })).status).toBe(200);
    });
  });

  describe('rate limit', () => {
    it('allows 25 requests/s per test key by default, then 429 too_many_requests with Retry-After', async () => {
      const limited = await startDigitalRiverSandbox();
      try {
        const results = await Promise.all(
          Array.from({ length: 40 }, () =>
            http(`${limited.url}/customers`, { headers: { authorization: `Bearer ${limited.secretKey}` } }),
          ),
        );
        const rejected = results.filter((r) => r.status === 429);
        expect(results.filter((r) => r.status === 200).length).toBeGreaterThanOrEqual(25);
        expect(rejected.length).toBeGreaterThan(0);
        expect(rejected[0]?.body).toEqual({
          type: 'too_many_requests',
          errors: [{ code: 'too_many_requests', message: expect.any(String) }],
        });
        expect(rejected[0]?.headers.get('retry-after')).toMatch(/^[1-9]\d*$/);
      } finally {
        await limited.close();
      }
    });

    it('is configurable, including over the admin API', async () => {
      const limited = await startDigitalRiverSandbox({ rateLimitPerSecond: 2 });
      try {
        const burst = () =>
          Promise.all(
            Array.from({ length: 5 }, () =>
              http(`${limited.url}/customers`, { headers: { authorization: `Bearer ${limited.secretKey}` } }),
            ),
          );
        expect((await burst()).filter((r) => r.status === 429)).toHaveLength(3);
        expect(
          (await http(`${limited.origin}/__admin/rate-limit`, { method: 'PUT', json: { perSecond: 0 } }))
            .status,
        ).toBe(204);
        expect((await burst()).every((r) => r.status === 200)).toBe(true);
      } finally {
        await limited.close();
      }
    });
  });

  describe('admin', () => {
    it('seeds, dumps, resets and modifies out-of-band over HTTP', async () => {
      const seeded = await http(`${dr.origin}/__admin/seed`, { method: 'POST', json: { count: 3 } });
      expect(seeded.status).toBe(201);
      expect(seeded.body.created).toHaveLength(3);
      const [first] = seeded.body.created as string[];
      const patched = await http(`${dr.origin}/__admin/customers/${first}`, {
        method: 'PATCH',
        json: { email: 'drift@example.com' },
      });
      expect(patched.body.email).toBe('drift@example.com');
      expect((await api(`/customers/${first}`)).body.email).toBe('drift@example.com');
      const dump = await http(`${dr.origin}/__admin/customers`);
      expect((dump.body as { id: string }[]).map((c) => c.id)).toEqual(seeded.body.created);
      expect((await http(`${dr.origin}/__admin/stats`)).body.byRoute['GET /customers/:id']).toBe(1);
      expect((await http(`${dr.origin}/__admin/reset`, { method: 'POST' })).status).toBe(204);
      expect(dr.admin.dump()).toEqual([]);
    });

    it('seeds valid customers with deterministic ids for a given seed', async () => {
      const other = await startDigitalRiverSandbox({ seed: 1 });
      try {
        const again = await startDigitalRiverSandbox({ seed: 1 });
        expect(other.admin.seed(3)).toEqual(again.admin.seed(3));
        await again.close();
      } finally {
        await other.close();
      }
      const [id] = dr.admin.seed(1);
      expect((await api(`/customers/${id}`)).body).toMatchObject({
        email: expect.stringContaining('@'),
        locale: 'en_US',
      });
    });
  });
});
