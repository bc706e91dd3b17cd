/**
 * Where a background worker (the sync worker, the webhook worker, pg-boss) reports what failed
 * under it and that it works again, so a database outage is one warning when it starts and one
 * line when it ends per worker, not a line per retry (issue 31). libs/persistence implements it
 * (its `OutageLog`, which also knows what an unreachable database looks like); the domain only
 * sees this port.
 */
export interface OutageReporter {
  /**
   * Records a failure. True when it is an outage of the database, which the reporter logs (once);
   * false when it is anything else, which the caller logs as before.
   */
  failed(error: unknown): boolean;
  /** Records a success; the first one after an outage logs its end. */
  succeeded(): void;
}

/** Hands each worker its own reporter, named after it in the log. */
export abstract class OutageReporters {
  abstract for(component: string): OutageReporter;
}

/** Reports no outage: every failure is the caller's to log (a host without the database's log, unit tests). */
export const NO_OUTAGE_REPORTS: OutageReporters = {
  for: () => ({ failed: () => false, succeeded: () => undefined }),
};
