import { type JobRun } from '@app/customer-domain';
import { Inject, Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
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

  constructor(
    @Inject(PG_BOSS_OPTIONS) private readonly options: PgBossOptions,
    private readonly worker: MigrationWorker,
  ) {
    super();
  }

  async onModuleInit(): Promise<void> {
    // Loaded only here: a gateway on the in-process queue (the embedded default) never needs it,
    // and loading it cost every start.
    const { PgBoss } = await import('pg-boss');
    const boss = new PgBoss({ connectionString: this.options.connectionString, schema: this.options.schema });
    this.boss = boss;
    // Connection blips are retried by pg-boss itself; they are reported, not thrown.
    boss.on('error', (error: Error) => this.logger.warn({ error: error.name }, 'pg-boss error'));
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
        for (const job of jobs) await this.worker.processBatch(job.data.runId, job.data.references);
      },
    );
  }

  async onModuleDestroy(): Promise<void> {
    // In-flight batches finish; the rest wait in PostgreSQL for the next worker.
    await this.boss?.stop({ graceful: true, timeout: 15_000 });
  }

  async dispatch(run: JobRun, references: string[]): Promise<void> {
    // Started in onModuleInit, before anything can dispatch.
    await this.boss!.send(QUEUE, { runId: run.id, references } satisfies BatchJob);
  }

  idle(): Promise<void> {
    return Promise.resolve();
  }
}
