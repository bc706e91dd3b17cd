import { Logger } from '@nestjs/common';

/**
 * Checkpoints for the embedded PGlite, which has no checkpointer of its own.
 *
 * PGlite runs PostgreSQL as one process inside Node (https://pglite.dev/docs/about): there is no
 * background checkpointer, so nothing ever checkpoints by time (`checkpoint_timeout` is the
 * checkpointer's), the WAL grows for as long as the database is written, and every start replays
 * all of it. Worse, once the WAL written since the last checkpoint's redo point reaches the part of
 * `max_wal_size` at which PostgreSQL asks for a checkpoint (max_wal_size / (1 +
 * checkpoint_completion_target): about 540 MB at the defaults,
 * https://www.postgresql.org/docs/15/wal-configuration.html), the statement writing it never
 * returns, spinning a full core. Measured here: seeding the embedded mirror past about 70,000
 * customers hung in the middle of an INSERT, and with `max_wal_size=32MB` the second 4 MB insert
 * did; with a CHECKPOINT between the steps, 100,000 customers seed in 30 s.
 *
 * So the embedded database checkpoints itself: every `everyMs`, when more than `afterBytes` of
 * WAL were written since the last redo point, it runs CHECKPOINT (tens of milliseconds here).
 * `max_wal_size` is raised as well (PGLITE_MAX_WAL_SIZE), so the point where PostgreSQL would
 * ask stays far beyond what the gateway writes between two looks.
 */
export interface PgliteCheckpointOptions {
  /** How often the WAL is looked at; 0 turns the checkpoints off. */
  everyMs: number;
  /** WAL since the last redo point beyond which a checkpoint is taken. */
  afterBytes: number;
}

export const PGLITE_CHECKPOINTS: PgliteCheckpointOptions = { everyMs: 10_000, afterBytes: 64 * 1024 * 1024 };
/** Only the point where PostgreSQL would ask for a checkpoint; the WAL kept on disk follows min_wal_size. */
export const PGLITE_MAX_WAL_SIZE = '8GB';

/** How far the WAL has run since the last checkpoint's redo point, in bytes. */
export const WAL_SINCE_CHECKPOINT = `SELECT (pg_current_wal_insert_lsn() - redo_lsn)::float8 AS bytes FROM pg_control_checkpoint()`;

interface PgliteStatements {
  walSinceCheckpoint(): Promise<number>;
  checkpoint(): Promise<void>;
}

/** Starts the checkpoints; `stop` waits for one under way and takes no more. */
export function keepPgliteCheckpointed(
  statements: PgliteStatements,
  options: PgliteCheckpointOptions = PGLITE_CHECKPOINTS,
): { stop(): Promise<void> } {
  if (options.everyMs <= 0) return { stop: () => Promise.resolve() };
  const logger = new Logger('Database');
  let running: Promise<void> | undefined;
  let failing = false;
  const look = async () => {
    try {
      if ((await statements.walSinceCheckpoint()) > options.afterBytes) await statements.checkpoint();
      failing = false;
    } catch (error) {
      // Logged once per run of failures: the next look tries again.
      if (!failing) logger.warn({ error: (error as Error).message }, 'embedded database checkpoint failed');
      failing = true;
    }
  };
  const timer = setInterval(() => {
    running ??= look().finally(() => (running = undefined));
  }, options.everyMs).unref();
  return {
    stop: async () => {
      clearInterval(timer);
      await running;
    },
  };
}
