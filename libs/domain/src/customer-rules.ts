import { type CustomerData } from './customer';
import { type FieldError } from './errors';

/**
 * The API's own limits on metadata, part of its contract (validated on every request). They equal
 * Digital River's, the strictest provider today; a provider with stricter limits refuses a customer
 * in its own `check()` before any call (2Checkout keeps no metadata: the gateway holds it for 2CO).
 */
export const METADATA_LIMITS = { maxKeys: 20, maxKeyLength: 40, maxValueLength: 500 } as const;

/** DR ids are at most 40 characters ("Unique identifier" in https://docs.digitalriver.com/digital-river-api/customer-management/creating-a-customer); 2CO's external ids are alphanumeric. */
export const EXTERNAL_REFERENCE_PATTERN = /^[A-Za-z0-9_.-]{1,40}$/;

/**
 * Rules that span fields, checked on the whole customer after a partial update is merged, where
 * per-field validation of the patch alone cannot see them.
 */
export function customerInvariantViolations(data: CustomerData): FieldError[] {
  const problems: FieldError[] = [];
  if (data.address !== undefined && !data.address.country) {
    problems.push({
      field: 'address.country',
      code: 'required',
      message: 'An address needs a country (ISO 3166-1 alpha-2).',
    });
  }
  const keys = Object.keys(data.metadata).length;
  if (keys > METADATA_LIMITS.maxKeys) {
    problems.push({
      field: 'metadata',
      code: 'too_many_keys',
      message: `Metadata holds at most ${METADATA_LIMITS.maxKeys} keys; this update would leave ${keys}.`,
    });
  }
  const types = data.taxIdentifiers.map((t) => t.type);
  if (new Set(types).size !== types.length) {
    problems.push({
      field: 'taxIdentifiers',
      code: 'duplicate_type',
      message: 'A customer holds at most one tax identifier of each type.',
    });
  }
  return problems;
}
