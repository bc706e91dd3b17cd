import { Injectable, Logger } from '@nestjs/common';
import {
  type Claimed,
  DomainError,
  type ItemOutcome,
  type JobRun,
  type MigrationCounts,
  type MigrationItem,
  type MigrationRun,
  MigrationStore,
  OUTCOMES_OF,
  type ReconciliationCounts,
  type ReconciliationRun,
  type ResumeHint,
  type RunCounts,
  type RunKind,
  type RunPage,
  type RunPageQuery,
  RUN_HEARTBEAT_MS,
} from '@app/domain';

import { MigrationDispatcher } from './migration-dispatcher';
import { RunSources } from './run-sources';

/** The run of each kind. */
export type RunOf<K extends RunKind> = Extract<JobRun, { kind: K }>;
type CountsOf<R extends JobRun> = R extends MigrationRun ? MigrationCounts : ReconciliationCounts;

export interface RunProgress<R extends JobRun = JobRun> {
  run: R;
  /** Customers per outcome of the run's kind, still pending, and in all. */
  counts: CountsOf<R>;
  /** How many customers lose each field at the target (migrations). */
  lossyFields: Record<string, number>;
  /** How many customers drifted (or were repaired) in each field at some provider (reconciliations). */
  driftedFields: Record<string, number>;
  /** Customers finished per second over the last half minute. */
  ratePerSecond: number;
  /** Seconds left at that rate, once the whole source is enumerated and something moves. */
  etaSeconds?: number;
  /** How to carry on with a run that stopped before its end (interrupted or cancelled). */
  resume?: ResumeHint;
}

/** The endpoint (and CLI command) that resumes a stopped run of each kind. */
export function resumeHint(kind: RunKind, runId: string): ResumeHint {
  return kind === 'migration'
    ? { endpoint: `POST /v1/migrations/${runId}/resume`, command: `migrator run --resume ${runId}` }
    : { endpoint: `POST /v1/reconciliations/${runId}/resume` };
}

export type MigrationProgress = RunProgress<MigrationRun>;
export type ReconciliationProgress = RunProgress<ReconciliationRun>;

/** The window the rate and ETA are measured over. */
const RATE_WINDOW_MS = 30_000;

/** In-process sweeps over customers left pending by failed batches before the run is left to resume. */
const MAX_SWEEPS = 3;

const NOT_FOUND = { migration: 'migration_not_found', reconciliation: 'reconciliation_not_found' } as const;

/** A run being driven in this process; `again` asks it to go round once more before it ends. */
interface Drive {
  again: boolean;
  done: Promise<JobRun>;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * The job engine every kind of run shares: a run's customers are enumerated into checkpointed
 * items, dispatched in batches to workers (in this process or through pg-boss), and the run
 * completes once every item has an outcome. Cancel, resume (also after a crash), progress with
 * rate and ETA, and the paged lists are the same for migrations and reconciliations.
 */
@Injectable()
export class RunEngine {
  private readonly logger = new Logger('Runs');
  private readonly driving = new Map<string, Drive>();

  constructor(
    private readonly store: MigrationStore,
    private readonly dispatcher: MigrationDispatcher,
    private readonly sources: RunSources,
  ) {}

  /**
   * Runs the run to its end in this process: customers left pending by an earlier attempt first,
   * then the rest of the source from its checkpoint. Resolves with the run as it ended (completed,
   * cancelled, or still running when customers stayed pending). Driving a completed run does nothing.
   */
  drive(runId: string): Promise<JobRun> {
    const current = this.driving.get(runId);
    if (current !== undefined) {
      // A resume while the drive is winding down from a cancel: it goes round once more.
      current.again = true;
      return current.done;
    }
    const drive = { again: false } as Drive;
    drive.done = this.driveUntilSettled(runId, drive);
    this.driving.set(runId, drive);
    return drive.done;
  }

