import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';

import { PGlite } from '@electric-sql/pglite';
import { createHash } from 'node:crypto';
import { PrismaPg } from '@prisma/adapter-pg';
import { type CustomTypesConfig, Pool, types } from 'pg';
import { PrismaPGlite } from 'pglite-prisma-adapter';
import { traceStatement } from '@app/telemetry';

import { type Prisma, PrismaClient } from '../../../generated/prisma/client';
import { databaseOutage, isDatabaseUnreachable } from './database-outage';
import { ListeningSession } from './listening-session';
import { type MigrationRunResult, runMigrations } from './migrations/migration-runner';
import {
  keepPgliteCheckpointed,
  PGLITE_MAX_WAL_SIZE,
  type PgliteCheckpointOptions,
  WAL_SINCE_CHECKPOINT,
} from './pglite-checkpoints';
import { copySnapshotIntoFreshDataDir } from './pglite-snapshot';
import {
  openPostgresSession,
  parsePostgresUrl,
  pgliteSession,
  quoteIdentifier,
} from './migrations/migration-session';

/** PGlite's in-memory data directory: nothing touches the disk and everything is gone on close. */
export const IN_MEMORY = 'memory://';
export const DEFAULT_PGLITE_DATA_DIR = '.data/pglite';
const PGLITE_SHARED_BUFFERS = '16MB';
const PGLITE_TRANSACTION_LIMITS = { maxWait: 30_000, timeout: 30_000 };

export interface OpenDatabaseOptions {
  /** A PostgreSQL connection string; without it the embedded PGlite is used. */
  url?: string;
  /** PostgreSQL schema holding the tables; defaults to the URL's `?schema=` (Prisma's convention), then `public`. */
  schema?: string;
  /** PGlite data directory (created when missing), or `memory://`; defaults to `.data/pglite`. */
  pgliteDataDir?: string;
  /**
   * Starts PGlite from a `dumpDataDir()` tarball instead of an empty cluster; skipping `initdb` is
   * what makes a fresh database per test affordable.
   */
  pgliteSnapshot?: Blob;
  /**
   * A migrated cluster on disk that a never-initialised `pgliteDataDir` starts as a copy of (see
   * BUILT_SNAPSHOT_DIR); ignored when the directory holds a cluster or the snapshot is missing.
   */
  pgliteSnapshotDir?: string;
  /**
   * The embedded database's own checkpoints and the WAL size at which PostgreSQL would ask for one
   * (see pglite-checkpoints.ts); the defaults are PGLITE_CHECKPOINTS and PGLITE_MAX_WAL_SIZE.
   */
  pgliteWal?: { checkpoints?: PgliteCheckpointOptions; maxWalSize?: string };
  /** Apply pending migrations from `prisma/migrations` before handing out the client. */
  migrate?: boolean;
  migrationsDir?: string;
  /** Told about each migration applied while opening. */
  onMigrationApplied?: (name: string) => void;
}

/**
 * Runs one statement on its own (its own implicit transaction), answering its rows: `timestamp`
 * columns as Dates, JSON parsed, `bigint` as a string. Never inside a Prisma transaction.
 */
export type DirectQuery = <T>(statement: Prisma.Sql) => Promise<T[]>;

/** Stops a `listen()` subscription. */
export type Unlisten = () => Promise<void>;

export interface Database {
  prisma: PrismaClient;
  /**
   * The statements the hot paths run on their own (a read, a list page, a create, a delivery's
   * claim and settle and its call log): on PostgreSQL straight on the pool Prisma uses, which
   * skips Prisma's query interpreter and its encoding and decoding of every value, the largest
   * single cost of a read; on PGlite through Prisma, which owns its only session (a statement sent
   * beside it could land inside another caller's transaction).
   */
  query: DirectQuery;
  /**
   * Runs one statement apart from the request traffic, for the readiness probe: on PostgreSQL on a
   * connection of its own, so that a burst holding every pooled connection does not make the
   * instance look unreachable (every instance failing readiness at once under load would take the
   * whole service out of its load balancer: a burst turned into an outage); on PGlite through
   * Prisma, which owns its only session.
   */
  probe: DirectQuery;
  kind: 'postgres' | 'pglite';
  /** Where the PostgreSQL database is, for sessions of their own (KeyHolders); absent on PGlite. */
  postgres?: { connectionString: string; schema: string };
  /**
   * Calls `onNotify` for every `NOTIFY` on `channel` raised from this database's schema (the
   * payload must be the schema's name, as the outbox trigger sends it), and once more whenever a
   * lost PostgreSQL session is listening again (see ListeningSession). Rejects when the first
   * session cannot be opened.
   */
  listen(channel: string, onNotify: () => void): Promise<Unlisten>;
  /** What `migrate: true` did; absent when migrations were not run. */
  migrations?: MigrationRunResult;
  close(): Promise<void>;
}

