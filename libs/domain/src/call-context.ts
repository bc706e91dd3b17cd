import { type ProviderCallRecord } from './provider-calls';
import { type RateBudget } from './rate-budget';

/** Collects the provider calls made for one audited operation (`ProviderCallLog.run`). */
export interface ProviderCallSink {
  /** The operation the calls are made for (`sync`, `drift`, `import`, ...). */
  readonly operation: string;
  record(call: ProviderCallRecord): void;
}

/**
 * Who a piece of work is for and under which terms, handed explicitly from the HTTP edge (or the
 * job that runs it) to the domain, the provider adapters and the transactions that record a change.
 * It replaces implicit (AsyncLocalStorage) channels: a signature says what reaches it.
 */
export interface CallContext {
  /** The id of the API key that made the request (never the key itself), or the job's name. */
  readonly actor: string;
  /** The request's id (X-Request-Id); absent for background work. */
  readonly requestId?: string;
  /**
   * A request budget the work stays within on top of each account's own limiter (a migration
   * leaves a share of every provider's limit to the live API); drawn on before each attempt.
   */
  readonly budget?: RateBudget;
  /** Where the provider calls made under this context are recorded for the audit trail. */
  readonly audit?: ProviderCallSink;
  /**
   * The Idempotency-Key record the request holds, if any: its first write records its recovery
   * point there inside its own transaction and takes it (`recordId` cleared), so later writes of
   * the same request, or work it starts, do not. Shared by every context derived from this one.
   */
  readonly idempotency?: { recordId?: string };
}

/** The context of work no request waits for: a job or worker, by name (see JOB_ACTORS). */
export function jobContext(actor: string, budget?: RateBudget): CallContext {
  return { actor, ...(budget === undefined ? {} : { budget }) };
}
