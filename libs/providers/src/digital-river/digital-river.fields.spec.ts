import {
  CANONICAL_FIELDS,
  type CanonicalField,
  copyDrift,
  customerData,
  type CustomerData,
  type CustomerProvider,
  type RemoteCustomer,
} from '@app/domain';
import { DIGITAL_RIVER_FIELDS } from './digital-river.fields';
import { drUnsupportedFields, fromDrCustomer, toDrCreatePlan, toDrUpdatePlan } from './digital-river.mapper';
import { DIGITAL_RIVER_CAPABILITIES, drLossyFields, drUnheldFields } from './digital-river.rules';
import { type DrCustomer, drCustomerSchema } from './digital-river.schemas';

const empty = customerData();

const rich: CustomerData = {
  ...empty,
  email: 'jsmith@example.test',
  givenName: 'Mary Ann',
  familyName: 'Smith',
  companyName: 'Digital River',
  phone: '952-111-1111',
  address: {
    line1: '10380 Bren Rd W',
    line2: 'Suite 5',
    city: 'Minnetonka',
    state: 'MN',
    postalCode: '55129',
    country: 'us',
    additionalAddressInfo: { neighborhood: 'Centro', division: '東京都', phoneticName: 'ジョン' },
  },
  locale: 'de-CH',
  type: 'business',
  enabled: false,
  metadata: { coupon: 'SPRING20' },
  taxIdentifiers: [{ type: 'us_ein', value: '12-3456789' }],
  taxCertificates: [{ companyName: 'DR', fileId: 'file_1' }],
  sourceIds: ['src_1'],
  defaultSourceId: 'src_1',
}; // prettier-ignore

/** What DR would answer after storing a create of `customer`: the body, with its sub-resources. */
function stored(customer: CustomerData): DrCustomer {
  const { body, attachSources, addTaxIdentifiers } = toDrCreatePlan('ref', customer);
  return drCustomerSchema.parse({
    ...body,
    id: 'ref',
    type: body.type ?? 'individual',
    taxCertificates: body.taxCertificate ? [body.taxCertificate] : [],
    sources: attachSources.map((id) => ({ id })),
    defaultSourceId: customer.defaultSourceId,
    taxIdentifiers: addTaxIdentifiers,
  });
}

const remoteOf = (dr: DrCustomer, known?: CustomerData): RemoteCustomer => fromDrCustomer(dr, known);

/** Just enough of the port for copyDrift: the table and the value rules. */
const provider = {
  fieldTable: DIGITAL_RIVER_FIELDS,
  unsupportedFields: drUnheldFields,
} as unknown as CustomerProvider;

/** Every cell: support, and every DR field its mapping writes. */
const EXPECTED: Record<CanonicalField, [support: string, at: string[]]> = {
  externalReference: ['full', []],
  email: ['full', ['email', 'shipping.email']],
  givenName: ['partial', ['shipping.name']],
  familyName: ['partial', ['shipping.name']],
  companyName: ['full', ['shipping.organization']],
  phone: ['full', ['shipping.phone']],
  address: ['full', ['line1', 'line2', 'city', 'state', 'postalCode', 'country'].map((p) => `shipping.address.${p}`)],
  'address.additionalAddressInfo': ['full', ['neighborhood', 'division', 'phoneticName'].map((p) => `shipping.additionalAddressInfo.${p}`)],
  locale: ['partial', ['locale']],
  type: ['full', ['type']],
  enabled: ['full', ['enabled']],
  metadata: ['full', ['metadata']],
  taxIdentifiers: ['full', ['taxIdentifiers']],
  taxCertificates: ['partial', ['taxCertificates']],
  sourceIds: ['full', ['sources']],
  defaultSourceId: ['full', ['defaultSourceId']],
}; // prettier-ignore

