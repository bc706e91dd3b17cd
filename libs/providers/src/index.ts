export { PROVIDER_ADAPTERS, type ProviderAdapter, type ProviderAdapters } from './provider-registry';
export { KNOWN_PROVIDER_ADAPTERS, ProvidersModule } from './providers.module';
