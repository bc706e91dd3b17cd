import {
  Body,
  Controller,
  Delete,
  Get,
  Headers,
  HttpCode,
  Param,
  Patch,
  Post,
  Query,
  Res,
} from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiBody,
  ApiCreatedResponse,
  ApiHeader,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiSecurity,
  ApiTags,
} from '@nestjs/swagger';
import { CustomerService, type Customer } from '@app/customer-domain';
import { type Response } from 'express';

import { RequiresScope } from '../auth/auth.decorators';
import { ApiProblems } from '../errors/problem.dto';
import {
  CreateCustomerBody,
  CustomerListResponse,
  CustomerResponse,
  DeletedCustomerResponse,
  ListCustomersQuery,
  toCustomerData,
  toCustomerPatch,
  toCustomerResponse,
  UpdateCustomerBody,
} from './customers.dto';

const IDEMPOTENCY_KEY_HEADER = ApiHeader({
  name: 'Idempotency-Key',
  required: false,
  description:
    'Makes the request safe to retry: the same key with the same request replays the first answer for 24 hours (marked `Idempotent-Replayed: true`); with another request it is a 422; while the first is running, a 409. Scoped to the API key.',
});

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
  constructor(private readonly customers: CustomerService) {}

  @Post()
  @RequiresScope('customers:write')
  @IDEMPOTENCY_KEY_HEADER
  @ApiOperation({ summary: 'Create a customer' })
  @ApiBody({ type: CreateCustomerBody })
  @ApiCreatedResponse({
    type: CustomerResponse,
    description: 'Created; `ETag` and `Location` headers are set.',
  })
  @ApiProblems(400, 401, 403, 409, 413, 415, 422)
  async create(
    @Body() body: CreateCustomerBody,
    @Res({ passthrough: true }) res: Response,
  ): Promise<CustomerResponse> {
    const customer = await this.customers.create(toCustomerData(body));
    res.set({ ETag: etagOf(customer), Location: `/v1/customers/${customer.id}` });
    return toCustomerResponse(customer);
  }

  @Get()
  @RequiresScope('customers:read')
  @ApiOperation({ summary: 'List customers, newest first, with cursor pagination' })
  @ApiOkResponse({ type: CustomerListResponse })
  @ApiProblems(400, 401, 403)
  async list(@Query() query: ListCustomersQuery): Promise<CustomerListResponse> {
    const page = await this.customers.list({ ...query, limit: query.limit ?? 10 });
    return { data: page.data.map(toCustomerResponse), hasMore: page.hasMore };
  }

  @Get(':id')
  @RequiresScope('customers:read')
  @ApiOperation({ summary: 'Get a customer' })
  @ApiParam({ name: 'id', example: 'cus_4f7d0e1c9b2a3d4e5f6a7b8c' })
  @ApiOkResponse({
    type: CustomerResponse,
    description: 'The `ETag` header carries the version for If-Match.',
  })
  @ApiProblems(401, 403, 404)
  async get(@Param('id') id: string, @Res({ passthrough: true }) res: Response): Promise<CustomerResponse> {
    const customer = await this.customers.get(id);
    res.set('ETag', etagOf(customer));
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
    summary: 'Update a customer (partial)',
    description:
      'JSON merge patch (RFC 7396): absent fields are kept, `null` clears a field; `address` and `metadata` are merged key by key, lists are replaced.',
  })
  @ApiParam({ name: 'id', example: 'cus_4f7d0e1c9b2a3d4e5f6a7b8c' })
  @ApiBody({ type: UpdateCustomerBody })
  @ApiOkResponse({ type: CustomerResponse })
  @ApiProblems(400, 401, 403, 404, 409, 412, 413, 415, 422)
  async update(
    @Param('id') id: string,
    @Body() body: UpdateCustomerBody,
    @Headers('if-match') ifMatch: string | undefined,
    @Res({ passthrough: true }) res: Response,
  ): Promise<CustomerResponse> {
    const customer = await this.customers.update(id, toCustomerPatch(body), versionsFromIfMatch(ifMatch));
    res.set('ETag', etagOf(customer));
    return toCustomerResponse(customer);
  }

  @Delete(':id')
  @HttpCode(200)
  @RequiresScope('customers:write')
  @IDEMPOTENCY_KEY_HEADER
  @ApiOperation({ summary: 'Delete a customer from the mirror' })
  @ApiParam({ name: 'id', example: 'cus_4f7d0e1c9b2a3d4e5f6a7b8c' })
  @ApiOkResponse({ type: DeletedCustomerResponse })
  @ApiProblems(401, 403, 404, 409, 422)
  async delete(@Param('id') id: string): Promise<DeletedCustomerResponse> {
    await this.customers.delete(id);
    return { id, deleted: true };
  }
}
