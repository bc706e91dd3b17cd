import { createHmac } from 'node:crypto';

import { Webhook } from 'standardwebhooks';

import { legacySignatureHeader, newSigningSecret, signedHeaders } from './webhook-signature';

describe('webhook signatures', () => {
  const body = '{"id":"evt_1","type":"customer.created"}';
  const now = Math.floor(Date.now() / 1000);

  it('makes secrets of the Standard Webhooks form: whsec_ and 32 random bytes in base64', () => {
    const secret = newSigningSecret();
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(Buffer.from(secret.slice(6), 'base64')).toHaveLength(32);
    expect(newSigningSecret()).not.toBe(secret);
  });

  it('signs so that the standardwebhooks package verifies, with any of the secrets signing', () => {
    const [current, previous, stranger] = [newSigningSecret(), newSigningSecret(), newSigningSecret()];
    const headers = signedHeaders('standard', [current, previous], 'evt_1', body, now);
    expect(headers).toEqual({
      'webhook-id': 'evt_1',
      'webhook-timestamp': String(now),
      'webhook-signature': expect.stringMatching(/^v1,\S{44} v1,\S{44}$/),
    });
    // The package's own signature for the current secret is the first of ours.
    expect(headers['webhook-signature']!.split(' ')[0]).toBe(
      new Webhook(current).sign('evt_1', new Date(now * 1000), body),
    );
    expect(new Webhook(current).verify(body, headers)).toEqual(JSON.parse(body));
    expect(new Webhook(previous).verify(body, headers)).toEqual(JSON.parse(body));
    expect(() => new Webhook(stranger).verify(body, headers)).toThrow();
    expect(() => new Webhook(current).verify(`${body} `, headers)).toThrow();
  });

  it('keeps the legacy scheme for endpoints from before: t=<unix>,v1=<hex> over "<t>.<body>"', () => {
    const headers = signedHeaders('legacy', ['whsec_legacy'], 'evt_1', body, 1_700_000_000);
    expect(headers).toEqual({
      'webhook-id': 'evt_1',
      'webhook-signature': legacySignatureHeader('whsec_legacy', body, 1_700_000_000),
    });
    expect(headers['webhook-signature']).toBe(
      't=1700000000,v1=' + createHmac('sha256', 'whsec_legacy').update(`1700000000.${body}`).digest('hex'),
    );
  });
});
