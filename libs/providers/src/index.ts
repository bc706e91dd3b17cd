export { DigitalRiverProvider, DIGITAL_RIVER_CAPABILITIES } from './digital-river/digital-river.provider';
export {
  digitalRiverConfigSchema,
  parseDigitalRiverConfig,
  type DigitalRiverConfig,
  type DigitalRiverConfigInput,
} from './digital-river/digital-river.config';
export { TwoCheckoutProvider, TWO_CHECKOUT_CAPABILITIES } from './two-checkout/two-checkout.provider';
export {
  parseTwoCheckoutConfig,
  twoCheckoutConfigSchema,
  type TwoCheckoutConfig,
  type TwoCheckoutConfigInput,
} from './two-checkout/two-checkout.config';
export {
  PROVIDER_ADAPTERS,
  type ProviderAdapter,
  type ProviderAdapters,
} from './provider-registry';
export { KNOWN_PROVIDER_ADAPTERS, ProvidersModule, type ProvidersModuleOptions } from './providers.module';
