import { tcoError } from './two-checkout.errors';
import { type TwoCheckoutCustomerFields } from './two-checkout.types';

/**
 * CustomerInformation validation. The REST OAS (docs/providers/two-checkout.md) marks every field optional, but the SOAP and
 * JSON-RPC 6.0 Customer object docs mark FirstName, LastName, Address1, City, Zip, CountryCode and
 * Email required; we follow those (docs/providers/two-checkout.md#the-customer-object-customerinformation). 2CO answers with one error at a time.
 */
const REQUIRED = ['FirstName', 'LastName', 'Address1', 'City', 'Zip', 'CountryCode', 'Email'] as const;
const OPTIONAL = [
  'ExternalCustomerReference',
  'Company',
  'FiscalCode',
  'Address2',
  'State',
  'Phone',
  'Fax',
  'Language',
] as const;

const EMAIL_PATTERN = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Validates a create or PUT body into the full writable field set. PUT replaces the whole object,
 * so fields not sent become null (docs/providers/two-checkout.md#create-and-update-semantics: official samples read, modify, write it all).
 * Read-only fields (CustomerReference, ExistingCards, Enabled, Trial, Credit) and unknown fields
 * are ignored, as a tolerant server would.
 */
export function validateCustomerInformation(body: unknown): TwoCheckoutCustomerFields {
  if (!isRecord(body)) return tcoError(400, 'BAD_REQUEST', 'The request body must be a JSON object.');
  const text: Record<string, string | null> = {};
  for (const field of [...REQUIRED, ...OPTIONAL]) {
    const value = body[field];
    if (value === undefined || value === null) text[field] = null;
    else if (typeof value !== 'string') tcoError(400, 'INVALID_FIELD', `${field} must be a string.`);
    else text[field] = value.trim() === '' ? null : value;
  }
  for (const field of REQUIRED) {
    if (text[field] === null) tcoError(400, 'MISSING_FIELD', `${field} is required.`);
  }
  const country = text['CountryCode'] as string;
  // ISO 3166 two-letter code; stored and returned lower-case, as the recorded responses show.
  if (!/^[A-Za-z]{2}$/.test(country)) {
    tcoError(400, 'INVALID_COUNTRY_CODE', `CountryCode "${country}" is not an ISO 3166 two-letter code.`);
  }
  const email = text['Email'] as string;
  if (!EMAIL_PATTERN.test(email))
    tcoError(400, 'INVALID_EMAIL', `Email "${email}" is not a valid email address.`);
  const language = text['Language'];
  // ISO 639-1 two-letter code, e.g. "en" (SOAP/JSON-RPC 6.0 Customer object docs).
  if (language !== null && language !== undefined && !/^[A-Za-z]{2}$/.test(language)) {
    tcoError(400, 'INVALID_LANGUAGE', `Language "${language}" is not an ISO 639-1 two-letter code.`);
  }
  // FiscalCode is a company VAT id: Company is needed when it is present (same docs).
  if (text['FiscalCode'] !== null && text['Company'] === null) {
    tcoError(400, 'FISCAL_CODE_REQUIRES_COMPANY', 'Company is required when FiscalCode is set.');
  }
  return {
    ExternalCustomerReference: text['ExternalCustomerReference'] ?? null,
    FirstName: text['FirstName'] as string,
    LastName: text['LastName'] as string,
    Company: text['Company'] ?? null,
    FiscalCode: text['FiscalCode'] ?? null,
    Address1: text['Address1'] as string,
    Address2: text['Address2'] ?? null,
    City: text['City'] as string,
    State: text['State'] ?? null,
    Zip: text['Zip'] as string,
    CountryCode: country.toLowerCase(),
    Phone: text['Phone'] ?? null,
    Fax: text['Fax'] ?? null,
    Email: email,
    // Absent Language comes back as "" (PHP JSON-RPC sample output, docs/providers/two-checkout.md#create-and-update-semantics).
    Language: language?.toLowerCase() ?? '',
  };
}
