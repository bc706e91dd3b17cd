import request from 'supertest';

import {
  bearer,
  type GatewayWithSandboxes,
  johnSmith,
  KEYS,
  linkOf,
  startGatewayWithSandboxes,
} from '../support/gateway';

/**
 * Ordinary JSON of the wrong type or `null`, sent where provider rules and dry-run mappers read
 * the body (issue 31): each answer is a 4xx problem+json naming the field, or, where the document
 * says a field is nullable, the write it asks for. Never a 5xx.
 */

/** Values a client may well send in place of the right one. */
const CONFUSED: [string, unknown][] = [
  ['null', null],
  ['an empty array', []],
  ['an empty object', {}],
  ['a number', 42],
  ['a string', 'text'],
  ['a boolean', true],
  ['a nested array', [[]]],
];

/** Each body field of a customer, with the JSON type the document gives it. */
const CUSTOMER_FIELDS: Record<string, 'string' | 'boolean' | 'array' | 'object'> = {
  externalReference: 'string',
  email: 'string',
  givenName: 'string',
  familyName: 'string',
  companyName: 'string',
  phone: 'string',
  locale: 'string',
  type: 'string',
  enabled: 'boolean',
  taxIdentifiers: 'array',
  taxCertificates: 'array',
  defaultSourceId: 'string',
  address: 'object',
  metadata: 'object',
};

const jsonTypeOf = (value: unknown) =>
  value === null ? 'null' : Array.isArray(value) ? 'array' : (typeof value as string);

/** A value the field's type cannot hold: another JSON type, or a list of other than objects. */
const wrongType = (field: string, value: unknown) =>
  jsonTypeOf(value) !== CUSTOMER_FIELDS[field] ||
  (Array.isArray(value) && value.some((element) => jsonTypeOf(element) !== 'object'));

/**
 * The fields a GET answers as null: a create takes null there as "none", an update as "clear".
 * An update also clears all metadata with null.
 */
const NULLABLE = new Set([
  'externalReference',
  'email',
  'givenName',
  'familyName',
  'companyName',
  'phone',
  'locale',
  'type',
  'defaultSourceId',
  'address',
]);

type Problem = { code: string; errors?: { field: string; code: string }[] };

function expectFieldRefused(res: request.Response, field: string): void {
  expect(res.status).toBe(400);
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  const body = res.body as Problem;
  expect(body.code).toBe('validation_failed');
  const fields = (body.errors ?? []).map((e) => e.field);
  expect(fields.some((f) => f === field || f.startsWith(`${field}.`))).toBe(true);
}

