import { type JobRun, type RemoteCustomer } from '@app/domain';

/**
 * How a run's batches reach workers: in this process (the embedded default), or through pg-boss
 * to every worker process sharing the PostgreSQL database.
 */
export abstract class MigrationDispatcher {
  /** True when other processes may be working the same run (the coordinator then polls for the end). */
  abstract readonly shared: boolean;

  /**
   * Hands a batch over; may wait while enough work is in flight (backpressure), so enumerating a
   * large source never holds more than a few batches in memory. `prefetched` are the customers as
   * the enumeration already read them; only an in-process worker can use them.
   */
  abstract dispatch(
    run: JobRun,
    references: string[],
    prefetched?: ReadonlyMap<string, RemoteCustomer>,
  ): Promise<void>;

  /** Resolves once every batch this process dispatched in-process is done. */
  abstract idle(): Promise<void>;
}
