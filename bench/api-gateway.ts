/**
 * The built gateway as bench:api (bench/api.ts) runs it, one process per configuration, and the
 * requests its rows send it: the API key's headers and a new customer per create.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { resolve } from 'node:path';
import type { BenchCustomer } from './api-baselines';
import { API_KEY } from './api-settings';
import { sleep } from './stats';

const GATEWAY_MAIN = resolve(__dirname, '../dist/apps/gateway/apps/gateway/src/main.js');
export const NODE = process.execPath;

export const UNTHROTTLED = {
  RATE_LIMIT_READ_PER_SECOND: '1000000',
  RATE_LIMIT_WRITE_PER_SECOND: '1000000',
  RATE_LIMIT_PROVIDER_PER_SECOND: '1000000',
  RATE_LIMIT_PROVIDER_TOTAL_PER_SECOND: '1000000',
};

export interface Gateway {
  url: string;
  child: ChildProcess;
  stop(): Promise<void>;
}

/** The built gateway as a process; resolves once /health answers 200. */
export async function startGatewayProcess(
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

export const auth = { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' };
let emails = 0;
const ADDRESS = {
  line1: '10380 Bren Rd W',
  city: 'Minnetonka',
  state: 'MN',
  postalCode: '55129',
  country: 'US',
};
export const customer = (): BenchCustomer => ({
  email: `bench-${process.pid}-${++emails}@example.com`,
  givenName: 'John',
  familyName: 'Smith',
  address: ADDRESS,
});
