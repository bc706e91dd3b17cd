import { Inject, Injectable } from '@nestjs/common';
import { PRISMA_CLIENT } from '@app/persistence';

import { type PrismaClient } from '../../../../generated/prisma/client';
import { MetricsRegistry, scrapedGauge } from './metrics.registry';

const LINK_STATUSES = ['synced', 'pending', 'failed'] as const;

/**
 * The sync outbox as the database holds it at scrape time, across every instance sharing it:
 * links by status, and how long the oldest pending link has waited since it was last queued or
 * attempted (a growing value means no worker is delivering).
 */
@Injectable()
export class OutboxMetrics {
  constructor(registry: MetricsRegistry, @Inject(PRISMA_CLIENT) prisma: PrismaClient) {
    scrapedGauge(registry, {
      name: 'csg_outbox_links',
      help: 'Provider links by status (pending links are the outbox backlog).',
      labelNames: ['status'],
      read: async () => {
        const rows = await prisma.$queryRaw<{ status: string; links: number }[]>`
          SELECT status::text AS status, count(*)::int AS links FROM provider_links GROUP BY status`;
        const byStatus = new Map(rows.map((row) => [row.status, row.links]));
        return LINK_STATUSES.map((status) => ({ labels: { status }, value: byStatus.get(status) ?? 0 }));
      },
    });
    scrapedGauge(registry, {
      name: 'csg_outbox_oldest_pending_age_seconds',
      help: 'Seconds since the oldest pending link was last queued or attempted; 0 when none waits.',
      labelNames: [],
      read: async () => {
        // Prisma keeps timestamps as UTC `timestamp(3)`; the database clock is read in the same terms.
        const [row] = await prisma.$queryRaw<{ seconds: number | null }[]>`
          SELECT EXTRACT(EPOCH FROM ((now() AT TIME ZONE 'UTC') - min(updated_at)))::float8 AS seconds
            FROM provider_links WHERE status = 'pending'`;
        return [{ labels: {}, value: Math.max(0, row?.seconds ?? 0) }];
      },
    });
  }
}
