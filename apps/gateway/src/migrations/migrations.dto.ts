import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  MIGRATION_OUTCOMES,
  MIGRATION_STATUSES,
  type MigrationItem,
  type MigrationOutcome,
  type MigrationStatus,
  type OutcomeReason,
  type PlannedItem,
  type ReasonCode,
  SOURCE_ACTIONS,
  SOURCE_KINDS,
  type SourceAction,
  type SourceKind,
} from '@app/domain';
import { type MigrationProgress } from '@app/jobs';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  IsArray,
  IsBoolean,
  IsDefined,
  IsIn,
  IsOptional,
  IsString,
  Matches,
  registerDecorator,
  ValidateNested,
} from 'class-validator';

import { ProviderTargetDto } from '../customers/customer-fields.dto';
import { ReasonCodeProperty } from '../errors/reason.dto';
import {
  RESUME_PROPERTY,
  RunItemsPageQuery,
  RunPacingBody,
  type RunResumeDto,
  toResumeDto,
} from '../runs/run.dto';

/**
 * A JSON object when present (`@IsDefined` says whether it must be): `@ValidateNested` alone lets
 * an array, even an empty one, through to the handler.
 */
function IsJsonObject() {
  return (target: object, propertyName: string) =>
    registerDecorator({
      // Reported under class-validator's own name, so it maps to the documented `not_an_object`.
      name: 'isObject',
      target: target.constructor,
      propertyName,
      options: { message: `${propertyName} must be an object` },
      validator: {
        validate: (value: unknown) =>
          value === undefined || (typeof value === 'object' && value !== null && !Array.isArray(value)),
      },
    });
}

export class MigrationSourceDto extends ProviderTargetDto {
  @ApiProperty({
    enum: SOURCE_KINDS,
    example: 'list',
    description:
      "`list`: the provider's list API (Digital River); `mirror`: the customers the gateway links to that account; `references`: the references given below (2Checkout has no list API).",
  })
  @IsIn(SOURCE_KINDS)
  kind!: SourceKind;

  @ApiPropertyOptional({
    type: 'array',
    items: { type: 'string', pattern: '^[^\\s]{1,100}$' },
    maxItems: 100_000,
    // No example: with the `list` kind of the example body, references are refused.
    description:
      'Only for `references`, and required then: the source references (DR ids, 2CO ExternalCustomerReference or CustomerReference).',
  })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(100_000)
  @IsString({ each: true })
  @Matches(/^[^\s]{1,100}$/, { each: true, message: 'each reference is 1-100 characters without spaces' })
  references?: string[];
}

export class CutoverDto {
  @ApiProperty({ example: true, description: "Mark the target link as the customer's system of record." })
  @IsBoolean()
  primary!: boolean;

  @ApiProperty({
    enum: SOURCE_ACTIONS,
    example: 'keep',
    description:
      '`keep` the source copy synced, `disable` it there and stop syncing it, or `forget` it there (GDPR erasure).',
  })
  @IsIn(SOURCE_ACTIONS)
  source!: SourceAction;
}

export class StartMigrationBody extends RunPacingBody {
  @ApiProperty({ type: MigrationSourceDto })
  @IsDefined()
  @IsJsonObject()
  @ValidateNested()
  @Type(() => MigrationSourceDto)
  source!: MigrationSourceDto;

  @ApiProperty({ type: ProviderTargetDto, example: { provider: 'two-checkout', account: 'sandbox' } })
  @IsDefined()
  @IsJsonObject()
  @ValidateNested()
  @Type(() => ProviderTargetDto)
  target!: ProviderTargetDto;

  @ApiPropertyOptional({
    type: CutoverDto,
    description: 'Absent: no cutover; customers stay synced to both.',
  })
  @IsOptional()
  @IsJsonObject()
  @ValidateNested()
  @Type(() => CutoverDto)
  cutover?: CutoverDto;

  @ApiPropertyOptional({
    default: false,
    example: true,
    description: 'Plan only: answer what the run would do per customer, writing nothing.',
  })
  @IsOptional()
  @IsBoolean()
  dryRun?: boolean;

  @ApiPropertyOptional({
    default: false,
    description:
      'Start although another migration over the same source and target is running (otherwise 409 migration_already_running).',
  })
  @IsOptional()
  @IsBoolean()
  force?: boolean;
}

