/**
 * Provider sandboxes: faithful Digital River and 2Checkout REST 6.0 servers on loopback, with fault
 * injection. The gateway starts them in-process when no real credentials are configured; tests and
 * `npm run sandbox` start them directly. See libs/sandboxes/README.md.
 */
export * from './shared/types';
export {
  PROVIDER_SANDBOXES,
  startSandboxes,
  type RunningSandboxes,
  type SandboxRegistry,
  type StartedSandbox,
  type StartSandboxesOptions,
} from './sandbox-registry';
export { type FaultConfig, type RouteFaults, type LatencySpec, parseFaultConfig } from './shared/faults';
export {
  startDigitalRiverSandbox,
  type DigitalRiverSandboxOptions,
  type DigitalRiverSandboxAdmin,
  type SourceOptions,
  type RunningDigitalRiverSandbox,
} from './digital-river/digital-river.sandbox';
export { DEFAULT_DIGITAL_RIVER_SECRET_KEY } from './digital-river/digital-river.auth';
export * from './digital-river/digital-river.types';
export { type DigitalRiverErrorBody, type DigitalRiverErrorItem } from './digital-river/digital-river.errors';
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
  verifyAvangateAuthentication,
  avangateHash,
  formatAvangateDate,
  type AvangateAlgo,
  type AvangateSignInput,
} from './two-checkout/two-checkout.auth';
export { type TwoCheckoutCustomer } from './two-checkout/two-checkout.types';
export { type TwoCheckoutErrorBody } from './two-checkout/two-checkout.errors';
