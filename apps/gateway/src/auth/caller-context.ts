import { AsyncLocalStorage } from 'node:async_hooks';

import { type CallContext } from '@app/domain';

/**
 * The HTTP edge's own record of whom the request being served is for, opened by http/edge.ts
 * around everything the request runs. Only the edge reads it: a handler builds the request's
 * `CallContext` from it (`callContext()`) and hands that down as an argument, so nothing below
 * apps/gateway depends on an implicit channel.
 */
const storage = new AsyncLocalStorage<CallContext>();

/** Runs `fn` (and everything it awaits) as the request of `caller`. */
export function runAsCaller<T>(caller: CallContext, fn: () => T): T {
  return storage.run(caller, fn);
}

/** The request's caller, or undefined outside a request (start-up, background work). */
export function currentCaller(): CallContext | undefined {
  return storage.getStore();
}

/** The context the request being served hands to the domain. */
export function callContext(): CallContext {
  return storage.getStore() ?? { actor: 'anonymous' };
}
