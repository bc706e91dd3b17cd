/**
 * Pure mapping between the canonical customer and Digital River's customer object, following the
 * mapping table in docs/providers/digital-river.md. No I/O: the provider decides which requests to send.
 */
import {
  type Address,
  type CanonicalField,
  type CustomerData,
  type CustomerType,
  type RemoteCustomer,
  type TaxCertificate,
  type TaxIdentifier,
} from '@app/domain';
import {
  type DrCustomer,
  type DrCustomerRequest,
  type DrShippingRequest,
  type DrTaxCertificateRequest,
} from './digital-river.schemas';

/**
 * The locales DR accepts (GitBook "Designating a locale",
 * https://docs.digitalriver.com/digital-river-api/integration-options/checkouts/creating-checkouts/designating-a-locale).
 */
export const DR_LOCALES: ReadonlySet<string> = new Set([
  'fr_BE', 'fr_CH', 'fr_FR', 'fr_CA', 'it_CH', 'it_IT', 'nl_BE', 'nl_NL', 'no_NO', 'pl_PL', 'ja_JP', 'ro_RO',
  'ko_KR', 'zh_CN', 'zh_TW', 'cs_CZ', 'da_DK', 'fi_FI', 'de_AT', 'de_CH', 'de_DE', 'es_ES', 'sv_SE', 'en_US',
]); // prettier-ignore

/** DR's request parameter names (as its errors' `parameter` give them) in canonical terms. */
const DR_PARAMETER_TO_CANONICAL: Readonly<Record<string, string>> = {
  id: 'externalReference',
  email: 'email',
  'shipping.name': 'givenName',
  'shipping.email': 'email',
  'shipping.phone': 'phone',
  'shipping.organization': 'companyName',
  'shipping.address': 'address',
  'shipping.additionalAddressInfo': 'address.additionalAddressInfo',
  locale: 'locale',
  type: 'type',
  enabled: 'enabled',
  metadata: 'metadata',
  defaultSourceId: 'defaultSourceId',
  sourceId: 'sourceIds',
  taxCertificate: 'taxCertificates',
};

/** `shipping.address.postalCode` → `address.postalCode`; undefined for parameters with no canonical field. */
export function canonicalFieldOfDrParameter(parameter: string): string | undefined {
  const address = /^shipping\.address\.(line1|line2|city|postalCode|state|country)$/.exec(parameter);
  if (address) return `address.${address[1]}`;
  return DR_PARAMETER_TO_CANONICAL[parameter];
}

/** BCP 47 `en-US` → DR `en_US`, or undefined when DR's fixed list has no such locale. */
export function toDrLocale(locale: string): string | undefined {
  const match = /^([a-z]{2})-([a-z]{2})$/i.exec(locale);
  if (!match) return undefined;
  const candidate = `${match[1]!.toLowerCase()}_${match[2]!.toUpperCase()}`;
  return DR_LOCALES.has(candidate) ? candidate : undefined;
}

/**
 * The locale DR uses for a customer without one: its checkouts default to en-US (same "Designating
 * a locale" page), so a customer with no locale and one with `en_US` are the same to DR.
 */
export const DR_DEFAULT_LOCALE = 'en_US';

/** For each language DR lists: its locale in the language's own country where listed (fr_FR, de_DE), else the only one. */
const DR_LANGUAGE_LOCALES: ReadonlyMap<string, string> = new Map(
  [...DR_LOCALES]
    .map((locale) => locale.slice(0, 2))
    .map((language) => {
      const home = `${language}_${language.toUpperCase()}`;
      return [
        language,
        DR_LOCALES.has(home) ? home : [...DR_LOCALES].find((l) => l.startsWith(`${language}_`))!,
      ];
    }),
);

/** The language of a BCP 47 locale is one DR lists (in some region). */
export function drHoldsLanguageOf(locale: string): boolean {
  return DR_LANGUAGE_LOCALES.has(/^([a-z]{2,3})\b/i.exec(locale)?.[1]?.toLowerCase() ?? '');
}

