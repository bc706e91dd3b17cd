import { SandboxHttpError } from '../shared/sandbox-server';
import { drErrorResponse, type DigitalRiverErrorItem } from './digital-river.errors';
import {
  type DigitalRiverAddress,
  type DigitalRiverCustomerType,
  type DigitalRiverShipping,
  type DigitalRiverTaxCertificate,
  type JsonValue,
} from './digital-river.types';

/**
 * Request validation with DR's documented codes (DR's PHP SDK ObjectSerializer.php error-code table):
 * every problem in a request is reported at once, as an `errors[]` entry with the offending
 * `parameter` (dotted path for nested fields).
 */

/** `id` <= 40 characters, else 400 invalid_parameter (docs/providers/digital-river.md "Unique identifier"). */
export const MAX_CUSTOMER_ID_LENGTH = 40;
/** Metadata limits: 20 keys, key <= 40 chars, value <= 500 chars (DR "Working with metadata"; DR's PHP SDK). */
export const MAX_METADATA_KEYS = 20;
export const MAX_METADATA_KEY_LENGTH = 40;
export const MAX_METADATA_VALUE_LENGTH = 500;

/** Supported locales (DR's docs source integration-options/checkouts/creating-checkouts/designating-a-locale.md). */
export const SUPPORTED_LOCALES: ReadonlySet<string> = new Set([
  'fr_BE',
  'fr_CH',
  'fr_FR',
  'fr_CA',
  'it_CH',
  'it_IT',
  'nl_BE',
  'nl_NL',
  'no_NO',
  'pl_PL',
  'ja_JP',
  'ro_RO',
  'ko_KR',
  'zh_CN',
  'zh_TW',
  'cs_CZ',
  'da_DK',
  'fi_FI',
  'de_AT',
  'de_CH',
  'de_DE',
  'es_ES',
  'sv_SE',
  'en_US',
]);

/** DR's PHP SDK lib/Model/CustomerType.php. */
const CUSTOMER_TYPES: ReadonlySet<string> = new Set(['individual', 'business']);

const EMAIL_PATTERN = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/**
 * Fields of CustomerRequest (create) and UpdateCustomerRequest (DR's PHP SDK docs/Model; docs/providers/digital-river.md): the same
 * set, but only create takes an `id` and only update takes `requestToBeForgotten`.
 */
const SHARED_FIELDS = [
  'email',
  'shipping',
  'defaultSourceId',
  'taxCertificate',
  'metadata',
  'locale',
  'type',
  'enabled',
];
const CREATE_FIELDS = new Set(['id', ...SHARED_FIELDS]);
const UPDATE_FIELDS = new Set([...SHARED_FIELDS, 'requestToBeForgotten']);
const SHIPPING_FIELDS = new Set([
  'name',
  'phone',
  'email',
  'organization',
  'address',
  'additionalAddressInfo',
]);
const ADDRESS_FIELDS = new Set(['line1', 'line2', 'city', 'postalCode', 'state', 'country']);
const ADDITIONAL_ADDRESS_FIELDS = new Set(['neighborhood', 'division', 'phoneticName']);
const TAX_CERTIFICATE_FIELDS = new Set(['companyName', 'taxAuthority', 'startDate', 'endDate', 'fileId']);

/**
 * A validated create or update body. `null` on update clears an optional field (tolerant choice,
 * see README); metadata values of `""` delete keys on update (DR "Working with metadata").
 */
export interface CustomerInput {
  id?: string;
  email?: string | null;
  shipping?: DigitalRiverShipping | null;
  defaultSourceId?: string | null;
  taxCertificate?: DigitalRiverTaxCertificate;
  metadata?: Record<string, JsonValue>;
  locale?: string | null;
  type?: DigitalRiverCustomerType;
  enabled?: boolean;
  requestToBeForgotten?: boolean;
}

export interface TimeRange {
  eq?: number;
  gt?: number;
  gte?: number;
  lt?: number;
  lte?: number;
}

export interface CustomerListQuery {
  limit: number;
  startingAfter?: string;
  endingBefore?: string;
  email?: string;
  ids?: string[];
  requestToBeForgotten?: boolean;
  createdTime?: TimeRange;
  updatedTime?: TimeRange;
}

export interface PageQuery {
  limit: number;
  startingAfter?: string;
  endingBefore?: string;
}

class Collector {
  readonly errors: DigitalRiverErrorItem[] = [];

  add(code: string, parameter: string, message: string): void {
    this.errors.push({ code, parameter, message });
  }

