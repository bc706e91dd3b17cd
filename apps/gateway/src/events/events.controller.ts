import { Controller, Get, Param, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiParam, ApiSecurity, ApiTags } from '@nestjs/swagger';

import { RequiresScope } from '../auth/auth.decorators';
import { ApiProblems } from '../errors/problem.dto';
import { EventStore } from '@app/persistence';
import { EventListResponse, EventResponse, ListEventsQuery } from './events.dto';

@ApiTags('events')
@ApiBearerAuth()
@ApiSecurity('api-key')
@RequiresScope('customers:read')
@Controller('v1/events')
export class EventsController {
  constructor(private readonly events: EventStore) {}

  @Get()
  @ApiOperation({
    operationId: 'listEvents',
    summary: 'Everything that happened, oldest first',
    description:
      'Every change a caller may care about, recorded in the same transaction as the change. Oldest first: tail it by passing the last id seen as `startingAfter`. Kept for EVENT_RETENTION_HOURS.',
  })
  @ApiOkResponse({ type: EventListResponse })
  @ApiProblems(400, 401, 403)
  async list(@Query() query: ListEventsQuery): Promise<EventListResponse> {
    return this.events.list({
      limit: query.limit ?? 10,
      ...(query.startingAfter !== undefined ? { startingAfter: query.startingAfter } : {}),
      ...(query.type !== undefined ? { types: query.type } : {}),
      ...(query.customerId !== undefined ? { customerId: query.customerId } : {}),
    });
  }

  @Get(':id')
  @ApiOperation({ operationId: 'getEvent', summary: 'One event' })
  @ApiParam({ name: 'id', example: 'evt_5c4b3a29180f6e5d4c3b2a19' })
  @ApiOkResponse({ type: EventResponse })
  @ApiProblems(401, 403, 404)
  async get(@Param('id') id: string): Promise<EventResponse> {
    return this.events.get(id);
  }
}
