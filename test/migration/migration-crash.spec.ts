import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';

import { type FaultConfig, type RunningSandboxes, startSandboxes } from '@app/sandboxes';

import { testAccounts } from '../support/gateway';
import {
  finishedOf,
  killAllMigrators,
  type MigrationReport,
  type MigratorProcess,
  readReport,
  spawnMigrator,
} from '../support/migrator';
import { createTestSchema, type TestSchema } from '../support/processes';

/**
 * The migration job's acceptance criteria, on real processes: the built migrator CLI moves a
 * whole customer base between the provider sandboxes (run by this test process, with faults on
 * every route) on a real PostgreSQL, is SIGKILLed twice mid-run and resumed with
 * `run --resume <id>`, and ends with exactly the source's customers at the target (none missing,
 * none twice) and a report that accounts for every one of them. Then two processes share one run
 * through pg-boss.
 */

/** About one request in ten answers badly: errors, resets, 429 bursts, writes that commit then fail. */
const FAULTS: FaultConfig = {
  '*': {
    errorRate: 0.04,
    resetRate: 0.02,
    commitThenFailRate: 0.02,
    // Retry-After: 0, so a burst does not pause the whole shared rate budget for a second each time.
    rateLimitBurst: { rate: 0.01, length: 2, retryAfterSeconds: 0 },
  },
};

const CONCURRENCY = '32';

/**
 * The accounts as the migrator sees them: enough retries that a 10% fault rate never exhausts them
 * (faults must cost retries, not customers), no breaker tripping on a run of bad luck, and no
 * client-side rate limit (the sandboxes' limiters are off too).
 */
function accounts(sandboxes: RunningSandboxes): string {
  return JSON.stringify(
    testAccounts(sandboxes, {
      timeoutMs: 5_000,
      rateLimitPerSecond: 1_000_000,
      retry: { maxAttempts: 8, baseDelayMs: 5, maxDelayMs: 100, maxRetryAfterMs: 1_000 },
      circuitBreaker: { consecutiveFailures: 1_000, halfOpenAfterMs: 100 },
    }),
  );
}

const sorted = (values: Iterable<string>) => [...values].sort();

/** Outcomes that mean "the target holds the customer". */
const PRESENT = new Set(['migrated', 'already_present']);