describe('Digital River field table', () => {
  it.each(CANONICAL_FIELDS)('%s: support and the DR fields written', (field) => {
    const cell = DIGITAL_RIVER_FIELDS[field];
    expect([cell.support, cell.copies.map((copy) => copy.at)]).toEqual(EXPECTED[field]);
    expect(DIGITAL_RIVER_CAPABILITIES.fields[field].support).toBe(cell.support);
  });

  it.each(CANONICAL_FIELDS.flatMap((field) => DIGITAL_RIVER_FIELDS[field].copies.map((copy) => [field, copy.at, copy] as const)))(
    '%s at %s: what a create sends reads back as the projection',
    (_field, _at, copy) => {
      for (const customer of [rich, empty, { ...rich, locale: 'en-GB', type: undefined }]) {
        const remote = remoteOf(stored(customer));
        expect(JSON.stringify(copy.read(remote, customer) ?? null)).toBe(JSON.stringify(copy.project(customer) ?? null));
      }
    },
  ); // prettier-ignore

  it('projects a locale to the nearest DR holds, and none to its default', () => {
    const locale = DIGITAL_RIVER_FIELDS.locale.copies[0]!;
    expect(locale.project({ ...empty, locale: 'de-CH' })).toBe('de-CH');
    expect(locale.project({ ...empty, locale: 'en-GB' })).toBe('en-US');
    expect(locale.project({ ...empty, locale: 'fr-LU' })).toBe('fr-FR');
    expect(locale.project({ ...empty, locale: 'pt-BR' })).toBe('en-US');
    expect(locale.project(empty)).toBeUndefined();
    const remote = (dr: Partial<DrCustomer>) => remoteOf(drCustomerSchema.parse({ id: 'ref', ...dr }));
    expect(locale.read(remote({ locale: 'en_US' }), empty)).toBeUndefined();
    expect(locale.read(remote({ locale: 'de_CH' }), empty)).toBe('de-CH');
    const type = DIGITAL_RIVER_FIELDS.type.copies[0]!;
    expect(type.read(remote({ type: 'individual' }), empty)).toBeUndefined();
    expect(type.read(remote({ type: 'business' }), empty)).toBe('business');
  });

  it('reports a locale in another region as lossy, one whose language DR lacks as unsupported', () => {
    expect(drLossyFields({ ...empty, locale: 'en-GB' })).toEqual(['locale']);
    expect(drUnheldFields({ ...empty, locale: 'en-GB' })).toEqual([]);
    expect(drLossyFields({ ...empty, locale: 'pt-BR' })).toEqual([]);
    expect(drUnheldFields({ ...empty, locale: 'pt-BR' })).toEqual(['locale']);
    expect(drLossyFields({ ...empty, locale: 'de-CH' })).toEqual([]);
  });

  it.each<CustomerData>([rich, empty, { ...empty, locale: 'pt-BR' }, { ...empty, locale: 'en-GB' }, { ...empty, taxCertificates: [{ fileId: 'a' }, { fileId: 'b' }] }])(
    'agrees with the mapper on what is not held (%#)',
    (customer) => {
      expect(drUnheldFields(customer)).toEqual(drUnsupportedFields(customer));
      expect(toDrCreatePlan('ref', customer).unsupportedFields).toEqual(drUnheldFields(customer));
    },
  ); // prettier-ignore

  it('compares DR email and shipping.email each, and repairs an edit of either alone', () => {
    const held = stored(rich);
    const edited = drCustomerSchema.parse({
      ...held,
      shipping: { ...held.shipping, email: 'edited@example.test' },
    });
    expect(copyDrift(provider, rich, remoteOf(edited, rich))).toEqual([
      { field: 'email', at: 'shipping.email', ours: 'jsmith@example.test', theirs: 'edited@example.test' },
    ]);
    const plan = toDrUpdatePlan(remoteOf(edited, rich).customer, rich, edited);
    expect(plan.body.shipping?.email).toBe('jsmith@example.test');
  });

  it('names an address part, not the whole address', () => {
    const held = stored(rich);
    const edited = drCustomerSchema.parse({ ...held, shipping: { ...held.shipping, address: { ...held.shipping?.address, city: 'Edina' } } });
    expect(copyDrift(provider, rich, remoteOf(edited, rich))).toEqual([
      { field: 'address.city', at: 'shipping.address.city', ours: 'Minnetonka', theirs: 'Edina' },
    ]);
  }); // prettier-ignore

  it('sends a cleared locale and type as DR’s defaults, which are then in sync', () => {
    const before = { ...rich, locale: 'de-CH', type: 'business' as const };
    const held = stored(before);
    const after = { ...before, locale: undefined, type: undefined };
    expect(toDrUpdatePlan(remoteOf(held, before).customer, after, held).body).toMatchObject({ locale: 'en_US', type: 'individual' });
    expect(copyDrift(provider, after, remoteOf(stored({ ...after, type: 'individual', locale: 'en-US' }), after))).toEqual([]);
  }); // prettier-ignore

  it('leaves out more certificates than DR takes at once', () => {
    const customer = { ...rich, taxCertificates: [{ fileId: 'a' }, { fileId: 'b' }] };
    expect(copyDrift(provider, customer, remoteOf(stored(rich), customer))).toEqual([]);
  });
});
