import { type CallContext } from './call-context';

/** One HTTP call to a provider, as the audit trail keeps it: no bodies, no headers. */
export interface ProviderCallRecord {
  provider: string;
  account: string;
  method: string;
  /** The path with identifiers replaced, e.g. `/customers/{id}/sources/{id}`. */
  path: string;
  httpStatus?: number;
  /** `ok`, or the error kind. */
  outcome: string;
  durationMs: number;
  providerRequestId?: string;
  /** The provider's own error code on a failure (e.g. DR `invalid_parameter`); never personal. */
  providerCode?: string;
  /** When the call started. */
  at: Date;
  /** Who caused the call (an API key's id or a job's name): the audit sink stamps it. */
  actor?: string;
  /** The request that caused the call, if a request did. */
  requestId?: string;
}

/**
 * A call as observers see it: with the operation that made it (`other` outside an audited one),
 * and how long it was held back before it went out (the caller's budget, the account's own
 * client-side limit). Not part of the audit record: it says how busy the limit was, not what the
 * provider did.
 */
export type ObservedProviderCall = ProviderCallRecord & { operation: string; heldMs: number };

const observers = new Set<(call: ObservedProviderCall) => void>();

/**
 * Tells `observer` about every provider call this process makes (metrics, failure logs), audited
 * or not; returns the function that stops it.
 */
export function observeProviderCalls(observer: (call: ObservedProviderCall) => void): () => void {
  observers.add(observer);
  return () => observers.delete(observer);
}

/**
 * Called by the providers' HTTP transport after every attempt: the call goes to the context's
 * audit sink, if it has one, and to every observer.
 */
export function recordProviderCall(call: ProviderCallRecord, context: CallContext, heldMs = 0): void {
  context.audit?.record(call);
  const observed = { ...call, operation: context.audit?.operation ?? 'other', heldMs };
  for (const observer of observers) observer(observed);
}

/** Replaces the identifier segments of a REST path (every second one) with `{id}`. */
export function pathTemplate(path: string): string {
  return path
    .split('?')[0]!
    .split('/')
    .map((segment, index) => (index > 0 && index % 2 === 0 && segment !== '' ? '{id}' : segment))
    .join('/');
}
