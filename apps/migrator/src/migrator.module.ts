import { type DynamicModule, Module } from '@nestjs/common';
import { SYNC_OPTIONS, CONFLICT_POLICY, ProviderChanges } from '@app/domain';
import {
  CustomerReconciliation,
  CustomerService,
  ProviderFailureLog,
  PolicyProviderChanges,
  SyncEngine,
  LinkDelivery,
} from '@app/application';
import { migrationProviders } from '@app/jobs';
import { type DatabaseHandle, PersistenceModule } from '@app/persistence';
import { ProvidersModule } from '@app/providers';
import { createLogger, type GatewayConfig, loggerParams, migrationOptions, syncOptions } from '@app/config';
import { LoggerModule } from 'nestjs-pino';

export interface MigratorModuleOptions {
  config: GatewayConfig;
  openDatabase: () => Promise<DatabaseHandle>;
  providerAccounts: readonly unknown[];
  /** Work pg-boss batches in this process (every command that drives or works a run). */
  work: boolean;
}

/**
 * The migrator's composition root: the gateway's domain and persistence without HTTP, configured
 * from the same environment. Logs are JSON on stderr, so stdout carries only progress and results.
 */
@Module({})
export class MigratorModule {
  static register(options: MigratorModuleOptions): DynamicModule {
    return {
      module: MigratorModule,
      imports: [
        // JSON on stderr whatever LOG_FORMAT says: the terminal belongs to the progress bar.
        LoggerModule.forRoot(loggerParams(createLogger({ ...options.config, LOG_FORMAT: 'json' }, 2))),
        PersistenceModule.forRoot(options.openDatabase),
        ProvidersModule.forRoot({ useFactory: () => options.providerAccounts }),
      ],
      providers: [
        CustomerService,
        // A pg-boss worker here may be handed the batches of a whole-base reconciliation too.
        CustomerReconciliation,
        SyncEngine,
        LinkDelivery,
        ProviderFailureLog,
        { provide: SYNC_OPTIONS, useValue: syncOptions(options.config) },
        // Every hint of a provider-side change (DR webhooks and events, the 2CO sweep) goes here.
        { provide: CONFLICT_POLICY, useValue: options.config.CONFLICT_POLICY },
        { provide: ProviderChanges, useClass: PolicyProviderChanges },
        ...migrationProviders(migrationOptions(options.config, options.work)),
      ],
    };
  }
}
