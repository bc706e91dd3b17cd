import { type CallContext } from './call-context';
import {
  type ItemOutcome,
  type ItemResult,
  type JobRun,
  type MigrationItem,
  type MigrationSpec,
  type ReconciliationSpec,
  type RunCounts,
  type RunKind,
  type RunPage,
  type RunPageQuery,
} from './migration';

/** A run to record: its kind and spec, and the key of which at most one run may be running. */
export type NewRun = (
  { kind: 'migration'; spec: MigrationSpec } | { kind: 'reconciliation'; spec: ReconciliationSpec }
) & {
  id: string;
  exclusiveKey: string;
  force: boolean;
  /** The source references a run is limited to, recorded in the run's own transaction. */
  references?: readonly string[];
};

/** How often the process driving a run writes its heartbeat. */
export const RUN_HEARTBEAT_MS = 5_000;
/** A running run without a heartbeat for this long has lost its process: it reads `interrupted`. */
export const RUN_HEARTBEAT_STALE_MS = 30_000;

/** A start or resume either happened, or another run holding the same key is running. */
export type Claimed<T> = { run: T } | { runningId: string };

/**
 * Where runs and their checkpoints live (the mirror's database). The items are the checkpoint: a
 * source customer is recorded together with the enumeration cursor after it, and an item without
 * an outcome is still to do, so a run killed at any moment resumes exactly where it was.
 */
export abstract class MigrationStore {
  /**
   * Records a running run, unless (without `force`) another run with its exclusive key is
   * running. Checked and written under a lock on the key, so concurrent starts in any number of
   * processes cannot both pass; written together with an idempotent request's recovery point, so
   * a retry after a crash answers this run rather than starting a second one.
   */
  /** `context` is the caller's: its Idempotency-Key, if it holds one, records the run as its write. */
  abstract createRun(context: CallContext, run: NewRun): Promise<Claimed<JobRun>>;
  abstract findRun(id: string): Promise<JobRun | undefined>;
  /** Newest first, paged like every list of the API. */
  abstract listRuns(kind: RunKind, query: RunPageQuery): Promise<RunPage>;
  /** Every run still marked running (an in-process host resumes them at start-up). */
  abstract runningRunIds(): Promise<string[]>;
  abstract cancelRun(id: string): Promise<void>;
  /** A running run whose driving process is stopping: it reads `interrupted` until resumed. */
  abstract interruptRun(id: string): Promise<void>;
  /**
   * The driving process is alive: written every few seconds while it drives a running run. A
   * running run whose heartbeat is older than `RUN_HEARTBEAT_STALE_MS` reads as `interrupted`.
   */
  abstract heartbeat(id: string): Promise<void>;
  /**
   * Puts a cancelled (or interrupted) run back to running, and a completed one whose failures may
   * pass; a completed run without any stays as it is. Refused, like a start, while another run
   * with the same exclusive key is running (unless the run was started with `force`).
   */
  abstract resumeRun(id: string): Promise<Claimed<JobRun>>;

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

  /** Which of these references still have no outcome. */
  abstract pendingAmong(runId: string, references: readonly string[]): Promise<string[]>;
  abstract finishItem(runId: string, reference: string, result: ItemResult, worker: string): Promise<void>;
  /** Gives failed customers whose reason is retryable another go; resolves how many. */
  abstract requeueRetryable(runId: string): Promise<number>;
  /** Marks the run completed when it is running, enumerated and has nothing pending. */
  abstract completeIfDone(runId: string): Promise<boolean>;

  abstract counts(runId: string): Promise<RunCounts>;
  /** How many customers of the run finished in the last `windowMs` (the current rate). */
  abstract finishedSince(runId: string, windowMs: number): Promise<number>;
  /** How many customers lose each field at the target. */
  abstract lossyFields(runId: string): Promise<Record<string, number>>;
  /** How many customers of a reconciliation drifted in each field, at any provider. */
  abstract driftedFields(runId: string): Promise<Record<string, number>>;
  /** Items in enumeration order after `afterSeq`, a page at a time, optionally of one outcome. */
  abstract items(
    runId: string,
    afterSeq: number,
    limit: number,
    outcome?: ItemOutcome | 'pending',
  ): Promise<MigrationItem[]>;

  /** Ids of the mirror's customers linked to at least one provider, in order, after `after`. */
  abstract linkedCustomerIds(after: string | undefined, limit: number): Promise<string[]>;

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
   *
   * Hand-written rather than rate-limiter-flexible's RateLimiterPostgres: that answers whether a
   * request may go now, in fixed windows; a migration worker needs when its slot is (it waits for
   * it rather than being refused), spaced evenly across every process, and `pauseSlots` to push
   * the whole schedule back when the provider answers 429 — none of which the library offers.
   */
  abstract reserveSlots(key: string, intervalMs: number, count: number, burstMs: number): Promise<number>;
  /** Nothing on the schedule is sent for the next `ms` milliseconds. */
  abstract pauseSlots(key: string, ms: number): Promise<void>;
}
