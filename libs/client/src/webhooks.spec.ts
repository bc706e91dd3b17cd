import { createHmac, randomBytes } from 'node:crypto';

import { verify, WebhookVerificationError } from './webhooks';

/**
 * Deliveries signed here by hand, as the Standard Webhooks spec says a sender signs them
 * (https://github.com/standard-webhooks/standard-webhooks/blob/main/spec/standard-webhooks.md#signature-scheme):
 * HMAC-SHA256 under the base64 key after `whsec_`, over `<id>.<timestamp>.<body>`, sent as
 * `v1,<base64>`; several signatures are separated by spaces.
 */
const newSecret = () => `whsec_${randomBytes(24).toString('base64')}`;
const sign = (secret: string, id: string, timestamp: number, body: string) =>
  `v1,${createHmac('sha256', Buffer.from(secret.slice('whsec_'.length), 'base64'))
    .update(`${id}.${timestamp}.${body}`)
    .digest('base64')}`;

const event = {
  id: 'evt_5c4b3a29180f6e5d4c3b2a19',
  type: 'customer.updated',
  createdAt: '2026-12-07T00:00:00.000Z',
  customerId: 'cus_4f7d0e1c9b2a3d4e5f6a7b8c',
  data: { version: 2 },
};
const body = JSON.stringify(event);
const now = () => Math.floor(Date.now() / 1000);

function delivery(secret: string, overrides: { id?: string; timestamp?: number; signature?: string } = {}) {
  const id = overrides.id ?? 'msg_2KWPBgLlAfxdpx2AI54pPJ85f4W';
  const timestamp = overrides.timestamp ?? now();
  return {
    'webhook-id': id,
    'webhook-timestamp': String(timestamp),
    'webhook-signature': overrides.signature ?? sign(secret, id, timestamp, body),
  };
}

describe('webhooks.verify (Standard Webhooks)', () => {
  const secret = newSecret();

  it('answers the event of a genuine delivery, from Node headers, fetch Headers or raw bytes', () => {
    expect(verify(body, delivery(secret), secret)).toEqual(event);
    expect(verify(body, new Headers(delivery(secret)), secret)).toEqual(event);
    expect(verify(Buffer.from(body), delivery(secret), secret)).toEqual(event);
    const capitalized = Object.fromEntries(
      Object.entries(delivery(secret)).map(([name, value]) => [name.toUpperCase(), value]),
    );
    expect(verify(body, capitalized, secret)).toEqual(event);
  });

  it('accepts any of several signatures, and any of several secrets while one is rotated', () => {
    const oldSecret = newSecret();
    const id = 'msg_rotating';
    const timestamp = now();
    const both = `${sign(oldSecret, id, timestamp, body)} ${sign(secret, id, timestamp, body)}`;
    expect(verify(body, delivery(secret, { id, timestamp, signature: both }), secret)).toEqual(event);
    expect(verify(body, delivery(oldSecret), [secret, oldSecret])).toEqual(event);
  });

  it.each([
    ['another secret', () => verify(body, delivery(newSecret()), secret)],
    ['an altered body', () => verify(body.replace('"version":2', '"version":3'), delivery(secret), secret)],
    ['re-serialized JSON', () => verify(JSON.stringify(event, null, 2), delivery(secret), secret)],
    ['another webhook-id', () => verify(body, { ...delivery(secret), 'webhook-id': 'msg_other' }, secret)],
    [
      'a timestamp over five minutes old',
      () => verify(body, delivery(secret, { timestamp: now() - 301 }), secret),
    ],
    [
      'a timestamp over five minutes ahead',
      () => verify(body, delivery(secret, { timestamp: now() + 301 }), secret),
    ],
    [
      'the old hex signature scheme',
      () => verify(body, delivery(secret, { signature: 't=1,v1=abcdef' }), secret),
    ],
    [
      'no signature header',
      () => verify(body, { 'webhook-id': 'msg_1', 'webhook-timestamp': String(now()) }, secret),
    ],
    ['no secret at all', () => verify(body, delivery(secret), [])],
  ])('refuses a delivery with %s', (_case, check) => {
    expect(check).toThrow(WebhookVerificationError);
  });
});