  throwIfAny(): void {
    if (this.errors.length > 0) throw new SandboxHttpError(drErrorResponse(400, 'bad_request', this.errors));
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function checkUnknown(
  c: Collector,
  value: Record<string, unknown>,
  allowed: ReadonlySet<string>,
  prefix: string,
) {
  for (const key of Object.keys(value)) {
    if (!allowed.has(key))
      c.add('unknown_parameter', prefix + key, `'${prefix + key}' is not a valid parameter.`);
  }
}

function str(c: Collector, value: unknown, parameter: string): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string') {
    c.add('invalid_parameter', parameter, `'${parameter}' must be a string.`);
    return undefined;
  }
  return value;
}

function email(c: Collector, value: unknown, parameter: string): string | undefined {
  const text = str(c, value, parameter);
  if (text === undefined) return undefined;
  if (text === '') {
    c.add('invalid_string_empty', parameter, `'${parameter}' must not be empty.`);
    return undefined;
  }
  if (!EMAIL_PATTERN.test(text)) {
    c.add('email_invalid', parameter, `'${text}' is not a valid email address.`);
    return undefined;
  }
  return text;
}

function bool(c: Collector, value: unknown, parameter: string): boolean | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'boolean') {
    c.add('invalid_boolean', parameter, `'${parameter}' must be true or false.`);
    return undefined;
  }
  return value;
}

function stringFields<T>(
  c: Collector,
  value: Record<string, unknown>,
  fields: ReadonlySet<string>,
  prefix: string,
): T {
  const out: Record<string, string> = {};
  for (const field of fields) {
    const text = str(c, value[field], prefix + field);
    if (text !== undefined) out[field] = text;
  }
  return out as T;
}

function shipping(c: Collector, value: unknown): DigitalRiverShipping | undefined {
  if (!isRecord(value)) {
    c.add('invalid_parameter', 'shipping', "'shipping' must be an object.");
    return undefined;
  }
  checkUnknown(c, value, SHIPPING_FIELDS, 'shipping.');
  const out: DigitalRiverShipping = {};
  for (const field of ['name', 'phone', 'organization'] as const) {
    const text = str(c, value[field], `shipping.${field}`);
    if (text !== undefined) out[field] = text;
  }
  const shippingEmail = email(c, value['email'], 'shipping.email');
  if (shippingEmail !== undefined) out.email = shippingEmail;
  if (value['address'] !== undefined) {
    const address = value['address'];
    if (!isRecord(address)) {
      c.add('invalid_parameter', 'shipping.address', "'shipping.address' must be an object.");
    } else {
      checkUnknown(c, address, ADDRESS_FIELDS, 'shipping.address.');
      const parsed = stringFields<Partial<DigitalRiverAddress>>(
        c,
        address,
        ADDRESS_FIELDS,
        'shipping.address.',
      );
      // Country is required whenever an address is sent (DR's PHP SDK lib/Model/Address.php listInvalidProperties).
      if (address['country'] === undefined || address['country'] === null) {
        c.add('missing_parameter', 'shipping.address.country', "'shipping.address.country' is required.");
      } else if (parsed.country !== undefined && !/^[A-Z]{2}$/.test(parsed.country)) {
        c.add(
          'invalid_parameter',
          'shipping.address.country',
          `'${parsed.country}' is not an ISO 3166-1 alpha-2 country code.`,
        );
      }
      if (parsed.country !== undefined) out.address = parsed as DigitalRiverAddress;
    }
  }
  if (value['additionalAddressInfo'] !== undefined) {
    const info = value['additionalAddressInfo'];
    if (!isRecord(info)) {
      c.add(
        'invalid_parameter',
        'shipping.additionalAddressInfo',
        "'shipping.additionalAddressInfo' must be an object.",
      );
    } else {
      checkUnknown(c, info, ADDITIONAL_ADDRESS_FIELDS, 'shipping.additionalAddressInfo.');
      out.additionalAddressInfo = stringFields(
        c,
        info,
        ADDITIONAL_ADDRESS_FIELDS,
        'shipping.additionalAddressInfo.',
      );
    }
  }
  return out;
}

function metadata(c: Collector, value: unknown): Record<string, JsonValue> | undefined {
  if (!isRecord(value)) {
    c.add('invalid_parameter', 'metadata', "'metadata' must be an object.");
    return undefined;
  }
  const keys = Object.keys(value);
  if (keys.length > MAX_METADATA_KEYS) {
    c.add('too_many_metadata_pairs', 'metadata', `Metadata may have at most ${MAX_METADATA_KEYS} keys.`);
  }
  for (const key of keys) {
    if (key.length === 0 || key.length > MAX_METADATA_KEY_LENGTH) {
      c.add(
        'invalid_metadata_key',
        `metadata.${key}`,
        `Metadata keys must be 1-${MAX_METADATA_KEY_LENGTH} characters.`,
      );
    }
    const entry = value[key];
    // Values may be any JSON (nesting allowed); non-strings are measured by their JSON text.
    const length = typeof entry === 'string' ? entry.length : JSON.stringify(entry ?? null).length;
    if (length > MAX_METADATA_VALUE_LENGTH) {
      c.add(
        'invalid_metadata_value',
        `metadata.${key}`,
        `Metadata values must be at most ${MAX_METADATA_VALUE_LENGTH} characters.`,
      );
    }
  }
  return value as Record<string, JsonValue>;
}