export class MigrationItemsQuery extends RunItemsPageQuery {
  @ApiPropertyOptional({
    enum: [...MIGRATION_OUTCOMES, 'pending'],
    description: 'Only the customers that ended so (`pending`: not finished yet).',
  })
  @IsOptional()
  @IsIn([...MIGRATION_OUTCOMES, 'pending'])
  outcome?: MigrationOutcome | 'pending';
}

export class OutcomeReasonDto {
  @ReasonCodeProperty('provider_rejected') code!: ReasonCode;
  @ApiProperty({ example: "address.country: 'shipping.address.country' is required." }) message!: string;
  @ApiProperty({ description: 'Whether resuming the run tries the customer again.' }) retryable!: boolean;
  @ApiPropertyOptional({
    example: 'address.country',
    description: 'The field the provider (or the canonical validation) named, when it did.',
  })
  field?: string;
}

class MigrationCountsDto {
  @ApiProperty() total!: number;
  @ApiProperty({ description: 'Recorded, not finished yet.' }) pending!: number;
  @ApiProperty() migrated!: number;
  @ApiProperty({ name: 'already_present' }) already_present!: number;
  @ApiProperty() skipped!: number;
  @ApiProperty() failed!: number;
}

export class MigrationResponse {
  @ApiProperty({ example: 'mig_0f1e2d3c4b5a69788796' }) id!: string;
  @ApiProperty({ enum: MIGRATION_STATUSES }) status!: MigrationStatus;
  @ApiProperty({
    type: 'object',
    properties: {
      provider: { type: 'string' },
      account: { type: 'string' },
      kind: { type: 'string', enum: [...SOURCE_KINDS] },
    },
    required: ['provider', 'account', 'kind'],
    example: { provider: 'digital-river', account: 'sandbox', kind: 'list' },
  })
  source!: { provider: string; account: string; kind: SourceKind };
  @ApiProperty({
    type: 'object',
    properties: { provider: { type: 'string' }, account: { type: 'string' } },
    required: ['provider', 'account'],
    example: { provider: 'two-checkout', account: 'sandbox' },
  })
  target!: { provider: string; account: string };
  @ApiProperty({ type: CutoverDto, nullable: true }) cutover!: CutoverDto | null;
  @ApiProperty() concurrency!: number;
  @ApiProperty() liveShare!: number;
  @ApiProperty({ description: 'Started with `force` beside another run over the same pair.' })
  force!: boolean;
  @ApiProperty({ description: 'The whole source has been enumerated.' }) enumerated!: boolean;
  @ApiProperty({ type: MigrationCountsDto }) counts!: MigrationCountsDto;
  @ApiProperty({
    example: 68.4,
    description: 'Customers finished per second over the last 30 seconds (0 once the run stopped).',
  })
  ratePerSecond!: number;
  @ApiProperty({
    type: 'integer',
    nullable: true,
    example: 412,
    description: 'Seconds left at that rate; null until the source is enumerated and customers move.',
  })
  etaSeconds!: number | null;
  @ApiProperty(RESUME_PROPERTY) resume!: RunResumeDto | null;
  @ApiProperty({
    type: 'object',
    additionalProperties: { type: 'integer' },
    example: { metadata: 12, taxIdentifiers: 3 },
    description:
      'How many customers lose each canonical field at the target, wholly (it cannot hold it) or in part (e.g. Digital River joins givenName and familyName into one name).',
  })
  lossyFields!: Record<string, number>;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
  @ApiProperty({ format: 'date-time' }) updatedAt!: string;
  @ApiProperty({ nullable: true, type: String, format: 'date-time' }) finishedAt!: string | null;
}

export class MigrationListResponse {
  @ApiProperty({ type: [MigrationResponse] }) data!: MigrationResponse[];
  @ApiProperty({ description: 'More runs lie beyond this page in the direction paged.' })
  hasMore!: boolean;
}

