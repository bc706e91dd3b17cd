/**
 * What Digital River holds of each canonical field, where the mapping writes it, and what its copy
 * should hold of a customer (digital-river.mapper.ts sends exactly that). The provider's
 * capabilities, `unsupportedFields` and `lossyFields` are derived from this table, `copyDrift`
 * compares by it, and docs/providers/field-projections.md is generated from it
 * (`npm run fields:table`). Field list:
 * https://docs.digitalriver.com/digital-river-api-reference/2021-12-13/customers
 */
import {
  type CustomerData,
  type FieldCopy,
  type FieldTable,
  NOT_COMPARED,
  type RemoteCustomer,
  wireCopy,
} from '@app/domain';
import {
  DR_DEFAULT_LOCALE,
  DR_DEFAULT_TYPE,
  drHoldsLanguageOf,
  drLocaleOf,
  drUnsupportedFields,
  fromDrLocale,
  joinName,
  splitName,
  toDrLocale,
} from './digital-river.mapper';
import { type DrCustomer, drCustomerSchema } from './digital-river.schemas';

const parsed = new WeakMap<object, DrCustomer | undefined>();

/** DR's own object behind a copy this adapter answered (its `raw`), parsed once per copy. */
function drCopyOf(remote: RemoteCustomer): DrCustomer | undefined {
  const raw = remote.raw;
  if (raw === null || typeof raw !== 'object') return undefined;
  if (!parsed.has(raw)) {
    const result = drCustomerSchema.safeParse(raw);
    parsed.set(raw, result.success ? result.data : undefined);
  }
  return parsed.get(raw);
}

const copy = (
  field: string,
  at: string,
  project: (customer: CustomerData) => unknown,
  read: (held: DrCustomer, customer: CustomerData) => unknown,
): FieldCopy => wireCopy(drCopyOf, field, at, project, read);

const text = (value: string | null | undefined) => (value === null || value === '' ? undefined : value);

const ADDRESS_PARTS = ['line1', 'line2', 'city', 'state', 'postalCode', 'country'] as const;
const ADDITIONAL_PARTS = ['neighborhood', 'division', 'phoneticName'] as const;

/** The one `shipping.name`, split back into canonical parts the way the mirror's are (see splitName). */
const nameCopy = (part: 'givenName' | 'familyName'): FieldCopy =>
  copy(
    part,
    'shipping.name',
    (customer) => splitName(joinName(customer.givenName, customer.familyName), customer)[part],
    (held, customer) => splitName(held.shipping?.name ?? undefined, customer)[part],
  );

const dr = (locale: string) => fromDrLocale(locale);

