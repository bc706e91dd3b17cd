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
import { type MigrationSpec, type PlannedItem, ProviderAccounts } from '@app/domain';
import { MigrationService } from '@app/jobs';
import { type FastifyReply } from 'fastify';

import { callContext } from '../auth/caller-context';
import { RequiresScope } from '../auth/auth.decorators';
import { ApiProblems } from '../errors/problem.dto';
import { IDEMPOTENCY_KEY_HEADER } from '../idempotency/idempotency-gate';
import {
  MigrationItemPage,
  type MigrationItemResponse,
  MigrationItemsQuery,
  MigrationListResponse,
  MigrationPlanResponse,
  MigrationResponse,
  START_MIGRATION_EXAMPLES,
  StartMigrationBody,
  toItemResponse,
  toMigrationResponse,
} from './migrations.dto';
import { RunEndpoints } from '../runs/run-endpoints';
import { ListRunsQuery } from '../runs/run.dto';

/** A dry run over the API answers at most this many customers in full (the counts cover all). */
const PLAN_ITEMS = 1_000;

@ApiTags('migrations')
@ApiBearerAuth()
@ApiSecurity('api-key')
@RequiresScope('admin')
@Controller('v1/migrations')
export class MigrationsController {
  private readonly runs: RunEndpoints<'migration', MigrationResponse, MigrationItemResponse>;

  constructor(
    private readonly migrations: MigrationService,
    private readonly accounts: ProviderAccounts,
  ) {
    this.runs = new RunEndpoints(migrations, toMigrationResponse, toItemResponse);
  }

  @Post()
  @IDEMPOTENCY_KEY_HEADER
  @ApiOperation({
    operationId: 'startMigration',
    summary: 'Start moving a customer base from one provider account to another',
    description:
      'Records the run and drives it in the background: watch it with GET /v1/migrations/{id}. With `dryRun: true` answers the plan (200) and writes nothing. At most one migration per source and target runs at a time: a second start answers 409 `migration_already_running` naming the running run, unless `force: true`. The same engine as the `migrator` CLI.',
  })
  @ApiBody({
    type: StartMigrationBody,
    examples: {
      dryRun: {
        summary: 'Plan moving Digital River to 2Checkout (writes nothing)',
        value: {
          source: { provider: 'digital-river', account: 'sandbox', kind: 'list' },
          target: { provider: 'two-checkout', account: 'sandbox' },
          dryRun: true,
        },
      },
    },
  })
  @ApiBody({ type: StartMigrationBody, examples: START_MIGRATION_EXAMPLES })
  @ApiAcceptedResponse({ type: MigrationResponse, description: 'The run, started.' })
  @ApiOkResponse({ type: MigrationPlanResponse, description: 'The plan of a dry run.' })
  @ApiProblems(400, 401, 403, 409, 413, 415, 422, 502, 503)
  async start(
    @Body() body: StartMigrationBody,
    @Res({ passthrough: true }) response: FastifyReply,
  ): Promise<MigrationResponse | MigrationPlanResponse> {
    const spec = this.specOf(body);
    if (body.dryRun === true) {
      const items: PlannedItem[] = [];
      const plan = await this.migrations.plan(spec, (item) => {
        if (items.length < PLAN_ITEMS) items.push(item);
      });
      response.status(200);
      return { ...plan, items, truncated: plan.counts.total > items.length };
    }
    const run = await this.migrations.start(callContext(), spec);
    response.status(202).header('Location', `/v1/migrations/${run.id}`);
    return this.runs.started(run.id);
  }

  @Get()
  @ApiOperation({ operationId: 'listMigrations', summary: 'Migrations, newest first, paged' })
  @ApiOkResponse({ type: MigrationListResponse })
  @ApiProblems(400, 401, 403)
  async list(@Query() query: ListRunsQuery): Promise<MigrationListResponse> {
    return this.runs.list(query);
  }

  @Get(':id')
  @ApiOperation({
    operationId: 'getMigration',
    summary: 'Progress of a migration: status, outcome counts, rate, ETA, lossy fields',
  })
  @ApiParam({ name: 'id', example: 'mig_0f1e2d3c4b5a69788796' })
  @ApiOkResponse({ type: MigrationResponse })
  @ApiProblems(401, 403, 404)
  async get(@Param('id') id: string): Promise<MigrationResponse> {
    return this.runs.get(id);
  }

  @Get(':id/items')
  @ApiOperation({
    operationId: 'listMigrationItems',
    summary: "Every customer's outcome, in source order",
    description:
      'The per-customer report: outcome, reason (retryable or not, and the field when the provider named one), lossy fields, ids at both ends. `outcome` narrows it to one outcome, e.g. `failed`.',
  })
  @ApiParam({ name: 'id', example: 'mig_0f1e2d3c4b5a69788796' })
  @ApiOkResponse({ type: MigrationItemPage })
  @ApiProblems(400, 401, 403, 404)
  async items(@Param('id') id: string, @Query() query: MigrationItemsQuery): Promise<MigrationItemPage> {
    return this.runs.items(id, query);
  }

  @Post(':id/cancel')
  @HttpCode(200)
  @ApiOperation({
    operationId: 'cancelMigration',
    summary: 'Stop a running migration; customers in flight finish, the rest wait',
  })
  @ApiParam({ name: 'id', example: 'mig_0f1e2d3c4b5a69788796' })
  @ApiOkResponse({ type: MigrationResponse })
  @ApiProblems(401, 403, 404)
  async cancel(@Param('id') id: string): Promise<MigrationResponse> {
    return this.runs.cancel(id);
  }

  @Post(':id/resume')
  @HttpCode(202)
  @ApiOperation({
    operationId: 'resumeMigration',
    summary: 'Continue a cancelled or interrupted migration from its checkpoint, or retry its failures',
    description:
      'Customers already finished are not touched again; failed ones whose reason is retryable are retried, in a completed run too. Resuming a completed run without such failures does nothing.',
  })
  @ApiParam({ name: 'id', example: 'mig_0f1e2d3c4b5a69788796' })
  @ApiAcceptedResponse({ type: MigrationResponse })
  @ApiProblems(401, 403, 404, 409)
  async resume(@Param('id') id: string): Promise<MigrationResponse> {
    return this.runs.resume(id);
  }

  private specOf(body: StartMigrationBody): MigrationSpec {
    const [source] = this.accounts.resolve([body.source]);
    const [target] = this.accounts.resolve([body.target]);
    return {
      source: {
        ...source!,
        kind: body.source.kind,
        ...(body.source.references !== undefined ? { references: body.source.references } : {}),
      },
      target: target!,
      ...(body.cutover !== undefined
        ? { cutover: { primary: body.cutover.primary, source: body.cutover.source } }
        : {}),
      concurrency: body.concurrency ?? 8,
      liveShare: body.liveShare ?? 0.2,
      batchSize: body.batchSize ?? 100,
      ...(body.force === true ? { force: true } : {}),
    };
  }
}
