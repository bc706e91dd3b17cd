import request from 'supertest';

import { bearer, johnSmith, KEYS, type RunningGateway, startGateway } from '../support/gateway';

/** Each rule, broken on its own: [what, body, field, code]. */
const RULES: [string, Record<string, unknown>, string, string][] = [
  ['unknown field', { nickname: 'Jo' }, 'nickname', 'unknown_field'],
  [
    'unknown nested field',
    { address: { country: 'US', county: 'Hennepin' } },
    'address.county',
    'unknown_field',
  ],
  [
    'externalReference over 40 chars',
    { externalReference: 'x'.repeat(41) },
    'externalReference',
    'invalid_format',
  ],
  ['externalReference with a space', { externalReference: 'a b' }, 'externalReference', 'invalid_format'],
  ['email not an email', { email: 'jsmith@' }, 'email', 'invalid_email'],
  ['email over 254 chars', { email: `${'a'.repeat(250)}@example.test` }, 'email', 'too_long'],
  ['givenName not a string', { givenName: 42 }, 'givenName', 'not_a_string'],
  ['givenName over 100 chars', { givenName: 'g'.repeat(101) }, 'givenName', 'too_long'],
  ['familyName over 100 chars', { familyName: 'f'.repeat(101) }, 'familyName', 'too_long'],
  ['companyName over 200 chars', { companyName: 'c'.repeat(201) }, 'companyName', 'too_long'],
  ['phone with letters', { phone: 'call me' }, 'phone', 'invalid_format'],
  ['address without country', { address: { line1: 'x' } }, 'address.country', 'invalid_country'],
  ['address with unknown country', { address: { country: 'XX' } }, 'address.country', 'invalid_country'],
  ['address not an object', { address: 'Main St' }, 'address', 'not_an_object'],
  [
    'address.line1 over 200 chars',
    { address: { country: 'US', line1: 'l'.repeat(201) } },
    'address.line1',
    'too_long',
  ],
  [
    'address.line2 over 200 chars',
    { address: { country: 'US', line2: 'l'.repeat(201) } },
    'address.line2',
    'too_long',
  ],
  [
    'address.city over 100 chars',
    { address: { country: 'US', city: 'c'.repeat(101) } },
    'address.city',
    'too_long',
  ],
  [
    'address.state over 100 chars',
    { address: { country: 'US', state: 's'.repeat(101) } },
    'address.state',
    'too_long',
  ],
  [
    'address.postalCode over 20 chars',
    { address: { country: 'US', postalCode: '9'.repeat(21) } },
    'address.postalCode',
    'too_long',
  ],
  [
    'additionalAddressInfo.phoneticName over 100 chars',
    { address: { country: 'JP', additionalAddressInfo: { phoneticName: 'p'.repeat(101) } } },
    'address.additionalAddressInfo.phoneticName',
    'too_long',
  ],
  ['locale not BCP 47', { locale: 'english please' }, 'locale', 'invalid_locale'],
  ['locale with underscore', { locale: 'en_US' }, 'locale', 'invalid_locale'],
  ['type outside the enum', { type: 'company' }, 'type', 'not_allowed'],
  ['enabled not a boolean', { enabled: 'yes' }, 'enabled', 'not_a_boolean'],
  [
    'metadata with 21 keys',
    { metadata: Object.fromEntries(Array.from({ length: 21 }, (_, i) => [`k${i}`, 'v'])) },
    'metadata',
    'invalid_metadata',
  ],
  ['metadata key over 40 chars', { metadata: { ['k'.repeat(41)]: 'v' } }, 'metadata', 'invalid_metadata'],
  ['metadata value over 500 chars', { metadata: { k: 'v'.repeat(501) } }, 'metadata', 'invalid_metadata'],
  ['metadata value not a string', { metadata: { k: 1 } }, 'metadata', 'invalid_metadata'],
  ['metadata null value on create', { metadata: { k: null } }, 'metadata', 'invalid_metadata'],
  ['metadata an array', { metadata: ['a'] }, 'metadata', 'invalid_metadata'],
  [
    'taxIdentifiers not an array',
    { taxIdentifiers: { type: 'de', value: '1' } },
    'taxIdentifiers',
    'not_an_array',
  ],
  [
    'taxIdentifier without value',
    { taxIdentifiers: [{ type: 'de' }] },
    'taxIdentifiers.0.value',
    'not_a_string',
  ],
  [
    'taxIdentifier value over 40 chars',
    { taxIdentifiers: [{ type: 'de', value: 'v'.repeat(41) }] },
    'taxIdentifiers.0.value',
    'too_long',
  ],
  [
    'more than 10 taxIdentifiers',
    { taxIdentifiers: Array.from({ length: 11 }, (_, i) => ({ type: `t${i}`, value: '1' })) },
    'taxIdentifiers',
    'too_many_items',
  ],
  [
    'two taxIdentifiers of one type',
    {
      taxIdentifiers: [
        { type: 'de', value: '1' },
        { type: 'de', value: '2' },
      ],
    },
    'taxIdentifiers',
    'duplicate_type',
  ],
  [
    'taxCertificate with a bad date',
    { taxCertificates: [{ startDate: 'yesterday' }] },
    'taxCertificates.0.startDate',
    'invalid_date',
  ],
];

