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

let armed: CrashPoint | undefined;

/** Arms one crash point for the life of the process (chaos tests only; off by default). */
export function armCrashPoint(point: CrashPoint | undefined): void {
  armed = point;
}

/** Kills the process here when this is the armed point. */
export function crashPoint(point: CrashPoint): void {
  if (armed === point) process.kill(process.pid, 'SIGKILL');
}
