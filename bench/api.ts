/**
 * `npm run bench:api`: the gateway's hot paths against the bare stack, in one run on one machine.
 *
 * The baseline is a bare Fastify + `pg` handler in its own process, on the same PostgreSQL schema,
 * checking the same API key and running the SQL the gateway needs at minimum (one statement per
 * request). Gateway and baseline take turns A/B/A/B so a change in the machine's load hits both
 * alike; the figure is the median of the rounds, reported as a ratio to the baseline.
 *
 * Rows: read by id (customer + 2 links), list page, create with `providers: []`, create in both
 * providers one request at a time (paced under Digital River's test-mode limit) against the same
 * two creates sent straight to the sandboxes in parallel, and against the baseline making them
 * between its two commits (the floor of a create that is durable before and after its calls) and
 * before its only commit (what dropping the commit before the calls would buy), then idle CPU, embedded-default RSS after 1,000 creates, and time to ready from a fresh
 * embedded data directory (against a bare `node:http` server's time to ready).
 *
 * Needs `npm run build` (the script runs it) and PostgreSQL (`BENCH_DATABASE_URL`, default
 * postgresql://postgres@127.0.0.1:5432/postgres; a fresh schema, dropped at the end).
 * Env: BENCH_SECONDS per round (5), BENCH_ROUNDS (3 per side, as the issue measured), BENCH_CREATES (200),
 * BENCH_ONLY (a comma-separated subset of read,list,create,both,idle,embedded; all by default),
 * BENCH_GATEWAY_FLAGS (more Node flags for the gateway on PostgreSQL), BENCH_PROFILE=1 (profiles
 * the gateway on PostgreSQL and prints where its CPU went, by package, for the rows run; the
 * profiler costs some throughput, so the ratios of such a run read a little low).
 */
import { type ChildProcess, fork } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { type RunningSandboxes, startSandboxes } from '@app/sandboxes';
import { serveBare } from './api-bare';
import { type BaselineOptions, type SandboxTargets } from './api-baselines';
import { measureCreateInBoth, TRACED_CREATES } from './api-create-in-both';
import { startGatewayProcess, UNTHROTTLED } from './api-gateway';
import { measureEmbedded, measureIdle } from './api-idle-embedded';
import {
  API_KEY,
  DATABASE_URL,
  GATEWAY_FLAGS,
  ONLY,
  PROFILE_DIR,
  type Report,
  ROUNDS,
  type RowUrls,
  SECONDS,
} from './api-settings';
import { serveStackFloor } from './api-stack-floor';
import { measureThroughput } from './api-throughput-rows';
import { cpuShares } from './cpu-shares';

// ---------------------------------------------------------------------------------------------
// The baseline processes (this file, forked with --bare or --stack-floor: see its bottom) and the
// sandboxes they call.

function forkSelf(args: string[]): ChildProcess {
  return fork(__filename, args, {
    execArgv: ['-r', 'ts-node/register/transpile-only', '-r', 'tsconfig-paths/register'],
    env: { ...process.env, BENCH_API_KEY: API_KEY },
    stdio: 'inherit',
  });
}

function firstMessage<T>(child: ChildProcess): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    child.once('message', (message) => resolve(message as T));
    child.once('exit', (code) => reject(new Error(`child exited early (${code})`)));
  });
}

function sandboxTargets(sandboxes: RunningSandboxes): SandboxTargets {
  const dr = sandboxes['digital-river'];
  const tco = sandboxes['two-checkout'];
  return {
    dr: { url: dr.url, secretKey: dr.secretKey },
    tco: { url: tco.url, merchantCode: tco.merchantCode, secretKey: tco.secretKey },
  };
}

