/**
 * `npm run bench:scale`: whether the gateway's reads cost the same at a million customers as at ten
 * thousand (issue 34).
 *
 * On PostgreSQL, one mirror grows through BENCH_SIZES (default 10,000, 100,000 and 1,000,000
 * customers), seeded with set-based SQL (libs/persistence testing/scale-seed.ts: two links, three
 * events and four provider calls per customer); a second mirror stays at the smallest size. At
 * each size the built gateway is started as a process on the grown mirror, beside one that serves
 * the smallest all along, and every read below is sent one request at a time, BENCH_REQUESTS
 * times each after a warm-up, the two gateways and the reads taking turns: a change in the
 * machine's load hits both alike, and the ratio of their p50s is the figure. Each read is also sent
 * once, first, to a gateway of its own that captures the statements it runs
 * (bench/capture-statements.mts); after the turns each of those is run again under `EXPLAIN (ANALYZE, BUFFERS)`: the plans are printed (the largest size's, or all with
 * BENCH_PLANS=all) and checked (testing/query-plans.ts: no sequential scan over 10,000 rows, no
 * node reading more than 10x the rows it returns). Goals: every read's p50 at the largest size
 * within 1.25x of the smallest's, and no plan problem at any size.
 *
 * The floor takes the same turns: each read's captured statements sent straight to PostgreSQL with
 * `pg`, about a customer drawn anew, on the grown mirror and on the smallest (bench/scale-floor.ts).
 * Where the bare statements themselves grow past the goal (a random row among a million is cold
 * more often), the bench also reports each read's ratio without that growth, the gateway's own.
 *
 * The embedded default (PGlite, the built gateway on a DATA_DIR) is grown through
 * BENCH_PGLITE_SIZES (default: the first two sizes) and takes the same turns: its goals are every
 * read's p50 within 2x of PostgreSQL's at that size, and start to /health/ready under 5 s.
 *
 * Needs `npm run build` (the script runs it) and PostgreSQL (`BENCH_DATABASE_URL`, default
 * postgresql://postgres@127.0.0.1:5432/postgres; fresh schemas, dropped at the end).
 * Env: BENCH_SIZES, BENCH_PGLITE_SIZES (comma-separated), BENCH_REQUESTS (100),
 * BENCH_ONLY=postgres (no PGlite), BENCH_PLANS=all.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Client } from 'pg';
import {
  openDatabase,
  planProblems,
  type PlanNode,
  relationsOf,
  type RunStatement,
  seedScaleMirror,
} from '@app/persistence';

import type { CapturedStatement } from './capture-statements.mjs';
import { type CapturedRead, replay, statementsFor } from './scale-floor.js';
import { type Read, READS, requestOf } from './scale-reads.js';
import { rssMb } from './proc';
import { type GatewayProcess, startGatewayProcess } from './gateway-process';
import { percentile } from './stats';

const DATABASE_URL = process.env['BENCH_DATABASE_URL'] ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
const sizesOf = (value: string | undefined, fallback: number[]) =>
  value === undefined ? fallback : value.split(',').map((size) => Number(size.replaceAll('_', '')));
const SIZES = sizesOf(process.env['BENCH_SIZES'], [10_000, 100_000, 1_000_000]);
// Seeding the embedded database runs in WebAssembly, about 4x slower than PostgreSQL's: a million
// customers would take an hour, far past where it meets its goals.
const PGLITE_SIZES = sizesOf(process.env['BENCH_PGLITE_SIZES'], SIZES.slice(0, 2));
const REQUESTS = Number(process.env['BENCH_REQUESTS'] ?? 100);
const WARM_UP = 10;
const ONLY = process.env['BENCH_ONLY'];
const ALL_PLANS = process.env['BENCH_PLANS'] === 'all';
const API_KEY = `scale_${randomUUID().replaceAll('-', '')}`;
const GOALS = { flat: 1.25, pgliteOverPostgres: 2, pgliteReadyMs: 5_000 };

/** The gateway's environment for reads only: no worker would change the seeded links under the bench. */
const READS_ONLY = {
  NODE_ENV: 'development',
  HOST: '127.0.0.1',
  API_KEYS: JSON.stringify([{ id: 'bench', scopes: ['admin'], key: API_KEY }]),
  SYNC_WORKER: 'off',
  RATE_LIMIT_READ_PER_SECOND: '1000000',
  RATE_LIMIT_WRITE_PER_SECOND: '1000000',
};

