import { randomUUID } from 'node:crypto';

import { createTestDatabase, type TestDatabase } from '@app/persistence';
import { loadGatewayConfig } from '@app/config';
import { Redis } from 'ioredis';

import { HttpError } from '../../apps/gateway/src/errors/http-error';
import { MetricsRegistry } from '../../apps/gateway/src/metrics/metrics.registry';
import { RateLimits } from '../../apps/gateway/src/rate-limit/rate-limits';

/**
 * Each store counts a key's requests across instances: two RateLimits on one store stand for two
 * gateway processes. PostgreSQL is tried when TEST_DATABASE_URL names one (as CI's PostgreSQL run
 * does); Redis runs on every machine this project tests on.
 */
interface StoreUnderTest {
  env: Record<string, string>;
  /** The points the store itself holds for a limiter key: proof the count is shared, not local. */
  stored(key: string): Promise<number>;
  close(): Promise<void>;
}

const STORES: { name: string; open: () => Promise<StoreUnderTest> }[] = [
  {
    name: 'redis',
    open: () => {
      const redis = new Redis('redis://127.0.0.1:6379');
      return Promise.resolve({
        env: { REDIS_URL: 'redis://127.0.0.1:6379' },
        stored: async (key) => Number(await redis.get(key)),
        close: async () => {
          await redis.quit();
        },
      });
    },
  },
  ...(process.env['TEST_DATABASE_URL']
    ? [
        {
          name: 'postgres',
          open: async (): Promise<StoreUnderTest> => {
            const database: TestDatabase = await createTestDatabase();
            return {
              env: { DATABASE_URL: database.url!, DATABASE_SCHEMA: database.schema! },
              stored: async (key) =>
                (await database.prisma.rateLimit.findUnique({ where: { key } }))?.points ?? 0,
              close: () => database.close(),
            };
          },
        },
      ]
    : []),
];

async function outcomes(limits: RateLimits[], keyId: string, count: number): Promise<string[]> {
  return Promise.all(
    Array.from({ length: count }, (_, i) =>
      limits[i % limits.length]!.consume('write', keyId).then(
        () => 'ok',
        (error: unknown) => (error instanceof HttpError ? error.code : String(error)),
      ),
    ),
  );
}

describe.each(STORES)('rate limits in $name', ({ open }) => {
  it('counts one key across instances, and keys apart', async () => {
    const store = await open();
    const config = loadGatewayConfig({ NODE_ENV: 'test', RATE_LIMIT_WRITE_PER_SECOND: '3', ...store.env });
    const instances = [
      new RateLimits(config, new MetricsRegistry()),
      new RateLimits(config, new MetricsRegistry()),
    ];
    // What Nest does before the server takes requests: open the store.
    await Promise.all(instances.map((instance) => instance.onModuleInit()));
    try {
      const key = `key-${randomUUID()}`;
      const answers = await outcomes(instances, key, 20);
      // However the 20 fall across one-second windows, at most 3 pass in each.
      expect(answers.filter((a) => a === 'rate_limited').length).toBeGreaterThanOrEqual(14);
      expect(answers.every((a) => a === 'ok' || a === 'rate_limited')).toBe(true);
      expect(await store.stored(`rl_write:${key}`)).toBeGreaterThan(3);
      expect(await outcomes(instances, `other-${randomUUID()}`, 1)).toEqual(['ok']);
    } finally {
      await Promise.all(instances.map((instance) => instance.onApplicationShutdown()));
      await store.close();
    }
  });
});
