import { type MigrationStore, type ProviderAccounts, type RateBudget, type SyncQueue } from '@app/domain';

import { SharedRateBudget } from './shared-rate-budget';

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** How long one look at the outbox stands for every sweep read that asks meanwhile. */
const OUTBOX_LOOK_MS = 200;

/**
 * How long a delivery may have been due before the outbox counts as behind. A delivery just
 * queued is taken by a worker within milliseconds; one due for longer waits for capacity (the
 * workers or the provider's limit are saturated), which is when the sweep must step aside. Yielding
 * to every fresh delivery instead starved the sweep for as long as writes kept coming.
 */
const BACKLOG_MS = 1_000;

/**
 * The sweep's provider budget. Its reads come last but for drift reads: live writes, then
 * re-drives, then sweeps (the issue guide's order). Two things keep them there:
 * - its own schedule (`sweep:` slots in the shared rate-budget table) of `share` of each
 *   account's request limit, so a sweep never spends more than that, however many instances run;
 * - before each read it waits while the outbox is behind (deliveries due for over BACKLOG_MS: live
 *   writes and re-drives waiting for capacity), so whatever the account's limiter has to give goes
 *   to them first.
 * Deliveries backing off are not due, so a provider that keeps failing cannot hold a sweep up
 * for longer than its retries wait.
 */
export class SweepBudget implements RateBudget {
  private readonly slots: SharedRateBudget;
  private look: { at: number; busy: Promise<boolean> } | undefined;

  constructor(
    store: MigrationStore,
    accounts: ProviderAccounts,
    share: number,
    private readonly queue: Pick<SyncQueue, 'nextDueAt'>,
  ) {
    this.slots = new SharedRateBudget(store, accounts, 1 - share, 'sweep:');
  }

  async acquire(provider: string, account: string): Promise<void> {
    while (await this.outboxBusy()) await sleep(OUTBOX_LOOK_MS);
    await this.slots.acquire(provider, account);
  }

  pause(provider: string, account: string, ms: number): Promise<void> {
    return this.slots.pause(provider, account, ms);
  }

  /** Whether a delivery has waited past BACKLOG_MS; one query per OUTBOX_LOOK_MS whatever the sweep's concurrency. */
  private outboxBusy(): Promise<boolean> {
    const now = Date.now();
    if (this.look === undefined || now - this.look.at >= OUTBOX_LOOK_MS) {
      const busy = this.queue
        .nextDueAt()
        .then((due) => due !== undefined && due.getTime() <= Date.now() - BACKLOG_MS);
      this.look = { at: now, busy };
      busy.catch(() => (this.look = undefined));
    }
    return this.look.busy;
  }
}
