export { PROVIDER_ADAPTERS, type ProviderAdapter, type ProviderAdapters } from './provider-registry';
export { KNOWN_PROVIDER_ADAPTERS, ProvidersModule } from './providers.module';
export { DIGITAL_RIVER, type DrEventQuery } from './digital-river/digital-river.client';
export { DigitalRiverProvider } from './digital-river/digital-river.provider';
export {
  DEFAULT_SIGNATURE_TOLERANCE_MS,
  DR_CUSTOMER_EVENT_TYPES,
  DR_SIGNATURE_HEADER,
  drEventCopy,
  drEventSchema,
  drEventSubject,
  type DrEvent,
  type DrEventSubject,
  type SignatureCheck,
  verifyDigitalRiverSignature,
} from './digital-river/digital-river.webhooks';
// What each adapter sends to create a customer: the benches' direct baseline sends the same bodies.
export { toDrCreatePlan } from './digital-river/digital-river.mapper';
export { toTcoCustomer } from './two-checkout/two-checkout.mapper';
