import { ApiProperty, ApiPropertyOptional, type SchemaObject } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import {
  ArrayMaxSize,
  IsArray,
  IsBoolean,
  IsEmail,
  IsIn,
  IsISO31661Alpha2,
  IsISO8601,
  IsOptional,
  IsString,
  Matches,
  MaxLength,
  MinLength,
  ValidateNested,
} from 'class-validator';
import {
  CUSTOMER_TYPES,
  type Customer,
  type CustomerData,
  type CustomerPatch,
  type CustomerType,
  EXTERNAL_REFERENCE_PATTERN,
  LINK_STATUSES,
  type Erasure,
  LINK_INTENTS,
  type LinkError,
  type LinkIntent,
  type LinkStatus,
  COMPARED_FIELDS,
  type ComparedField,
  type ReconcileRequest,
  type ProviderReport,
  type ProviderLink,
  PROVIDER_RULE_CODES,
  type ProviderRuleCode,
} from '@app/customer-domain';

import { canonicalLocale, IsBcp47Locale, IsChoiceMap, IsMetadata, PageLimit } from '../http/validators';

/** DR source ids are UUIDs; any provider's source id is at least this tame. */
const SOURCE_ID_PATTERN = /^[A-Za-z0-9_-]{1,100}$/;
// Patterns the validators enforce, stated in the OpenAPI document too (it is written from the
// decorators alone: no CLI plugin infers them, so what `npm start` serves is what is committed).
const PHONE = /^[0-9+()\-./ x]{3,40}$/;
const PROVIDER_ID = /^[a-z0-9-]{1,40}$/;
const ACCOUNT = /^[A-Za-z0-9._-]{1,64}$/;

// Examples come from the providers' own documentation (seeds 002/003: Digital River's "John Smith").
const upperCase = ({ value }: { value: unknown }) =>
  typeof value === 'string' ? value.toUpperCase() : value;

export class AdditionalAddressInfoDto {
  @ApiPropertyOptional({ maxLength: 100, example: 'Centro' })
  @IsOptional()
  @IsString()
  @MaxLength(100)
  neighborhood?: string;

  @ApiPropertyOptional({ maxLength: 100, example: 'Minnesota' })
  @IsOptional()
  @IsString()
  @MaxLength(100)
  division?: string;

  @ApiPropertyOptional({ maxLength: 100, example: 'ジョン スミス' })
  @IsOptional()
  @IsString()
  @MaxLength(100)
  phoneticName?: string;
}

class AddressFields {
  @ApiPropertyOptional({ maxLength: 200, example: '10380 Bren Rd W' })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  line1?: string;

  @ApiPropertyOptional({ maxLength: 200, example: 'Suite 100' })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  line2?: string;

  @ApiPropertyOptional({ maxLength: 100, example: 'Minnetonka' })
  @IsOptional()
  @IsString()
  @MaxLength(100)
  city?: string;

  @ApiPropertyOptional({ maxLength: 100, example: 'MN' })
  @IsOptional()
  @IsString()
  @MaxLength(100)
  state?: string;

  @ApiPropertyOptional({ maxLength: 20, example: '55129' })
  @IsOptional()
  @IsString()
  @MaxLength(20)
  postalCode?: string;

  @ApiPropertyOptional({ type: AdditionalAddressInfoDto })
  @IsOptional()
  @ValidateNested()
  @Type(() => AdditionalAddressInfoDto)
  additionalAddressInfo?: AdditionalAddressInfoDto;
}

export class AddressDto extends AddressFields {
  @ApiProperty({ description: 'ISO 3166-1 alpha-2; normalised to upper case.', example: 'US' })
  @Transform(upperCase)
  @IsISO31661Alpha2()
  country!: string;
}

/** In a partial update every address field is optional; `null` removes it. */
export class AddressPatchDto extends AddressFields {
  @ApiPropertyOptional({ description: 'ISO 3166-1 alpha-2; normalised to upper case.', example: 'US' })
  @IsOptional()
  @Transform(upperCase)
  @IsISO31661Alpha2()
  country?: string;
}

export class TaxIdentifierDto {
  @ApiProperty({
    minLength: 1,
    maxLength: 40,
    example: 'de',
    description: 'The tax identifier type, e.g. a VAT scheme.',
  })
  @IsString()
  @MinLength(1)
  @MaxLength(40)
  type!: string;

  @ApiProperty({ minLength: 1, maxLength: 40, example: 'DE123456789' })
  @IsString()
  @MinLength(1)
  @MaxLength(40)
  value!: string;
}

