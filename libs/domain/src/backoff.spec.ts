import { retryDelayMs } from './backoff';

const backoff = { baseMs: 1_000, maxMs: 30_000 };
const lowest = () => 0;
const highest = () => 0.999_999;

describe('the delay before a failed delivery is tried again', () => {
  it('doubles with each attempt, between half and all of the exponential delay', () => {
    expect([1, 2, 3, 4].map((attempt) => retryDelayMs(attempt, backoff, 0, lowest))).toEqual([
      500, 1_000, 2_000, 4_000,
    ]);
    expect([1, 2, 3, 4].map((attempt) => Math.round(retryDelayMs(attempt, backoff, 0, highest)))).toEqual([
      1_000, 2_000, 4_000, 8_000,
    ]);
  });

  it('spreads links that failed together across the upper half', () => {
    const delays = [0, 0.25, 0.5, 0.75].map((r) => retryDelayMs(3, backoff, 0, () => r));
    expect(delays).toEqual([2_000, 2_500, 3_000, 3_500]);
  });

  it('never waits longer than the cap, however many attempts failed', () => {
    expect(retryDelayMs(30, backoff, 0, highest)).toBeLessThanOrEqual(30_000);
    expect(retryDelayMs(30, backoff, 0, lowest)).toBe(15_000);
  });

  it("never retries sooner than the provider's Retry-After", () => {
    expect(retryDelayMs(1, backoff, 7_000, highest)).toBe(7_000);
    // Retry-After may ask for more than the cap: the provider knows when it will answer again.
    expect(retryDelayMs(1, backoff, 60_000, highest)).toBe(60_000);
  });

  it('keeps its own delay when Retry-After asks for less', () => {
    expect(retryDelayMs(4, backoff, 1_000, lowest)).toBe(4_000);
  });
});
