import { z } from 'zod';
import { parseAccountConfig } from '../shared/config';
import { resilienceSchema } from '../shared/resilience';

/**
 * One Digital River account. The secret key decides test vs live mode and the default rate limit:
 * 25 requests/s in test mode, 250 in live mode
 * (https://docs.digitalriver.com/digital-river-api/developer-resources/rate-limiting).
 */
const digitalRiverConfigSchema = z
  .object({
    provider: z.literal('digital-river').optional(),
    account: z.string().min(1, 'required: a name for this Digital River account'),
    baseUrl: z.url({ error: 'must be an absolute URL' }).default('https://api.digitalriver.com'),
    // Keys are `sk_test_…` (test) or `sk_…` (live); DR never uses `sk_live_`
    // (https://developers.digitalriver.com/api-reference/authentication).
    secretKey: z
      .string({ error: 'required' })
      .regex(/^sk_[A-Za-z0-9_]+$/, 'must be a Digital River secret key (sk_test_… or sk_…)'),
    // Pins the API version per request instead of relying on the key's dashboard setting
    // (https://docs.digitalriver.com/digital-river-api/general-resources/versioning).
    apiVersion: z
      .string()
      .regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a dated DR API version such as 2021-12-13')
      .optional(),
    timeoutMs: z.number().int().positive().default(10_000),
    rateLimitPerSecond: z.number().positive().optional(),
    retry: resilienceSchema.shape.retry,
    circuitBreaker: resilienceSchema.shape.circuitBreaker,
  })
  .transform(({ rateLimitPerSecond, ...rest }) => ({
    ...rest,
    provider: 'digital-river' as const,
    rateLimitPerSecond: rateLimitPerSecond ?? (rest.secretKey.startsWith('sk_test_') ? 25 : 250),
  }));

export type DigitalRiverConfigInput = z.input<typeof digitalRiverConfigSchema>;
export type DigitalRiverConfig = z.output<typeof digitalRiverConfigSchema>;

export function parseDigitalRiverConfig(input: unknown): DigitalRiverConfig {
  return parseAccountConfig('digital-river', digitalRiverConfigSchema, input);
}
