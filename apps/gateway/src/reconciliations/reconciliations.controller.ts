import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiBody,
  ApiOkResponse,
  ApiOperation,
  ApiProperty,
  ApiPropertyOptional,
  ApiSecurity,
  ApiTags,
} from '@nestjs/swagger';
import { CustomerSyncService } from '@app/customer-domain';
import { IsBoolean, IsOptional } from 'class-validator';

import { RequiresScope } from '../auth/auth.decorators';
import { ApiProblems } from '../errors/problem.dto';
import { SpendsProviderCalls } from '../rate-limit/rate-limits';

class ReconciliationBody {
  @ApiPropertyOptional({
    default: false,
    description: 'Push the mirror to every provider copy that drifted.',
  })
  @IsOptional()
  @IsBoolean()
  repair?: boolean;
}

class ReconciliationReport {
  @ApiProperty({ description: 'Linked customers checked.' }) customers!: number;
  @ApiProperty({ description: 'Customers with at least one drifted field at a provider.' }) drifted!: number;
  @ApiProperty({ description: 'Customers a provider no longer holds.' }) missing!: number;
  @ApiProperty({ description: 'Customers in sync everywhere after the repair.' }) repaired!: number;
  @ApiProperty({ type: 'object', additionalProperties: { type: 'integer' }, example: { phone: 3 } })
  fields!: Record<string, number>;
}

@ApiTags('reconciliation')
@ApiBearerAuth()
@ApiSecurity('api-key')
@Controller('v1/reconciliations')
export class ReconciliationsController {
  constructor(private readonly sync: CustomerSyncService) {}

  @Post()
  @HttpCode(200)
  @RequiresScope('admin')
  @SpendsProviderCalls()
  @ApiOperation({
    summary: 'Compare every linked customer with its providers; repair on request',
    description:
      'Reads each provider copy, counts drift by field, and with repair=true pushes the mirror where it drifted.',
  })
  @ApiBody({ type: ReconciliationBody })
  @ApiOkResponse({ type: ReconciliationReport })
  @ApiProblems(400, 401, 403, 502, 503)
  run(@Body() body: ReconciliationBody): Promise<ReconciliationReport> {
    return this.sync.reconcileAll({ repair: body.repair ?? false });
  }
}
