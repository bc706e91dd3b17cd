import { type ProviderTarget } from '@app/customer-domain';

/** How the source's customers are found: its list API, the mirror's links to it, or given references. */
export const SOURCE_KINDS = ['list', 'mirror', 'references'] as const;
export type SourceKind = (typeof SOURCE_KINDS)[number];

/** What cutover does to the source copy once the target holds the customer. */
export const SOURCE_ACTIONS = ['keep', 'disable', 'forget'] as const;
export type SourceAction = (typeof SOURCE_ACTIONS)[number];

export const MIGRATION_OUTCOMES = ['migrated', 'already_present', 'skipped', 'failed'] as const;
export type MigrationOutcome = (typeof MIGRATION_OUTCOMES)[number];

export const MIGRATION_STATUSES = ['running', 'cancelled', 'completed'] as const;
export type MigrationStatus = (typeof MIGRATION_STATUSES)[number];

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
}

export interface OutcomeReason {
  code: string;
  message: string;
  /** Whether resuming the run tries the customer again. */
  retryable: boolean;
}

/** How one source customer ended. */
export interface ItemResult {
  outcome: MigrationOutcome;
  reason?: OutcomeReason;
  /** Canonical fields the customer has that the target cannot hold. */
  lossyFields: string[];
  customerId?: string;
  targetReference?: string;
}

export interface MigrationItem extends Partial<ItemResult> {
  seq: number;
  sourceReference: string;
  attempts: number;
  worker?: string;
  finishedAt?: Date;
}

export type MigrationCounts = Record<MigrationOutcome | 'pending' | 'total', number>;

export interface MigrationRun {
  id: string;
  status: MigrationStatus;
  spec: MigrationSpec;
  /** Where enumerating the source stopped. */
  cursor?: string;
  enumerated: boolean;
  createdAt: Date;
  updatedAt: Date;
  finishedAt?: Date;
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
