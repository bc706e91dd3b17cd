/**
 * What Digital River refuses, what it keeps only in part, and what its copy still holds after a
 * forget, in canonical terms. Pure, so every path asks the same questions before any call is made.
 */
import {
  capabilityFields,
  lossyByTable,
  unsupportedByTable,
  type CanonicalField,
  type CustomerData,
  type PersonalField,
  personalFieldsWithValues,
  type ProviderRuleViolation,
  type RemoteCustomer,
  type ProviderCapabilities,
} from '@app/domain';
import { DIGITAL_RIVER } from './digital-river.client';
import { DIGITAL_RIVER_FIELDS } from './digital-river.fields';
import { type DrCustomer } from './digital-river.schemas';

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
 * Held in part, from the field table: givenName and familyName (joined into the one
 * `shipping.name`, split again at the first space), a locale DR lists only in another region.
 */
export function drLossyFields(customer: CustomerData): CanonicalField[] {
  return lossyByTable(DIGITAL_RIVER_FIELDS, customer);
}

/** Not held at all, from the field table (the mapper's `drUnsupportedFields` agrees; see the spec). */
export function drUnheldFields(customer: CustomerData): CanonicalField[] {
  return unsupportedByTable(DIGITAL_RIVER_FIELDS, customer);
}

/**
 * Whatever personal field DR's copy still has a value for, its tax identifiers (attached ones are
 * part of the copy) included, and `sources` while a payment source attached to it still names its
 * owner: a source's `owner` holds the payer's name, email and billing address
 * (https://docs.digitalriver.com/digital-river-api-reference/2020-12-17/customers, the Source example), which DR erases with the
 * customer's forget and keeps after a customer delete.
 */
export function drPersonalDataHeld(remote: RemoteCustomer): PersonalField[] {
  const held: PersonalField[] = personalFieldsWithValues(remote.customer);
  if (drSourceOwnersHeld(remote.raw as DrCustomer | undefined)) held.push('sources');
  return held;
}

/** Whether a source attached to this DR customer still holds its owner's details. */
export function drSourceOwnersHeld(dr: DrCustomer | undefined): boolean {
  return (dr?.sources ?? []).some((source) =>
    Object.values(source.owner ?? {}).some((value) => value !== null && value !== undefined && value !== ''),
  );
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
    delete: {
      support: 'full',
      note: "DELETE /tax-identifiers/{id} for each, then DELETE /customers/{id} (204), confirmed by a read-back (404); detached payment sources keep their owner's details (reported as `sources`)",
    },
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
  fields: capabilityFields(DIGITAL_RIVER_FIELDS),
  idempotency:
    'No Idempotency-Key header; create sends our reference as `id` and answers 409 already_exists by reading it',
  pagination: 'cursor',
  // `limit` 1-100 on GET /customers, and as many `ids` (docs/providers/digital-river.md).
  listPageSize: 100,
  // customer.created/updated/deleted events, to webhooks and the Events API
  // (https://docs.digitalriver.com/digital-river-api/order-management/events-and-webhooks-1/events-1/all-event-types).
  changeNotifications: 'events',
};
