import { type PGlite } from '@electric-sql/pglite';
import { Client } from 'pg';

import { type MigrationSession } from './migration-runner';

export const DEFAULT_POSTGRES_SCHEMA = 'public';

/** Splits Prisma's `?schema=` off the URL: node-postgres does not know the parameter. */
export function parsePostgresUrl(url: string, schema?: string): { connectionString: string; schema: string } {
  const parsed = new URL(url);
  const fromUrl = parsed.searchParams.get('schema');
  parsed.searchParams.delete('schema');
  return { connectionString: parsed.toString(), schema: schema ?? fromUrl ?? DEFAULT_POSTGRES_SCHEMA };
}

export function quoteIdentifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

export function pgliteSession(pglite: PGlite): MigrationSession {
  return {
    query: async <Row extends object>(sql: string, params?: readonly unknown[]) =>
      (await pglite.query<Row>(sql, params === undefined ? undefined : [...params])).rows,
    exec: async (script) => {
      await pglite.exec(script);
    },
  };
}

/** A PostgreSQL session whose unqualified names resolve to `schema`, which is created when missing. */
export async function openPostgresSession(
  url: string,
  schema: string,
): Promise<{ session: MigrationSession; close(): Promise<void> }> {
  const client = new Client({ connectionString: url });
  // A session the server ends is reported by the query that fails; without a listener its 'error'
  // event would also end the process.
  client.on('error', () => undefined);
  await client.connect();
  try {
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdentifier(schema)}`);
    await client.query(`SET search_path TO ${quoteIdentifier(schema)}`);
  } catch (error) {
    await client.end();
    throw error;
  }
  return {
    session: {
      query: async <Row extends object>(sql: string, params?: readonly unknown[]) =>
        (await client.query<Row>(sql, params === undefined ? undefined : [...params])).rows,
      exec: async (script) => {
        await client.query(script);
      },
    },
    close: () => client.end(),
  };
}
