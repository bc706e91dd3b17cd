import {
  type CustomerProvider,
  JOB_ACTORS,
  jobContext,
  type MigrationSpec,
  ProviderAccounts,
} from '@app/domain';
import { SharedRateBudget } from '@app/jobs';
import { createTestDatabase, PrismaMigrationStore, type TestDatabase } from '@app/persistence';

jest.setTimeout(120_000);

/** Runs started outside any request. */
const TEST_CONTEXT = jobContext(JOB_ACTORS.migration);

const spec: MigrationSpec = {
  source: { provider: 'digital-river', account: 'live', kind: 'list' },
  target: { provider: 'two-checkout', account: 'eu' },
  concurrency: 4,
  liveShare: 0.2,
  batchSize: 100,
};

describe('PrismaMigrationStore: the checkpoint behind every run', () => {
  let database: TestDatabase;
  let store: PrismaMigrationStore;
  const create = (id: string, exclusiveKey = id, force = false) =>
    store.createRun(TEST_CONTEXT, { id, kind: 'migration', spec, exclusiveKey, force });

  beforeAll(async () => {
    database = await createTestDatabase();
    store = new PrismaMigrationStore(database.prisma);
  });
  afterAll(async () => {
    await database.close();
  });

  it('records pages in order with their cursor, and a page seen again adds nothing', async () => {
    await create('mig_pages');
    expect(await store.recordPage('mig_pages', ['a', 'b', 'c'], 'c', false)).toEqual(['a', 'b', 'c']);
    // A page re-read after a crash (its cursor was not saved) overlaps: only the new ones count.
    expect(await store.recordPage('mig_pages', ['c', 'd', 'd'], 'd', true)).toEqual(['d']);

    const run = await store.findRun('mig_pages');
    expect(run).toMatchObject({ cursor: 'd', enumerated: true, status: 'running', spec });
    const items = await store.items('mig_pages', 0, 10);
    expect(items.map((item) => [item.seq, item.sourceReference])).toEqual([
      [1, 'a'],
      [2, 'b'],
      [3, 'c'],
      [4, 'd'],
    ]);
    expect(await store.items('mig_pages', 2, 10, 'pending')).toMatchObject([
      { sourceReference: 'c' },
      { sourceReference: 'd' },
    ]);
  });

  it('counts outcomes, lists lossy fields, and completes only once nothing is pending', async () => {
    await create('mig_outcomes');
    await store.recordPage('mig_outcomes', ['a', 'b', 'c', 'd'], 'd', true);
    await store.finishItem('mig_outcomes', 'a', { outcome: 'migrated', lossyFields: ['metadata'] }, 'w1');
    await store.finishItem(
      'mig_outcomes',
      'b',
      { outcome: 'already_present', lossyFields: ['metadata', 'type'] },
      'w2',
    );
    await store.finishItem(
      'mig_outcomes',
      'c',
      {
        outcome: 'failed',
        reason: { code: 'provider_unavailable', message: 'timed out', retryable: true },
        lossyFields: [],
      },
      'w1',
    );
    expect(await store.pendingAmong('mig_outcomes', ['a', 'c', 'd', 'zz'])).toEqual(['d']);
    expect(await store.completeIfDone('mig_outcomes')).toBe(false);
    await store.finishItem(
      'mig_outcomes',
      'd',
      {
        outcome: 'skipped',
        reason: { code: 'not_found_at_source', message: 'gone', retryable: false },
        lossyFields: [],
      },
      'w2',
    );

    expect(await store.counts('mig_outcomes')).toEqual({
      total: 4,
      pending: 0,
      migrated: 1,
      already_present: 1,
      skipped: 1,
      failed: 1,
      in_sync: 0,
      drifted: 0,
      repaired: 0,
    });
    expect(await store.lossyFields('mig_outcomes')).toEqual({ metadata: 2, type: 1 });

    // Only the retryable failure goes back in line; the skip is final.
    expect(await store.requeueRetryable('mig_outcomes')).toBe(1);
    expect((await store.items('mig_outcomes', 0, 10, 'pending')).map((i) => i.sourceReference)).toEqual([
      'c',
    ]);
    expect((await store.items('mig_outcomes', 0, 10, 'skipped')).map((i) => i.sourceReference)).toEqual([
      'd',
    ]);
    await store.finishItem('mig_outcomes', 'c', { outcome: 'migrated', lossyFields: [] }, 'w1');
    expect(await store.completeIfDone('mig_outcomes')).toBe(true);
    expect(await store.findRun('mig_outcomes')).toMatchObject({ status: 'completed' });
    // A completed run cannot be cancelled or resumed into running again.
    await store.cancelRun('mig_outcomes');
    expect((await store.findRun('mig_outcomes'))?.status).toBe('completed');
    expect(await store.resumeRun('mig_outcomes')).toMatchObject({ run: { status: 'completed' } });
  });

  it('does not complete a cancelled run or one whose source is not fully enumerated', async () => {
    await create('mig_partial');
    await store.recordPage('mig_partial', ['a'], 'a', false);
    await store.finishItem('mig_partial', 'a', { outcome: 'migrated', lossyFields: [] }, 'w1');
    expect(await store.completeIfDone('mig_partial')).toBe(false);
    await store.recordPage('mig_partial', [], 'a', true);
    await store.cancelRun('mig_partial');
    expect(await store.completeIfDone('mig_partial')).toBe(false);
    await store.resumeRun('mig_partial');
    expect(await store.completeIfDone('mig_partial')).toBe(true);
  });

  // The store answers a reservation as a wait from the database's "now" when the statement ran,
  // a moment between our call and its answer. Bracketing each call with our own clock checks the
  // schedule exactly, however slow the database is; the interval is long enough that callers never
  // fall behind it.
  const INTERVAL_MS = 1_000;
  /** Our clock is read in fractional milliseconds, the database's in microseconds. */
  const ROUNDING_MS = 1;

  async function reserve(key: string, count: number) {
    const sentAt = performance.now();
    const wait = await store.reserveSlots(key, INTERVAL_MS, count, 0);
    return { sentAt, answeredAt: performance.now(), wait };
  }

  it('lets one of many concurrent starts with the same key run; force, and resume, respect it', async () => {
    const started = await Promise.all(
      ['mig_race1', 'mig_race2', 'mig_race3', 'mig_race4'].map((id) => create(id, 'dr->2co')),
    );
    const winners = started.flatMap((claimed) => ('run' in claimed ? [claimed.run.id] : []));
    expect(winners).toHaveLength(1);
    expect(started.filter((claimed) => 'runningId' in claimed)).toEqual(
      Array.from({ length: 3 }, () => ({ runningId: winners[0] })),
    );
    expect(await create('mig_forced', 'dr->2co', true)).toMatchObject({ run: { id: 'mig_forced' } });
    // Resuming is a start too: refused while another run with the key runs, allowed once it stopped.
    await store.cancelRun(winners[0]!);
    expect(await store.resumeRun(winners[0]!)).toEqual({ runningId: 'mig_forced' });
    expect((await store.findRun(winners[0]!))?.status).toBe('cancelled');
    await store.cancelRun('mig_forced');
    expect(await store.resumeRun(winners[0]!)).toMatchObject({ run: { status: 'running' } });
  });

  it('hands out request slots one interval apart across every caller (GCRA)', async () => {
    const calls = [];
    for (let i = 0; i < 5; i++) calls.push(await reserve('dr/live', 1));
    const first = calls[0]!;
    // Slot i is i intervals after the first, measured on our clock within these bounds.
    for (let i = 1; i < calls.length; i++) {
      const call = calls[i]!;
      expect(call.sentAt + call.wait - (first.answeredAt + first.wait)).toBeLessThanOrEqual(
        INTERVAL_MS * i + ROUNDING_MS,
      );
      expect(call.answeredAt + call.wait - (first.sentAt + first.wait)).toBeGreaterThanOrEqual(
        INTERVAL_MS * i - ROUNDING_MS,
      );
    }
    // A block of 10 slots pushes the schedule 10 intervals on: the next caller waits that much
    // longer, less the time between the two calls.
    const block = await reserve('dr/live', 10);
    const next = await reserve('dr/live', 1);
    expect(next.wait - block.wait).toBeLessThanOrEqual(10 * INTERVAL_MS + ROUNDING_MS);
    expect(next.wait - block.wait).toBeGreaterThanOrEqual(
      10 * INTERVAL_MS - (next.answeredAt - block.sentAt) - ROUNDING_MS,
    );
  });

  it('holds every caller back after a Retry-After pause', async () => {
    const pausedAt = performance.now();
    await store.pauseSlots('tco/eu', 2_000);
    const { wait, answeredAt } = await reserve('tco/eu', 1);
    // The first slot is the end of the pause, less the time the two calls took.
    expect(wait).toBeLessThanOrEqual(2_000 + ROUNDING_MS);
    expect(wait).toBeGreaterThanOrEqual(2_000 - (answeredAt - pausedAt) - ROUNDING_MS);
  });

  it('keeps a run within its share of the account limit however many callers share it', async () => {
    const account = { provider: 'two-checkout', account: 'budget', requestsPerSecond: 100 };
    const accounts = new ProviderAccounts([account as unknown as CustomerProvider]);
    // Two budgets stand for two worker processes: they share the schedule in the database.
    const budgets = [0, 1].map(() => new SharedRateBudget(store, accounts, 0.5));
    const started = performance.now();
    await Promise.all(
      Array.from({ length: 60 }, (_, i) => budgets[i % 2]!.acquire('two-checkout', 'budget')),
    );
    const elapsed = performance.now() - started;
    // 60 requests at 50 per second (half of 100 left to the live API), less the 100 ms burst.
    expect(elapsed).toBeGreaterThan(1_000);
  });
});
