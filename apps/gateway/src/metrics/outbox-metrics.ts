import { Injectable } from '@nestjs/common';
import { GaugeReadings } from '@app/persistence';

import { MetricsRegistry, scrapedGauge } from './metrics.registry';

const LINK_STATUSES = ['synced', 'pending', 'failed'] as const;

/**
 * The sync outbox as the database holds it at scrape time, across every instance sharing it:
 * links by status, and how long the oldest pending link has waited since it was last queued or
 * attempted (a growing value means no worker is delivering).
 */
@Injectable()
export class OutboxMetrics {
  constructor(registry: MetricsRegistry, readings: GaugeReadings) {
    scrapedGauge(registry, {
      name: 'csg_outbox_links',
      help: 'Provider links by status (pending links are the outbox backlog).',
      labelNames: ['status'],
      read: async () => {
        const byStatus = new Map((await readings.linksByStatus()).map((row) => [row.value, row.count]));
        return LINK_STATUSES.map((status) => ({ labels: { status }, value: byStatus.get(status) ?? 0 }));
      },
    });
    scrapedGauge(registry, {
      name: 'csg_outbox_oldest_pending_age_seconds',
      help: 'Seconds since the oldest pending link was last queued or attempted; 0 when none waits.',
      labelNames: [],
      read: async () => {
        const seconds = await readings.oldestPendingLinkAgeSeconds();
        return [{ labels: {}, value: Math.max(0, seconds ?? 0) }];
      },
    });
  }
}