function customerBody(body: unknown, allowed: ReadonlySet<string>): CustomerInput {
  const c = new Collector();
  const value = body ?? {};
  if (!isRecord(value)) {
    c.add('invalid_parameter', 'body', 'The request body must be a JSON object.');
    c.throwIfAny();
    return {};
  }
  checkUnknown(c, value, allowed, '');
  const out: CustomerInput = {};

  if (allowed.has('id') && value['id'] !== undefined) {
    const id = str(c, value['id'], 'id');
    if (id === '') c.add('invalid_string_empty', 'id', "'id' must not be empty.");
    else if (id !== undefined && id.length > MAX_CUSTOMER_ID_LENGTH) {
      c.add('invalid_parameter', 'id', `'id' must be ${MAX_CUSTOMER_ID_LENGTH} characters or less.`);
    } else if (id !== undefined) out.id = id;
  }
  if (value['email'] === null) out.email = null;
  else {
    const parsed = email(c, value['email'], 'email');
    if (parsed !== undefined) out.email = parsed;
  }
  if (value['shipping'] === null) out.shipping = null;
  else if (value['shipping'] !== undefined) {
    const parsed = shipping(c, value['shipping']);
    if (parsed !== undefined) out.shipping = parsed;
  }
  if (value['defaultSourceId'] === null) out.defaultSourceId = null;
  else {
    const parsed = str(c, value['defaultSourceId'], 'defaultSourceId');
    if (parsed !== undefined) out.defaultSourceId = parsed;
  }
  if (value['taxCertificate'] !== undefined) {
    const certificate = value['taxCertificate'];
    if (!isRecord(certificate))
      c.add('invalid_parameter', 'taxCertificate', "'taxCertificate' must be an object.");
    else {
      checkUnknown(c, certificate, TAX_CERTIFICATE_FIELDS, 'taxCertificate.');
      out.taxCertificate = stringFields(c, certificate, TAX_CERTIFICATE_FIELDS, 'taxCertificate.');
    }
  }
  if (value['metadata'] !== undefined) {
    const parsed = metadata(c, value['metadata']);
    if (parsed !== undefined) out.metadata = parsed;
  }
  if (value['locale'] === null) out.locale = null;
  else {
    const locale = str(c, value['locale'], 'locale');
    if (locale !== undefined && !SUPPORTED_LOCALES.has(locale)) {
      c.add('invalid_parameter', 'locale', `'${locale}' is not a supported locale.`);
    } else if (locale !== undefined) out.locale = locale;
  }
  const type = str(c, value['type'], 'type');
  if (type !== undefined && !CUSTOMER_TYPES.has(type)) {
    c.add('invalid_parameter', 'type', `'type' must be one of: individual, business.`);
  } else if (type !== undefined) out.type = type as DigitalRiverCustomerType;
  const enabled = bool(c, value['enabled'], 'enabled');
  if (enabled !== undefined) out.enabled = enabled;
  if (allowed.has('requestToBeForgotten')) {
    const forgotten = bool(c, value['requestToBeForgotten'], 'requestToBeForgotten');
    if (forgotten !== undefined) out.requestToBeForgotten = forgotten;
  }
  c.throwIfAny();
  return out;
}

export function validateCreateCustomer(body: unknown): CustomerInput {
  return customerBody(body, CREATE_FIELDS);
}

export function validateUpdateCustomer(body: unknown): CustomerInput {
  return customerBody(body, UPDATE_FIELDS);
}

const TIME_OPERATORS = ['gt', 'gte', 'lt', 'lte', 'eq'] as const;
const LIST_PARAMETERS = new Set([
  'limit',
  'startingAfter',
  'endingBefore',
  'email',
  'ids',
  'requestToBeForgotten',
]);
for (const field of ['createdTime', 'updatedTime']) {
  LIST_PARAMETERS.add(field);
  for (const op of TIME_OPERATORS) LIST_PARAMETERS.add(`${field}[${op}]`);
}
const PAGE_PARAMETERS = new Set(['limit', 'startingAfter', 'endingBefore']);

