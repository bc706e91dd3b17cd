import { Inject, Injectable, Logger } from '@nestjs/common';
import { type GatewayConfig } from '@app/config';
import { jobContext, JOB_ACTORS, ProviderAccounts, ProviderError } from '@app/domain';
import { ProviderEventInbox } from '@app/persistence';
import { DIGITAL_RIVER, DigitalRiverProvider, DR_CUSTOMER_EVENT_TYPES, type DrEvent } from '@app/providers';

import { GATEWAY_CONFIG } from '../config/config.module';
import { ProviderWebhookMetrics } from '../metrics/provider-webhook-metrics';
import { PeriodicTask } from '../periodic-task';
import { receivedDrEvents } from './dr-event-intake';
import { ProviderEventWorker } from './provider-event-worker';
import { ProviderReadBudget } from './provider-read-budget';

/** DR's largest page (the Events API reference). */
const PAGE = 100;
/** Pages one round reads at most per account; the rest waits for the next round. */
const MAX_PAGES = 50;
/** DR keeps events 30 days: a cursor older than that is gone, and reading restarts from then. */
const EVENT_HISTORY_MS = 30 * 24 * 3_600_000;

/**
 * Reads each Digital River account's Events API every DR_EVENTS_CATCHUP_INTERVAL_SECONDS for
 * events no webhook brought (the gateway was down, a delivery was lost, webhooks are off) and
 * feeds them into the same deduplicating inbox, after a durable per-account cursor: the newest
 * event read. DR lists newest first, so events after the cursor are read with `endingBefore`
 * (https://docs.digitalriver.com/digital-river-api-reference/2021-02-23/events); before the first
 * event, from the time the reader first ran (`createdTime[gte]`). The events and the cursor move
 * in one transaction. Calls spend the provider budget at drift-read priority (ProviderReadBudget).
 */
@Injectable()
export class DigitalRiverCatchUp extends PeriodicTask {
  private readonly off: boolean;

  constructor(
    private readonly accounts: ProviderAccounts,
    private readonly inbox: ProviderEventInbox,
    private readonly worker: ProviderEventWorker,
    private readonly budget: ProviderReadBudget,
    private readonly metrics: ProviderWebhookMetrics,
    @Inject(GATEWAY_CONFIG) config: GatewayConfig,
  ) {
    // A first round at start-up sets each new account's cursor, so nothing after it is missed.
    // A read hanging for its whole call timeout must not hold shutdown: the cursor moves only with
    // the events it covers, so an abandoned round is read again by the next one.
    super(
      new Logger('DigitalRiverCatchUp'),
      config.DR_EVENTS_CATCHUP_INTERVAL_SECONDS * 1000,
      true,
      Math.floor(config.SHUTDOWN_TIMEOUT_MS / 2),
    );
    this.off = config.DR_EVENTS_CATCHUP_INTERVAL_SECONDS === 0;
  }

  /** DR_EVENTS_CATCHUP_INTERVAL_SECONDS=0: no rounds at all, not even the first. */
  override onApplicationBootstrap(): void {
    if (!this.off) super.onApplicationBootstrap();
  }

  protected async runOnce(): Promise<void> {
    for (const provider of this.accounts.all()) {
      if (this.stopping) return;
      if (provider instanceof DigitalRiverProvider) await this.catchUp(provider);
    }
  }

  /** One account's round; how many events it saw first. */
  async catchUp(provider: DigitalRiverProvider): Promise<number> {
    const account = provider.account;
    const context = jobContext(JOB_ACTORS.providerEvents, this.budget);
    const cursor = await this.inbox.cursor(DIGITAL_RIVER, account);
    let recorded = 0;
    try {
      if (cursor.lastEventId === undefined) {
        // Newest first from the start time back; recorded oldest first.
        const read: DrEvent[] = [];
        let startingAfter: string | undefined;
        for (let pages = 0; pages < MAX_PAGES && !this.stopping; pages++) {
          const page = await provider.listEvents(
            { limit: PAGE, types: DR_CUSTOMER_EVENT_TYPES, createdSince: cursor.since, startingAfter },
            context,
          );
          read.push(...page.data);
          startingAfter = page.data.at(-1)?.id;
          if (!page.hasMore || startingAfter === undefined) break;
        }
        if (read.length > 0) recorded += await this.record(account, read.reverse(), read.at(-1)!.id);
      } else {
        let after = cursor.lastEventId;
        for (let pages = 0; pages < MAX_PAGES && !this.stopping; pages++) {
          const page = await provider.listEvents(
            { limit: PAGE, types: DR_CUSTOMER_EVENT_TYPES, endingBefore: after },
            context,
          );
          const newest = page.data[0]?.id;
          if (newest === undefined) break;
          recorded += await this.record(account, [...page.data].reverse(), newest);
          after = newest;
          if (!page.hasMore) break;
        }
      }
    } catch (error) {
      if (!(
        error instanceof ProviderError &&
        error.kind === 'rejected' &&
        cursor.lastEventId !== undefined
      )) {
        throw error;
      }
      // The cursor event is no longer listed (older than DR keeps events): read again from as far
      // back as DR still has; what was already received is recognised as a duplicate.
      this.logger.warn(
        { account },
        'event cursor no longer known to Digital River; reading from 30 days back',
      );
      await this.inbox.recordCaughtUp(
        DIGITAL_RIVER,
        account,
        [],
        undefined,
        new Date(Date.now() - EVENT_HISTORY_MS),
      );
    }
    this.metrics.caughtUpEvents(DIGITAL_RIVER, account, recorded);
    if (recorded > 0) this.worker.wake();
    return recorded;
  }

  private async record(account: string, oldestFirst: readonly DrEvent[], newestId: string): Promise<number> {
    const events = await receivedDrEvents(account, oldestFirst, this.worker);
    const recorded = await this.inbox.recordCaughtUp(DIGITAL_RIVER, account, events, newestId);
    return recorded.length;
  }
}
