import {
  applyDecorators,
  Body,
  Controller,
  Delete,
  Get,
  Headers,
  HttpCode,
  Param,
  ParseBoolPipe,
  Patch,
  Post,
  Query,
  Req,
  Res,
} from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiBody,
  ApiAcceptedResponse,
  ApiCreatedResponse,
  ApiExtraModels,
  ApiHeader,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiQuery,
  ApiSecurity,
  ApiTags,
  getSchemaPath,
} from '@nestjs/swagger';
import { type Customer } from '@app/domain';
import { CustomerCommands, CustomerPlanner, CustomerService } from '@app/application';
import { type FastifyReply, type FastifyRequest } from 'fastify';

import { callContext } from '../auth/caller-context';
import { RequiresScope } from '../auth/auth.decorators';
import { ApiProblems } from '../errors/problem.dto';
import { IDEMPOTENCY_KEY_HEADER } from '../idempotency/idempotency-gate';
import { SpendsProviderCalls } from '../rate-limit/rate-limits';
import { CUSTOMER_EXAMPLES } from './customer-examples';
import { IncludeDeletedQuery, includeDeleted } from './include-deleted';
import { ProviderTargetDto, TaxIdentifierDto } from './customer-fields.dto';
import { toCustomerData, toCustomerPatch, toCustomerResponse } from './customer-mapping';
import {
  CreateCustomerBody,
  ImportCustomerBody,
  ListCustomersQuery,
  UpdateCustomerBody,
} from './customer-requests.dto';
import {
  CustomerListResponse,
  CustomerResponse,
  DeletedCustomerResponse,
  DryRunResponse,
  ForgetResponse,
} from './customer-responses.dto';

const DRY_RUN = ApiQuery({
  name: 'dryRun',
  required: false,
  type: Boolean,
  description:
    'true: answer 200 with the exact provider requests this write would send, and send and write nothing.',
});

/** For deletes: Swagger UI fills in `true`, so trying the example plans and deletes nothing. */
const DRY_RUN_BY_DEFAULT = ApiQuery({
  name: 'dryRun',
  required: false,
  type: Boolean,
  example: true,
  description:
    'true (the example): answer 200 with the exact provider requests the delete would send, and send and delete nothing. false or absent: delete.',
});

/** A 200 that is the usual answer, or with dryRun=true the plan: one status, two shapes. */
function ApiOkOrPlan(answer: new () => object, description: string) {
  return applyDecorators(
    ApiExtraModels(answer, DryRunResponse),
    ApiOkResponse({
      description,
      schema: { oneOf: [{ $ref: getSchemaPath(answer) }, { $ref: getSchemaPath(DryRunResponse) }] },
    }),
  );
}

const dryRunOf = (value: boolean | undefined) => value === true;
/** `true`/`false` query flags; anything else is a 400. */
const dryRunPipe = new ParseBoolPipe({ optional: true });

/** The strong ETag of a customer: its version. */
export const etagOf = (customer: Pick<Customer, 'version'>) => `"${customer.version}"`;

/**
 * If-Match as versions: `*` matches any existing customer (undefined here), other entity tags
 * must be strong and equal to `"<version>"`; a weak or malformed tag never matches.
 */
export function versionsFromIfMatch(header: string | undefined): number[] | undefined {
  if (header === undefined || header.trim() === '*') return undefined;
  return header
    .split(',')
    .map((tag) => /^\s*"(\d+)"\s*$/.exec(tag)?.[1])
    .map((version) => (version === undefined ? -1 : Number(version)));
}

@ApiTags('customers')
@ApiBearerAuth()
@ApiSecurity('api-key')
@Controller('v1/customers')
export class CustomersController {
  constructor(
    private readonly customers: CustomerService,
    private readonly commands: CustomerCommands,
    private readonly planner: CustomerPlanner,
  ) {}

