import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  ArrayMaxSize,
  ArrayMinSize,
  ArrayUnique,
  IsArray,
  IsBoolean,
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  Matches,
  Max,
  MaxLength,
  Min,
  ValidateIf,
} from 'class-validator';
import { EVENT_TYPES } from '@app/domain';
import { DELIVERY_OUTCOMES, type WebhookDeliveryRow, type WebhookEndpointRow } from '@app/persistence';

import { IsAbsentOrValid, PageLimit } from '../http/validators';

/** Every event type, or `*` for all of them (including types added later). */
export const SUBSCRIBABLE_TYPES = ['*', ...EVENT_TYPES] as const;
const DELIVERY_STATUSES = ['pending', 'delivered', 'failed'] as const;

export class CreateWebhookEndpointBody {
  @ApiProperty({
    maxLength: 2048,
    example: 'https://example.com/webhooks',
    description:
      'http or https, without credentials. In production, hosts resolving to any special-purpose address (loopback, link-local, private, IPv6 transition prefixes carrying one) are refused unless WEBHOOK_ALLOW_PRIVATE_NETWORKS=true.',
  })
  @IsString()
  @MaxLength(2048)
  url!: string;

  @ApiProperty({
    type: [String],
    enum: SUBSCRIBABLE_TYPES,
    example: ['customer.link.failed', 'customer.forgotten'],
    description: 'The event types to send; `*` for every type.',
  })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(SUBSCRIBABLE_TYPES.length)
  @ArrayUnique()
  @IsIn(SUBSCRIBABLE_TYPES, { each: true })
  eventTypes!: string[];

  @ApiPropertyOptional({ maxLength: 500, example: 'Support dashboard: failed provider syncs' })
  @IsOptional()
  @IsString()
  @MaxLength(500)
  description?: string;

  @ApiPropertyOptional({ default: true, example: true })
  @IsOptional()
  @IsBoolean()
  enabled?: boolean;
}

export class UpdateWebhookEndpointBody {
  @ApiPropertyOptional({ maxLength: 2048, example: 'https://example.com/webhooks' })
  @IsAbsentOrValid()
  @IsString()
  @MaxLength(2048)
  url?: string;

  @ApiPropertyOptional({ type: [String], enum: SUBSCRIBABLE_TYPES, example: ['*'] })
  @IsAbsentOrValid()
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(SUBSCRIBABLE_TYPES.length)
  @ArrayUnique()
  @IsIn(SUBSCRIBABLE_TYPES, { each: true })
  eventTypes?: string[];

  @ApiPropertyOptional({ type: String, nullable: true, maxLength: 500, example: 'All customer events' })
  @IsOptional()
  @ValidateIf((_, value) => value !== null)
  @IsString()
  @MaxLength(500)
  description?: string | null;

  @ApiPropertyOptional({
    example: true,
    description: 'true re-enables an endpoint the gateway disabled, clearing its failure streak.',
  })
  @IsAbsentOrValid()
  @IsBoolean()
  enabled?: boolean;
}

export class WebhookEndpointResponse {
  @ApiProperty({ example: 'we_0123456789abcdef01234567' }) id!: string;
  @ApiProperty({ example: 'https://example.com/webhooks' }) url!: string;
  @ApiProperty({ type: [String], example: ['customer.link.failed', 'customer.forgotten'] })
  eventTypes!: string[];
  @ApiProperty({ type: String, nullable: true, example: 'Support dashboard: failed provider syncs' })
  description!: string | null;
  @ApiProperty({ example: true }) enabled!: boolean;
  @ApiProperty({
    enum: ['standard', 'legacy'],
    example: 'standard',
    description:
      '`standard`: Standard Webhooks headers (`webhook-id`, `webhook-timestamp`, `webhook-signature: v1,<base64>`). `legacy`: `Webhook-Signature: t=<unix>,v1=<hex>`, kept by endpoints created before until their secret is rotated.',
  })
  signatureScheme!: string;
  @ApiProperty({
    type: String,
    nullable: true,
    example: null,
    description: 'Why the gateway disabled the endpoint (after WEBHOOK_DISABLE_AFTER_FAILURES failures).',
  })
  disabledReason!: string | null;
  @ApiProperty({ example: 0, description: 'Consecutive failed attempts; a success resets it.' })
  failureStreak!: number;
  @ApiProperty({ example: '2026-11-29T19:30:00.000Z' }) createdAt!: string;
  @ApiProperty({ example: '2026-11-29T19:30:00.000Z' }) updatedAt!: string;
}

/** An object, as every list the API answers, so fields such as `hasMore` can come without a break. */
export class WebhookEndpointListResponse {
  @ApiProperty({ type: [WebhookEndpointResponse] }) data!: WebhookEndpointResponse[];
}

export class CreatedWebhookEndpointResponse extends WebhookEndpointResponse {
  @ApiProperty({
    example: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSwJ6rhT0v3nAk=',
    description:
      'The signing secret, in the Standard Webhooks form (`whsec_` and base64). Shown only in this answer: store it now.',
  })
  secret!: string;
}

