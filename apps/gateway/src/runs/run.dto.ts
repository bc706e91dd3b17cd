import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsNumber, IsOptional, IsString, Matches, Max, Min } from 'class-validator';

import { PageLimit } from '../http/validators';

/** How fast a run may go: customers in flight, batch size, and what it leaves to the live API. */
export class RunPacingBody {
  @ApiPropertyOptional({
    default: 8,
    minimum: 1,
    maximum: 64,
    description: 'Customers in flight per worker process.',
  })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(64)
  concurrency?: number;

  @ApiPropertyOptional({
    default: 0.2,
    minimum: 0,
    maximum: 0.9,
    description: "Share of each provider account's request limit left to the live API.",
  })
  @IsOptional()
  @IsNumber()
  @Min(0)
  @Max(0.9)
  liveShare?: number;

  @ApiPropertyOptional({
    default: 100,
    minimum: 1,
    maximum: 100,
    description: 'Customers per batch handed to a worker.',
  })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(100)
  batchSize?: number;
}

/** Newest first, paged like every list: `startingAfter`/`endingBefore` take a run id. */
export class ListRunsQuery {
  @PageLimit({ default: 20, max: 100 })
  limit?: number;

  @ApiPropertyOptional({ description: 'A run id: the runs started before it (the next page).' })
  @IsOptional()
  @IsString()
  @Matches(/^[a-z]{3}_[0-9a-f]{20}$/, { message: 'startingAfter must be a run id' })
  startingAfter?: string;

  @ApiPropertyOptional({
    description: 'A run id: the runs started after it (the previous page). Wins over startingAfter.',
  })
  @IsOptional()
  @IsString()
  @Matches(/^[a-z]{3}_[0-9a-f]{20}$/, { message: 'endingBefore must be a run id' })
  endingBefore?: string;
}

export class RunItemsPageQuery {
  @ApiPropertyOptional({ minimum: 0, description: 'The `next` of the previous page.' })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(0)
  after?: number;

  @PageLimit({ default: 100, max: 1000 })
  limit?: number;
}

/** How to carry on with a run that stopped before its end. */
export class RunResumeDto {
  @ApiProperty({ example: 'POST /v1/migrations/mig_0f1e2d3c4b5a69788796/resume' }) endpoint!: string;
  @ApiProperty({
    type: String,
    nullable: true,
    example: 'migrator run --resume mig_0f1e2d3c4b5a69788796',
    description: 'The CLI command that resumes it, where there is one (migrations).',
  })
  command!: string | null;
}

export const RESUME_PROPERTY = {
  type: RunResumeDto,
  nullable: true,
  description:
    'How to resume the run when it stopped before its end: `interrupted` (its process was stopped or is gone) or `cancelled`; null otherwise.',
} as const;

export const toResumeDto = (resume: { endpoint: string; command?: string } | undefined) =>
  resume === undefined ? null : { endpoint: resume.endpoint, command: resume.command ?? null };
