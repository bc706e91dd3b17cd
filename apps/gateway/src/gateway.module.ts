import {
  type DynamicModule,
  Inject,
  Injectable,
  Module,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { APP_FILTER, APP_GUARD, APP_PIPE } from '@nestjs/core';
import {
  DEFAULT_PROVIDER_TARGETS,
  ProviderAccounts,
  type RequestedTarget,
  SYNC_OPTIONS,
  CONFLICT_POLICY,
  ProviderChanges,
  TOMBSTONE_RETENTION_MS,
} from '@app/domain';
import {
  CustomerCommands,
  CustomerPlanner,
  CustomerReconciliation,
  CustomerService,
  ProviderFailureLog,
  PolicyProviderChanges,
  SyncEngine,
  LinkDelivery,
} from '@app/application';
import { migrationProviders, RunEngine } from '@app/jobs';
import {
  DATABASE,
  type DatabaseHandle,
  EventStore,
  IDEMPOTENCY_OPTIONS,
  IdempotencyRecords,
  RETENTION_OPTIONS,
  RetentionPurges,
  KeyHolders,
  keyHoldersFor,
  ProviderEventInbox,
  PersistenceModule,
  SECRET_KEYRING,
  SecretStore,
  WebhookStore,
  Readiness,
} from '@app/persistence';
import { type ProviderAdapters, ProvidersModule } from '@app/providers';
import {
  createLogger,
  type GatewayConfig,
  loggerParams,
  migrationOptions,
  secretKeyring,
  syncOptions,
} from '@app/config';
import { LoggerModule } from 'nestjs-pino';

import { ApiKeyGuard } from './auth/api-key.guard';
import { ApiKeyRegistry } from './auth/api-keys';
import { currentCaller } from './auth/caller-context';
import { GATEWAY_CONFIG, GatewayConfigModule } from './config/config.module';
import { CustomerProviderCopiesController } from './customers/customer-provider-copies.controller';
import { CustomersController } from './customers/customers.controller';
import { EventsController } from './events/events.controller';
import { ProblemFilter } from './errors/problem.filter';
import { HealthController } from './health/health.controller';
import { MetricsModule } from './metrics/metrics.module';
import { MigrationsController } from './migrations/migrations.controller';
import { ProvidersController } from './providers/providers.controller';
import { DigitalRiverCatchUp } from './provider-webhooks/digital-river-catch-up';
import { DigitalRiverInbound } from './provider-webhooks/digital-river-inbound';
import { ProviderEventWorker } from './provider-webhooks/provider-event-worker';
import { ProviderReadBudget } from './provider-webhooks/provider-read-budget';
import { ProviderWebhooksController } from './provider-webhooks/provider-webhooks.controller';
import { ReconciliationsController } from './reconciliations/reconciliations.controller';
import { SweepScheduler } from './reconciliations/sweep-scheduler';
import { PathParameterPipe } from './http/hostile-input';
import { RequestLog } from './http/request-log';
import { requestValidationPipe, StrictQueryIntegersPipe } from './http/validators';
import { IdempotencyGate } from './idempotency/idempotency-gate';
import { RetentionTask, retentionOptions } from './retention/retention.task';
import { RateLimitGuard } from './rate-limit/rate-limit.guard';
import { RateLimits } from './rate-limit/rate-limits';
import { WebhookDispatcher } from './webhooks/webhook-dispatcher';
import { WebhookEndpointsController } from './webhooks/webhook-endpoints.controller';

const SHUTDOWN_HOOK = 'SHUTDOWN_HOOK';

export interface GatewayOptions {
  config: GatewayConfig;
  apiKeys: ApiKeyRegistry;
  openDatabase: () => Promise<DatabaseHandle>;
  /** Raw provider account configurations; each adapter validates its own at start-up. */
  providerAccounts: readonly unknown[];
  /** PROVIDER_ADAPTERS unless a test brings a provider of its own. */
  providerAdapters?: ProviderAdapters;
  /**
   * Where every provider-side change hint goes (DR webhooks and events, the 2CO sweep) in place of
   * the conflict policy (PolicyProviderChanges): an embedder's own handling of them.
   */
  providerChanges?: ProviderChanges;
  /** Closed last on shutdown, e.g. the embedded sandboxes the accounts point at. */
  onShutdown?: () => Promise<void>;
}

/** Where creates go by default: DEFAULT_PROVIDERS, else every configured account. */
function defaultTargets(options: GatewayOptions, accounts: ProviderAccounts): RequestedTarget[] {
  return (
    options.config.DEFAULT_PROVIDERS ??
    accounts.all().map((provider) => ({ provider: provider.provider, account: provider.account }))
  );
}

/** Interrupted in-process migrations and reconciliations carry on when the gateway starts again. */
@Injectable()
class MigrationLifecycle implements OnApplicationBootstrap {
  constructor(private readonly runs: RunEngine) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.runs.resumeInterrupted();
  }
}

