import { Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';

/**
 * Housekeeping every gateway instance runs on a timer (purges of expired rows): one round at a
 * time, a failed round logged and tried again at the next, and the round in flight awaited on
 * shutdown so the database is not closed under it. The timer never keeps the process alive.
 */
export abstract class PeriodicTask implements OnApplicationBootstrap, OnApplicationShutdown {
  private timer: NodeJS.Timeout | undefined;
  private round: Promise<void> | undefined;

  protected constructor(
    protected readonly logger: Logger,
    private readonly everyMs: number,
    /** Also run a round as the app starts, not only after the first interval. */
    private readonly atStart = false,
  ) {}

  /** One round; what it did worth saying is for the subclass to log. */
  protected abstract runOnce(): Promise<void>;

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => this.tick(), this.everyMs).unref();
    if (this.atStart) this.tick();
  }

  private tick(): void {
    this.round ??= this.runOnce()
      .catch((error: unknown) =>
        this.logger.warn({ error: (error as Error).name }, 'housekeeping round failed; trying again later'),
      )
      .finally(() => (this.round = undefined));
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.round;
  }
}