/**
 * The DR locale a canonical locale is held as: itself when DR lists it, else the same language in
 * the region DR lists (`en-GB` → `en_US`, `fr-LU` → `fr_FR`), else DR's default (`pt-BR`, or no
 * locale at all → `en_US`). Never the previous locale, which would contradict the customer.
 */
export function drLocaleOf(locale: string | undefined): string {
  if (locale === undefined) return DR_DEFAULT_LOCALE;
  const exact = toDrLocale(locale);
  if (exact !== undefined) return exact;
  const language = /^([a-z]{2,3})\b/i.exec(locale)?.[1]?.toLowerCase() ?? '';
  return DR_LANGUAGE_LOCALES.get(language) ?? DR_DEFAULT_LOCALE;
}

/**
 * The type DR holds for a customer without one: DR's examples create customers as `individual`
 * (https://docs.digitalriver.com/digital-river-api/customer-management/creating-and-updating-customers),
 * so a customer whose type is cleared is sent as `individual` rather than kept `business`.
 */
export const DR_DEFAULT_TYPE: CustomerType = 'individual';

/** DR `en_US` (or the `en-US` spelling one DR page uses) → BCP 47 `en-US`. */
export function fromDrLocale(locale: string): string {
  return locale.replace('_', '-');
}

/** DR holds one free-text `shipping.name`; canonical keeps the two parts. */
export function joinName(givenName?: string, familyName?: string): string | undefined {
  const joined = [givenName, familyName].filter((part) => part && part.trim() !== '').join(' ');
  return joined === '' ? undefined : joined;
}

/**
 * Splits DR's one name at the first space ("Mary Ann Smith" → "Mary" + "Ann Smith"). Splitting is
 * guesswork, so when the name is exactly what `known` would have sent we keep `known`'s parts.
 */
export function splitName(
  name: string | undefined,
  known?: Pick<CustomerData, 'givenName' | 'familyName'>,
): Pick<CustomerData, 'givenName' | 'familyName'> {
  const trimmed = name?.trim();
  if (!trimmed) return {};
  if (known && joinName(known.givenName, known.familyName) === trimmed) {
    return dropUndefined({ givenName: known.givenName, familyName: known.familyName });
  }
  const space = trimmed.search(/\s/);
  if (space < 0) return { givenName: trimmed };
  return { givenName: trimmed.slice(0, space), familyName: trimmed.slice(space).trim() };
}

export function toDrShipping(customer: CustomerData): DrShippingRequest | undefined {
  const address = customer.address;
  const shipping: DrShippingRequest = dropUndefined({
    name: joinName(customer.givenName, customer.familyName),
    phone: customer.phone,
    email: customer.email,
    organization: customer.companyName,
    address: address
      ? dropUndefined({
          line1: address.line1,
          line2: address.line2,
          city: address.city,
          postalCode: address.postalCode,
          state: address.state,
          // DR requires `country` whenever `address` is sent (DR's PHP SDK lib/Model/Address.php).
          country: address.country.toUpperCase(),
        })
      : undefined,
    additionalAddressInfo:
      address?.additionalAddressInfo && Object.keys(address.additionalAddressInfo).length > 0
        ? dropUndefined({ ...address.additionalAddressInfo })
        : undefined,
  });
  return Object.keys(shipping).length === 0 ? undefined : shipping;
}

/** DR's `shipping` as held, in the shape `toDrShipping` builds, so the two compare directly. */
export function heldShipping(dr: DrCustomer): DrShippingRequest | undefined {
  const shipping = dr.shipping ?? undefined;
  if (shipping === undefined) return undefined;
  const address = shipping.address ?? undefined;
  const extra = shipping.additionalAddressInfo ?? undefined;
  const additional = extra
    ? dropUndefined({
        neighborhood: extra.neighborhood ?? undefined,
        division: extra.division ?? undefined,
        phoneticName: extra.phoneticName ?? undefined,
      })
    : undefined;
  const held: DrShippingRequest = dropUndefined({
    name: shipping.name ?? undefined,
    phone: shipping.phone ?? undefined,
    email: shipping.email ?? undefined,
    organization: shipping.organization ?? undefined,
    address: address
      ? dropUndefined({
          line1: address.line1 ?? undefined,
          line2: address.line2 ?? undefined,
          city: address.city ?? undefined,
          postalCode: address.postalCode ?? undefined,
          state: address.state ?? undefined,
          country: address.country?.toUpperCase() ?? '',
        })
      : undefined,
    additionalAddressInfo: additional && Object.keys(additional).length > 0 ? additional : undefined,
  });
  return Object.keys(held).length === 0 ? undefined : held;
}