function single(c: Collector, query: Record<string, string | string[]>, name: string): string | undefined {
  const value = query[name];
  if (Array.isArray(value)) {
    c.add('invalid_parameter', name, `'${name}' may be given only once.`);
    return undefined;
  }
  return value;
}

function pageParameters(c: Collector, query: Record<string, string | string[]>): PageQuery {
  // limit 1-100, default 10 (docs/providers/digital-river.md list parameters).
  const rawLimit = single(c, query, 'limit');
  let limit = 10;
  if (rawLimit !== undefined) {
    const parsed = /^\d+$/.test(rawLimit) ? Number(rawLimit) : NaN;
    if (!(parsed >= 1 && parsed <= 100))
      c.add('invalid_parameter', 'limit', "'limit' must be between 1 and 100.");
    else limit = parsed;
  }
  const out: PageQuery = { limit };
  const startingAfter = single(c, query, 'startingAfter');
  const endingBefore = single(c, query, 'endingBefore');
  if (startingAfter !== undefined) out.startingAfter = startingAfter;
  if (endingBefore !== undefined) out.endingBefore = endingBefore;
  return out;
}

function timestamp(c: Collector, raw: string, parameter: string): number | undefined {
  const ms = /^\d{4}-\d{2}-\d{2}T/.test(raw) ? Date.parse(raw) : NaN;
  if (Number.isNaN(ms)) {
    c.add('invalid_parameter', parameter, `'${parameter}' must be an ISO-8601 date-time.`);
    return undefined;
  }
  return ms;
}

/** `GET /customers` query (docs/providers/digital-river.md; DR's PHP SDK docs/Api/CustomersApi.md for ids and time operators). */
export function validateCustomerListQuery(query: Record<string, string | string[]>): CustomerListQuery {
  const c = new Collector();
  for (const key of Object.keys(query)) {
    if (!LIST_PARAMETERS.has(key)) c.add('unknown_parameter', key, `'${key}' is not a valid parameter.`);
  }
  const out: CustomerListQuery = pageParameters(c, query);
  const mail = single(c, query, 'email');
  if (mail !== undefined) out.email = mail;
  // The SDK sends ids form/explode: `ids=a&ids=b` (DR's PHP SDK serializeCollection($ids,'form',true)).
  const ids = query['ids'];
  if (ids !== undefined) out.ids = Array.isArray(ids) ? ids : [ids];
  const forgotten = single(c, query, 'requestToBeForgotten');
  if (forgotten !== undefined) {
    if (forgotten !== 'true' && forgotten !== 'false') {
      c.add('invalid_boolean', 'requestToBeForgotten', "'requestToBeForgotten' must be true or false.");
    } else out.requestToBeForgotten = forgotten === 'true';
  }
  for (const field of ['createdTime', 'updatedTime'] as const) {
    const range: TimeRange = {};
    let any = false;
    const plain = single(c, query, field);
    if (plain !== undefined) {
      const ms = timestamp(c, plain, field);
      if (ms !== undefined) range.eq = ms;
      any = true;
    }
    for (const op of TIME_OPERATORS) {
      const raw = single(c, query, `${field}[${op}]`);
      if (raw === undefined) continue;
      const ms = timestamp(c, raw, `${field}[${op}]`);
      if (ms !== undefined) range[op] = ms;
      any = true;
    }
    if (any) out[field] = range;
  }
  c.throwIfAny();
  return out;
}

export function validatePageQuery(query: Record<string, string | string[]>): PageQuery {
  const c = new Collector();
  for (const key of Object.keys(query)) {
    if (!PAGE_PARAMETERS.has(key)) c.add('unknown_parameter', key, `'${key}' is not a valid parameter.`);
  }
  const out = pageParameters(c, query);
  c.throwIfAny();
  return out;
}

/** `POST /tax-identifiers {type, value}` (DR's PHP SDK docs/Api/TaxIdentifiersApi.md; DR's docs source tax-identifiers.md). */
export function validateTaxIdentifierCreate(body: unknown): { type: string; value: string } {
  const c = new Collector();
  const value = isRecord(body) ? body : {};
  checkUnknown(c, value, new Set(['type', 'value']), '');
  const out: Record<string, string> = {};
  for (const field of ['type', 'value']) {
    const raw = value[field];
    if (raw === undefined || raw === null) c.add('missing_parameter', field, `'${field}' is required.`);
    else {
      const text = str(c, raw, field);
      if (text === '') c.add('invalid_string_empty', field, `'${field}' must not be empty.`);
      else if (text !== undefined) out[field] = text;
    }
  }
  c.throwIfAny();
  return { type: out['type'] ?? '', value: out['value'] ?? '' };
}
