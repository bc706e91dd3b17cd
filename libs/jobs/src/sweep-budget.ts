import { type MigrationStore, type ProviderAccounts, type RateBudget, type SyncQueue } from '@app/domain';

import { SharedRateBudget } from './shared-rate-budget';

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** How long one look at the outbox stands for every sweep read that asks meanwhile. */
const OUTBOX_LOOK_MS = 200;

/**
 * The sweep's provider budget. Its reads come last but for drift reads: live writes, then
 * re-drives, then sweeps (the issue guide's order). Two things keep them there:
 * - its own schedule (`sweep:` slots in the shared rate-budget table) of `share` of each
 *   account's request limit, so a sweep never spends more than that, however many instances run;
 * - before each read it waits while the outbox has deliveries due (live writes and re-drives
 *   waiting for a worker), so whatever the account's limiter has to give goes to them first.
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

  /** Whether a delivery is due now; one query per OUTBOX_LOOK_MS whatever the sweep's concurrency. */
  private outboxBusy(): Promise<boolean> {
    const now = Date.now();
    if (this.look === undefined || now - this.look.at >= OUTBOX_LOOK_MS) {
      const busy = this.queue.nextDueAt().then((due) => due !== undefined && due.getTime() <= Date.now());
      this.look = { at: now, busy };
      busy.catch(() => (this.look = undefined));
    }
    return this.look.busy;
  }
}
