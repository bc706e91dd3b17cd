import { Body, Controller, Headers, HttpCode, Param, Post, Put, Req } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiHeader,
  ApiNoContentResponse,
  ApiOperation,
  ApiParam,
  ApiSecurity,
  ApiTags,
} from '@nestjs/swagger';
import { type FastifyRequest } from 'fastify';

import { Public, RequiresScope } from '../auth/auth.decorators';
import { ApiProblems } from '../errors/problem.dto';
import { rawBodyOf } from '../http/json-body';
import { DigitalRiverInbound } from './digital-river-inbound';
import { SetProviderWebhookSecretBody } from './provider-webhooks.dto';

const ACCOUNT = ApiParam({
  name: 'account',
  example: 'sandbox',
  description: 'A configured Digital River account (`PROVIDER_ACCOUNTS`).',
});

/**
 * Where providers tell the gateway about changes they made themselves. Digital River's webhooks
 * are authenticated by their `DigitalRiver-Signature`, not by an API key.
 */
@ApiTags('provider webhooks')
@Controller('v1/provider-webhooks/digital-river/:account')
export class ProviderWebhooksController {
  constructor(private readonly inbound: DigitalRiverInbound) {}

  @Post()
  @Public()
  @HttpCode(204)
  @ApiOperation({
    operationId: 'receiveDigitalRiverWebhook',
    summary: "Digital River's webhook for one account (DR calls this, not you)",
    description:
      "Register this URL in Digital River's Dashboard for the `customer.*` and `tax_identifier.deleted` events. The request is authenticated by its `DigitalRiver-Signature: t=<unix seconds>,v0=<hex HMAC-SHA256 of \"<t>.<raw body>\">` under the account's signing secret (or the previous one while a rotation overlaps); a signature older than DR_WEBHOOK_TOLERANCE_SECONDS is refused. The event is recorded once (duplicates and events also read from DR's Events API are recognised by id) and acted on in the background: the customer is read again from Digital River first. Every refusal is counted in `csg_provider_webhooks_total`.",
  })
  @ACCOUNT
  @ApiHeader({
    name: 'DigitalRiver-Signature',
    required: true,
    example: 't=1765076400,v0=5d41402abc4b2a76b9719d911017c592ae2f6a7e3e0f1d2c3b4a5968778695a4',
  })
  @ApiNoContentResponse({ description: 'Received (or a duplicate of an event already received).' })
  @ApiProblems(400, 401, 413, 415)
  async receive(
    @Param('account') account: string,
    @Headers('digitalriver-signature') signature: string | undefined,
    @Req() req: FastifyRequest,
  ): Promise<void> {
    await this.inbound.receive(account, signature, rawBodyOf(req));
  }

  @Put('secret')
  @HttpCode(204)
  @ApiBearerAuth()
  @ApiSecurity('api-key')
  @RequiresScope('admin')
  @ApiOperation({
    operationId: 'setDigitalRiverWebhookSecret',
    summary: "Set or rotate the signing secret of an account's Digital River webhook",
    description:
      'The previous secret stays valid for `overlapHours` (12 by default, as Digital River keeps its own previous secret for 12 hours when it rotates one: https://docs.digitalriver.com/digital-river-api/events-and-webhooks-1/webhooks/digital-river-signature).',
  })
  @ACCOUNT
  @ApiNoContentResponse({ description: 'Stored (encrypted).' })
  @ApiProblems(400, 401, 403, 413, 415)
  async setSecret(
    @Param('account') account: string,
    @Body() body: SetProviderWebhookSecretBody,
  ): Promise<void> {
    await this.inbound.setSecret(account, body.secret, body.overlapHours);
  }
}
