import { type ProviderCallRecord, withCallAudit } from './provider-calls';

/** A provider call as the audit trail stores it: with the operation that made it. */
export interface StoredProviderCall extends ProviderCallRecord {
  operation: string;
}

/** Who a provider operation was for (none for reads of a customer not in the mirror yet). */
export interface CallContext {
  customerId?: string;
  operation: string;
}

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
   * trail shows what was attempted), then answers its result or rethrows its error.
   */
  async run<T>(context: CallContext, work: () => Promise<T>): Promise<T> {
    const audited = await withCallAudit(context, work);
    await this.append(context.customerId, context.operation, audited.calls);
    if ('error' in audited) throw audited.error;
    return audited.result;
  }

  /**
   * Like `run`, for work whose outcome is recorded too (a delivery settling its link): hands the
   * result, or the error, with every call it made, to `record`, which writes the calls to this
   * trail in the same statement as the outcome (`SyncQueue.settle`): one commit instead of two for
   * every delivery. Answers what `record` answers.
   */
  async runAndRecord<T, R>(
    context: CallContext,
    work: () => Promise<T>,
    record: (outcome: ({ result: T } | { error: unknown }) & { calls: ProviderCallRecord[] }) => Promise<R>,
  ): Promise<R> {
    return record(await withCallAudit(context, work));
  }
}
