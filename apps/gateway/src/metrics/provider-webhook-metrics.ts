import { Injectable } from '@nestjs/common';
import { ProviderEventInbox } from '@app/persistence';
import { Counter } from 'prom-client';

import { MetricsRegistry, scrapedGauge } from './metrics.registry';

/** What became of a provider webhook: accepted, a duplicate, or why it was refused. */
export type ProviderWebhookOutcome =
  | 'accepted'
  /** Accepted and settled on arrival: the copy it carried equals the mirror (our own write's echo). */
  | 'in_sync'
  | 'duplicate'
  | 'ignored'
  | 'unsigned'
  | 'malformed'
  | 'stale'
  | 'mismatch'
  | 'no_secret'
  | 'unknown_account'
  | 'invalid_body';

/**
 * Provider webhooks received, by provider and outcome: a rise in `mismatch` or `stale` is someone
 * forging or replaying requests (or a secret that was rotated at the provider only). The account
 * is not a label: anyone can post to any account name, and labels must stay bounded. Plus the
 * inbox of provider events not yet acted on, read at scrape time.
 */
@Injectable()
export class ProviderWebhookMetrics {
  private readonly received: Counter<'provider' | 'outcome'>;
  private readonly caughtUp: Counter<'provider' | 'account'>;

  constructor(registry: MetricsRegistry, inbox: ProviderEventInbox) {
    this.received = new Counter({
      name: 'csg_provider_webhooks_total',
      help: 'Provider webhooks received, by provider and outcome (accepted, in_sync: accepted with nothing to act on, duplicate, ignored, or the reason it was refused).',
      labelNames: ['provider', 'outcome'],
      registers: [registry],
    });
    this.caughtUp = new Counter({
      name: 'csg_provider_events_caught_up_total',
      help: "Provider events first seen by reading the provider's Events API rather than from a webhook.",
      labelNames: ['provider', 'account'],
      registers: [registry],
    });
    scrapedGauge(registry, {
      name: 'csg_provider_events_pending',
      help: 'Provider events received and not yet acted on, by provider and account.',
      labelNames: ['provider', 'account'],
      read: async () =>
        (await inbox.pending()).map((group) => ({
          labels: { provider: group.provider, account: group.account },
          value: group.events,
        })),
    });
  }

  webhook(provider: string, outcome: ProviderWebhookOutcome): void {
    this.received.inc({ provider, outcome });
  }

  caughtUpEvents(provider: string, account: string, count: number): void {
    if (count > 0) this.caughtUp.inc({ provider, account }, count);
  }
}