type Gateway = GatewayProcess;

/** The built gateway for reads only; resolves once /health/ready answers 200. */
function startGateway(env: Record<string, string>, nodeFlags: string[] = []): Promise<Gateway> {
  return startGatewayProcess({ ...READS_ONLY, ...env }, { nodeFlags, readyPath: '/health/ready' });
}

async function send(url: string, path: string, headers: Record<string, string> = {}): Promise<number> {
  const started = performance.now();
  const res = await fetch(url + path, { headers: { authorization: `Bearer ${API_KEY}`, ...headers } });
  await res.arrayBuffer();
  if (res.status !== 200) throw new Error(`${path} answered ${res.status}`);
  return performance.now() - started;
}

/** What the reads are sent to (a gateway, or the bare statements: the floor), and the size of the mirror it serves. */
interface Target {
  name: string;
  size: number;
  /** Sends one request of `read`, about a customer drawn anew; resolves to its milliseconds. */
  send(read: Read): Promise<number>;
}
const gatewayTarget = (name: string, url: string, size: number): Target => ({
  name,
  size,
  send: (read) => send(url, requestOf(read, size)),
});
/** The floor: each read's captured statements, about a customer drawn anew, sent to `client` (bench/scale-floor.ts). */
const floorTarget = (
  name: string,
  client: Client,
  size: number,
  captured: Map<string, CapturedRead>,
  schemas: { schema: string; to: string },
): Target => ({
  name,
  size,
  send: (read) => {
    const statements = statementsFor(captured.get(read.name)!, read.pick?.(size) ?? 0, schemas);
    if (statements === undefined) throw new Error(`${read.name}: no captured value names its customer`);
    return replay(client, statements);
  },
});

/**
 * Each read's latencies on each target: one request at a time, the targets and the reads taking
 * turns, so that a change in the machine's load hits every target alike.
 */
async function measureReads(targets: Target[]): Promise<Map<string, Map<string, number[]>>> {
  const latencies = new Map(
    targets.map((target) => [target.name, new Map(READS.map((read) => [read.name, [] as number[]]))]),
  );
  for (let round = 0; round < WARM_UP + REQUESTS; round++) {
    for (const read of READS) {
      // Which target goes first alternates, so neither always follows the other's cache misses.
      const order = round % 2 === 0 ? targets : [...targets].reverse();
      for (const target of order) {
        const ms = await target.send(read);
        if (round >= WARM_UP) latencies.get(target.name)!.get(read.name)!.push(ms);
      }
    }
  }
  return latencies;
}

/** `EXPLAIN (ANALYZE, BUFFERS)` of every statement a read ran that reads a table, checked. */
async function explainCaptured(
  admin: Client,
  captured: Record<string, CapturedStatement[]>,
  print: boolean,
): Promise<string[]> {
  const problems: string[] = [];
  for (const read of READS) {
    for (const statement of captured[read.name] ?? []) {
      const text = statement.text.trim();
      if (!/^(SELECT|WITH)\b/i.test(text) || /\b(INSERT|UPDATE|DELETE)\b/i.test(text)) continue;
      await admin.query('BEGIN');
      try {
        const json = await admin.query<{ 'QUERY PLAN': [{ Plan: PlanNode }] }>(
          `EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) ${text}`,
          statement.values,
        );
        const plan = json.rows[0]!['QUERY PLAN'][0].Plan;
        if (relationsOf(plan).length === 0) continue;
        const found = planProblems(plan).map((problem) => `${read.name}: ${problem}`);
        problems.push(...found);
        if (print || found.length > 0) {
          const textPlan = await admin.query<{ 'QUERY PLAN': string }>(
            `EXPLAIN (ANALYZE, BUFFERS) ${text}`,
            statement.values,
          );
          console.log(`\n--- ${read.name}: ${text.replace(/\s+/g, ' ').slice(0, 160)}…`);
          console.log(textPlan.rows.map((row) => row['QUERY PLAN']).join('\n'));
        }
      } finally {
        await admin.query('ROLLBACK');
      }
    }
  }
  return problems;
}

