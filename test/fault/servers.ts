import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { chownSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

import { rawQuery } from '@app/persistence/testing';

import { eventually } from '../support/eventually';

/**
 * PostgreSQL and Redis servers of a fault test's own, on free loopback ports, that it may stop,
 * restart and cut off without touching the machine's shared servers (other suites use those).
 */

const run = promisify(execFile);

/** A port nothing listens on right now (the kernel's pick, released at once). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** initdb refuses to run as root: as root, the cluster is made and run by the `postgres` user. */
const RUNS_AS_ROOT = process.getuid?.() === 0;

async function asPostgresUser(command: string, args: string[]): Promise<string> {
  const [file, argv] = RUNS_AS_ROOT
    ? ['runuser', ['-u', 'postgres', '--', command, ...args]]
    : [command, args];
  const { stdout } = await run(file, argv, { env: { ...process.env, LC_ALL: 'C' } });
  return stdout;
}

export interface TestPostgres {
  url: string;
  /** Ends every session connected to the database, as an operator or a failover would. */
  terminateSessions(): Promise<number>;
  /** Stops the server (fast shutdown: sessions are ended, nothing waits). */
  stop(): Promise<void>;
  /** Starts it again on the same port and data; resolves once it accepts connections. */
  start(): Promise<void>;
  close(): Promise<void>;
}

/** A fresh cluster in a temporary directory, trust authentication, listening on loopback only. */
export async function startPostgres(): Promise<TestPostgres> {
  const dir = mkdtempSync(join(tmpdir(), 'csg-fault-pg-'));
  if (RUNS_AS_ROOT) {
    const { stdout } = await run('id', ['-u', 'postgres']);
    const { stdout: gid } = await run('id', ['-g', 'postgres']);
    chownSync(dir, Number(stdout.trim()), Number(gid.trim()));
  }
  const data = join(dir, 'data');
  const port = await freePort();
  await asPostgresUser('initdb', ['-D', data, '-U', 'postgres', '--auth=trust', '--no-sync', '-E', 'UTF8']);
  // The socket goes into the cluster's own directory: /var/run/postgresql may not exist or be ours.
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off`;
  const start = async () => {
    await asPostgresUser('pg_ctl', ['-D', data, '-o', options, '-l', join(dir, 'server.log'), '-w', 'start']);
  };
  const stop = async () => {
    await asPostgresUser('pg_ctl', ['-D', data, '-m', 'fast', '-w', 'stop']);
  };
  await start();
  const url = `postgresql://postgres@127.0.0.1:${port}/postgres`;
  return {
    url,
    terminateSessions: async () => {
      const rows = await rawQuery<{ ended: number }>(
        url,
        `SELECT count(pg_terminate_backend(pid))::int AS ended FROM pg_stat_activity
          WHERE datname = current_database() AND pid <> pg_backend_pid() AND backend_type = 'client backend'`,
      );
      return rows[0]?.ended ?? 0;
    },
    stop,
    start,
    close: async () => {
      await stop().catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface TestRedis {
  url: string;
  stop(): Promise<void>;
  start(): Promise<void>;
  close(): Promise<void>;
}

/** A `redis-server` without persistence on a free port. */
export async function startRedis(): Promise<TestRedis> {
  const port = await freePort();
  let server: ChildProcess | undefined;
  const start = async () => {
    const child = spawn(
      'redis-server',
      ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
      {
        stdio: 'ignore',
      },
    );
    server = child;
    await eventually(
      'redis to accept connections',
      () =>
        new Promise<true | undefined>((resolve) => {
          const probe = createServer();
          // The port is taken once redis listens on it.
          probe.once('error', () => resolve(true));
          probe.listen(port, '127.0.0.1', () => probe.close(() => resolve(undefined)));
        }),
      { timeoutMs: 20_000, intervalMs: 50 },
    );
  };
  const stop = async () => {
    const child = server;
    server = undefined;
    if (child === undefined || child.exitCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
  };
  await start();
  return { url: `redis://127.0.0.1:${port}`, stop, start, close: stop };
}