export class TaxCertificateDto {
  @ApiPropertyOptional({ maxLength: 200, example: 'Digital River' })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  companyName?: string;

  @ApiPropertyOptional({ maxLength: 100, example: 'MN' })
  @IsOptional()
  @IsString()
  @MaxLength(100)
  taxAuthority?: string;

  @ApiPropertyOptional({ example: '2019-08-24T14:15:22Z' })
  @IsOptional()
  @IsISO8601()
  startDate?: string;

  @ApiPropertyOptional({ example: '2024-08-24T14:15:22Z' })
  @IsOptional()
  @IsISO8601()
  endDate?: string;

  @ApiPropertyOptional({ maxLength: 100, example: 'file_123' })
  @IsOptional()
  @IsString()
  @MaxLength(100)
  fileId?: string;
}

/** Fields shared by create and update; the update variant admits `null` to clear a field. */
class CustomerFields {
  @ApiPropertyOptional({
    description:
      "The caller's own unique id for the customer (letters, digits, '.', '_', '-'; at most 40, Digital River's limit).",
    example: '5823594808',
  })
  @IsOptional()
  @IsString()
  @Matches(EXTERNAL_REFERENCE_PATTERN, {
    message: 'externalReference must be 1-40 letters, digits, ".", "_" or "-"',
  })
  externalReference?: string;

  @ApiPropertyOptional({ maxLength: 254, format: 'email', example: 'jsmith@digitalriver.com' })
  @IsOptional()
  @IsEmail()
  @MaxLength(254)
  email?: string;

  @ApiPropertyOptional({ maxLength: 100, example: 'John' })
  @IsOptional()
  @IsString()
  @MaxLength(100)
  givenName?: string;

  @ApiPropertyOptional({ maxLength: 100, example: 'Smith' })
  @IsOptional()
  @IsString()
  @MaxLength(100)
  familyName?: string;

  @ApiPropertyOptional({ maxLength: 200, example: 'Digital River' })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  companyName?: string;

  @ApiPropertyOptional({ maxLength: 40, pattern: PHONE.source, example: '952-111-1111' })
  @IsOptional()
  @IsString()
  @Matches(PHONE, { message: 'phone must be 3-40 digits, spaces and + ( ) - . / x' })
  phone?: string;

  @ApiPropertyOptional({
    description: 'BCP 47 language tag; normalised to canonical case.',
    example: 'en-US',
  })
  @IsOptional()
  @Transform(({ value }) => canonicalLocale(value))
  @IsBcp47Locale()
  locale?: string;

  @ApiPropertyOptional({ enum: CUSTOMER_TYPES, example: 'individual' })
  @IsOptional()
  @IsIn(CUSTOMER_TYPES)
  type?: CustomerType;

  @ApiPropertyOptional({ default: true, description: 'false blocks new orders for the customer.' })
  @IsOptional()
  @IsBoolean()
  enabled?: boolean;

  @ApiPropertyOptional({ type: [TaxIdentifierDto], maxItems: 10, description: 'At most one per type.' })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(10)
  @ValidateNested({ each: true })
  @Type(() => TaxIdentifierDto)
  taxIdentifiers?: TaxIdentifierDto[];

  @ApiPropertyOptional({ type: [TaxCertificateDto], maxItems: 10 })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(10)
  @ValidateNested({ each: true })
  @Type(() => TaxCertificateDto)
  taxCertificates?: TaxCertificateDto[];

  @ApiPropertyOptional({
    nullable: true,
    type: String,
    description:
      'The default payment source, e.g. `fd74a5c5-0163-469a-ae8e-031f0259b576`: one of the attached `sources` (else 422 default_source_not_attached); null clears it on update.',
    // null keeps the example body valid as-is: a made-up source id would not be attached.
    example: null,
  })
  @IsOptional()
  @IsString()
  @Matches(SOURCE_ID_PATTERN, {
    message: 'defaultSourceId must be a source id (1-100 letters, digits, "_" or "-")',
  })
  defaultSourceId?: string | null;
}

export class ProviderTargetDto {
  @ApiProperty({
    example: 'digital-river',
    pattern: PROVIDER_ID.source,
    description: 'A provider id from GET /v1/providers.',
  })
  @IsString()
  @Matches(PROVIDER_ID, { message: 'provider must be a provider id such as digital-river' })
  provider!: string;

  @ApiPropertyOptional({
    example: 'sandbox',
    pattern: ACCOUNT.source,
    description: "The provider account; default: the provider's first configured one.",
  })
  @IsOptional()
  @IsString()
  @Matches(ACCOUNT, { message: 'account must be 1-64 letters, digits, ".", "_" or "-"' })
  account?: string;
}

