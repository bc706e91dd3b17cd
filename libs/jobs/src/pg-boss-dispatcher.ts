import { type JobRun, NO_OUTAGE_REPORTS, type OutageReporter, OutageReporters } from '@app/domain';
import {
  Inject,
  Injectable,
  Logger,
  type OnModuleDestroy,
  type OnModuleInit,
  Optional,
} from '@nestjs/common';
import { type PgBoss } from 'pg-boss';

import { MigrationDispatcher } from './migration-dispatcher';
import { MigrationWorker } from './migration-worker';

export const PG_BOSS_OPTIONS = 'PG_BOSS_OPTIONS';

export interface PgBossOptions {
  connectionString: string;
  /** pg-boss keeps its jobs in its own schema of the mirror's database. */
  schema: string;
  /** Work batches in this process too (every gateway and `migrator worker` does). */
  work: boolean;
  /** Batches this process works at once. */
  localConcurrency: number;
}

const QUEUE = 'customer-migration';
/** How soon after a failure pg-boss is asked again whether the database is back (see `outage`). */
const PROBE_AFTER_FAILURE_MS = 2_000;

interface BatchJob {
  runId: string;
  references: string[];
}

/**
 * Scale-out past one machine (https://github.com/timgit/pg-boss): each batch is a pg-boss job, so
 * any number of worker processes on one PostgreSQL share a run. A worker killed mid-batch stops
 * heart-beating; pg-boss then hands its batch to another worker, which skips the customers already
 * finished and redoes the rest idempotently.
 */
@Injectable()
export class PgBossDispatcher extends MigrationDispatcher implements OnModuleInit, OnModuleDestroy {
  readonly shared = true;
  private readonly logger = new Logger('MigrationDispatcher');
  private boss: PgBoss | undefined;
  /**
   * pg-boss reports every failed poll and maintenance query: during a database outage that is one
   * warning when it starts and one line when it ends, not one a poll. pg-boss announces no
   * success, so the end is a query of ours that worked again (a dispatch, a batch, or the probe
   * after each failure).
   */
  private readonly outage: OutageReporter;
  private probe: NodeJS.Timeout | undefined;
  private lastFailureAt = 0;

  constructor(
    @Inject(PG_BOSS_OPTIONS) private readonly options: PgBossOptions,
    private readonly worker: MigrationWorker,
    @Optional() outages?: OutageReporters,
  ) {
    super();
    this.outage = (outages ?? NO_OUTAGE_REPORTS).for('MigrationDispatcher');
  }

  async onModuleInit(): Promise<void> {
    // Loaded only here: a gateway on the in-process queue (the embedded default) never needs it,
    // and loading it cost every start.
    const { PgBoss } = await import('pg-boss');
    const boss = new PgBoss({ connectionString: this.options.connectionString, schema: this.options.schema });
    this.boss = boss;
    // Connection blips are retried by pg-boss itself; they are reported, not thrown.
    boss.on('error', (error: Error) => {
      if (!this.outage.failed(error)) this.logger.warn({ error: error.name }, 'pg-boss error');
      else {
        this.lastFailureAt = Date.now();
        this.probeAfterFailure(boss);
      }
    });
    await boss.start();
    await boss.createQueue(QUEUE, {
      // A batch is retried when its worker stops heart-beating (killed) or the batch throws.
      heartbeatSeconds: 10,
      expireInSeconds: 3_600,
      retryLimit: 10,
      retryDelay: 1,
      deleteAfterSeconds: 24 * 3_600,
    });
    if (!this.options.work) return;
    await boss.work<BatchJob>(
      QUEUE,
      { localConcurrency: this.options.localConcurrency, batchSize: 1, pollingIntervalSeconds: 0.5 },
      async (jobs) => {
        this.outage.succeeded();
        for (const job of jobs) await this.worker.processBatch(job.data.runId, job.data.references);
      },
    );
  }

  /** Asks pg-boss something cheap a little after a failure, so the outage's end is seen. */
  private probeAfterFailure(boss: PgBoss): void {
    if (this.probe !== undefined) return;
    this.probe = setTimeout(() => {
      this.probe = undefined;
      boss.getQueue(QUEUE).then(
        () => {
          this.outage.succeeded();
          // A failure since the last probe may have kept that success from counting: ask again.
          if (Date.now() - this.lastFailureAt < PROBE_AFTER_FAILURE_MS) this.probeAfterFailure(boss);
        },
        (error: unknown) => {
          if (this.outage.failed(error)) this.probeAfterFailure(boss);
        },
      );
    }, PROBE_AFTER_FAILURE_MS);
    this.probe.unref();
  }

  async onModuleDestroy(): Promise<void> {
    clearTimeout(this.probe);
    // In-flight batches finish; the rest wait in PostgreSQL for the next worker.
    await this.boss?.stop({ graceful: true, timeout: 15_000 });
  }

  async dispatch(run: JobRun, references: string[]): Promise<void> {
    // Started in onModuleInit, before anything can dispatch.
    await this.boss!.send(QUEUE, { runId: run.id, references } satisfies BatchJob);
    this.outage.succeeded();
  }

  idle(): Promise<void> {
    return Promise.resolve();
  }
}
