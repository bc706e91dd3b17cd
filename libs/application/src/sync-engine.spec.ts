import { LinkDelivery } from './link-delivery';
import { SyncEngine } from './sync-engine';
import {
  type CallContext,
  type Customer,
  customerData,
  type ProviderLink,
  type CustomerRepository,
  type CustomerProvider,
  type ProviderAccounts,
  type ProviderCallLog,
  type SyncOptions,
  type ClaimedLink,
  type Settled,
  SyncQueue,
} from '@app/domain';

/**
 * A queue with nothing claimable whose backlog answers from a script (then 0): the links it
 * reports pending are being written or delivered by someone else.
 */
class ScriptedBacklog extends SyncQueue {
  backlogCalls = 0;

  constructor(private readonly pendingAnswers: readonly number[]) {
    super();
  }

  claim(): Promise<ClaimedLink[]> {
    return Promise.resolve([]);
  }
  settle(): Promise<Settled | undefined> {
    return Promise.resolve({});
  }
  readonly released: ClaimedLink[] = [];
  release(links: readonly ClaimedLink[]): Promise<void> {
    this.released.push(...links);
    return Promise.resolve();
  }
  redrive(): Promise<number> {
    return Promise.resolve(0);
  }
  waitForWork(timeoutMs: number): Promise<boolean> {
    return new Promise((resolve) => setTimeout(() => resolve(false), Math.min(timeoutMs, 5)));
  }
  nextDueAt(): Promise<Date | undefined> {
    return Promise.resolve(undefined);
  }
  hasPending(): Promise<boolean> {
    return Promise.resolve(false);
  }
  backlog(): Promise<{ pending: number; failed: number }> {
    const pending = this.pendingAnswers[this.backlogCalls] ?? 0;
    this.backlogCalls += 1;
    return Promise.resolve({ pending, failed: 0 });
  }
}

const JOB: CallContext = { actor: 'test' };

const OPTIONS: SyncOptions = {
  leaseMs: 1_000,
  maxAttempts: 3,
  retryBaseMs: 10,
  retryMaxMs: 100,
  batchSize: 10,
  concurrency: 2,
  pollIntervalMs: 5,
  waitMs: 100,
  shutdownGraceMs: 100,
};

/** A first delivery's link, as a write hands it in leased. */
const link: ClaimedLink = {
  id: 'link-1',
  customerId: 'cus_1',
  provider: 'digital-river',
  account: 'default',
  reference: 'cus_1',
  intent: 'sync',
  attempts: 1,
  unsupportedFields: [],
};

/** Drain touches only the queue. */
const engineOn = (queue: SyncQueue, options: Partial<SyncOptions> = {}) =>
  new SyncEngine(
    queue,
    {} as CustomerRepository,
    new LinkDelivery({} as ProviderAccounts, OPTIONS),
    {} as ProviderCallLog,
    { ...OPTIONS, ...options },
  );

describe('SyncEngine.leaseForDelivery', () => {
  it("leases for this worker, for the lease's length, while requests wait for their providers", async () => {
    const engine = engineOn(new ScriptedBacklog([]));
    expect(engine.leaseForDelivery()).toEqual({ workerId: engine.workerId, leaseMs: OPTIONS.leaseMs });

    await engine.stop();
    expect(engine.leaseForDelivery()).toBeUndefined();
  });

  it('leases nothing when requests do not wait (SYNC_WAIT_MS=0): the background worker delivers', () => {
    expect(engineOn(new ScriptedBacklog([]), { waitMs: 0 }).leaseForDelivery()).toBeUndefined();
  });

  it('gives links handed in back at once when the wait is too short to deliver them', async () => {
    const queue = new ScriptedBacklog([]);

    await expect(
      engineOn(queue).deliverNow(JOB, 'cus_1', { waitMs: 0, claimed: [link] }),
    ).resolves.toBeUndefined();
    expect(queue.released).toEqual([link]);
  });

  it('gives links handed in back when it stops before delivering them', async () => {
    const queue = new ScriptedBacklog([]);
    const engine = engineOn(queue);
    await engine.stop();

    await expect(engine.deliverNow(JOB, 'cus_1', { claimed: [link] })).resolves.toBeUndefined();
    expect(queue.released).toEqual([link]);
  });
});

