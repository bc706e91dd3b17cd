import { currentRequestContext } from './request-context';

/**
 * Points where chaos tests kill the process (SIGKILL) to prove a crash loses or duplicates
 * nothing: every boundary of a write, from inside its database transaction to the moment its
 * answer is on the wire. Process-wide, because the boundaries span layers (the repository's
 * transaction, the sync worker, the HTTP edge) and the kill ends the whole process anyway.
 */
export const CRASH_POINTS = [
  /** Inside the write's transaction, its idempotency recovery point written, before the commit. */
  'before-commit',
  /** The write committed; nothing delivered to the providers, no answer recorded. */
  'after-commit',
  /** A provider carried out the write; the gateway has not saved that yet. */
  'after-answer',
  'before-link-save',
  /** The request's answer is ready but not yet stored under its Idempotency-Key. */
  'before-answer-saved',
  /** The answer is stored under its Idempotency-Key but not yet sent. */
  'before-answer-sent',
] as const;
export type CrashPoint = (typeof CRASH_POINTS)[number];

/**
 * How long the first request parked at the armed point waits for the others before the kill: a
 * request that never gets there (it takes another path, or waits for a lock a parked one holds)
 * must not keep the process alive.
 */
const PARKED_GRACE_MS = 2_000;

let armed: { point: CrashPoint; requests: number } | undefined;
const parked = new Set<string>();

/**
 * Arms one crash point for the life of the process (chaos tests only; off by default). The
 * process dies once `requests` different requests are parked there, so one kill can catch a whole
 * group of writes at the same boundary.
 */
export function armCrashPoint(point: CrashPoint, requests = 1): void {
  armed = { point, requests };
}

/**
 * Resolves at once unless this is the armed point; there the caller is parked for good and the
 * process is killed when enough requests are parked (or the grace period is over).
 */
export function crashPoint(point: CrashPoint): Promise<void> {
  if (armed?.point !== point) return Promise.resolve();
  parked.add(currentRequestContext()?.requestId ?? 'background');
  const kill = () => process.kill(process.pid, 'SIGKILL');
  if (parked.size >= armed.requests) kill();
  else if (parked.size === 1) setTimeout(kill, PARKED_GRACE_MS);
  return new Promise<void>(() => undefined);
}
