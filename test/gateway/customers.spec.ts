import request from 'supertest';

import { bearer, johnSmith, KEYS, type RunningGateway, startGateway } from '../support/gateway';

describe('Customer API v1', () => {
  let gateway: RunningGateway;
  const auth = bearer(KEYS.admin);

  beforeAll(async () => {
    gateway = await startGateway();
  });
  afterAll(() => gateway.close());

  const api = () => request(gateway.url);

  describe('create', () => {
    it('stores every field and answers 201 with Location and ETag', async () => {
      const res = await api()
        .post('/v1/customers')
        .set(auth)
        .send(johnSmith({ externalReference: 'create-1' }));
      expect(res.status).toBe(201);
      expect(res.headers['content-type']).toMatch(/^application\/json/);
      expect(res.body).toMatchObject({
        id: expect.stringMatching(/^cus_[0-9a-f]{24}$/),
        externalReference: 'create-1',
        email: 'jsmith@digitalriver.com',
        givenName: 'John',
        familyName: 'Smith',
        companyName: 'Digital River',
        phone: '952-111-1111',
        address: {
          line1: '10380 Bren Rd W',
          city: 'Minnetonka',
          state: 'MN',
          postalCode: '55129',
          country: 'US',
        },
        locale: 'en-US',
        type: 'individual',
        enabled: true,
        metadata: { coupon: 'SPRING20' },
        taxIdentifiers: [{ type: 'us_ein', value: '12-3456789' }],
        taxCertificates: [],
        sources: [],
        defaultSourceId: null,
        forgotten: false,
        forgottenAt: null,
        version: 1,
        providers: [],
      });
      expect(res.headers.location).toBe(`/v1/customers/${res.body.id}`);
      expect(res.headers.etag).toBe('"1"');

      const read = await api().get(`/v1/customers/${res.body.id}`).set(auth);
      expect(read.status).toBe(200);
      expect(read.body).toEqual(res.body);
    });

    it('accepts an empty customer, since every provider field is optional', async () => {
      const res = await api().post('/v1/customers').set(auth).send({});
      expect(res.status).toBe(201);
      expect(res.body).toMatchObject({ email: null, address: null, metadata: {}, enabled: true });
    });

    it('normalises country and locale case', async () => {
      const res = await api()
        .post('/v1/customers')
        .set(auth)
        .send({ address: { country: 'de' }, locale: 'de-de' });
      expect(res.status).toBe(201);
      expect(res.body.address).toEqual({ country: 'DE' });
      expect(res.body.locale).toBe('de-DE');
    });

    it('refuses a second customer with the same externalReference, changing nothing', async () => {
      const first = await api().post('/v1/customers').set(auth).send({ externalReference: 'dup-ref' });
      expect(first.status).toBe(201);
      const before = await gateway.prisma.customer.count();
      const second = await api()
        .post('/v1/customers')
        .set(auth)
        .send({ externalReference: 'dup-ref', email: 'x@example.test' });
      expect(second.status).toBe(409);
      expect(second.body).toMatchObject({
        code: 'external_reference_taken',
        errors: [{ field: 'externalReference', code: 'taken' }],
      });
      expect(await gateway.prisma.customer.count()).toBe(before);
    });
  });

  describe('get', () => {
    it('answers 404 problem+json for an unknown id', async () => {
      const res = await api().get('/v1/customers/cus_000000000000000000000000').set(auth);
      expect(res.status).toBe(404);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(res.body).toMatchObject({
        type: 'urn:customer-sync:problem:customer_not_found',
        title: 'Not Found',
        status: 404,
        code: 'customer_not_found',
        detail: expect.stringContaining('cus_000000000000000000000000'),
        instance: '/v1/customers/cus_000000000000000000000000',
        requestId: expect.any(String),
      });
      expect(res.headers['x-request-id']).toBe(res.body.requestId);
    });
  });

  describe('update (merge patch)', () => {
    it('keeps absent fields, clears null ones and merges address and metadata', async () => {
      const created = await api()
        .post('/v1/customers')
        .set(auth)
        .send(johnSmith({ externalReference: 'patch-1' }));
      const res = await api()
        .patch(`/v1/customers/${created.body.id}`)
        .set(auth)
        .send({
          phone: null,
          givenName: 'Johnny',
          address: { line2: 'Suite 100', state: null, additionalAddressInfo: null },
          metadata: { coupon: null, tier: 'gold' },
        });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({
        givenName: 'Johnny',
        familyName: 'Smith',
        phone: null,
        address: {
          line1: '10380 Bren Rd W',
          line2: 'Suite 100',
          city: 'Minnetonka',
          postalCode: '55129',
          country: 'US',
        },
        metadata: { tier: 'gold' },
        version: 2,
      });
      expect(res.body.address).not.toHaveProperty('state');
      expect(res.body.address).not.toHaveProperty('additionalAddressInfo');
      expect(res.headers.etag).toBe('"2"');
    });

    it('accepts application/merge-patch+json', async () => {
      const created = await api().post('/v1/customers').set(auth).send({});
      const res = await api()
        .patch(`/v1/customers/${created.body.id}`)
        .set(auth)
        .set('Content-Type', 'application/merge-patch+json')
        .send(JSON.stringify({ email: 'merge@example.test' }));
      expect(res.status).toBe(200);
      expect(res.body.email).toBe('merge@example.test');
    });

    it('refuses an update that would leave an address without a country, changing nothing', async () => {
      const created = await api()
        .post('/v1/customers')
        .set(auth)
        .send(johnSmith({ externalReference: 'patch-2' }));
      const res = await api()
        .patch(`/v1/customers/${created.body.id}`)
        .set(auth)
        .send({ address: { country: null }, email: 'changed@example.test' });
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({
        code: 'validation_failed',
        // The country can be changed, never cleared: the document does not make it nullable.
        errors: [{ field: 'address.country', code: 'not_nullable' }],
      });
      const after = await api().get(`/v1/customers/${created.body.id}`).set(auth);
      expect(after.body).toEqual(created.body);
    });

    it('refuses metadata that would grow past 20 keys once merged', async () => {
      const twelve = Object.fromEntries(Array.from({ length: 12 }, (_, i) => [`k${i}`, 'v']));
      const created = await api().post('/v1/customers').set(auth).send({ metadata: twelve });
      const nine = Object.fromEntries(Array.from({ length: 9 }, (_, i) => [`n${i}`, 'v']));
      const res = await api().patch(`/v1/customers/${created.body.id}`).set(auth).send({ metadata: nine });
      expect(res.status).toBe(400);
      expect(res.body.errors).toEqual([
        expect.objectContaining({ field: 'metadata', code: 'too_many_keys' }),
      ]);
    });

    it('answers 404 for an unknown customer', async () => {
      const res = await api().patch('/v1/customers/cus_nope').set(auth).send({ email: 'a@example.test' });
      expect(res.status).toBe(404);
      expect(res.body.code).toBe('customer_not_found');
    });

    describe('If-Match', () => {
      it('applies the update when If-Match names the current version', async () => {
        const created = await api().post('/v1/customers').set(auth).send({});
        const read = await api().get(`/v1/customers/${created.body.id}`).set(auth);
        const res = await api()
          .patch(`/v1/customers/${created.body.id}`)
          .set(auth)
          .set('If-Match', read.headers.etag as string)
          .send({ email: 'etag@example.test' });
        expect(res.status).toBe(200);
        expect(res.headers.etag).toBe('"2"');
      });

      it('answers 412 and changes nothing when the version moved on', async () => {
        const created = await api().post('/v1/customers').set(auth).send({ email: 'v1@example.test' });
        await api().patch(`/v1/customers/${created.body.id}`).set(auth).send({ email: 'v2@example.test' });
        const res = await api()
          .patch(`/v1/customers/${created.body.id}`)
          .set(auth)
          .set('If-Match', '"1"')
          .send({ email: 'stale@example.test' });
        expect(res.status).toBe(412);
        expect(res.body.code).toBe('precondition_failed');
        const after = await api().get(`/v1/customers/${created.body.id}`).set(auth);
        expect(after.body).toMatchObject({ email: 'v2@example.test', version: 2 });
      });

      it('treats weak and malformed entity tags as never matching, and * as any version', async () => {
        const created = await api().post('/v1/customers').set(auth).send({});
        for (const tag of ['W/"1"', '1', 'garbage']) {
          const res = await api()
            .patch(`/v1/customers/${created.body.id}`)
            .set(auth)
            .set('If-Match', tag)
            .send({});
          expect(res.status).toBe(412);
        }
        const star = await api()
          .patch(`/v1/customers/${created.body.id}`)
          .set(auth)
          .set('If-Match', '*')
          .send({ phone: '123' });
        expect(star.status).toBe(200);
        const list = await api()
          .patch(`/v1/customers/${created.body.id}`)
          .set(auth)
          .set('If-Match', '"7", "2"')
          .send({ phone: '456' });
        expect(list.status).toBe(200);
      });
    });

    it('loses no field when two updates without If-Match race', async () => {
      const created = await api().post('/v1/customers').set(auth).send({ metadata: {} });
      const updates = Array.from({ length: 8 }, (_, i) =>
        api()
          .patch(`/v1/customers/${created.body.id}`)
          .set(auth)
          .send({ metadata: { [`k${i}`]: String(i) } }),
      );
      const results = await Promise.all(updates);
      expect(results.map((r) => r.status)).toEqual(Array(8).fill(200));
      const after = await api().get(`/v1/customers/${created.body.id}`).set(auth);
      expect(Object.keys(after.body.metadata).sort()).toEqual([
        'k0',
        'k1',
        'k2',
        'k3',
        'k4',
        'k5',
        'k6',
        'k7',
      ]);
      expect(after.body.version).toBe(9);
    });
  });

  describe('delete', () => {
    it('deletes, then answers 410 Gone for the customer (its tombstone), and deleting again the same', async () => {
      const created = await api().post('/v1/customers').set(auth).send({});
      const res = await api().delete(`/v1/customers/${created.body.id}`).set(auth);
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ id: created.body.id, deleted: true, providers: [] });
      const gone = await api().get(`/v1/customers/${created.body.id}`).set(auth);
      expect(gone.status).toBe(410);
      expect(gone.body).toMatchObject({
        code: 'customer_gone',
        deletedAt: expect.any(String),
        providers: [],
      });
      const again = await api().delete(`/v1/customers/${created.body.id}`).set(auth);
      expect(again.status).toBe(200);
      expect(again.body).toEqual(res.body);
    });
  });

  describe('list filters', () => {
    it('filters by email (case-insensitive), ids (comma-separated or repeated) and forgotten', async () => {
      const a = await api().post('/v1/customers').set(auth).send({ email: 'Filter.Me@example.test' });
      const b = await api().post('/v1/customers').set(auth).send({ email: 'filter.me@example.test' });
      const c = await api().post('/v1/customers').set(auth).send({ email: 'other@example.test' });

      const byEmail = await api().get('/v1/customers').query({ email: 'FILTER.ME@example.test' }).set(auth);
      expect(byEmail.body.data.map((x: { id: string }) => x.id)).toEqual([b.body.id, a.body.id]);

      const byIds = await api().get(`/v1/customers?ids=${a.body.id},${c.body.id}`).set(auth);
      expect(byIds.body.data.map((x: { id: string }) => x.id)).toEqual([c.body.id, a.body.id]);
      const repeated = await api().get(`/v1/customers?ids=${a.body.id}&ids=${c.body.id}`).set(auth);
      expect(repeated.body.data.map((x: { id: string }) => x.id)).toEqual([c.body.id, a.body.id]);

      await gateway.prisma.customer.update({ where: { id: c.body.id }, data: { forgottenAt: new Date() } });
      const forgotten = await api()
        .get(`/v1/customers?forgotten=true&ids=${a.body.id},${c.body.id}`)
        .set(auth);
      expect(forgotten.body.data.map((x: { id: string }) => x.id)).toEqual([c.body.id]);
      expect(forgotten.body.data[0].forgotten).toBe(true);
      const kept = await api().get(`/v1/customers?forgotten=false&ids=${a.body.id},${c.body.id}`).set(auth);
      expect(kept.body.data.map((x: { id: string }) => x.id)).toEqual([a.body.id]);
    });

    it('rejects bad list parameters with field errors', async () => {
      const res = await api().get('/v1/customers?limit=0&forgotten=maybe&email=nope&colour=red').set(auth);
      expect(res.status).toBe(400);
      const fields = (res.body.errors as { field: string; code: string }[]).map(
        (e) => `${e.field}:${e.code}`,
      );
      expect(fields).toEqual(
        expect.arrayContaining([
          'limit:out_of_range',
          'forgotten:not_a_boolean',
          'email:invalid_email',
          'colour:unknown_field',
        ]),
      );
      expect((await api().get('/v1/customers?limit=101').set(auth)).status).toBe(400);
      const cursor = await api().get('/v1/customers?startingAfter=cus_missing').set(auth);
      expect(cursor.status).toBe(400);
      expect(cursor.body.errors).toEqual([
        expect.objectContaining({ field: 'startingAfter', code: 'unknown_cursor' }),
      ]);
    });
  });
});
