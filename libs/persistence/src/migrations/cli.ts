import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';

import { PGlite } from '@electric-sql/pglite';

import { runMigrations } from './migration-runner';
import { openPostgresSession, parsePostgresUrl, pgliteSession } from './migration-session';
import { createMigration } from './schema-engine';

/*
 * `npm run db:migrate` and `npm run db:migration:create -- <name>`. This file stays clear of the
 * generated PrismaClient so ts-node can run it without resolving the client's `.js` imports.
 */

function print(line: string): void {
  process.stdout.write(`${line}\n`);
}

async function migrate(): Promise<void> {
  const url = process.env['DATABASE_URL'];
  const onApplied = (name: string): void => print(`Applied ${name}`);
  let result;
  if (url !== undefined && url !== '') {
    const { connectionString, schema } = parsePostgresUrl(url, process.env['DATABASE_SCHEMA'] || undefined);
    print(`Migrating PostgreSQL schema "${schema}"`);
    const connection = await openPostgresSession(connectionString, schema);
    try {
      result = await runMigrations(connection.session, { onApplied });
    } finally {
      await connection.close();
    }
  } else {
    // Same place the gateway keeps its embedded database: $DATA_DIR/pglite.
    const dataDir = resolve(join(process.env['DATA_DIR'] || '.data', 'pglite'));
    print(`Migrating embedded PGlite in ${dataDir}`);
    await mkdir(dataDir, { recursive: true });
    const pglite = await PGlite.create({ dataDir });
    try {
      result = await runMigrations(pgliteSession(pglite), { onApplied });
    } finally {
      await pglite.close();
    }
  }
  print(
    result.applied.length === 0
      ? `Nothing to apply; ${result.alreadyApplied.length} migration(s) already applied.`
      : `Applied ${result.applied.length} migration(s); ${result.alreadyApplied.length} were already applied.`,
  );
}

async function create(name: string | undefined): Promise<void> {
  if (name === undefined || !/^[A-Za-z0-9_]+$/.test(name)) {
    throw new Error('Usage: npm run db:migration:create -- <name>   (letters, digits and _ only)');
  }
  const created = await createMigration({ name });
  if (created === null) {
    print('prisma/schema.prisma and prisma/migrations already agree; no migration written.');
    return;
  }
  print(`Wrote ${created.directory}/migration.sql:\n\n${created.script}`);
}

async function main(): Promise<void> {
  const [command, argument] = process.argv.slice(2);
  if (command === 'migrate') return migrate();
  if (command === 'create') return create(argument);
  throw new Error(`Unknown command ${command ?? '(none)'}; expected "migrate" or "create <name>"`);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
