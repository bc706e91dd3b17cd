import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';

import { Injectable, Logger } from '@nestjs/common';
import {
  crashPoint,
  DomainError,
  type FieldError,
  ProviderRegistry,
  type RemoteCustomer,
  runDetachedFromRequest,
  SyncQueue,
  withCallAudit,
} from '@app/customer-domain';
import pLimit from 'p-limit';

import { CustomerMigrator } from './customer-migrator';
import {
  type MigrationCounts,
  type MigrationItem,
  type MigrationPlan,
  type MigrationRun,
  type MigrationSpec,
  type PlannedItem,
} from './migration';
import { MigrationDispatcher } from './migration-dispatcher';
import { MigrationStore } from './migration.store';

export interface MigrationProgress {
  run: MigrationRun;
  counts: MigrationCounts;
  /** How many customers lose each field at the target. */
  lossyFields: Record<string, number>;
  /** Customers finished per second over the last half minute. */
  ratePerSecond: number;
  /** Seconds left at that rate, once the whole source is enumerated and something moves. */
  etaSeconds?: number;
}

/** The window the API's rate and ETA are measured over. */
const RATE_WINDOW_MS = 30_000;

/** One page of the source, with the cursor that resumes after it. */
interface SourcePage {
  references: string[];
  /** The customers as the enumeration read them (the list API answers whole customers). */
  prefetched?: Map<string, RemoteCustomer>;
  cursor?: string;
  last: boolean;
}

/** A run being driven in this process; `again` asks it to go round once more before it ends. */
interface Drive {
  again: boolean;
  done: Promise<MigrationRun>;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** In-process sweeps over customers left pending by failed batches before the run is left to resume. */
const MAX_SWEEPS = 3;

/**
 * Runs migrations: validates and records a run, enumerates its source into checkpointed items,
 * dispatches them to workers, and completes the run once every customer has an outcome. The same
 * service drives runs for the CLI (`apps/migrator`) and for `POST /v1/migrations`.
 */
@Injectable()
export class MigrationService {
  private readonly logger = new Logger('Migrations');
  private readonly driving = new Map<string, Drive>();

  constructor(
    private readonly store: MigrationStore,
    private readonly migrator: CustomerMigrator,
    private readonly registry: ProviderRegistry,
    private readonly dispatcher: MigrationDispatcher,
    private readonly queue: SyncQueue,
  ) {}

  /** Refuses a run that could not work, before anything is written or called. */
  validate(spec: MigrationSpec): void {
    const problems: FieldError[] = [];
    const problem = (field: string, code: string, message: string) => problems.push({ field, code, message });
    const account = (field: 'source' | 'target') => {
      const { provider, account } = spec[field];
      try {
        return this.registry.get(provider, account);
      } catch {
        problem(`${field}.account`, 'unknown_account', `No account ${provider}/${account} is configured.`);
        return undefined;
      }
    };
    const source = account('source');
    const target = account('target');
    if (source && target && source === target) {
      problem('target', 'same_as_source', 'The target must be another provider account than the source.');
    }
    if (source && spec.source.kind === 'list' && source.capabilities.operations.list.support === 'none') {
      problem(
        'source.kind',
        'unsupported_by_provider',
        `${source.provider} has no list API: give a file of references, or migrate from the mirror.`,
      );
    }
    if (
      spec.source.kind === 'references' &&
      spec.source.file === undefined &&
      spec.source.references === undefined
    ) {
      problem(
        'source.references',
        'required',
        'A `references` source needs the references or a file of them.',
      );
    }
    const action = spec.cutover?.source;
    if (source && action === 'disable' && source.capabilities.fields.enabled.support === 'none') {
      problem(
        'cutover.source',
        'unsupported_by_provider',
        `${source.provider} cannot hold a disabled customer.`,
      );
    }
    if (source && action === 'forget' && source.capabilities.operations.forget.support === 'none') {
      problem('cutover.source', 'unsupported_by_provider', `${source.provider} cannot forget a customer.`);
    }
    if (!(spec.concurrency >= 1 && spec.concurrency <= 64))
      problem('concurrency', 'out_of_range', 'Between 1 and 64.');
    if (!(spec.liveShare >= 0 && spec.liveShare <= 0.9))
      problem('liveShare', 'out_of_range', 'Between 0 and 0.9.');
    if (!(spec.batchSize >= 1 && spec.batchSize <= 100))
      problem('batchSize', 'out_of_range', 'Between 1 and 100.');
    if (problems.length > 0)
      throw new DomainError('validation_failed', 'The migration cannot run as asked.', problems);
  }