/**
 * Most statements the gateway sends are the same few texts again and again (a read, a create, a
 * claim): named, each connection parses and plans them once, instead of on every request as
 * Prisma's unnamed statements do, which was half of PostgreSQL's work per create. The name is the
 * text's digest, so equal texts share it. The server keeps every named statement for the
 * connection's life, so past a bound (lists of ids make texts of every length) new texts go
 * unnamed. https://www.postgresql.org/docs/current/sql-prepare.html
 */
const MAX_PREPARED_STATEMENTS = 500;

function preparedStatementNames(): (query: { sql: string }) => string {
  // By text: looking a text up costs less than digesting it again on every query.
  const names = new Map<string, string>();
  return ({ sql }) => {
    const known = names.get(sql);
    if (known !== undefined) return known;
    if (names.size >= MAX_PREPARED_STATEMENTS) return '';
    const name = `q_${createHash('sha1').update(sql).digest('base64url')}`;
    names.set(sql, name);
    return name;
  };
}

/**
 * The driver's type parsers, except `timestamp` (Prisma's DateTime), which PostgreSQL stores and
 * Prisma reads as UTC while `pg` would read it in the process's time zone.
 */
const UTC_TIMESTAMPS = {
  getTypeParser: (oid: number, format?: string): unknown =>
    oid === (types.builtins.TIMESTAMP as number) && format !== 'binary'
      ? (value: string) => new Date(`${value.replace(' ', 'T')}Z`)
      : (types.getTypeParser as (oid: number, format?: string) => unknown)(oid, format),
} as CustomTypesConfig;

/**
 * How long taking a connection may wait for the server: without a bound (pg's default) a request
 * arriving while PostgreSQL is unreachable behind a dropped route would hang until the client gave
 * up, instead of being told at once that the database is unavailable.
 */
const CONNECT_TIMEOUT_MS = 5_000;

/** How long the readiness probe's own connection stays open without a probe. */
const PROBE_IDLE_MS = 60_000;

/** A parameter as `pg` should send it: Dates as UTC, as Prisma writes them (see UTC_TIMESTAMPS). */
const toParameter = (value: unknown) => (value instanceof Date ? value.toISOString() : value);

