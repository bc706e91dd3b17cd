import { type ReasonCode } from './errors';
import { type ProviderTarget } from './provider-accounts';

/** How the source's customers are found: its list API, the mirror's links to it, or given references. */
export const SOURCE_KINDS = ['list', 'mirror', 'references'] as const;
export type SourceKind = (typeof SOURCE_KINDS)[number];

/** What cutover does to the source copy once the target holds the customer. */
export const SOURCE_ACTIONS = ['keep', 'disable', 'forget'] as const;
export type SourceAction = (typeof SOURCE_ACTIONS)[number];

export const MIGRATION_OUTCOMES = ['migrated', 'already_present', 'skipped', 'failed'] as const;
export type MigrationOutcome = (typeof MIGRATION_OUTCOMES)[number];

/** How one customer of a whole-base reconciliation ended. */
export const RECONCILIATION_OUTCOMES = ['in_sync', 'drifted', 'repaired', 'failed'] as const;
export type ReconciliationOutcome = (typeof RECONCILIATION_OUTCOMES)[number];

export type ItemOutcome = MigrationOutcome | ReconciliationOutcome;

/** What a run does to each of its customers; both kinds share the run, item and checkpoint engine. */
export const RUN_KINDS = ['migration', 'reconciliation'] as const;
export type RunKind = (typeof RUN_KINDS)[number];

/** The outcomes of each kind of run, in the order the API lists them. */
export const OUTCOMES_OF: { readonly [K in RunKind]: readonly ItemOutcome[] } = {
  migration: MIGRATION_OUTCOMES,
  reconciliation: RECONCILIATION_OUTCOMES,
};

/**
 * `interrupted`: the process driving the run was stopped (Ctrl-C, SIGTERM) or is gone (its
 * heartbeat is stale); nothing more happens until it is resumed (`RunProgress.resume` says how).
 */
export const MIGRATION_STATUSES = ['running', 'cancelled', 'completed', 'interrupted'] as const;
export type MigrationStatus = (typeof MIGRATION_STATUSES)[number];

/** How a stopped run is resumed: the API endpoint, and the CLI command where there is one. */
export interface ResumeHint {
  endpoint: string;
  command?: string;
}

export interface MigrationSource extends ProviderTarget {
  kind: SourceKind;
  /** `references`: a file of one reference per line (the CLI)... */
  file?: string;
  /** ...or the references themselves (the API). 2Checkout has no list API, so it needs one of them. */
  references?: string[];
}

export interface Cutover {
  /** Mark the target link as the customer's system of record. */
  primary: boolean;
  /** `disable` the source copy (and stop syncing it), `forget` it there (GDPR erasure), or `keep` it. */
  source: SourceAction;
}

export interface MigrationSpec {
  source: MigrationSource;
  target: ProviderTarget;
  /** Absent: no cutover, the customer stays synced to both. */
  cutover?: Cutover;
  /** Customers in flight at once, per worker process. */
  concurrency: number;
  /** Share of each provider account's request limit left to the live API (0 to 0.9). */
  liveShare: number;
  /** Customers per unit of work handed to a worker. */
  batchSize: number;
  /** Started although another run over the same source and target was running. */
  force?: boolean;
}

/**
 * Who started a reconciliation: a caller (`api`, the CLI), or the scheduled `sweep` that reads the
 * copies at providers announcing no changes (2Checkout) and resolves what differs by the conflict
 * policy (ProviderChanges) instead of pushing everything.
 */
export const RECONCILIATION_TRIGGERS = ['api', 'sweep'] as const;
export type ReconciliationTrigger = (typeof RECONCILIATION_TRIGGERS)[number];

/** A whole-base reconciliation: every customer linked to a provider, compared (and repaired). */
export interface ReconciliationSpec {
  /** Absent on runs recorded before sweeps existed: `api`. */
  trigger?: ReconciliationTrigger;
  /** Push the mirror to every provider copy that drifted; otherwise only report. */
  repair: boolean;
  concurrency: number;
  liveShare: number;
  batchSize: number;
}

export interface OutcomeReason {
  code: ReasonCode;
  message: string;
  /** Whether resuming the run tries the customer again. */
  retryable: boolean;
  /** The field the provider (or the canonical validation) named, when it did. */
  field?: string;
}

/** One provider copy of a customer that differs from the mirror. */
export interface ProviderDrift {
  provider: string;
  account: string;
  reference: string;
  /** `missing`: the provider no longer holds the customer. */
  state: 'drifted' | 'missing';
  /** The canonical fields that differ (their values are not kept: they are personal data). */
  fields: string[];
}

/** How one source customer ended. */
export interface ItemResult {
  outcome: ItemOutcome;
  reason?: OutcomeReason;
  /** Canonical fields the customer has that the target cannot hold, or holds only in part. */
  lossyFields: string[];
  customerId?: string;
  targetReference?: string;
  /** Reconciliation: the copies found drifted (before any repair). */
  drift?: ProviderDrift[];
}

export interface MigrationItem extends Partial<ItemResult> {
  seq: number;
  sourceReference: string;
  attempts: number;
  worker?: string;
  finishedAt?: Date;
}

export type RunCounts = Record<ItemOutcome | 'pending' | 'total', number>;
export type MigrationCounts = Record<MigrationOutcome | 'pending' | 'total', number>;
export type ReconciliationCounts = Record<ReconciliationOutcome | 'pending' | 'total', number>;

interface RunState {
  id: string;
  status: MigrationStatus;
  /** Where enumerating the source stopped. */
  cursor?: string;
  enumerated: boolean;
  createdAt: Date;
  updatedAt: Date;
  finishedAt?: Date;
}

export interface MigrationRun extends RunState {
  kind: 'migration';
  spec: MigrationSpec;
}

export interface ReconciliationRun extends RunState {
  kind: 'reconciliation';
  spec: ReconciliationSpec;
}

export type JobRun = MigrationRun | ReconciliationRun;

/** A page of runs, newest first, as every list of the API pages. */
export interface RunPage<R extends JobRun = JobRun> {
  data: R[];
  hasMore: boolean;
}

export interface RunPageQuery {
  limit: number;
  /** A run id: the runs started before it (the next page). */
  startingAfter?: string;
  /** A run id: the runs started after it (the previous page); wins over `startingAfter`. */
  endingBefore?: string;
}

/** One customer of a dry run: what the run would send, and what the target would lose. */
export interface PlannedItem {
  sourceReference: string;
  action: 'migrate' | 'already_present' | 'skip';
  reason?: OutcomeReason;
  targetReference?: string;
  lossyFields: string[];
  /** The target's create payload (no secrets; adapters redact them). */
  payload?: unknown;
}

export interface MigrationPlan {
  counts: Record<PlannedItem['action'] | 'total', number>;
  lossyFields: Record<string, number>;
}
