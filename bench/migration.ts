/**
 * `npm run bench:migration`: how close the migration job gets to a provider's request limit, and
 * whether its memory stays flat as the customer base grows.
 *
 * Team rule: figures are ratios against a baseline measured in the same run on the same machine,
 * plus absolute numbers. Everything runs the real CLI (dist/apps/migrator, built by the npm script)
 * as a child process, with the Node flags the `migrator` npm script gives it, DR sandbox -> 2CO
 * sandbox, on PostgreSQL in a fresh schema per migration (dropped afterwards). The sandboxes run in
 * this process; the migrator's JSON lines are read from its stdout and its resident memory is
 * sampled from /proc while it runs.
 *
 * 1. Throughput against the provider limit. The 2CO sandbox enforces L requests/s (token bucket,
 *    429 + Retry-After) and the 2CO account's `rateLimitPerSecond` is L; the migration may use
 *    L x (1 - liveShare) of it. The 2CO sandbox's request counter is sampled every 250 ms; the
 *    achieved rate is taken over the steady phase (the middle 80% of the time the target was being
 *    called) and reported as achieved / (L x (1 - liveShare)), goal >= 0.95, with no 429s (counted
 *    in the migrator's audit trail, provider_calls, which records every attempt). The DR source is
 *    unlimited (sandbox limiter off, account limit high). Each pass's customer count is sized from
 *    the 2CO calls per customer the baseline measured, so it lasts about --throughput-seconds.
 *    Reference in the same run: the same migration with no limit at all, i.e. what the machine
 *    allows; when that is below the budget, the ratio measures the migrator's CPU, not its pacing.
 * 2. Peak memory (the CLI's `peakRssBytes`, its maxRSS) at each of --sizes customers, with every
 *    limit off so the migrator is CPU-bound. Baseline: the same CLI migrating 100 customers (and,
 *    for reference, the maxRSS of an idle `node -e ''`). Goal: under 300 MB and flat (largest size /
 *    smallest size <= 1.2).
 * For every migration it also prints where the CPU went (migrator process, all PostgreSQL processes,
 * this process's sandboxes, from /proc) per customer, and the 2CO calls per customer by route.
 *
 * Options (or env): --sizes 10000,100000 (BENCH_SIZES), --limit 150 (BENCH_LIMIT),
 * --live-shares 0,0.2 (BENCH_LIVE_SHARES; empty skips the throughput passes),
 * --throughput-seconds 45 (BENCH_THROUGHPUT_SECONDS), --throughput-customers n (fixed count instead),
 * --concurrency 32 (BENCH_CONCURRENCY), --batch-size 100 (BENCH_BATCH_SIZE),
 * --queue pg-boss|in-process (BENCH_QUEUE; default pg-boss, what `auto` picks on PostgreSQL),
 * --node-options=--max-old-space-size=128 (BENCH_NODE_OPTIONS, the migrator's NODE_OPTIONS),
 * --plain-node (BENCH_PLAIN_NODE=1: without the Node flags of the `migrator` npm script),
 * --database-url (BENCH_DATABASE_URL, default postgresql://postgres@127.0.0.1:5432/test).
 * The defaults take 30 to 40 minutes on 2 cores (100,000 customers is most of it).
 * Exits non-zero when a goal is not met.
 *
 * `--workers 2` (BENCH_WORKERS; issue 34) is a mode of its own: the `migrator run` process plus
 * `migrator worker` processes up to that many share each run through pg-boss, the sandboxes in this
 * process. It first measures the ceiling (the two workers with no limit at all), then sets the 2CO
 * limit at no more than half of it (`--limit` if lower) and migrates --throughput-customers (default
 * 3,000) at live share 0. Reported: 2CO req/s over the steady phase / limit (goal >= 0.95), 429s
 * (0), and customers created twice at the target (0: every ExternalCustomerReference 2CO holds,
 * counted), with the customers each worker settled.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { startSandboxes } from '@app/sandboxes';

import { MIGRATOR_MAIN, migratorNodeFlags } from '../test/support/migrator-command';
import { abandonMigration, migrate, type RunResult } from './migration-run';
import {
  type BenchSettings,
  printCalls,
  report,
  type Results,
  round,
  THROUGHPUT_GOAL,
  type ThroughputPass,
} from './migration-report';
import { systemTicks } from './proc';

const BASELINE_CUSTOMERS = 100;

const { values: args } = parseArgs({
  options: {
    sizes: { type: 'string', default: process.env['BENCH_SIZES'] ?? '10000,100000' },
    // Below what 2 cores migrate unthrottled (about 200-370 2CO req/s: the reference pass), so the
    // throughput passes measure the pacing rather than the CPU.
    limit: { type: 'string', default: process.env['BENCH_LIMIT'] ?? '150' },
    'live-shares': { type: 'string', default: process.env['BENCH_LIVE_SHARES'] ?? '0,0.2' },
    'throughput-seconds': { type: 'string', default: process.env['BENCH_THROUGHPUT_SECONDS'] ?? '45' },
    'throughput-customers': { type: 'string', default: process.env['BENCH_THROUGHPUT_CUSTOMERS'] },
    concurrency: { type: 'string', default: process.env['BENCH_CONCURRENCY'] ?? '32' },
    'batch-size': { type: 'string', default: process.env['BENCH_BATCH_SIZE'] ?? '100' },
    queue: { type: 'string', default: process.env['BENCH_QUEUE'] ?? 'pg-boss' },
    workers: { type: 'string', default: process.env['BENCH_WORKERS'] ?? '1' },
    'node-options': { type: 'string', default: process.env['BENCH_NODE_OPTIONS'] },
    'plain-node': { type: 'boolean', default: process.env['BENCH_PLAIN_NODE'] === '1' },
    'database-url': {
      type: 'string',
      default: process.env['BENCH_DATABASE_URL'] ?? 'postgresql://postgres@127.0.0.1:5432/test',
    },
  },
  strict: true,
});

function numbers(name: string, raw: string): number[] {
  const list = raw
    .split(',')
    .filter((part) => part.trim() !== '')
    .map((part) => Number(part.trim()));
  if (list.some((n) => !Number.isFinite(n) || n < 0)) {
    throw new Error(`--${name} must be a comma-separated list of numbers, got "${raw}"`);
  }
  return list;
}
const single = (name: string, raw: string) => numbers(name, raw)[0] ?? 0;

const SIZES = numbers('sizes', args.sizes).map(Math.round);
const LIMIT = single('limit', args.limit);
const LIVE_SHARES = numbers('live-shares', args['live-shares']);
const THROUGHPUT_SECONDS = single('throughput-seconds', args['throughput-seconds']);
const THROUGHPUT_CUSTOMERS =
  args['throughput-customers'] === undefined
    ? undefined
    : single('throughput-customers', args['throughput-customers']);
const CONCURRENCY = single('concurrency', args.concurrency);
const BATCH_SIZE = single('batch-size', args['batch-size']);
const QUEUE = args.queue;
/** Processes working batches: the `migrator run` process and WORKERS - 1 `migrator worker`s. */
const WORKERS = Math.max(1, Math.round(single('workers', args.workers)));
if (WORKERS > 1 && QUEUE !== 'pg-boss') throw new Error('--workers above 1 needs --queue pg-boss');
const DATABASE_URL = args['database-url'];
/** Passed to the migrator as NODE_OPTIONS, e.g. `--max-old-space-size=128` to try a heap cap. */
const NODE_OPTIONS = args['node-options'];
const NODE_FLAGS = args['plain-node'] ? [] : migratorNodeFlags();
if (QUEUE !== 'pg-boss' && QUEUE !== 'in-process') throw new Error('--queue must be pg-boss or in-process');
if (LIVE_SHARES.some((share) => share >= 1)) throw new Error('--live-shares must each be below 1');