  /**
   * Resolves once this process drives no run and works no batch. A cancel stops a run from taking
   * new customers, but the ones under way finish: their writes land after the cancel has answered.
   */
  async idle(): Promise<void> {
    while (this.driving.size > 0) await Promise.allSettled([...this.driving.values()].map((d) => d.done));
    await this.dispatcher.idle();
  }

  /** For the API: drives the run without holding the request; failures are logged, the run resumable. */
  driveInBackground(runId: string): void {
    // The drive's work runs under the run's own job context, never the request's (its
    // Idempotency-Key belongs to the request's own write).
    this.drive(runId).catch((error: unknown) =>
      this.logger.error({ run: runId, error: (error as Error).name }, 'run stopped; resume it'),
    );
  }

  /**
   * At start-up of an in-process host (the embedded gateway): runs it was driving when it stopped
   * carry on. With pg-boss several processes could claim that role, so there runs are resumed
   * explicitly (`POST /v1/{migrations,reconciliations}/{id}/resume`, `migrator run --resume`).
   */
  async resumeInterrupted(): Promise<void> {
    if (this.dispatcher.shared) return;
    for (const id of await this.store.runningRunIds()) this.driveInBackground(id);
  }

  async get<K extends RunKind>(kind: K, runId: string): Promise<RunOf<K>> {
    const run = await this.store.findRun(runId);
    if (run?.kind !== kind) throw new DomainError(NOT_FOUND[kind], `No ${kind} with id "${runId}".`);
    return run as RunOf<K>;
  }

  /**
   * The process driving the run is stopping before its end (the CLI's Ctrl-C or SIGTERM): the run
   * says `interrupted`, with how to resume it, rather than `running`.
   */
  async interrupt<K extends RunKind>(kind: K, runId: string): Promise<RunOf<K>> {
    await this.get(kind, runId);
    await this.store.interruptRun(runId);
    return this.get(kind, runId);
  }

  async cancel<K extends RunKind>(kind: K, runId: string): Promise<RunOf<K>> {
    await this.get(kind, runId);
    await this.store.cancelRun(runId);
    return this.get(kind, runId);
  }

  /** See `MigrationStore.resumeRun`; the caller drives the run when it is running again. */
  async resume<K extends RunKind>(kind: K, runId: string): Promise<Claimed<RunOf<K>>> {
    await this.get(kind, runId);
    return (await this.store.resumeRun(runId)) as Claimed<RunOf<K>>;
  }

  /**
   * `fieldTotals: false` leaves the per-field totals out (empty): the aggregates over every item's
   * fields, which a progress display ticking every few seconds through a large run does not show.
   */
  async progress<K extends RunKind>(
    kind: K,
    runId: string,
    options: { fieldTotals: boolean } = { fieldTotals: true },
  ): Promise<RunProgress<RunOf<K>>> {
    const run = await this.get(kind, runId);
    const totals = async (of: RunKind, read: () => Promise<Record<string, number>>) =>
      kind === of && options.fieldTotals ? read() : {};
    const [all, lossyFields, driftedFields, recent] = await Promise.all([
      this.store.counts(runId),
      totals('migration', () => this.store.lossyFields(runId)),
      totals('reconciliation', () => this.store.driftedFields(runId)),
      run.status === 'running' ? this.store.finishedSince(runId, RATE_WINDOW_MS) : 0,
    ]);
    const counts = countsOf(kind, all);
    const ratePerSecond = Math.round((recent * 10_000) / RATE_WINDOW_MS) / 10;
    const eta = run.enumerated && ratePerSecond > 0 ? Math.ceil(all.pending / ratePerSecond) : undefined;
    return {
      run,
      counts: counts as CountsOf<RunOf<K>>,
      lossyFields,
      driftedFields,
      ratePerSecond,
      ...(eta !== undefined ? { etaSeconds: eta } : {}),
      ...(run.status === 'interrupted' || run.status === 'cancelled'
        ? { resume: resumeHint(kind, run.id) }
        : {}),
    };
  }

