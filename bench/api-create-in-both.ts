/**
 * bench:api's create-in-both row (bench/api.ts): creates in both providers one request at a time,
 * paced, through the gateway, the bare handler (durable, and with its only commit after the calls),
 * the stack floors (Fastify, the gateway's platform, and Express), and straight to the sandboxes, the targets taking turns; then the same create
 * traced phase by phase in one more gateway.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { createInBoth } from './api-bare';
import type { SandboxTargets } from './api-baselines';
import { auth, customer, startGatewayProcess } from './api-gateway';
import { CREATES, GOALS, type Report, type RowUrls } from './api-settings';
import { describeTimelines } from './api-timeline-report';
import type { Timeline } from './create-timeline.mjs';
import { percentile, sleep } from './stats';

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

/** Creates in both providers sent to a gateway that records each one's timeline (create-timeline.mts). */
export const TRACED_CREATES = 100;

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

/**
 * The row, against the same two creates sent direct; resolves with the traced creates' phases.
 * `traced`: the gateway's environment and schema, for the traced gateway.
 */
export async function measureCreateInBoth(
  urls: RowUrls,
  targets: SandboxTargets,
  traced: { env: Record<string, string>; schema: string },
  report: Report,
): Promise<string[]> {
  const { gateway: gatewayUrl, bare: bareUrl } = urls;
  const { row, verdicts } = report;
  let sent = 0;
  const direct = async () => {
    await createInBoth(targets, `direct-${process.pid}-${++sent}`, customer());
  };
  await sequentialLatencies(20, direct);
  const viaGateway = async () => {
    const res = await fetch(`${gatewayUrl}/v1/customers`, {
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
  const viaPromisedBare = viaBare(`${bareUrl}/v1/customers/in-both-promised`);
  const viaStackFloor = viaBare(`${urls.stackFloor}/v1/customers/in-both`);
  const viaExpressFloor = viaBare(`${urls.expressFloor}/v1/customers/in-both`);
  await sequentialLatencies(20, viaGateway);
  await sequentialLatencies(20, viaDurableBare);
  await sequentialLatencies(20, viaOneCommitBare);
  await sequentialLatencies(20, viaPromisedBare);
  await sequentialLatencies(20, viaStackFloor);
  await sequentialLatencies(20, viaExpressFloor);
  const gatewayLatencies: number[] = [];
  const bareLatencies: number[] = [];
  const oneCommitLatencies: number[] = [];
  const promisedLatencies: number[] = [];
  const stackFloorLatencies: number[] = [];
  const expressFloorLatencies: number[] = [];
  const directLatencies: number[] = [];
  // In blocks of a couple of seconds each, taking turns, so that the machine's load drifting
  // over the minute the row takes weighs on every target alike.
  const perBlock = Math.max(1, Math.round(CREATES / CREATE_BLOCKS));
  for (let block = 0; block < CREATE_BLOCKS; block++) {
    gatewayLatencies.push(...(await sequentialLatencies(perBlock, viaGateway)));
    bareLatencies.push(...(await sequentialLatencies(perBlock, viaDurableBare)));
    oneCommitLatencies.push(...(await sequentialLatencies(perBlock, viaOneCommitBare)));
    promisedLatencies.push(...(await sequentialLatencies(perBlock, viaPromisedBare)));
    stackFloorLatencies.push(...(await sequentialLatencies(perBlock, viaStackFloor)));
    expressFloorLatencies.push(...(await sequentialLatencies(perBlock, viaExpressFloor)));
    directLatencies.push(...(await sequentialLatencies(perBlock, direct)));
  }
  const added = (latencies: number[], p: number) => percentile(latencies, p) - percentile(directLatencies, p);
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
  againstDirect(
    'the same, bare handler: 2 commits with the events, outbox and call log (the promise floor)',
    promisedLatencies,
  );
  const aboveBareFloor = added(promisedLatencies, 50) - added(bareLatencies, 50);
  const abovePromiseFloor = p50 - added(promisedLatencies, 50);
  verdicts.push(
    `the promise floor (the same two commits, also writing what the gateway promises of every create: its events under the event-order lock, their webhook outbox rows and the calls' audit rows) is ${aboveBareFloor.toFixed(1)} ms above the bare floor at p50; the gateway is ${abovePromiseFloor.toFixed(1)} ms above the promise floor (${abovePromiseFloor <= GOALS.aboveFloorP50Ms ? 'within' : 'over'} the ${GOALS.aboveFloorP50Ms} ms the goal allows above a floor)`,
  );
  againstDirect('the same, bare handler: the calls, then 1 commit (not durable)', oneCommitLatencies);
  verdicts.push(
    `without the commit before the calls (which no durable create can drop), the bare handler still adds ${added(oneCommitLatencies, 50).toFixed(1)} ms at p50 and ${added(oneCommitLatencies, 99).toFixed(1)} at p99`,
  );
  againstDirect(
    'the same, stack floor: NestJS on Fastify + class-validator + axios, 2 commits',
    stackFloorLatencies,
  );
  const stackAboveFloor = added(stackFloorLatencies, 50) - added(bareLatencies, 50);
  verdicts.push(
    `the stack floor (the bare handler's two commits and two calls, made through the libraries the gateway is built on) is ${stackAboveFloor.toFixed(1)} ms above the bare floor at p50; the gateway is ${(p50 - added(stackFloorLatencies, 50)).toFixed(1)} ms above the stack floor`,
  );
  againstDirect(
    'the same, stack floor on Express: NestJS + Express + class-validator + axios, 2 commits',
    expressFloorLatencies,
  );
  verdicts.push(
    `on NestJS's Express platform (the gateway's until 2026-12) the same stack floor is ${(added(expressFloorLatencies, 50) - added(bareLatencies, 50)).toFixed(1)} ms above the bare floor at p50`,
  );
  return traceCreates(traced.env, traced.schema, percentile(directLatencies, 50));
}
