export const SYNC_OPTIONS = 'SYNC_OPTIONS';

export interface SyncOptions {
  /** How long a worker owns a link it leased; longer than the slowest provider call with retries. */
  leaseMs: number;
  /** Deliveries before a link is parked as failed. */
  maxAttempts: number;
  retryBaseMs: number;
  retryMaxMs: number;
  /** Links leased per round by the background worker, and how many it delivers at once. */
  batchSize: number;
  concurrency: number;
  pollIntervalMs: number;
  /** How long an API call waits for its providers before answering with links `pending`. */
  waitMs: number;
  /**
   * On stop, how long deliveries under way may take to finish before their links are given back
   * anyway (the process is about to exit; another instance takes them over at once).
   */
  shutdownGraceMs: number;
}

/** What link delivery needs of the options: when to give up on a link, and how long to back off. */
export type DeliveryPolicy = Pick<SyncOptions, 'maxAttempts' | 'retryBaseMs' | 'retryMaxMs'>;
