import { Injectable } from '@nestjs/common';
import { GaugeReadings } from '@app/persistence';

import { MetricsRegistry, scrapedGauge } from './metrics.registry';

/**
 * Webhook deliveries by where they stand (`pending`, `delivered`, `failed`, …) and by the outcome
 * of their last attempt, read at scrape time from the deliveries table: a growing `pending` or a
 * rising share of failed outcomes is a receiver in trouble.
 */
@Injectable()
export class WebhookMetrics {
  constructor(registry: MetricsRegistry, readings: GaugeReadings) {
    scrapedGauge(registry, {
      name: 'csg_webhook_deliveries',
      help: 'Webhook deliveries by status and by the outcome of their last attempt (none: not tried yet).',
      labelNames: ['status', 'outcome'],
      read: async () => {
        const groups = await readings.webhookDeliveries();
        return groups.map((group) => ({
          labels: { status: group.status, outcome: group.lastOutcome ?? 'none' },
          value: group.deliveries,
        }));
      },
    });
  }
}
