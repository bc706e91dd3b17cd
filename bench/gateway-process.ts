/**
 * The built gateway as the benches run it: a process of its own on a free port, answering once
 * its health probe does. Each bench passes the environment of its configuration.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { sleep } from './stats';

export const GATEWAY_MAIN = resolve(__dirname, '../dist/apps/gateway/apps/gateway/src/main.js');

export interface GatewayProcess {
  url: string;
  child: ChildProcess;
  /** From the spawn to the first 200 of the probe. */
  readyMs: number;
  stop(): Promise<void>;
}

/**
 * Starts `dist/`'s gateway with `env` over this process's environment (PORT is chosen here) and
 * resolves once `readyPath` answers 200; throws if the process exits first.
 */
export async function startGatewayProcess(
  env: Record<string, string>,
  options: { nodeFlags?: string[]; readyPath?: string } = {},
): Promise<GatewayProcess> {
  // Below Linux's ephemeral range (32768-60999), where the load's own client sockets could hold it.
  const port = 20_000 + Math.floor(Math.random() * 12_000);
  const started = performance.now();
  const child = spawn(process.execPath, [...(options.nodeFlags ?? []), GATEWAY_MAIN], {
    env: { ...process.env, PORT: String(port), ...env },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const url = `http://127.0.0.1:${port}`;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`gateway exited with ${child.exitCode}`);
    const ok = await fetch(`${url}${options.readyPath ?? '/health'}`).then(
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
      const exited = new Promise((done) => child.once('exit', done));
      child.kill('SIGTERM');
      await exited;
    },
  };
}
