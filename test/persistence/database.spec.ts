import { randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

import {
  assertTestDatabaseUrl,
  buildMigratedSnapshot,
  createTestDatabase,
  openDatabase,
  readMigrations,
} from '@app/persistence';
import { dropSchema, openRawSession, rawQuery } from '@app/persistence/testing';

import { eventually } from '../support/eventually';

// PGlite is PostgreSQL compiled to Wasm: every fresh instance takes seconds to boot.
jest.setTimeout(120_000);

const customer = () => ({ id: randomUUID(), email: 'ada@example.com', updatedAt: new Date() });

describe('openDatabase with the embedded PGlite', () => {
  let dataDir: string;

  beforeEach(async () => {
    dataDir = join(await mkdtemp(join(tmpdir(), 'pglite-')), 'nested', 'pglite');
  });

  afterEach(async () => {
    await rm(join(dataDir, '..', '..'), { recursive: true, force: true });
  });

  it('creates the data directory, migrates it, and keeps the data across a reopen', async () => {
    const names = (await readMigrations()).map((migration) => migration.name);
    const first = await openDatabase({ pgliteDataDir: dataDir, migrate: true });
    const created = await first.prisma.customer.create({ data: customer() });
    expect(first.kind).toBe('pglite');
    expect(first.migrations).toEqual({ applied: names, alreadyApplied: [] });
    await first.close();

    const second = await openDatabase({ pgliteDataDir: dataDir, migrate: true });
    try {
      expect(second.migrations).toEqual({ applied: [], alreadyApplied: names });
      expect(await second.prisma.customer.findUnique({ where: { id: created.id } })).toMatchObject({
        email: 'ada@example.com',
        seq: created.seq,
      });
    } finally {
      await second.close();
    }
  });
});

describe('openDatabase from a migrated snapshot', () => {
  let root: string;

  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'pglite-snapshot-'));
  });

  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('starts a fresh data directory as a copy, discards a half-made copy, and never overwrites a cluster', async () => {
    const names = (await readMigrations()).map((migration) => migration.name);
    const snapshotDir = join(root, 'snapshot');
    await buildMigratedSnapshot(snapshotDir);

    const dataDir = join(root, 'data', 'pglite');
    // What a process killed in the middle of an earlier copy leaves behind.
    await mkdir(`${dataDir}.partial`, { recursive: true });
    await writeFile(join(`${dataDir}.partial`, 'PG_VERSION'), 'half a copy');
    const fresh = await openDatabase({
      pgliteDataDir: dataDir,
      pgliteSnapshotDir: snapshotDir,
      migrate: true,
    });
    const created = await fresh.prisma.customer.create({ data: customer() });
    // Every migration came with the copy; the template databases did not.
    expect(fresh.migrations).toEqual({ applied: [], alreadyApplied: names });
    expect(await fresh.prisma.$queryRaw`SELECT datname FROM pg_database`).toEqual([{ datname: 'postgres' }]);
    await fresh.close();
    expect(existsSync(`${dataDir}.partial`)).toBe(false);
    // The WAL segment was copied without writing its zero tail, and reads the same.
    const [segment] = (await readdir(join(snapshotDir, 'pg_wal'))).filter((name) =>
      /^[0-9A-F]{24}$/.test(name),
    );
    const copied = join(dataDir, 'pg_wal', segment!);
    expect((await stat(copied)).size).toBe(16 * 1024 * 1024);
    expect((await stat(copied)).blocks * 512).toBeLessThan(16 * 1024 * 1024);

    const reopened = await openDatabase({
      pgliteDataDir: dataDir,
      pgliteSnapshotDir: snapshotDir,
      migrate: true,
    });
    try {
      expect(await reopened.prisma.customer.findUnique({ where: { id: created.id } })).not.toBeNull();
    } finally {
      await reopened.close();
    }
  });
});

