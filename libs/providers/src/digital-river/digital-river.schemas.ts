import { z } from 'zod';

/*
 * Digital River wire shapes. Responses are parsed as untrusted input with a tolerant reader: DR
 * treats new fields, new enum values and longer ids as non-breaking changes
 * (https://docs.digitalriver.com/digital-river-api/general-resources/versioning), so objects pass
 * unknown keys through and enums are plain strings. Field list:
 * https://docs.digitalriver.com/digital-river-api-reference/2021-12-13/customers
 */

const text = z.string().nullish();

export const drAddressSchema = z.looseObject({
  line1: text,
  line2: text,
  city: text,
  postalCode: text,
  state: text,
  country: text,
});

export const drAdditionalAddressInfoSchema = z.looseObject({
  neighborhood: text,
  division: text,
  phoneticName: text,
});

export const drShippingSchema = z.looseObject({
  name: text,
  phone: text,
  email: text,
  organization: text,
  address: drAddressSchema.nullish(),
  additionalAddressInfo: drAdditionalAddressInfoSchema.nullish(),
});

export const drTaxIdentifierSchema = z.looseObject({
  id: text,
  type: z.string(),
  value: z.string(),
  state: text,
});

/** Older reference pages render dates as Java `OffsetDateTime` objects; real output is ISO text. */
const drTimestamp = z.union([z.string(), z.record(z.string(), z.unknown())]).nullish();

export const drTaxCertificateSchema = z.looseObject({
  companyName: text,
  taxAuthority: text,
  startDate: drTimestamp,
  endDate: drTimestamp,
  fileId: text,
});

/** A source's `owner` is the payer's name, email and billing address (personal data). */
export const drSourceSchema = z.looseObject({
  id: z.string(),
  owner: z.record(z.string(), z.unknown()).nullish(),
});

export const drCustomerSchema = z.looseObject({
  id: z.string().min(1),
  email: text,
  shipping: drShippingSchema.nullish(),
  defaultSourceId: text,
  sources: z.array(drSourceSchema).nullish(),
  taxIdentifiers: z.array(drTaxIdentifierSchema).nullish(),
  taxCertificates: z.array(drTaxCertificateSchema).nullish(),
  requestToBeForgotten: z.boolean().nullish(),
  type: text,
  // Values may be any JSON type at DR; canonical metadata is string-valued.
  metadata: z.record(z.string(), z.unknown()).nullish(),
  locale: text,
  enabled: z.boolean().nullish(),
  liveMode: z.boolean().nullish(),
  createdTime: drTimestamp,
  updatedTime: drTimestamp,
});

export const drCustomerListSchema = z.looseObject({ hasMore: z.boolean(), data: z.array(drCustomerSchema) });

/** `{type, errors:[{code, parameter?, message}]}` (DR's PHP SDK docs/Model/Errors.md). */
export const drErrorBodySchema = z.looseObject({
  type: z.string().optional(),
  errors: z.array(z.looseObject({ code: z.string(), parameter: text, message: text })).min(1),
});

export type DrAddress = z.infer<typeof drAddressSchema>;
export type DrShipping = z.infer<typeof drShippingSchema>;
export type DrCustomer = z.infer<typeof drCustomerSchema>;
export type DrCustomerList = z.infer<typeof drCustomerListSchema>;
export type DrTaxIdentifier = z.infer<typeof drTaxIdentifierSchema>;
export type DrErrorBody = z.infer<typeof drErrorBodySchema>;

/** Request bodies we build (never parsed, so plain types). */
export interface DrShippingRequest {
  name?: string;
  phone?: string;
  email?: string;
  organization?: string;
  address?: {
    line1?: string;
    line2?: string;
    city?: string;
    postalCode?: string;
    state?: string;
    country: string;
  };
  additionalAddressInfo?: { neighborhood?: string; division?: string; phoneticName?: string };
}

export interface DrTaxCertificateRequest {
  companyName?: string;
  taxAuthority?: string;
  startDate?: string;
  endDate?: string;
  fileId?: string;
}

/** `CustomerRequest` / `UpdateCustomerRequest` (DR's PHP SDK docs/Model/CustomerRequest.md). */
export interface DrCustomerRequest {
  id?: string;
  email?: string;
  shipping?: DrShippingRequest;
  defaultSourceId?: string;
  taxCertificate?: DrTaxCertificateRequest;
  metadata?: Record<string, string>;
  locale?: string;
  type?: string;
  enabled?: boolean;
  requestToBeForgotten?: boolean;
}

/** The tax-identifier answers the provider reads: created (its id), one, and a page of them. */
export const taxIdentifierCreatedSchema = z.looseObject({ id: z.string().min(1) });
export const anyBodySchema = z.unknown();
export const taxIdentifierSchema = z.looseObject({
  id: z.string().min(1),
  type: z.string(),
  value: z.string(),
  customerId: z.string().nullish(),
});
export const taxIdentifierListSchema = z.looseObject({
  hasMore: z.boolean(),
  data: z.array(taxIdentifierSchema),
});
