import { Inject, Injectable } from '@nestjs/common';

import { type PrismaClient } from '../../../generated/prisma/client';
import { PRISMA_CLIENT } from './prisma.tokens';

/** How many rows share one value of a status-like column. */
export interface CountByValue {
  value: string;
  count: number;
}

/** One running migration's items that share an outcome; `outcome` is null for those still to do. */
export interface MigrationItemCount {
  run: string;
  /** `provider/account` */
  source: string;
  /** `provider/account` */
  target: string;
  outcome: string | null;
  items: number;
}

export interface WebhookDeliveryCount {
  status: string;
  /** The outcome of the last attempt; null when none was made yet. */
  lastOutcome: string | null;
  deliveries: number;
}

/**
 * The queries behind the gateway's scraped gauges (GET /metrics), read at scrape time across every
 * instance sharing the database: the outbox, running migrations and webhook deliveries.
 */
@Injectable()
export class GaugeReadings {
  constructor(@Inject(PRISMA_CLIENT) private readonly prisma: PrismaClient) {}

  async linksByStatus(): Promise<CountByValue[]> {
    return this.prisma.$queryRaw<CountByValue[]>`
      SELECT status::text AS value, count(*)::int AS count FROM provider_links GROUP BY status`;
  }

  /** Seconds since the oldest pending link was last queued or attempted; null when none waits. */
  async oldestPendingLinkAgeSeconds(): Promise<number | null> {
    // Prisma keeps timestamps as UTC `timestamp(3)`; the database clock is read in the same terms.
    const [row] = await this.prisma.$queryRaw<{ seconds: number | null }[]>`
      SELECT EXTRACT(EPOCH FROM ((now() AT TIME ZONE 'UTC') - min(updated_at)))::float8 AS seconds
        FROM provider_links WHERE status = 'pending'`;
    return row?.seconds ?? null;
  }

  /** Items of every running migration by outcome; a run without items yet has one row, outcome null, 0 items. */
  async runningMigrationItems(): Promise<MigrationItemCount[]> {
    return this.prisma.$queryRaw<MigrationItemCount[]>`
      SELECT r.id AS run,
             r.source_provider || '/' || r.source_account AS source,
             r.target_provider || '/' || r.target_account AS target,
             i.outcome::text AS outcome, count(i.run_id)::int AS items
        FROM migration_runs r LEFT JOIN migration_items i ON i.run_id = r.id
       WHERE r.status = 'running' AND r.kind = 'migration'
       GROUP BY r.id, source, target, i.outcome`;
  }

  async webhookDeliveries(): Promise<WebhookDeliveryCount[]> {
    const groups = await this.prisma.webhookDelivery.groupBy({
      by: ['status', 'lastOutcome'],
      _count: { _all: true },
    });
    return groups.map((group) => ({
      status: group.status,
      lastOutcome: group.lastOutcome,
      deliveries: group._count._all,
    }));
  }
}
