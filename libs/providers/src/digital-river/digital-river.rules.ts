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
