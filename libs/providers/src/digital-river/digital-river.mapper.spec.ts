import { customerData, type CustomerData } from '@app/domain';
import { fixtureBody } from '../testing/fixtures';
import {
  fromDrCustomer,
  fromDrLocale,
  joinName,
  splitName,
  toDrCreatePlan,
  toDrLocale,
  toDrUpdatePlan,
} from './digital-river.mapper';
import { type DrCustomer, drCustomerListSchema, drCustomerSchema } from './digital-river.schemas';

const fixture = (name: string) => fixtureBody(__dirname, name);
const drCustomer = (name: string): DrCustomer => drCustomerSchema.parse(fixture(name));

const empty = customerData();

/** The customer the create request of https://docs.digitalriver.com/digital-river-api/customer-management/creating-a-customer describes, in canonical vocabulary. */
const seed000Customer: CustomerData = {
  ...empty,
  email: 'jsmith@digitalriver.com',
  givenName: 'John',
  familyName: 'Smith',
  companyName: 'Digital River',
  phone: '952-111-1111',
  address: {
    line1: '10380 Bren Rd W',
    line2: 'string',
    city: 'Minnetonka',
    postalCode: '55129',
    state: 'MN',
    country: 'US',
  },
  type: 'individual',
  metadata: { coupon: 'iOS' },
  locale: 'en-US',
};

/** The customer the examples of https://docs.digitalriver.com/digital-river-api-reference/2020-12-17/customers describe (create request, create/get/update/list answers). */
const seed002Customer: CustomerData = {
  ...seed000Customer,
  // The docs page obfuscates addresses, with a no-break space inside.
  email: '[email\u00a0protected]',
  address: { ...seed000Customer.address!, line2: 'text', additionalAddressInfo: { neighborhood: 'Centro', division: '???', phoneticName: '??? ??' } },
  defaultSourceId: '123e4567-e89b-12d3-a456-426614174000',
  sourceIds: ['a6809a63-e6a9-4016-abbc-f33d19fccb5b'],
  taxIdentifiers: [{ type: 'uk', value: 'GB999 9999 73' }],
  taxCertificates: [
    {
      companyName: 'Digital River Inc.',
      taxAuthority: 'MN',
      startDate: '2019-04-25T20:36:00Z',
      endDate: '2020-04-25T20:36:00Z',
      fileId: 'file_8fd2f808-bbb4-49bc-aa41-c960a1447331',
    },
  ],
}; // prettier-ignore

