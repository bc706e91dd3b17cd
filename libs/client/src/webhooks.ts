import { Webhook, WebhookVerificationError } from 'standardwebhooks';

import { type components } from './generated/openapi.js';

export { WebhookVerificationError };

/** What the gateway posts to a webhook endpoint: one event, as `GET /v1/events/{id}` answers it. */
export type WebhookEvent = components['schemas']['EventResponse'];

/** The request headers as Node (`req.headers`) or fetch (`request.headers`) hands them over. */
export type WebhookHeaders = Headers | Record<string, string | readonly string[] | undefined>;

const SIGNED_HEADERS = ['webhook-id', 'webhook-timestamp', 'webhook-signature'] as const;

function signedHeaders(headers: WebhookHeaders): Record<string, string> {
  const read = (name: string): string | undefined => {
    if (headers instanceof Headers) return headers.get(name) ?? undefined;
    const entry = Object.entries(headers).find(([key]) => key.toLowerCase() === name)?.[1];
    return typeof entry === 'string' ? entry : entry?.join(' ');
  };
  const found: Record<string, string> = {};
  for (const name of SIGNED_HEADERS) {
    const value = read(name);
    if (value !== undefined) found[name] = value;
  }
  return found;
}

/**
 * Checks that a delivery came from the gateway, unaltered and recently, as Standard Webhooks
 * specifies (https://github.com/standard-webhooks/standard-webhooks/blob/main/spec/standard-webhooks.md):
 * `webhook-signature` must hold a `v1,<base64>` HMAC-SHA256, under the endpoint's `whsec_` secret,
 * of `<webhook-id>.<webhook-timestamp>.<raw body>`, and the timestamp must be within five minutes
 * of this machine's clock (replays of old deliveries fail). Pass the body exactly as received, not
 * re-serialized JSON. While a secret is being rotated, pass the old and the new one: either may
 * match. Answers the event; throws WebhookVerificationError when the delivery is not genuine.
 * De-duplicate on `webhook-id`: a redelivery carries the same one.
 */
export function verify(
  payload: string | Uint8Array,
  headers: WebhookHeaders,
  secret: string | readonly string[],
): WebhookEvent {
  const secrets = typeof secret === 'string' ? [secret] : secret;
  if (secrets.length === 0) throw new WebhookVerificationError('No secret to verify with');
  const signed = signedHeaders(headers);
  let failure: unknown;
  for (const candidate of secrets) {
    try {
      return new Webhook(candidate).verify(payload, signed) as WebhookEvent;
    } catch (error) {
      failure = error;
    }
  }
  if (failure instanceof WebhookVerificationError) throw failure;
  throw new WebhookVerificationError(failure instanceof Error ? failure.message : String(failure));
}

/** `webhooks`: what a service that receives the gateway's deliveries needs. */
export const webhooks = { verify };
