import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
  Optional,
} from '@nestjs/common';
import { codeOf, jobContext, JOB_ACTORS, ProviderChanges, ProviderError, retryDelayMs } from '@app/domain';
import { type ClaimedProviderEvent, ProviderEventInbox } from '@app/persistence';

import { ProviderReadBudget } from './provider-read-budget';

/** A test's own ProviderChanges (GatewayOptions.providerChanges), preferred over the app's. */
export const TEST_PROVIDER_CHANGES = 'TEST_PROVIDER_CHANGES';

const BATCH = 10;
/** Longer than one observe takes with its provider re-read and retries. */
const LEASE_MS = 60_000;
/** How often an idle worker looks for due events without being woken (another instance received them). */
const IDLE_POLL_MS = 1_000;
const BACKOFF = { baseMs: 1_000, maxMs: 300_000 };

/**
 * Drains the provider event inbox: each event is handed, as a hint, to `ProviderChanges.observe`,
 * which re-reads the customer from the provider before acting (events come late, twice or out of
 * order). Processed events are marked so; a failure is retried with backoff. Runs in every
 * instance; the inbox's row locks keep them from taking the same event.
 */
@Injectable()
export class ProviderEventWorker implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('ProviderEventWorker');
  private readonly changes: ProviderChanges | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;
  private wakeUp: (() => void) | undefined;
  private woken = false;

  constructor(
    private readonly inbox: ProviderEventInbox,
    private readonly budget: ProviderReadBudget,
    @Optional() @Inject(ProviderChanges) changes?: ProviderChanges,
    @Optional() @Inject(TEST_PROVIDER_CHANGES) testChanges?: ProviderChanges,
  ) {
    this.changes = testChanges ?? changes;
  }

  onApplicationBootstrap(): void {
    if (this.changes === undefined) {
      // Events are still received and kept: they are acted on once an implementation is bound.
      this.logger.warn('no ProviderChanges implementation is bound: provider events wait in the inbox');
      return;
    }
    this.running = this.loop(this.changes);
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    this.wake();
    await this.running;
  }

  /** A new event was recorded: look now rather than at the next poll. */
  wake(): void {
    this.woken = true;
    this.wakeUp?.();
  }

  private async loop(changes: ProviderChanges): Promise<void> {
    const context = jobContext(JOB_ACTORS.providerEvents, this.budget);
    while (!this.stopped) {
      this.woken = false;
      let claimed: ClaimedProviderEvent[] = [];
      try {
        claimed = await this.inbox.claim(BATCH, LEASE_MS);
      } catch (error) {
        this.logger.warn({ error: (error as Error).name }, 'could not read the provider event inbox');
      }
      await Promise.all(claimed.map((event) => this.handle(changes, context, event)));
      if (claimed.length === 0 && !this.woken && !this.stopped) await this.idle();
    }
  }

  private async handle(
    changes: ProviderChanges,
    context: ReturnType<typeof jobContext>,
    event: ClaimedProviderEvent,
  ): Promise<void> {
    try {
      if (event.reference !== undefined) {
        await changes.observe(context, {
          provider: event.provider,
          account: event.account,
          reference: event.reference,
          eventId: event.eventId,
          eventType: event.eventType,
          ...(event.occurredAt === undefined ? {} : { occurredAt: event.occurredAt }),
        });
      }
      await this.inbox.markProcessed(event);
    } catch (error) {
      const code = codeOf(error);
      const retryAfter = error instanceof ProviderError ? (error.retryAfterMs ?? 0) : 0;
      this.logger.warn(
        { provider: event.provider, account: event.account, eventId: event.eventId, code },
        'acting on a provider event failed; retrying later',
      );
      await this.inbox
        .retryLater(event, retryDelayMs(event.attempts, BACKOFF, retryAfter), code)
        .catch(() => undefined);
    }
  }

  private idle(): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, IDLE_POLL_MS).unref();
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wakeUp = () => {
        this.wakeUp = undefined;
        done();
      };
    });
  }
}
