import { backoffMs } from './retry';

describe('backoffMs (the client’s wait between retries)', () => {
  const options = { baseDelayMs: 200, maxDelayMs: 10_000 };

  it('doubles its ceiling per failed attempt, the wait drawn anywhere below it', () => {
    expect([1, 2, 3, 4, 5].map((attempt) => backoffMs(attempt, options, 1))).toEqual([
      200, 400, 800, 1_600, 3_200,
    ]);
    expect(backoffMs(3, options, 0.5)).toBe(400);
    expect(backoffMs(3, options, 0)).toBe(0);
  });

  it('never waits longer than maxDelayMs', () => {
    expect(backoffMs(6, options, 1)).toBe(6_400);
    expect(backoffMs(7, options, 1)).toBe(10_000);
    expect(backoffMs(5_000, options, 1)).toBe(10_000);
  });
});