describe('type-confused and null values in customer bodies', () => {
  let gateway: GatewayWithSandboxes;
  const auth = bearer(KEYS.admin);
  const api = () => request(gateway.url);

  beforeAll(async () => {
    gateway = await startGatewayWithSandboxes();
  });
  afterAll(() => gateway.close());

  describe('the requests of issue 31', () => {
    it('a create accepts externalReference: null, as a GET answers it', async () => {
      const res = await api()
        .post('/v1/customers')
        .set(auth)
        .send(johnSmith({ externalReference: null }));
      expect(res.status).toBe(201);
      expect(res.body.externalReference).toBeNull();
      expect(linkOf(res.body, 'digital-river').status).toBe('synced');
    });

    it('a create accepts address: null and locale: null as none', async () => {
      for (const field of ['address', 'locale']) {
        const res = await api()
          .post('/v1/customers')
          .set(auth)
          .send(
            johnSmith({
              externalReference: undefined,
              providers: [{ provider: 'digital-river' }],
              [field]: null,
            }),
          );
        expect(res.status).toBe(201);
        expect(res.body[field]).toBeNull();
      }
    });

    it('a create takes back what a GET of a customer answered', async () => {
      const created = await api()
        .post('/v1/customers')
        .set(auth)
        .send({ email: 'echo@example.test', providers: [] });
      const read = await api().get(`/v1/customers/${created.body.id}`).set(auth);
      const fields = Object.fromEntries(
        Object.keys(CUSTOMER_FIELDS).map((field) => [field, read.body[field]]),
      );
      const again = await api()
        .post('/v1/customers')
        .set(auth)
        .send({ ...fields, email: 'echo-again@example.test', sources: read.body.sources, providers: [] });
      expect(again.status).toBe(201);
      expect(again.body).toMatchObject({ ...fields, email: 'echo-again@example.test' });
    });

    it('a dry-run create refuses address: []', async () => {
      const res = await api()
        .post('/v1/customers?dryRun=true')
        .set(auth)
        .send(johnSmith({ externalReference: undefined, address: [] }));
      expectFieldRefused(res, 'address');
    });

    it('a create refuses taxIdentifiers: [[]] and stores nothing', async () => {
      const before = await gateway.prisma.customer.count();
      const res = await api()
        .post('/v1/customers')
        .set(auth)
        .send(johnSmith({ externalReference: undefined, taxIdentifiers: [[]] }));
      expectFieldRefused(res, 'taxIdentifiers.0');
      expect(await gateway.prisma.customer.count()).toBe(before);
    });

    it('an update refuses address: [] and changes nothing', async () => {
      const created = await api()
        .post('/v1/customers')
        .set(auth)
        .send(johnSmith({ externalReference: undefined }));
      const res = await api().patch(`/v1/customers/${created.body.id}`).set(auth).send({ address: [] });
      expectFieldRefused(res, 'address');
      const after = await api().get(`/v1/customers/${created.body.id}`).set(auth);
      expect(after.body.version).toBe(created.body.version);
    });
  });

  it('drift answers a field only one side holds as null there, as its schema says', async () => {
    const created = await api()
      .post('/v1/customers')
      .set(auth)
      .send(
        johnSmith({
          externalReference: 'no-locale',
          locale: undefined,
          providers: [{ provider: 'digital-river' }],
        }),
      );
    expect(created.status).toBe(201);
    gateway.sandboxes['digital-river'].admin.modifyCustomer('no-locale', { locale: 'de_DE' });
    const drift = await api().get(`/v1/customers/${created.body.id}/drift`).set(auth);
    expect(drift.status).toBe(200);
    expect(drift.body.data).toEqual([
      expect.objectContaining({
        state: 'drifted',
        fields: [{ field: 'locale', ours: null, theirs: 'de-DE' }],
      }),
    ]);
  });

  describe('every field, every confused value, create and update, with and without dryRun', () => {
    let customerId: string;

    beforeAll(async () => {
      const created = await api()
        .post('/v1/customers')
        .set(auth)
        .send(johnSmith({ externalReference: 'confusion-target' }));
      expect(created.status).toBe(201);
      customerId = created.body.id;
    });

    const operations: [string, (body: object) => request.Test][] = [
      ['create', (body) => api().post('/v1/customers').set(auth).send(body)],
      ['dry-run create', (body) => api().post('/v1/customers?dryRun=true').set(auth).send(body)],
      ['update', (body) => api().patch(`/v1/customers/${customerId}`).set(auth).send(body)],
      [
        'dry-run update',
        (body) => api().patch(`/v1/customers/${customerId}?dryRun=true`).set(auth).send(body),
      ],
    ];

    it.each(operations)(
      '%s: null where documented is the write; a wrong type is a 400 naming the field; never a 5xx',
      async (what, send) => {
        const wrong: string[] = [];
        for (const field of Object.keys(CUSTOMER_FIELDS)) {
          for (const [kind, value] of CONFUSED) {
            const base = what.includes('create') ? johnSmith({ externalReference: undefined }) : {};
            const res = await send({ ...base, [field]: value });
            const problem = res.body as Problem;
            const named = (problem.errors ?? []).some(
              (e) => e.field === field || e.field.startsWith(`${field}.`),
            );
            const isProblem = String(res.headers['content-type']).startsWith('application/problem+json');
            const ok =
              value === null && (NULLABLE.has(field) || (field === 'metadata' && what.includes('update')))
                ? // Taken as "none" or "clear"; a provider may still require the field (422).
                  res.status < 300 || (res.status < 500 && isProblem && res.status !== 400)
                : wrongType(field, value)
                  ? res.status === 400 && isProblem && named
                  : res.status < 300 || (res.status < 500 && isProblem && (res.status !== 400 || named));
            if (!ok)
              wrong.push(`${field} = ${kind}: ${res.status} ${JSON.stringify(res.body).slice(0, 200)}`);
          }
        }
        expect(wrong).toEqual([]);
      },
    );
  });
});