function toDrTaxCertificate(certificate: TaxCertificate): DrTaxCertificateRequest {
  return dropUndefined({ ...certificate });
}

/** What a create or update needs at DR: the customer body plus the sub-resource calls around it. */
export interface DrWritePlan {
  body: DrCustomerRequest;
  /** Sources to attach with `POST /customers/{id}/sources/{sourceId}`. */
  attachSources: string[];
  /** Sources to detach with `DELETE /customers/{id}/sources/{sourceId}`. */
  detachSources: string[];
  /**
   * Set on create when the default source is among those to attach: DR can only make an attached
   * source the default, so it is sent in a second update after the attach calls.
   */
  defaultSourceIdAfterAttach?: string;
  /** Tax identifiers are their own resource from API version 2021-02-23 on: create, then attach. */
  addTaxIdentifiers: TaxIdentifier[];
  /** Deleting a tax identifier is how DR detaches it. */
  removeTaxIdentifiers: TaxIdentifier[];
  unsupportedFields: CanonicalField[];
}

/**
 * Canonical fields of `customer` that have a value DR cannot hold at all (the field table in
 * digital-river.fields.ts says the same, checked by its spec): a locale whose language DR does not
 * list (sent as DR's default instead), and more than one tax certificate.
 */
export function drUnsupportedFields(customer: CustomerData): CanonicalField[] {
  const unsupported: CanonicalField[] = [];
  if (customer.locale !== undefined && !drHoldsLanguageOf(customer.locale)) unsupported.push('locale');
  // One `taxCertificate` per request (GitBook setting-tax-related-attributes.md).
  if (customer.taxCertificates.length > 1) unsupported.push('taxCertificates');
  return unsupported;
}

export function toDrCreatePlan(reference: string, customer: CustomerData): DrWritePlan {
  // No locale is DR's default; any other is sent as the nearest DR holds (see drLocaleOf).
  const locale = customer.locale === undefined ? undefined : drLocaleOf(customer.locale);
  const attachSources = [...new Set(customer.sourceIds)];
  const deferDefault =
    customer.defaultSourceId !== undefined && attachSources.includes(customer.defaultSourceId);
  const metadata = Object.keys(customer.metadata).length > 0 ? { ...customer.metadata } : undefined;
  const certificate = customer.taxCertificates[0];
  return {
    body: dropUndefined({
      id: reference,
      email: customer.email,
      shipping: toDrShipping(customer),
      defaultSourceId: deferDefault ? undefined : customer.defaultSourceId,
      taxCertificate: certificate ? toDrTaxCertificate(certificate) : undefined,
      metadata,
      locale,
      type: customer.type,
      enabled: customer.enabled,
    }),
    attachSources,
    detachSources: [],
    ...(deferDefault ? { defaultSourceIdAfterAttach: customer.defaultSourceId } : {}),
    addTaxIdentifiers: uniqueTaxIdentifiers(customer.taxIdentifiers),
    removeTaxIdentifiers: [],
    unsupportedFields: drUnsupportedFields(customer),
  };
}

/**
 * DR updates are partial (`POST /customers/{id}`): send only what changed between the state last
 * synced (`previous`) and `next`. When DR's copy itself is at hand (`held`), the fields read back
 * into one canonical field (`email` and `shipping.email`) or through a default (locale, type) are
 * diffed against it, so an edit made at DR to one of them alone is repaired too. Metadata is merged by DR and `""` deletes a key
 * (https://docs.digitalriver.com/digital-river-api-reference/digital-river-api-reference-guide/working-with-metadata),
 * so removed keys are sent as `""`. A value that was removed but cannot be cleared at DR (email,
 * locale, type, default source, tax certificates) is reported, not silently kept.
 */
