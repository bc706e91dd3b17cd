import { webhookRetryAt } from './webhook-dispatcher';

describe('webhookRetryAt (the backoff between failed deliveries)', () => {
  const config = {
    WEBHOOK_RETRY_BASE_MS: 10_000,
    WEBHOOK_RETRY_MAX_MS: 3_600_000,
    WEBHOOK_RETRY_FOR_HOURS: 72,
  };
  const createdAt = new Date('2026-01-01T00:00:00Z');
  const now = createdAt.getTime() + 60_000;
  /** The wait after `attempts` failed attempts, with the jitter drawn as `random`. */
  const wait = (attempts: number, random: number, at = now) =>
    webhookRetryAt({ attempts, createdAt }, config, at, random)!.getTime() - at;

  it('doubles the ceiling with each attempt, drawing the wait from its upper half', () => {
    expect([1, 2, 3, 4, 5].map((attempts) => wait(attempts, 1))).toEqual([
      10_000, 20_000, 40_000, 80_000, 160_000,
    ]);
    expect([1, 2, 3, 4, 5].map((attempts) => wait(attempts, 0))).toEqual([
      5_000, 10_000, 20_000, 40_000, 80_000,
    ]);
  });

  it('never waits longer than WEBHOOK_RETRY_MAX_MS, however many attempts failed', () => {
    expect(wait(10, 1)).toBe(3_600_000);
    expect(wait(5_000, 1)).toBe(3_600_000);
    expect(wait(5_000, 0)).toBe(1_800_000);
  });

  it('gives the delivery up once the next try would fall past WEBHOOK_RETRY_FOR_HOURS', () => {
    const windowEnds = createdAt.getTime() + 72 * 3_600_000;
    expect(webhookRetryAt({ attempts: 1, createdAt }, config, windowEnds - 10_000, 1)).toEqual(
      new Date(windowEnds),
    );
    expect(webhookRetryAt({ attempts: 1, createdAt }, config, windowEnds - 9_999, 1)).toBeUndefined();
  });
});
