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
import autocannon from 'autocannon';
import { type ChildProcess, fork, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { Client } from 'pg';
import { type RunningSandboxes, startSandboxes } from '@app/sandboxes';
import { createInBoth, serveBare } from './api-bare';
import { type BaselineOptions, type BenchCustomer, type SandboxTargets } from './api-baselines';
import { serveStackFloor } from './api-stack-floor';
import { describeTimelines } from './api-timeline-report';
import { cpuShares } from './cpu-shares';
import type { Timeline } from './create-timeline.mjs';
import { processTicks, rssMb, TICKS_PER_SECOND, wakeUps } from './proc';
import { median, percentile, sleep } from './stats';

const GATEWAY_MAIN = resolve(__dirname, '../dist/apps/gateway/apps/gateway/src/main.js');
const SECONDS = Number(process.env['BENCH_SECONDS'] ?? 5);
const ROUNDS = Number(process.env['BENCH_ROUNDS'] ?? 3);
const CREATES = Number(process.env['BENCH_CREATES'] ?? 200);
const DATABASE_URL = process.env['BENCH_DATABASE_URL'] ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
// The baseline process gets the key from its parent, so both sides check the same one.
const API_KEY = process.env['BENCH_API_KEY'] ?? `bench_${randomUUID().replaceAll('-', '')}`;
const NODE = process.execPath;
/** The Node flags `npm start` gives the embedded default (package.json), so the bench runs what users run. */
const NPM_START_FLAGS =
  (
    JSON.parse(readFileSync(resolve(__dirname, '../package.json'), 'utf8')) as {
      scripts: Record<string, string>;
    }
  ).scripts['start']
    ?.match(/node ((?:--\S+ )*)dist\//)?.[1]
    ?.trim()
    .split(' ')
    .filter((flag) => flag !== '') ?? [];
const ROWS = ['read', 'list', 'create', 'both', 'idle', 'embedded'] as const;
const ONLY = new Set(process.env['BENCH_ONLY']?.split(',').map((name) => name.trim()) ?? ROWS);
const unknownRows = [...ONLY].filter((name) => !(ROWS as readonly string[]).includes(name));
if (unknownRows.length > 0) throw new Error(`BENCH_ONLY: unknown rows ${unknownRows.join(', ')}`);
const PROFILE_DIR =
  process.env['BENCH_PROFILE'] === '1' ? mkdtempSync(join(tmpdir(), 'bench-profile-')) : undefined;
const GATEWAY_FLAGS = [
  ...(process.env['BENCH_GATEWAY_FLAGS']?.split(' ').filter((flag) => flag !== '') ?? []),
  ...(PROFILE_DIR === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${PROFILE_DIR}`]),
];

const UNTHROTTLED = {
  RATE_LIMIT_READ_PER_SECOND: '1000000',
  RATE_LIMIT_WRITE_PER_SECOND: '1000000',
  RATE_LIMIT_PROVIDER_PER_SECOND: '1000000',
  RATE_LIMIT_PROVIDER_TOTAL_PER_SECOND: '1000000',
};

const GOALS = {
  read: 0.8,
  list: 0.6,
  create: 0.6,
  p50DeltaMs: 3,
  /** How far above the bare durable create (the floor) the gateway's create in both may be, at p50 (issue 34). */
  aboveFloorP50Ms: 1,
  p99DeltaMs: 10,
  idleCpu: 1,
  rssMb: 300,
  readyMs: 2_000,
};

// ---------------------------------------------------------------------------------------------
// Processes and measurements.

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

interface Gateway {
  url: string;
  child: ChildProcess;
  stop(): Promise<void>;
}

/** The built gateway as a process; resolves once /health answers 200. */
async function startGatewayProcess(
  env: Record<string, string>,
  nodeFlags: string[] = [],
): Promise<Gateway & { readyMs: number }> {
  // Below Linux's ephemeral range (32768-60999), where the load's own client sockets could hold it.
  const port = 20_000 + Math.floor(Math.random() * 12_000);
  const started = performance.now();
  const child = spawn(NODE, [...nodeFlags, GATEWAY_MAIN], {
    env: {
      ...process.env,
      NODE_ENV: 'development',
      HOST: '127.0.0.1',
      PORT: String(port),
      API_KEYS: JSON.stringify([{ id: 'bench', scopes: ['admin'], key: API_KEY }]),
      ...env,
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const url = `http://127.0.0.1:${port}`;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`gateway exited with ${child.exitCode}`);
    const ok = await fetch(`${url}/health`).then(
      (res) => res.ok,
      () => false,
    );
    if (ok) break;
    await sleep(10);
  }
  const readyMs = performance.now() - started;
  return {
    url,
    child,
    readyMs,
    stop: async () => {
      child.kill('SIGTERM');
      await new Promise((resolve) => child.once('exit', resolve));
    },
  };
}

const auth = { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' };
let emails = 0;
const ADDRESS = {
  line1: '10380 Bren Rd W',
  city: 'Minnetonka',
  state: 'MN',
  postalCode: '55129',
  country: 'US',
};
const customer = (): BenchCustomer => ({
  email: `bench-${process.pid}-${++emails}@example.com`,
  givenName: 'John',
  familyName: 'Smith',
  address: ADDRESS,
});

interface Round {
  rps: number;
  p50: number;
  p99: number;
  errors: number;
}

async function load(
  url: string,
  options: { method?: 'GET' | 'POST'; body?: () => string; connections: number; seconds: number },
): Promise<Round> {
  const result = await autocannon({
    url,
    method: options.method ?? 'GET',
    headers: auth,
    connections: options.connections,
    duration: options.seconds,
    ...(options.body
      ? {
          requests: [
            { setupRequest: (request: autocannon.Request) => ({ ...request, body: options.body?.() }) },
          ],
        }
      : {}),
  });
  return {
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.errors + result.timeouts + result.non2xx,
  };
}

/** Takes turns A/B/C/A/B/C: each target `ROUNDS` times, after one warm-up each; the medians, in the targets' order. */
async function inTurns(urls: string[], options: Parameters<typeof load>[1]): Promise<Round[]> {
  for (const url of urls) await load(url, { ...options, seconds: 1 });
  const rounds = urls.map((): Round[] => []);
  for (let round = 0; round < ROUNDS; round++) {
    for (const [index, url] of urls.entries()) rounds[index]?.push(await load(url, options));
  }
  return rounds.map((measured) => ({
    rps: median(measured.map((r) => r.rps)),
    p50: median(measured.map((r) => r.p50)),
    p99: median(measured.map((r) => r.p99)),
    errors: measured.reduce((sum, r) => sum + r.errors, 0),
  }));
}

/** Gateway and bare handler in turns (A/B/A/B), and the stack floor in the same turns when given. */
async function abab(
  gatewayUrl: string,
  bareUrl: string,
  options: Parameters<typeof load>[1],
  stackFloorUrl?: string,
): Promise<{ gateway: Round; bare: Round; stackFloor?: Round }> {
  const [gateway, bare, stackFloor] = await inTurns(
    [gatewayUrl, bareUrl, ...(stackFloorUrl === undefined ? [] : [stackFloorUrl])],
    options,
  );
  if (gateway === undefined || bare === undefined) throw new Error('no rounds measured');
  return { gateway, bare, ...(stackFloor === undefined ? {} : { stackFloor }) };
}

function sandboxTargets(sandboxes: RunningSandboxes): SandboxTargets {
  const dr = sandboxes['digital-river'];
  const tco = sandboxes['two-checkout'];
  return {
    dr: { url: dr.url, secretKey: dr.secretKey },
    tco: { url: tco.url, merchantCode: tco.merchantCode, secretKey: tco.secretKey },
  };
}

/**
 * Creates in both providers, one at a time, started at most every CREATE_PACE_MS: ordinary traffic
 * under Digital River's 25 requests/s for test keys (libs/providers/src/digital-river/README.md),
 * which the gateway's default client-side limit follows. Back to back, a create takes 40 ms
 * whatever the gateway does, because the limit lets 25 through per second, and the row would
 * measure the limit rather than the gateway.
 */
const CREATE_PACE_MS = 50;
/** The create-in-both row's creates per target, sent in this many blocks, the targets taking turns. */
const CREATE_BLOCKS = 5;

async function sequentialLatencies(count: number, send: (n: number) => Promise<void>): Promise<number[]> {
  const latencies: number[] = [];
  for (let n = 0; n < count; n++) {
    const started = performance.now();
    await send(n);
    latencies.push(performance.now() - started);
    await sleep(Math.max(0, CREATE_PACE_MS - (performance.now() - started)));
  }
  return latencies;
}

async function bareNodeReadyMs(): Promise<number> {
  const started = performance.now();
  const child = spawn(
    NODE,
    [
      '-e',
      "require('http').createServer((q,s)=>s.end('ok')).listen(0,'127.0.0.1',function(){console.log(this.address().port)})",
    ],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  const port = await new Promise<number>((resolve) =>
    child.stdout?.once('data', (d: Buffer) => resolve(Number(String(d).trim()))),
  );
  await fetch(`http://127.0.0.1:${port}/`).then((res) => res.text());
  const ms = performance.now() - started;
  child.kill();
  return ms;
}

/** Creates in both providers sent to a gateway that records each one's timeline (create-timeline.mts). */
const TRACED_CREATES = 100;

/**
 * The create in both providers, phase by phase: one more gateway on the same schema, with
 * bench/create-timeline.mts preloaded, answers TRACED_CREATES creates paced as in the row; each
 * phase is the median over them, in ms since the request arrived at the gateway.
 */
async function traceCreates(
  env: Record<string, string>,
  schema: string,
  directP50: number,
): Promise<string[]> {
  const file = join(mkdtempSync(join(tmpdir(), 'bench-timeline-')), 'timelines.json');
  const traced = await startGatewayProcess({ ...env, DATABASE_SCHEMA: schema, BENCH_TIMELINE_FILE: file }, [
    '--import',
    resolve(__dirname, 'create-timeline.mts'),
  ]);
  const send = async () => {
    const res = await fetch(`${traced.url}/v1/customers`, {
      method: 'POST',
      headers: auth,
      body: JSON.stringify(customer()),
    });
    await res.arrayBuffer();
    if (res.status !== 201) throw new Error(`traced create answered ${res.status}`);
  };
  await sequentialLatencies(20, send);
  const clientLatencies = await sequentialLatencies(TRACED_CREATES, send);
  await traced.stop();
  const timelines = (JSON.parse(readFileSync(file, 'utf8')) as Timeline[]).slice(-TRACED_CREATES);
  rmSync(dirname(file), { recursive: true, force: true });

  return describeTimelines(timelines, clientLatencies, directP50);
}

// ---------------------------------------------------------------------------------------------

/** The embedded default: ready time from a fresh data directory, then RSS after 1,000 creates. */
async function measureEmbedded(): Promise<string[]> {
  const verdicts: string[] = [];
  const readyTimes: number[] = [];
  const bareReady: number[] = [];
  let rss = 0;
  for (let round = 0; round < 3; round++) {
    const dataDir = mkdtempSync(join(tmpdir(), 'bench-embedded-'));
    bareReady.push(await bareNodeReadyMs());
    const embedded = await startGatewayProcess(
      { DATA_DIR: dataDir, SANDBOXES: 'auto', ...UNTHROTTLED },
      NPM_START_FLAGS,
    );
    readyTimes.push(embedded.readyMs);
    if (round === 0) {
      const send = async () => {
        const res = await fetch(`${embedded.url}/v1/customers`, {
          method: 'POST',
          headers: auth,
          body: JSON.stringify(customer()),
        });
        if (res.status !== 201) throw new Error(`embedded create answered ${res.status}`);
      };
      for (let n = 0; n < 1_000; n += 10) await Promise.all(Array.from({ length: 10 }, send));
      await sleep(2_000);
      rss = rssMb(embedded.child.pid ?? 0);
    }
    await embedded.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
  const ready = median(readyTimes);
  verdicts.push(
    `embedded default ready in ${ready.toFixed(0)} ms from a fresh data directory (bare node:http: ${median(bareReady).toFixed(0)} ms; goal < ${GOALS.readyMs}): ${ready < GOALS.readyMs ? 'met' : 'NOT MET'}`,
  );
  verdicts.push(
    `embedded default RSS after 1,000 creates: ${rss.toFixed(0)} MB (goal <= ${GOALS.rssMb}): ${rss <= GOALS.rssMb ? 'met' : 'NOT MET'}`,
  );
  return verdicts;
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
  const ratio = (a: number, b: number) => (b === 0 ? 0 : a / b);
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
    const stackFloorChild = forkSelf(['--stack-floor', schema, JSON.stringify(sandboxTargets(sandboxes))]);
    const stackFloorUrl = await firstMessage<string>(stackFloorChild);
    try {
      const seeded = await fetch(`${gateway.url}/v1/customers`, {
        method: 'POST',
        headers: auth,
        body: JSON.stringify(customer()),
      }).then((res) => res.json() as Promise<{ id: string; providers: unknown[] }>);
      const body = () => JSON.stringify({ ...customer(), providers: [] });
      const throughputRows = [
        {
          row: 'read',
          name: `GET /v1/customers/{id} (${seeded.providers.length} links), 20 conn`,
          goal: GOALS.read,
          measure: () =>
            abab(`${gateway.url}/v1/customers/${seeded.id}`, `${bareUrl}/v1/customers/${seeded.id}`, {
              connections: 20,
              seconds: SECONDS,
            }),
        },
        {
          row: 'list',
          name: 'GET /v1/customers?limit=10, 20 conn',
          goal: GOALS.list,
          measure: () =>
            abab(`${gateway.url}/v1/customers?limit=10`, `${bareUrl}/v1/customers`, {
              connections: 20,
              seconds: SECONDS,
            }),
        },
        {
          row: 'create',
          name: 'POST /v1/customers providers:[], 10 conn',
          goal: GOALS.create,
          measure: () =>
            abab(
              `${gateway.url}/v1/customers`,
              `${bareUrl}/v1/customers`,
              { method: 'POST', body, connections: 10, seconds: SECONDS },
              `${stackFloorUrl}/v1/customers`,
            ),
        },
      ] as const;
      for (const { row: rowName, name, goal, measure } of throughputRows) {
        if (!ONLY.has(rowName)) continue;
        const result = await measure();
        const r = ratio(result.gateway.rps, result.bare.rps);
        row(
          name,
          result.gateway.rps.toFixed(0),
          result.bare.rps.toFixed(0),
          `${r.toFixed(2)}x`,
          `${result.gateway.p50}/${result.bare.p50}`,
          `${result.gateway.p99}/${result.bare.p99}`,
          result.gateway.errors + result.bare.errors,
        );
        verdicts.push(`${name}: ${r.toFixed(2)}x, goal >= ${goal}x: ${r >= goal ? 'met' : 'NOT MET'}`);
        const { stackFloor } = result;
        if (stackFloor !== undefined) {
          const floorRatio = ratio(stackFloor.rps, result.bare.rps);
          row(
            'the same, stack floor (NestJS + Express + class-validator)',
            stackFloor.rps.toFixed(0),
            result.bare.rps.toFixed(0),
            `${floorRatio.toFixed(2)}x`,
            `${stackFloor.p50}/${result.bare.p50}`,
            `${stackFloor.p99}/${result.bare.p99}`,
            stackFloor.errors,
          );
          verdicts.push(
            `of that, the stack the gateway is built on, with the bare handler's INSERT, answers ${floorRatio.toFixed(2)}x of the bare handler; the gateway answers ${ratio(result.gateway.rps, stackFloor.rps).toFixed(2)}x of that stack floor`,
          );
        }
      }

      // Create in both providers, one request at a time, against the same two creates sent direct.
      if (ONLY.has('both')) {
        const targets = sandboxTargets(sandboxes);
        let sent = 0;
        const direct = async () => {
          await createInBoth(targets, `direct-${process.pid}-${++sent}`, customer());
        };
        await sequentialLatencies(20, direct);
        const viaGateway = async () => {
          const res = await fetch(`${gateway.url}/v1/customers`, {
            method: 'POST',
            headers: auth,
            body: JSON.stringify(customer()),
          });
          const answer = (await res.json()) as { providers?: { status: string }[] };
          if (res.status !== 201 || answer.providers?.some((l) => l.status !== 'synced')) {
            throw new Error(`gateway create answered ${res.status}: ${JSON.stringify(answer)}`);
          }
        };
        const viaBare = (url: string) => async () => {
          const res = await fetch(url, {
            method: 'POST',
            headers: auth,
            body: JSON.stringify(customer()),
          });
          const answer = (await res.json()) as { providers?: { status: string }[] };
          if (res.status !== 201 || answer.providers?.filter((l) => l.status === 'synced').length !== 2) {
            throw new Error(`bare create answered ${res.status}: ${JSON.stringify(answer)}`);
          }
        };
        const viaDurableBare = viaBare(`${bareUrl}/v1/customers/in-both`);
        const viaOneCommitBare = viaBare(`${bareUrl}/v1/customers/in-both-then-commit`);
        const viaStackFloor = viaBare(`${stackFloorUrl}/v1/customers/in-both`);
        await sequentialLatencies(20, viaGateway);
        await sequentialLatencies(20, viaDurableBare);
        await sequentialLatencies(20, viaOneCommitBare);
        await sequentialLatencies(20, viaStackFloor);
        const gatewayLatencies: number[] = [];
        const bareLatencies: number[] = [];
        const oneCommitLatencies: number[] = [];
        const stackFloorLatencies: number[] = [];
        const directLatencies: number[] = [];
        // In blocks of a couple of seconds each, taking turns, so that the machine's load drifting
        // over the minute the row takes weighs on every target alike.
        const perBlock = Math.max(1, Math.round(CREATES / CREATE_BLOCKS));
        for (let block = 0; block < CREATE_BLOCKS; block++) {
          gatewayLatencies.push(...(await sequentialLatencies(perBlock, viaGateway)));
          bareLatencies.push(...(await sequentialLatencies(perBlock, viaDurableBare)));
          oneCommitLatencies.push(...(await sequentialLatencies(perBlock, viaOneCommitBare)));
          stackFloorLatencies.push(...(await sequentialLatencies(perBlock, viaStackFloor)));
          directLatencies.push(...(await sequentialLatencies(perBlock, direct)));
        }
        const added = (latencies: number[], p: number) =>
          percentile(latencies, p) - percentile(directLatencies, p);
        const p50 = added(gatewayLatencies, 50);
        const p99 = added(gatewayLatencies, 99);
        const againstDirect = (name: string, latencies: number[]) =>
          row(
            name,
            '-',
            '-',
            '-',
            ...[50, 99].map(
              (p) => `${percentile(latencies, p).toFixed(1)}/${percentile(directLatencies, p).toFixed(1)}`,
            ),
            0,
          );
        againstDirect(`create in both providers, sequential x${CREATES}`, gatewayLatencies);
        verdicts.push(
          `create in both providers adds ${p50.toFixed(1)} ms at p50 (goal <= ${GOALS.p50DeltaMs}): ${p50 <= GOALS.p50DeltaMs ? 'met' : 'NOT MET'}`,
        );
        verdicts.push(
          `create in both providers adds ${p99.toFixed(1)} ms at p99 (goal <= ${GOALS.p99DeltaMs}): ${p99 <= GOALS.p99DeltaMs ? 'met' : 'NOT MET'}`,
        );
        againstDirect('the same, bare handler: 1 commit before the calls, 1 after', bareLatencies);
        const aboveFloor = p50 - added(bareLatencies, 50);
        verdicts.push(
          `the floor under that row: the bare handler, which commits the customer before the calls and their outcome before its answer, adds ${added(bareLatencies, 50).toFixed(1)} ms at p50 and ${added(bareLatencies, 99).toFixed(1)} at p99; the gateway adds ${aboveFloor.toFixed(1)} ms at p50 over it (goal <= ${GOALS.aboveFloorP50Ms}): ${aboveFloor <= GOALS.aboveFloorP50Ms ? 'met' : 'NOT MET'}`,
        );
        againstDirect('the same, bare handler: the calls, then 1 commit (not durable)', oneCommitLatencies);
        verdicts.push(
          `without the commit before the calls (which no durable create can drop), the bare handler still adds ${added(oneCommitLatencies, 50).toFixed(1)} ms at p50 and ${added(oneCommitLatencies, 99).toFixed(1)} at p99`,
        );
        againstDirect(
          'the same, stack floor: NestJS + Express + class-validator + axios, 2 commits',
          stackFloorLatencies,
        );
        const stackAboveFloor = added(stackFloorLatencies, 50) - added(bareLatencies, 50);
        verdicts.push(
          `the stack floor (the bare handler's two commits and two calls, made through the libraries the gateway is built on) is ${stackAboveFloor.toFixed(1)} ms above the bare floor at p50; the gateway is ${(p50 - added(stackFloorLatencies, 50)).toFixed(1)} ms above the stack floor`,
        );
        breakdown = await traceCreates(gatewayEnv, schema, percentile(directLatencies, 50));
      }

      // Idle: nothing to do, so little should run. What still runs is a few timers, and each
      // wake-up costs something: on some virtual machines several milliseconds. So a bare Node
      // process woken once a second is measured in the same seconds, for this machine's price.
      // The window opens once the rows' connections have gone idle and closed (the pool's after
      // 10 s, the sandboxes' keep-alive after 5 s): the row is about a gateway left alone.
      if (ONLY.has('idle')) {
        const ticker = spawn(NODE, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
        try {
          await sleep(12_000);
          const pids = [gateway.child.pid ?? 0, ticker.pid ?? 0];
          const before = pids.map((pid) => ({ ticks: processTicks(pid) ?? 0, wakeUps: wakeUps(pid) }));
          await sleep(10_000);
          const [idle, bare] = pids.map((pid, index) => ({
            percent: (((processTicks(pid) ?? 0) - (before[index]?.ticks ?? 0)) / TICKS_PER_SECOND / 10) * 100,
            wakeUps: wakeUps(pid) - (before[index]?.wakeUps ?? 0),
          }));
          if (idle === undefined || bare === undefined) throw new Error('no idle sample');
          verdicts.push(
            `idle gateway (PostgreSQL) uses ${idle.percent.toFixed(2)}% of a core, its main thread woken ${idle.wakeUps} times in 10 s (goal < ${GOALS.idleCpu}%): ${idle.percent < GOALS.idleCpu ? 'met' : 'NOT MET'}`,
          );
          verdicts.push(
            `in the same 10 s a bare Node process woken once a second used ${bare.percent.toFixed(2)}% of a core (${bare.wakeUps} wake-ups): this machine's price of waking`,
          );
        } finally {
          ticker.kill();
        }
      }
    } finally {
      bareChild.disconnect();
      stackFloorChild.disconnect();
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

/** A baseline process's options, from its arguments (`--bare <schema> <targets>`) and the parent's environment. */
const baselineOptions = (): BaselineOptions => ({
  databaseUrl: DATABASE_URL,
  schema: process.argv[3] ?? 'public',
  apiKey: API_KEY,
  targets: JSON.parse(process.argv[4] ?? '{}') as SandboxTargets,
});

if (process.argv[2] === '--bare') {
  void serveBare(baselineOptions());
} else if (process.argv[2] === '--stack-floor') {
  void serveStackFloor(baselineOptions()).then(({ url, close }) => {
    process.send?.(url);
    process.on('disconnect', () => void close().then(() => process.exit(0)));
  });
} else {
  run().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
