import { z } from 'zod';
import { parseAccountConfig } from '../shared/config';
import { resilienceSchema } from '../shared/resilience';

/**
 * One 2Checkout (Verifone) merchant account on REST 6.0
 * (https://docs.2checkout.com/api-reference/reference/customers.md).
 */
const twoCheckoutConfigSchema = z
  .object({
    provider: z.literal('two-checkout').optional(),
    account: z.string().min(1, 'required: a name for this 2Checkout account'),
    baseUrl: z.url({ error: 'must be an absolute URL' }).default('https://api.2checkout.com/rest/6.0'),
    merchantCode: z.string({ error: 'required' }).min(1, 'required'),
    secretKey: z.string({ error: 'required' }).min(1, 'required'),
    // REST 6.0 accepts HMAC-SHA256 and HMAC-SHA3-256; MD5 is being decommissioned
    // (https://verifone.cloud/docs/2checkout/API-Integration/01Start-using-the-2Checkout-API/2Checkout-API-general-information/API_Authentication).
    algo: z.enum(['sha256', 'sha3-256'], { error: 'must be sha256 or sha3-256' }).default('sha256'),
    timeoutMs: z.number().int().positive().default(10_000),
    // 2CO documents no rate limit (its 429s are honoured whatever this says). 50/s lets a burst of
    // 50 creates (one call each) or 25 updates (a read and the PUT) through without waiting, while
    // a bulk job still cannot flood a merchant account; set it to your agreed limit.
    rateLimitPerSecond: z.number().positive().default(50),
    retry: resilienceSchema.shape.retry,
    circuitBreaker: resilienceSchema.shape.circuitBreaker,
  })
  .transform((config) => ({ ...config, provider: 'two-checkout' as const }));

export type TwoCheckoutConfigInput = z.input<typeof twoCheckoutConfigSchema>;
export type TwoCheckoutConfig = z.output<typeof twoCheckoutConfigSchema>;

export function parseTwoCheckoutConfig(input: unknown): TwoCheckoutConfig {
  return parseAccountConfig('two-checkout', twoCheckoutConfigSchema, input);
}