  async list<K extends RunKind>(kind: K, query: RunPageQuery): Promise<RunPage<RunOf<K>>> {
    return (await this.store.listRuns(kind, query)) as RunPage<RunOf<K>>;
  }

  /** Customers of the run in enumeration order after `after` (a `seq`), optionally of one outcome. */
  async itemPage(
    kind: RunKind,
    runId: string,
    after: number,
    limit: number,
    outcome?: ItemOutcome | 'pending',
  ): Promise<MigrationItem[]> {
    await this.get(kind, runId);
    return this.store.items(runId, after, limit, outcome);
  }

  /** Every customer's outcome in enumeration order, read a page at a time (memory stays flat). */
  async *items(kind: RunKind, runId: string): AsyncGenerator<MigrationItem> {
    for (let after = 0; ;) {
      const page = await this.itemPage(kind, runId, after, 1_000);
      yield* page;
      if (page.length < 1_000) return;
      after = page.at(-1)!.seq;
    }
  }

  private async driveUntilSettled(runId: string, drive: Drive): Promise<JobRun> {
    // While this process drives the run its heartbeat is fresh; once the process is gone, the run
    // reads `interrupted` (see RUN_HEARTBEAT_STALE_MS).
    await this.store.heartbeat(runId);
    const heartbeat = setInterval(() => {
      this.store
        .heartbeat(runId)
        .catch((error: unknown) =>
          this.logger.warn({ run: runId, error: (error as Error).name }, 'run heartbeat failed'),
        );
    }, RUN_HEARTBEAT_MS).unref();
    try {
      for (;;) {
        drive.again = false;
        const run = await this.driveOnce(runId);
        // Checked here and deleted in `finally` with no await between: no later drive() is lost.
        if (!drive.again) return run;
      }
    } finally {
      clearInterval(heartbeat);
      this.driving.delete(runId);
    }
  }

  private async current(runId: string): Promise<JobRun> {
    const run = await this.store.findRun(runId);
    if (run === undefined) throw new DomainError('migration_not_found', `No run with id "${runId}".`);
    return run;
  }

  private async driveOnce(runId: string): Promise<JobRun> {
    let run = await this.current(runId);
    if (run.status !== 'running') return run;
    await this.store.requeueRetryable(run.id);
    await this.sweep(run);
    if (!run.enumerated) {
      for await (const page of this.sources.pages(run)) {
        if ((await this.store.findRun(run.id))?.status !== 'running') break;
        const fresh = await this.store.recordPage(run.id, page.references, page.cursor, page.last);
        if (fresh.length > 0) await this.dispatcher.dispatch(run, fresh, page.prefetched);
      }
    }
    await this.dispatcher.idle();
    for (let sweeps = 0; !(await this.store.completeIfDone(run.id));) {
      run = await this.current(run.id);
      if (run.status !== 'running' || !run.enumerated) break;
      if (this.dispatcher.shared) {
        // Other workers are still at it (or pg-boss is handing a dead worker's batch on).
        await sleep(250);
        continue;
      }
      if (++sweeps > MAX_SWEEPS) break;
      await this.sweep(run);
      await this.dispatcher.idle();
    }
    return this.current(run.id);
  }

  /** Dispatches the customers recorded but still without an outcome. */
  private async sweep(run: JobRun): Promise<void> {
    for (let after = 0; ;) {
      const pending = await this.store.items(run.id, after, run.spec.batchSize, 'pending');
      if (pending.length === 0) return;
      await this.dispatcher.dispatch(
        run,
        pending.map((item) => item.sourceReference),
      );
      after = pending.at(-1)!.seq;
    }
  }
}

/** The counts of the run's own outcomes (the store counts every outcome there is). */
function countsOf(kind: RunKind, all: RunCounts): Record<string, number> {
  const counts: Record<string, number> = { total: all.total, pending: all.pending };
  for (const outcome of OUTCOMES_OF[kind]) counts[outcome] = all[outcome];
  return counts;
}
