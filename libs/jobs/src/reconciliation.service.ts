import { randomBytes } from 'node:crypto';

import { Injectable } from '@nestjs/common';
import {
  type CallContext,
  DomainError,
  MigrationStore,
  type ReconciliationRun,
  type ReconciliationSpec,
} from '@app/domain';

import { RunEngine } from './run-engine';
import { RunService } from './run-service';

/** Two whole-base reconciliations at once would read (and repair) every customer twice. */
const RECONCILIATION_KEY = 'reconciliation';
/**
 * Sweeps are exclusive among themselves, across every instance sharing the database (the run
 * engine's exclusive key, taken under a lock), and apart from reconciliations started by callers.
 */
const SWEEP_KEY = 'sweep';

/** How a sweep paces itself: customers in flight, the share of each provider's limit, batch size. */
export interface SweepOptions {
  concurrency: number;
  providerShare: number;
  batchSize: number;
}

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

  /**
   * Records a sweep (a reconciliation with `trigger: sweep`), unless one is running already
   * (anywhere): undefined then. `driveInBackground` then runs it.
   */
  async startSweep(context: CallContext, options: SweepOptions): Promise<ReconciliationRun | undefined> {
    const id = `rec_${randomBytes(10).toString('hex')}`;
    const claimed = await this.store.createRun(context, {
      id,
      kind: 'reconciliation',
      spec: {
        trigger: 'sweep',
        repair: true,
        concurrency: options.concurrency,
        // The run records the share left to everything else, as every run does.
        liveShare: 1 - options.providerShare,
        batchSize: options.batchSize,
      },
      exclusiveKey: SWEEP_KEY,
      force: false,
    });
    if ('runningId' in claimed) return undefined;
    return this.get(id);
  }

  /** When the latest sweep among the newest `window` reconciliations started, if any did. */
  async latestSweepStart(window = 50): Promise<Date | undefined> {
    const page = await this.list({ limit: window });
    return page.data.find((run) => run.spec.trigger === 'sweep')?.createdAt;
  }
}

function alreadyRunning(runningId: string): DomainError {
  return new DomainError(
    'reconciliation_already_running',
    `Reconciliation ${runningId} is running; cancel it or wait for it to finish.`,
  );
}
