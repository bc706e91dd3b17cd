import { createHash, randomUUID } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

import { Client } from 'pg';

import { IN_MEMORY, openDatabase, type Database } from '../database';
import { quoteIdentifier } from '../migrations/migration-session';
import { readMigrations, repositoryRoot } from '../migrations/migration-files';
import { migratedSnapshot } from '../pglite-snapshot';

export interface TestDatabase extends Database {
  /** The PostgreSQL server, when `TEST_DATABASE_URL` points the tests at one. */
  url?: string;
  /** The throwaway PostgreSQL schema this database lives in; dropped on close. */
  schema?: string;
}

/**
 * Refuses a database whose name does not say it is for tests: every run creates and drops schemas
 * in it, and a wrong `TEST_DATABASE_URL` must not get anywhere near real data.
 */
export function assertTestDatabaseUrl(url: string): void {
  const name = decodeURIComponent(new URL(url).pathname.replace(/^\//, ''));
  if (!name.toLowerCase().includes('test')) {
    throw new Error(
      `TEST_DATABASE_URL names database "${name}"; tests only run against a database whose name contains "test"`,
    );
  }
}

/**
 * A migrated, empty database of its own for one test file or test: in-memory PGlite by default, or,
 * when `TEST_DATABASE_URL` is set (CI), a fresh uniquely named schema on that PostgreSQL server, so
 * parallel workers and repeated runs never see each other's rows. Close it to drop the schema.
 */
export async function createTestDatabase(): Promise<TestDatabase> {
  const url = process.env['TEST_DATABASE_URL'];
  if (url === undefined || url === '') {
    // `migrate` stays on: against the snapshot it only confirms every migration is recorded.
    return openDatabase({
      pgliteDataDir: IN_MEMORY,
      pgliteSnapshot: await testSnapshot(),
      migrate: true,
    });
  }

  assertTestDatabaseUrl(url);
  const schema = `test_${randomUUID().replaceAll('-', '')}`;
  let database: Database;
  try {
    database = await openDatabase({ url, schema, migrate: true });
  } catch (error) {
    await dropSchema(url, schema);
    throw error;
  }
  return {
    ...database,
    url,
    schema,
    close: async () => {
      try {
        await database.close();
      } finally {
        await dropSchema(url, schema);
      }
    },
  };
}

let snapshot: Promise<Blob> | undefined;

/** A migrated empty cluster, copied into every in-memory test database (read once per test file). */
function testSnapshot(): Promise<Blob> {
  snapshot ??= cachedSnapshot();
  return snapshot;
}

/**
 * Where the migrated snapshot is kept between test files and runs: `node_modules/.cache/<name>`,
 * where tools such as Babel's and ESLint's keep theirs (https://github.com/sindresorhus/find-cache-dir).
 */
const SNAPSHOT_CACHE_DIR = join(repositoryRoot, 'node_modules', '.cache', 'customer-sync-gateway');

/**
 * The migrated snapshot from the cache, built and stored there when the cache holds none for these
 * migrations. jest gives every test file its own module registry, so a snapshot held in memory was
 * built again by each file: initdb and every migration in WebAssembly, about 5 s of each suite's 12.
 * Written beside its name and renamed into place, so workers building it at once never read half of
 * one; older snapshots are removed once a new one is in place.
 */
async function cachedSnapshot(): Promise<Blob> {
  const name = `pglite-migrated-${await snapshotKey()}.tar`;
  const file = join(SNAPSHOT_CACHE_DIR, name);
  const cached = await readFile(file).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined;
    throw error;
  });
  if (cached !== undefined) return new Blob([cached]);
  const built = await migratedSnapshot();
  await mkdir(SNAPSHOT_CACHE_DIR, { recursive: true });
  const partial = `${file}.${randomUUID()}.partial`;
  await writeFile(partial, Buffer.from(await built.arrayBuffer()));
  await rename(partial, file);
  for (const entry of await readdir(SNAPSHOT_CACHE_DIR)) {
    if (entry.startsWith('pglite-migrated-') && entry !== name && !entry.endsWith('.partial'))
      await rm(join(SNAPSHOT_CACHE_DIR, entry), { force: true });
  }
  return built;
}

/**
 * What the snapshot is made of: every migration, the code that applies them and the PGlite that
 * runs them. A change to any of them names another snapshot.
 */
async function snapshotKey(): Promise<string> {
  const hash = createHash('sha256');
  for (const migration of await readMigrations()) hash.update(`${migration.name}\0${migration.checksum}\0`);
  const sources = [
    join(repositoryRoot, 'node_modules', '@electric-sql', 'pglite', 'package.json'),
    join(__dirname, '..', 'pglite-snapshot.ts'),
    ...(await readdir(join(__dirname, '..', 'migrations'))).map((file) =>
      join(__dirname, '..', 'migrations', file),
    ),
  ];
  for (const source of sources.sort()) hash.update(await readFile(source).catch(() => Buffer.from(source)));
  return hash.digest('hex').slice(0, 16);
}

async function dropSchema(url: string, schema: string): Promise<void> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS ${quoteIdentifier(schema)} CASCADE`);
  } finally {
    await client.end();
  }
}
