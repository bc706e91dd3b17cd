import { randomUUID } from 'node:crypto';

import { Client } from 'pg';

import { IN_MEMORY, openDatabase, type Database } from '../database';
import { quoteIdentifier } from '../migrations/migration-session';
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

/** A migrated empty cluster, built once per jest worker and copied into every in-memory test database. */
function testSnapshot(): Promise<Blob> {
  snapshot ??= migratedSnapshot();
  return snapshot;
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