describe('SyncEngine.drain', () => {
  it('goes on while a link queued after one lane found the backlog empty is still pending', async () => {
    // Lane 1 finds nothing pending and stops the lanes; lane 2 looks just after a write queued a
    // link (1), which is still pending when the pass ends (1), then delivered elsewhere (0).
    const queue = new ScriptedBacklog([0, 1, 1]);

    await expect(engineOn(queue).drain(5_000)).resolves.toBe(true);
    expect(queue.backlogCalls).toBeGreaterThan(3);
  });

  it('answers false when links stay pending until its time is up', async () => {
    const queue = new ScriptedBacklog(Array.from({ length: 100_000 }, () => 1));

    await expect(engineOn(queue).drain(100)).resolves.toBe(false);
  });
});

describe('SyncEngine.deliverNow after a write', () => {
  const pending: ProviderLink = {
    provider: 'digital-river',
    account: 'default',
    reference: 'cus_1',
    status: 'pending',
    intent: 'sync',
    attempts: 1,
    unsupportedFields: [],
    lossyFields: [],
    primary: true,
    lockedUntil: new Date(60_000),
    createdAt: new Date(0),
  };
  const written: Customer = {
    id: 'cus_1',
    ...customerData({ email: 'ada@example.test' }),
    version: 1,
    createdAt: new Date(0),
    updatedAt: new Date(0),
    providers: [pending],
  };
  const synced: ProviderLink = { ...pending, status: 'synced', syncedVersion: 1, lockedUntil: undefined };

  /** One link delivered by a provider that creates it; its settle stores `stored`. */
  function engineSettling(stored: ProviderLink, readBack: Customer) {
    const queue = new (class extends ScriptedBacklog {
      override settle(): Promise<Settled | undefined> {
        return Promise.resolve({ stored });
      }
    })([]);
    const reads: string[] = [];
    const customers = {
      findById: (id: string) => {
        reads.push(id);
        return Promise.resolve(readBack);
      },
    } as unknown as CustomerRepository;
    const provider = {
      create: () => Promise.resolve({ reference: 'cus_1', unsupportedFields: [], created: true }),
      lossyFields: () => [],
    } as unknown as CustomerProvider;
    const accounts = { get: () => provider } as unknown as ProviderAccounts;
    const callLog = {
      runAndRecord: async <T, R>(
        context: CallContext,
        _operation: unknown,
        work: (audited: CallContext) => Promise<T>,
        record: (performed: { result: T; calls: [] }) => Promise<R>,
      ) => record({ result: await work(context), calls: [] }),
    } as unknown as ProviderCallLog;
    return {
      engine: new SyncEngine(queue, customers, new LinkDelivery(accounts, OPTIONS), callLog, OPTIONS),
      reads,
    };
  }

  it('reports the links as their settles stored them, without reading the written customer', async () => {
    const { engine, reads } = engineSettling(synced, written);

    await expect(engine.deliverNow(JOB, 'cus_1', { written, claimed: [link] })).resolves.toEqual({
      settled: [synced],
    });
    expect(reads).toEqual([]);
  });

  it('reads the customer when a settle stored its link still pending (a newer write queued it)', async () => {
    const readBack: Customer = { ...written, version: 2, providers: [{ ...synced, syncedVersion: 2 }] };
    const { engine, reads } = engineSettling({ ...synced, status: 'pending' }, readBack);

    await expect(engine.deliverNow(JOB, 'cus_1', { written, claimed: [link] })).resolves.toEqual({
      read: readBack,
    });
    expect(reads).toEqual(['cus_1']);
  });
});