  @Post()
  @RequiresScope('customers:write')
  @IDEMPOTENCY_KEY_HEADER
  @DRY_RUN
  @ApiOperation({
    operationId: 'createCustomer',
    summary: 'Create a customer',
    description:
      'Stores the customer, then creates it at each provider in `providers` (default: DEFAULT_PROVIDERS). Each link in the answer says how that went: `synced`, or `failed` with the reason, and which fields that provider cannot hold.',
  })
  @ApiBody({ type: CreateCustomerBody, examples: CUSTOMER_EXAMPLES.create })
  @ApiCreatedResponse({
    type: CustomerResponse,
    description: 'Created; `ETag` and `Location` headers are set.',
  })
  @ApiOkResponse({ type: DryRunResponse, description: 'With dryRun=true: the plan.' })
  @ApiProblems(400, 401, 403, 409, 413, 415, 422)
  async create(
    @Body() body: CreateCustomerBody,
    @Query('dryRun', dryRunPipe) dryRun: boolean | undefined,
    @Res({ passthrough: true }) res: FastifyReply,
  ): Promise<CustomerResponse | DryRunResponse> {
    if (dryRunOf(dryRun)) {
      res.status(200);
      return {
        dryRun: true,
        providers: await this.planner.planCreate(callContext(), toCustomerData(body), body.providers),
      };
    }
    const customer = await this.commands.create(callContext(), toCustomerData(body), body.providers);
    res.headers({ ETag: etagOf(customer), Location: `/v1/customers/${customer.id}` });
    return toCustomerResponse(customer);
  }

  @Post('import')
  @SpendsProviderCalls()
  @RequiresScope('admin')
  @IDEMPOTENCY_KEY_HEADER
  @ApiOperation({
    operationId: 'importCustomer',
    summary: 'Adopt a customer that already exists at a provider',
    description:
      'Reads the customer at the provider by any of its references and stores it, linked and synced. Importing an already linked customer answers it as it is (200).',
  })
  @ApiBody({ type: ImportCustomerBody, examples: CUSTOMER_EXAMPLES.import })
  @ApiCreatedResponse({ type: CustomerResponse, description: 'Imported.' })
  @ApiOkResponse({ type: CustomerResponse, description: 'Already linked: nothing changed.' })
  @ApiProblems(400, 401, 403, 404, 409, 422, 502, 503)
  async import(
    @Body() body: ImportCustomerBody,
    @Res({ passthrough: true }) res: FastifyReply,
  ): Promise<CustomerResponse> {
    const { customer, created } = await this.commands.import(callContext(), body, body.reference);
    res.status(created ? 201 : 200).header('ETag', etagOf(customer));
    return toCustomerResponse(customer);
  }

  @Get('by-reference/:provider/:reference')
  @RequiresScope('customers:read')
  @ApiOperation({
    operationId: 'getCustomerByReference',
    summary: "Find a customer by any of a provider's references (ours, or the provider's own id)",
    description:
      'Answers as GET /v1/customers/{id} does: 410 for a deleted customer within TOMBSTONE_RETENTION_HOURS, then 404.',
  })
  @ApiParam({ name: 'provider', example: 'two-checkout' })
  @ApiParam({ name: 'reference', example: '601952421' })
  @ApiOkResponse({ type: CustomerResponse })
  @ApiProblems(400, 401, 403, 404, 410)
  async byReference(
    @Param('provider') provider: string,
    @Param('reference') reference: string,
    @Query() query: IncludeDeletedQuery,
    @Req() req: FastifyRequest,
    @Res({ passthrough: true }) res: FastifyReply,
  ): Promise<CustomerResponse> {
    const customer = await this.customers.readByReference(provider, reference, {
      includeDeleted: includeDeleted(req, query.include),
    });
    res.header('ETag', etagOf(customer));
    return toCustomerResponse(customer);
  }

  @Get()
  @RequiresScope('customers:read')
  @ApiOperation({
    operationId: 'listCustomers',
    summary: 'List customers, newest first, with cursor pagination',
    description: 'Deleted customers are left out unless an admin asks for them (`include=deleted`).',
  })
  @ApiOkResponse({ type: CustomerListResponse })
  @ApiProblems(400, 401, 403)
  async list(@Query() query: ListCustomersQuery, @Req() req: FastifyRequest): Promise<CustomerListResponse> {
    const { include, ...filters } = query;
    const page = await this.customers.list(
      { ...filters, limit: query.limit ?? 10 },
      { includeDeleted: includeDeleted(req, include) },
    );
    return { data: page.data.map(toCustomerResponse), hasMore: page.hasMore };
  }

