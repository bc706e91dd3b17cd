import { type ProviderRegistry, type RateBudget } from '@app/customer-domain';

import { type MigrationStore } from './migration.store';

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** How far the schedule may fall behind: absorbs timer jitter without bursting past the provider. */
const BURST_MS = 100;

/**
 * The migration's share of each provider account's request limit, scheduled in the database so
 * every worker process of every run draws from the same budget. `liveShare` of the limit is left
 * to the live API.
 */
export class SharedRateBudget implements RateBudget {
  constructor(
    private readonly store: MigrationStore,
    private readonly registry: ProviderRegistry,
    private readonly liveShare: number,
  ) {}

  async acquire(provider: string, account: string): Promise<void> {
    const perSecond = this.registry.get(provider, account).requestsPerSecond * (1 - this.liveShare);
    const wait = await this.store.reserveSlot(budgetKey(provider, account), 1000 / perSecond, BURST_MS);
    if (wait > 0) await sleep(wait);
  }

  async pause(provider: string, account: string, ms: number): Promise<void> {
    await this.store.pauseSlots(budgetKey(provider, account), ms);
  }
}

function budgetKey(provider: string, account: string): string {
  return `${provider}/${account}`;
}
