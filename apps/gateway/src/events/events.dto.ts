import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { ArrayMaxSize, IsArray, IsIn, IsOptional, Matches } from 'class-validator';
import { EVENT_TYPES, type EventType } from '@app/domain';

import { PageLimit } from '../http/validators';

/** `a,b` or `?x=a&x=b`: one list either way. */
export const commaSeparated = ({ value }: { value: unknown }) =>
  (Array.isArray(value) ? value : [value]).flatMap((v) => String(v).split(',')).filter((v) => v !== '');

/** Ids are letters, digits, `_` and `-` (`evt_…`, `cus_…`). */
const ID = /^[A-Za-z0-9_-]{1,64}$/;

export class ListEventsQuery {
  @PageLimit({ default: 10, max: 100 })
  limit?: number;

  @ApiPropertyOptional({
    description: 'An event id: return the events recorded after it (the next page; oldest first).',
  })
  @IsOptional()
  @Matches(ID, { message: 'startingAfter must be an event id' })
  startingAfter?: string;

  @ApiPropertyOptional({
    type: [String],
    enum: EVENT_TYPES,
    description: 'Only events of these types, comma-separated or repeated.',
  })
  @IsOptional()
  @Transform(commaSeparated)
  @IsArray()
  @ArrayMaxSize(EVENT_TYPES.length)
  @IsIn(EVENT_TYPES, { each: true })
  type?: EventType[];

  @ApiPropertyOptional({
    description: "Only this customer's events.",
  })
  @IsOptional()
  @Matches(ID, { message: 'customerId must be a customer id' })
  customerId?: string;
}

export class EventResponse {
  @ApiProperty({ example: 'evt_5c4b3a29180f6e5d4c3b2a19', description: 'Stable: de-duplicate on it.' })
  id!: string;
  @ApiProperty({ enum: EVENT_TYPES, example: 'customer.updated' }) type!: string;
  @ApiProperty({ example: '2026-11-29T19:30:00.000Z' }) createdAt!: string;
  @ApiProperty({ type: String, nullable: true, example: 'cus_0123456789abcdef01234567' })
  customerId!: string | null;
  @ApiProperty({ type: String, nullable: true, example: null }) migrationId!: string | null;
  @ApiProperty({
    example: 'writer',
    description: 'The API key id of the caller, or the worker or job that made the change.',
  })
  actor!: string;
  @ApiProperty({ type: String, nullable: true, example: '6f1c2d3e-4b5a-4c6d-8e7f-9a0b1c2d3e4f' })
  requestId!: string | null;
  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    description:
      "Ids and what changed: `changedFields` and the `customer` as the resource shows it (created, updated); the provider link and its `error` (link events); outcome counts (migrations). A forgotten customer's events keep ids only (`scrubbed: true`).",
    example: { version: 3, changedFields: ['email'], customer: { email: 'jsmith@digitalriver.com' } },
  })
  data!: unknown;
}

export class EventListResponse {
  @ApiProperty({ type: [EventResponse] }) data!: EventResponse[];
  @ApiProperty({ description: 'More events lie beyond this page.' }) hasMore!: boolean;
}