export class MigrationItemResponse {
  @ApiProperty() seq!: number;
  @ApiProperty({ example: 'cus_4f7d0e1c9b2a3d4e5f6a7b8c' }) sourceReference!: string;
  @ApiProperty({ enum: MIGRATION_OUTCOMES, nullable: true, description: 'null while pending.' })
  outcome!: MigrationOutcome | null;
  @ApiProperty({ type: OutcomeReasonDto, nullable: true }) reason!: OutcomeReason | null;
  @ApiProperty({
    type: [String],
    example: ['metadata'],
    description: 'Fields the target cannot hold, or holds only in part.',
  })
  lossyFields!: string[];
  @ApiProperty({ nullable: true, type: String }) customerId!: string | null;
  @ApiProperty({ nullable: true, type: String }) targetReference!: string | null;
  @ApiProperty() attempts!: number;
  @ApiProperty({ nullable: true, type: String, format: 'date-time' }) finishedAt!: string | null;
}

export class MigrationItemPage {
  @ApiProperty({ type: [MigrationItemResponse] }) data!: MigrationItemResponse[];
  @ApiProperty({
    nullable: true,
    type: Number,
    description: 'Pass as `after` for the next page; null at the end.',
  })
  next!: number | null;
}

class PlannedItemDto {
  @ApiProperty() sourceReference!: string;
  @ApiProperty({ enum: ['migrate', 'already_present', 'skip'] }) action!: PlannedItem['action'];
  @ApiPropertyOptional({ type: OutcomeReasonDto }) reason?: OutcomeReason;
  @ApiPropertyOptional() targetReference?: string;
  @ApiProperty({ type: [String], description: 'Fields the target cannot hold, or holds only in part.' })
  lossyFields!: string[];
  @ApiPropertyOptional({ type: Object, description: "The target's create payload." }) payload?: unknown;
}

export class MigrationPlanResponse {
  @ApiProperty({
    type: 'object',
    additionalProperties: { type: 'integer' },
    example: { total: 2, migrate: 1, already_present: 1, skip: 0 },
  })
  counts!: Record<string, number>;
  @ApiProperty({ type: 'object', additionalProperties: { type: 'integer' } })
  lossyFields!: Record<string, number>;
  @ApiProperty({ type: [PlannedItemDto], description: 'Per customer, at most the first 1,000.' })
  items!: PlannedItem[];
  @ApiProperty({ description: 'More customers were planned than `items` shows (see counts).' })
  truncated!: boolean;
}

const iso = (date: Date | undefined) => date?.toISOString() ?? null;

export function toMigrationResponse({
  run,
  counts,
  lossyFields,
  ratePerSecond,
  etaSeconds,
  resume,
}: MigrationProgress): MigrationResponse {
  const { spec } = run;
  return {
    id: run.id,
    status: run.status,
    source: { provider: spec.source.provider, account: spec.source.account, kind: spec.source.kind },
    target: spec.target,
    cutover: spec.cutover ?? null,
    concurrency: spec.concurrency,
    liveShare: spec.liveShare,
    force: spec.force === true,
    enumerated: run.enumerated,
    counts,
    lossyFields,
    ratePerSecond,
    etaSeconds: etaSeconds ?? null,
    resume: toResumeDto(resume),
    createdAt: run.createdAt.toISOString(),
    updatedAt: run.updatedAt.toISOString(),
    finishedAt: iso(run.finishedAt),
  };
}

export function toItemResponse(item: MigrationItem): MigrationItemResponse {
  return {
    seq: item.seq,
    sourceReference: item.sourceReference,
    outcome: (item.outcome as MigrationOutcome | undefined) ?? null,
    reason: item.reason ?? null,
    lossyFields: item.lossyFields ?? [],
    customerId: item.customerId ?? null,
    targetReference: item.targetReference ?? null,
    attempts: item.attempts,
    finishedAt: iso(item.finishedAt),
  };
}

/** What Swagger UI sends: a plan, never a real run (sending it writes nothing). */
export const START_MIGRATION_EXAMPLES = {
  plan: {
    summary: "Plan moving Digital River's customers to 2Checkout (dry run: nothing is written)",
    value: {
      source: { provider: 'digital-river', account: 'sandbox', kind: 'list' },
      target: { provider: 'two-checkout', account: 'sandbox' },
      dryRun: true,
    },
  },
  planReferences: {
    summary: 'Plan moving two 2Checkout customers, named by reference, to Digital River (dry run)',
    value: {
      source: {
        provider: 'two-checkout',
        account: 'sandbox',
        kind: 'references',
        references: ['5823594808', '601952421'],
      },
      target: { provider: 'digital-river', account: 'sandbox' },
      dryRun: true,
    },
  },
} as const;
