import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';

import { LeasedLimiter } from './leased-limiter';

/** A real in-memory limiter that counts how often it is asked, standing for a shared store. */
function countingStore(points: number) {
  // A window far longer than the test, so that no assertion depends on how fast the machine is.
  const store = new RateLimiterMemory({ points, duration: 3600 });
  const asked = { consume: 0, reward: 0 };
  const consume = store.consume.bind(store);
  const reward = store.reward.bind(store);
  store.consume = (key, spent) => {
    asked.consume += 1;
    return consume(key, spent);
  };
  store.reward = (key, given) => {
    asked.reward += 1;
    return reward(key, given);
  };
  return { store, asked };
}

const outcome = async (limiter: LeasedLimiter, key: string) =>
  (await limiter.consume(key)) instanceof RateLimiterRes ? 'refused' : 'ok';

async function inTurn(limiters: LeasedLimiter[], key: string, count: number): Promise<string[]> {
  const answers: string[] = [];
  for (let i = 0; i < count; i++) answers.push(await outcome(limiters[i % limiters.length]!, key));
  return answers;
}

describe('LeasedLimiter', () => {
  it('asks the store once per lease, and admits exactly the limit', async () => {
    const { store, asked } = countingStore(100);
    const limiter = new LeasedLimiter(store, 5);

    const answers = await inTurn([limiter], 'key', 130);

    expect(answers.slice(0, 100).every((a) => a === 'ok')).toBe(true);
    expect(answers.slice(100).every((a) => a === 'refused')).toBe(true);
    // 20 leases, then the refused 21st handed back and one single point asked and refused; the
    // 29 later refusals are answered from memory.
    expect(asked).toEqual({ consume: 22, reward: 1 });
  });

  it('never admits more than the limit across instances sharing the store', async () => {
    const { store } = countingStore(100);
    const instances = [new LeasedLimiter(store, 7), new LeasedLimiter(store, 7), new LeasedLimiter(store, 7)];

    const answers = await inTurn(instances, 'key', 200);

    expect(answers.filter((a) => a === 'ok')).toHaveLength(100);
  });

  it('takes one lease for the requests that arrive together, and keeps keys apart', async () => {
    const { store, asked } = countingStore(100);
    const limiter = new LeasedLimiter(store, 10);

    const together = await Promise.all(Array.from({ length: 10 }, () => outcome(limiter, 'a')));
    expect(together.every((a) => a === 'ok')).toBe(true);
    expect(asked.consume).toBe(1);

    expect(await outcome(limiter, 'b')).toBe('ok');
    expect(asked.consume).toBe(2);
  });

  it('with a lease of one point asks the store once per request until it refuses', async () => {
    const { store, asked } = countingStore(3);
    const limiter = new LeasedLimiter(store, 1);

    expect(await inTurn([limiter], 'key', 6)).toEqual(['ok', 'ok', 'ok', 'refused', 'refused', 'refused']);
    expect(asked).toEqual({ consume: 4, reward: 0 });
  });
});