export class ImportCustomerBody extends ProviderTargetDto {
  @ApiProperty({
    minLength: 1,
    maxLength: 64,
    example: '5823594808',
    description: "Any of the provider's references for the customer.",
  })
  @IsString()
  @MinLength(1)
  @MaxLength(64)
  reference!: string;
}

export class CreateCustomerBody extends CustomerFields {
  @ApiPropertyOptional({
    type: [ProviderTargetDto],
    maxItems: 10,
    description:
      'Where to create the customer; default: the configured DEFAULT_PROVIDERS. An empty list keeps it in the gateway only.',
  })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(10)
  @ValidateNested({ each: true })
  @Type(() => ProviderTargetDto)
  providers?: ProviderTargetDto[];

  @ApiPropertyOptional({ type: AddressDto })
  @IsOptional()
  @ValidateNested()
  @Type(() => AddressDto)
  address?: AddressDto;

  @ApiPropertyOptional({
    type: [String],
    maxItems: 20,
    description:
      'Payment source ids to attach (created client-side by DigitalRiver.js, e.g. `fd74a5c5-0163-469a-ae8e-031f0259b576`); only providers that hold sources take them.',
    example: [],
  })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(20)
  @IsString({ each: true })
  @Matches(SOURCE_ID_PATTERN, {
    each: true,
    message: 'each source must be a source id (1-100 letters, digits, "_" or "-")',
  })
  sources?: string[];

  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: { type: 'string', maxLength: 500 },
    description: 'At most 20 keys of at most 40 characters; string values of at most 500.',
    example: { coupon: 'SPRING20' },
  })
  @IsOptional()
  @IsMetadata({ allowNull: false })
  metadata?: Record<string, string>;
}

export class UpdateCustomerBody extends CustomerFields {
  @ApiPropertyOptional({
    type: AddressPatchDto,
    nullable: true,
    description: 'Merged into the stored address; null removes it.',
  })
  @IsOptional()
  @ValidateNested()
  @Type(() => AddressPatchDto)
  address?: AddressPatchDto | null;

  @ApiPropertyOptional({
    type: 'object',
    nullable: true,
    additionalProperties: { type: 'string', nullable: true, maxLength: 500 },
    description: 'Merged into the stored metadata; a null value removes that key, null removes all.',
    example: { coupon: null, tier: 'gold' },
  })
  @IsOptional()
  @IsMetadata({ allowNull: true })
  metadata?: Record<string, string | null> | null;
}

export class ListCustomersQuery {
  @PageLimit({ default: 10, max: 100 })
  limit?: number;

  @ApiPropertyOptional({
    maxLength: 64,
    description: 'A customer id: return the customers created before it (the next page).',
  })
  @IsOptional()
  @IsString()
  @MaxLength(64)
  startingAfter?: string;

  @ApiPropertyOptional({
    maxLength: 64,
    description:
      'A customer id: return the customers created after it (the previous page). Wins over startingAfter.',
  })
  @IsOptional()
  @IsString()
  @MaxLength(64)
  endingBefore?: string;

  @ApiPropertyOptional({
    maxLength: 254,
    format: 'email',
    description: 'Exact email, case-insensitive, such as jsmith@digitalriver.com.',
  })
  @IsOptional()
  @IsEmail()
  @MaxLength(254)
  email?: string;

  @ApiPropertyOptional({
    type: [String],
    maxItems: 100,
    description: 'Customer ids, comma-separated or repeated; at most 100.',
  })
  @IsOptional()
  @Transform(({ value }: { value: unknown }) =>
    (Array.isArray(value) ? value : [value]).flatMap((v) => String(v).split(',')).filter((v) => v !== ''),
  )
  @IsArray()
  @ArrayMaxSize(100)
  @IsString({ each: true })
  @MaxLength(64, { each: true })
  ids?: string[];

  @ApiPropertyOptional({
    pattern: PROVIDER_ID.source,
    description: 'Only customers linked to this provider, such as two-checkout.',
  })
  @IsOptional()
  @Matches(PROVIDER_ID, { message: 'provider must be a provider id such as digital-river' })
  provider?: string;

  @ApiPropertyOptional({
    enum: LINK_STATUSES,
    description: 'Only customers with a link in this state, e.g. failed.',
  })
  @IsOptional()
  @IsIn(LINK_STATUSES)
  syncStatus?: LinkStatus;

  @ApiPropertyOptional({
    description: 'true: only customers who asked to be forgotten; false: only the others.',
  })
  @IsOptional()
  @Transform(({ value }: { value: unknown }) => (value === 'true' ? true : value === 'false' ? false : value))
  @IsBoolean()
  forgotten?: boolean;
}

