import {
  MIGRATION_STATUSES,
  type MigrationItem,
  type MigrationStatus,
  type OutcomeReason,
  type ProviderDrift,
  RECONCILIATION_OUTCOMES,
  RECONCILIATION_TRIGGERS,
  type ReconciliationOutcome,
  type ReconciliationTrigger,
} from '@app/domain';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { type ReconciliationProgress } from '@app/jobs';
import { IsBoolean, IsIn, IsOptional } from 'class-validator';

import { OutcomeReasonDto } from '../migrations/migrations.dto';
import {
  RESUME_PROPERTY,
  RunItemsPageQuery,
  RunPacingBody,
  type RunResumeDto,
  toResumeDto,
} from '../runs/run.dto';

export class StartReconciliationBody extends RunPacingBody {
  @ApiPropertyOptional({
    default: false,
    example: false,
    description:
      'Push the mirror to every provider copy that drifted. By default the run only reports which customers drifted, and where.',
  })
  @IsOptional()
  @IsBoolean()
  repair?: boolean;
}

export class ReconciliationItemsQuery extends RunItemsPageQuery {
  @ApiPropertyOptional({
    enum: [...RECONCILIATION_OUTCOMES, 'pending'],
    description: 'Only the customers that ended so (`pending`: not checked yet).',
  })
  @IsOptional()
  @IsIn([...RECONCILIATION_OUTCOMES, 'pending'])
  outcome?: ReconciliationOutcome | 'pending';
}

class ReconciliationCountsDto {
  @ApiProperty({ description: 'Linked customers enumerated so far.' }) total!: number;
  @ApiProperty({ description: 'Customers checked (total less pending).' }) checked!: number;
  @ApiProperty({ description: 'Recorded, not checked yet.' }) pending!: number;
  @ApiProperty({ name: 'in_sync', description: 'Every provider copy equals the mirror.' }) in_sync!: number;
  @ApiProperty({ description: 'At least one copy differs or is gone (left as it is: no repair).' })
  drifted!: number;
  @ApiProperty({ description: 'Drifted, and in sync everywhere after the repair.' }) repaired!: number;
  @ApiProperty({ description: 'Could not be checked, or still drifted after the repair.' }) failed!: number;
}

export class ReconciliationResponse {
  @ApiProperty({ example: 'rec_0f1e2d3c4b5a69788796' }) id!: string;
  @ApiProperty({ enum: MIGRATION_STATUSES }) status!: MigrationStatus;
  @ApiProperty({
    enum: RECONCILIATION_TRIGGERS,
    description:
      '`api`: started by a caller (or the migrator CLI). `sweep`: the scheduled comparison of the copies at providers that announce no changes (2Checkout; SWEEP_INTERVAL_SECONDS), whose differences are resolved by CONFLICT_POLICY (pushed back or adopted) and counted as `repaired`.',
  })
  trigger!: ReconciliationTrigger;
  @ApiProperty() repair!: boolean;
  @ApiProperty() concurrency!: number;
  @ApiProperty() liveShare!: number;
  @ApiProperty({ description: 'Every linked customer has been enumerated.' }) enumerated!: boolean;
  @ApiProperty({ type: ReconciliationCountsDto }) counts!: ReconciliationCountsDto;
  @ApiProperty({
    type: 'object',
    additionalProperties: { type: 'integer' },
    example: { phone: 3, address: 1 },
    description: 'How many customers differed in each field at some provider (drifted or repaired).',
  })
  fields!: Record<string, number>;
  @ApiProperty({
    example: 41.5,
    description: 'Customers checked per second over the last 30 seconds (0 once the run stopped).',
  })
  ratePerSecond!: number;
  @ApiProperty({
    type: 'integer',
    nullable: true,
    example: 16,
    description: 'Seconds left at that rate; null until every customer is enumerated and some move.',
  })
  etaSeconds!: number | null;
  @ApiProperty(RESUME_PROPERTY) resume!: RunResumeDto | null;
  @ApiProperty() createdAt!: string;
  @ApiProperty() updatedAt!: string;
  @ApiProperty({ nullable: true, type: String, format: 'date-time' }) finishedAt!: string | null;
}

export class ReconciliationListResponse {
  @ApiProperty({ type: [ReconciliationResponse] }) data!: ReconciliationResponse[];
  @ApiProperty({ description: 'More runs lie beyond this page in the direction paged.' })
  hasMore!: boolean;
}

class ProviderDriftDto {
  @ApiProperty({ example: 'digital-river' }) provider!: string;
  @ApiProperty({ example: 'sandbox' }) account!: string;
  @ApiProperty({ example: '5823594808' }) reference!: string;
  @ApiProperty({ enum: ['drifted', 'missing'], description: '`missing`: the provider no longer holds it.' })
  state!: ProviderDrift['state'];
  @ApiProperty({ type: [String], example: ['phone', 'address'], description: 'The fields that differ.' })
  fields!: string[];
}

export class ReconciliationItemResponse {
  @ApiProperty() seq!: number;
  @ApiProperty({ example: 'cus_4f7d0e1c9b2a3d4e5f6a7b8c' }) customerId!: string;
  @ApiProperty({ enum: RECONCILIATION_OUTCOMES, nullable: true, description: 'null while pending.' })
  outcome!: ReconciliationOutcome | null;
  @ApiProperty({
    type: [ProviderDriftDto],
    description: 'The provider copies that differed from the mirror when checked (before any repair).',
  })
  drift!: ProviderDrift[];
  @ApiProperty({ type: OutcomeReasonDto, nullable: true }) reason!: OutcomeReason | null;
  @ApiProperty() attempts!: number;
  @ApiProperty({ nullable: true, type: String, format: 'date-time' }) finishedAt!: string | null;
}

export class ReconciliationItemPage {
  @ApiProperty({ type: [ReconciliationItemResponse] }) data!: ReconciliationItemResponse[];
  @ApiProperty({
    type: 'integer',
    nullable: true,
    description: 'Pass as `after` for the next page; null at the end.',
  })
  next!: number | null;
}

const iso = (date: Date | undefined) => date?.toISOString() ?? null;

export function toReconciliationResponse({
  run,
  counts,
  driftedFields,
  ratePerSecond,
  etaSeconds,
  resume,
}: ReconciliationProgress): ReconciliationResponse {
  return {
    id: run.id,
    status: run.status,
    trigger: run.spec.trigger ?? 'api',
    repair: run.spec.repair,
    concurrency: run.spec.concurrency,
    liveShare: run.spec.liveShare,
    enumerated: run.enumerated,
    counts: {
      total: counts.total,
      checked: counts.total - counts.pending,
      pending: counts.pending,
      in_sync: counts.in_sync,
      drifted: counts.drifted,
      repaired: counts.repaired,
      failed: counts.failed,
    },
    fields: driftedFields,
    ratePerSecond,
    etaSeconds: etaSeconds ?? null,
    resume: toResumeDto(resume),
    createdAt: run.createdAt.toISOString(),
    updatedAt: run.updatedAt.toISOString(),
    finishedAt: iso(run.finishedAt),
  };
}

export function toReconciliationItem(item: MigrationItem): ReconciliationItemResponse {
  return {
    seq: item.seq,
    customerId: item.sourceReference,
    outcome: (item.outcome as ReconciliationOutcome | undefined) ?? null,
    drift: item.drift ?? [],
    reason: item.reason ?? null,
    attempts: item.attempts,
    finishedAt: iso(item.finishedAt),
  };
}
