import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { type LinkError, REASON_CODES, type ReasonCode } from '@app/domain';

/**
 * The `code` of a link's `lastError` or a run item's `reason`: one of the closed list (the domain's
 * error codes, the provider failures', and the outcome reasons of `OUTCOME_REASONS`), an enum in
 * the OpenAPI document so that a client can switch on it exhaustively.
 */
export const ReasonCodeProperty = (example: ReasonCode): PropertyDecorator =>
  ApiProperty({
    enum: REASON_CODES,
    enumName: 'ReasonCode',
    example,
    description: 'Why, as one code of the closed list (libs/domain/src/errors.ts).',
  });

/** Why a link's last delivery failed. */
export class LinkErrorDto implements LinkError {
  @ReasonCodeProperty('provider_not_found') code!: ReasonCode;
  @ApiProperty({
    example:
      'sourceIds: digital-river POST /customers/cus_4f7d0e1c9b2a3d4e5f6a7b8c/sources/src_0f1e2d3c failed: 404 not_found (source_not_found)',
  })
  message!: string;
  @ApiProperty({
    description: 'Whether delivering again later may succeed (a rate limit or an outage may pass).',
  })
  retryable!: boolean;
  @ApiPropertyOptional({
    example: 'source_not_found',
    description: "The provider's own code, when it answered.",
  })
  providerCode?: string;
  @ApiPropertyOptional({
    example: "Source 'src_0f1e2d3c' not found.",
    description: "The provider's own message.",
  })
  providerMessage?: string;
  @ApiPropertyOptional({
    example: 'sourceIds',
    description:
      "The canonical field the provider's refusal named, when it named one (it also leads `message`).",
  })
  field?: string;
}
