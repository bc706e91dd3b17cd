import { ProviderError } from '@app/domain';
import { ResiliencePolicy, resilienceSchema, TokenBucket } from './resilience';

const origin = { provider: 'test', account: 'a' };
const unavailable = () => new ProviderError({ ...origin, kind: 'unavailable' });
const config = (overrides: object = {}) =>
  resilienceSchema.parse({
    rateLimitPerSecond: 1_000,
    retry: { baseDelayMs: 1, maxDelayMs: 5 },
    ...overrides,
  });

describe('resilience', () => {
  it('the token bucket spaces calls at the configured rate after the burst', async () => {
    const bucket = new TokenBucket(20);
    const started = performance.now();
    await Promise.all(Array.from({ length: 25 }, () => bucket.take()));
    // 20 tokens of burst, then 5 more at 20/s ≈ 250 ms.
    expect(performance.now() - started).toBeGreaterThanOrEqual(200);
  });

  it('the token bucket says how long each caller waited: nothing within the burst', async () => {
    const bucket = new TokenBucket(4);
    const waits = await Promise.all(Array.from({ length: 6 }, () => bucket.take()));
    expect(waits.slice(0, 4).every((ms) => ms < 50)).toBe(true);
    // The fifth and sixth wait for refills at 4/s: about 250 and 500 ms.
    expect(waits[4]).toBeGreaterThanOrEqual(200);
    expect(waits[5]).toBeGreaterThan(waits[4] ?? 0);
  });

  it('a limit under one call a second still lets calls through: the bucket holds a whole token', async () => {
    // Capped at 0.5 tokens, the bucket never held the one a call takes, and every call waited forever.
    const bucket = new TokenBucket(0.5);
    expect(await bucket.take()).toBeLessThan(1_000);
  });

  it('tells the attempt how long the limit held it back', async () => {
    const policy = new ResiliencePolicy(config({ rateLimitPerSecond: 4 }), origin);
    const held: number[] = [];
    await Promise.all(
      Array.from({ length: 5 }, () =>
        policy.execute((ms) => Promise.resolve(held.push(ms)), { idempotent: true }),
      ),
    );
    // Four tokens of burst, then a refill at 4/s: the fifth waited about 250 ms.
    expect(held.sort((a, b) => a - b)[4]).toBeGreaterThanOrEqual(200);
  });

  it('retries an idempotent unavailable call, but not a non-idempotent one', async () => {
    const policy = new ResiliencePolicy(config({ retry: { maxAttempts: 3, baseDelayMs: 1 } }), origin);
    let calls = 0;
    const flaky = () => (++calls < 3 ? Promise.reject(unavailable()) : Promise.resolve('ok'));
    await expect(policy.execute(flaky, { idempotent: true })).resolves.toBe('ok');
    expect(calls).toBe(3);
    calls = 0;
    await expect(policy.execute(flaky, { idempotent: false })).rejects.toMatchObject({ kind: 'unavailable' });
    expect(calls).toBe(1);
  });

  it('hands a Retry-After longer than the inline budget back to the caller', async () => {
    const policy = new ResiliencePolicy(config({ retry: { maxRetryAfterMs: 1_000 } }), origin);
    let calls = 0;
    const limited = () => {
      calls++;
      return Promise.reject(new ProviderError({ ...origin, kind: 'rate_limited', retryAfterMs: 120_000 }));
    };
    await expect(policy.execute(limited, { idempotent: true })).rejects.toMatchObject({
      retryAfterMs: 120_000,
    });
    expect(calls).toBe(1);
  });

  it('opens the circuit after consecutive unavailable answers and fails fast as unavailable', async () => {
    const policy = new ResiliencePolicy(
      config({
        retry: { maxAttempts: 1 },
        circuitBreaker: { consecutiveFailures: 2, halfOpenAfterMs: 60_000 },
      }),
      origin,
    );
    let calls = 0;
    const down = () => {
      calls++;
      return Promise.reject(unavailable());
    };
    await expect(policy.execute(down, { idempotent: true })).rejects.toBeInstanceOf(ProviderError);
    await expect(policy.execute(down, { idempotent: true })).rejects.toBeInstanceOf(ProviderError);
    const open = policy.execute(down, { idempotent: true });
    await expect(open).rejects.toMatchObject({
      kind: 'unavailable',
      message: expect.stringContaining('circuit open'),
    });
    expect(calls).toBe(2);
  });
});
