/**
 * One migration for bench:migration (bench/migration.ts): a fresh schema, the sandboxes reset and
 * seeded, the built migrator CLI as a child process (with `migrator worker`s beside it under
 * --workers), its memory and CPU and the 2CO sandbox's request count sampled while it runs, then
 * what the audit trail and PostgreSQL's table counters say about it. The schemas are dropped after.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { Client } from 'pg';
import type { RunningSandboxes } from '@app/sandboxes';

import { MIGRATOR_MAIN } from '../test/support/migrator-command';
import { postgresTicks, processTicks, residentBytes, systemTicks, TICKS_PER_SECOND } from './proc';

export const MB = 1024 * 1024;
/** No limit anywhere: the migrator is CPU-bound (the adapters' token bucket needs a positive number). */
const UNLIMITED = 1_000_000;
const SAMPLE_MS = 250;

/** How the migrator runs, from bench/migration.ts's options; the same for every migration of a bench run. */
export interface MigratorSettings {
  databaseUrl: string;
  queue: string;
  /** Processes working batches: the `migrator run` process and workers - 1 `migrator worker`s. */
  workers: number;
  concurrency: number;
  batchSize: number;
  nodeFlags: string[];
  /** Passed to the migrator as NODE_OPTIONS. */
  nodeOptions: string | undefined;
}

export type Counts = Record<
  'total' | 'migrated' | 'already_present' | 'skipped' | 'failed' | 'pending',
  number
>;

export interface RunOptions {
  label: string;
  customers: number;
  /** The 2CO limit L, enforced by the sandbox and configured on the account; undefined: none. */
  limit?: number;
  liveShare: number;
}

export interface RunResult {
  label: string;
  customers: number;
  exitCode: number | null;
  status: string;
  counts: Counts;
  wallSeconds: number;
  customersPerSecond: number;
  peakRssBytes: number;
  /** Highest VmRSS seen while sampling, and the sampled RSS at 25/50/75% of the customers. */
  sampledPeakRssBytes: number;
  rssAtProgress: (number | null)[];
  /** Requests the 2CO sandbox received (answered or 429), per customer. */
  targetCallsPerCustomer: number;
  sourceCallsPerCustomer: number;
  /** From the migrator's audit trail (provider_calls): every attempt, by route and status. */
  targetCallsByRoute: Record<string, number>;
  target429s: number;
  /** Each 429 from the audit trail: who made the call (actor, operation) and when in the run. */
  target429Calls: string[];
  targetMedianMs: number | null;
  /** Customers each worker process settled (migration_items.worker). */
  byWorker: Record<string, number>;
  /** 2CO customers whose ExternalCustomerReference another 2CO customer also holds: created twice. */
  targetDuplicates: number;
  /** Rows written (inserted, updated, deleted) and table scans, per customer, from pg_stat_user_tables. */
  database: { rowWrites: number; scans: number; queueRowWrites: number; queueScans: number };
  /** CPU seconds: the migrator, this process (the sandboxes), every PostgreSQL process. */
  cpu: {
    migrator: number | null;
    sandboxes: number;
    postgres: number | null;
    machineBusyShare: number | null;
  };
  /** The middle 80% of the time the target was being called. */
  steady: { seconds: number; targetRequestsPerSecond: number; customersPerSecond: number };
}

interface Sample {
  at: number;
  target: number;
  finished: number;
}