/** One size: each read's p50 on PostgreSQL at that size, on the smallest size in the same turns, and on PGlite. */
interface SizeResult {
  size: number;
  postgres: Map<string, number>;
  baseline: Map<string, number>;
  /** The bare statements' p50 at this size and at the smallest (bench/scale-floor.ts). */
  floor: Map<string, number>;
  floorBaseline: Map<string, number>;
  pglite?: Map<string, number>;
  postgresReadyMs: number;
  pgliteReadyMs?: number;
  postgresRssMb: number;
  pgliteRssMb?: number;
  seedSeconds: number;
  pgliteSeedSeconds?: number;
  problems: string[];
}

const p50sOf = (latencies: Map<string, number[]>) =>
  new Map([...latencies].map(([name, values]) => [name, percentile(values, 50)]));

/** A fresh migrated schema on the PostgreSQL server and a client whose search_path is it. */
async function postgresSchema(): Promise<{ schema: string; client: Client; drop(): Promise<void> }> {
  const schema = `bench_scale_${randomUUID().replaceAll('-', '')}`;
  const client = new Client({ connectionString: DATABASE_URL, options: `-c search_path="${schema}"` });
  await client.connect();
  const migrated = await openDatabase({ url: DATABASE_URL, schema, migrate: true });
  await migrated.close();
  return {
    schema,
    client,
    drop: async () => {
      await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await client.end();
    },
  };
}

/** Seeds with `run` and refreshes statistics, as autovacuum would after such a load (this server runs without it). */
async function seed(run: RunStatement, from: number, to: number, tables: string): Promise<number> {
  const started = performance.now();
  await seedScaleMirror(run, from, to);
  await run(`VACUUM ANALYZE ${tables}`);
  return (performance.now() - started) / 1000;
}
const SEEDED_TABLES = 'customers, provider_links, events, provider_calls';

/**
 * PGlite grows by this many customers per step, with a CHECKPOINT after each: it has no
 * checkpointer, and one statement cannot be checkpointed while it runs, so a single step writing
 * more WAL than max_wal_size / 1.9 would never return (libs/persistence pglite-checkpoints.ts).
 */
const PGLITE_SEED_STEP = 50_000;

/** The embedded database in `dataDir`, grown from `from` to `to` customers while no gateway holds it. */
async function seedPglite(dataDir: string, from: number, to: number): Promise<number> {
  const database = await openDatabase({ pgliteDataDir: join(dataDir, 'pglite'), migrate: true });
  const run = (sql: string) => database.prisma.$executeRawUnsafe(sql);
  try {
    const started = performance.now();
    for (let step = from; step < to; step += PGLITE_SEED_STEP) {
      await seedScaleMirror(run, step, Math.min(to, step + PGLITE_SEED_STEP));
      await run('CHECKPOINT');
    }
    await run(`VACUUM ANALYZE ${SEEDED_TABLES}`);
    return (performance.now() - started) / 1000;
  } finally {
    await database.close();
  }
}

/**
 * One request of each read, about a customer drawn for it, sent to a gateway on `schema` that
 * captures the statements it runs (bench/capture-statements.mts). A process of its own, so the
 * gateway measured pays nothing for capturing.
 */
async function captureReads(schema: string, size: number): Promise<Map<string, CapturedRead>> {
  const captureDir = mkdtempSync(join(tmpdir(), 'bench-scale-'));
  const captureFile = join(captureDir, 'statements.json');
  const capturing = await startGateway(
    { DATABASE_URL, DATABASE_SCHEMA: schema, BENCH_CAPTURE_FILE: captureFile },
    ['--import', resolve(__dirname, 'capture-statements.mts')],
  );
  const customers = new Map<string, number>();
  try {
    // Uncaptured first: a gateway's first requests also run what it does once (its connections'
    // set-up), which the floor must not count as a read's.
    for (const read of READS) await send(capturing.url, requestOf(read, size));
    for (const read of READS) {
      const customer = read.pick?.(size) ?? 0;
      customers.set(read.name, customer);
      await send(capturing.url, read.path(size, customer), { 'x-bench-capture': read.name });
    }
  } finally {
    await capturing.stop();
  }
  const statements = JSON.parse(readFileSync(captureFile, 'utf8')) as Record<string, CapturedStatement[]>;
  rmSync(captureDir, { recursive: true, force: true });
  return new Map(
    READS.map((read) => [
      read.name,
      { customer: customers.get(read.name)!, statements: statements[read.name] ?? [] },
    ]),
  );
}

