import { Injectable } from '@nestjs/common';
import { GaugeReadings } from '@app/persistence';

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
  constructor(registry: MetricsRegistry, readings: GaugeReadings) {
    scrapedGauge(registry, {
      name: 'csg_migration_items',
      help: 'Items of each running migration by outcome (pending: not done yet).',
      labelNames: ['run', 'source', 'target', 'outcome'],
      read: async () => {
        const rows = await readings.runningMigrationItems();
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
