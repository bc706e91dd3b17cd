import { type Client } from 'openapi-fetch';

import { type components, type paths } from '../generated/openapi.js';
import { callInit, type RequestOptions } from '../request.js';
import { type Send } from '../retry.js';

export type SetProviderWebhookSecret = components['schemas']['SetProviderWebhookSecretBody'];

/**
 * `client.providerWebhooks`: where providers announce changes they made themselves. An operator
 * sets the signing secret Digital River shows for an account's webhook; `digitalRiver.deliver`
 * forwards a delivery as received (a relay, or a replay of a captured one), bytes and signature
 * unchanged, since the signature covers the exact body.
 */
export function providerWebhooksResource(api: Client<paths>, send: Send) {
  const path = '/v1/provider-webhooks/digital-river/{account}';
  return {
    digitalRiver: {
      /** The previous secret stays valid for `overlapHours` (12 by default, as DR overlaps its own). */
      async setSecret(
        account: string,
        body: SetProviderWebhookSecret,
        options: RequestOptions = {},
      ): Promise<void> {
        await api.PUT(`${path}/secret`, { params: { path: { account } }, body, ...callInit(send, options) });
      },
      async deliver(
        account: string,
        rawBody: string,
        signature: string,
        options: RequestOptions = {},
      ): Promise<void> {
        const init = callInit(send, options);
        await api.POST(path, {
          ...init,
          params: { path: { account }, header: { 'DigitalRiver-Signature': signature } },
          body: rawBody as never,
          bodySerializer: () => rawBody,
          headers: { ...init.headers, 'Content-Type': 'application/json' },
        });
      },
    },
  };
}
