/**
 * What 2Checkout refuses, what it keeps only in part, and what its copy still holds after a scrub,
 * in canonical terms. Pure, so every path (create, update, link, dry runs, migration planning)
 * asks the same questions before any call is made.
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
import { TWO_CHECKOUT } from './two-checkout.client';
import {
  TCO_ERASED,
  TCO_ERASED_EMAIL_DOMAIN,
  TCO_ERASED_ZIP,
  TCO_REQUIRED_FIELDS,
} from './two-checkout.mapper';
import { TWO_CHECKOUT_FIELDS } from './two-checkout.fields';

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

/**
 * Held in part, from the field table: a locale with a region (Language is ISO 639-1 only), all
 * but the first tax id.
 */
export function tcoLossyFields(customer: CustomerData): CanonicalField[] {
  return lossyByTable(TWO_CHECKOUT_FIELDS, customer);
}

/** Not held at all, from the field table (the mapper's `tcoUnsupportedFields` agrees; see the spec). */
export function tcoUnheldFields(customer: CustomerData): CanonicalField[] {
  return unsupportedByTable(TWO_CHECKOUT_FIELDS, customer);
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

/** Why an operation is missing: 2CO's REST 6.0 reference lists no endpoint for it. */
export const NO_REST = 'REST 6.0 has no such endpoint';
/** The reference every capability cell cites. */
const DOCS = 'https://docs.2checkout.com/api-reference/reference/customers.md';

export const TWO_CHECKOUT_CAPABILITIES: ProviderCapabilities = {
  provider: TWO_CHECKOUT,
  displayName: '2Checkout (Verifone) REST 6.0',
  apiVersion: '6.0',
  docsUrl: DOCS,
  operations: {
    create: { support: 'full', note: 'POST /customers/ with our reference as ExternalCustomerReference' },
    get: { support: 'full', note: 'by CustomerReference or ExternalCustomerReference' },
    update: { support: 'full', note: 'read-modify-write: PUT /customers/{ref}/ of the whole object' },
    delete: {
      support: 'partial',
      note: 'no customer delete in REST, JSON-RPC or SOAP: a delete scrubs the personal fields (as forget does) and the gateway keeps a tombstone; the country stays (required)',
    },
    forget: {
      support: 'partial',
      note: 'personal fields overwritten by PUT, confirmed by a read-back; the country stays (required), orders keep their copies',
    },
    list: { support: 'none', note: `${NO_REST} (JSON-RPC searchCustomers needs a session)` },
    attachSource: { support: 'none', note: NO_REST },
    detachSource: { support: 'none', note: `${NO_REST} (only card unlink by transient token)` },
    attachTaxIdentifier: { support: 'none', note: 'send the VAT id as taxIdentifiers[0] through update' },
    detachTaxIdentifier: { support: 'none', note: 'remove it from taxIdentifiers through update' },
  },
  fields: capabilityFields(TWO_CHECKOUT_FIELDS),
  idempotency:
    'No Idempotency-Key; ExternalCustomerReference is unique per account, so a repeated create is answered by reading it',
  // No customer webhooks; IPN is about orders and LCN about subscriptions (docs/providers/two-checkout.md,
  // https://docs.2checkout.com/2checkout-apis/2checkout-apis/webhooks/license-change-notification-lcn/lcn-triggers):
  // changes made at 2CO are found by the sweep.
  changeNotifications: 'none',
  pagination: 'none',
};
