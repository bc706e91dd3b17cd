import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
  Optional,
} from '@nestjs/common';
import {
  codeOf,
  type CustomerData,
  jobContext,
  JOB_ACTORS,
  type ProviderChangeHint,
  ProviderChanges,
  ProviderError,
  type RemoteCustomer,
  retryDelayMs,
} from '@app/domain';
import { type ClaimedProviderEvent, ProviderEventInbox } from '@app/persistence';

import { type GatewayConfig } from '@app/config';

import { GATEWAY_CONFIG } from '../config/config.module';
import { ProviderReadBudget } from './provider-read-budget';

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
  /** Events claimed and not yet settled: given back if shutdown cannot wait for them. */
  private readonly inFlight = new Set<ClaimedProviderEvent>();
  private readonly shutdownGraceMs: number;

  constructor(
    private readonly inbox: ProviderEventInbox,
    private readonly budget: ProviderReadBudget,
    @Inject(GATEWAY_CONFIG) config: GatewayConfig,
    @Optional() @Inject(ProviderChanges) changes?: ProviderChanges,
  ) {
    this.changes = changes;
    // Half the shutdown budget, as the sync engine has: the rest closes the server and database.
    this.shutdownGraceMs = Math.floor(config.SHUTDOWN_TIMEOUT_MS / 2);
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
    if (this.running === undefined) return;
    // An observe re-reads the customer from the provider and may hang for a whole call timeout:
    // past the grace, what is still in flight goes back to the inbox for the next instance, at
    // once rather than after its lease (observing again is harmless: it re-reads first).
    let timer: NodeJS.Timeout | undefined;
    const grace = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, this.shutdownGraceMs).unref();
    });
    await Promise.race([this.running, grace]);
    clearTimeout(timer);
    if (this.inFlight.size > 0) {
      await this.inbox
        .release([...this.inFlight])
        .catch((error: unknown) =>
          this.logger.warn(
            { error: (error as Error).name },
            'could not give provider events back; their lease runs out',
          ),
        );
    }
  }

  /**
   * Whether an event's copy already equals the mirror's customer (ProviderChanges.holdsMirror): it
   * is then recorded settled. Any doubt (no implementation bound, the mirror unreachable) is a no:
   * the event is observed as usual.
   */
  async holdsMirror(
    hint: ProviderChangeHint,
    seen: (known: CustomerData) => RemoteCustomer,
  ): Promise<boolean> {
    if (this.changes === undefined) return false;
    return this.changes.holdsMirror(hint, seen).catch(() => false);
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
    this.inFlight.add(event);
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
    } finally {
      this.inFlight.delete(event);
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
