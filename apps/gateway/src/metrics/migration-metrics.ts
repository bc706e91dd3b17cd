import { Inject, Injectable } from '@nestjs/common';
import { PRISMA_CLIENT } from '@app/persistence';

import { type PrismaClient } from '../../../../generated/prisma/client';
import { MetricsRegistry, scrapedGauge } from './metrics.registry';

/** An item without an outcome is still to do. */
const ITEM_OUTCOMES = ['migrated', 'already_present', 'skipped', 'failed', 'pending'] as const;

/**
 * Progress of every running migration, read at scrape time: its items by outcome, `pending` for
 * those still to do, so done / total is `sum without (outcome)` minus `pending`. Enumeration adds
 * items as it pages through the source, so the total grows until the source is exhausted.
 */
@Injectable()
export class MigrationMetrics {
  constructor(registry: MetricsRegistry, @Inject(PRISMA_CLIENT) prisma: PrismaClient) {
    scrapedGauge(registry, {
      name: 'csg_migration_items',
      help: 'Items of each running migration by outcome (pending: not done yet).',
      labelNames: ['run', 'source', 'target', 'outcome'],
      read: async () => {
        const rows = await prisma.$queryRaw<
          { run: string; source: string; target: string; outcome: string | null; items: number }[]
        >`
          SELECT r.id AS run,
                 r.source_provider || '/' || r.source_account AS source,
                 r.target_provider || '/' || r.target_account AS target,
                 i.outcome::text AS outcome, count(i.run_id)::int AS items
            FROM migration_runs r LEFT JOIN migration_items i ON i.run_id = r.id
           WHERE r.status = 'running' AND r.kind = 'migration'
           GROUP BY r.id, source, target, i.outcome`;
        const runs = new Map<string, { run: string; source: string; target: string }>();
        const counts = new Map<string, number>();
        for (const row of rows) {
          runs.set(row.run, { run: row.run, source: row.source, target: row.target });
          const key = `${row.run} ${row.outcome ?? 'pending'}`;
          counts.set(key, (counts.get(key) ?? 0) + row.items);
        }
        // Every outcome of every run, zeros included, so a rate over any of them is defined.
        return [...runs.values()].flatMap((run) =>
          ITEM_OUTCOMES.map((outcome) => ({
            labels: { ...run, outcome },
            value: counts.get(`${run.run} ${outcome}`) ?? 0,
          })),
        );
      },
    });
  }
}
