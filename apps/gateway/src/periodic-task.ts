import { Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';

/**
 * Housekeeping every gateway instance runs on a timer (purges of expired rows, provider reads):
 * one round at a time, a failed round logged and tried again at the next, and the round in flight
 * awaited on shutdown so the database is not closed under it. A round that waits on a provider may
 * hang for a whole call timeout; such a task passes `shutdownGraceMs`, and shutdown stops waiting
 * after that (`stopping` tells the round to take no further step). Whatever it had not committed is
 * simply done again by the next instance. The timer never keeps the process alive.
 */
export abstract class PeriodicTask implements OnApplicationBootstrap, OnApplicationShutdown {
  private timer: NodeJS.Timeout | undefined;
  private round: Promise<void> | undefined;
  /** Set once shutdown begins: a round checks it between steps. */
  protected stopping = false;

  protected constructor(
    protected readonly logger: Logger,
    private readonly everyMs: number,
    /** Also run a round as the app starts, not only after the first interval. */
    private readonly atStart = false,
    /** How long shutdown waits for the round in flight; unset: until it ends. */
    private readonly shutdownGraceMs?: number,
  ) {}

  /** One round; what it did worth saying is for the subclass to log. */
  protected abstract runOnce(): Promise<void>;

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => this.tick(), this.everyMs).unref();
    if (this.atStart) this.tick();
  }

  private tick(): void {
    if (this.stopping) return;
    this.round ??= this.runOnce()
      .catch((error: unknown) => {
        if (!this.stopping) {
          this.logger.warn({ error: (error as Error).name }, 'housekeeping round failed; trying again later');
        }
      })
      .finally(() => (this.round = undefined));
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopping = true;
    clearInterval(this.timer);
    if (this.round === undefined) return;
    if (this.shutdownGraceMs === undefined) return this.round;
    let timer: NodeJS.Timeout | undefined;
    const grace = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, this.shutdownGraceMs).unref();
    });
    await Promise.race([this.round, grace]);
    clearTimeout(timer);
  }
}