export class ProviderLinkResponse {
  @ApiProperty({ example: 'digital-river' }) provider!: string;
  @ApiProperty({ example: 'sandbox' }) account!: string;
  @ApiProperty({
    description: 'The reference we gave the provider.',
    example: 'cus_4f7d0e1c9b2a3d4e5f6a7b8c',
  })
  reference!: string;
  @ApiProperty({
    nullable: true,
    type: String,
    description: "The provider's own id where it differs (2Checkout's numeric CustomerReference).",
    example: '601952421',
  })
  providerCustomerId!: string | null;
  @ApiProperty({
    enum: LINK_STATUSES,
    description:
      'synced: the provider holds the current version; pending: delivery under way or waiting to retry; failed: parked after the retry budget (see lastError), re-driven by POST /sync.',
  })
  status!: LinkStatus;
  @ApiProperty({
    enum: LINK_INTENTS,
    description: 'What the provider copy is being driven to: kept in sync, deleted or forgotten.',
  })
  intent!: LinkIntent;
  @ApiProperty({
    nullable: true,
    type: Number,
    description: 'The customer version the provider last confirmed.',
  })
  syncedVersion!: number | null;
  @ApiProperty() attempts!: number;
  @ApiProperty({ nullable: true, type: String, format: 'date-time' }) nextAttemptAt!: string | null;
  @ApiProperty({ nullable: true, type: String, format: 'date-time' }) lastSyncedAt!: string | null;
  @ApiProperty({
    nullable: true,
    type: Object,
    description:
      "{ code, message, retryable, providerCode, providerMessage, field }: `field` is the canonical field the provider's refusal named, when it named one (it also leads `message`).",
    example: {
      code: 'provider_not_found',
      message:
        'sourceIds: digital-river POST /customers/cus_4f7d0e1c9b2a3d4e5f6a7b8c/sources/src_0f1e2d3c failed: 404 not_found (source_not_found)',
      retryable: false,
      providerCode: 'source_not_found',
      providerMessage: "Source 'src_0f1e2d3c' not found.",
      field: 'sourceIds',
    },
  })
  lastError!: ProviderLink['lastError'] | null;
  @ApiProperty({
    type: [String],
    description: 'Canonical fields this provider cannot hold.',
    example: ['metadata', 'type'],
  })
  unsupportedFields!: string[];
  @ApiProperty({
    type: [String],
    description:
      'Canonical fields this provider holds only in part: joined with another (DR keeps givenName and familyName as one name), truncated, or part of the value lost (2CO keeps only the language of a locale).',
    example: ['givenName', 'familyName'],
  })
  lossyFields!: string[];
  @ApiProperty({
    nullable: true,
    type: Object,
    description:
      'After a forget or a delete: { status: requested | erased | partial | deleted | unsupported, notErased }. `deleted`: a read-back found no copy; `erased`/`partial`: the copy was scrubbed or forgotten (where the provider cannot delete, a delete scrubs), `partial` naming in `notErased` what it cannot erase; `requested` until a read-back shows the provider no longer holds the personal data.',
    example: { status: 'partial', notErased: ['address'] },
  })
  erasure!: Erasure | null;
  @ApiProperty({
    description: "The customer's system of record, set by a migration's cutover.",
    example: false,
  })
  primary!: boolean;
}

