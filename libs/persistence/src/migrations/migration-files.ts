import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';

/** One `prisma/migrations/<name>/migration.sql`, as Prisma reads it. */
export interface MigrationFile {
  name: string;
  script: string;
  /** What Prisma stores in `_prisma_migrations.checksum`: the SHA-256 of the script, lowercase hex. */
  checksum: string;
}

export const MIGRATION_LOCK_FILE = 'migration_lock.toml';
export const MIGRATION_SCRIPT_FILE = 'migration.sql';

/**
 * The repository root, found by walking up from this file: the same code runs from `libs/` under
 * ts-jest/ts-node and from `dist/` after `nest build`, so a fixed relative path would break one of them.
 */
function findRepositoryRoot(): string {
  let directory = __dirname;
  while (!existsSync(join(directory, 'prisma', 'schema.prisma'))) {
    const parent = dirname(directory);
    if (parent === directory) throw new Error(`No prisma/schema.prisma above ${__dirname}`);
    directory = parent;
  }
  return directory;
}

export const repositoryRoot = findRepositoryRoot();

export const DEFAULT_MIGRATIONS_DIR = resolve(repositoryRoot, 'prisma', 'migrations');
export const DEFAULT_SCHEMA_PATH = resolve(repositoryRoot, 'prisma', 'schema.prisma');

export function migrationChecksum(script: string): string {
  return createHash('sha256').update(script, 'utf8').digest('hex');
}

/** The migrations in the order Prisma applies them: directory names sorted, each with its `migration.sql`. */
export async function readMigrations(
  migrationsDir: string = DEFAULT_MIGRATIONS_DIR,
): Promise<MigrationFile[]> {
  const entries = await readdir(migrationsDir, { withFileTypes: true }).catch(
    (error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return [];
      throw error;
    },
  );
  const names = entries
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort((a, b) => a.localeCompare(b));
  return Promise.all(
    names.map(async (name) => {
      const script = await readFile(join(migrationsDir, name, MIGRATION_SCRIPT_FILE), 'utf8');
      return { name, script, checksum: migrationChecksum(script) };
    }),
  );
}
