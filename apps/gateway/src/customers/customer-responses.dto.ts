import { ApiProperty, ApiPropertyOptional, type SchemaObject } from '@nestjs/swagger';
import {
  CUSTOMER_TYPES,
  type CustomerType,
  type Erasure,
  LINK_INTENTS,
  LINK_STATUSES,
  type LinkError,
  type LinkIntent,
  type LinkStatus,
  PROVIDER_RULE_CODES,
  type ProviderLink,
  type ProviderReport,
  type ProviderRuleCode,
} from '@app/domain';

import { LinkErrorDto } from '../errors/reason.dto';
import { CREATE_PLAN_EXAMPLE } from './customer-examples';
import { AddressDto, TaxCertificateDto, TaxIdentifierDto } from './customer-fields.dto';

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
    description:
      'What the provider copy is being driven to: kept in sync, deleted, forgotten, or disabled (a migration cutover retiring its source).',
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
    type: LinkErrorDto,
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

export class DryRunResponse {
  @ApiProperty({ example: true }) dryRun!: true;
  @ApiProperty({
    type: [ProviderPlanDto],
    description: 'The exact requests each provider would be sent; nothing was sent or written.',
    example: CREATE_PLAN_EXAMPLE,
  })
  providers!: ProviderPlanDto[];
}

/** A compared field's value: a string (phone), a boolean (enabled), an object (address) or a list. */
const FIELD_VALUE: SchemaObject[] = [
  { type: 'string', nullable: true },
  { type: 'boolean' },
  { type: 'object' },
  { type: 'array', items: {} },
];

class FieldDriftDto {
  @ApiProperty({
    example: 'address.city',
    description: 'The canonical field or sub-field that differs (`address.city`, not the whole `address`).',
  })
  field!: string;
  @ApiPropertyOptional({
    example: 'shipping.address.city',
    description:
      "The provider's field that holds it, where one canonical field is written to several (DR `email` and `shipping.email`).",
  })
  at?: string;
  @ApiProperty({
    anyOf: FIELD_VALUE,
    description:
      "The mirror's value as this provider holds it (its projection: 2Checkout keeps a locale's language only).",
    example: '952-111-1111',
  })
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

export class ProviderCallsResponse {
  @ApiProperty({ type: [ProviderCallDto] }) data!: ProviderCallDto[];
}