export class CustomerResponse {
  @ApiProperty({ example: 'cus_4f7d0e1c9b2a3d4e5f6a7b8c' }) id!: string;
  @ApiProperty({ nullable: true, type: String, example: '5823594808' }) externalReference!: string | null;
  @ApiProperty({ nullable: true, type: String, example: 'jsmith@digitalriver.com' }) email!: string | null;
  @ApiProperty({ nullable: true, type: String, example: 'John' }) givenName!: string | null;
  @ApiProperty({ nullable: true, type: String, example: 'Smith' }) familyName!: string | null;
  @ApiProperty({ nullable: true, type: String, example: 'Digital River' }) companyName!: string | null;
  @ApiProperty({ nullable: true, type: String, example: '952-111-1111' }) phone!: string | null;
  @ApiProperty({ nullable: true, type: AddressDto }) address!: AddressDto | null;
  @ApiProperty({ nullable: true, type: String, example: 'en-US' }) locale!: string | null;
  @ApiProperty({ nullable: true, enum: CUSTOMER_TYPES }) type!: CustomerType | null;
  @ApiProperty() enabled!: boolean;
  @ApiProperty({ type: 'object', additionalProperties: { type: 'string' }, example: { coupon: 'SPRING20' } })
  metadata!: Record<string, string>;
  @ApiProperty({ type: [TaxIdentifierDto] }) taxIdentifiers!: TaxIdentifierDto[];
  @ApiProperty({ type: [TaxCertificateDto] }) taxCertificates!: TaxCertificateDto[];
  @ApiProperty({ type: [String], description: 'Attached payment source ids.' }) sources!: string[];
  @ApiProperty({ nullable: true, type: String, example: 'fd74a5c5-0163-469a-ae8e-031f0259b576' })
  defaultSourceId!: string | null;
  @ApiProperty({ description: 'true once the customer asked to be forgotten.' }) forgotten!: boolean;
  @ApiProperty({ nullable: true, type: String, format: 'date-time' }) forgottenAt!: string | null;
  @ApiProperty({
    nullable: true,
    type: String,
    format: 'date-time',
    description: 'Set while a delete is still under way at a provider.',
  })
  deletedAt!: string | null;
  @ApiProperty({ description: 'Bumped by every write; the ETag is this number in quotes.', example: 1 })
  version!: number;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
  @ApiProperty({ format: 'date-time' }) updatedAt!: string;
  @ApiProperty({ type: [ProviderLinkResponse] }) providers!: ProviderLinkResponse[];
}

export class CustomerListResponse {
  @ApiProperty({ type: [CustomerResponse] }) data!: CustomerResponse[];
  @ApiProperty({ description: 'More customers lie beyond this page in the direction paged.' })
  hasMore!: boolean;
}

export class ProviderReportDto {
  @ApiProperty({ example: 'two-checkout' }) provider!: string;
  @ApiProperty({ example: 'sandbox' }) account!: string;
  @ApiProperty({
    enum: ['deleted', 'scrubbed', 'forgotten', 'requested', 'unsupported', 'pending', 'failed'],
    description:
      'deleted: a read-back found no copy. scrubbed: the provider cannot delete, so its personal fields were overwritten (confirmed by a read-back). forgotten: erasure confirmed. requested: erasure asked for, not confirmed yet (the worker reads again).',
    example: 'scrubbed',
  })
  outcome!: ProviderReport['outcome'];
  @ApiPropertyOptional({
    type: Object,
    example: { status: 'partial', notErased: ['address'] },
  })
  erasure?: Erasure;
  @ApiPropertyOptional({
    type: [String],
    description: 'Personal fields the provider still holds.',
    example: ['address'],
  })
  remaining?: string[];
  @ApiPropertyOptional({
    type: Object,
    example: { code: 'unsupported_by_provider', message: '2Checkout has no customer delete.' },
  })
  error?: LinkError;
}

export class DeletedCustomerResponse {
  @ApiProperty({ example: 'cus_4f7d0e1c9b2a3d4e5f6a7b8c' }) id!: string;
  @ApiProperty({
    description:
      'true (200) once nothing personal remains anywhere; false (202) while a provider still holds some (see `remaining` per provider).',
    example: false,
  })
  deleted!: boolean;
  @ApiProperty({ type: [ProviderReportDto], description: 'What happened at each linked provider.' })
  providers!: ProviderReportDto[];
}

export class ForgetResponse {
  @ApiProperty({
    type: CustomerResponse,
    description: 'The tombstone: ids and timestamps, personal fields erased.',
  })
  customer!: CustomerResponse;
  @ApiProperty({ type: [ProviderReportDto] }) providers!: ProviderReportDto[];
}

class PlannedRequestDto {
  @ApiProperty({ enum: ['GET', 'POST', 'PUT', 'DELETE'], example: 'POST' }) method!: string;
  @ApiProperty({
    description: "The provider account's base URL (here the built-in Digital River sandbox) and path.",
    example: 'http://127.0.0.1:36811/customers',
  })
  url!: string;
  @ApiProperty({
    type: 'object',
    additionalProperties: { type: 'string' },
    example: { Authorization: 'Bearer sk_test_[REDACTED]' },
  })
  headers!: Record<string, string>;
  @ApiPropertyOptional({ type: Object }) body?: unknown;
  @ApiPropertyOptional() note?: string;
}

class ProviderRuleViolationDto {
  @ApiProperty({ example: 'two-checkout' }) provider!: string;
  @ApiProperty({ example: 'familyName' }) field!: string;
  @ApiProperty({ enum: PROVIDER_RULE_CODES, example: 'required' }) rule!: ProviderRuleCode;
  @ApiProperty({ example: '2Checkout requires LastName (familyName).' }) message!: string;
}

