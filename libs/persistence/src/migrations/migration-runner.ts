import { randomUUID } from 'node:crypto';

import { DEFAULT_MIGRATIONS_DIR, type MigrationFile, readMigrations } from './migration-files';

/**
 * The one session the runner talks to. It must be a single connection, not a pool: the advisory
 * lock and each migration's transaction belong to the session that took them.
 */
export interface MigrationSession {
  query<Row extends object>(sql: string, params?: readonly unknown[]): Promise<Row[]>;
  /** Runs a script of several statements (a migration file) through the simple-query protocol. */
  exec(script: string): Promise<void>;
}

export interface MigrationRunOptions {
  migrationsDir?: string;
  /** Applies these instead of reading `migrationsDir`; tests use it to simulate an edited history. */
  migrations?: readonly MigrationFile[];
  /** Called once per migration just applied. */
  onApplied?: (name: string) => void;
}

export interface MigrationRunResult {
  /** Migrations this run applied, in order. */
  applied: string[];
  /** Migrations that were already applied before this run. */
  alreadyApplied: string[];
}

/** Thrown when the history in the database forbids applying anything, like Prisma's P3009. */
export class MigrationError extends Error {
  override readonly name = 'MigrationError';
}

/** Prisma's key for `pg_advisory_lock`, so this runner and `prisma migrate` also serialize each other. */
export const PRISMA_ADVISORY_LOCK_KEY = 72707369;

/** Prisma's own definition of its bookkeeping table (schema engine, PostgreSQL flavour). */
const CREATE_MIGRATIONS_TABLE = `CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
    "id"                    VARCHAR(36) PRIMARY KEY NOT NULL,
    "checksum"              VARCHAR(64) NOT NULL,
    "finished_at"           TIMESTAMPTZ,
    "migration_name"        VARCHAR(255) NOT NULL,
    "logs"                  TEXT,
    "rolled_back_at"        TIMESTAMPTZ,
    "started_at"            TIMESTAMPTZ NOT NULL DEFAULT now(),
    "applied_steps_count"   INTEGER NOT NULL DEFAULT 0
)`;

interface MigrationRow {
  id: string;
  checksum: string;
  migration_name: string;
  finished_at: Date | null;
  rolled_back_at: Date | null;
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Brings the database up to date with `prisma/migrations`, keeping `_prisma_migrations` exactly as
 * `prisma migrate deploy` does so either tool can take over from the other: one row per attempt,
 * the checksum of the file, `finished_at` set on success, `logs` kept on failure.
 *
 * Unlike Prisma, the script and the row that marks it finished commit in one transaction, so a crash
 * can never leave a schema change behind that the history does not know about.
 */
export async function runMigrations(
  session: MigrationSession,
  options: MigrationRunOptions = {},
): Promise<MigrationRunResult> {
  const migrations =
    options.migrations ?? (await readMigrations(options.migrationsDir ?? DEFAULT_MIGRATIONS_DIR));
  await session.query('SELECT pg_advisory_lock($1)', [PRISMA_ADVISORY_LOCK_KEY]);
  try {
    await session.exec(CREATE_MIGRATIONS_TABLE);
    const rows = await session.query<MigrationRow>(
      'SELECT id, checksum, migration_name, finished_at, rolled_back_at FROM "_prisma_migrations" ORDER BY started_at ASC',
    );
    const applied = assertHistoryUsable(rows, migrations);
    const result: MigrationRunResult = { applied: [], alreadyApplied: [] };
    for (const migration of migrations) {
      if (applied.has(migration.name)) {
        result.alreadyApplied.push(migration.name);
        continue;
      }
      await applyOne(session, migration);
      result.applied.push(migration.name);
      options.onApplied?.(migration.name);
    }
    return result;
  } finally {
    await session.query('SELECT pg_advisory_unlock($1)', [PRISMA_ADVISORY_LOCK_KEY]);
  }
}

/** The names of the migrations that count as applied; throws when Prisma would refuse to go on. */
function assertHistoryUsable(
  rows: readonly MigrationRow[],
  migrations: readonly MigrationFile[],
): Set<string> {
  const failed = rows.filter((row) => row.finished_at === null && row.rolled_back_at === null);
  if (failed.length > 0) {
    const names = failed.map((row) => `\`${row.migration_name}\``).join(', ');
    throw new MigrationError(
      `Migration ${names} failed earlier and must be resolved first (fix the database, then ` +
        '`prisma migrate resolve --rolled-back <name>` or `--applied <name>`); nothing was applied.',
    );
  }
  const byName = new Map(migrations.map((migration) => [migration.name, migration]));
  const applied = new Set<string>();
  for (const row of rows) {
    if (row.rolled_back_at !== null) continue;
    const migration = byName.get(row.migration_name);
    if (migration !== undefined && migration.checksum !== row.checksum) {
      throw new MigrationError(
        `Migration \`${row.migration_name}\` was modified after it was applied (checksum ${row.checksum} in the ` +
          `database, ${migration.checksum} on disk); add a new migration instead of editing an applied one.`,
      );
    }
    applied.add(row.migration_name);
  }
  return applied;
}

async function applyOne(session: MigrationSession, migration: MigrationFile): Promise<void> {
  const id = randomUUID();
  // The started row commits on its own, as Prisma's does, so a failure stays on record after the rollback.
  await session.query(
    'INSERT INTO "_prisma_migrations" (id, checksum, started_at, migration_name, applied_steps_count) VALUES ($1, $2, now(), $3, 0)',
    [id, migration.checksum, migration.name],
  );
  try {
    await session.exec('BEGIN');
    await session.exec(migration.script);
    await session.query(
      'UPDATE "_prisma_migrations" SET finished_at = now(), applied_steps_count = applied_steps_count + 1 WHERE id = $1',
      [id],
    );
    await session.exec('COMMIT');
  } catch (error) {
    await session.exec('ROLLBACK');
    const logs = `Migration \`${migration.name}\` failed to apply: ${errorMessage(error)}`;
    await session.query('UPDATE "_prisma_migrations" SET logs = $2 WHERE id = $1', [id, logs]);
    throw new MigrationError(logs);
  }
}
