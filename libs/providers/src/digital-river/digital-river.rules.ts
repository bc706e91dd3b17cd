/**
 * What Digital River refuses, what it keeps only in part, and what its copy still holds after a
 * forget, in canonical terms. Pure, so every path asks the same questions before any call is made.
 */
import {
  type CanonicalField,
  type CustomerData,
  type PersonalField,
  personalFieldsWithValues,
  type ProviderRuleViolation,
  type RemoteCustomer,
  type ProviderCapabilities,
} from '@app/customer-domain';
import { DIGITAL_RIVER } from './digital-river.client';

/**
 * A customer `id` is at most 40 characters, else 400 invalid_parameter
 * (https://docs.digitalriver.com/digital-river-api/customer-management/creating-and-updating-customers).
 */
export const DR_MAX_ID_LENGTH = 40;

/**
 * 20 keys, keys up to 40 characters, values up to 500
 * (https://docs.digitalriver.com/digital-river-api-reference/digital-river-api-reference-guide/working-with-metadata).
 */
export const DR_METADATA_LIMITS = { maxKeys: 20, maxKeyLength: 40, maxValueLength: 500 } as const;

export function checkDrCustomer(customer: CustomerData): ProviderRuleViolation[] {
  const violations: ProviderRuleViolation[] = [];
  const add = (field: string, rule: ProviderRuleViolation['rule'], message: string) =>
    violations.push({ provider: DIGITAL_RIVER, field, rule, message });
  if (customer.externalReference !== undefined && customer.externalReference.length > DR_MAX_ID_LENGTH) {
    add('externalReference', 'max_length', `Digital River ids are at most ${DR_MAX_ID_LENGTH} characters.`);
  }
  // `country` is required whenever `address` is sent (DR's PHP SDK lib/Model/Address.php).
  if (customer.address !== undefined && !customer.address.country) {
    add('address.country', 'required', 'Digital River requires a country in every address.');
  }
  const entries = Object.entries(customer.metadata);
  if (entries.length > DR_METADATA_LIMITS.maxKeys) {
    add('metadata', 'max_length', `Digital River keeps at most ${DR_METADATA_LIMITS.maxKeys} metadata keys.`);
  }
  if (
    entries.some(
      ([key, value]) =>
        key.length > DR_METADATA_LIMITS.maxKeyLength || value.length > DR_METADATA_LIMITS.maxValueLength,
    )
  ) {
    add(
      'metadata',
      'max_length',
      `Digital River metadata keys are at most ${DR_METADATA_LIMITS.maxKeyLength} characters and values at most ${DR_METADATA_LIMITS.maxValueLength}.`,
    );
  }
  // DR makes only an attached source the default.
  if (customer.defaultSourceId !== undefined && !customer.sourceIds.includes(customer.defaultSourceId)) {
    add('defaultSourceId', 'requires', 'Digital River makes only an attached source (sources) the default.');
  }
  return violations;
}

/**
 * DR keeps one free-text `shipping.name`: givenName and familyName are joined into it and split
 * again at the first space on the way back, so both are held only in part.
 */
export function drLossyFields(customer: CustomerData): CanonicalField[] {
  const lossy: CanonicalField[] = [];
  if (customer.givenName !== undefined) lossy.push('givenName');
  if (customer.familyName !== undefined) lossy.push('familyName');
  return lossy;
}

/** Whatever personal field DR's copy still has a value for. */
export function drPersonalDataHeld(remote: RemoteCustomer): PersonalField[] {
  return personalFieldsWithValues(remote.customer);
}

/** The reference every capability cell cites. */
const DOCS = 'https://docs.digitalriver.com/digital-river-api-reference/2021-12-13/customers';

export const DIGITAL_RIVER_CAPABILITIES: ProviderCapabilities = {
  provider: DIGITAL_RIVER,
  displayName: 'Digital River',
  apiVersion: 'dated versions pinned per key (2021-12-13 or later assumed: tax identifiers are a resource)',
  docsUrl: DOCS,
  operations: {
    create: { support: 'full', note: 'POST /customers with our reference as `id`' },
    get: { support: 'full' },
    update: { support: 'full', note: 'POST /customers/{id}, partial; metadata merged, "" deletes a key' },
    delete: { support: 'full', note: 'DELETE /customers/{id} (204), confirmed by a read-back (404)' },
    forget: {
      support: 'full',
      note: 'requestToBeForgotten: true; DR erases asynchronously, so the erasure stays `requested` until a read-back shows no personal data',
    },
    list: { support: 'full', note: 'cursor: startingAfter / endingBefore, limit 1-100, newest first' },
    attachSource: { support: 'full' },
    detachSource: { support: 'full' },
    attachTaxIdentifier: { support: 'full', note: 'POST /tax-identifiers, then attach to the customer' },
    detachTaxIdentifier: { support: 'full', note: 'DELETE /tax-identifiers/{id}' },
  },
  fields: {
    externalReference: { support: 'full', note: 'is the DR `id` (<= 40 chars)' },
    email: { support: 'full', note: 'cannot be cleared once set' },
    givenName: { support: 'partial', note: 'joined with familyName into the one `shipping.name`' },
    familyName: { support: 'partial', note: 'joined with givenName into the one `shipping.name`' },
    companyName: { support: 'full', note: '`shipping.organization`' },
    phone: { support: 'full', note: '`shipping.phone`' },
    address: { support: 'full', note: '`shipping.address`' },
    'address.additionalAddressInfo': { support: 'full' },
    locale: { support: 'partial', note: "DR's fixed list of 24 locales only" },
    type: { support: 'full' },
    enabled: { support: 'full', note: 'false blocks orders' },
    metadata: { support: 'full', note: '20 keys, key <= 40 chars, value <= 500 chars' },
    taxIdentifiers: { support: 'full', note: 'separate resource, one per type' },
    taxCertificates: { support: 'partial', note: 'one added per request; cannot be removed' },
    sourceIds: { support: 'full', note: 'sources are created client-side, then attached' },
    defaultSourceId: { support: 'full', note: 'must be an attached source' },
  },
  idempotency:
    'No Idempotency-Key header; create sends our reference as `id` and answers 409 already_exists by reading it',
  pagination: 'cursor',
  // `limit` 1-100 on GET /customers, and as many `ids` (docs/providers/digital-river.md).
  listPageSize: 100,
  // customer.created/updated/deleted events, to webhooks and the Events API
  // (https://docs.digitalriver.com/digital-river-api/order-management/events-and-webhooks-1/events-1/all-event-types).
  changeNotifications: 'events',
};