async function bench(): Promise<SizeResult[]> {
  const grown = await postgresSchema();
  const smallest = await postgresSchema();
  const pgliteDir = mkdtempSync(join(tmpdir(), 'bench-scale-pglite-'));
  const results: SizeResult[] = [];
  let baseline: Gateway | undefined;
  try {
    await seed((sql) => smallest.client.query(sql), 0, SIZES[0]!, SEEDED_TABLES);
    baseline = await startGateway({ DATABASE_URL, DATABASE_SCHEMA: smallest.schema });
    let seeded = 0;
    let pgliteSeeded = 0;
    for (const size of SIZES) {
      const seedSeconds = await seed((sql) => grown.client.query(sql), seeded, size, SEEDED_TABLES);
      seeded = size;
      const withPglite = ONLY !== 'postgres' && PGLITE_SIZES.includes(size);
      const pgliteSeedSeconds = withPglite ? await seedPglite(pgliteDir, pgliteSeeded, size) : undefined;
      if (withPglite) pgliteSeeded = size;
      const captured = await captureReads(grown.schema, size);
      const sized = await startGateway({ DATABASE_URL, DATABASE_SCHEMA: grown.schema });
      const embedded = withPglite
        ? await startGateway({ DATA_DIR: pgliteDir, SANDBOXES: 'auto' }, ['--liftoff-only'])
        : undefined;
      const targets: Target[] = [
        gatewayTarget('baseline', baseline.url, SIZES[0]!),
        gatewayTarget('postgres', sized.url, size),
        floorTarget('floor', grown.client, size, captured, { schema: grown.schema, to: grown.schema }),
        floorTarget('floor baseline', smallest.client, SIZES[0]!, captured, {
          schema: grown.schema,
          to: smallest.schema,
        }),
        ...(embedded === undefined ? [] : [gatewayTarget('pglite', embedded.url, size)]),
      ];
      const latencies = await measureReads(targets);
      const postgresRssMb = rssMb(sized.child.pid ?? 0);
      const pgliteRssMb = embedded === undefined ? undefined : rssMb(embedded.child.pid ?? 0);
      await sized.stop();
      await embedded?.stop();
      console.log(
        `\n=== ${size.toLocaleString('en-US')} customers (PostgreSQL seeded in ${seedSeconds.toFixed(0)} s)`,
      );
      const problems = await explainCaptured(
        grown.client,
        Object.fromEntries([...captured].map(([name, read]) => [name, read.statements])),
        ALL_PLANS || size === SIZES.at(-1),
      );
      const result: SizeResult = {
        size,
        postgres: p50sOf(latencies.get('postgres')!),
        baseline: p50sOf(latencies.get('baseline')!),
        floor: p50sOf(latencies.get('floor')!),
        floorBaseline: p50sOf(latencies.get('floor baseline')!),
        postgresReadyMs: sized.readyMs,
        postgresRssMb,
        seedSeconds,
        problems,
        ...(embedded === undefined
          ? {}
          : {
              pglite: p50sOf(latencies.get('pglite')!),
              pgliteReadyMs: embedded.readyMs,
              pgliteRssMb: pgliteRssMb!,
              pgliteSeedSeconds: pgliteSeedSeconds!,
            }),
      };
      results.push(result);
      printSize(result);
    }
  } finally {
    await baseline?.stop();
    await grown.drop();
    await smallest.drop();
    rmSync(pgliteDir, { recursive: true, force: true });
  }
  return results;
}

/** PGlite's goals at a size: ready in under 5 s, and no read's p50 over 2x PostgreSQL's. */
function embeddedFits(result: SizeResult): boolean {
  if (result.pglite === undefined || result.pgliteReadyMs === undefined) return false;
  return (
    result.pgliteReadyMs < GOALS.pgliteReadyMs &&
    READS.every(
      (read) => result.pglite!.get(read.name)! <= GOALS.pgliteOverPostgres * result.postgres.get(read.name)!,
    )
  );
}