  @Get(':id')
  @RequiresScope('customers:read')
  @ApiOperation({
    operationId: 'getCustomer',
    summary: 'Get a customer',
    description:
      'A deleted customer answers 410 `customer_gone` (when, and what each provider still holds) for TOMBSTONE_RETENTION_HOURS, then 404; a forgotten one answers 200, its personal fields erased.',
  })
  @ApiParam({ name: 'id', example: 'cus_4f7d0e1c9b2a3d4e5f6a7b8c' })
  @ApiOkResponse({
    type: CustomerResponse,
    description: 'The `ETag` header carries the version for If-Match.',
  })
  @ApiProblems(400, 401, 403, 404, 410)
  async get(
    @Param('id') id: string,
    @Query() query: IncludeDeletedQuery,
    @Req() req: FastifyRequest,
    @Res({ passthrough: true }) res: FastifyReply,
  ): Promise<CustomerResponse> {
    const customer = await this.customers.read(id, { includeDeleted: includeDeleted(req, query.include) });
    res.header('ETag', etagOf(customer));
    return toCustomerResponse(customer);
  }

  @Patch(':id')
  @RequiresScope('customers:write')
  @IDEMPOTENCY_KEY_HEADER
  @ApiHeader({
    name: 'If-Match',
    required: false,
    description:
      'The ETag from a GET: the update applies only if the customer is still at that version (else 412).',
  })
  @ApiOperation({
    operationId: 'updateCustomer',
    summary: 'Update a customer (partial), then every provider it is linked to',
    description:
      'JSON merge patch (RFC 7396): absent fields are kept, `null` clears a field marked nullable (elsewhere, as for `enabled` and the lists, it is a 400 naming the field); `address` and `metadata` are merged key by key, lists are replaced.',
  })
  @ApiParam({ name: 'id', example: 'cus_4f7d0e1c9b2a3d4e5f6a7b8c' })
  @ApiBody({ type: UpdateCustomerBody, examples: CUSTOMER_EXAMPLES.update })
  @ApiOkOrPlan(CustomerResponse, 'The updated customer; with dryRun=true, the plan.')
  @DRY_RUN
  @ApiProblems(400, 401, 403, 404, 409, 410, 412, 413, 415, 422)
  async update(
    @Param('id') id: string,
    @Body() body: UpdateCustomerBody,
    @Headers('if-match') ifMatch: string | undefined,
    @Query('dryRun', dryRunPipe) dryRun: boolean | undefined,
    @Res({ passthrough: true }) res: FastifyReply,
  ): Promise<CustomerResponse | DryRunResponse> {
    if (dryRunOf(dryRun))
      return {
        dryRun: true,
        providers: await this.planner.planUpdate(callContext(), id, toCustomerPatch(body)),
      };
    const customer = await this.commands.update(
      callContext(),
      id,
      toCustomerPatch(body),
      versionsFromIfMatch(ifMatch),
    );
    res.header('ETag', etagOf(customer));
    return toCustomerResponse(customer);
  }

  @Delete(':id')
  @HttpCode(200)
  @RequiresScope('customers:write')
  @IDEMPOTENCY_KEY_HEADER
  @DRY_RUN_BY_DEFAULT
  @ApiOperation({
    operationId: 'deleteCustomer',
    summary: 'Delete a customer at its providers and from the mirror',
    description:
      "Deletes the customer at each provider that can (confirmed by reading back) and scrubs the personal fields at providers that cannot delete (2Checkout), as forget does. Digital River's tax identifiers are deleted first (a customer delete would only detach them); its detached payment sources keep their owner's details, named `sources` in `remaining`. The mirror keeps a tombstone without personal data: for TOMBSTONE_RETENTION_HOURS, GET by id and by every provider reference answers 410 `customer_gone` with when and what remains where (admins read the tombstone itself with `include=deleted`), then 404. 200 only when nothing personal remains anywhere; else 202 with `remaining` per provider (2Checkout keeps the country, which it requires). Deleting again answers the same report and re-drives deletes not settled yet.",
  })
  @ApiParam({ name: 'id', example: 'cus_4f7d0e1c9b2a3d4e5f6a7b8c' })
  @ApiOkOrPlan(DeletedCustomerResponse, 'Deleted everywhere; with dryRun=true, the plan.')
  @ApiAcceptedResponse({
    type: DeletedCustomerResponse,
    description:
      'Deleted from the mirror; a provider still holds personal data (`remaining`), or its delete is pending or failed.',
  })
  @ApiProblems(401, 403, 404, 409, 422)
  async delete(
    @Param('id') id: string,
    @Query('dryRun', dryRunPipe) dryRun: boolean | undefined,
    @Res({ passthrough: true }) res: FastifyReply,
  ): Promise<DeletedCustomerResponse | DryRunResponse> {
    if (dryRunOf(dryRun))
      return { dryRun: true, providers: await this.planner.planDelete(callContext(), id) };
    const { deleted, providers } = await this.commands.delete(callContext(), id);
    if (!deleted) res.status(202);
    return { id, deleted, providers };
  }

