import { randomBytes } from 'node:crypto';

import { Injectable } from '@nestjs/common';
import {
  type CallContext,
  DomainError,
  MigrationStore,
  type ReconciliationRun,
  type ReconciliationSpec,
} from '@app/customer-domain';

import { RunEngine } from './run-engine';
import { RunService } from './run-service';

/** Two whole-base reconciliations at once would read (and repair) every customer twice. */
const RECONCILIATION_KEY = 'reconciliation';

/**
 * Whole-base reconciliation as a job: every customer linked to a provider is compared with its
 * provider copies (and repaired on request) by the same engine, checkpoints and workers as a
 * migration, so it runs in the background, reports progress, can be cancelled, and resumes after
 * a restart.
 */
@Injectable()
export class ReconciliationService extends RunService<'reconciliation'> {
  constructor(
    private readonly store: MigrationStore,
    engine: RunEngine,
  ) {
    super(engine, 'reconciliation');
  }

  protected alreadyRunning(runningId: string): DomainError {
    return alreadyRunning(runningId);
  }

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
}

function alreadyRunning(runningId: string): DomainError {
  return new DomainError(
    'reconciliation_already_running',
    `Reconciliation ${runningId} is running; cancel it or wait for it to finish.`,
  );
}