class ProviderPlanDto {
  @ApiProperty({ example: 'digital-river' }) provider!: string;
  @ApiProperty({ example: 'sandbox' }) account!: string;
  @ApiProperty({ type: [PlannedRequestDto] }) requests!: PlannedRequestDto[];
  @ApiProperty({ type: [String], example: ['metadata'], description: 'Fields this provider cannot hold.' })
  unsupportedFields!: string[];
  @ApiProperty({
    type: [String],
    example: ['givenName', 'familyName'],
    description: "Fields this provider would hold only in part (the link's `lossyFields` once written).",
  })
  lossyFields!: string[];
  @ApiProperty({
    type: [ProviderRuleViolationDto],
    description: 'What this provider would refuse; the write itself answers 422 provider_rules_violated.',
  })
  violations!: ProviderRuleViolationDto[];
  @ApiPropertyOptional({ example: '2Checkout does not support list' }) unsupported?: string;
}

const SANDBOX_DR_AUTH = { Authorization: 'Bearer sk_test_[REDACTED]' };
const SANDBOX_TCO_AUTH = {
  'X-Avangate-Authentication':
    'code="SANDBOXMERCHANT" date="2026-11-29 19:31:46" hash="[REDACTED]" algo="sha256"',
};

/** A real plan, as the create example answers it against the built-in sandboxes (secrets redacted). */
const CREATE_PLAN_EXAMPLE = [
  {
    provider: 'digital-river',
    account: 'sandbox',
    requests: [
      {
        method: 'POST',
        url: 'http://127.0.0.1:36811/customers',
        headers: { Accept: 'application/json', 'Content-Type': 'application/json', ...SANDBOX_DR_AUTH },
        body: {
          id: 'cus_4f7d0e1c9b2a3d4e5f6a7b8c',
          email: 'jsmith@digitalriver.com',
          shipping: {
            name: 'John Smith',
            phone: '952-111-1111',
            email: 'jsmith@digitalriver.com',
            organization: 'Digital River',
            address: {
              line1: '10380 Bren Rd W',
              city: 'Minnetonka',
              postalCode: '55129',
              state: 'MN',
              country: 'US',
            },
          },
          metadata: { coupon: 'SPRING20' },
          locale: 'en_US',
          type: 'business',
          enabled: true,
        },
      },
      {
        method: 'GET',
        url: 'http://127.0.0.1:36811/tax-identifiers?limit=100',
        headers: { Accept: 'application/json', ...SANDBOX_DR_AUTH },
        note: 'look for an unattached identifier of the same type and value to reuse',
      },
      {
        method: 'POST',
        url: 'http://127.0.0.1:36811/tax-identifiers',
        headers: { Accept: 'application/json', 'Content-Type': 'application/json', ...SANDBOX_DR_AUTH },
        body: { type: 'de', value: 'DE123456789' },
        note: 'create the tax identifier, if none',
      },
      {
        method: 'POST',
        url: 'http://127.0.0.1:36811/customers/cus_4f7d0e1c9b2a3d4e5f6a7b8c/tax-identifiers/{taxIdentifierId}',
        headers: { Accept: 'application/json', ...SANDBOX_DR_AUTH },
        note: 'attach the tax identifier found or created above',
      },
    ],
    unsupportedFields: [],
    lossyFields: ['givenName', 'familyName'],
    violations: [],
  },
  {
    provider: 'two-checkout',
    account: 'sandbox',
    requests: [
      {
        method: 'POST',
        url: 'http://127.0.0.1:37499/rest/6.0/customers/',
        headers: { Accept: 'application/json', 'Content-Type': 'application/json', ...SANDBOX_TCO_AUTH },
        body: {
          ExternalCustomerReference: 'cus_4f7d0e1c9b2a3d4e5f6a7b8c',
          FirstName: 'John',
          LastName: 'Smith',
          Company: 'Digital River',
          FiscalCode: 'DE123456789',
          Address1: '10380 Bren Rd W',
          City: 'Minnetonka',
          State: 'MN',
          Zip: '55129',
          CountryCode: 'US',
          Phone: '952-111-1111',
          Email: 'jsmith@digitalriver.com',
          Language: 'en',
        },
      },
    ],
    unsupportedFields: ['type', 'metadata', 'locale'],
    lossyFields: ['locale'],
    violations: [],
  },
];

export class DryRunResponse {
  @ApiProperty({ example: true }) dryRun!: true;
  @ApiProperty({
    type: [ProviderPlanDto],
    description: 'The exact requests each provider would be sent; nothing was sent or written.',
    example: CREATE_PLAN_EXAMPLE,
  })
  providers!: ProviderPlanDto[];
}

