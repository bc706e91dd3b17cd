/**
 * `@app/persistence/testing`: what tests need of the database beyond the stores, so the drivers
 * (`pg`, PGlite, the generated Prisma client) are still imported by libs/persistence alone
 * (issue 33). Production code never imports it (eslint.config.mjs says so).
 *
 * - `createTestDatabase()`: a migrated database of the test's own (PGlite, or a schema on
 *   TEST_DATABASE_URL's PostgreSQL).
 * - `rawQuery(url, sql, params)`: one statement on its own connection, for checks and admin
 *   statements beside the gateway; `openRawSession(url)` when a test runs several.
 * - `dropSchema(url, schema)`: removes a schema a test made.
 * - `createPglite()`: a blank in-memory PGlite (migration tests start from nothing).
 * - `Prisma`: the generated client's namespace, for `Prisma.sql` and `Prisma.DbNull`.
 */
import { PGlite } from '@electric-sql/pglite';
import { Client, type QueryResultRow } from 'pg';

import { quoteIdentifier } from '../migrations/migration-session';

export { Prisma } from '../../../../generated/prisma/client';
export { prismaMigrateDeploy } from '../migrations/schema-engine';
export { assertTestDatabaseUrl, createTestDatabase, type TestDatabase } from './test-database';
export { type PGlite };

/** A plain connection to a PostgreSQL server, outside the gateway's pools. */
export interface RawSession {
  /** Runs one statement (`$1`, `$2`… take `params`) and answers its rows. */
  query<Row extends QueryResultRow = QueryResultRow>(
    sql: string,
    params?: readonly unknown[],
  ): Promise<Row[]>;
  end(): Promise<void>;
}

/** Connects to `url`; with `schema`, unqualified names resolve in that schema first. */
export async function openRawSession(url: string, options: { schema?: string } = {}): Promise<RawSession> {
  const client = new Client({
    connectionString: url,
    ...(options.schema === undefined ? {} : { options: `-c search_path=${options.schema}` }),
  });
  await client.connect();
  return {
    query: async <Row extends QueryResultRow>(sql: string, params?: readonly unknown[]) =>
      (await client.query<Row>(sql, params === undefined ? undefined : [...params])).rows,
    end: () => client.end(),
  };
}

/** Runs one statement on a connection of its own and answers its rows. */
export async function rawQuery<Row extends QueryResultRow = QueryResultRow>(
  url: string,
  sql: string,
  params?: readonly unknown[],
): Promise<Row[]> {
  const session = await openRawSession(url);
  try {
    return await session.query<Row>(sql, params);
  } finally {
    await session.end();
  }
}

/** Drops `schema` and everything in it, if it is there. */
export async function dropSchema(url: string, schema: string): Promise<void> {
  await rawQuery(url, `DROP SCHEMA IF EXISTS ${quoteIdentifier(schema)} CASCADE`);
}

/** A blank in-memory PGlite: no migrations applied. */
export function createPglite(): Promise<PGlite> {
  return PGlite.create();
}

/** A statement a `pg` client sent: its text and parameters. */
export interface CapturedStatement {
  text: string;
  values: unknown[];
}

/**
 * Records every statement any `pg` client of this process sends while `during` runs (the plan
 * checks EXPLAIN exactly what the gateway's reads send, not a copy of it). Patches the driver's
 * `Client.prototype.query` for the duration and restores it after, even when `during` throws.
 */
export async function captureStatements(during: () => Promise<unknown>): Promise<CapturedStatement[]> {
  type Query = (this: Client, ...args: unknown[]) => unknown;
  const prototype = Client.prototype as unknown as { query: Query };
  const original = prototype.query;
  const statements: CapturedStatement[] = [];
  prototype.query = function (this: Client, ...args: unknown[]) {
    const [config, values] = args;
    if (typeof config === 'string') {
      statements.push({ text: config, values: Array.isArray(values) ? (values as unknown[]) : [] });
    } else if (typeof config === 'object' && config !== null && 'text' in config) {
      const statement = config as { text: string; values?: unknown[] };
      statements.push({ text: statement.text, values: statement.values ?? [] });
    }
    return original.apply(this, args);
  };
  try {
    await during();
  } finally {
    prototype.query = original;
  }
  return statements;
}