describe('createTestDatabase', () => {
  it('hands out migrated databases that never share rows', async () => {
    const [one, two] = await Promise.all([createTestDatabase(), createTestDatabase()]);
    try {
      await one.prisma.customer.create({ data: customer() });

      expect(await one.prisma.customer.count()).toBe(1);
      expect(await two.prisma.customer.count()).toBe(0);
    } finally {
      await Promise.all([one.close(), two.close()]);
    }
  });

  it('refuses a database whose name does not say it is for tests', () => {
    expect(() => assertTestDatabaseUrl('postgresql://postgres@127.0.0.1:5432/customers')).toThrow(
      /only run against a database whose name contains "test"/,
    );
    expect(() => assertTestDatabaseUrl('postgresql://postgres@127.0.0.1:5432/gateway_test')).not.toThrow();
  });
});

const postgresUrl = process.env['TEST_DATABASE_URL'];
if (postgresUrl !== undefined && postgresUrl !== '') {
  describe('createTestDatabase on PostgreSQL', () => {
    const schemaExists = async (schema: string): Promise<boolean> => {
      const rows = await rawQuery(
        postgresUrl,
        'SELECT 1 FROM information_schema.schemata WHERE schema_name = $1',
        [schema],
      );
      return rows.length === 1;
    };

    it('works in a schema of its own and drops it on close', async () => {
      const database = await createTestDatabase();
      const schema = database.schema!;
      expect(database.kind).toBe('postgres');
      expect(schema).toMatch(/^test_[0-9a-f]{32}$/);

      await database.prisma.customer.create({ data: customer() });
      const rows = await rawQuery(postgresUrl, `SELECT count(*)::int AS n FROM "${schema}"."customers"`);
      expect(rows[0]).toEqual({ n: 1 });

      await database.close();
      expect(await schemaExists(schema)).toBe(false);
    });

    it('ends a listening session that was still connecting when the database closed', async () => {
      const database = await createTestDatabase();
      const channel = `close_probe_${randomUUID().replaceAll('-', '')}`;
      // Not awaited: the close comes while the session is still connecting, as when a gateway
      // stops right after its worker subscribed. A session left open keeps the process alive.
      const listening = database.listen(channel, () => undefined).catch(() => undefined);
      await database.close();
      await listening;
      const rows = await rawQuery(
        postgresUrl,
        'SELECT count(*)::int AS n FROM pg_stat_activity WHERE query = $1',
        [`LISTEN "${channel}"`],
      );
      expect(rows[0]).toEqual({ n: 0 });
    });

    it('opens a lost LISTEN session again, and wakes the listener when it is', async () => {
      const database = await createTestDatabase();
      const channel = `lost_probe_${randomUUID().replaceAll('-', '')}`;
      const admin = await openRawSession(postgresUrl);
      const listeningPids = async () =>
        (
          await admin.query<{ pid: number }>('SELECT pid FROM pg_stat_activity WHERE query = $1', [
            `LISTEN "${channel}"`,
          ])
        ).map((row) => row.pid);
      let notified = 0;
      try {
        const unlisten = await database.listen(channel, () => notified++);
        const [first] = await listeningPids();
        expect(first).toBeDefined();

        // What a PostgreSQL restart, a failover or a proxy dropping the connection does to it.
        await admin.query('SELECT pg_terminate_backend($1)', [first]);
        // Opened again by itself, and the listener told that it may have missed work.
        await eventually('the session opened again', async () =>
          notified === 1 && (await listeningPids()).some((pid) => pid !== first) ? true : undefined,
        );

        await admin.query('SELECT pg_notify($1, $2)', [channel, database.schema]);
        await eventually('the notification', () => Promise.resolve(notified === 2 ? true : undefined));

        await unlisten();
        expect(await listeningPids()).toEqual([]);
      } finally {
        await admin.end();
        await database.close();
      }
    });

    it('takes the schema from a Prisma-style ?schema= URL parameter', async () => {
      const schema = `test_url_${randomUUID().replaceAll('-', '')}`;
      const database = await openDatabase({ url: `${postgresUrl}?schema=${schema}`, migrate: true });
      try {
        await database.prisma.customer.create({ data: customer() });
        expect(await schemaExists(schema)).toBe(true);
      } finally {
        await database.close();
        await dropSchema(postgresUrl, schema);
      }
    });
  });
}
