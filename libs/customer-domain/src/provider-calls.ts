import { AsyncLocalStorage } from 'node:async_hooks';

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
}

/** A call as observers see it: with the operation that made it (`other` outside an audited one). */
export type ObservedProviderCall = ProviderCallRecord & { operation: string };

interface CallScope {
  customerId?: string;
  operation: string;
  calls: ProviderCallRecord[];
}

const scope = new AsyncLocalStorage<CallScope>();

/**
 * Runs `work` and collects every provider HTTP call it makes, so the audit trail can attribute
 * each call to the customer and the operation that caused it without threading either through
 * the adapters. `ProviderCallLog` is the one caller: it writes them down, or hands them to the
 * write that records the operation's outcome (a delivery's settle) to write with it.
 */
export async function withCallAudit<T>(
  context: { customerId?: string; operation: string },
  work: () => Promise<T>,
): Promise<{ result: T; calls: ProviderCallRecord[] } | { error: unknown; calls: ProviderCallRecord[] }> {
  const calls: ProviderCallRecord[] = [];
  try {
    const result = await scope.run({ ...context, calls }, work);
    return { result, calls };
  } catch (error) {
    return { error, calls };
  }
}

const observers = new Set<(call: ObservedProviderCall) => void>();

/**
 * Tells `observer` about every provider call this process makes (metrics, failure logs), audited
 * or not; returns the function that stops it.
 */
export function observeProviderCalls(observer: (call: ObservedProviderCall) => void): () => void {
  observers.add(observer);
  return () => observers.delete(observer);
}

/** Called by the providers' HTTP transport after every attempt. */
export function recordProviderCall(call: ProviderCallRecord): void {
  const current = scope.getStore();
  current?.calls.push(call);
  const observed = { ...call, operation: current?.operation ?? 'other' };
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
