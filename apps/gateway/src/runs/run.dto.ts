import { ApiPropertyOptional } from '@nestjs/swagger';
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