describe('the migrator CLI, SIGKILLed mid-run and resumed (real processes, PostgreSQL)', () => {
  let db: TestSchema;
  let sandboxes: RunningSandboxes;
  let env: Record<string, string>;
  let dir: string;
  const dr = () => sandboxes['digital-river'].admin;
  const tco = () => sandboxes['two-checkout'].admin;

  beforeEach(async () => {
    db = await createTestSchema();
    sandboxes = await startSandboxes({
      'digital-river': { rateLimitPerSecond: 0 },
      'two-checkout': { rateLimitPerSecond: 0 },
    });
    dir = mkdtempSync(join(tmpdir(), 'migration-crash-'));
    env = {
      ...db.env,
      PROVIDER_ACCOUNTS: accounts(sandboxes),
      // What the CLI picks on PostgreSQL unless a test says otherwise: batches go through pg-boss.
      MIGRATION_QUEUE: 'auto',
      MIGRATION_QUEUE_SCHEMA: `${db.schema}_boss`,
      // A killed process's leased links are taken over within seconds.
      SYNC_LEASE_MS: '2000',
      SYNC_RETRY_BASE_MS: '20',
      SYNC_RETRY_MAX_MS: '300',
      SYNC_MAX_ATTEMPTS: '10',
    };
  });

  afterEach(async () => {
    await killAllMigrators();
    await sandboxes?.close();
    try {
      await db?.query(`DROP SCHEMA IF EXISTS "${db.schema}_boss" CASCADE`);
    } finally {
      await db?.drop();
    }
    rmSync(dir, { recursive: true, force: true });
  });

  /** `run <args>` until `finished` customers of the run have an outcome, then SIGKILL. */
  async function runAndKill(args: string[], finished: number, timeoutMs: number): Promise<string> {
    const migrator = spawnMigrator(['run', ...args], env);
    const begun = await migrator.waitFor(
      'the run to start',
      (e) => e.event === 'started' || e.event === 'resumed',
      60_000,
    );
    await migrator.waitFor(
      `${finished} customers finished`,
      (e) => e.event === 'progress' && finishedOf(e.counts) >= finished,
      timeoutMs,
    );
    expect(await migrator.kill()).toEqual({ code: null, signal: 'SIGKILL' });
    // Killed mid-run: it never got to the end.
    expect(migrator.events.some((e) => e.event === 'finished')).toBe(false);
    return begun.run!;
  }

  /** `run <args>` to its end; resolves the report it wrote. */
  async function runToEnd(
    args: string[],
    timeoutMs: number,
  ): Promise<{ migrator: MigratorProcess; report: MigrationReport }> {
    const migrator = spawnMigrator(['run', ...args], env);
    const finished = await migrator.waitFor('the run to finish', (e) => e.event === 'finished', timeoutMs);
    const exit = await migrator.exited;
    if (exit.code !== 0 || finished.status !== 'completed') {
      throw new Error(
        `run ended ${JSON.stringify(finished)} with ${JSON.stringify(exit)}\n${migrator.output()}`,
      );
    }
    return { migrator, report: readReport(finished.report!) };
  }

  /** Every source customer is in the report exactly once, present at the target; nothing else is. */
  function expectAccountedFor(report: MigrationReport, sources: readonly string[]): void {
    expect(report.status).toBe('completed');
    expect(report.counts.total).toBe(sources.length);
    expect(report.counts.pending).toBe(0);
    expect(report.counts.failed).toBe(0);
    expect(report.counts.skipped).toBe(0);
    expect(report.counts.migrated + report.counts.already_present).toBe(sources.length);
    expect(report.items).toHaveLength(sources.length);
    expect(sorted(report.items.map((item) => item.sourceReference))).toEqual(sorted(sources));
    const notPresent = report.items.filter((item) => !PRESENT.has(item.outcome ?? 'pending'));
    expect(notPresent).toEqual([]);
  }

  /** The mirror holds one customer per source customer, each linked once to the target and synced. */
  async function expectMirror(sources: number, target: string): Promise<void> {
    const [row] = await db.query<{ customers: number; links: number; synced: number; targets: number }>(
      `SELECT (SELECT count(*)::int FROM customers) AS customers,
              (SELECT count(*)::int FROM provider_links WHERE provider = $1) AS links,
              (SELECT count(*)::int FROM provider_links WHERE provider = $1 AND status = 'synced') AS synced,
              (SELECT count(DISTINCT reference)::int FROM provider_links WHERE provider = $1) AS targets`,
      [target],
    );
    expect(row).toEqual({ customers: sources, links: sources, synced: sources, targets: sources });
  }

  /** Writes to 2CO so far: creates and updates. */
  const tcoWrites = () => {
    const { byRoute } = tco().stats();
    return { creates: byRoute['POST /customers'] ?? 0, updates: byRoute['PUT /customers/:ref'] ?? 0 };
  };

  it('moves 10,000 customers Digital River -> 2Checkout through faults and two SIGKILLs', async () => {
    const started = Date.now();
    const references = dr().seed(10_000);
    dr().setFaults(FAULTS);
    tco().setFaults(FAULTS);
    const report = join(dir, 'report.json');
    const common = ['--concurrency', CONCURRENCY, '--live-share', '0', '--report', report];

    const id = await runAndKill(
      ['--from', 'digital-river', '--to', 'two-checkout', ...common],
      2_000,
      300_000,
    );
    const killed1 = Date.now();
    expect(await runAndKill(['--resume', id, ...common], 6_000, 300_000)).toBe(id);
    const killed2 = Date.now();
    const { report: final } = await runToEnd(['--resume', id, ...common], 360_000);
    const ended = Date.now();

    expectAccountedFor(final, references);
    expect(final.id).toBe(id);
    // The target holds exactly the source's customers: each once, none missing, nothing else.
    const stored = tco()
      .dump()
      .map((c) => c.ExternalCustomerReference ?? `(numeric ${c.CustomerReference})`);
    expect(stored).toHaveLength(references.length);
    expect(new Set(stored).size).toBe(references.length);
    expect(sorted(stored)).toEqual(sorted(references));
    // Each customer's target reference is its DR id.
    expect(final.items.filter((item) => item.targetReference !== item.sourceReference)).toEqual([]);
    await expectMirror(references.length, 'two-checkout');

    // Resuming the finished run does nothing at all: not a write at the target, not a call anywhere.
    tco().setFaults({});
    dr().setFaults({});
    const before = { writes: tcoWrites(), tco: tco().stats().requests, dr: dr().stats().requests };
    const again = await runToEnd(['--resume', id, ...common], 60_000);
    expect(again.report.counts).toEqual(final.counts);
    expect({ writes: tcoWrites(), tco: tco().stats().requests, dr: dr().stats().requests }).toEqual(before);
    process.stderr.write(
      `10k DR->2CO: to first kill ${killed1 - started} ms, to second ${killed2 - killed1} ms, ` +
        `to the end ${ended - killed2} ms, total ${Date.now() - started} ms; ${JSON.stringify(tco().stats().faults)}\n`,
    );
  }, 900_000);

  it('moves 2,000 customers 2Checkout -> Digital River from a file of references, through faults and two SIGKILLs', async () => {
    const started = Date.now();
    const references = tco().seed(2_000);
    // 2CO answers a customer by its numeric reference with its ExternalCustomerReference, and the
    // migrator names the DR copy after that (the numeric one only when there is none).
    const byNumeric = new Map(
      tco()
        .dump()
        .map((c) => [String(c.CustomerReference), c]),
    );
    const expected = references.map((ref) => byNumeric.get(ref)?.ExternalCustomerReference || ref);
    const file = join(dir, 'references.txt');
    writeFileSync(file, `# 2CO customers to move\n${references.join('\n')}\n`);
    dr().setFaults(FAULTS);
    tco().setFaults(FAULTS);
    // The embedded queue this time: it reads the source only a few batches ahead of the work, so
    // the first kill comes mid-enumeration and the resume continues from the file's line cursor.
    env = { ...env, MIGRATION_QUEUE: 'in-process' };
    const report = join(dir, 'report.json');
    const common = ['--concurrency', CONCURRENCY, '--live-share', '0', '--report', report];

    const id = await runAndKill(
      ['--from', 'two-checkout', '--to', 'digital-river', '--references', file, ...common],
      400,
      180_000,
    );
    const [checkpoint] = await db.query<{ enumerated: boolean; cursor: string }>(
      'SELECT enumerated, cursor FROM migration_runs WHERE id = $1',
      [id],
    );
    expect(checkpoint?.enumerated).toBe(false);
    expect(Number(checkpoint?.cursor)).toBeLessThan(references.length);
    expect(await runAndKill(['--resume', id, ...common], 1_200, 180_000)).toBe(id);
    const { report: final } = await runToEnd(['--resume', id, ...common], 180_000);

    expectAccountedFor(final, references);
    const stored = dr()
      .dump()
      .map((c) => c.id);
    expect(stored).toHaveLength(references.length);
    expect(new Set(stored).size).toBe(references.length);
    expect(sorted(stored)).toEqual(sorted(expected));
    const targetOf = new Map(references.map((ref, i) => [ref, expected[i]]));
    expect(final.items.filter((item) => item.targetReference !== targetOf.get(item.sourceReference))).toEqual(
      [],
    );
    await expectMirror(references.length, 'digital-river');

    dr().setFaults({});
    tco().setFaults({});
    const calls = () => ({ dr: dr().stats().requests, tco: tco().stats().requests });
    const before = calls();
    await runToEnd(['--resume', id, ...common], 60_000);
    expect(calls()).toEqual(before);
    process.stderr.write(`2k 2CO->DR: ${Date.now() - started} ms\n`);
  }, 600_000);

  it('shares one run between a `migrator worker` and the `migrator run` process through pg-boss', async () => {
    const started = Date.now();
    const references = dr().seed(3_000);
    // A network's latency on every call, so each process has customers in flight and both get work.
    const faults: FaultConfig = { '*': { ...FAULTS['*'], latencyMs: { min: 2, max: 10 } } };
    dr().setFaults(faults);
    tco().setFaults(faults);
    env = { ...env, MIGRATION_QUEUE: 'pg-boss' };
    const worker = spawnMigrator(['worker'], env);
    await worker.waitFor('the worker to start', (e) => e.event === 'worker_started', 60_000);
    const report = join(dir, 'report.json');
    const { migrator, report: final } = await runToEnd(
      [
        '--from',
        'digital-river',
        '--to',
        'two-checkout',
        '--concurrency',
        CONCURRENCY,
        '--live-share',
        '0',
        '--report',
        report,
      ],
      240_000,
    );

    expectAccountedFor(final, references);
    const stored = tco()
      .dump()
      .map((c) => c.ExternalCustomerReference ?? `(numeric ${c.CustomerReference})`);
    expect(stored).toHaveLength(references.length);
    expect(sorted(stored)).toEqual(sorted(references));
    await expectMirror(references.length, 'two-checkout');

    const host = hostname();
    const byWorker = new Map<string, number>();
    for (const item of final.items) byWorker.set(item.worker!, (byWorker.get(item.worker!) ?? 0) + 1);
    expect(sorted(byWorker.keys())).toEqual(
      sorted([`${host}:${worker.child.pid}`, `${host}:${migrator.child.pid}`]),
    );
    expect(await worker.stop()).toEqual({ code: 0, signal: null });
    process.stderr.write(
      `3k shared: ${Date.now() - started} ms, by worker ${JSON.stringify([...byWorker])}\n`,
    );
  }, 400_000);

  it('Ctrl-C mid-run: the run says interrupted and how to resume it, and the resume finishes it', async () => {
    const references = dr().seed(1_000);
    // Some latency on every call, so the run is still going when the signal comes.
    dr().setFaults({ '*': { latencyMs: { min: 2, max: 10 } } });
    tco().setFaults({ '*': { latencyMs: { min: 2, max: 10 } } });
    env = { ...env, MIGRATION_QUEUE: 'in-process' };
    const report = join(dir, 'report.json');
    const common = ['--concurrency', '4', '--live-share', '0', '--report', report];
    const migrator = spawnMigrator(
      ['run', '--from', 'digital-river', '--to', 'two-checkout', ...common],
      env,
    );
    const begun = await migrator.waitFor('the run to start', (e) => e.event === 'started', 60_000);
    await migrator.waitFor(
      'some customers finished',
      (e) => e.event === 'progress' && finishedOf(e.counts) >= 50,
      120_000,
    );
    migrator.child.kill('SIGINT');
    const said = await migrator.waitFor('the interrupted event', (e) => e.event === 'interrupted', 30_000);
    // 130: the shell's code for a process ended by SIGINT.
    expect(await migrator.exited).toEqual({ code: 130, signal: null });
    expect(said).toMatchObject({
      run: begun.run,
      status: 'interrupted',
      resume: {
        command: `migrator run --resume ${begun.run}`,
        endpoint: `POST /v1/migrations/${begun.run}/resume`,
      },
    });
    const [row] = await db.query<{ status: string }>(`SELECT status FROM migration_runs WHERE id = $1`, [
      begun.run,
    ]);
    expect(row?.status).toBe('interrupted');

    const { report: final } = await runToEnd(['--resume', begun.run!, ...common], 240_000);
    expectAccountedFor(final, references);
    expect(
      sorted(
        tco()
          .dump()
          .map((c) => c.ExternalCustomerReference ?? ''),
      ),
    ).toEqual(sorted(references));
  }, 400_000);
});