export const DIGITAL_RIVER_FIELDS: FieldTable = {
  externalReference: {
    support: 'full',
    note: 'is the DR `id` (<= 40 chars), the reference the copy is found by (not compared)',
    copies: [],
  },
  email: {
    support: 'full',
    note: 'written to `email` and `shipping.email`; cannot be cleared once set',
    copies: [
      copy(
        'email',
        'email',
        (c) => c.email,
        (held) => text(held.email),
      ),
      copy(
        'email',
        'shipping.email',
        (c) => c.email,
        (held) => text(held.shipping?.email),
      ),
    ],
  },
  givenName: {
    support: 'partial',
    projection: 'the start of the one `shipping.name` it is joined into with familyName',
    note: 'split again at the first space when the mirror holds no other split of the same name',
    copies: [nameCopy('givenName')],
  },
  familyName: {
    support: 'partial',
    projection: 'the rest of the one `shipping.name` it is joined into with givenName',
    copies: [nameCopy('familyName')],
  },
  companyName: {
    support: 'full',
    note: '`shipping.organization`',
    copies: [
      copy(
        'companyName',
        'shipping.organization',
        (c) => c.companyName,
        (held) => text(held.shipping?.organization),
      ),
    ],
  },
  phone: {
    support: 'full',
    note: '`shipping.phone`',
    copies: [
      copy(
        'phone',
        'shipping.phone',
        (c) => c.phone,
        (held) => text(held.shipping?.phone),
      ),
    ],
  },
  address: {
    support: 'full',
    note: '`shipping.address`, country upper-case',
    copies: ADDRESS_PARTS.map((part) =>
      copy(
        `address.${part}`,
        `shipping.address.${part}`,
        (c) => (part === 'country' ? c.address?.country.toUpperCase() : c.address?.[part]),
        (held) => {
          const value = text(held.shipping?.address?.[part]);
          return part === 'country' ? value?.toUpperCase() : value;
        },
      ),
    ),
  },
  'address.additionalAddressInfo': {
    support: 'full',
    note: '`shipping.additionalAddressInfo`',
    copies: ADDITIONAL_PARTS.map((part) =>
      copy(
        `address.additionalAddressInfo.${part}`,
        `shipping.additionalAddressInfo.${part}`,
        (c) => c.address?.additionalAddressInfo?.[part],
        (held) => text(held.shipping?.additionalAddressInfo?.[part]),
      ),
    ),
  },
  locale: {
    support: 'partial',
    projection:
      "one of DR's 24 locales: the same, else the same language in the region DR lists (en-GB → en-US)",
    unheld: `a language DR does not list, or no locale, is sent as DR's default ${fromDrLocale(DR_DEFAULT_LOCALE)}`,
    // DR's default is what "no locale" is there: read back as none when the mirror has none.
    copies: [
      copy(
        'locale',
        'locale',
        (c) => (c.locale === undefined ? undefined : dr(drLocaleOf(c.locale))),
        (held, c) => {
          const locale = text(held.locale) ?? DR_DEFAULT_LOCALE;
          return c.locale === undefined && locale === DR_DEFAULT_LOCALE ? undefined : dr(locale);
        },
      ),
    ],
    refuses: (c) => drUnsupportedFields(c).includes('locale'),
    loses: (c) => c.locale !== undefined && toDrLocale(c.locale) === undefined && drHoldsLanguageOf(c.locale),
  },
  type: {
    support: 'full',
    unheld: `no type is sent as DR's default \`${DR_DEFAULT_TYPE}\``,
    // DR's default is what "no type" is there: read back as none when the mirror has none.
    copies: [
      copy(
        'type',
        'type',
        (c) => c.type,
        (held, c) => {
          const type = text(held.type) ?? DR_DEFAULT_TYPE;
          return c.type === undefined && type === DR_DEFAULT_TYPE ? undefined : type;
        },
      ),
    ],
  },
  enabled: {
    support: 'full',
    note: 'false blocks orders',
    copies: [
      copy(
        'enabled',
        'enabled',
        (c) => c.enabled,
        (held) => held.enabled ?? true,
      ),
    ],
  },
  metadata: {
    support: 'full',
    note: '20 keys, key <= 40 chars, value <= 500 chars; merged on update, "" deletes a key',
    // Read back string-valued (DR values may be any JSON), as the mirror holds them.
    copies: [
      {
        field: 'metadata',
        at: 'metadata',
        project: (c) => c.metadata,
        read: (remote) => remote.customer.metadata,
      },
    ],
  },
  taxIdentifiers: {
    support: 'full',
    note: 'separate resource (/tax-identifiers), one per type',
    copies: [
      {
        field: 'taxIdentifiers',
        at: 'taxIdentifiers',
        project: (c) => c.taxIdentifiers,
        read: (remote) => remote.customer.taxIdentifiers,
      },
    ],
  },
  taxCertificates: {
    support: 'partial',
    projection: 'the certificates sent, one per request; none can be removed',
    copies: [
      {
        field: 'taxCertificates',
        at: 'taxCertificates',
        project: (c) => (c.taxCertificates.length > 1 ? NOT_COMPARED : c.taxCertificates),
        read: (remote) => remote.customer.taxCertificates,
      },
    ],
    refuses: (c) => drUnsupportedFields(c).includes('taxCertificates'),
    loses: () => false,
  },
  sourceIds: {
    support: 'full',
    note: 'sources are created client-side, then attached',
    copies: [
      {
        field: 'sourceIds',
        at: 'sources',
        project: (c) => c.sourceIds,
        read: (remote) => remote.customer.sourceIds,
      },
    ],
  },
  defaultSourceId: {
    support: 'full',
    note: 'must be an attached source',
    copies: [
      copy(
        'defaultSourceId',
        'defaultSourceId',
        (c) => c.defaultSourceId,
        (held) => text(held.defaultSourceId),
      ),
    ],
  },
};
