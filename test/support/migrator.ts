import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';

import { MIGRATOR_MAIN, migratorNodeFlags } from './migrator-command';
import { type ChildSignals, type Exit, signals } from './processes';

export type MigrationCounts = Record<
  'migrated' | 'already_present' | 'skipped' | 'failed' | 'pending' | 'total',
  number
>;

export interface MigratorEvent {
  event: string;
  run?: string;
  status?: string;
  counts?: MigrationCounts;
  report?: string;
  pid?: number;
  [key: string]: unknown;
}

/** The JSON report `run` writes (`--report <file>`). */
export interface MigrationReport {
  id: string;
  status: string;
  counts: MigrationCounts;
  lossyFields: Record<string, number>;
  items: {
    seq: number;
    sourceReference: string;
    outcome?: string;
    reason?: { code: string; message: string; retryable: boolean };
    lossyFields: string[];
    customerId?: string;
    targetReference?: string;
    worker?: string;
    attempts: number;
  }[];
}

export interface MigratorProcess extends ChildSignals {
  child: ChildProcessWithoutNullStreams;
  /** Every JSON event printed on stdout so far, in order. */
  events: MigratorEvent[];
  /** The last 64 kB of stderr and of stdout lines that were not JSON, for failure messages. */
  output(): string;
  exited: Promise<Exit>;
  /** Resolves with the first event (already printed or still to come) `matches` accepts. */
  waitFor(
    what: string,
    matches: (event: MigratorEvent) => boolean,
    timeoutMs: number,
  ): Promise<MigratorEvent>;
}

const running = new Set<MigratorProcess>();
const OUTPUT_TAIL = 64 * 1024;

/** Customers with an outcome (whatever it is) in a progress or finished event. */
export const finishedOf = (counts: MigrationCounts | undefined): number =>
  counts === undefined ? 0 : counts.total - counts.pending;

/**
 * Starts `migrator <args>` with `process.execPath` and the npm script's Node flags. `env` is
 * everything beyond PATH, NODE_ENV=test and LOG_LEVEL=error (DATABASE_URL, PROVIDER_ACCOUNTS, ...).
 */
export function spawnMigrator(args: readonly string[], env: Record<string, string>): MigratorProcess {
  if (!existsSync(MIGRATOR_MAIN)) throw new Error(`${MIGRATOR_MAIN} is missing: run npm run build first`);
  const child = spawn(process.execPath, [...migratorNodeFlags(), MIGRATOR_MAIN, ...args], {
    env: { PATH: process.env.PATH, NODE_ENV: 'test', LOG_LEVEL: 'error', ...env },
  });
  const events: MigratorEvent[] = [];
  const waiters = new Set<{ matches: (event: MigratorEvent) => boolean; done: (e: MigratorEvent) => void }>();
  let tail = '';
  const keep = (text: string) => {
    tail = (tail + text).slice(-OUTPUT_TAIL);
  };
  createInterface({ input: child.stdout, crlfDelay: Infinity }).on('line', (line) => {
    let event: MigratorEvent;
    try {
      event = JSON.parse(line) as MigratorEvent;
    } catch {
      keep(`${line}\n`);
      return;
    }
    events.push(event);
    for (const waiter of waiters) if (waiter.matches(event)) waiter.done(event);
  });
  child.stderr.on('data', (chunk: Buffer) => keep(chunk.toString()));
  const exited = new Promise<Exit>((resolveExit) =>
    child.on('close', (code, signal) => resolveExit({ code, signal })),
  );
  const migrator: MigratorProcess = {
    child,
    events,
    output: () => tail,
    exited,
    waitFor: (what, matches, timeoutMs) => {
      const found = events.find(matches);
      if (found !== undefined) return Promise.resolve(found);
      return new Promise((resolveEvent, reject) => {
        const waiter = {
          matches,
          done: (event: MigratorEvent) => {
            settle();
            resolveEvent(event);
          },
        };
        const timer = setTimeout(() => {
          settle();
          reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last: ${last()}\n${tail}`));
        }, timeoutMs);
        const settle = () => {
          clearTimeout(timer);
          waiters.delete(waiter);
        };
        const last = () => JSON.stringify(events.at(-1));
        waiters.add(waiter);
        void exited.then(({ code, signal }) => {
          if (!waiters.has(waiter)) return;
          settle();
          reject(new Error(`migrator exited (${code ?? signal}) before ${what}; last: ${last()}\n${tail}`));
        });
      });
    },
    ...signals(child, exited, 20_000),
  };
  running.add(migrator);
  void exited.then(() => running.delete(migrator));
  return migrator;
}

/** SIGKILLs every migrator still running (afterEach/afterAll), so none outlives the tests. */
export async function killAllMigrators(): Promise<void> {
  await Promise.all([...running].map((migrator) => migrator.kill()));
}

export function readReport(path: string): MigrationReport {
  return JSON.parse(readFileSync(path, 'utf8')) as MigrationReport;
}
