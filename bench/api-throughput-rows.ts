/**
 * bench:api's throughput rows (bench/api.ts): read by id, a list page and a create with
 * `providers: []`, each sent by autocannon to the gateway and the bare handler in turns (and the
 * create to the stack floor in the same turns), reported as the gateway's ratio to the bare handler.
 */
import autocannon from 'autocannon';
import { auth, customer } from './api-gateway';
import { GOALS, ONLY, type Report, ROUNDS, type RowUrls, SECONDS } from './api-settings';
import { median } from './stats';

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

/** A stack floor a row measures beside the gateway: what its line in the table says, and where it answers. */
interface FloorTarget {
  name: string;
  url: string;
}

/** Gateway and bare handler in turns (A/B/A/B), and the stack floors in the same turns. */
async function abab(
  gatewayUrl: string,
  bareUrl: string,
  options: Parameters<typeof load>[1],
  floors: FloorTarget[] = [],
): Promise<{ gateway: Round; bare: Round; floors: (FloorTarget & Round)[] }> {
  const [gateway, bare, ...floorRounds] = await inTurns(
    [gatewayUrl, bareUrl, ...floors.map((floor) => floor.url)],
    options,
  );
  if (gateway === undefined || bare === undefined) throw new Error('no rounds measured');
  return {
    gateway,
    bare,
    floors: floors.map((floor, index) => ({ ...floor, ...(floorRounds[index] as Round) })),
  };
}

const ratio = (a: number, b: number) => (b === 0 ? 0 : a / b);

const STACK_FLOOR = 'the same, stack floor (NestJS on Fastify + class-validator)';
const EXPRESS_FLOOR = 'the same, stack floor on Express (NestJS + Express + class-validator)';

/** Seeds the customer the read row reads, then runs the rows BENCH_ONLY names. */
export async function measureThroughput(urls: RowUrls, report: Report): Promise<void> {
  const { gateway: gatewayUrl, bare: bareUrl } = urls;
  const { row, verdicts } = report;
  const seeded = await fetch(`${gatewayUrl}/v1/customers`, {
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
        abab(`${gatewayUrl}/v1/customers/${seeded.id}`, `${bareUrl}/v1/customers/${seeded.id}`, {
          connections: 20,
          seconds: SECONDS,
        }),
    },
    {
      row: 'list',
      name: 'GET /v1/customers?limit=10, 20 conn',
      goal: GOALS.list,
      measure: () =>
        abab(`${gatewayUrl}/v1/customers?limit=10`, `${bareUrl}/v1/customers`, {
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
          `${gatewayUrl}/v1/customers`,
          `${bareUrl}/v1/customers`,
          { method: 'POST', body, connections: 10, seconds: SECONDS },
          [
            { name: STACK_FLOOR, url: `${urls.stackFloor}/v1/customers` },
            { name: EXPRESS_FLOOR, url: `${urls.expressFloor}/v1/customers` },
          ],
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
    for (const floor of result.floors) {
      const floorRatio = ratio(floor.rps, result.bare.rps);
      row(
        floor.name,
        floor.rps.toFixed(0),
        result.bare.rps.toFixed(0),
        `${floorRatio.toFixed(2)}x`,
        `${floor.p50}/${result.bare.p50}`,
        `${floor.p99}/${result.bare.p99}`,
        floor.errors,
      );
      const against = `${ratio(result.gateway.rps, floor.rps).toFixed(2)}x`;
      verdicts.push(
        floor.name === STACK_FLOOR
          ? `of that, the stack the gateway is built on, with the bare handler's INSERT, answers ${floorRatio.toFixed(2)}x of the bare handler; the gateway answers ${against} of that stack floor`
          : `the same stack floor on NestJS's Express platform (the gateway's until 2026-12) answers ${floorRatio.toFixed(2)}x of the bare handler (the gateway: ${against} of it)`,
      );
    }
  }
}
