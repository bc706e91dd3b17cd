import { randomUUID } from 'node:crypto';

import {
  MigrationError,
  type MigrationFile,
  type MigrationSession,
  migrationChecksum,
  openPostgresSession,
  pgliteSession,
  readMigrations,
  runMigrations,
} from '@app/persistence';
import { createPglite, dropSchema, type PGlite, prismaMigrateDeploy } from '@app/persistence/testing';

// Each test boots PGlite (PostgreSQL compiled to Wasm) or Prisma's schema engine, both slow to start.
jest.setTimeout(60_000);

/** A database the runner can be pointed at, reset for every test. */
interface Target {
  open(): Promise<MigrationSession>;
  /** One more session on the same database, as a second process would have. */
  openAnother(): Promise<MigrationSession>;
  close(): Promise<void>;
}

function pgliteTarget(): Target {
  let pglite: PGlite | undefined;
  return {
    open: async () => {
      pglite = await createPglite();
      return pgliteSession(pglite);
    },
    openAnother: () => Promise.reject(new Error('PGlite is a single session')),
    close: async () => {
      await pglite?.close();
    },
  };
}

function postgresTarget(url: string): Target {
  const schema = `test_runner_${randomUUID().replaceAll('-', '')}`;
  const closers: (() => Promise<void>)[] = [];
  const open = async (): Promise<MigrationSession> => {
    const connection = await openPostgresSession(url, schema);
    closers.push(() => connection.close());
    return connection.session;
  };
  return {
    open,
    openAnother: open,
    close: async () => {
      await Promise.all(closers.map((close) => close()));
      await dropSchema(url, schema);
    },
  };
}

interface BookkeepingRow {
  id: string;
  checksum: string;
  finished_at: Date | null;
  migration_name: string;
  logs: string | null;
  rolled_back_at: Date | null;
  started_at: Date;
  applied_steps_count: number;
}

const bookkeeping = (session: MigrationSession): Promise<BookkeepingRow[]> =>
  session.query<BookkeepingRow>('SELECT * FROM "_prisma_migrations" ORDER BY started_at, migration_name');

const tables = async (session: MigrationSession): Promise<string[]> =>
  (
    await session.query<{ table_name: string }>(
      `SELECT table_name FROM information_schema.tables
       WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY table_name`,
    )
  ).map((row) => row.table_name);

const targets: [string, () => Target][] = [['PGlite', pgliteTarget]];
const postgresUrl = process.env['TEST_DATABASE_URL'];
if (postgresUrl !== undefined && postgresUrl !== '')
  targets.push(['PostgreSQL', () => postgresTarget(postgresUrl)]);

