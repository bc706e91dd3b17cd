import {
  type ItemResult,
  type MigrationCounts,
  type MigrationItem,
  type MigrationRun,
  type MigrationSpec,
  type MigrationStatus,
} from './migration';

/**
 * Where runs and their checkpoints live (the mirror's database). The items are the checkpoint: a
 * source customer is recorded together with the enumeration cursor after it, and an item without
 * an outcome is still to do, so a run killed at any moment resumes exactly where it was.
 */
export abstract class MigrationStore {
  /**
   * Records a new run, with the source references it is limited to (then already enumerated), in
   * one transaction: together with an idempotent request's recovery point, so a retry after a
   * crash answers this run rather than starting a second one.
   */
  abstract createRun(id: string, spec: MigrationSpec, references?: readonly string[]): Promise<MigrationRun>;
  abstract findRun(id: string): Promise<MigrationRun | undefined>;
  /** Newest first. */
  abstract listRuns(limit: number): Promise<MigrationRun[]>;
  abstract setStatus(id: string, status: Exclude<MigrationStatus, 'completed'>): Promise<void>;

  /**
   * Records one page of the source and the cursor after it in one transaction; references already
   * recorded are left alone. Resolves the newly recorded ones.
   */
  abstract recordPage(
    runId: string,
    references: readonly string[],
    cursor: string | undefined,
    last: boolean,
  ): Promise<string[]>;

  /** Items still without an outcome, in enumeration order after `afterSeq`. */
  abstract pendingItems(runId: string, afterSeq: number, limit: number): Promise<MigrationItem[]>;
  /** Which of these references still have no outcome. */
  abstract pendingAmong(runId: string, references: readonly string[]): Promise<string[]>;
  abstract finishItem(runId: string, reference: string, result: ItemResult, worker: string): Promise<void>;
  /** Gives failed customers whose reason is retryable another go; resolves how many. */
  abstract requeueRetryable(runId: string): Promise<number>;
  /** Puts a completed run back to running when it has failures that may pass; resolves whether it did. */
  abstract reopenForRetry(runId: string): Promise<boolean>;
  /** Marks the run completed when it is running, enumerated and has nothing pending. */
  abstract completeIfDone(runId: string): Promise<boolean>;

  abstract counts(runId: string): Promise<MigrationCounts>;
  /** How many customers of the run finished in the last `windowMs` (the current rate). */
  abstract finishedSince(runId: string, windowMs: number): Promise<number>;
  /** How many customers lose each field at the target. */
  abstract lossyFields(runId: string): Promise<Record<string, number>>;
  /** Every item in enumeration order, a page at a time (reports). */
  abstract items(runId: string, afterSeq: number, limit: number): Promise<MigrationItem[]>;

  /** The mirror's references at a provider account, in order, after `after` (the `mirror` source). */
  abstract linkedReferences(
    provider: string,
    account: string,
    after: string | undefined,
    limit: number,
  ): Promise<string[]>;

  /**
   * Takes the next `count` request slots, `intervalMs` apart, of a schedule shared by every process
   * (GCRA): resolves how many milliseconds from now the first slot is. `burstMs` is how far behind
   * the schedule may fall, so an idle account can absorb a short burst.
   */
  abstract reserveSlots(key: string, intervalMs: number, count: number, burstMs: number): Promise<number>;
  /** Nothing on the schedule is sent for the next `ms` milliseconds. */
  abstract pauseSlots(key: string, ms: number): Promise<void>;
}
