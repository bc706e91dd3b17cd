import { createHmac, randomBytes } from 'node:crypto';

import { type WebhookSignatureScheme } from '@app/persistence';

/**
 * Standard Webhooks (https://github.com/standard-webhooks/standard-webhooks/blob/main/spec/standard-webhooks.md):
 * a secret is `whsec_` and 24 to 64 random bytes in base64, the bytes being the HMAC key.
 */
const SECRET_PREFIX = 'whsec_';
const SECRET_BYTES = 32;

/** A new signing secret in the Standard Webhooks form. */
export function newSigningSecret(): string {
  return `${SECRET_PREFIX}${randomBytes(SECRET_BYTES).toString('base64')}`;
}

/**
 * One Standard Webhooks signature: HMAC-SHA256, keyed with the secret's base64-decoded bytes, of
 * `<webhook-id>.<webhook-timestamp>.<raw body>`, as `v1,<base64>`.
 */
export function standardSignature(
  secret: string,
  webhookId: string,
  timestamp: number,
  body: string,
): string {
  const key = Buffer.from(
    secret.startsWith(SECRET_PREFIX) ? secret.slice(SECRET_PREFIX.length) : secret,
    'base64',
  );
  const digest = createHmac('sha256', key).update(`${webhookId}.${timestamp}.${body}`).digest('base64');
  return `v1,${digest}`;
}

/**
 * The scheme endpoints created before Standard Webhooks keep until their secret is rotated,
 * Stripe's (https://docs.stripe.com/webhooks#verify-manually): HMAC-SHA256 keyed with the secret
 * string itself over `<timestamp>.<raw body>`, sent as `t=<timestamp>,v1=<hex>`.
 */
export function legacySignatureHeader(secret: string, body: string, timestamp: number): string {
  const digest = createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex');
  return `t=${timestamp},v1=${digest}`;
}

/**
 * The headers that identify and sign one delivery. Standard: `webhook-id`, `webhook-timestamp` and
 * `webhook-signature` with one signature per valid secret, space-separated (the spec's way to
 * verify through a rotation: a receiver accepts when any matches). Legacy: `webhook-id` and the
 * `t=…,v1=…` signature with the one secret legacy endpoints have.
 */
export function signedHeaders(
  scheme: WebhookSignatureScheme,
  secrets: readonly string[],
  webhookId: string,
  body: string,
  timestamp: number,
): Record<string, string> {
  if (scheme === 'legacy') {
    return {
      'webhook-id': webhookId,
      'webhook-signature': legacySignatureHeader(secrets[0] ?? '', body, timestamp),
    };
  }
  return {
    'webhook-id': webhookId,
    'webhook-timestamp': String(timestamp),
    'webhook-signature': secrets
      .map((secret) => standardSignature(secret, webhookId, timestamp, body))
      .join(' '),
  };
}
