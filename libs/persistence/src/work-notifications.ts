import { type Database } from './database';

/**
 * Lets an idle worker sleep until a trigger announces work on `channel` (LISTEN/NOTIFY), or until
 * its own timeout. One instance per channel and process: the subscription is opened on first use
 * and closed with the database.
 */
export class WorkNotifications {
  /** Waiters woken by the next notification. */
  private readonly waiters = new Set<() => void>();
  /** Resolves whether the subscription is in effect; undefined before it or after it failed. */
  private subscription: Promise<boolean> | undefined;
  /**
   * A notification came while nobody waited (the worker was claiming): the next wait returns at
   * once, or work committed in that moment would wait for the safety poll.
   */
  private missed = false;

  constructor(
    private readonly database: Pick<Database, 'listen'>,
    private readonly channel: string,
  ) {}

  /** Resolves `true` when notified (or when a notification may have been missed), `false` on timeout. */
  async wait(timeoutMs: number): Promise<boolean> {
    if (this.subscription === undefined) {
      this.subscription = this.database
        .listen(this.channel, () => {
          if (this.waiters.size === 0) this.missed = true;
          const woken = [...this.waiters];
          this.waiters.clear();
          for (const wake of woken) wake();
        })
        .then(
          () => true,
          () => {
            // Without a listener the timeout still wakes the worker (slower, never stuck), and
            // the next wait tries to subscribe again. Once subscribed, the database keeps the
            // session open (a lost one is opened again, and wakes the waiters when it is).
            this.subscription = undefined;
            return false;
          },
        );
      // Work committed before the listener was up sent its notification to no one: look now.
      if (await this.subscription) return true;
    } else {
      await this.subscription;
    }
    if (this.missed) {
      this.missed = false;
      return true;
    }
    return new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => {
        this.waiters.delete(wake);
        resolve(false);
      }, timeoutMs);
      timer.unref();
      const wake = () => {
        clearTimeout(timer);
        resolve(true);
      };
      this.waiters.add(wake);
    });
  }
}
