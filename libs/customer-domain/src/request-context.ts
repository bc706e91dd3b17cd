import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * Who is asking and under which request, carried implicitly from the HTTP edge (or a job runner)
 * down to the transactions that record a change. One seam serves attribution (the API key id on
 * log lines and on events), idempotency (a recovery point written in the same transaction as the
 * change it guards) and anything else a write must know about its caller, without threading extra
 * parameters through every domain signature.
 */
export interface RequestContext {
  /** The request's id (X-Request-Id), for log lines and events. */
  readonly requestId?: string;
  /** The id of the API key that made the request (never the key itself), or a job's name. */
  readonly actor?: string;
  /**
   * The Idempotency-Key record this request holds, if any: a write records its recovery point
   * there inside its own transaction. Mutable so the edge can attach it after authentication.
   */
  idempotencyRecordId?: string;
}

const storage = new AsyncLocalStorage<RequestContext>();

/** Runs `fn` (and everything it awaits) with `context` as the current request context. */
export function runWithRequestContext<T>(context: RequestContext, fn: () => T): T {
  return storage.run(context, fn);
}

/** The context of the request being served, or undefined outside one (workers, start-up). */
export function currentRequestContext(): RequestContext | undefined {
  return storage.getStore();
}

/**
 * Runs work a request starts but does not wait for (a migration driven in the background): it
 * keeps the caller's attribution, never the request's Idempotency-Key, whose recovery point
 * belongs to the request's own write.
 */
export function runDetachedFromRequest<T>(fn: () => T): T {
  const current = storage.getStore();
  if (current === undefined) return fn();
  return storage.run({ ...current, idempotencyRecordId: undefined }, fn);
}
