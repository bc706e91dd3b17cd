import { type Provider } from '@nestjs/common';

import { CustomerMigrator, MIGRATOR_OPTIONS, type MigratorOptions } from './customer-migrator';
import { CustomerReconciler } from './customer-reconciler';
import { InProcessDispatcher } from './in-process-dispatcher';
import { MigrationDispatcher } from './migration-dispatcher';
import { MigrationService } from './migration.service';
import { MigrationWorker } from './migration-worker';
import { PG_BOSS_OPTIONS, PgBossDispatcher, type PgBossOptions } from './pg-boss-dispatcher';
import { ReconciliationService } from './reconciliation.service';
import { RunEngine } from './run-engine';
import { RunSources } from './run-sources';

export interface MigrationOptions extends MigratorOptions {
  /** `in-process` for the embedded default; pg-boss to share runs across processes on PostgreSQL. */
  queue: { kind: 'in-process' } | ({ kind: 'pg-boss' } & PgBossOptions);
}

/**
 * The job engine's providers (migrations and whole-base reconciliations), for the app that hosts
 * it (the gateway, the migrator CLI). They need the domain's CustomerService,
 * CustomerReconciliation, SyncEngine and ProviderAccounts, and the persistence ports
 * (`@app/persistence`: CustomerRepository, ProviderCallLog, MigrationStore), from that app.
 */
export function migrationProviders(options: MigrationOptions): Provider[] {
  const { queue, ...migrator } = options;
  return [
    { provide: MIGRATOR_OPTIONS, useValue: migrator },
    CustomerMigrator,
    CustomerReconciler,
    MigrationWorker,
    RunSources,
    RunEngine,
    MigrationService,
    ReconciliationService,
    ...(queue.kind === 'pg-boss'
      ? [
          { provide: PG_BOSS_OPTIONS, useValue: queue },
          { provide: MigrationDispatcher, useClass: PgBossDispatcher },
        ]
      : [{ provide: MigrationDispatcher, useClass: InProcessDispatcher }]),
  ];
}
