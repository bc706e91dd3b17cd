import { type MigrationStore, type ProviderAccounts, type RateBudget } from '@app/domain';

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** How far the schedule may fall behind: absorbs timer jitter without bursting past the provider. */
const BURST_MS = 100;

/**
 * Slots are reserved in the database this many milliseconds' worth at a time, so a process does
 * not pay a round trip per request; a process that dies wastes at most this much of the budget.
 */
const RESERVE_MS = 50;

interface Reservation {
  /** performance.now() of the next unused slot. */
  next: number;
  left: number;
  intervalMs: number;
}

/**
 * The migration's share of each provider account's request limit, scheduled in the database so
 * every worker process of every run draws from the same budget. `liveShare` of the limit is left
 * to the live API.
 */
export class SharedRateBudget implements RateBudget {
  private readonly reservations = new Map<string, Promise<Reservation>>();

  /**
   * `schedule` names the budget the slots are drawn from: work with a budget of its own (the
   * sweep's) keeps its own schedule, so it neither takes from nor waits on the migrations'.
   */
  constructor(
    private readonly store: MigrationStore,
    private readonly accounts: ProviderAccounts,
    private readonly liveShare: number,
    private readonly schedule = '',
  ) {}

  async acquire(provider: string, account: string): Promise<void> {
    const key = this.keyOf(provider, account);
    for (;;) {
      // Callers share the reservation in hand; whoever finds it used up makes the next one.
      let pending = this.reservations.get(key);
      if (pending === undefined) {
        pending = this.reserve(provider, account);
        this.reservations.set(key, pending);
        pending.catch(() => this.reservations.delete(key));
      }
      const reservation = await pending;
      if (reservation.left === 0) {
        if (this.reservations.get(key) === pending) this.reservations.delete(key);
        continue;
      }
      const slot = reservation.next;
      reservation.next += reservation.intervalMs;
      reservation.left--;
      const wait = slot - performance.now();
      if (wait > 1) await sleep(wait);
      return;
    }
  }

  async pause(provider: string, account: string, ms: number): Promise<void> {
    await this.store.pauseSlots(this.keyOf(provider, account), ms);
  }

  private keyOf(provider: string, account: string): string {
    return `${this.schedule}${provider}/${account}`;
  }

  private async reserve(provider: string, account: string): Promise<Reservation> {
    const perSecond = this.accounts.get(provider, account).requestsPerSecond * (1 - this.liveShare);
    const intervalMs = 1000 / perSecond;
    const count = Math.max(1, Math.floor(RESERVE_MS / intervalMs));
    const wait = await this.store.reserveSlots(this.keyOf(provider, account), intervalMs, count, BURST_MS);
    return { next: performance.now() + wait, left: count, intervalMs };
  }
}
