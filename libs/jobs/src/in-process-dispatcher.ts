import { Injectable, Logger } from '@nestjs/common';
import { type JobRun, type RemoteCustomer } from '@app/domain';

import { MigrationDispatcher } from './migration-dispatcher';
import { MigrationWorker } from './migration-worker';

/** Batches in flight at once: the next one is read while the current one finishes its stragglers. */
const IN_FLIGHT = 2;

/** The embedded default: this process works every batch it dispatches. */
@Injectable()
export class InProcessDispatcher extends MigrationDispatcher {
  readonly shared = false;
  private readonly logger = new Logger('MigrationDispatcher');
  private readonly inFlight = new Set<Promise<void>>();

  constructor(private readonly worker: MigrationWorker) {
    super();
  }

  async dispatch(
    run: JobRun,
    references: string[],
    prefetched?: ReadonlyMap<string, RemoteCustomer>,
  ): Promise<void> {
    while (this.inFlight.size >= IN_FLIGHT) await Promise.race(this.inFlight);
    const batch = this.worker
      .processBatch(run.id, references, prefetched)
      // Its customers stay pending; the coordinator's next sweep dispatches them again.
      .catch((error: unknown) =>
        this.logger.error({ run: run.id, error: (error as Error).name }, 'batch failed'),
      )
      .finally(() => this.inFlight.delete(batch));
    this.inFlight.add(batch);
  }

  async idle(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }
}