  @Post(':id/forget')
  @HttpCode(200)
  @RequiresScope('customers:erase')
  @IDEMPOTENCY_KEY_HEADER
  @ApiOperation({
    operationId: 'forgetCustomer',
    summary: 'Forget a customer (GDPR erasure)',
    description:
      "Erases the personal fields from the mirror and from stored idempotent answers (keeping a tombstone), then asks every linked provider to forget (Digital River's requestToBeForgotten; 2Checkout's personal fields scrubbed). A provider's erasure is `requested` until a read-back shows it no longer holds the personal data (Digital River erases asynchronously; the worker reads again with backoff), then `erased`, or `partial` with what it cannot erase in `notErased`.",
  })
  @ApiParam({ name: 'id', example: 'cus_4f7d0e1c9b2a3d4e5f6a7b8c' })
  @ApiOkResponse({ type: ForgetResponse })
  @ApiProblems(401, 403, 404, 409, 410, 422)
  async forget(@Param('id') id: string): Promise<ForgetResponse> {
    const { customer, providers } = await this.commands.forget(callContext(), id);
    return { customer: toCustomerResponse(customer), providers };
  }

  @Post(':id/links')
  @RequiresScope('customers:write')
  @IDEMPOTENCY_KEY_HEADER
  @DRY_RUN
  @ApiOperation({
    operationId: 'linkCustomer',
    summary: 'Push an existing customer to another provider account',
  })
  @ApiParam({ name: 'id', example: 'cus_4f7d0e1c9b2a3d4e5f6a7b8c' })
  @ApiBody({ type: ProviderTargetDto, examples: CUSTOMER_EXAMPLES.link })
  @ApiCreatedResponse({ type: CustomerResponse, description: 'The link in `providers` says how it went.' })
  @ApiOkResponse({ type: DryRunResponse, description: 'With dryRun=true: the plan.' })
  @ApiProblems(400, 401, 403, 404, 409, 410, 422)
  async link(
    @Param('id') id: string,
    @Body() body: ProviderTargetDto,
    @Query('dryRun', dryRunPipe) dryRun: boolean | undefined,
    @Res({ passthrough: true }) res: FastifyReply,
  ): Promise<CustomerResponse | DryRunResponse> {
    if (dryRunOf(dryRun)) {
      res.status(200);
      return { dryRun: true, providers: await this.planner.planLink(callContext(), id, body) };
    }
    const customer = await this.commands.link(callContext(), id, body);
    res.header('ETag', etagOf(customer));
    return toCustomerResponse(customer);
  }

  @Post(':id/sources/:sourceId')
  @HttpCode(200)
  @RequiresScope('customers:write')
  @IDEMPOTENCY_KEY_HEADER
  @ApiOperation({
    operationId: 'attachCustomerSource',
    summary: 'Attach a payment source at the providers that hold sources',
    description:
      'A 422 `unsupported_by_provider`, before any provider call, when no linked provider holds sources. `?default=true` also makes it the default source.',
  })
  @ApiParam({ name: 'id', example: 'cus_4f7d0e1c9b2a3d4e5f6a7b8c' })
  @ApiParam({ name: 'sourceId', example: 'fd74a5c5-0163-469a-ae8e-031f0259b576' })
  @ApiQuery({
    name: 'default',
    required: false,
    type: Boolean,
    description: "true: also make it the customer's default source (`defaultSourceId`).",
  })
  @ApiOkResponse({ type: CustomerResponse })
  @ApiProblems(400, 401, 403, 404, 409, 410, 422)
  async attachSource(
    @Param('id') id: string,
    @Param('sourceId') sourceId: string,
    @Query('default', dryRunPipe) makeDefault: boolean | undefined,
  ): Promise<CustomerResponse> {
    return toCustomerResponse(
      await this.commands.attachSource(callContext(), id, sourceId, makeDefault === true),
    );
  }

