/**
 * Crash points for the crash ring, and nothing else: `spawnGateway` preloads this file (`node -r`)
 * into a built gateway started with `CHAOS_CRASH_AT`, and it wraps the built modules' methods at
 * every boundary of a write, so that the process is killed (SIGKILL) right there. Production code
 * carries no hook: the boundaries are where its own methods begin or end.
 *
 * - `before-commit`: the request's Idempotency-Key recovery point is written inside the write's
 *   transaction (`idempotentWrite` returned), the transaction not yet committed;
 * - `after-commit`: the write committed, nothing delivered (`SyncEngine.write`'s write returned;
 *   `MigrationService.start` recorded its run);
 * - `after-answer`, `before-link-save`: a provider carried out a delivery, its outcome not saved
 *   (`PrismaSyncQueue.settle` called);
 * - `before-answer-saved`, `before-answer-sent`: the answer is ready but not stored under its
 *   Idempotency-Key, or stored but not sent (`IdempotencyRecords.complete`/`release`).
 *
 * Loaded by plain node through ts-node (transpile only), so it imports nothing but types from the
 * sources: every module it wraps is the built one the gateway itself loads, found by path.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

import type * as Application from '../../libs/application/src';
import type * as IdempotentWrite from '../../libs/persistence/src/idempotent-write';
import type * as SyncQueueModule from '../../libs/persistence/src/prisma-sync-queue';
import type * as MigrationServiceModule from '../../libs/jobs/src/migration.service';
import type * as IdempotencyRecordsModule from '../../libs/persistence/src/idempotency-records';
import type * as CallerContext from '../../apps/gateway/src/auth/caller-context';

export const CRASH_POINTS = [
  'before-commit',
  'after-commit',
  'after-answer',
  'before-link-save',
  'before-answer-saved',
  'before-answer-sent',
] as const;
export type CrashPoint = (typeof CRASH_POINTS)[number];

/**
 * How long the first request parked at the armed point waits for the others before the kill: a
 * request that never gets there (it takes another path, or waits for a lock a parked one holds)
 * must not keep the process alive.
 */
const PARKED_GRACE_MS = 2_000;

/** The built gateway's root (`dist/apps/gateway`), where its modules keep their source layout. */
const BUILT = join(__dirname, '../../dist/apps/gateway');

function built<T>(...candidates: string[]): T {
  const found = candidates.map((path) => join(BUILT, `${path}.js`)).find((path) => existsSync(path));
  if (found === undefined) throw new Error(`crash points: none of ${candidates.join(', ')} is built`);
  return createRequire(__filename)(found) as T;
}

function arm(point: CrashPoint, requests: number): void {
  const domain = built<typeof Application>('libs/application/src/index');
  const callers = built<typeof CallerContext>('apps/gateway/src/auth/caller-context');
  const parked = new Set<string>();

  /** Parks the caller for good; the process is killed once enough requests are parked. */
  const crash = (at: CrashPoint): Promise<void> => {
    if (at !== point) return Promise.resolve();
    parked.add(callers.currentCaller()?.requestId ?? 'background');
    const kill = () => process.kill(process.pid, 'SIGKILL');
    if (parked.size >= requests) kill();
    else if (parked.size === 1) setTimeout(kill, PARKED_GRACE_MS);
    return new Promise<void>(() => undefined);
  };

  const writes = built<typeof IdempotentWrite>('libs/persistence/src/idempotent-write');
  const idempotentWrite = writes.idempotentWrite;
  (writes as { idempotentWrite: typeof idempotentWrite }).idempotentWrite = async (...args) => {
    // Only the write that records the key's recovery point is one the boundary is about.
    const recordsRecoveryPoint = writes.holdsIdempotencyKey(args[1]);
    const result = await idempotentWrite(...args);
    if (recordsRecoveryPoint) await crash('before-commit');
    return result;
  };

  const engine = domain.SyncEngine.prototype;
  const write = engine.write;
  engine.write = function (this: Application.SyncEngine, context, work) {
    return write.call(this, context, async (lease) => {
      const queued = await work(lease);
      await crash('after-commit');
      return queued;
    });
  };

  const migrations = built<typeof MigrationServiceModule>('libs/jobs/src/migration.service');
  const start = migrations.MigrationService.prototype.start;
  migrations.MigrationService.prototype.start = async function (this: unknown, ...args) {
    const run = await start.apply(this, args);
    await crash('after-commit');
    return run;
  };

  const queue = built<typeof SyncQueueModule>('libs/persistence/src/prisma-sync-queue');
  const settle = queue.PrismaSyncQueue.prototype.settle;
  queue.PrismaSyncQueue.prototype.settle = async function (this: unknown, ...args) {
    await crash('after-answer');
    await crash('before-link-save');
    return settle.apply(this, args);
  };

  const store = built<typeof IdempotencyRecordsModule>('libs/persistence/src/idempotency-records');
  const storing = store.IdempotencyRecords.prototype;
  for (const method of ['complete', 'release'] as const) {
    const original = storing[method] as (...args: unknown[]) => Promise<void>;
    (storing as unknown as Record<string, (...args: unknown[]) => Promise<void>>)[method] = async function (
      this: unknown,
      ...args: unknown[]
    ) {
      await crash('before-answer-saved');
      await original.apply(this, args);
      await crash('before-answer-sent');
    };
  }
}

const point = process.env.CHAOS_CRASH_AT;
if (point !== undefined) {
  if (!(CRASH_POINTS as readonly string[]).includes(point)) {
    throw new Error(`CHAOS_CRASH_AT: one of ${CRASH_POINTS.join(', ')}`);
  }
  arm(point as CrashPoint, Number(process.env.CHAOS_CRASH_REQUESTS ?? '1'));
}
