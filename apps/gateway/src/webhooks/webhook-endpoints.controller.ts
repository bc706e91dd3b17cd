import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Patch, Post, Query } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiBearerAuth,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiSecurity,
  ApiTags,
} from '@nestjs/swagger';
import { DomainError } from '@app/domain';
import { type GatewayConfig } from '@app/config';
import { WebhookStore } from '@app/persistence';

import { RequiresScope } from '../auth/auth.decorators';
import { GATEWAY_CONFIG } from '../config/config.module';
import { ApiProblems } from '../errors/problem.dto';
import { WebhookDispatcher, webhookUrlPolicy } from './webhook-dispatcher';
import { newSigningSecret } from './webhook-signature';
import { webhookUrlProblems, type WebhookUrlPolicy } from './webhook-url';
import {
  CreatedWebhookEndpointResponse,
  CreateWebhookEndpointBody,
  ListDeliveriesQuery,
  RotatedWebhookSecretResponse,
  RotateWebhookSecretBody,
  toDeliveryResponse,
  toEndpointResponse,
  UpdateWebhookEndpointBody,
  WebhookDeliveryListResponse,
  WebhookDeliveryResponse,
  WebhookEndpointListResponse,
  WebhookEndpointResponse,
  WebhookTestResponse,
} from './webhooks.dto';

const ENDPOINT_ID = ApiParam({ name: 'id', example: 'we_0123456789abcdef01234567' });

@ApiTags('webhooks')
@ApiBearerAuth()
@ApiSecurity('api-key')
@RequiresScope('admin')
@Controller('v1/webhook-endpoints')
export class WebhookEndpointsController {
  private readonly policy: WebhookUrlPolicy;

  constructor(
    private readonly store: WebhookStore,
    private readonly dispatcher: WebhookDispatcher,
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
  ) {
    this.policy = webhookUrlPolicy(config);
  }

  @Post()
  @ApiOperation({
    operationId: 'createWebhookEndpoint',
    summary: 'Subscribe a URL to events',
    description:
      'Each event is POSTed as JSON, signed per Standard Webhooks (https://www.standardwebhooks.com/) with the endpoint\'s secret: `webhook-id: <event id>`, `webhook-timestamp: <unix seconds>`, `webhook-signature: v1,<base64 HMAC-SHA256 of "<id>.<timestamp>.<raw body>">`. The secret is in this answer only.',
  })
  @ApiCreatedResponse({ type: CreatedWebhookEndpointResponse })
  @ApiProblems(400, 401, 403, 413, 415)
  async create(@Body() body: CreateWebhookEndpointBody): Promise<CreatedWebhookEndpointResponse> {
    await this.assertUrl(body.url);
    const secret = newSigningSecret();
    const endpoint = await this.store.createEndpoint({
      url: body.url,
      eventTypes: body.eventTypes,
      ...(body.description !== undefined ? { description: body.description } : {}),
      enabled: body.enabled ?? true,
      secret,
    });
    return { ...toEndpointResponse(endpoint), secret };
  }

  @Get()
  @ApiOperation({ operationId: 'listWebhookEndpoints', summary: 'Every webhook endpoint, oldest first' })
  @ApiOkResponse({ type: WebhookEndpointListResponse })
  @ApiProblems(401, 403)
  async list(): Promise<WebhookEndpointListResponse> {
    return { data: (await this.store.listEndpoints()).map(toEndpointResponse) };
  }

  @Get(':id')
  @ApiOperation({
    operationId: 'getWebhookEndpoint',
    summary: 'One webhook endpoint, with why the gateway disabled it if it did',
  })
  @ENDPOINT_ID
  @ApiOkResponse({ type: WebhookEndpointResponse })
  @ApiProblems(401, 403, 404)
  async get(@Param('id') id: string): Promise<WebhookEndpointResponse> {
    return toEndpointResponse(await this.store.endpoint(id));
  }