const iso = (date: Date | undefined) => date?.toISOString() ?? null;

/** The response is built field by field, so nothing stored is ever exposed by accident. */
export function toCustomerResponse(customer: Customer): CustomerResponse {
  return {
    id: customer.id,
    externalReference: customer.externalReference ?? null,
    email: customer.email ?? null,
    givenName: customer.givenName ?? null,
    familyName: customer.familyName ?? null,
    companyName: customer.companyName ?? null,
    phone: customer.phone ?? null,
    address: customer.address ?? null,
    locale: customer.locale ?? null,
    type: customer.type ?? null,
    enabled: customer.enabled,
    metadata: customer.metadata,
    taxIdentifiers: customer.taxIdentifiers,
    taxCertificates: customer.taxCertificates,
    sources: customer.sourceIds,
    defaultSourceId: customer.defaultSourceId ?? null,
    forgotten: customer.forgottenAt !== undefined,
    forgottenAt: iso(customer.forgottenAt),
    deletedAt: iso(customer.deletedAt),
    version: customer.version,
    createdAt: customer.createdAt.toISOString(),
    updatedAt: customer.updatedAt.toISOString(),
    providers: customer.providers.map((link) => ({
      provider: link.provider,
      account: link.account,
      reference: link.reference,
      providerCustomerId: link.providerCustomerId ?? null,
      status: link.status,
      intent: link.intent,
      syncedVersion: link.syncedVersion ?? null,
      attempts: link.attempts,
      nextAttemptAt: iso(link.nextAttemptAt),
      lastSyncedAt: iso(link.lastSyncedAt),
      lastError: link.lastError ?? null,
      unsupportedFields: link.unsupportedFields,
      lossyFields: link.lossyFields,
      erasure: link.erasure ?? null,
      primary: link.primary,
    })),
  };
}

/** Plain objects only: the class instances class-transformer built must not reach the database. */
function plain<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

export function toCustomerData(body: CreateCustomerBody): CustomerData {
  const {
    metadata,
    taxIdentifiers,
    taxCertificates,
    enabled,
    sources,
    defaultSourceId,
    providers: _targets,
    ...fields
  } = plain(body);
  return {
    ...fields,
    enabled: enabled ?? true,
    metadata: metadata ?? {},
    taxIdentifiers: taxIdentifiers ?? [],
    taxCertificates: taxCertificates ?? [],
    sourceIds: [...new Set(sources ?? [])],
    ...(defaultSourceId != null ? { defaultSourceId } : {}),
  };
}

export function toCustomerPatch(body: UpdateCustomerBody): CustomerPatch {
  return plain<CustomerPatch>(body);
}

/** A compared field's value: a string (phone), a boolean (enabled), an object (address) or a list. */
const FIELD_VALUE: SchemaObject[] = [
  { type: 'string', nullable: true },
  { type: 'boolean' },
  { type: 'object' },
  { type: 'array', items: {} },
];

class FieldDriftDto {
  @ApiProperty({ example: 'phone' }) field!: string;
  @ApiProperty({ anyOf: FIELD_VALUE, description: "The mirror's value.", example: '952-111-1111' })
  ours!: unknown;
  @ApiProperty({ anyOf: FIELD_VALUE, description: "The provider's value.", example: '952-222-2222' })
  theirs!: unknown;
}

class LinkDriftDto {
  @ApiProperty({ example: 'digital-river' }) provider!: string;
  @ApiProperty({ example: 'sandbox' }) account!: string;
  @ApiProperty({ example: '5823594808' }) reference!: string;
  @ApiProperty({ enum: ['in_sync', 'drifted', 'missing'] }) state!: 'in_sync' | 'drifted' | 'missing';
  @ApiProperty({ type: [FieldDriftDto] }) fields!: FieldDriftDto[];
}

export class DriftResponse {
  @ApiProperty({ type: [LinkDriftDto] }) data!: LinkDriftDto[];
}

const STRATEGIES = ['push', 'adopt'] as const;

export class ReconcileBody {
  @ApiProperty({
    enum: STRATEGIES,
    description:
      "push: make the providers match the mirror; adopt: take the provider's values into the mirror (and on to the other providers).",
  })
  @IsIn(STRATEGIES)
  strategy!: 'push' | 'adopt';

  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: { type: 'string', enum: [...STRATEGIES] },
    description: `Per-field choices overriding strategy; fields: ${COMPARED_FIELDS.join(', ')}.`,
    example: { phone: 'adopt' },
  })
  @IsOptional()
  @IsChoiceMap(COMPARED_FIELDS, STRATEGIES)
  fields?: Partial<Record<ComparedField, 'push' | 'adopt'>>;

  @ApiPropertyOptional({
    type: ProviderTargetDto,
    description: 'The provider to adopt from; default: the first drifted one.',
  })
  @IsOptional()
  @ValidateNested()
  @Type(() => ProviderTargetDto)
  from?: ProviderTargetDto;
}