  /** Records a new run (and any references given with it); `drive` then runs it. */
  async start(spec: MigrationSpec): Promise<MigrationRun> {
    this.validate(spec);
    const { references, ...source } = spec.source;
    const run = await this.store.createRun(
      `mig_${randomBytes(10).toString('hex')}`,
      { ...spec, source },
      references,
    );
    await crashPoint('after-commit');
    return run;
  }

  /**
   * Runs the run to its end in this process: customers left pending by an earlier attempt first,
   * then the rest of the source from its checkpoint. Resolves with the run as it ended (completed,
   * cancelled, or still running when customers stayed pending). Driving a completed run does nothing.
   */
  drive(runId: string): Promise<MigrationRun> {
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

  private async driveUntilSettled(runId: string, drive: Drive): Promise<MigrationRun> {
    try {
      for (;;) {
        drive.again = false;
        const run = await this.driveOnce(runId);
        // Checked here and deleted in `finally` with no await between: no later drive() is lost.
        if (!drive.again) return run;
      }
    } finally {
      this.driving.delete(runId);
    }
  }

  /** For the API: drives the run without holding the request; failures are logged, the run resumable. */
  driveInBackground(runId: string): void {
    runDetachedFromRequest(() => this.drive(runId)).catch((error: unknown) =>
      this.logger.error({ run: runId, error: (error as Error).name }, 'migration stopped; resume it'),
    );
  }

  /**
   * At start-up of an in-process host (the embedded gateway): runs it was driving when it stopped
   * carry on. With pg-boss several processes could claim that role, so there runs are resumed
   * explicitly (`POST /v1/migrations/{id}/resume`, `migrator run --resume`).
   */
  async resumeInterrupted(): Promise<void> {
    if (this.dispatcher.shared) return;
    for (const run of await this.store.listRuns(100)) {
      if (run.status === 'running') this.driveInBackground(run.id);
    }
  }

  async cancel(runId: string): Promise<MigrationRun> {
    const run = await this.get(runId);
    if (run.status === 'running') await this.store.setStatus(runId, 'cancelled');
    return this.get(runId);
  }

  /**
   * Puts a cancelled or interrupted run back to running, and a completed one whose failures may
   * pass; driving it then retries those failures. A completed run without any stays as it is.
   */
  async resume(runId: string): Promise<MigrationRun> {
    const run = await this.get(runId);
    if (run.status === 'completed') await this.store.reopenForRetry(runId);
    else await this.store.setStatus(runId, 'running');
    return this.get(runId);
  }

  async get(runId: string): Promise<MigrationRun> {
    const run = await this.store.findRun(runId);
    if (run === undefined) throw new DomainError('migration_not_found', `No migration with id "${runId}".`);
    return run;
  }

  async progress(runId: string): Promise<MigrationProgress> {
    const run = await this.get(runId);
    const [counts, lossyFields, recent] = await Promise.all([
      this.store.counts(runId),
      this.store.lossyFields(runId),
      run.status === 'running' ? this.store.finishedSince(runId, RATE_WINDOW_MS) : 0,
    ]);
    const ratePerSecond = Math.round((recent * 10_000) / RATE_WINDOW_MS) / 10;
    const eta = run.enumerated && ratePerSecond > 0 ? Math.ceil(counts.pending / ratePerSecond) : undefined;
    return { run, counts, lossyFields, ratePerSecond, ...(eta !== undefined ? { etaSeconds: eta } : {}) };
  }

  list(limit: number): Promise<MigrationRun[]> {
    return this.store.listRuns(limit);
  }

  /** Customers of the run in enumeration order after `after` (a `seq`). */
  async itemPage(runId: string, after: number, limit: number): Promise<MigrationItem[]> {
    await this.get(runId);
    return this.store.items(runId, after, limit);
  }

  /** Every customer's outcome in enumeration order, read a page at a time (memory stays flat). */
  async *items(runId: string): AsyncGenerator<MigrationItem> {
    for (let after = 0; ;) {
      const page = await this.itemPage(runId, after, 1_000);
      yield* page;
      if (page.length < 1_000) return;
      after = page.at(-1)!.seq;
    }
  }

  /**
   * The dry run: enumerates the source and plans every customer, with reads only. Nothing is
   * written, not even the run or the audit trail of those reads.
   */
  async plan(spec: MigrationSpec, onItem: (item: PlannedItem) => void): Promise<MigrationPlan> {
    this.validate(spec);
    const plan: MigrationPlan = {
      counts: { total: 0, migrate: 0, already_present: 0, skip: 0 },
      lossyFields: {},
    };
    const run: MigrationRun = {
      id: 'dry-run',
      status: 'running',
      spec,
      enumerated: false,
      createdAt: new Date(),
      updatedAt: new Date(),
    };
    const limit = pLimit(spec.concurrency);
    for await (const page of this.sourcePages(run, { audit: false })) {
      const items = await Promise.all(
        page.references.map((reference) =>
          limit(() => this.migrator.plan(run, reference, page.prefetched?.get(reference))),
        ),
      );
      for (const item of items) {
        plan.counts.total++;
        plan.counts[item.action]++;
        for (const field of item.lossyFields) plan.lossyFields[field] = (plan.lossyFields[field] ?? 0) + 1;
        onItem(item);
      }
    }
    return plan;
  }

  private async driveOnce(runId: string): Promise<MigrationRun> {
    let run = await this.get(runId);
    if (run.status !== 'running') return run;
    await this.store.requeueRetryable(run.id);
    await this.sweep(run);
    if (!run.enumerated) {
      for await (const page of this.sourcePages(run, { audit: true })) {
        if ((await this.store.findRun(run.id))?.status !== 'running') break;
        const fresh = await this.store.recordPage(run.id, page.references, page.cursor, page.last);
        if (fresh.length > 0) await this.dispatcher.dispatch(run, fresh, page.prefetched);
      }
    }
    await this.dispatcher.idle();
    for (let sweeps = 0; !(await this.store.completeIfDone(run.id));) {
      run = await this.get(run.id);
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
    return this.get(run.id);
  }

  /** Dispatches the customers recorded but still without an outcome. */
  private async sweep(run: MigrationRun): Promise<void> {
    for (let after = 0; ;) {
      const pending = await this.store.pendingItems(run.id, after, run.spec.batchSize);
      if (pending.length === 0) return;
      await this.dispatcher.dispatch(
        run,
        pending.map((item) => item.sourceReference),
      );
      after = pending.at(-1)!.seq;
    }
  }

  /** The source, a page at a time from the run's checkpoint. */
  private async *sourcePages(run: MigrationRun, options: { audit: boolean }): AsyncGenerator<SourcePage> {
    const { source, batchSize } = run.spec;
    switch (source.kind) {
      case 'list': {
        const provider = this.registry.get(source.provider, source.account);
        for (let cursor = run.cursor; ;) {
          const list = () =>
            provider.list({ limit: batchSize, ...(cursor !== undefined ? { startingAfter: cursor } : {}) });
          let page;
          if (options.audit) {
            const audited = await withCallAudit({ operation: 'migrate' }, list);
            await this.queue.recordCalls(undefined, 'migrate', audited.calls);
            if (audited.error !== undefined) throw audited.error as Error;
            page = audited.result!;
          } else {
            page = await list();
          }
          cursor = page.items.at(-1)?.reference ?? cursor;
          yield {
            references: page.items.map((item) => item.reference),
            prefetched: new Map(page.items.map((item) => [item.reference, item])),
            ...(cursor !== undefined ? { cursor } : {}),
            last: !page.hasMore,
          };
          if (!page.hasMore) return;
        }
      }
      case 'mirror':
        for (let cursor = run.cursor; ;) {
          const references = await this.store.linkedReferences(
            source.provider,
            source.account,
            cursor,
            batchSize,
          );
          cursor = references.at(-1) ?? cursor;
          const last = references.length < batchSize;
          yield { references, ...(cursor !== undefined ? { cursor } : {}), last };
          if (last) return;
        }
      case 'references': {
        if (source.references !== undefined) {
          yield { references: source.references, last: true };
          return;
        }
        yield* referencesFromFile(source.file!, Number(run.cursor ?? 0), batchSize);
      }
    }
  }
}

/** A file of references, one per line (blank lines and `#` comments ignored); the cursor counts lines. */
async function* referencesFromFile(
  path: string,
  skipLines: number,
  batchSize: number,
): AsyncGenerator<SourcePage> {
  const lines = createInterface({ input: createReadStream(path, 'utf8'), crlfDelay: Infinity });
  let line = 0;
  let references: string[] = [];
  for await (const text of lines) {
    line++;
    if (line <= skipLines) continue;
    const reference = text.trim();
    if (reference !== '' && !reference.startsWith('#')) references.push(reference);
    if (references.length >= batchSize) {
      yield { references, cursor: String(line), last: false };
      references = [];
    }
  }
  yield { references, cursor: String(line), last: true };
}
