import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiBody,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiSecurity,
  ApiTags,
} from '@nestjs/swagger';
import { ProviderCallLog } from '@app/domain';
import { CustomerReconciliation, CustomerService } from '@app/application';

import { RequiresScope } from '../auth/auth.decorators';
import { callContext } from '../auth/caller-context';
import { ApiProblems } from '../errors/problem.dto';
import { IDEMPOTENCY_KEY_HEADER } from '../idempotency/idempotency-gate';
import { SpendsProviderCalls } from '../rate-limit/rate-limits';
import { CUSTOMER_EXAMPLES } from './customer-examples';
import { toDriftResponse, toReconcileRequest } from './customer-mapping';
import { ProviderCallsQuery, ReconcileBody } from './customer-requests.dto';
import { DriftResponse, ProviderCallsResponse } from './customer-responses.dto';

/** One customer against its provider copies: drift, its repair, and the calls made for it. */
@ApiTags('customers')
@ApiBearerAuth()
@ApiSecurity('api-key')
@Controller('v1/customers')
export class CustomerProviderCopiesController {
  constructor(
    private readonly customers: CustomerService,
    private readonly reconciliation: CustomerReconciliation,
    private readonly callLog: ProviderCallLog,
  ) {}

  @Get(':id/drift')
  @SpendsProviderCalls()
  @RequiresScope('customers:read')
  @ApiOperation({
    operationId: 'getCustomerDrift',
    summary: 'Compare the mirror with what each provider holds now, field by field',
  })
  @ApiParam({ name: 'id', example: 'cus_4f7d0e1c9b2a3d4e5f6a7b8c' })
  @ApiOkResponse({ type: DriftResponse })
  @ApiProblems(401, 403, 404, 502, 503)
  async drift(@Param('id') id: string): Promise<DriftResponse> {
    return toDriftResponse(await this.reconciliation.drift(callContext(), id));
  }

  @Post(':id/reconcile')
  @SpendsProviderCalls()
  @HttpCode(200)
  @RequiresScope('customers:write')
  @IDEMPOTENCY_KEY_HEADER
  @ApiOperation({
    operationId: 'reconcileCustomer',
    summary: "Repair drift: push ours or adopt the provider's, per call or per field",
    description: 'Answers the drift as it stands after the repair.',
  })
  @ApiParam({ name: 'id', example: 'cus_4f7d0e1c9b2a3d4e5f6a7b8c' })
  @ApiBody({ type: ReconcileBody, examples: CUSTOMER_EXAMPLES.reconcile })
  @ApiOkResponse({ type: DriftResponse })
  @ApiProblems(400, 401, 403, 404, 409, 410, 412, 422, 502, 503)
  async reconcile(@Param('id') id: string, @Body() body: ReconcileBody): Promise<DriftResponse> {
    return toDriftResponse(await this.reconciliation.reconcile(callContext(), id, toReconcileRequest(body)));
  }

  @Get(':id/calls')
  @RequiresScope('customers:read')
  @ApiOperation({
    operationId: 'listCustomerProviderCalls',
    summary: 'The audit trail: every provider call made for the customer, newest first',
    description:
      "Operation, method, path (identifiers replaced), status, duration and the provider's request id. No bodies are kept.",
  })
  @ApiParam({ name: 'id', example: 'cus_4f7d0e1c9b2a3d4e5f6a7b8c' })
  @ApiOkResponse({ type: ProviderCallsResponse })
  @ApiProblems(400, 401, 403, 404)
  async calls(@Param('id') id: string, @Query() query: ProviderCallsQuery): Promise<ProviderCallsResponse> {
    await this.customers.get(id);
    const calls = await this.callLog.recent(id, query.limit ?? 100);
    return { data: calls.map((call) => ({ ...call, at: call.at.toISOString() })) };
  }
}