export function toDrUpdatePlan(previous: CustomerData, next: CustomerData, held?: DrCustomer): DrWritePlan {
  const unsupported = new Set<CanonicalField>();
  const body: DrCustomerRequest = {};

  const email = held ? (held.email ?? undefined) : previous.email;
  if (next.email !== email) {
    if (next.email === undefined) unsupported.add('email');
    else body.email = next.email;
  }

  const before = held ? heldShipping(held) : toDrShipping(previous);
  const after = toDrShipping(next);
  if (!sameJson(before, after)) {
    if (after) body.shipping = after;
    else {
      for (const field of ['givenName', 'familyName', 'companyName', 'phone', 'address'] as const) {
        if (previous[field] !== undefined) unsupported.add(field);
      }
    }
  }

  // Locale and type are sent as DR holds them: a locale DR does not list as the nearest it does,
  // a cleared one as DR's defaults, never left at a previous value that contradicts the customer.
  const heldLocale = held ? (held.locale ?? undefined) : previous.locale && drLocaleOf(previous.locale);
  const locale = next.locale === undefined ? heldLocale && DR_DEFAULT_LOCALE : drLocaleOf(next.locale);
  if (locale !== undefined && locale !== heldLocale) body.locale = locale;
  if (next.locale !== undefined && !drHoldsLanguageOf(next.locale)) unsupported.add('locale');

  const heldType = held ? (held.type ?? undefined) : previous.type;
  const type = next.type ?? (heldType && DR_DEFAULT_TYPE);
  if (type !== undefined && type !== heldType) body.type = type;
  if (next.enabled !== (held ? (held.enabled ?? true) : previous.enabled)) body.enabled = next.enabled;

  const metadata: Record<string, string> = {};
  for (const [key, value] of Object.entries(next.metadata)) {
    if (previous.metadata[key] !== value) metadata[key] = value;
  }
  for (const key of Object.keys(previous.metadata)) {
    if (!(key in next.metadata)) metadata[key] = '';
  }
  if (Object.keys(metadata).length > 0) body.metadata = metadata;

  if (next.defaultSourceId !== previous.defaultSourceId) {
    if (next.defaultSourceId === undefined) unsupported.add('defaultSourceId');
    else body.defaultSourceId = next.defaultSourceId;
  }

  const addedCertificates = next.taxCertificates.filter(
    (certificate) => !previous.taxCertificates.some((old) => sameJson(old, certificate)),
  );
  const removedCertificates = previous.taxCertificates.some(
    (old) => !next.taxCertificates.some((certificate) => sameJson(old, certificate)),
  );
  if (addedCertificates.length > 1 || removedCertificates) unsupported.add('taxCertificates');
  const certificate = addedCertificates[0];
  if (certificate) body.taxCertificate = toDrTaxCertificate(certificate);

  return {
    body,
    attachSources: next.sourceIds.filter((id) => !previous.sourceIds.includes(id)),
    detachSources: previous.sourceIds.filter((id) => !next.sourceIds.includes(id)),
    addTaxIdentifiers: uniqueTaxIdentifiers(
      next.taxIdentifiers.filter((tax) => !previous.taxIdentifiers.some((old) => sameTax(old, tax))),
    ),
    removeTaxIdentifiers: previous.taxIdentifiers.filter(
      (old) => !next.taxIdentifiers.some((tax) => sameTax(old, tax)),
    ),
    unsupportedFields: [...unsupported],
  };
}

/**
 * DR customer → canonical. `known` is the canonical state we last wrote, used only to keep the
 * given/family split DR cannot store (see `splitName`).
 */
