import { Body, Controller, Get, HttpCode, Param, Post, Query, Res } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiBearerAuth,
  ApiBody,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiSecurity,
  ApiTags,
} from '@nestjs/swagger';
import { ReconciliationService } from '@app/jobs';
import { type FastifyReply } from 'fastify';

import { callContext } from '../auth/caller-context';
import { RequiresScope } from '../auth/auth.decorators';
import { ApiProblems } from '../errors/problem.dto';
import { IDEMPOTENCY_KEY_HEADER } from '../idempotency/idempotency-gate';
import { RunEndpoints } from '../runs/run-endpoints';
import { ListRunsQuery } from '../runs/run.dto';
import {
  ReconciliationItemPage,
  type ReconciliationItemResponse,
  ReconciliationItemsQuery,
  ReconciliationListResponse,
  ReconciliationResponse,
  StartReconciliationBody,
  toReconciliationItem,
  toReconciliationResponse,
} from './reconciliations.dto';
import { SpendsProviderCalls } from '../rate-limit/rate-limits';

const RUN_ID = { name: 'id', example: 'rec_0f1e2d3c4b5a69788796' };

@ApiTags('reconciliation')
@ApiBearerAuth()
@ApiSecurity('api-key')
@RequiresScope('admin')
@Controller('v1/reconciliations')
export class ReconciliationsController {
  private readonly runs: RunEndpoints<'reconciliation', ReconciliationResponse, ReconciliationItemResponse>;

  constructor(private readonly reconciliations: ReconciliationService) {
    this.runs = new RunEndpoints(reconciliations, toReconciliationResponse, toReconciliationItem);
  }

  @Post()
  @IDEMPOTENCY_KEY_HEADER
  @SpendsProviderCalls()
  @ApiOperation({
    operationId: 'startReconciliation',
    summary: 'Start comparing every linked customer with its providers; repair on request',
    description:
      'Records a reconciliation job and runs it in the background (202, Location): each customer linked to a provider is read at every provider and compared field by field with the mirror; with `repair: true` the mirror is pushed where it drifted. Watch it with GET /v1/reconciliations/{id} and list the drifted customers with GET /v1/reconciliations/{id}/items?outcome=drifted. One runs at a time (409 reconciliation_already_running).',
  })
  @ApiBody({ type: StartReconciliationBody, examples: { report: { value: { repair: false } } } })
  @ApiAcceptedResponse({ type: ReconciliationResponse, description: 'The run, started.' })
  @ApiProblems(400, 401, 403, 409, 413, 415)
  async start(
    @Body() body: StartReconciliationBody,
    @Res({ passthrough: true }) response: FastifyReply,
  ): Promise<ReconciliationResponse> {
    const run = await this.reconciliations.start(callContext(), {
      repair: body.repair ?? false,
      concurrency: body.concurrency ?? 8,
      liveShare: body.liveShare ?? 0.2,
      batchSize: body.batchSize ?? 100,
    });
    response.status(202).header('Location', `/v1/reconciliations/${run.id}`);
    return this.runs.started(run.id);
  }

  @Get()
  @ApiOperation({ operationId: 'listReconciliations', summary: 'Reconciliations, newest first, paged' })
  @ApiOkResponse({ type: ReconciliationListResponse })
  @ApiProblems(400, 401, 403)
  async list(@Query() query: ListRunsQuery): Promise<ReconciliationListResponse> {
    return this.runs.list(query);
  }

  @Get(':id')
  @ApiOperation({
    operationId: 'getReconciliation',
    summary: 'Progress of a reconciliation: checked, in sync, drifted, repaired, failed, rate, ETA',
  })
  @ApiParam(RUN_ID)
  @ApiOkResponse({ type: ReconciliationResponse })
  @ApiProblems(401, 403, 404)
  async get(@Param('id') id: string): Promise<ReconciliationResponse> {
    return this.runs.get(id);
  }

  @Get(':id/items')
  @ApiOperation({
    operationId: 'listReconciliationItems',
    summary: 'Each customer checked: which provider copies drifted, in which fields',
    description:
      '`outcome=drifted` lists the customers that drifted; each names the provider copies that differ (or are gone) and the fields that differ. Field values are not kept.',
  })
  @ApiParam(RUN_ID)
  @ApiOkResponse({ type: ReconciliationItemPage })
  @ApiProblems(400, 401, 403, 404)
  async items(
    @Param('id') id: string,
    @Query() query: ReconciliationItemsQuery,
  ): Promise<ReconciliationItemPage> {
    return this.runs.items(id, query);
  }

  @Post(':id/cancel')
  @HttpCode(200)
  @ApiOperation({
    operationId: 'cancelReconciliation',
    summary: 'Stop a running reconciliation; customers in flight finish, the rest wait',
  })
  @ApiParam(RUN_ID)
  @ApiOkResponse({ type: ReconciliationResponse })
  @ApiProblems(401, 403, 404)
  async cancel(@Param('id') id: string): Promise<ReconciliationResponse> {
    return this.runs.cancel(id);
  }

  @Post(':id/resume')
  @HttpCode(202)
  @ApiOperation({
    operationId: 'resumeReconciliation',
    summary: 'Continue a cancelled or interrupted reconciliation from its checkpoint',
    description: 'Customers already checked are not checked again; failures that may pass are retried.',
  })
  @ApiParam(RUN_ID)
  @ApiAcceptedResponse({ type: ReconciliationResponse })
  @ApiProblems(401, 403, 404, 409)
  async resume(@Param('id') id: string): Promise<ReconciliationResponse> {
    return this.runs.resume(id);
  }
}
