/**
 * Provider sandboxes: faithful Digital River and 2Checkout REST 6.0 servers on loopback, with fault
 * injection, listed in PROVIDER_SANDBOXES (sandbox-registry.ts). The gateway starts them in-process when no real credentials are configured; tests and
 * `npm run sandbox` start them directly. See libs/sandboxes/README.md.
 */
export * from './shared/types';
export { PROVIDER_SANDBOXES, startSandboxes, type RunningSandboxes } from './sandbox-registry';
export { type FaultConfig, parseFaultConfig } from './shared/faults';
export {
  startDigitalRiverSandbox,
  type DigitalRiverSandboxOptions,
  type DigitalRiverSandboxAdmin,
  type RunningDigitalRiverSandbox,
} from './digital-river/digital-river.sandbox';
export { type SourceOptions } from './digital-river/digital-river.operations';
export { DEFAULT_DIGITAL_RIVER_SECRET_KEY } from './digital-river/digital-river.auth';
export { type DigitalRiverEvent } from './digital-river/digital-river.events';
export {
  signDigitalRiverPayload,
  type WebhookDeliveryAttempt,
  type WebhookEndpointInput,
  type WebhookEndpointView,
} from './digital-river/digital-river.webhooks';
export * from './digital-river/digital-river.types';
export {
  startTwoCheckoutSandbox,
  type TwoCheckoutSandboxOptions,
  type TwoCheckoutSandboxAdmin,
  type RunningTwoCheckoutSandbox,
  DEFAULT_TWO_CHECKOUT_MERCHANT_CODE,
  DEFAULT_TWO_CHECKOUT_SECRET_KEY,
} from './two-checkout/two-checkout.sandbox';
export {
  signAvangateAuthentication,
  avangateHash,
  formatAvangateDate,
} from './two-checkout/two-checkout.auth';