  @Delete(':id/sources/:sourceId')
  @HttpCode(200)
  @RequiresScope('customers:write')
  @IDEMPOTENCY_KEY_HEADER
  @ApiOperation({ operationId: 'detachCustomerSource', summary: 'Detach a payment source' })
  @ApiParam({ name: 'id', example: 'cus_4f7d0e1c9b2a3d4e5f6a7b8c' })
  @ApiParam({ name: 'sourceId', example: 'fd74a5c5-0163-469a-ae8e-031f0259b576' })
  @ApiOkResponse({ type: CustomerResponse })
  @ApiProblems(401, 403, 404, 409, 410, 422)
  async detachSource(
    @Param('id') id: string,
    @Param('sourceId') sourceId: string,
  ): Promise<CustomerResponse> {
    return toCustomerResponse(await this.commands.detachSource(callContext(), id, sourceId));
  }

  @Post(':id/tax-identifiers')
  @HttpCode(200)
  @RequiresScope('customers:write')
  @IDEMPOTENCY_KEY_HEADER
  @ApiOperation({
    operationId: 'setCustomerTaxIdentifier',
    summary: 'Set the tax identifier of a type (replacing one of the same type)',
    description:
      'Digital River attaches a tax-identifier resource; 2Checkout keeps one VAT id as FiscalCode (it needs companyName). A 422 `unsupported_by_provider` when no linked provider holds tax identifiers.',
  })
  @ApiParam({ name: 'id', example: 'cus_4f7d0e1c9b2a3d4e5f6a7b8c' })
  @ApiBody({ type: TaxIdentifierDto, examples: CUSTOMER_EXAMPLES.taxIdentifier })
  @ApiOkResponse({ type: CustomerResponse })
  @ApiProblems(400, 401, 403, 404, 409, 410, 412, 422)
  async setTaxIdentifier(@Param('id') id: string, @Body() body: TaxIdentifierDto): Promise<CustomerResponse> {
    return toCustomerResponse(
      await this.commands.setTaxIdentifier(callContext(), id, { type: body.type, value: body.value }),
    );
  }

  @Delete(':id/tax-identifiers/:type')
  @HttpCode(200)
  @RequiresScope('customers:write')
  @IDEMPOTENCY_KEY_HEADER
  @ApiOperation({
    operationId: 'removeCustomerTaxIdentifier',
    summary: 'Remove the tax identifier of a type',
  })
  @ApiParam({ name: 'id', example: 'cus_4f7d0e1c9b2a3d4e5f6a7b8c' })
  @ApiParam({ name: 'type', example: 'de' })
  @ApiOkResponse({ type: CustomerResponse })
  @ApiProblems(400, 401, 403, 404, 409, 410, 412, 422)
  async removeTaxIdentifier(@Param('id') id: string, @Param('type') type: string): Promise<CustomerResponse> {
    return toCustomerResponse(await this.commands.removeTaxIdentifier(callContext(), id, type));
  }

  @Post(':id/sync')
  @SpendsProviderCalls()
  @HttpCode(200)
  @RequiresScope('customers:write')
  @IDEMPOTENCY_KEY_HEADER
  @ApiOperation({
    operationId: 'syncCustomer',
    summary: "Re-drive the customer's links now",
    description:
      'Puts failed (parked) and waiting links back in line and delivers them within the wait; the answer shows each link as it then stands.',
  })
  @ApiParam({ name: 'id', example: 'cus_4f7d0e1c9b2a3d4e5f6a7b8c' })
  @ApiOkResponse({ type: CustomerResponse })
  @ApiProblems(401, 403, 404)
  async redrive(@Param('id') id: string): Promise<CustomerResponse> {
    return toCustomerResponse(await this.commands.redrive(callContext(), id));
  }
}