describe('Digital River mapper', () => {
  describe('reads the seeds’ response bodies', () => {
    const cases: { name: string; reference: string; forgotten: boolean; customer: CustomerData }[] = [
      {
        // Seed 000's answer omits name, organization and metadata that its request sent.
        name: 'create-customer.201.seed000.json',
        reference: '5823594809',
        forgotten: false,
        customer: {
          ...empty,
          email: 'jsmith@digitalriver.com',
          phone: '952-111-1111',
          address: { line1: '10380 Bren Rd W', city: 'Minnetonka', postalCode: '55129', state: 'MN', country: 'US' },
          type: 'individual',
          locale: 'en-US',
        },
      },
      { name: 'create-customer.201.seed002.json', reference: '5823594809', forgotten: true, customer: seed002Customer },
      { name: 'get-customer.200.seed002.json', reference: '5823594809', forgotten: true, customer: seed002Customer },
      { name: 'update-customer.200.seed002.json', reference: '5823594809', forgotten: true, customer: seed002Customer },
    ]; // prettier-ignore

    it.each(cases)('$name', ({ name, reference, forgotten, customer }) => {
      const remote = fromDrCustomer(drCustomer(name));
      expect(remote.reference).toBe(reference);
      expect(remote.providerCustomerId).toBeUndefined();
      expect(remote.forgotten).toBe(forgotten);
      expect(remote.customer).toEqual(customer);
      expect(remote.unsupportedFields).toEqual([]);
    });

    it('list-customers.200.seed002.json: a page of the same customer', () => {
      const page = drCustomerListSchema.parse(fixture('list-customers.200.seed002.json'));
      expect(page.hasMore).toBe(true);
      expect(page.data.map((customer) => fromDrCustomer(customer).customer)).toEqual([seed002Customer]);
    });
  });

  describe('writes the seeds’ request bodies', () => {
    it('creating-a-customer guide: the canonical customer becomes exactly the documented create body', () => {
      const plan = toDrCreatePlan('5823594806', seed000Customer);
      expect(plan.body).toEqual(fixture('create-customer.request.seed000.json'));
      expect(plan.unsupportedFields).toEqual([]);
    });

    it('2020-12-17 reference: the create body, with tax identifiers moved to their own resource', () => {
      const { taxIdentifiers, taxCertificate, ...documented } = fixture('create-customer.request.seed002.json') as Record<string, unknown>;
      const plan = toDrCreatePlan('5823594808', { ...seed002Customer, sourceIds: [], defaultSourceId: 'fd74a5c5-0163-469a-ae8e-031f0259b576' });
      const { taxCertificate: sentCertificate, ...body } = plan.body;
      expect(body).toEqual(documented);
      // From API version 2021-02-23 tax identifiers are a resource: create, then attach.
      expect(plan.addTaxIdentifiers).toEqual(taxIdentifiers);
      // The documented certificate dates are Java objects; we send ISO text for the same instant.
      expect(sentCertificate).toEqual({ ...(taxCertificate as object), startDate: '2019-04-25T20:36:00Z', endDate: '2020-04-25T20:36:00Z' });
    }); // prettier-ignore

    it('2020-12-17 reference: the partial update body for the changes it documents', () => {
      const documented = fixture('update-customer.request.seed002.json') as Record<string, unknown>;
      const before: CustomerData = { ...empty, enabled: false, sourceIds: ['fd74a5c5-0163-469a-ae8e-031f0259b576'] };
      const after: CustomerData = { ...seed002Customer, sourceIds: before.sourceIds, defaultSourceId: 'fd74a5c5-0163-469a-ae8e-031f0259b576', taxIdentifiers: [] };
      const plan = toDrUpdatePlan(before, after);
      const { taxCertificate: _sent, ...body } = plan.body;
      const { taxIdentifiers: _legacy, taxCertificate: _doc, requestToBeForgotten: _forget, ...expected } = documented;
      expect(body).toEqual(expected);
    }); // prettier-ignore
  });

  describe('round trips', () => {
    const rich: CustomerData = {
      ...seed002Customer,
      givenName: 'Mary Ann',
      familyName: 'van der Berg',
      metadata: { coupon: 'iOS', tier: 'gold' },
      taxIdentifiers: [],
      sourceIds: [],
      defaultSourceId: undefined,
    };
    const stored = (customer: CustomerData): DrCustomer => {
      const body = toDrCreatePlan('ref-1', customer).body;
      return drCustomerSchema.parse({
        ...body,
        taxCertificates: body.taxCertificate ? [body.taxCertificate] : [],
      });
    };

    it('canonical → DR → canonical is exact when the written state is known', () => {
      const { defaultSourceId: _d, ...expected } = rich;
      expect(fromDrCustomer(stored(rich), rich).customer).toEqual(expected);
    });

    it('without the written state, the one DR name is split at the first space (lossy)', () => {
      const back = fromDrCustomer(stored(rich)).customer;
      expect(back.givenName).toBe('Mary');
      expect(back.familyName).toBe('Ann van der Berg');
      expect(joinName(back.givenName, back.familyName)).toBe(joinName(rich.givenName, rich.familyName));
    });
  });

  describe('names and locales', () => {
    it.each([
      ['John', 'Smith', 'John Smith'],
      ['John', undefined, 'John'],
      [undefined, 'Smith', 'Smith'],
      [undefined, undefined, undefined],
    ])('joins %s + %s', (given, family, joined) => {
      expect(joinName(given, family)).toBe(joined);
    });

    it('splits a single word into a given name only', () => {
      expect(splitName('Cher')).toEqual({ givenName: 'Cher' });
    });

    it.each([
      ['en-US', 'en_US'],
      ['fr-CA', 'fr_CA'],
      ['zh-tw', 'zh_TW'],
      ['en-GB', undefined],
      ['en', undefined],
      ['pt-BR', undefined],
    ])('locale %s → %s', (canonical, dr) => {
      expect(toDrLocale(canonical)).toBe(dr);
    });

    it('reads DR locales back as BCP 47', () => {
      expect(fromDrLocale('en_US')).toBe('en-US');
      expect(fromDrLocale('en-US')).toBe('en-US');
    });
  });

  describe('lossy fields are reported, never dropped silently', () => {
    it.each<[string, CustomerData, string[], string | undefined]>([
      // Issue 30: a locale DR does not list is sent as the nearest DR holds, never left unsent.
      ['a locale DR lists in another region (held in part, not unsupported)', { ...empty, locale: 'en-GB' }, [], 'en_US'],
      ['a locale whose language DR does not list (sent as DR’s default)', { ...empty, locale: 'pt-BR' }, ['locale'], 'en_US'],
      ['more than one tax certificate in one create', { ...empty, taxCertificates: [{ fileId: 'a' }, { fileId: 'b' }] }, ['taxCertificates'], undefined],
    ])('create: %s', (_label, customer, fields, locale) => {
      const plan = toDrCreatePlan('ref', customer);
      expect(plan.unsupportedFields).toEqual(fields);
      expect(plan.body.locale).toBe(locale);
    }); // prettier-ignore

    it.each<[string, CustomerData, CustomerData, Record<string, unknown>]>([
      // Issue 30: a cleared type or locale is sent as DR's default, so the copy never keeps the old one.
      ['type removed', { ...empty, type: 'business' }, empty, { type: 'individual' }],
      ['locale removed', { ...empty, locale: 'de-CH' }, empty, { locale: 'en_US' }],
      ['locale DR lists only in another region', { ...empty, locale: 'de-CH' }, { ...empty, locale: 'en-GB' }, { locale: 'en_US' }],
      ['locale whose language DR does not list', { ...empty, locale: 'de-CH' }, { ...empty, locale: 'pt-BR' }, { locale: 'en_US' }],
    ])('update: %s is sent as DR can hold it', (_label, before, after, body) => {
      const plan = toDrUpdatePlan(before, after);
      expect(plan.body).toEqual(body);
      expect(plan.unsupportedFields).toEqual(after.locale === 'pt-BR' ? ['locale'] : []);
    }); // prettier-ignore

    it.each<[string, CustomerData, CustomerData, string[]]>([
      ['email removed', { ...empty, email: 'a@example.test' }, empty, ['email']],
      ['default source removed', { ...empty, defaultSourceId: 's1' }, empty, ['defaultSourceId']],
      [
        'tax certificate removed',
        { ...empty, taxCertificates: [{ fileId: 'f' }] },
        empty,
        ['taxCertificates'],
      ],
      [
        'every shipping field removed',
        { ...empty, givenName: 'A', phone: '1' },
        empty,
        ['givenName', 'phone'],
      ],
    ])('update: %s', (_label, before, after, fields) => {
      expect(toDrUpdatePlan(before, after).unsupportedFields).toEqual(fields);
    });
  });

  describe('partial updates', () => {
    it('sends only what changed, with removed metadata keys as ""', () => {
      const before: CustomerData = { ...empty, email: 'a@example.test', metadata: { keep: '1', change: 'old', drop: 'x' } };
      const after: CustomerData = { ...before, metadata: { keep: '1', change: 'new', added: 'y' } };
      expect(toDrUpdatePlan(before, after).body).toEqual({ metadata: { change: 'new', added: 'y', drop: '' } });
    }); // prettier-ignore

    it('sends the whole shipping object when any part of it changed', () => {
      const before: CustomerData = { ...seed000Customer };
      const after: CustomerData = { ...seed000Customer, phone: '952-222-2222' };
      expect(toDrUpdatePlan(before, after).body).toEqual({
        shipping: { ...(fixture('create-customer.request.seed000.json') as { shipping: object }).shipping, phone: '952-222-2222' },
      });
    }); // prettier-ignore

    it('an unchanged customer is an empty update', () => {
      const plan = toDrUpdatePlan(seed002Customer, seed002Customer);
      expect(plan).toEqual({ body: {}, attachSources: [], detachSources: [], addTaxIdentifiers: [], removeTaxIdentifiers: [], unsupportedFields: [] });
    }); // prettier-ignore

    it('turns source and tax identifier changes into sub-resource calls', () => {
      const before: CustomerData = { ...empty, sourceIds: ['s1', 's2'], taxIdentifiers: [{ type: 'de', value: 'DE1' }] };
      const after: CustomerData = { ...empty, sourceIds: ['s2', 's3'], defaultSourceId: 's3', taxIdentifiers: [{ type: 'uk', value: 'GB1' }] };
      const plan = toDrUpdatePlan(before, after);
      expect(plan.body).toEqual({ defaultSourceId: 's3' });
      expect(plan.attachSources).toEqual(['s3']);
      expect(plan.detachSources).toEqual(['s1']);
      expect(plan.addTaxIdentifiers).toEqual([{ type: 'uk', value: 'GB1' }]);
      expect(plan.removeTaxIdentifiers).toEqual([{ type: 'de', value: 'DE1' }]);
    }); // prettier-ignore

    it('on create, a default source among the attached ones is set after attaching', () => {
      const plan = toDrCreatePlan('ref', { ...empty, sourceIds: ['s1'], defaultSourceId: 's1' });
      expect(plan.body.defaultSourceId).toBeUndefined();
      expect(plan.defaultSourceIdAfterAttach).toBe('s1');
    });
  });

  it('tolerates fields DR adds later and non-string metadata values', () => {
    const remote = fromDrCustomer(drCustomerSchema.parse({ id: 'c1', newField: { x: 1 }, metadata: { n: 5, b: true }, enabled: null }));
    expect(remote.customer).toEqual({ ...empty, metadata: { n: '5', b: 'true' } });
  }); // prettier-ignore
});
