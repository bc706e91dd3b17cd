import { createHmac } from 'node:crypto';

import { type CustomerData } from '@app/domain';

import {
  drEventCopy,
  drEventSchema,
  drEventSubject,
  verifyDigitalRiverSignature,
} from './digital-river.webhooks';

const body = '{"id":"e1","type":"customer.updated","data":{"object":{"id":"c1"}}}';
const sign = (secret: string, t: number, payload = body) =>
  `v0=${createHmac('sha256', secret).update(`${t}.${payload}`).digest('hex')}`;
const now = 1_800_000_000_000;
const t = now / 1000;

describe('verifyDigitalRiverSignature', () => {
  const check = (header: string | undefined, secrets = ['s1'], nowMs = now) =>
    verifyDigitalRiverSignature({ header, rawBody: Buffer.from(body), secrets, nowMs });

  it('accepts a v0 HMAC of "<t>.<raw body>" under any valid secret, among several v0', () => {
    expect(check(`t=${t},${sign('s1', t)}`)).toEqual({ ok: true, timestampSeconds: t });
    expect(check(`t=${t},${sign('new', t)},${sign('s1', t)}`)).toEqual({ ok: true, timestampSeconds: t });
    expect(check(`t=${t},${sign('s1', t)}`, ['rotated', 's1']).ok).toBe(true);
  });

  it('names why a request is refused', () => {
    expect(check(undefined)).toEqual({ ok: false, reason: 'unsigned' });
    expect(check('v0=abc')).toEqual({ ok: false, reason: 'malformed' });
    expect(check(`t=${t}`)).toEqual({ ok: false, reason: 'malformed' });
    expect(check(`t=${t},${sign('forged', t)}`)).toEqual({ ok: false, reason: 'mismatch' });
    expect(check(`t=${t},${sign('s1', t, body + ' ')}`)).toEqual({ ok: false, reason: 'mismatch' });
    // The timestamp is signed: changing it breaks the signature.
    expect(check(`t=${t + 1},${sign('s1', t)}`)).toEqual({ ok: false, reason: 'mismatch' });
    expect(check(`t=${t},${sign('s1', t)}`, [])).toEqual({ ok: false, reason: 'no_secret' });
  });

  it('refuses a correctly signed timestamp outside the tolerance (5 minutes by default)', () => {
    const old = t - 301;
    expect(check(`t=${old},${sign('s1', old)}`)).toEqual({ ok: false, reason: 'stale' });
    expect(check(`t=${t - 299},${sign('s1', t - 299)}`).ok).toBe(true);
    expect(
      verifyDigitalRiverSignature({
        header: `t=${t - 10},${sign('s1', t - 10)}`,
        rawBody: body,
        secrets: ['s1'],
        nowMs: now,
        toleranceMs: 5_000,
      }),
    ).toEqual({ ok: false, reason: 'stale' });
  });
});

describe('drEventSubject', () => {
  const subject = (event: unknown) => drEventSubject(drEventSchema.parse(event));

  it('is the customer for customer events and the owner for sub-resource events', () => {
    expect(
      subject({
        id: 'e1',
        type: 'customer.updated',
        createdTime: '2026-12-07T03:00:00.000Z',
        data: { object: { id: 'c1' } },
      }),
    ).toEqual({
      eventId: 'e1',
      eventType: 'customer.updated',
      reference: 'c1',
      occurredAt: new Date('2026-12-07T03:00:00.000Z'),
    });
    expect(
      subject({ id: 'e2', type: 'customer.source.created', data: { object: { id: 's', customerId: 'c2' } } }),
    ).toMatchObject({ reference: 'c2' });
    expect(
      subject({ id: 'e3', type: 'tax_identifier.deleted', data: { object: { id: 't', customerId: 'c3' } } }),
    ).toMatchObject({ reference: 'c3' });
  });

  it('is undefined for events about anything else', () => {
    expect(subject({ id: 'e4', type: 'order.accepted', data: { object: { id: 'o1' } } })).toBeUndefined();
    expect(
      subject({ id: 'e5', type: 'tax_identifier.deleted', data: { object: { id: 't' } } }),
    ).toBeUndefined();
  });
});

describe('drEventCopy', () => {
  const customer = {
    id: 'cus_1',
    email: 'jsmith@digitalriver.com',
    shipping: {
      name: 'John Smith',
      phone: '952-111-1111',
      address: { line1: '10380 Bren Rd W', country: 'US' },
    },
    locale: 'en_US',
    type: 'individual',
  };

  it('maps the whole customer that customer.created and customer.updated carry, as a read would', () => {
    for (const type of ['customer.created', 'customer.updated']) {
      const copy = drEventCopy({ id: 'evt', type, data: { object: customer } });
      expect(copy?.({} as CustomerData)).toMatchObject({
        reference: 'cus_1',
        customer: {
          email: 'jsmith@digitalriver.com',
          givenName: 'John',
          familyName: 'Smith',
          phone: '952-111-1111',
        },
      });
    }
  });

  it('is undefined where the event carries no whole customer', () => {
    expect(drEventCopy({ id: 'e', type: 'customer.deleted', data: { object: customer } })).toBeUndefined();
    expect(
      drEventCopy({
        id: 'e',
        type: 'customer.tax_identifier.created',
        data: { object: { id: 'tax_1', customerId: 'cus_1' } },
      }),
    ).toBeUndefined();
    expect(
      drEventCopy({ id: 'e', type: 'customer.updated', data: { object: { name: 'no id' } } }),
    ).toBeUndefined();
    expect(drEventCopy({ id: 'e', type: 'customer.updated' })).toBeUndefined();
  });
});