export function toReconcileRequest(body: ReconcileBody): ReconcileRequest {
  return {
    strategy: body.strategy,
    fields: { ...body.fields },
    ...(body.from ? { from: { ...body.from } } : {}),
  };
}

class ProviderCallDto {
  @ApiProperty({ example: 'digital-river' }) provider!: string;
  @ApiProperty({ example: 'sandbox' }) account!: string;
  @ApiProperty({ example: 'sync', description: 'What made the call: sync, delete, forget, drift, import.' })
  operation!: string;
  @ApiProperty({ example: 'POST' }) method!: string;
  @ApiProperty({ example: '/customers/{id}' }) path!: string;
  @ApiPropertyOptional({ example: 200 }) httpStatus?: number;
  @ApiProperty({ example: 'ok', description: 'ok, or the error kind.' }) outcome!: string;
  @ApiProperty({ example: 12 }) durationMs!: number;
  @ApiPropertyOptional({ example: '6a2b1c3d-…' }) providerRequestId?: string;
  @ApiPropertyOptional({
    example: 'ops-key',
    description:
      "Who caused the call: the id of the API key (never the key) or the background job's name (sync-worker, migration). Absent on calls recorded before it was kept.",
  })
  actor?: string;
  @ApiPropertyOptional({
    example: 'req_3f2a9c',
    description: 'The X-Request-Id of the request that caused the call; absent for background work.',
  })
  requestId?: string;
  @ApiProperty({ format: 'date-time' }) at!: string;
}

export class ProviderCallsQuery {
  @PageLimit({ default: 100, max: 500 })
  limit?: number;
}

export class ProviderCallsResponse {
  @ApiProperty({ type: [ProviderCallDto] }) data!: ProviderCallDto[];
}

/**
 * The request examples Swagger UI sends as they are (`@ApiBody({ examples })`). Each one succeeds
 * against a fresh gateway and again on a second try (test/gateway/openapi-examples.spec.ts);
 * `cus_4f7d0e1c9b2a3d4e5f6a7b8c` stands for the id of a customer you created.
 */
export const CUSTOMER_EXAMPLES = {
  create: {
    bothProviders: {
      summary: 'A customer complete for both providers (no externalReference, so it can be sent again)',
      value: {
        email: 'jsmith@digitalriver.com',
        givenName: 'John',
        familyName: 'Smith',
        companyName: 'Digital River',
        phone: '952-111-1111',
        address: {
          line1: '10380 Bren Rd W',
          city: 'Minnetonka',
          state: 'MN',
          postalCode: '55129',
          country: 'US',
        },
        locale: 'en-US',
        type: 'business',
        metadata: { coupon: 'SPRING20' },
        taxIdentifiers: [{ type: 'de', value: 'DE123456789' }],
      },
    },
    gatewayOnly: {
      summary: 'Kept in the gateway only, linked to no provider yet',
      value: { email: 'jsmith@digitalriver.com', givenName: 'John', familyName: 'Smith', providers: [] },
    },
  },
  update: {
    twoFields: {
      summary: 'Change the phone and add one metadata key; every other field is kept',
      value: { phone: '952-222-2222', metadata: { tier: 'gold' } },
    },
  },
  import: {
    byOurReference: {
      summary:
        "Adopt (or find, if already linked) a Digital River customer by its id, which is the gateway's id",
      value: { provider: 'digital-river', account: 'sandbox', reference: 'cus_4f7d0e1c9b2a3d4e5f6a7b8c' },
    },
  },
  link: {
    twoCheckout: {
      summary: 'Push the customer to the 2Checkout account',
      value: { provider: 'two-checkout', account: 'sandbox' },
    },
  },
  taxIdentifier: {
    germanVat: { summary: 'A German VAT id', value: { type: 'de', value: 'DE123456789' } },
  },
  reconcile: {
    push: { summary: 'Make every provider copy match the mirror', value: { strategy: 'push' } },
    adoptPhone: {
      summary: "Take the phone from Digital River's copy, push the rest",
      value: { strategy: 'push', fields: { phone: 'adopt' }, from: { provider: 'digital-river' } },
    },
  },
} as const;
