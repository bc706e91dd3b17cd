/**
 * What 2Checkout refuses, what it keeps only in part, and what its copy still holds after a scrub,
 * in canonical terms. Pure, so every path (create, update, link, dry runs, migration planning)
 * asks the same questions before any call is made.
 */
import {
  type CanonicalField,
  type CustomerData,
  type PersonalField,
  personalFieldsWithValues,
  type ProviderRuleViolation,
  type RemoteCustomer,
} from '@app/customer-domain';
import { TWO_CHECKOUT } from './two-checkout.client';
import {
  TCO_ERASED,
  TCO_ERASED_EMAIL_DOMAIN,
  TCO_ERASED_ZIP,
  TCO_REQUIRED_FIELDS,
  toTcoLanguage,
} from './two-checkout.mapper';

const EMAIL_PATTERN = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

function valueAt(customer: CustomerData, field: string): string | undefined {
  const [head, tail] = field.split('.') as [keyof CustomerData, string | undefined];
  const value = customer[head];
  if (tail === undefined) return typeof value === 'string' ? value : undefined;
  const nested = (value as Record<string, unknown> | undefined)?.[tail];
  return typeof nested === 'string' ? nested : undefined;
}

export function checkTcoCustomer(customer: CustomerData): ProviderRuleViolation[] {
  const violations: ProviderRuleViolation[] = [];
  const add = (field: string, rule: ProviderRuleViolation['rule'], message: string) =>
    violations.push({ provider: TWO_CHECKOUT, field, rule, message });
  for (const [field, tcoField] of TCO_REQUIRED_FIELDS) {
    if (!valueAt(customer, field)?.trim())
      add(field, 'required', `2Checkout requires ${tcoField} (${field}).`);
  }
  if (customer.email !== undefined && !EMAIL_PATTERN.test(customer.email)) {
    add('email', 'format', '2Checkout refuses this Email.');
  }
  // FiscalCode is a company VAT id: 2CO needs Company with it (same customer object docs).
  if (customer.taxIdentifiers.length > 0 && customer.companyName === undefined) {
    add(
      'taxIdentifiers',
      'requires',
      '2Checkout keeps a tax identifier only as FiscalCode, which needs companyName (Company).',
    );
  }
  return violations;
}

/** Held in part: the locale's region (Language is ISO 639-1 only), all but the first tax id. */
export function tcoLossyFields(customer: CustomerData): CanonicalField[] {
  const lossy: CanonicalField[] = [];
  if (customer.locale !== undefined && toTcoLanguage(customer.locale) !== customer.locale.toLowerCase()) {
    lossy.push('locale');
  }
  if (customer.taxIdentifiers.length > 1) lossy.push('taxIdentifiers');
  return lossy;
}

/** Country stays after a scrub: CountryCode is required and has no neutral value. */
export const TCO_UNERASABLE_FIELDS: readonly PersonalField[] = ['address'];

/** The personal fields 2CO still holds, not counting the placeholders a scrub wrote. */
export function tcoPersonalDataHeld(remote: RemoteCustomer): PersonalField[] {
  const customer = remote.customer;
  const real = (value: string | undefined) =>
    value === undefined || value === TCO_ERASED || value === TCO_ERASED_ZIP ? undefined : value;
  const address = customer.address;
  const scrubbed: CustomerData = {
    ...customer,
    givenName: real(customer.givenName),
    familyName: real(customer.familyName),
    email: customer.email?.endsWith(`@${TCO_ERASED_EMAIL_DOMAIN}`) ? undefined : customer.email,
    address:
      address === undefined
        ? undefined
        : {
            ...address,
            line1: real(address.line1),
            city: real(address.city),
            postalCode: real(address.postalCode),
          },
  };
  return personalFieldsWithValues(scrubbed);
}
