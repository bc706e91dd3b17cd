/**
 * `npm run bench:sandboxes`: shows the provider sandboxes are never a benchmark's bottleneck
 * (issue 3: at least 5,000 simple requests/s each on this machine).
 *
 * Team rule: figures are reported as ratios against a baseline measured in the same run on the same
 * machine, plus absolute req/s. The baseline is a bare node:http server answering a fixed JSON body.
 * The servers run in a child process so autocannon (this process) does not share their event loop.
 * Authentication is verified on every request: the DR key is looked up per request and the 2CO HMAC
 * is recomputed per request (the header is signed once; the server caches nothing). Rate limiters
 * are disabled, otherwise they would be what is measured.
 *
 * Env: BENCH_SECONDS (default 3 per target), BENCH_CONNECTIONS (default 50).
 */
import autocannon from 'autocannon';
import { fork } from 'node:child_process';
import { createServer } from 'node:http';
import { type AddressInfo } from 'node:net';
import Fastify from 'fastify';
import { signAvangateAuthentication, startSandboxes } from '@app/sandboxes';

const TARGET_RPS = 5_000;
const SECONDS = Number(process.env['BENCH_SECONDS'] ?? 3);
const CONNECTIONS = Number(process.env['BENCH_CONNECTIONS'] ?? 50);

interface Endpoints {
  baseline: string;
  fastify: string;
  dr: { url: string; secretKey: string; id: string };
  tco: { url: string; merchantCode: string; secretKey: string; reference: string };
}

async function serve(): Promise<void> {
  const fixed = JSON.stringify({
    id: '5823594806',
    email: 'jsmith@example.com',
    enabled: true,
    liveMode: false,
  });
  const baseline = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(fixed) });
    res.end(fixed);
  });
  await new Promise<void>((resolve) => baseline.listen(0, '127.0.0.1', resolve));
  // The framework floor: how much of the gap to the baseline is fastify itself, not sandbox logic.
  const bare = Fastify({ logger: false });
  bare.get('/', (_req, reply) => reply.type('application/json').send(fixed));
  const fastifyUrl = await bare.listen({ host: '127.0.0.1', port: 0 });
  const sandboxes = await startSandboxes({
    'digital-river': { rateLimitPerSecond: 0, liveRateLimitPerSecond: 0 },
    'two-checkout': { rateLimitPerSecond: 0 },
  });
  const { 'digital-river': dr, 'two-checkout': tco } = sandboxes;
  const ids = dr.admin.seed(1_000);
  const refs = tco.admin.seed(1_000);
  const endpoints: Endpoints = {
    baseline: `http://127.0.0.1:${(baseline.address() as AddressInfo).port}/`,
    fastify: `${fastifyUrl}/`,
    dr: { url: dr.url, secretKey: dr.secretKey, id: ids[500] ?? '' },
    tco: {
      url: tco.url,
      merchantCode: tco.merchantCode,
      secretKey: tco.secretKey,
      reference: refs[500] ?? '',
    },
  };
  process.send?.(endpoints);
  process.on('disconnect', () => {
    baseline.close();
    void bare.close();
    void sandboxes.close().then(() => process.exit(0));
  });
}

interface Target {
  name: string;
  url: string;
  headers?: Record<string, string>;
  sandbox: boolean;
}

async function measure(target: Target, seconds: number): Promise<autocannon.Result> {
  return autocannon({
    url: target.url,
    headers: target.headers,
    connections: CONNECTIONS,
    duration: seconds,
  });
}

async function run(): Promise<void> {
  const child = fork(__filename, ['--serve'], {
    execArgv: ['-r', 'ts-node/register/transpile-only', '-r', 'tsconfig-paths/register'],
    stdio: 'inherit',
  });
  const endpoints = await new Promise<Endpoints>((resolve, reject) => {
    child.once('message', (message) => resolve(message as Endpoints));
    child.once('exit', (code) => reject(new Error(`server process exited early (${code})`)));
  });
  const targets: Target[] = [
    { name: 'baseline node:http fixed JSON', url: endpoints.baseline, sandbox: false },
    { name: 'floor: bare fastify fixed JSON', url: endpoints.fastify, sandbox: false },
    {
      name: 'DR GET /customers/{id}',
      url: `${endpoints.dr.url}/customers/${endpoints.dr.id}`,
      headers: { authorization: `Bearer ${endpoints.dr.secretKey}` },
      sandbox: true,
    },
    {
      name: 'DR GET /customers?limit=10',
      url: `${endpoints.dr.url}/customers?limit=10`,
      headers: { authorization: `Bearer ${endpoints.dr.secretKey}` },
      sandbox: true,
    },
    {
      name: '2CO GET /customers/{ref}/ (sha256)',
      url: `${endpoints.tco.url}/customers/${endpoints.tco.reference}/`,
      headers: {
        'x-avangate-authentication': signAvangateAuthentication({
          code: endpoints.tco.merchantCode,
          secretKey: endpoints.tco.secretKey,
        }),
      },
      sandbox: true,
    },
  ];

  console.log(
    `Sandbox throughput: ${SECONDS}s per target, ${CONNECTIONS} connections, autocannon in a separate process.\n` +
      'Rate limiters are DISABLED for this bench (rateLimitPerSecond: 0); auth is verified on every request.\n',
  );
  const rows: { target: Target; rps: number; p99: number; non2xx: number; errors: number }[] = [];
  for (const target of targets) {
    await measure(target, 1); // warm-up: JIT and connection pools
    const result = await measure(target, SECONDS);
    rows.push({
      target,
      rps: result.requests.average,
      p99: result.latency.p99,
      non2xx: result.non2xx,
      errors: result.errors + result.timeouts,
    });
  }
  child.disconnect();

  const baselineRps = rows[0]?.rps ?? 1;
  console.log(
    [
      'target'.padEnd(38),
      'req/s'.padStart(9),
      'x baseline'.padStart(11),
      'p99 ms'.padStart(7),
      'non-2xx'.padStart(8),
      'errors'.padStart(7),
    ].join(' '),
  );
  let failed = false;
  for (const row of rows) {
    const ok = !row.target.sandbox || (row.rps >= TARGET_RPS && row.non2xx === 0 && row.errors === 0);
    failed ||= !ok;
    console.log(
      [
        row.target.name.padEnd(38),
        row.rps.toFixed(0).padStart(9),
        (row.rps / baselineRps).toFixed(2).padStart(11),
        String(row.p99).padStart(7),
        String(row.non2xx).padStart(8),
        String(row.errors).padStart(7),
        row.target.sandbox ? (ok ? ' ok' : ` FAIL (< ${TARGET_RPS} req/s or errors)`) : '',
      ].join(' '),
    );
  }
  console.log(
    `\nTarget: every sandbox >= ${TARGET_RPS} req/s with no errors: ${failed ? 'NOT MET' : 'met'}.`,
  );
  process.exitCode = failed ? 1 : 0;
}

if (process.argv.includes('--serve')) {
  void serve();
} else {
  run().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
