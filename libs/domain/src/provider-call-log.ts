import { type CallContext } from './call-context';
import { type ProviderCallRecord } from './provider-calls';

/** A provider call as the audit trail stores it: with the operation that made it. */
export interface StoredProviderCall extends ProviderCallRecord {
  operation: string;
}

/** Who a provider operation was for (none for reads of a customer not in the mirror yet). */
export interface AuditedOperation {
  customerId?: string;
  operation: string;
}

/** What an audited operation came to, with every provider call it made. */
export type Performed<T> = ({ result: T } | { error: unknown }) & { calls: ProviderCallRecord[] };

/**
 * The audit trail of provider calls: every provider operation the gateway runs for a customer is
 * written here through `run`, and `recent` reads it back (`GET /v1/customers/{id}/provider-calls`).
 */
export abstract class ProviderCallLog {
  /** Appends provider calls to the trail. */
  abstract append(
    customerId: string | undefined,
    operation: string,
    calls: ProviderCallRecord[],
  ): Promise<void>;

  /** The provider calls made for the customer, newest first. */
  abstract recent(customerId: string, limit: number): Promise<StoredProviderCall[]>;

  /**
   * Runs one provider operation, appends every call it made (those of a failed one too, so the
   * trail shows what was attempted), then answers its result or rethrows its error. `work` gets
   * `context` with this operation's audit sink: the calls it makes under it are the ones recorded.
   */
  async run<T>(
    context: CallContext,
    operation: AuditedOperation,
    work: (audited: CallContext) => Promise<T>,
  ): Promise<T> {
    const performed = await perform(context, operation, work);
    await this.append(operation.customerId, operation.operation, performed.calls);
    if ('error' in performed) throw performed.error;
    return performed.result;
  }

  /**
   * Like `run`, for work whose outcome is recorded too (a delivery settling its link): hands the
   * result, or the error, with every call it made, to `record`, which writes the calls to this
   * trail in the same statement as the outcome (`SyncQueue.settle`): one commit instead of two for
   * every delivery. Answers what `record` answers.
   */
  async runAndRecord<T, R>(
    context: CallContext,
    operation: AuditedOperation,
    work: (audited: CallContext) => Promise<T>,
    record: (performed: Performed<T>) => Promise<R>,
  ): Promise<R> {
    return record(await perform(context, operation, work));
  }
}

/** Runs `work` under an audit sink of its own and answers its outcome with the calls it made. */
async function perform<T>(
  context: CallContext,
  { operation }: AuditedOperation,
  work: (audited: CallContext) => Promise<T>,
): Promise<Performed<T>> {
  const calls: ProviderCallRecord[] = [];
  // Each call is kept with who caused it, for the trail to name the API key and request (or job).
  const caused = {
    actor: context.actor,
    ...(context.requestId === undefined ? {} : { requestId: context.requestId }),
  };
  const audited: CallContext = {
    ...context,
    audit: { operation, record: (call) => calls.push({ ...call, ...caused }) },
  };
  try {
    return { result: await work(audited), calls };
  } catch (error) {
    return { error, calls };
  }
}
