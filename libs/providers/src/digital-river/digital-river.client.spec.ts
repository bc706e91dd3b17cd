import { TEST_CONTEXT } from '../testing/fixtures';
import { inspect } from 'node:util';
import { ProviderError } from '@app/domain';
import { startDigitalRiverSandbox } from '@app/sandboxes';
import { classifyDigitalRiverError, DigitalRiverClient } from './digital-river.client';
import { z } from 'zod';
import { parseDigitalRiverConfig } from './digital-river.config';

/** A schema a list body cannot satisfy, to produce a bad_response on a 200. */
const shapeMismatch = z.object({ definitelyMissing: z.string() });

const response = (status: number, body: unknown, headers: Record<string, string> = {}) => ({
  status,
  body,
  headers,
});

describe('Digital River client', () => {
  describe('classifies every status and body shape (bodies from docs/providers/digital-river.md#errors)', () => {
    it.each([
      ['400 plan_not_active', response(400, { type: 'bad_request', errors: [{ code: 'plan_not_active', parameter: 'planId', message: 'Plan is not active.' }] }, { 'x-dr-requestid': 'req-1' }),
        { kind: 'rejected', status: 400, providerCode: 'plan_not_active', providerParameter: 'planId', providerMessage: 'Plan is not active.', providerRequestId: 'req-1' }],
      ['404 not_found', response(404, { type: 'not_found', errors: [{ code: 'not_found', parameter: 'id', message: "Tax identifier 'x' not found." }] }), { kind: 'not_found', providerCode: 'not_found' }],
      ['409 without parameter', response(409, { type: 'conflict', errors: [{ code: 'already_exists', message: 'exists' }] }), { kind: 'conflict', providerCode: 'already_exists', providerParameter: undefined }],
      ['401 unauthorized', response(401, { type: 'unauthorized', errors: [{ code: 'unauthorized', message: 'no' }] }), { kind: 'auth' }],
      ['403 empty body', response(403, undefined), { kind: 'auth' }],
      ['400 api_key_expired', response(400, { type: 'bad_request', errors: [{ code: 'api_key_expired', message: 'expired' }] }), { kind: 'auth' }],
      ['429 Retry-After seconds', response(429, { type: 'too_many_requests', errors: [{ code: 'too_many_requests', message: 'slow' }] }, { 'retry-after': '120' }), { kind: 'rate_limited', retryAfterMs: 120_000 }],
      ['408 request_timeout', response(408, { type: 'request_timeout', errors: [{ code: 'request_timeout', message: 't' }] }), { kind: 'unavailable' }],
      ['502 no body', response(502, undefined), { kind: 'unavailable' }],
      ['503 Retry-After', response(503, undefined, { 'retry-after': '2' }), { kind: 'unavailable', retryAfterMs: 2000 }],
      ['400 undocumented body', response(400, { message: 'nope' }), { kind: 'bad_response' }],
      ['400 naming an address parameter', response(400, { type: 'bad_request', errors: [{ code: 'missing_parameter', parameter: 'shipping.address.country', message: "'shipping.address.country' is required." }] }), { providerParameter: 'shipping.address.country', field: 'address.country' }],
      ['400 naming the id', response(400, { type: 'bad_request', errors: [{ code: 'invalid_parameter', parameter: 'id', message: 'too long' }] }), { field: 'externalReference' }],
    ])('%s', (_label, input, expected) => {
      expect(classifyDigitalRiverError(input)).toMatchObject(expected);
    }); // prettier-ignore
  });

  it('keeps the bearer key out of every error and marks malformed 2xx bodies', async () => {
    const sandbox = await startDigitalRiverSandbox();
    const client = new DigitalRiverClient(parseDigitalRiverConfig({ account: 'a', baseUrl: sandbox.url, secretKey: 'sk_test_wrongwrongwrong', timeoutMs: 1_000, retry: { maxAttempts: 1 } }));
    const good = new DigitalRiverClient(parseDigitalRiverConfig({ account: 'a', baseUrl: sandbox.url, secretKey: sandbox.secretKey, timeoutMs: 1_000, retry: { maxAttempts: 1 } }));
    try {
      const errors = [
        await client.send({ method: 'GET', path: '/customers/x', idempotent: true }, TEST_CONTEXT).catch((e: unknown) => e),
        await good.http.sendFor({ method: 'GET', path: '/customers', idempotent: true }, shapeMismatch, TEST_CONTEXT).catch((e: unknown) => e),
      ];
      sandbox.admin.setFaults({ '*': { resetRate: 1 } });
      errors.push(await client.send({ method: 'GET', path: '/customers/x', idempotent: true }, TEST_CONTEXT).catch((e: unknown) => e));
      expect(errors.map((error) => (error as ProviderError).kind)).toEqual(['auth', 'bad_response', 'unavailable']);
      for (const error of errors) {
        expect(error).toBeInstanceOf(ProviderError);
        for (const text of [JSON.stringify(error), inspect(error, { depth: Infinity, showHidden: true }), String(error)]) {
          expect(text).not.toContain('sk_test_wrongwrongwrong');
          expect(text).not.toContain(sandbox.secretKey);
          expect(text).not.toContain('Bearer');
        }
      }
    } finally {
      client.close();
      good.close();
      await sandbox.close();
    }
  }); // prettier-ignore

  it('config errors name the field and never echo the secret', () => {
    expect(() => parseDigitalRiverConfig({ account: 'us', secretKey: 'pk_test_leakme' })).toThrow(
      'Invalid digital-river account "us" configuration: secretKey: must be a Digital River secret key (sk_test_… or sk_…)',
    );
    expect(() => parseDigitalRiverConfig({ account: 'us', secretKey: 'pk_test_leakme' })).not.toThrow(
      /leakme/,
    );
    expect(parseDigitalRiverConfig({ account: 'us', secretKey: 'sk_test_1' }).rateLimitPerSecond).toBe(25);
    expect(parseDigitalRiverConfig({ account: 'us', secretKey: 'sk_1' }).rateLimitPerSecond).toBe(250);
  });
});
