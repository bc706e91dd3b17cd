import { hostname } from 'node:os';

import { Injectable, Logger } from '@nestjs/common';
import {
  type CallContext,
  type ItemResult,
  JOB_ACTORS,
  jobContext,
  type JobRun,
  MigrationStore,
  ProviderAccounts,
  type RateBudget,
  type RemoteCustomer,
  SyncQueue,
} from '@app/domain';
import pLimit, { type LimitFunction } from 'p-limit';

import { CustomerMigrator } from './customer-migrator';
import { CustomerReconciler } from './customer-reconciler';
import { SharedRateBudget } from './shared-rate-budget';
import { SweepBudget } from './sweep-budget';

/** How often a busy worker re-reads its run's status, so a cancel takes effect within about this. */
const STATUS_REFRESH_MS = 1_000;

/**
 * Processes batches of a run's customers in this process, whoever dispatched them (this process
 * in-process, or any process through pg-boss): migrates them, or reconciles them, by the run's
 * kind. At most `concurrency` customers of a run are in flight here at once, and every provider
 * request draws from the shared rate budget.
 */
@Injectable()
export class MigrationWorker {
  readonly workerId = `${hostname()}:${process.pid}`;
  private readonly logger = new Logger('MigrationWorker');
  private readonly limits = new Map<string, LimitFunction>();
  private readonly statuses = new Map<string, { running: boolean; at: number }>();
  /** One per live share, shared by every run and batch in this process. */
  private readonly budgets = new Map<number, SharedRateBudget>();
  /** The sweep's, by its share: a schedule of its own, behind the outbox (see SweepBudget). */
  private readonly sweepBudgets = new Map<number, SweepBudget>();

  constructor(
    private readonly store: MigrationStore,
    private readonly migrator: CustomerMigrator,
    private readonly reconciler: CustomerReconciler,
    private readonly accounts: ProviderAccounts,
    private readonly queue: SyncQueue,
  ) {}

  /**
   * Works in a context of its own, whoever dispatched the batch: the customers' events name the
   * migration as their actor, and nothing of an API request that started the run (its
   * Idempotency-Key record) reaches the batch's writes.
   */
  processBatch(
    runId: string,
    references: readonly string[],
    prefetched?: ReadonlyMap<string, RemoteCustomer>,
  ): Promise<void> {
    return this.processBatchInContext(runId, references, prefetched);
  }

  private async processBatchInContext(
    runId: string,
    references: readonly string[],
    prefetched?: ReadonlyMap<string, RemoteCustomer>,
  ): Promise<void> {
    const run = await this.store.findRun(runId);
    // The fresh read also refreshes the cached status, so a batch dispatched right after a resume
    // does not see the cancel that came before it.
    this.statuses.set(runId, { running: run?.status === 'running', at: Date.now() });
    if (run?.status !== 'running') return;
    // Customers finished before a crash (or by another worker) are not touched again.
    const pending = await this.store.pendingAmong(run.id, references);
    if (pending.length === 0) return;
    // Every provider request of the batch, retries included, draws on the run's shared budget; a
    // sweep's reads on the sweep's own, behind live writes and re-drives.
    const context =
      run.kind === 'reconciliation' && run.spec.trigger === 'sweep'
        ? jobContext(JOB_ACTORS.sweep, this.sweepBudgetFor(1 - run.spec.liveShare))
        : jobContext(JOB_ACTORS.migration, this.budgetFor(run.spec.liveShare));
    const read =
      run.kind === 'migration'
        ? (prefetched ?? (await this.migrator.readSource(context, run.spec.source, pending)))
        : undefined;
    const limit = this.limitFor(run);
    await Promise.all(
      pending.map((reference) =>
        limit(async () => {
          if (!(await this.isRunning(run.id))) return;
          await this.settleOne(context, run, reference, read?.get(reference));
        }),
      ),
    );
  }

  private async settleOne(
    context: CallContext,
    run: JobRun,
    reference: string,
    prefetched?: RemoteCustomer,
  ): Promise<void> {
    const result: ItemResult =
      run.kind === 'migration'
        ? await this.migrator.migrate(context, run, reference, prefetched)
        : await this.reconciler.check(context, run, reference);
    try {
      await this.store.finishItem(run.id, reference, result, this.workerId);
    } catch (error) {
      // The item stays pending and is picked up again: its migration is idempotent.
      this.logger.error({ run: run.id, error: (error as Error).name }, 'could not record an outcome');
    }
  }

  private budgetFor(liveShare: number): SharedRateBudget {
    let budget = this.budgets.get(liveShare);
    if (budget === undefined) {
      budget = new SharedRateBudget(this.store, this.accounts, liveShare);
      this.budgets.set(liveShare, budget);
    }
    return budget;
  }

  private sweepBudgetFor(share: number): RateBudget {
    let budget = this.sweepBudgets.get(share);
    if (budget === undefined) {
      budget = new SweepBudget(this.store, this.accounts, share, this.queue);
      this.sweepBudgets.set(share, budget);
    }
    return budget;
  }

  private limitFor(run: JobRun): LimitFunction {
    let limit = this.limits.get(run.id);
    if (limit === undefined) {
      limit = pLimit(run.spec.concurrency);
      this.limits.set(run.id, limit);
    }
    return limit;
  }

  private async isRunning(runId: string): Promise<boolean> {
    const cached = this.statuses.get(runId);
    if (cached !== undefined && Date.now() - cached.at < STATUS_REFRESH_MS) return cached.running;
    const running = (await this.store.findRun(runId))?.status === 'running';
    this.statuses.set(runId, { running, at: Date.now() });
    return running;
  }
}