async function withClient<T>(databaseUrl: string, work: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

const schemasInUse = new Set<string>();

async function dropSchemas(databaseUrl: string, schemas: string[]): Promise<void> {
  await withClient(databaseUrl, async (client) => {
    for (const schema of schemas) {
      await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      schemasInUse.delete(schema);
    }
  });
}

/** DR is unlimited; 2CO's account is limited to `limit` requests/s (unlimited without one). */
function accounts(sandboxes: RunningSandboxes, limit: number | undefined) {
  const [digitalRiver, twoCheckout] = sandboxes.accounts({
    timeoutMs: 10_000,
    retry: { maxAttempts: 5, baseDelayMs: 50, maxDelayMs: 1_000 },
    circuitBreaker: { consecutiveFailures: 20, halfOpenAfterMs: 1_000 },
  });
  return [
    { ...digitalRiver, rateLimitPerSecond: UNLIMITED },
    { ...twoCheckout, rateLimitPerSecond: limit ?? UNLIMITED },
  ];
}

let activeChild: ReturnType<typeof spawn> | undefined;

export const fmtMb = (bytes: number | null | undefined) => (bytes == null ? '-' : (bytes / MB).toFixed(0));

/** One migration, as bench/migration.ts describes them; throws if the migrator exits before it finishes. */
export async function migrate(
  sandboxes: RunningSandboxes,
  settings: MigratorSettings,
  options: RunOptions,
): Promise<RunResult> {
  const { databaseUrl, nodeFlags } = settings;
  const { 'digital-river': dr, 'two-checkout': tco } = sandboxes;
  dr.admin.reset();
  tco.admin.reset();
  dr.admin.setRateLimit(0);
  tco.admin.setRateLimit(options.limit ?? 0);
  process.stdout.write(`  ${options.label}: seeding ${options.customers} DR customers...`);
  dr.admin.seed(options.customers);
  process.stdout.write(' done\n');

  const schema = `bench_migration_${randomBytes(6).toString('hex')}`;
  const bossSchema = `${schema}_boss`;
  schemasInUse.add(schema);
  schemasInUse.add(bossSchema);
  const reportDir = mkdtempSync(join(tmpdir(), 'bench-migration-'));
  const env: NodeJS.ProcessEnv = {
    PATH: process.env['PATH'],
    HOME: process.env['HOME'],
    NODE_ENV: 'production',
    LOG_LEVEL: 'warn',
    SANDBOXES: 'off',
    DATABASE_URL: databaseUrl,
    DATABASE_SCHEMA: schema,
    MIGRATION_QUEUE: settings.queue,
    MIGRATION_QUEUE_SCHEMA: bossSchema,
    PROVIDER_ACCOUNTS: JSON.stringify(accounts(sandboxes, options.limit)),
    ...(settings.nodeOptions ? { NODE_OPTIONS: settings.nodeOptions } : {}),
  };
  const cliArgs = [
    ...nodeFlags,
    MIGRATOR_MAIN,
    'run',
    '--from',
    'digital-river',
    '--to',
    'two-checkout',
    '--concurrency',
    String(settings.concurrency),
    '--live-share',
    String(options.liveShare),
    '--batch-size',
    String(settings.batchSize),
    '--report',
    join(reportDir, 'report.json'),
  ];

  const samples: Sample[] = [];
  let finishedCustomers = 0;
  let sampledPeak = 0;
  const rssAtProgress: (number | null)[] = [null, null, null];
  let migratorTicks: number | undefined;
  const cpuStart = process.cpuUsage();
  const postgresStart = postgresTicks();
  const systemStart = systemTicks();
  const started = performance.now();

  // The other worker processes first, so they are polling pg-boss when the first batch is sent.
  const workers = Array.from({ length: settings.workers - 1 }, () =>
    spawn(process.execPath, [...nodeFlags, MIGRATOR_MAIN, 'worker'], {
      env,
      stdio: ['ignore', 'pipe', 'inherit'],
    }),
  );
  for (const worker of workers) {
    await new Promise<void>((ready, reject) => {
      createInterface({ input: worker.stdout }).on('line', (line) => {
        if (line.includes('worker_started')) ready();
      });
      worker.once('exit', (code) => reject(new Error(`a migrator worker exited early (${code})`)));
    });
  }
  const child = spawn(process.execPath, cliArgs, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  activeChild = child;
  const pid = child.pid ?? 0;
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4_000);
  });
  const sample = () => {
    const rss = residentBytes(pid);
    if (rss !== undefined) sampledPeak = Math.max(sampledPeak, rss);
    migratorTicks = processTicks(pid) ?? migratorTicks;
    samples.push({ at: performance.now(), target: tco.admin.stats().requests, finished: finishedCustomers });
    const quarter = Math.floor((finishedCustomers / options.customers) * 4) - 1;
    if (quarter >= 0 && quarter < 3 && rssAtProgress[quarter] === null && rss !== undefined) {
      rssAtProgress[quarter] = rss;
    }
  };
  const timer = setInterval(sample, SAMPLE_MS);

  let finished: { status: string; counts: Counts; peakRssBytes: number } | undefined;
  let lastPrinted = 0;
  const lines = createInterface({ input: child.stdout });
  lines.on('line', (line) => {
    let event: Record<string, unknown>;
    try {
      event = JSON.parse(line) as Record<string, unknown>;
    } catch {
      return;
    }
    if (event['event'] === 'progress') {
      const counts = event['counts'] as Counts;
      finishedCustomers = counts.total - counts.pending;
      const now = performance.now();
      if (now - lastPrinted >= 5_000) {
        lastPrinted = now;
        const rate = Number(event['ratePerSecond'] ?? 0);
        const eta = event['etaSeconds'] === undefined ? '' : `, eta ${Number(event['etaSeconds'])} s`;
        const rss = residentBytes(pid);
        console.log(
          `  ${options.label}: ${finishedCustomers}/${options.customers} customers, ${rate.toFixed(0)}/s` +
            `${eta}, rss ${fmtMb(rss)} MB, 2CO ${tco.admin.stats().requests} requests, ` +
            `${((now - started) / 1000).toFixed(0)} s`,
        );
      }
    } else if (event['event'] === 'finished') {
      sample();
      finished = event as unknown as typeof finished;
    }
  });
  const exitCode = await new Promise<number | null>((resolveExit, reject) => {
    child.once('error', reject);
    child.once('close', (code) => resolveExit(code));
  });
  clearInterval(timer);
  activeChild = undefined;
  await Promise.all(
    workers.map(async (worker) => {
      worker.kill('SIGTERM');
      if (worker.exitCode === null) await new Promise((exited) => worker.once('exit', exited));
    }),
  );
  const wallSeconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuStart);
  const postgresEnd = postgresTicks();
  const systemEnd = systemTicks();

  if (finished === undefined) {
    await dropSchemas(databaseUrl, [schema, bossSchema]).catch(() => undefined);
    rmSync(reportDir, { recursive: true, force: true });
    throw new Error(`${options.label}: the migrator exited with ${exitCode} before finishing:\n${stderr}`);
  }

  // The audit trail records every attempt, including those answered 429.
  const audit = await withClient(databaseUrl, async (client) => {
    const { rows } = await client.query<{ method: string; path: string; status: number | null; n: string }>(
      `SELECT method, path, http_status AS status, count(*) AS n FROM "${schema}".provider_calls
       WHERE provider = 'two-checkout' GROUP BY 1, 2, 3 ORDER BY 4 DESC`,
    );
    const median = await client.query<{ ms: number | null }>(
      `SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY duration_ms) AS ms FROM "${schema}".provider_calls
       WHERE provider = 'two-checkout'`,
    );
    // Per-table counters of this run's schemas: how much database work one customer costs. A
    // backend reports its counters when it exits, which the migrator's did a moment ago.
    await new Promise((resolveWait) => setTimeout(resolveWait, 1_000));
    const tables = await client.query<{ boss: boolean; writes: string; scans: string }>(
      `SELECT schemaname = $2 AS boss, sum(n_tup_ins + n_tup_upd + n_tup_del) AS writes,
              sum(coalesce(seq_scan, 0) + coalesce(idx_scan, 0)) AS scans
       FROM pg_stat_user_tables WHERE schemaname IN ($1, $2) GROUP BY 1`,
      [schema, bossSchema],
    );
    // Who ran into the limit, and when: the schedule's share (actor migration) or a call outside it.
    const limited = await client.query<{
      actor: string | null;
      operation: string;
      route: string;
      at_ms: number;
    }>(
      `SELECT actor, operation, method || ' ' || path AS route,
              extract(epoch FROM created_at - (SELECT min(created_at) FROM "${schema}".provider_calls
                                                WHERE provider = 'two-checkout')) * 1000 AS at_ms
         FROM "${schema}".provider_calls WHERE provider = 'two-checkout' AND http_status = 429
        ORDER BY created_at`,
    );
    const workersRows = await client.query<{ worker: string | null; n: string }>(
      `SELECT worker, count(*) AS n FROM "${schema}".migration_items GROUP BY 1 ORDER BY 1`,
    );
    return {
      rows,
      limited: limited.rows.map(
        (row) => `${row.actor ?? '?'} ${row.operation} ${row.route} at ${Math.round(Number(row.at_ms))} ms`,
      ),
      medianMs: median.rows[0]?.ms ?? null,
      tables: tables.rows,
      byWorker: Object.fromEntries(workersRows.rows.map((row) => [row.worker ?? '(none)', Number(row.n)])),
    };
  });
  await dropSchemas(databaseUrl, [schema, bossSchema]);
  rmSync(reportDir, { recursive: true, force: true });

  const byRoute: Record<string, number> = {};
  let target429s = 0;
  for (const row of audit.rows) {
    const key = `${row.method} ${row.path} ${row.status ?? 'no answer'}`;
    byRoute[key] = Number(row.n);
    if (row.status === 429) target429s += Number(row.n);
  }
  const total = finished.counts.total || 1;
  const app = audit.tables.find((t) => !t.boss);
  const queue = audit.tables.find((t) => t.boss);
  const machine =
    systemStart && systemEnd
      ? (systemEnd.busy - systemStart.busy) / Math.max(1, systemEnd.total - systemStart.total)
      : undefined;
  const result: Omit<RunResult, 'steady'> = {
    label: options.label,
    customers: options.customers,
    exitCode,
    status: finished.status,
    counts: finished.counts,
    wallSeconds,
    customersPerSecond: finished.counts.total / wallSeconds,
    peakRssBytes: finished.peakRssBytes,
    sampledPeakRssBytes: sampledPeak,
    rssAtProgress,
    targetCallsPerCustomer: tco.admin.stats().requests / total,
    sourceCallsPerCustomer: dr.admin.stats().requests / total,
    targetCallsByRoute: byRoute,
    target429s,
    target429Calls: audit.limited,
    targetMedianMs: audit.medianMs,
    byWorker: audit.byWorker,
    targetDuplicates: (() => {
      const held = tco.admin.dump().map((c) => c.ExternalCustomerReference ?? `#${c.CustomerReference}`);
      return held.length - new Set(held).size;
    })(),
    database: {
      rowWrites: Number(app?.writes ?? 0) / total,
      scans: Number(app?.scans ?? 0) / total,
      queueRowWrites: Number(queue?.writes ?? 0) / total,
      queueScans: Number(queue?.scans ?? 0) / total,
    },
    cpu: {
      migrator: migratorTicks === undefined ? null : migratorTicks / TICKS_PER_SECOND,
      sandboxes: (cpu.user + cpu.system) / 1e6,
      postgres:
        postgresStart === undefined || postgresEnd === undefined
          ? null
          : (postgresEnd - postgresStart) / TICKS_PER_SECOND,
      machineBusyShare: machine ?? null,
    },
  };
  const full: RunResult = { ...result, steady: steadyPhase(samples) };
  console.log(
    `  ${options.label}: ${result.status} in ${wallSeconds.toFixed(1)} s, ` +
      `${result.customersPerSecond.toFixed(1)} customers/s, peak RSS ${fmtMb(result.peakRssBytes)} MB` +
      `, 2CO steady ${full.steady.targetRequestsPerSecond.toFixed(1)} req/s`,
  );
  return full;
}

