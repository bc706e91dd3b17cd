import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';

import { PGlite } from '@electric-sql/pglite';

import { repositoryRoot } from './migrations/migration-files';
import { runMigrations } from './migrations/migration-runner';
import { pgliteSession } from './migrations/migration-session';

/**
 * A migrated, empty PGlite cluster that `npm run build` leaves next to the build. A fresh embedded
 * data directory starts from a copy of it: `initdb` and the migrations cost seconds, a copy does not.
 */
export const BUILT_SNAPSHOT_FILE = resolve(repositoryRoot, 'dist', 'pglite-migrated.tar');

/** initdb, then every migration in `prisma/migrations`, dumped as an uncompressed tarball. */
export async function migratedSnapshot(): Promise<Blob> {
  const pglite = await PGlite.create();
  try {
    await runMigrations(pgliteSession(pglite));
    return await pglite.dumpDataDir('none');
  } finally {
    await pglite.close();
  }
}

/**
 * The snapshot to start `dataDir` from: only for a directory PostgreSQL has never initialised, and
 * only when one was built. A snapshot older than the migrations is fine: the rest apply on open.
 */
export async function snapshotForFreshDataDir(
  dataDir: string,
  snapshotFile: string,
): Promise<Blob | undefined> {
  if (existsSync(join(dataDir, 'PG_VERSION')) || !existsSync(snapshotFile)) return undefined;
  return new Blob([await readFile(snapshotFile)]);
}

async function writeMigratedSnapshot(file: string): Promise<void> {
  const snapshot = await migratedSnapshot();
  await writeFile(file, Buffer.from(await snapshot.arrayBuffer()));
}

// `node pglite-snapshot.js [file]`, run by `npm run build`.
if (require.main === module) {
  writeMigratedSnapshot(process.argv[2] ?? BUILT_SNAPSHOT_FILE).catch((error: unknown) => {
    process.stderr.write(`Could not build the PGlite snapshot: ${String(error)}\n`);
    process.exit(1);
  });
}
