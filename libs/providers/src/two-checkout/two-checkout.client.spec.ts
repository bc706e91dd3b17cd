import { TEST_CONTEXT } from '../testing/fixtures';
import { createHmac } from 'node:crypto';
import { inspect } from 'node:util';
import { ProviderError } from '@app/domain';
import { startTwoCheckoutSandbox } from '@app/sandboxes';
import { parseTwoCheckoutConfig } from './two-checkout.config';
import {
  classifyTwoCheckoutError,
  tcoAuthHeader,
  tcoAuthHeaderSigner,
  tcoDate,
  tcoHash,
  TwoCheckoutClient,
} from './two-checkout.client';

describe('2Checkout client', () => {
  describe('X-Avangate-Authentication signer (vectors from docs/providers/two-checkout.md#authentication)', () => {
    it.each([
      ['8AVANGATE', '2010-05-13 12:12:12', 'SECRET_KEY', 'md5', 'bf763db7d333e9c3038698cf59ada3e6'],
      ['8AVANGATE', '2010-05-13 12:12:12', 'SECRET_KEY', 'sha256', '29e85dbf92ce0113e7755c31c0438a7db98a4de9f910bf0a527e005f35e43739'],
      ['8AVANGATE', '2010-05-13 12:12:12', 'SECRET_KEY', 'sha3-256', '0c7e9c0c96148e5bf8e199a0a0e27977edc099ff0b27794e761853b96e04c7fb'],
      ['YOURCODE123', '2020-06-18 08:05:46', 'YOUR_SECRET_KEY', 'sha256', 'c8d30e4c86238e1ad1f025b2b117d2fd304a76081b3187135d0fd35498a044f1'],
      ['YOURCODE123', '2020-06-18 08:05:46', 'YOUR_SECRET_KEY', 'sha3-256', '06ff92a319a49bc2980cfc12587c36396dac88d2f9c6f698e1d5ccb2de37b99c'],
    ] as const)('%s %s %s %s', (code, date, key, algo, hash) => {
      // The vectors' strings are `len(code)+code+len(date)+date`: "8AVANGATE" is code "AVANGATE".
      const merchant = code === '8AVANGATE' ? 'AVANGATE' : code.slice(0, 11);
      expect(tcoHash(merchant, date, key, algo)).toBe(hash);
    }); // prettier-ignore

    it('uses byte lengths, not character counts', () => {
      // 'MÜNCH' is 5 characters but 6 UTF-8 bytes.
      const byHand = createHmac('sha256', 'k').update('6MÜNCH192020-06-18 08:05:46').digest('hex');
      expect(tcoHash('MÜNCH', '2020-06-18 08:05:46', 'k', 'sha256')).toBe(byHand);
    }); // prettier-ignore

    it('formats the header with the UTC date', () => {
      const now = new Date(Date.UTC(2020, 5, 18, 8, 5, 46));
      expect(tcoDate(now)).toBe('2020-06-18 08:05:46');
      expect(tcoAuthHeader('YOURCODE123', 'YOUR_SECRET_KEY', 'sha256', now)).toBe(
        'code="YOURCODE123" date="2020-06-18 08:05:46" hash="c8d30e4c86238e1ad1f025b2b117d2fd304a76081b3187135d0fd35498a044f1" algo="sha256"',
      );
    });

    it('signs once per second: the same header within a second, a new one for the next', () => {
      const sign = tcoAuthHeaderSigner('YOURCODE123', 'YOUR_SECRET_KEY', 'sha256');
      const at = (ms: number) => new Date(Date.UTC(2020, 5, 18, 8, 5, 46) + ms);
      expect(sign(at(0))).toBe(tcoAuthHeader('YOURCODE123', 'YOUR_SECRET_KEY', 'sha256', at(0)));
      expect(sign(at(999))).toBe(sign(at(0)));
      expect(sign(at(1_000))).toBe(tcoAuthHeader('YOURCODE123', 'YOUR_SECRET_KEY', 'sha256', at(1_000)));
      expect(sign(at(1_000))).not.toBe(sign(at(999)));
      // Back to an earlier second (the clock stepped back): signed for that second, not reused.
      expect(sign(at(0))).toBe(tcoAuthHeader('YOURCODE123', 'YOUR_SECRET_KEY', 'sha256', at(0)));
    });

    it.each(['sha256', 'sha3-256'] as const)('is accepted by the sandbox with algo %s', async (algo) => {
      const sandbox = await startTwoCheckoutSandbox();
      const client = new TwoCheckoutClient(parseTwoCheckoutConfig({ account: 'a', baseUrl: sandbox.url, merchantCode: sandbox.merchantCode, secretKey: sandbox.secretKey, algo }));
      try {
        const error: unknown = await client.send({ method: 'GET', path: '/customers/nobody/', idempotent: true }, TEST_CONTEXT).catch((e: unknown) => e);
        expect(error).toMatchObject({ kind: 'not_found', status: 404, providerCode: 'NOT_FOUND' });
      } finally {
        client.close();
        await sandbox.close();
      }
    }); // prettier-ignore
  });

  describe('classifies every status and body shape', () => {
    const response = (status: number, body: unknown, headers: Record<string, string> = {}) => ({
      status,
      body,
      headers,
    });
    it.each([
      ['400 {error_code,message}', response(400, { error_code: 'INVALID_EMAIL', message: 'Bad email' }), { kind: 'rejected', providerCode: 'INVALID_EMAIL', providerMessage: 'Bad email' }],
      ['400 {Errors:[…]} (card delete variant)', response(400, { Deleted: false, Errors: [{ ErrorCode: 'CARD_IN_USE', Message: 'in use', SubscriptionReference: 'S1' }] }), { kind: 'rejected', providerCode: 'CARD_IN_USE', providerMessage: 'in use' }],
      ['400 duplicate external reference', response(400, { error_code: 'DUPLICATE_EXTERNAL_CUSTOMER_REFERENCE', message: 'The External ID you entered is used by another customer account' }), { kind: 'rejected' }],
      ['401 AUTHENTICATION_ERROR', response(401, { error_code: 'AUTHENTICATION_ERROR', message: 'Hash mismatch' }), { kind: 'auth', status: 401 }],
      ['403', response(403, { error_code: 'FORBIDDEN', message: 'no' }), { kind: 'auth' }],
      ['400 whose code names a missing customer', response(400, { error_code: 'CUSTOMER_NOT_FOUND', message: 'x' }), { kind: 'not_found' }],
      ['404', response(404, { error_code: 'NOT_FOUND', message: 'x' }), { kind: 'not_found' }],
      ['409', response(409, { error_code: 'CONFLICT', message: 'x' }), { kind: 'conflict' }],
      ['429 with Retry-After', response(429, { error_code: 'TOO_MANY_REQUESTS', message: 'slow' }, { 'retry-after': '3' }), { kind: 'rate_limited', retryAfterMs: 3000 }],
      ['500', response(500, { error_code: 'INTERNAL', message: 'x' }), { kind: 'unavailable' }],
      ['503 with an HTML body', response(503, undefined), { kind: 'unavailable' }],
      ['400 in no known shape', response(400, { what: 'ever' }), { kind: 'bad_response' }],
      ['400 MISSING_FIELD names the field in its message', response(400, { error_code: 'MISSING_FIELD', message: 'LastName is required.' }), { kind: 'rejected', providerParameter: 'LastName', field: 'familyName' }],
      ['400 FISCAL_CODE_REQUIRES_COMPANY', response(400, { error_code: 'FISCAL_CODE_REQUIRES_COMPANY', message: 'Company is required when FiscalCode is set.' }), { providerParameter: 'Company', field: 'companyName' }],
    ])('%s', (_label, input, expected) => {
      expect(classifyTwoCheckoutError(input)).toMatchObject(expected);
    }); // prettier-ignore

    it('names no field when the message starts with no 2CO field', () => {
      const details = classifyTwoCheckoutError(response(400, { error_code: 'BAD_REQUEST', message: 'The request body must be a JSON object.' }));
      expect(details).not.toHaveProperty('field');
      expect(details).not.toHaveProperty('providerParameter');
    }); // prettier-ignore
  });

  it('never lets the secret or the signature reach an error', async () => {
    const sandbox = await startTwoCheckoutSandbox();
    const secretKey = 'SUPER-SECRET-KEY-2CO';
    const client = new TwoCheckoutClient(parseTwoCheckoutConfig({ account: 'a', baseUrl: sandbox.url, merchantCode: sandbox.merchantCode, secretKey, timeoutMs: 2_000, retry: { maxAttempts: 1 } }));
    try {
      const errors: unknown[] = [await client.send({ method: 'GET', path: '/customers/x/', idempotent: true }, TEST_CONTEXT).catch((e: unknown) => e)];
      sandbox.admin.setFaults({ '*': { hangRate: 1 } });
      errors.push(await client.send({ method: 'GET', path: '/customers/x/', idempotent: true }, TEST_CONTEXT).catch((e: unknown) => e));
      for (const error of errors) {
        expect(error).toBeInstanceOf(ProviderError);
        for (const text of [JSON.stringify(error), inspect(error, { depth: Infinity, showHidden: true })]) {
          expect(text).not.toContain(secretKey);
          expect(text).not.toContain('hash=');
        }
      }
      expect(errors.map((error) => (error as ProviderError).kind)).toEqual(['auth', 'unavailable']);
    } finally {
      client.close();
      await sandbox.close();
    }
  }); // prettier-ignore

  it('config errors name the field and never echo the secret', () => {
    expect(() => parseTwoCheckoutConfig({ account: 'eu', merchantCode: 'M', algo: 'md5' })).toThrow(
      'Invalid two-checkout account "eu" configuration: secretKey: required; algo: must be sha256 or sha3-256',
    );
  });
});
