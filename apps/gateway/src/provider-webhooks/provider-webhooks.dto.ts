import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsInt, IsOptional, IsString, Max, MaxLength, Min, MinLength } from 'class-validator';

export class SetProviderWebhookSecretBody {
  @ApiProperty({
    minLength: 16,
    maxLength: 512,
    example: 'whsec_3f0e4a439d7e6a1b8b0f2c11aa',
    description:
      'The signing secret Digital River shows for the webhook (Dashboard → Developers → Webhooks). Stored encrypted; never shown again.',
  })
  @IsString()
  @MinLength(16)
  @MaxLength(512)
  secret!: string;

  @ApiPropertyOptional({
    minimum: 0,
    maximum: 168,
    example: 12,
    description:
      'How long the previous secret is still accepted, so DR can switch without refused deliveries; 12 (as DR overlaps its own rotations) when absent, 0 to drop it at once.',
  })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(168)
  overlapHours?: number;
}
