import { keepPgliteCheckpointed } from './pglite-checkpoints';

const tick = () => new Promise<void>((resolve) => setTimeout(resolve, 5));

describe('keepPgliteCheckpointed', () => {
  it('checkpoints only when the WAL since the last one is past the bound, and stops looking on stop', async () => {
    let wal = 10;
    const looks: number[] = [];
    const checkpoints: number[] = [];
    const keeper = keepPgliteCheckpointed(
      {
        walSinceCheckpoint: () => {
          looks.push(wal);
          return Promise.resolve(wal);
        },
        checkpoint: () => {
          checkpoints.push(wal);
          wal = 0;
          return Promise.resolve();
        },
      },
      { everyMs: 1, afterBytes: 100 },
    );
    while (looks.length < 3) await tick();
    expect(checkpoints).toEqual([]);
    wal = 101;
    while (checkpoints.length === 0) await tick();
    expect(checkpoints).toEqual([101]);
    await keeper.stop();
    const looked = looks.length;
    await tick();
    await tick();
    expect(looks).toHaveLength(looked);
  });

  it('keeps looking after a failed look', async () => {
    let calls = 0;
    const keeper = keepPgliteCheckpointed(
      {
        walSinceCheckpoint: () =>
          ++calls === 1 ? Promise.reject(new Error('closed')) : Promise.resolve(200),
        checkpoint: () => Promise.resolve(),
      },
      { everyMs: 1, afterBytes: 100 },
    );
    while (calls < 3) await tick();
    await keeper.stop();
    expect(calls).toBeGreaterThanOrEqual(3);
  });

  it('does nothing when turned off', async () => {
    let calls = 0;
    const keeper = keepPgliteCheckpointed(
      { walSinceCheckpoint: () => Promise.resolve(++calls), checkpoint: () => Promise.resolve() },
      { everyMs: 0, afterBytes: 0 },
    );
    await tick();
    await keeper.stop();
    expect(calls).toBe(0);
  });
});
