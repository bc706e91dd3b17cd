import { ProviderAccounts } from '@app/domain';
import {
  type DynamicModule,
  Inject,
  Injectable,
  type InjectionToken,
  Module,
  type ModuleMetadata,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { buildProviderRegistry, PROVIDER_ADAPTERS, type ProviderAdapters } from './provider-registry';

/** Every adapter this process knows, configured or not, by provider id (for `GET /v1/providers`). */
export const KNOWN_PROVIDER_ADAPTERS = 'KNOWN_PROVIDER_ADAPTERS';

export interface ProvidersModuleOptions {
  imports?: ModuleMetadata['imports'];
  inject?: InjectionToken[];
  /** Answers the raw account configurations (validated here, per adapter, at start-up). */
  useFactory: (...deps: never[]) => readonly unknown[] | Promise<readonly unknown[]>;
  /** PROVIDER_ADAPTERS unless a test brings a provider of its own. */
  adapters?: ProviderAdapters;
}

/** Closes every account's keep-alive sockets when the app shuts down. */
@Injectable()
class ProviderSockets implements OnApplicationShutdown {
  constructor(@Inject(ProviderAccounts) private readonly accounts: ProviderAccounts) {}

  onApplicationShutdown(): void {
    this.accounts.close();
  }
}

/**
 * Provides `ProviderAccounts` (from `@app/domain`) built from configuration:
 * `ProvidersModule.forRoot({ inject: [ConfigService], useFactory: (c) => c.get('providerAccounts') })`.
 * Tests and e2e can `overrideProvider(ProviderAccounts)` with fakes.
 */
@Module({})
export class ProvidersModule {
  static forRoot(options: ProvidersModuleOptions): DynamicModule {
    const adapters = options.adapters ?? PROVIDER_ADAPTERS;
    return {
      module: ProvidersModule,
      global: true,
      imports: options.imports ?? [],
      providers: [
        {
          provide: ProviderAccounts,
          inject: options.inject ?? [],
          useFactory: async (...deps: never[]) =>
            buildProviderRegistry(await options.useFactory(...deps), adapters),
        },
        { provide: KNOWN_PROVIDER_ADAPTERS, useValue: adapters },
        ProviderSockets,
      ],
      exports: [ProviderAccounts, KNOWN_PROVIDER_ADAPTERS],
    };
  }
}
