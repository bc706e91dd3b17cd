import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';

import { assertTestDatabaseUrl } from '@app/persistence';
import { openRawSession, type RawSession } from '@app/persistence/testing';

import { KEYS } from './gateway';

/**
 * The built gateway (`npm run build`) as separate processes on one PostgreSQL schema: what
 * crash and multi-instance tests need. These always run on a real server, never PGlite.
 */
export const GATEWAY_MAIN = resolve(__dirname, '../../dist/apps/gateway/apps/gateway/src/main.js');

/**
 * Preloaded into a gateway started with `CHAOS_CRASH_AT` (the crash ring): the crash points live in
 * this test-only module, not in the gateway (see crash-points.ts). Plain node runs it through
 * ts-node, transpiled only.
 */
const CRASH_POINTS_PRELOAD = [
  '-r',
  'ts-node/register/transpile-only',
  '-r',
  resolve(__dirname, 'crash-points.ts'),
];

export function testPostgresUrl(): string {
  const url = process.env.TEST_DATABASE_URL || 'postgresql://postgres@127.0.0.1:5432/test';
  assertTestDatabaseUrl(url);
  return url;
}

/** A fresh `test_<uuid>` schema and a client on it; `drop()` removes the schema and closes. */
export interface TestSchema {
  url: string;
  schema: string;
  /** The env a child gateway needs to live in this schema. */
  env: { DATABASE_URL: string; DATABASE_SCHEMA: string };
  query: RawSession['query'];
  drop(): Promise<void>;
}

export async function createTestSchema(): Promise<TestSchema> {
  const url = testPostgresUrl();
  const schema = `test_${randomUUID().replaceAll('-', '')}`;
  const client = await openRawSession(url, { schema });
  await client.query(`CREATE SCHEMA "${schema}"`);
  return {
    url,
    schema,
    env: { DATABASE_URL: url, DATABASE_SCHEMA: schema },
    query: client.query,
    drop: async () => {
      try {
        await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      } finally {
        await client.end();
      }
    },
  };
}

/** The admin key of test/support/gateway.ts, as the children's API_KEYS. */
export const CHILD_API_KEYS = JSON.stringify([{ id: 'admin', scopes: ['admin'], key: KEYS.admin }]);

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** Ending a child process, as a crash or gracefully. */
export interface ChildSignals {
  /** SIGKILL: nothing runs after it, as in a crash or an OOM kill. */
  kill(): Promise<Exit>;
  /** SIGTERM (graceful), SIGKILL if it is still there after `graceMs`. */
  stop(graceMs?: number): Promise<Exit>;
}

export interface GatewayProcess extends ChildSignals {
  child: ChildProcessWithoutNullStreams;
  url: string;
  /** Everything it wrote so far, stdout and stderr. */
  output(): string;
  /** Settles once the process is gone and its output read. */
  exited: Promise<Exit>;
}

const running = new Set<GatewayProcess>();

/** `kill` (SIGKILL, as a crash) and `stop` (SIGTERM, then SIGKILL after the grace period) for a child. */
export function signals(
  child: ChildProcessWithoutNullStreams,
  exited: Promise<Exit>,
  defaultGraceMs: number,
): ChildSignals {
  const gone = () => child.exitCode !== null || child.signalCode !== null;
  return {
    kill: () => {
      if (!gone()) child.kill('SIGKILL');
      return exited;
    },
    stop: async (graceMs = defaultGraceMs) => {
      if (!gone()) child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      try {
        return await exited;
      } finally {
        clearTimeout(timer);
      }
    },
  };
}

/**
 * Starts `dist/.../main.js` with `process.execPath` and resolves once it printed its banner.
 * `env` is everything beyond PATH, PORT=0, NODE_ENV=test, LOG_LEVEL=warn and the test API key;
 * with `CHAOS_CRASH_AT` the crash points are preloaded.
 */
export function spawnGateway(env: Record<string, string>): Promise<GatewayProcess> {
  if (!existsSync(GATEWAY_MAIN)) throw new Error(`${GATEWAY_MAIN} is missing: run npm run build first`);
  const preload = env.CHAOS_CRASH_AT === undefined ? [] : CRASH_POINTS_PRELOAD;
  const child = spawn(process.execPath, [...preload, GATEWAY_MAIN], {
    env: {
      PATH: process.env.PATH,
      NODE_ENV: 'test',
      HOST: '127.0.0.1',
      PORT: '0',
      LOG_LEVEL: 'warn',
      API_KEYS: CHILD_API_KEYS,
      ...env,
    },
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<Exit>((resolveExit) =>
    child.on('close', (code, signal) => resolveExit({ code, signal })),
  );
  const started: GatewayProcess = {
    child,
    url: '',
    output: () => output,
    exited,
    ...signals(child, exited, 15_000),
  };
  running.add(started);
  void exited.then(() => running.delete(started));

  return new Promise((resolveStarted, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`gateway did not start within 45 s:\n${output}`));
    }, 45_000);
    const check = () => {
      // The banner as text (LOG_FORMAT=pretty) or as a JSON line (JSON logs, a pipe's default).
      const url = (/Swagger UI:\s+(http:\/\/\S+)\/docs/.exec(output) ??
        /"swaggerUi":"(http:\/\/[^"]+)\/docs"/.exec(output))?.[1];
      if (url === undefined) return;
      clearTimeout(timer);
      child.stdout.off('data', check);
      started.url = url;
      resolveStarted(started);
    };
    child.stdout.on('data', check);
    void exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`gateway exited (${code ?? signal}) before it started:\n${output}`));
    });
  });
}

/** The process's exit if it comes within `ms`, else undefined (the process is left running). */
export async function exitWithin(gateway: GatewayProcess, ms: number): Promise<Exit | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<undefined>((resolveTimeout) => {
    timer = setTimeout(() => resolveTimeout(undefined), ms);
  });
  try {
    return await Promise.race([gateway.exited, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** SIGKILLs every child still running (afterEach/afterAll), so none outlives the tests. */
export async function killAllGateways(): Promise<void> {
  await Promise.all([...running].map((gateway) => gateway.kill()));
}

/** A JSON call to a gateway with the admin key; rejects when the connection fails. */
export async function call(
  base: string,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; body: unknown }> {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: {
      Authorization: `Bearer ${KEYS.admin}`,
      ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, body: text === '' ? undefined : (JSON.parse(text) as unknown) };
}