/** Runs the sync engine's background loop for the life of the app (unless SYNC_WORKER=off). */
@Injectable()
class SyncEngineLifecycle implements OnApplicationBootstrap, OnApplicationShutdown {
  constructor(
    private readonly engine: SyncEngine,
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
  ) {}

  onApplicationBootstrap(): void {
    if (this.config.SYNC_WORKER === 'on') this.engine.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.engine.stop();
  }
}

@Injectable()
class ShutdownHook implements OnApplicationShutdown {
  constructor(@Inject(SHUTDOWN_HOOK) private readonly hook: (() => Promise<void>) | undefined) {}

  async onApplicationShutdown(): Promise<void> {
    await this.hook?.();
  }
}

/** The composition root of the HTTP gateway. */
@Module({})
export class GatewayModule {
  static register(options: GatewayOptions): DynamicModule {
    // Lines logged while a request runs name it and its API key (never the key), read from the
    // edge's record of the caller.
    const logger = createLogger(options.config, 1, () => {
      const caller = currentCaller();
      if (caller === undefined) return undefined;
      return { requestId: caller.requestId, keyId: caller.actor === 'anonymous' ? undefined : caller.actor };
    });
    return {
      module: GatewayModule,
      imports: [
        GatewayConfigModule.register(options.config),
        LoggerModule.forRoot(loggerParams(logger)),
        PersistenceModule.forRoot(options.openDatabase),
        ProvidersModule.forRoot({
          useFactory: () => options.providerAccounts,
          adapters: options.providerAdapters,
        }),
        MetricsModule,
      ],
      controllers: [
        CustomersController,
        CustomerProviderCopiesController,
        ProvidersController,
        ReconciliationsController,
        MigrationsController,
        EventsController,
        WebhookEndpointsController,
        ProviderWebhooksController,
        HealthController,
      ],
      providers: [
        { provide: ApiKeyRegistry, useValue: options.apiKeys },
        { provide: RequestLog, useValue: new RequestLog(logger) },
        CustomerService,
        CustomerCommands,
        CustomerPlanner,
        CustomerReconciliation,
        SyncEngine,
        LinkDelivery,
        { provide: SYNC_OPTIONS, useValue: syncOptions(options.config) },
        // Every hint of a provider-side change (DR webhooks and events, the 2CO sweep) goes here.
        { provide: CONFLICT_POLICY, useValue: options.config.CONFLICT_POLICY },
        options.providerChanges === undefined
          ? { provide: ProviderChanges, useClass: PolicyProviderChanges }
          : { provide: ProviderChanges, useValue: options.providerChanges },
        { provide: TOMBSTONE_RETENTION_MS, useValue: options.config.TOMBSTONE_RETENTION_HOURS * 3_600_000 },
        SyncEngineLifecycle,
        ProviderFailureLog,
        ...migrationProviders(migrationOptions(options.config, true)),
        MigrationLifecycle,
        {
          provide: DEFAULT_PROVIDER_TARGETS,
          inject: [ProviderAccounts],
          useFactory: (accounts: ProviderAccounts) => defaultTargets(options, accounts),
        },
        { provide: SHUTDOWN_HOOK, useValue: options.onShutdown },
        ShutdownHook,
        {
          provide: IDEMPOTENCY_OPTIONS,
          useValue: { ttlMs: options.config.IDEMPOTENCY_TTL_HOURS * 3_600_000 },
        },
        { provide: KeyHolders, inject: [DATABASE], useFactory: keyHoldersFor },
        IdempotencyRecords,
        IdempotencyGate,
        EventStore,
        { provide: RETENTION_OPTIONS, useValue: retentionOptions(options.config) },
        RetentionPurges,
        RetentionTask,
        { provide: SECRET_KEYRING, useFactory: () => secretKeyring(options.config) },
        SecretStore,
        WebhookStore,
        WebhookDispatcher,
        Readiness,
        ProviderEventInbox,
        ProviderReadBudget,
        ProviderEventWorker,
        DigitalRiverInbound,
        DigitalRiverCatchUp,
        SweepScheduler,
        RateLimits,
        // Guards run in this order: who is calling, then whether they are over their limit.
        { provide: APP_GUARD, useClass: ApiKeyGuard },
        { provide: APP_GUARD, useClass: RateLimitGuard },
        { provide: APP_FILTER, useClass: ProblemFilter },
        // Pipes run in this order: path parameters are checked before any DTO is built.
        { provide: APP_PIPE, useClass: PathParameterPipe },
        { provide: APP_PIPE, useClass: StrictQueryIntegersPipe },
        { provide: APP_PIPE, useValue: requestValidationPipe() },
      ],
    };
  }
}