export async function openDatabase(options: OpenDatabaseOptions = {}): Promise<Database> {
  const migrationOptions = {
    ...(options.migrationsDir === undefined ? {} : { migrationsDir: options.migrationsDir }),
    ...(options.onMigrationApplied === undefined ? {} : { onApplied: options.onMigrationApplied }),
  };
  if (options.url !== undefined) {
    const { connectionString, schema } = parsePostgresUrl(options.url, options.schema);
    let migrations: MigrationRunResult | undefined;
    if (options.migrate === true) {
      const connection = await openPostgresSession(connectionString, schema);
      try {
        migrations = await runMigrations(connection.session, migrationOptions);
      } finally {
        await connection.close();
      }
    }
    // The adapter qualifies the queries Prisma builds; raw SQL (the sync queue's, DirectQuery's)
    // finds the same tables through the connection's search_path.
    const pool = new Pool({
      connectionString,
      options: `-c search_path=${quoteIdentifier(schema)}`,
      types: UTC_TIMESTAMPS,
      connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
      // Finds a connection whose server vanished without a word (a failover, a cut route).
      keepAlive: true,
    });
    // An idle connection the server ends (a restart, `pg_terminate_backend`) is reported here and
    // dropped from the pool; without a listener that 'error' event would end the process.
    // https://node-postgres.com/apis/pool#error
    pool.on('error', (error) => databaseOutage.failed(error));
    // The pool takes that listener off a connection while it is checked out, and a connection the
    // server ends between two statements then (inside a transaction, or before a caller attached
    // its own listener) would emit an 'error' nobody hears, which ends the process: seen in the
    // fault ring under pg_terminate_backend. The statement that was running rejects anyway.
    pool.on('connect', (client) => client.on('error', (error) => databaseOutage.failed(error)));
    const probePool = new Pool({
      connectionString,
      options: `-c search_path=${quoteIdentifier(schema)}`,
      types: UTC_TIMESTAMPS,
      max: 1,
      connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
      // Kept between probes (Kubernetes probes every 10 s by default), closed once they stop.
      idleTimeoutMillis: PROBE_IDLE_MS,
      keepAlive: true,
    });
    // As the request pool's: a probe connection the server ends must not end the process.
    probePool.on('error', (error) => databaseOutage.failed(error));
    probePool.on('connect', (client) => client.on('error', (error) => databaseOutage.failed(error)));
    const statementName = preparedStatementNames();
    const prisma = new PrismaClient({
      // The pool is ours (closed below), so that it closes even if Prisma never connected.
      adapter: new PrismaPg(pool, { schema, statementNameGenerator: statementName }),
    });
    // Every listening session from the moment it starts opening, so that a close ends them all.
    const sessions = new Set<ListeningSession>();
    let closed = false;
    return {
      prisma,
      kind: 'postgres',
      postgres: { connectionString, schema },
      query: async <T>(statement: Prisma.Sql) => {
        // `text` is a getter that joins the statement's parts anew on every read.
        const text = statement.text;
        try {
          // Prisma's instrumentation sees only what goes through Prisma: these get a span here.
          const result = await traceStatement(text, () =>
            pool.query({
              name: statementName({ sql: text }),
              text,
              values: statement.values.map(toParameter),
            }),
          );
          databaseOutage.succeeded();
          return result.rows as T[];
        } catch (error) {
          if (isDatabaseUnreachable(error)) databaseOutage.failed(error);
          throw error;
        }
      },
      probe: async <T>(statement: Prisma.Sql) =>
        (await probePool.query({ text: statement.text, values: statement.values.map(toParameter) }))
          .rows as T[],
      ...(migrations === undefined ? {} : { migrations }),
      listen: async (channel, onNotify) => {
        if (closed) throw new Error('The database is closed.');
        const session = new ListeningSession(connectionString, channel, {
          notification: (payload) => {
            if (payload === schema) onNotify();
          },
          // Work committed while the session was down announced itself to no one.
          reopened: onNotify,
        });
        sessions.add(session);
        try {
          await session.start();
        } catch (error) {
          sessions.delete(session);
          await session.stop();
          throw error;
        }
        return async () => {
          sessions.delete(session);
          await session.stop();
        };
      },
      close: async () => {
        closed = true;
        await Promise.all([...sessions].map((session) => session.stop()));
        sessions.clear();
        await prisma.$disconnect();
        await Promise.all([pool.end(), probePool.end()]);
      },
    };
  }

  const dataDir = options.pgliteDataDir ?? DEFAULT_PGLITE_DATA_DIR;
  const inMemory = dataDir.startsWith(IN_MEMORY);
  const location = inMemory ? dataDir : resolve(dataDir);
  // Synchronous, like the start of the copy: see copyTree.
  if (!inMemory) mkdirSync(location, { recursive: true });
  if (!inMemory && options.pgliteSnapshotDir !== undefined) {
    await copySnapshotIntoFreshDataDir(location, options.pgliteSnapshotDir);
  }
  const pglite = await PGlite.create({
    dataDir: location,
    ...(options.pgliteSnapshot === undefined ? {} : { loadDataDir: options.pgliteSnapshot }),
    // One session and a small database: PostgreSQL's default 128 MB of shared buffers would be
    // resident memory for nothing (the operating system caches the files anyway).
    startParams: [
      ...PGlite.defaultStartParams,
      '-c',
      `shared_buffers=${PGLITE_SHARED_BUFFERS}`,
      '-c',
      `max_wal_size=${options.pgliteWal?.maxWalSize ?? PGLITE_MAX_WAL_SIZE}`,
    ],
  });
  let migrations: MigrationRunResult | undefined;
  try {
    if (options.migrate === true) migrations = await runMigrations(pgliteSession(pglite), migrationOptions);
  } catch (error) {
    await pglite.close();
    throw error;
  }
  const prisma = new PrismaClient({
    adapter: new PrismaPGlite(pglite),
    // PGlite is one connection: every transaction waits for the one before it to finish. Under a
    // bulk job on a loaded machine that wait outlasted Prisma's defaults (2 s to start, 5 s to
    // run) and writes failed for no fault of their own.
    transactionOptions: PGLITE_TRANSACTION_LIMITS,
  });
  // Through Prisma, which owns PGlite's only session, like every other statement.
  const checkpoints = keepPgliteCheckpointed(
    {
      walSinceCheckpoint: async () =>
        (await prisma.$queryRawUnsafe<{ bytes: number }[]>(WAL_SINCE_CHECKPOINT))[0]?.bytes ?? 0,
      checkpoint: async () => {
        await prisma.$executeRawUnsafe('CHECKPOINT');
      },
    },
    options.pgliteWal?.checkpoints,
  );
  return {
    prisma,
    kind: 'pglite',
    query: <T>(statement: Prisma.Sql) => prisma.$queryRaw<T[]>(statement),
    probe: <T>(statement: Prisma.Sql) => prisma.$queryRaw<T[]>(statement),
    ...(migrations === undefined ? {} : { migrations }),
    // PGlite delivers NOTIFY to listeners on the same instance, which is every writer here.
    listen: async (channel, onNotify) =>
      pglite.listen(channel, (payload) => {
        if (payload === 'public') onNotify();
      }),
    close: async () => {
      await checkpoints.stop();
      await prisma.$disconnect();
      await pglite.close();
    },
  };
}
