import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { type Database, openDatabase, WAL_SINCE_CHECKPOINT } from '@app/persistence';

import { eventually } from '../support/eventually';

// PGlite is PostgreSQL compiled to Wasm: a fresh instance takes seconds to boot.
jest.setTimeout(180_000);

/**
 * PGlite has no checkpointer: once the WAL since the last checkpoint reaches the point where
 * PostgreSQL asks for one (max_wal_size / 1.9, in whole 16 MB segments), the statement writing it
 * never returns. With a small max_wal_size the point is near (64 MB here), so this writes many
 * times past it: it only completes because the database checkpoints itself
 * (libs/persistence pglite-checkpoints.ts).
 * Each write waits for the WAL to be checkpointed back under a bound first, so a broken checkpoint
 * fails this test at that wait instead of hanging it inside PGlite.
 */
const SEGMENT_BYTES = 16 * 1024 * 1024;
const MAX_WAL_BYTES = 8 * SEGMENT_BYTES;
const HANG_POINT_BYTES = Math.floor(MAX_WAL_BYTES / SEGMENT_BYTES / 1.9) * SEGMENT_BYTES;
const CHECKPOINT_AFTER_BYTES = 8 * 1024 * 1024;
const ROUNDS = 30;
const ROWS = 40_000;

describe('the embedded database checkpoints its own WAL', () => {
  let dir: string;
  let database: Database;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'pglite-wal-'));
    database = await openDatabase({
      pgliteDataDir: join(dir, 'pglite'),
      pgliteWal: { maxWalSize: '128MB', checkpoints: { everyMs: 20, afterBytes: CHECKPOINT_AFTER_BYTES } },
    });
  });

  afterAll(async () => {
    await database?.close();
    await rm(dir, { recursive: true, force: true });
  });

  const walSinceCheckpoint = async () =>
    (await database.prisma.$queryRawUnsafe<{ bytes: number }[]>(WAL_SINCE_CHECKPOINT))[0]!.bytes;
  const walPosition = async () =>
    Number(
      (
        await database.prisma.$queryRawUnsafe<{ at: string }[]>(
          `SELECT (pg_current_wal_insert_lsn() - '0/0'::pg_lsn)::text AS at`,
        )
      )[0]!.at,
    );

  it('writes far past the point where PostgreSQL would ask a checkpointer, and keeps the WAL small', async () => {
    await database.prisma.$executeRawUnsafe(`CREATE TABLE filler (id text PRIMARY KEY, body text)`);
    const started = await walPosition();
    let sinceMax = 0;
    for (let round = 0; round < ROUNDS; round++) {
      // Under two checkpoint steps before each write of about 10 MB: never near the hang point.
      const since = await eventually(
        'the WAL checkpointed back under 16 MB',
        async () => {
          const bytes = await walSinceCheckpoint();
          return bytes < 2 * CHECKPOINT_AFTER_BYTES ? bytes : undefined;
        },
        { timeoutMs: 60_000, intervalMs: 20 },
      );
      sinceMax = Math.max(sinceMax, since);
      await database.prisma.$executeRawUnsafe(
        `INSERT INTO filler SELECT '${round}-' || n, repeat('x', 200) FROM generate_series(1, ${ROWS}) AS n`,
      );
    }
    const written = (await walPosition()) - started;

    expect(written).toBeGreaterThan(4 * HANG_POINT_BYTES);
    expect(sinceMax).toBeLessThan(HANG_POINT_BYTES);
    const [counted] = await database.prisma.$queryRawUnsafe<{ rows: number }[]>(
      `SELECT count(*)::int AS rows FROM filler`,
    );
    expect(counted?.rows).toBe(ROUNDS * ROWS);
  });
});
