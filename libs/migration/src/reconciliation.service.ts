import { randomBytes } from 'node:crypto';

import { Injectable } from '@nestjs/common';
import { type CallContext, DomainError } from '@app/customer-domain';

import {
  type ItemOutcome,
  type MigrationItem,
  type ReconciliationRun,
  type ReconciliationSpec,
  type RunPage,
  type RunPageQuery,
} from './migration';
import { MigrationStore } from './migration.store';
import { type ReconciliationProgress, RunEngine } from './run-engine';

/** Two whole-base reconciliations at once would read (and repair) every customer twice. */
const RECONCILIATION_KEY = 'reconciliation';

/**
 * Whole-base reconciliation as a job: every customer linked to a provider is compared with its
 * provider copies (and repaired on request) by the same engine, checkpoints and workers as a
 * migration, so it runs in the background, reports progress, can be cancelled, and resumes after
 * a restart.
 */
@Injectable()
export class ReconciliationService {
  constructor(
    private readonly store: MigrationStore,
    private readonly engine: RunEngine,
  ) {}

  /** Records the run (refused while another is running); `driveInBackground` then runs it. */
  async start(context: CallContext, spec: ReconciliationSpec): Promise<ReconciliationRun> {
    const id = `rec_${randomBytes(10).toString('hex')}`;
    const claimed = await this.store.createRun(context, {
      id,
      kind: 'reconciliation',
      spec,
      exclusiveKey: RECONCILIATION_KEY,
      force: false,
    });
    if ('runningId' in claimed) throw alreadyRunning(claimed.runningId);
    return this.get(id);
  }

  driveInBackground(runId: string): void {
    this.engine.driveInBackground(runId);
  }

  get(runId: string): Promise<ReconciliationRun> {
    return this.engine.get('reconciliation', runId);
  }

  progress(runId: string): Promise<ReconciliationProgress> {
    return this.engine.progress('reconciliation', runId);
  }

  list(query: RunPageQuery): Promise<RunPage<ReconciliationRun>> {
    return this.engine.list('reconciliation', query);
  }

  itemPage(
    runId: string,
    after: number,
    limit: number,
    outcome?: ItemOutcome | 'pending',
  ): Promise<MigrationItem[]> {
    return this.engine.itemPage('reconciliation', runId, after, limit, outcome);
  }

  cancel(runId: string): Promise<ReconciliationRun> {
    return this.engine.cancel('reconciliation', runId);
  }

  /** Continues a cancelled or interrupted run from its checkpoint, or retries its passing failures. */
  async resume(runId: string): Promise<ReconciliationRun> {
    const claimed = await this.engine.resume('reconciliation', runId);
    if ('runningId' in claimed) throw alreadyRunning(claimed.runningId);
    return claimed.run;
  }
}

function alreadyRunning(runningId: string): DomainError {
  return new DomainError(
    'reconciliation_already_running',
    `Reconciliation ${runningId} is running; cancel it or wait for it to finish.`,
  );
}