/** The options the migrations (migration-run.ts) and the report (migration-report.ts) are given. */
const SETTINGS: BenchSettings = {
  databaseUrl: DATABASE_URL,
  queue: QUEUE,
  workers: WORKERS,
  concurrency: CONCURRENCY,
  batchSize: BATCH_SIZE,
  nodeFlags: NODE_FLAGS,
  nodeOptions: NODE_OPTIONS,
  limit: LIMIT,
  liveShares: LIVE_SHARES,
  sizes: SIZES,
};

/** The resident memory of a Node process that does nothing: the floor under any figure. */
async function idleNodeRss(): Promise<number> {
  const child = spawn(
    process.execPath,
    ['-e', 'process.stdout.write(String(process.resourceUsage().maxRSS))'],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  await new Promise((resolveExit) => child.once('close', resolveExit));
  return Number(out) * 1024;
}

/** How busy the machine is before the bench starts: other processes skew every absolute figure. */
async function machineBusy(ms: number): Promise<number | null> {
  const start = systemTicks();
  await new Promise((resolveWait) => setTimeout(resolveWait, ms));
  const end = systemTicks();
  if (start === undefined || end === undefined) return null;
  return (end.busy - start.busy) / Math.max(1, end.total - start.total);
}

/**
 * `--workers N`: N processes share each run through pg-boss. The ceiling first (no limit), then the
 * limit at no more than half of it, where the pacing (not the CPU) decides the rate.
 */
async function workersMode(): Promise<void> {
  if (!existsSync(MIGRATOR_MAIN)) throw new Error(`${MIGRATOR_MAIN} is missing: run npm run build first`);
  const customers = THROUGHPUT_CUSTOMERS ?? 3_000;
  const sandboxes = await startSandboxes({
    'digital-river': { rateLimitPerSecond: 0, liveRateLimitPerSecond: 0 },
    'two-checkout': { rateLimitPerSecond: 0 },
  });
  let ceiling: RunResult;
  let paced: RunResult;
  let limit: number;
  try {
    console.log(
      `${WORKERS} worker processes on pg-boss, concurrency ${CONCURRENCY} each, batch size ${BATCH_SIZE}.`,
    );
    console.log(`\nCeiling: ${customers} customers, no limit anywhere`);
    ceiling = await migrate(sandboxes, SETTINGS, { label: 'ceiling', customers, liveShare: 0 });
    limit = Math.max(1, Math.min(LIMIT, Math.floor(ceiling.steady.targetRequestsPerSecond / 2)));
    console.log(
      `\nPaced: 2CO limit ${limit} req/s (ceiling ${ceiling.steady.targetRequestsPerSecond.toFixed(1)} req/s / 2, ` +
        `at most --limit ${LIMIT}), live share 0, ${customers} customers`,
    );
    paced = await migrate(sandboxes, SETTINGS, { label: `L=${limit}`, customers, limit, liveShare: 0 });
    printCalls(paced);
  } finally {
    await sandboxes.close();
  }
  const ratio = paced.steady.targetRequestsPerSecond / limit;
  const once = (r: RunResult) =>
    r.targetDuplicates === 0 && r.counts.total === customers && r.counts.failed === 0;
  const met = ratio >= THROUGHPUT_GOAL && paced.target429s === 0 && once(paced) && once(ceiling);
  const line = (r: RunResult) =>
    `  ${r.label.padEnd(10)} 2CO ${r.steady.targetRequestsPerSecond.toFixed(1)} req/s, ${r.steady.customersPerSecond.toFixed(1)} customers/s, ` +
    `429s ${r.target429s}, created twice ${r.targetDuplicates}, counts ${JSON.stringify(r.counts)}, by worker ${JSON.stringify(Object.values(r.byWorker))}`;
  console.log(`\n== ${WORKERS} workers on pg-boss\n${line(ceiling)}\n${line(paced)}`);
  for (const call of paced.target429Calls) console.log(`  429: ${call}`);
  console.log(
    `  throughput / limit = ${ratio.toFixed(3)} (goal >= ${THROUGHPUT_GOAL}); limit ${limit} <= ceiling / 2 ` +
      `(${(ceiling.steady.targetRequestsPerSecond / 2).toFixed(1)}); 429s ${paced.target429s} (goal 0); ` +
      `customers created twice ${paced.targetDuplicates} (goal 0): ${met ? 'met' : 'NOT MET'}`,
  );
  console.log(
    `\nJSON summary:\n${JSON.stringify(
      {
        bench: 'migration-workers',
        workers: WORKERS,
        customers,
        ceilingRequestsPerSecond: round(ceiling.steady.targetRequestsPerSecond, 1),
        limit,
        pacedRequestsPerSecond: round(paced.steady.targetRequestsPerSecond, 1),
        ratio: round(ratio, 3),
        target429s: paced.target429s,
        createdTwice: paced.targetDuplicates,
        byWorker: Object.values(paced.byWorker),
        counts: paced.counts,
        met,
      },
      null,
      2,
    )}`,
  );
  process.exitCode = met ? 0 : 1;
}

async function run(): Promise<void> {
  if (WORKERS > 1) return workersMode();
  if (!existsSync(MIGRATOR_MAIN)) throw new Error(`${MIGRATOR_MAIN} is missing: run npm run build first`);
  const machineBusyBefore = await machineBusy(2_000);
  const idleRss = await idleNodeRss();
  const sandboxes = await startSandboxes({
    'digital-river': { rateLimitPerSecond: 0, liveRateLimitPerSecond: 0 },
    'two-checkout': { rateLimitPerSecond: 0 },
  });
  const interrupt = () => {
    void abandonMigration(DATABASE_URL).finally(() => process.exit(130));
  };
  process.once('SIGINT', interrupt);
  process.once('SIGTERM', interrupt);

  console.log(
    `Migration bench: DR sandbox -> 2CO sandbox through the migrator CLI (${MIGRATOR_MAIN.replace(`${process.cwd()}/`, '')}),\n` +
      `PostgreSQL ${DATABASE_URL.replace(/\/\/[^@]*@/, '//')} (fresh schema per migration, dropped after), ` +
      `queue ${QUEUE}, concurrency ${CONCURRENCY}, batch size ${BATCH_SIZE}, ` +
      `node flags ${NODE_FLAGS.length > 0 ? NODE_FLAGS.join(' ') : 'none'} (${args['plain-node'] ? '--plain-node' : 'as npm run migrator'})` +
      (NODE_OPTIONS ? `, NODE_OPTIONS=${NODE_OPTIONS}` : '') +
      '.',
  );
  if (machineBusyBefore !== null) {
    console.log(
      `Machine ${(machineBusyBefore * 100).toFixed(0)}% busy before the bench started` +
        (machineBusyBefore > 0.2 ? ': other processes are running, absolute figures will be low.' : '.'),
    );
  }
  let results: Results;
  try {
    console.log(`\nBaseline: ${BASELINE_CUSTOMERS} customers, no limits`);
    const baseline = await migrate(sandboxes, SETTINGS, {
      label: 'baseline',
      customers: BASELINE_CUSTOMERS,
      liveShare: 0,
    });
    printCalls(baseline);

    const sizeFor = (budget: number) =>
      THROUGHPUT_CUSTOMERS ??
      Math.max(200, Math.round((THROUGHPUT_SECONDS * budget) / Math.max(1, baseline.targetCallsPerCustomer)));
    let unlimited: RunResult | undefined;
    const throughput: ThroughputPass[] = [];
    if (LIVE_SHARES.length > 0) {
      const customers = sizeFor(LIMIT * (1 - Math.min(...LIVE_SHARES)));
      console.log(`\nThroughput reference: ${customers} customers, no limits (what this machine allows)`);
      unlimited = await migrate(sandboxes, SETTINGS, { label: 'no limit', customers, liveShare: 0 });
    }
    for (const liveShare of LIVE_SHARES) {
      const budget = LIMIT * (1 - liveShare);
      const customers = sizeFor(budget);
      console.log(
        `\nThroughput: 2CO limit L = ${LIMIT} req/s, live share ${liveShare} (budget ${budget.toFixed(0)} req/s), ` +
          `${customers} customers (~${THROUGHPUT_SECONDS} s at ${baseline.targetCallsPerCustomer.toFixed(2)} calls each)`,
      );
      const result = await migrate(sandboxes, SETTINGS, {
        label: `L=${LIMIT} share=${liveShare}`,
        customers,
        limit: LIMIT,
        liveShare,
      });
      printCalls(result);
      throughput.push({
        ...result,
        liveShare,
        budget,
        ratio: result.steady.targetRequestsPerSecond / budget,
      });
    }

    const memory: RunResult[] = [];
    for (const size of SIZES) {
      console.log(`\nMemory: ${size} customers, no limits`);
      memory.push(await migrate(sandboxes, SETTINGS, { label: `${size}`, customers: size, liveShare: 0 }));
    }
    results = {
      machineBusyBefore,
      idleRss,
      baseline,
      ...(unlimited ? { unlimited } : {}),
      throughput,
      memory,
    };
  } finally {
    await sandboxes.close();
  }
  report(results, SETTINGS);
}

run().catch(async (error: unknown) => {
  console.error(error);
  await abandonMigration(DATABASE_URL);
  process.exit(1);
});
