import { randomBytes } from 'node:crypto';

import { Injectable } from '@nestjs/common';
import {
  type CallContext,
  DomainError,
  type FieldError,
  JOB_ACTORS,
  jobContext,
  type MigrationPlan,
  type MigrationRun,
  type MigrationSpec,
  MigrationStore,
  type PlannedItem,
  ProviderAccounts,
} from '@app/domain';
import pLimit from 'p-limit';

import { CustomerMigrator } from './customer-migrator';
import { RunEngine } from './run-engine';
import { RunService } from './run-service';
import { RunSources } from './run-sources';

/** The key of which at most one migration runs at a time: its source and target accounts. */
const migrationPairKey = ({ source, target }: Pick<MigrationSpec, 'source' | 'target'>) =>
  `migration:${source.provider}/${source.account}->${target.provider}/${target.account}`;

/**
 * Migrations: validates and records a run, which the shared job engine (`RunEngine`) enumerates
 * into checkpointed items, dispatches to workers and completes once every customer has an outcome.
 * The same service drives runs for the CLI (`apps/migrator`) and for `POST /v1/migrations`.
 */
/** A dry run's reads: made for the migration, never audited. */
const PREVIEW = jobContext(JOB_ACTORS.migration);

@Injectable()
export class MigrationService extends RunService<'migration'> {
  constructor(
    private readonly store: MigrationStore,
    engine: RunEngine,
    private readonly sources: RunSources,
    private readonly migrator: CustomerMigrator,
    private readonly accounts: ProviderAccounts,
  ) {
    super(engine, 'migration');
  }

  protected alreadyRunning(runningId: string, run: MigrationRun): DomainError {
    return alreadyRunning(runningId, run.spec);
  }

  /** Refuses a run that could not work, before anything is written or called. */
  validate(spec: MigrationSpec): void {
    const problems: FieldError[] = [];
    const problem = (field: string, code: string, message: string) => problems.push({ field, code, message });
    const account = (field: 'source' | 'target') => {
      const { provider, account } = spec[field];
      try {
        return this.accounts.get(provider, account);
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
    if (
      spec.source.kind !== 'references' &&
      (spec.source.references !== undefined || spec.source.file !== undefined)
    ) {
      problem('source.references', 'not_allowed', 'Only a `references` source takes references.');
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

  /**
   * Records a new run (and any references given with it); `drive` then runs it. Refused with
   * `migration_already_running` while another run over the same source and target is running,
   * unless `spec.force`.
   */
  async start(context: CallContext, spec: MigrationSpec): Promise<MigrationRun> {
    this.validate(spec);
    const { references, ...source } = spec.source;
    const id = `mig_${randomBytes(10).toString('hex')}`;
    const claimed = await this.store.createRun(context, {
      id,
      kind: 'migration',
      spec: { ...spec, source },
      exclusiveKey: migrationPairKey(spec),
      force: spec.force === true,
      ...(references !== undefined ? { references } : {}),
    });
    if ('runningId' in claimed) throw alreadyRunning(claimed.runningId, spec);
    return this.get(claimed.run.id);
  }

  /**
   * Runs the run to its end in this process (see `RunEngine.drive`). Resolves with the run as it
   * ended: completed, cancelled, or still running when customers stayed pending.
   */
  async drive(runId: string): Promise<MigrationRun> {
    await this.engine.drive(runId);
    return this.get(runId);
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
      kind: 'migration',
      status: 'running',
      spec,
      enumerated: false,
      createdAt: new Date(),
      updatedAt: new Date(),
    };
    const limit = pLimit(spec.concurrency);
    for await (const page of this.sources.migrationSource(run, { audit: false })) {
      const items = await Promise.all(
        page.references.map((reference) =>
          limit(() => this.migrator.plan(PREVIEW, run, reference, page.prefetched?.get(reference))),
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
}

function alreadyRunning(runningId: string, { source, target }: MigrationSpec): DomainError {
  return new DomainError(
    'migration_already_running',
    `Migration ${runningId} from ${source.provider}/${source.account} to ${target.provider}/${target.account} is running; cancel it, wait for it, or start with force: true.`,
    [{ field: 'source', code: 'migration_already_running', message: `${runningId} is running.` }],
  );
}
