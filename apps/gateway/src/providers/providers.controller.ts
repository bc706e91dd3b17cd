import { Controller, Get, Inject } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiExtraModels,
  ApiOkResponse,
  ApiOperation,
  ApiProperty,
  ApiSecurity,
  ApiTags,
  getSchemaPath,
} from '@nestjs/swagger';
import { ProviderAccounts } from '@app/domain';
import { KNOWN_PROVIDER_ADAPTERS, type ProviderAdapters } from '@app/providers';

import { RequiresScope } from '../auth/auth.decorators';
import { ApiProblems } from '../errors/problem.dto';

class SupportDto {
  @ApiProperty({ enum: ['full', 'partial', 'none'] }) support!: 'full' | 'partial' | 'none';
  @ApiProperty({ required: false, example: '2Checkout has no customer delete.' }) note?: string;
}

class ProviderCapabilitiesDto {
  @ApiProperty({ example: 'digital-river' }) provider!: string;
  @ApiProperty({ example: 'Digital River' }) displayName!: string;
  @ApiProperty({ example: '2021-12-13' }) apiVersion!: string;
  @ApiProperty() docsUrl!: string;
  @ApiProperty({
    type: [String],
    description: 'The configured accounts of this provider.',
    example: ['sandbox'],
  })
  accounts!: string[];
  @ApiProperty({ type: 'object', additionalProperties: { $ref: getSchemaPath(SupportDto) } })
  operations!: Record<string, SupportDto>;
  @ApiProperty({ type: 'object', additionalProperties: { $ref: getSchemaPath(SupportDto) } })
  fields!: Record<string, SupportDto>;
  @ApiProperty() idempotency!: string;
  @ApiProperty({ enum: ['cursor', 'none'] }) pagination!: 'cursor' | 'none';
  @ApiProperty({
    required: false,
    example: 100,
    description: 'Most customers one list call answers; absent where the provider cannot list.',
  })
  listPageSize?: number;
  @ApiProperty({
    enum: ['events', 'none'],
    description:
      'Whether the provider announces changes made to its customers outside the gateway (`events`: webhooks or an events API), or not (`none`): then the gateway finds them with a scheduled sweep (SWEEP_INTERVAL_SECONDS).',
  })
  changeNotifications!: 'events' | 'none';
}

class ProvidersResponse {
  @ApiProperty({ type: [ProviderCapabilitiesDto] }) data!: ProviderCapabilitiesDto[];
}

@ApiTags('providers')
// Referenced only from inside a map (additionalProperties), which Nest does not follow on its own.
@ApiExtraModels(SupportDto)
@ApiBearerAuth()
@ApiSecurity('api-key')
@Controller('v1/providers')
export class ProvidersController {
  constructor(
    private readonly accounts: ProviderAccounts,
    @Inject(KNOWN_PROVIDER_ADAPTERS) private readonly adapters: ProviderAdapters,
  ) {}

  @Get()
  @RequiresScope('customers:read')
  @ApiOperation({
    operationId: 'listProviders',
    summary: 'The capability matrix: what each provider can do with a customer, field by field',
    description: 'Generated from the adapters themselves; `accounts` lists the configured accounts.',
  })
  @ApiOkResponse({ type: ProvidersResponse })
  @ApiProblems(401, 403)
  list(): ProvidersResponse {
    const configured = this.accounts.all();
    return {
      data: Object.values(this.adapters).map(({ capabilities }) => ({
        ...capabilities,
        accounts: configured.filter((p) => p.provider === capabilities.provider).map((p) => p.account),
      })),
    };
  }
}