describe('validation', () => {
  let gateway: RunningGateway;
  const auth = bearer(KEYS.admin);

  beforeAll(async () => {
    gateway = await startGateway();
  });
  afterAll(() => gateway.close());

  it.each(RULES)('create refuses %s', async (_what, broken, field, code) => {
    const before = await gateway.prisma.customer.count();
    const res = await request(gateway.url)
      .post('/v1/customers')
      .set(auth)
      .send({ ...johnSmith({ externalReference: undefined }), ...broken });
    expect(res.status).toBe(400);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body).toMatchObject({ code: 'validation_failed', status: 400 });
    expect(res.body.errors).toEqual(
      expect.arrayContaining([expect.objectContaining({ field, code, message: expect.any(String) })]),
    );
    expect(await gateway.prisma.customer.count()).toBe(before);
  });

  it.each(RULES.filter(([what]) => !what.includes('null value on create')))(
    'update refuses %s and changes nothing',
    async (_what, broken, field, code) => {
      const created = await request(gateway.url)
        .post('/v1/customers')
        .set(auth)
        .send({ address: { country: 'US' } });
      const res = await request(gateway.url).patch(`/v1/customers/${created.body.id}`).set(auth).send(broken);
      // An address patch needs no country of its own: the stored one stays.
      if (field === 'address.country' && !('country' in (broken.address as object))) {
        expect(res.status).toBe(200);
        return;
      }
      expect(res.status).toBe(400);
      expect(res.body.errors).toEqual(expect.arrayContaining([expect.objectContaining({ field, code })]));
      const after = await request(gateway.url).get(`/v1/customers/${created.body.id}`).set(auth);
      expect(after.body.version).toBe(1);
    },
  );

  it('reports every broken field at once', async () => {
    const res = await request(gateway.url)
      .post('/v1/customers')
      .set(auth)
      .send({ email: 'bad', locale: 'bad locale', type: 'robot' });
    expect(res.status).toBe(400);
    expect(res.body.errors.map((e: { field: string }) => e.field).sort()).toEqual([
      'email',
      'locale',
      'type',
    ]);
  });

  it('accepts values right at each limit', async () => {
    const res = await request(gateway.url)
      .post('/v1/customers')
      .set(auth)
      .send({
        externalReference: 'r'.repeat(40),
        givenName: 'g'.repeat(100),
        metadata: Object.fromEntries(
          Array.from({ length: 20 }, (_, i) => [`${i}`.padEnd(40, 'k'), 'v'.repeat(500)]),
        ),
        address: { country: 'us', postalCode: '9'.repeat(20) },
      });
    expect(res.status).toBe(201);
    expect(Object.keys(res.body.metadata)).toHaveLength(20);
  });
});