/** At most a week: longer keeps a secret the caller wants gone valid. */
const MAX_OVERLAP_SECONDS = 7 * 24 * 3600;

export class RotateWebhookSecretBody {
  @ApiPropertyOptional({
    minimum: 0,
    maximum: MAX_OVERLAP_SECONDS,
    example: 3600,
    description:
      'How long deliveries are still signed with the previous secret too; WEBHOOK_SECRET_OVERLAP_HOURS when absent, 0 to stop it at once.',
  })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(MAX_OVERLAP_SECONDS)
  overlapSeconds?: number;
}

export class RotatedWebhookSecretResponse extends CreatedWebhookEndpointResponse {
  @ApiProperty({
    type: String,
    nullable: true,
    example: '2026-11-30T19:30:00.000Z',
    description:
      'Until when deliveries also carry a signature with the previous secret; null when it stopped at once (no overlap, or the endpoint signed the legacy way).',
  })
  previousSecretExpiresAt!: string | null;
}

export class WebhookTestResponse {
  @ApiProperty({
    example: 'evt_test_0123456789abcdef01234567',
    description: 'The `webhook-id` it was sent with.',
  })
  webhookId!: string;
  @ApiProperty({ enum: DELIVERY_OUTCOMES, example: 'delivered' }) outcome!: string;
  @ApiProperty({ type: Number, nullable: true, example: 200, description: "The receiver's HTTP status." })
  statusCode!: number | null;
  @ApiProperty({ example: 42 }) durationMs!: number;
}

export class ListDeliveriesQuery {
  @PageLimit({ default: 20, max: 100 })
  limit?: number;

  @ApiPropertyOptional({
    description: 'A delivery id: return the deliveries created before it (the next page, newest first).',
  })
  @IsOptional()
  @Matches(/^[A-Za-z0-9_-]{1,64}$/, { message: 'startingAfter must be a delivery id' })
  startingAfter?: string;

  @ApiPropertyOptional({ enum: DELIVERY_STATUSES, description: 'Only the deliveries in this state.' })
  @IsOptional()
  @IsIn(DELIVERY_STATUSES)
  status?: (typeof DELIVERY_STATUSES)[number];
}

export class WebhookDeliveryResponse {
  @ApiProperty({ example: 'whd_0123456789abcdef0123456789abcdef' }) id!: string;
  @ApiProperty({ example: 'evt_5c4b3a29180f6e5d4c3b2a19' }) eventId!: string;
  @ApiProperty({ example: 'customer.link.failed' }) eventType!: string;
  @ApiProperty({ type: String, nullable: true, example: 'cus_0123456789abcdef01234567' })
  customerId!: string | null;
  @ApiProperty({
    enum: DELIVERY_STATUSES,
    example: 'pending',
    description: '`failed`: given up after WEBHOOK_RETRY_FOR_HOURS.',
  })
  status!: string;
  @ApiProperty({ example: 2, description: 'Attempts so far.' }) attempts!: number;
  @ApiProperty({ type: Number, nullable: true, example: 500, description: "The last attempt's HTTP status." })
  lastStatusCode!: number | null;
  @ApiProperty({ enum: DELIVERY_OUTCOMES, nullable: true, example: 'http_error' })
  lastOutcome!: string | null;
  @ApiProperty({ type: Number, nullable: true, example: 42 }) lastDurationMs!: number | null;
  @ApiProperty({ type: String, nullable: true, example: '2026-11-29T19:30:01.000Z' })
  lastAttemptAt!: string | null;
  @ApiProperty({ type: String, nullable: true, example: '2026-11-29T19:30:21.000Z' })
  nextAttemptAt!: string | null;
  @ApiProperty({ example: '2026-11-29T19:30:00.000Z' }) createdAt!: string;
  @ApiProperty({ type: String, nullable: true, example: null }) finishedAt!: string | null;
}

export class WebhookDeliveryListResponse {
  @ApiProperty({ type: [WebhookDeliveryResponse] }) data!: WebhookDeliveryResponse[];
  @ApiProperty({ description: 'More deliveries lie beyond this page.' }) hasMore!: boolean;
}

export function toEndpointResponse(row: WebhookEndpointRow): WebhookEndpointResponse {
  return {
    id: row.id,
    url: row.url,
    eventTypes: row.eventTypes,
    description: row.description,
    enabled: row.enabled,
    signatureScheme: row.signatureScheme,
    disabledReason: row.disabledReason,
    failureStreak: row.failureStreak,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

export function toDeliveryResponse(row: WebhookDeliveryRow): WebhookDeliveryResponse {
  return {
    id: row.id,
    eventId: row.eventId,
    eventType: row.event.type,
    customerId: row.customerId,
    status: row.status,
    attempts: row.attempts,
    lastStatusCode: row.lastStatusCode,
    lastOutcome: row.lastOutcome,
    lastDurationMs: row.lastDurationMs,
    lastAttemptAt: row.lastAttemptAt?.toISOString() ?? null,
    nextAttemptAt: row.nextAttemptAt?.toISOString() ?? null,
    createdAt: row.createdAt.toISOString(),
    finishedAt: row.finishedAt?.toISOString() ?? null,
  };
}