describe.each(targets)('migration runner on %s', (_kind, makeTarget) => {
  let target: Target;
  let session: MigrationSession;
  let migrations: MigrationFile[];

  beforeAll(async () => {
    migrations = await readMigrations();
  });

  beforeEach(async () => {
    target = makeTarget();
    session = await target.open();
  });

  afterEach(async () => {
    await target.close();
  });

  it('applies every migration in prisma/migrations, in order', async () => {
    expect(migrations.length).toBeGreaterThan(0);
    const result = await runMigrations(session);

    expect(result).toEqual({ applied: migrations.map((m) => m.name), alreadyApplied: [] });
    expect(await tables(session)).toEqual([
      '_prisma_migrations',
      'customers',
      'events',
      'idempotency_records',
      'migration_items',
      'migration_runs',
      'provider_calls',
      'provider_event_cursors',
      'provider_events',
      'provider_links',
      'rate_budgets',
      'rate_limits',
      'secrets',
      'webhook_deliveries',
      'webhook_endpoints',
    ]);
  });

  it("keeps _prisma_migrations in Prisma's format", async () => {
    const before = Date.now();
    await runMigrations(session);

    const rows = await bookkeeping(session);
    expect(rows).toHaveLength(migrations.length);
    rows.forEach((row, index) => {
      const migration = migrations[index]!;
      expect(row.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      expect(row.migration_name).toBe(migration.name);
      expect(row.checksum).toBe(migrationChecksum(migration.script));
      expect(row.checksum).toMatch(/^[0-9a-f]{64}$/);
      expect(row.logs).toBeNull();
      expect(row.rolled_back_at).toBeNull();
      expect(row.applied_steps_count).toBe(1);
      expect(row.started_at.getTime()).toBeGreaterThanOrEqual(before - 1000);
      expect(row.finished_at!.getTime()).toBeGreaterThanOrEqual(row.started_at.getTime());
    });
  });

  it('does nothing the second time', async () => {
    await runMigrations(session);
    const rowsBefore = await bookkeeping(session);

    const again = await runMigrations(session);

    expect(again).toEqual({ applied: [], alreadyApplied: migrations.map((m) => m.name) });
    expect(await bookkeeping(session)).toEqual(rowsBefore);
  });

  it('applies only the migrations added since the last run', async () => {
    await runMigrations(session);
    const added: MigrationFile = {
      name: '99990101000000_add_notes',
      script: 'ALTER TABLE "customers" ADD COLUMN "notes" TEXT;\n',
      checksum: migrationChecksum('ALTER TABLE "customers" ADD COLUMN "notes" TEXT;\n'),
    };

    const result = await runMigrations(session, { migrations: [...migrations, added] });

    expect(result.applied).toEqual([added.name]);
    const columns = await session.query<{ column_name: string }>(
      `SELECT column_name FROM information_schema.columns
       WHERE table_schema = current_schema() AND table_name = 'customers' AND column_name = 'notes'`,
    );
    expect(columns).toHaveLength(1);
  });

  it('refuses to go on when an applied migration was edited', async () => {
    await runMigrations(session);
    const [first, ...rest] = migrations;
    const edited = `${first!.script}\n-- edited after it was applied\n`;

    await expect(
      runMigrations(session, {
        migrations: [{ ...first!, script: edited, checksum: migrationChecksum(edited) }, ...rest],
      }),
    ).rejects.toThrow(new RegExp(`Migration \`${first!.name}\` was modified after it was applied`));
  });

  it('rolls a failing migration back, records it, and refuses to run until it is resolved', async () => {
    const broken: MigrationFile = {
      name: '99990101000000_broken',
      script: 'CREATE TABLE "half_done" ("id" TEXT);\nSELECT 1 / 0;\n',
      checksum: migrationChecksum('CREATE TABLE "half_done" ("id" TEXT);\nSELECT 1 / 0;\n'),
    };

    await expect(runMigrations(session, { migrations: [...migrations, broken] })).rejects.toThrow(
      MigrationError,
    );

    expect(await tables(session)).not.toContain('half_done');
    const failed = (await bookkeeping(session)).find((row) => row.migration_name === broken.name);
    expect(failed).toMatchObject({ finished_at: null, rolled_back_at: null, applied_steps_count: 0 });
    expect(failed!.logs).toContain('division by zero');

    await expect(runMigrations(session, { migrations })).rejects.toThrow(
      /Migration `99990101000000_broken` failed earlier and must be resolved first/,
    );

    // What `prisma migrate resolve --rolled-back` does; afterwards the fixed migration applies.
    await session.query('UPDATE "_prisma_migrations" SET rolled_back_at = now() WHERE migration_name = $1', [
      broken.name,
    ]);
    const fixedScript = 'CREATE TABLE "half_done" ("id" TEXT);\n';
    const result = await runMigrations(session, {
      migrations: [
        ...migrations,
        { ...broken, script: fixedScript, checksum: migrationChecksum(fixedScript) },
      ],
    });
    expect(result.applied).toEqual([broken.name]);
  });

  if (_kind === 'PostgreSQL') {
    it('lets concurrent runners apply each migration exactly once', async () => {
      const others = await Promise.all([target.openAnother(), target.openAnother(), target.openAnother()]);

      const results = await Promise.all([session, ...others].map((each) => runMigrations(each)));

      expect(results.flatMap((result) => result.applied).sort()).toEqual(
        migrations.map((m) => m.name).sort(),
      );
      expect(await bookkeeping(session)).toHaveLength(migrations.length);
    });
  }
});

describe('compatibility with prisma migrate deploy', () => {
  it("is read by Prisma's own engine as fully applied", async () => {
    const pglite = await createPglite();
    try {
      await runMigrations(pgliteSession(pglite));

      expect(await prismaMigrateDeploy(pglite)).toEqual([]);
    } finally {
      await pglite.close();
    }
  });

  it("creates _prisma_migrations exactly as Prisma's engine does", async () => {
    const columnsQuery = `SELECT column_name, data_type, character_maximum_length, is_nullable, column_default
      FROM information_schema.columns WHERE table_name = '_prisma_migrations' ORDER BY ordinal_position`;
    const ours = await createPglite();
    const prismas = await createPglite();
    try {
      await runMigrations(pgliteSession(ours));
      expect(await prismaMigrateDeploy(prismas)).toEqual((await readMigrations()).map((m) => m.name));

      expect((await ours.query(columnsQuery)).rows).toEqual((await prismas.query(columnsQuery)).rows);
      const oursRows = await bookkeeping(pgliteSession(ours));
      const prismasRows = await bookkeeping(pgliteSession(prismas));
      const comparable = (row: BookkeepingRow) => ({
        checksum: row.checksum,
        migration_name: row.migration_name,
        logs: row.logs,
        rolled_back_at: row.rolled_back_at,
        applied_steps_count: row.applied_steps_count,
        finished: row.finished_at !== null,
      });
      expect(oursRows.map(comparable)).toEqual(prismasRows.map(comparable));
    } finally {
      await ours.close();
      await prismas.close();
    }
  });
});
