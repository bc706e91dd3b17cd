import { z } from 'zod';

/*
 * 2Checkout REST 6.0 wire shapes (`CustomerInformation`,
 * https://docs.2checkout.com/api-reference/reference/customers.md). Parsed as untrusted input and
 * tolerant of extra fields. The numeric reference is a number on create and a string on GET, and
 * is named `CustomerReference` (REST 6.0 OAS) or `AvangateCustomerReference` (older samples).
 */

const text = z.string().nullish();
const numericReference = z.union([z.number().int().nonnegative(), z.string().regex(/^\d+$/)]);

export const tcoCustomerSchema = z.looseObject({
  ExternalCustomerReference: text,
  CustomerReference: numericReference.nullish(),
  AvangateCustomerReference: numericReference.nullish(),
  FirstName: text,
  LastName: text,
  Company: text,
  FiscalCode: text,
  Address1: text,
  Address2: text,
  City: text,
  State: text,
  Zip: text,
  CountryCode: text,
  Phone: text,
  Fax: text,
  Email: text,
  ExistingCards: z.array(z.unknown()).nullish(),
  Enabled: z.boolean().nullish(),
  Trial: z.boolean().nullish(),
  Language: text,
});

/** Create answers the bare numeric customer reference (avangate REST samples, add-customer.rb). */
export const tcoCreatedSchema = numericReference;

/**
 * Error bodies seen in the official SDKs: `{error_code, message}` (Ruby SDK api.rb, node api-core.js)
 * and `{Errors:[{ErrorCode, Message}]}` (.NET SDK, card delete in the REST 6.0 OAS).
 */
export const tcoErrorBodySchema = z.looseObject({ error_code: z.string(), message: text });
export const tcoErrorsBodySchema = z.looseObject({
  Errors: z.array(z.looseObject({ ErrorCode: text, Message: text, SubscriptionReference: text })).min(1),
});

export type TcoCustomer = z.infer<typeof tcoCustomerSchema>;

/** The writable part of `CustomerInformation`, as we send it on create and (whole) on update. */
export interface TcoCustomerRequest {
  ExternalCustomerReference: string;
  FirstName?: string;
  LastName?: string;
  Company?: string;
  FiscalCode?: string;
  Address1?: string;
  Address2?: string;
  City?: string;
  State?: string;
  Zip?: string;
  CountryCode?: string;
  Phone?: string;
  Fax?: string;
  Email?: string;
  Language?: string;
}