/**
 * The middle 80% of the time the target was being called: leaves out start-up (enumeration, the
 * first batch) and the tail (the last batch's stragglers, the report).
 */
function steadyPhase(samples: Sample[]): RunResult['steady'] {
  // Samples where the count moved: the target was being called.
  const active = samples.filter((s, i) => s.target > 0 && (i === 0 || s.target !== samples[i - 1]?.target));
  const first = active[0];
  const last = active[active.length - 1];
  if (first === undefined || last === undefined || last.at - first.at < 1_000) {
    return { seconds: 0, targetRequestsPerSecond: 0, customersPerSecond: 0 };
  }
  const span = last.at - first.at;
  const from = first.at + span * 0.1;
  const to = last.at - span * 0.1;
  const at = (time: number) => samples.find((s) => s.at >= time) ?? last;
  const a = at(from);
  const b = at(to);
  const seconds = (b.at - a.at) / 1000;
  return {
    seconds,
    targetRequestsPerSecond: (b.target - a.target) / seconds,
    customersPerSecond: (b.finished - a.finished) / seconds,
  };
}

/**
 * On an interrupt or a crash: kills the migrator still running, if any, and drops every schema a
 * migration still holds (errors ignored: the bench is exiting anyway).
 */
export async function abandonMigration(databaseUrl: string): Promise<void> {
  activeChild?.kill('SIGKILL');
  await dropSchemas(databaseUrl, [...schemasInUse]).catch(() => undefined);
}
