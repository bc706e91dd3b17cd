import { randomUUID } from 'node:crypto';

import { customerData, jobContext, JOB_ACTORS, type SettleOutcome } from '@app/domain';
import {
  createTestDatabase,
  PrismaCustomerRepository,
  PrismaSyncQueue,
  type TestDatabase,
} from '@app/persistence';

/**
 * A settle answers the link as it stored it, so a request that has just written the customer can
 * answer without reading it back: that link must be exactly what a later read finds.
 */
/** Whose work the writes and deliveries below are: the repository's writer and the background worker. */
const SYSTEM = jobContext(JOB_ACTORS.system);
const SYNC_WORKER = jobContext(JOB_ACTORS.sync);

describe('PrismaSyncQueue.settle', () => {
  let database: TestDatabase;
  let repository: PrismaCustomerRepository;
  let queue: PrismaSyncQueue;
  const lease = { workerId: 'worker-test', leaseMs: 60_000 };
  const synced: SettleOutcome = {
    kind: 'synced',
    version: 1,
    providerCustomerId: '100000001',
    unsupportedFields: ['metadata'],
    lossyFields: ['locale'],
  };

  beforeAll(async () => {
    database = await createTestDatabase();
    repository = new PrismaCustomerRepository(database);
    queue = new PrismaSyncQueue(database.prisma, database);
  });
  afterAll(() => database.close());

  const created = async () => {
    const id = `cus_${randomUUID().replaceAll('-', '').slice(0, 24)}`;
    const { customer, claimed } = await repository.insert(
      SYSTEM,
      id,
      customerData({ email: 'ada@example.test' }),
      [
        { provider: 'digital-river', account: 'live', reference: id },
        { provider: 'two-checkout', account: 'eu', reference: id },
      ],
      lease,
    );
    return { id, customer, claimed };
  };

  it('answers a synced link exactly as a read then finds it', async () => {
    const { id, claimed } = await created();
    const [dr, tco] = claimed;

    const settled = [
      await queue.settle(dr!, lease.workerId, synced, [], SYNC_WORKER),
      await queue.settle(tco!, lease.workerId, synced, [], SYNC_WORKER),
    ];
    const read = await repository.findById(id);
    expect(settled.map((result) => result?.stored)).toEqual(read?.providers);
    expect(read?.providers[1]).toMatchObject({
      provider: 'two-checkout',
      status: 'synced',
      syncedVersion: 1,
      providerCustomerId: '100000001',
      unsupportedFields: ['metadata'],
      lossyFields: ['locale'],
      lockedUntil: undefined,
    });
  });

  it('answers a link a newer write queued again as pending, and nothing once the lease is lost', async () => {
    const { id, claimed } = await created();
    const [dr] = claimed;
    await repository.modify(SYSTEM, id, (current) => ({ ...current, email: 'newer@example.test' }));

    const settled = await queue.settle(dr!, lease.workerId, synced, [], SYNC_WORKER);
    expect(settled?.stored).toMatchObject({ status: 'pending', syncedVersion: 1 });
    expect(settled?.stored).toEqual((await repository.findById(id))?.providers[0]);
    // Settled already, so no longer leased to this worker: the second settle finds no lease.
    await expect(queue.settle(dr!, lease.workerId, synced, [], SYNC_WORKER)).resolves.toBeUndefined();
  });
});
