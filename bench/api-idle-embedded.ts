/**
 * bench:api's last rows (bench/api.ts): the gateway's CPU and wake-ups while idle, and the embedded
 * default (PGlite, built-in sandboxes): time to ready from a fresh data directory, RSS after 1,000
 * creates. Neither adds a line to the table, only verdicts.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { auth, customer, type Gateway, NODE, startGatewayProcess, UNTHROTTLED } from './api-gateway';
import { GOALS } from './api-settings';
import { processTicks, rssMb, TICKS_PER_SECOND, wakeUps } from './proc';
import { median, sleep } from './stats';

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

/**
 * Idle: nothing to do, so little should run. What still runs is a few timers, and each
 * wake-up costs something: on some virtual machines several milliseconds. So a bare Node
 * process woken once a second is measured in the same seconds, for this machine's price.
 * The window opens once the rows' connections have gone idle and closed (the pool's after
 * 10 s, the sandboxes' keep-alive after 5 s): the row is about a gateway left alone.
 */
export async function measureIdle(gateway: Gateway): Promise<string[]> {
  const verdicts: string[] = [];
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
  return verdicts;
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

/** The embedded default: ready time from a fresh data directory, then RSS after 1,000 creates. */
export async function measureEmbedded(): Promise<string[]> {
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