export function fromDrCustomer(dr: DrCustomer, known?: CustomerData): RemoteCustomer {
  const shipping = dr.shipping ?? undefined;
  const drAddress = shipping?.address ?? undefined;
  const extra = shipping?.additionalAddressInfo ?? undefined;
  const additionalAddressInfo = extra
    ? dropUndefined({
        neighborhood: extra.neighborhood ?? undefined,
        division: extra.division ?? undefined,
        phoneticName: extra.phoneticName ?? undefined,
      })
    : undefined;
  const address: Address | undefined = drAddress?.country
    ? dropUndefined({
        line1: drAddress.line1 ?? undefined,
        line2: drAddress.line2 ?? undefined,
        city: drAddress.city ?? undefined,
        state: drAddress.state ?? undefined,
        postalCode: drAddress.postalCode ?? undefined,
        country: drAddress.country.toUpperCase(),
        additionalAddressInfo:
          additionalAddressInfo && Object.keys(additionalAddressInfo).length > 0
            ? additionalAddressInfo
            : undefined,
      })
    : undefined;
  const customer: CustomerData = dropUndefined({
    email: dr.email ?? shipping?.email ?? undefined,
    ...splitName(shipping?.name ?? undefined, known),
    companyName: shipping?.organization ?? undefined,
    phone: shipping?.phone ?? undefined,
    address,
    locale: dr.locale ? fromDrLocale(dr.locale) : undefined,
    type: customerType(dr.type, known),
    // `enabled` is nullable at DR and defaults to true.
    enabled: dr.enabled ?? true,
    metadata: Object.fromEntries(
      Object.entries(dr.metadata ?? {}).map(([key, value]) => [
        key,
        typeof value === 'string' ? value : JSON.stringify(value),
      ]),
    ),
    taxIdentifiers: (dr.taxIdentifiers ?? []).map(({ type, value }) => ({ type, value })),
    taxCertificates: (dr.taxCertificates ?? []).map((certificate) =>
      dropUndefined({
        companyName: certificate.companyName ?? undefined,
        taxAuthority: certificate.taxAuthority ?? undefined,
        startDate: drDate(certificate.startDate),
        endDate: drDate(certificate.endDate),
        fileId: certificate.fileId ?? undefined,
      }),
    ),
    sourceIds: (dr.sources ?? []).map((source) => source.id),
    defaultSourceId: dr.defaultSourceId ?? undefined,
  });
  return {
    reference: dr.id,
    customer,
    // DR can hold every canonical field (externalReference is the `id` itself).
    unsupportedFields: [],
    forgotten: dr.requestToBeForgotten ?? false,
    raw: dr,
  };
}

/**
 * DR answers `individual` for a customer created without a type (its default). When the gateway
 * never set one, that default is not the customer's data and reads back as no type.
 */
function customerType(type: string | null | undefined, known?: CustomerData): CustomerType | undefined {
  if (!isCustomerType(type)) return undefined;
  return type === 'individual' && known !== undefined && known.type === undefined ? undefined : type;
}

function isCustomerType(value: string | null | undefined): value is CustomerType {
  return value === 'individual' || value === 'business';
}

/**
 * ISO text as DR sends it; older reference pages render `OffsetDateTime` objects, which we read
 * back to ISO so fixtures from those pages map too.
 */
function drDate(value: string | Record<string, unknown> | null | undefined): string | undefined {
  if (typeof value === 'string') return value;
  if (!value) return undefined;
  const { year, monthValue, dayOfMonth, hour, minute, second } = value;
  const parts = [year, monthValue, dayOfMonth, hour, minute, second].filter(
    (part): part is number => typeof part === 'number',
  );
  if (parts.length !== 6) return undefined;
  const [y, mo, d, h, mi, s] = parts;
  return new Date(Date.UTC(y!, mo! - 1, d, h, mi, s)).toISOString().replace('.000Z', 'Z');
}

function sameTax(a: TaxIdentifier, b: TaxIdentifier): boolean {
  return a.type === b.type && a.value === b.value;
}

function uniqueTaxIdentifiers(list: TaxIdentifier[]): TaxIdentifier[] {
  return list.filter((tax, index) => list.findIndex((other) => sameTax(other, tax)) === index);
}

function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** Removes keys whose value is undefined, so wire bodies and canonical objects stay minimal. */
function dropUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
