import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { copyFile, readFile, rm, truncate, writeFile } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';

import { PGlite } from '@electric-sql/pglite';

import { repositoryRoot } from './migrations/migration-files';
import { runMigrations } from './migrations/migration-runner';
import { pgliteSession } from './migrations/migration-session';

/**
 * A migrated, empty PGlite cluster that `npm run build` leaves next to the build. A fresh embedded
 * data directory starts as a copy of it: `initdb` and the migrations cost seconds, a copy does not.
 * It is kept as a directory rather than a `dumpDataDir()` tarball so that the copy is the
 * filesystem's own (no untar through PGlite's emulated filesystem, no 40 MB blob held in memory).
 */
export const BUILT_SNAPSHOT_DIR = resolve(repositoryRoot, 'dist', 'pglite-migrated');

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

/** A cluster holds `PG_VERSION` once PostgreSQL has initialised it. */
function isCluster(dataDir: string): boolean {
  return existsSync(join(dataDir, 'PG_VERSION'));
}

/**
 * Starts `dataDir` as a copy of the snapshot: only a directory PostgreSQL has never initialised,
 * and only when a snapshot was built. A snapshot older than the migrations is fine: the rest apply
 * on open. The copy is made beside it and renamed into place, so a process killed halfway leaves
 * no half-copied cluster behind.
 */
export async function copySnapshotIntoFreshDataDir(dataDir: string, snapshotDir: string): Promise<void> {
  if (isCluster(dataDir) || !isCluster(snapshotDir)) return;
  const partial = `${dataDir}.partial`;
  rmSync(partial, { recursive: true, force: true });
  await copyTree(snapshotDir, partial);
  rmSync(dataDir, { recursive: true, force: true });
  renameSync(partial, dataDir);
}

/**
 * A cluster is a few hundred small files: copied all at once they take a third of what `fs.cp`,
 * which copies one file after the other, takes (measured: 280 ms against 780 ms). The large ones
 * are WAL segments (16 MB each), mostly zeros (see `copyWithoutZeroTail`).
 *
 * The listing and the directories are made synchronously (a few milliseconds), so that every file
 * copy is under way in the thread pool when this returns: the gateway starts opening its database
 * before it loads the rest of its code, and the copy runs while that code loads on this thread
 * (apps/gateway/src/main.ts).
 */
function copyTree(from: string, to: string): Promise<unknown> {
  const entries = readdirSync(from, { recursive: true, withFileTypes: true });
  const target = (entry: { parentPath: string; name: string }) =>
    join(to, relative(from, join(entry.parentPath, entry.name)));
  mkdirSync(to, { recursive: true });
  for (const entry of entries) if (entry.isDirectory()) mkdirSync(target(entry), { recursive: true });
  return Promise.all(
    entries
      .filter((entry) => entry.isFile())
      .map((entry) => {
        const source = join(entry.parentPath, entry.name);
        return statSync(source).size >= LARGE_FILE_BYTES
          ? copyWithoutZeroTail(source, target(entry))
          : copyFile(source, target(entry));
      }),
  );
}

const LARGE_FILE_BYTES = 1024 * 1024;
/** PostgreSQL's page size, the unit in which WAL and relation files are written. */
const PAGE_BYTES = 8192;
const ZERO_PAGE = Buffer.alloc(PAGE_BYTES);

/**
 * Copies `from`, writing only up to its last page holding anything but zeros and extending the
 * copy to the full length without writing the rest: the file system returns zeros for the tail it
 * never wrote, so the copy reads the same. A migrated cluster's WAL segment is 16 MB of which a
 * third holds records, and writing bytes is what a copy costs here (the kernel's time, not ours):
 * the copy of the cluster took about 900 ms, almost all of it writing 39 MB.
 */
async function copyWithoutZeroTail(from: string, to: string): Promise<void> {
  const content = await readFile(from);
  let end = content.length;
  while (end > 0) {
    const pageStart = Math.max(0, end - PAGE_BYTES);
    if (!content.subarray(pageStart, end).equals(ZERO_PAGE.subarray(0, end - pageStart))) break;
    end = pageStart;
  }
  await writeFile(to, content.subarray(0, end));
  await truncate(to, content.length);
}

/**
 * initdb and every migration, straight into `dir` (replacing whatever was there), without the
 * template databases: they only serve `CREATE DATABASE`, which the embedded gateway never runs,
 * and they were two thirds of the databases' files (14 of 22 MB) that every fresh start copies.
 */
export async function buildMigratedSnapshot(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
  const pglite = await PGlite.create({ dataDir: dir });
  try {
    await runMigrations(pgliteSession(pglite));
    // A template cannot be dropped while it is marked one (https://www.postgresql.org/docs/current/manage-ag-templatedbs.html).
    await pglite.exec(
      `UPDATE pg_database SET datistemplate = false WHERE datname IN ('template0', 'template1')`,
    );
    await pglite.exec('DROP DATABASE template0');
    await pglite.exec('DROP DATABASE template1');
  } finally {
    await pglite.close();
  }
}

// `node pglite-snapshot.js [dir]`, run by `npm run build`.
if (require.main === module) {
  buildMigratedSnapshot(process.argv[2] ?? BUILT_SNAPSHOT_DIR).catch((error: unknown) => {
    process.stderr.write(`Could not build the PGlite snapshot: ${String(error)}\n`);
    process.exit(1);
  });
}
