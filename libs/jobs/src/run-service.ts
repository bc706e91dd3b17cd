import {
  type DomainError,
  type ItemOutcome,
  type MigrationItem,
  type RunKind,
  type RunPage,
  type RunPageQuery,
} from '@app/domain';

import { type RunEngine, type RunOf, type RunProgress } from './run-engine';

/**
 * What every kind of run offers its callers over the shared job engine: read it, page through it
 * and its customers, cancel and resume it. Migrations and reconciliations differ only in how a
 * run starts and what "already running" means, which each subclass says.
 */
export abstract class RunService<K extends RunKind> {
  protected constructor(
    protected readonly engine: RunEngine,
    private readonly kind: K,
  ) {}

  /** The error a start or resume gets while `runningId` holds the run's exclusive key. */
  protected abstract alreadyRunning(runningId: string, run: RunOf<K>): DomainError;

  /** Drives the run without holding the caller (see `RunEngine.driveInBackground`). */
  driveInBackground(runId: string): void {
    this.engine.driveInBackground(runId);
  }

  get(runId: string): Promise<RunOf<K>> {
    return this.engine.get(this.kind, runId);
  }

  progress(runId: string, options?: { fieldTotals: boolean }): Promise<RunProgress<RunOf<K>>> {
    return this.engine.progress(this.kind, runId, options);
  }

  list(query: RunPageQuery): Promise<RunPage<RunOf<K>>> {
    return this.engine.list(this.kind, query);
  }

  /** Customers of the run in enumeration order after `after` (a `seq`), optionally of one outcome. */
  itemPage(
    runId: string,
    after: number,
    limit: number,
    outcome?: ItemOutcome | 'pending',
  ): Promise<MigrationItem[]> {
    return this.engine.itemPage(this.kind, runId, after, limit, outcome);
  }

  /** Every customer's outcome in enumeration order, read a page at a time (memory stays flat). */
  items(runId: string): AsyncGenerator<MigrationItem> {
    return this.engine.items(this.kind, runId);
  }

  /** See `RunEngine.interrupt`. */
  interrupt(runId: string): Promise<RunOf<K>> {
    return this.engine.interrupt(this.kind, runId);
  }

  cancel(runId: string): Promise<RunOf<K>> {
    return this.engine.cancel(this.kind, runId);
  }

  /**
   * Puts a cancelled or interrupted run back to running, and a completed one whose failures may
   * pass; driving it then retries those failures. A completed run without any stays as it is.
   */
  async resume(runId: string): Promise<RunOf<K>> {
    const claimed = await this.engine.resume(this.kind, runId);
    if ('runningId' in claimed) throw this.alreadyRunning(claimed.runningId, await this.get(runId));
    return claimed.run;
  }
}