  @Patch(':id')
  @ApiOperation({
    operationId: 'updateWebhookEndpoint',
    summary: 'Change the URL, event types, description, or enable/disable',
    description: 'Enabling clears the failure streak; deliveries waiting meanwhile are sent.',
  })
  @ENDPOINT_ID
  @ApiOkResponse({ type: WebhookEndpointResponse })
  @ApiProblems(400, 401, 403, 404, 413, 415)
  async update(
    @Param('id') id: string,
    @Body() body: UpdateWebhookEndpointBody,
  ): Promise<WebhookEndpointResponse> {
    if (body.url !== undefined) await this.assertUrl(body.url);
    return toEndpointResponse(await this.store.updateEndpoint(id, body));
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({
    operationId: 'deleteWebhookEndpoint',
    summary: 'Unsubscribe: the endpoint and its delivery log go',
  })
  @ENDPOINT_ID
  @ApiNoContentResponse()
  @ApiProblems(401, 403, 404)
  async remove(@Param('id') id: string): Promise<void> {
    await this.store.deleteEndpoint(id);
  }

  @Get(':id/deliveries')
  @ApiOperation({
    operationId: 'listWebhookDeliveries',
    summary: 'The delivery log, newest first',
    description:
      'One entry per event sent to the endpoint: status, attempts, the last status code, outcome and duration. No bodies.',
  })
  @ENDPOINT_ID
  @ApiOkResponse({ type: WebhookDeliveryListResponse })
  @ApiProblems(400, 401, 403, 404)
  async deliveries(
    @Param('id') id: string,
    @Query() query: ListDeliveriesQuery,
  ): Promise<WebhookDeliveryListResponse> {
    const page = await this.store.deliveries(id, {
      limit: query.limit ?? 20,
      ...(query.startingAfter !== undefined ? { startingAfter: query.startingAfter } : {}),
      ...(query.status !== undefined ? { status: query.status } : {}),
    });
    return { data: page.data.map(toDeliveryResponse), hasMore: page.hasMore };
  }

  @Post(':id/deliveries/:deliveryId/redeliver')
  @HttpCode(202)
  @ApiOperation({
    operationId: 'redeliverWebhookDelivery',
    summary: "Send a delivery's event again (a new delivery, due now)",
  })
  @ENDPOINT_ID
  @ApiParam({ name: 'deliveryId', example: 'whd_0123456789abcdef0123456789abcdef' })
  @ApiAcceptedResponse({ type: WebhookDeliveryResponse })
  @ApiProblems(401, 403, 404)
  async redeliver(
    @Param('id') id: string,
    @Param('deliveryId') deliveryId: string,
  ): Promise<WebhookDeliveryResponse> {
    return toDeliveryResponse(await this.store.redeliver(id, deliveryId));
  }

  @Post(':id/events/:eventId/redeliver')
  @HttpCode(202)
  @ApiOperation({
    operationId: 'redeliverWebhookEvent',
    summary: 'Send an event to this endpoint (again), e.g. one from before it subscribed',
  })
  @ENDPOINT_ID
  @ApiParam({ name: 'eventId', example: 'evt_5c4b3a29180f6e5d4c3b2a19' })
  @ApiAcceptedResponse({ type: WebhookDeliveryResponse })
  @ApiProblems(401, 403, 404)
  async redeliverEvent(
    @Param('id') id: string,
    @Param('eventId') eventId: string,
  ): Promise<WebhookDeliveryResponse> {
    return toDeliveryResponse(await this.store.redeliverEvent(id, eventId));
  }

  @Post(':id/rotate-secret')
  @HttpCode(200)
  @ApiOperation({
    operationId: 'rotateWebhookSecret',
    summary: 'Replace the signing secret, the previous one still signing for an overlap',
    description:
      'The new secret is in this answer only. Until `previousSecretExpiresAt`, every delivery carries a signature with each secret (`webhook-signature: v1,<new> v1,<previous>`), so receivers verify with either while they switch. An endpoint signing the legacy way switches to Standard Webhooks here, its old secret stopping at once.',
  })
  @ENDPOINT_ID
  @ApiOkResponse({ type: RotatedWebhookSecretResponse })
  @ApiProblems(400, 401, 403, 404, 413, 415)
  async rotateSecret(
    @Param('id') id: string,
    @Body() body: RotateWebhookSecretBody,
  ): Promise<RotatedWebhookSecretResponse> {
    const overlapMs = (body.overlapSeconds ?? this.config.WEBHOOK_SECRET_OVERLAP_HOURS * 3600) * 1000;
    const secret = newSigningSecret();
    const rotated = await this.store.rotateSecret(
      id,
      secret,
      overlapMs > 0 ? new Date(Date.now() + overlapMs) : undefined,
    );
    return {
      ...toEndpointResponse(rotated.endpoint),
      secret,
      previousSecretExpiresAt: rotated.previousValidUntil?.toISOString() ?? null,
    };
  }

  @Post(':id/test')
  @HttpCode(200)
  @ApiOperation({
    operationId: 'testWebhookEndpoint',
    summary: 'Send a signed `webhook.test` event now and say how it went',
    description:
      'Sent at once, signed as deliveries are, enabled or not; nothing is queued or retried, and neither the failure streak nor the delivery log changes. The URL is checked as for deliveries.',
  })
  @ENDPOINT_ID
  @ApiOkResponse({ type: WebhookTestResponse })
  @ApiProblems(401, 403, 404)
  async test(@Param('id') id: string): Promise<WebhookTestResponse> {
    const result = await this.dispatcher.sendTest(id);
    return {
      webhookId: result.webhookId,
      outcome: result.outcome,
      statusCode: result.statusCode ?? null,
      durationMs: result.durationMs,
    };
  }

  private async assertUrl(url: string): Promise<void> {
    const problems = await webhookUrlProblems(url, this.policy);
    if (problems.length > 0)
      throw new DomainError('validation_failed', 'The webhook URL is refused.', problems);
  }
}