/**
 * A read's p50 at a size over its p50 at the smallest, once what the bare statements themselves
 * grew by between the two sizes (the floor, when it grew) is taken off: the gateway's own growth.
 */
function beyondFloor(result: SizeResult, read: Read): number {
  const floorGrowth = Math.max(0, result.floor.get(read.name)! - result.floorBaseline.get(read.name)!);
  return (result.postgres.get(read.name)! - floorGrowth) / result.baseline.get(read.name)!;
}

function printSize(result: SizeResult): void {
  const size = result.size.toLocaleString('en-US');
  console.log(`\n${size} customers: p50 ms of each read, one request at a time`);
  console.log(
    `read | PostgreSQL ${size} | PostgreSQL ${SIZES[0]!.toLocaleString('en-US')} (same turns) | ratio | floor ${size} / ${SIZES[0]!.toLocaleString('en-US')} | ratio without the floor's growth${result.pglite === undefined ? '' : ` | PGlite ${size} | PGlite / PostgreSQL`}`,
  );
  for (const read of READS) {
    const pg = result.postgres.get(read.name)!;
    const base = result.baseline.get(read.name)!;
    const embedded = result.pglite?.get(read.name);
    console.log(
      `${read.name} | ${pg.toFixed(2)} | ${base.toFixed(2)} | ${(pg / base).toFixed(2)}x | ${result.floor.get(read.name)!.toFixed(2)} / ${result.floorBaseline.get(read.name)!.toFixed(2)} | ${beyondFloor(result, read).toFixed(2)}x${embedded === undefined ? '' : ` | ${embedded.toFixed(2)} | ${(embedded / pg).toFixed(2)}x`}`,
    );
  }
  console.log(
    `ready (start to /health/ready): PostgreSQL ${result.postgresReadyMs.toFixed(0)} ms${result.pgliteReadyMs === undefined ? '' : `, PGlite ${result.pgliteReadyMs.toFixed(0)} ms`}; RSS after the reads: PostgreSQL ${result.postgresRssMb.toFixed(0)} MB${result.pgliteRssMb === undefined ? '' : `, PGlite ${result.pgliteRssMb.toFixed(0)} MB`}; seeding: PostgreSQL ${result.seedSeconds.toFixed(0)} s${result.pgliteSeedSeconds === undefined ? '' : `, PGlite ${result.pgliteSeedSeconds.toFixed(0)} s`}`,
  );
  console.log(`plans: ${result.problems.length === 0 ? 'no problem' : result.problems.join('; ')}`);
  if (result.pglite !== undefined)
    console.log(`PGlite meets its goals at this size: ${embeddedFits(result) ? 'yes' : 'NO'}`);
}

async function run(): Promise<void> {
  const results = await bench();
  const last = results.at(-1)!;
  const notFlat = READS.filter(
    (read) => last.postgres.get(read.name)! > GOALS.flat * last.baseline.get(read.name)!,
  );
  const notFlatBeyondFloor = notFlat.filter((read) => beyondFloor(last, read) > GOALS.flat);
  const problems = results.flatMap((result) =>
    result.problems.map((problem) => `${result.size}: ${problem}`),
  );
  console.log(
    `\nevery read's p50 at ${last.size} within ${GOALS.flat}x of ${SIZES[0]}: ${notFlat.length === 0 ? 'met' : `NOT MET (${notFlat.map((read) => read.name).join(', ')})`}`,
  );
  if (notFlat.length > 0)
    console.log(
      `the same, without what the bare statements grew by (the floor): ${notFlatBeyondFloor.length === 0 ? 'met' : `NOT MET (${notFlatBeyondFloor.map((read) => read.name).join(', ')})`}`,
    );
  console.log(
    `plans: ${problems.length === 0 ? 'no problem at any size' : `NOT MET\n${problems.join('\n')}`}`,
  );
  if (ONLY !== 'postgres') {
    const fits = results.filter(embeddedFits).at(-1)?.size;
    console.log(
      `the embedded default (PGlite) meets its goals up to: ${fits?.toLocaleString('en-US') ?? 'none of the sizes'}`,
    );
  }
  process.exitCode = notFlatBeyondFloor.length > 0 || problems.length > 0 ? 1 : 0;
}

void run().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