async function run(): Promise<void> {
  const schema = `bench_${randomUUID().replaceAll('-', '')}`;
  const admin = new Client({ connectionString: DATABASE_URL });
  await admin.connect();
  const sandboxes = await startSandboxes({
    'digital-river': { rateLimitPerSecond: 0, liveRateLimitPerSecond: 0 },
    'two-checkout': { rateLimitPerSecond: 0 },
  });
  const rows: string[][] = [];
  const verdicts: string[] = [];
  let breakdown: string[] = [];
  const row = (...cells: (string | number)[]) => rows.push(cells.map(String));
  const report: Report = { row, verdicts };
  try {
    // PostgreSQL: the gateway migrates the schema, the baseline then shares it.
    const gatewayEnv = {
      DATABASE_URL,
      // Production defaults for everything else; accounts point at the sandboxes, with the
      // adapters' default rate limits, as a user would configure them.
      PROVIDER_ACCOUNTS: JSON.stringify(sandboxes.accounts({})),
      MIGRATION_QUEUE: 'in-process',
      // The bench measures the hot path, not fair use: per-key limits it never reaches.
      ...UNTHROTTLED,
    };
    const gateway = await startGatewayProcess({ ...gatewayEnv, DATABASE_SCHEMA: schema }, GATEWAY_FLAGS);
    const bareChild = forkSelf(['--bare', schema, JSON.stringify(sandboxTargets(sandboxes))]);
    const bareUrl = await firstMessage<string>(bareChild);
    const targets = JSON.stringify(sandboxTargets(sandboxes));
    const stackFloorChild = forkSelf(['--stack-floor', schema, targets, 'fastify']);
    const stackFloorUrl = await firstMessage<string>(stackFloorChild);
    const expressFloorChild = forkSelf(['--stack-floor', schema, targets, 'express']);
    const expressFloorUrl = await firstMessage<string>(expressFloorChild);
    try {
      const urls: RowUrls = {
        gateway: gateway.url,
        bare: bareUrl,
        stackFloor: stackFloorUrl,
        expressFloor: expressFloorUrl,
      };
      await measureThroughput(urls, report);

      // Create in both providers, one request at a time, against the same two creates sent direct.
      if (ONLY.has('both')) {
        breakdown = await measureCreateInBoth(
          urls,
          sandboxTargets(sandboxes),
          { env: gatewayEnv, schema },
          report,
        );
      }

      if (ONLY.has('idle')) verdicts.push(...(await measureIdle(gateway)));
    } finally {
      bareChild.disconnect();
      stackFloorChild.disconnect();
      expressFloorChild.disconnect();
      await gateway.stop();
    }

    if (ONLY.has('embedded')) verdicts.push(...(await measureEmbedded()));
  } finally {
    await sandboxes.close();
    await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await admin.end();
  }

  const header = [
    'what',
    'gateway req/s',
    'bare req/s',
    'ratio',
    'p50 ms gw/bare',
    'p99 ms gw/bare',
    'errors',
  ];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]?.length ?? 0)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join(' | ')} |`;
  console.log(`\nbench:api — ${ROUNDS} rounds of ${SECONDS} s per side, A/B/A/B, medians\n`);
  console.log(line(header));
  console.log(line(widths.map((w) => '-'.repeat(w))));
  for (const r of rows) console.log(line(r));
  console.log('');
  for (const verdict of verdicts) console.log(`- ${verdict}`);
  if (breakdown.length > 0) {
    console.log(
      `\nWhere a create in both providers spends its time (medians of ${TRACED_CREATES} traced creates):\n`,
    );
    for (const phase of breakdown) console.log(`- ${phase}`);
  }
  if (PROFILE_DIR !== undefined) {
    console.log(`\nWhere the gateway's CPU went while it was busy (self time, ${PROFILE_DIR}):\n`);
    for (const share of cpuShares(PROFILE_DIR)) console.log(`- ${share}`);
  }
}

/**
 * A baseline process's options, from its arguments (`--bare <schema> <targets>`, `--stack-floor
 * <schema> <targets> <platform>`) and the parent's environment.
 */
const baselineOptions = (): BaselineOptions => ({
  databaseUrl: DATABASE_URL,
  schema: process.argv[3] ?? 'public',
  apiKey: API_KEY,
  targets: JSON.parse(process.argv[4] ?? '{}') as SandboxTargets,
});

if (process.argv[2] === '--bare') {
  void serveBare(baselineOptions());
} else if (process.argv[2] === '--stack-floor') {
  const platform = process.argv[5] === 'fastify' ? 'fastify' : 'express';
  void serveStackFloor(baselineOptions(), platform).then(({ url, close }) => {
    process.send?.(url);
    process.on('disconnect', () => void close().then(() => process.exit(0)));
  });
} else {
  run().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
