/**
 * Provider sandboxes: faithful Digital River and 2Checkout REST 6.0 servers on loopback, with fault
 * injection. The gateway starts them in-process when no real credentials are configured; tests and
 * `npm run sandbox` start them directly. See libs/sandboxes/README.md.
 */
import {
  type DigitalRiverSandboxOptions,
  type RunningDigitalRiverSandbox,
  startDigitalRiverSandbox,
} from './digital-river/digital-river.sandbox';
import {
  type RunningTwoCheckoutSandbox,
  startTwoCheckoutSandbox,
  type TwoCheckoutSandboxOptions,
} from './two-checkout/two-checkout.sandbox';

export * from './shared/types';
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

export interface StartSandboxesOptions {
  /** Applied to both sandboxes unless their own options say otherwise. */
  host?: string;
  seed?: number;
  digitalRiver?: DigitalRiverSandboxOptions;
  twoCheckout?: TwoCheckoutSandboxOptions;
}

export interface RunningSandboxes {
  digitalRiver: RunningDigitalRiverSandbox;
  twoCheckout: RunningTwoCheckoutSandbox;
  close(): Promise<void>;
}

/** Starts both sandboxes (what the gateway's embedded default and `npm run sandbox` do). */
export async function startSandboxes(options: StartSandboxesOptions = {}): Promise<RunningSandboxes> {
  const shared = { host: options.host, seed: options.seed };
  const digitalRiver = await startDigitalRiverSandbox({ ...shared, ...options.digitalRiver });
  try {
    const twoCheckout = await startTwoCheckoutSandbox({ ...shared, ...options.twoCheckout });
    return {
      digitalRiver,
      twoCheckout,
      close: async () => {
        await Promise.all([digitalRiver.close(), twoCheckout.close()]);
      },
    };
  } catch (error) {
    await digitalRiver.close();
    throw error;
  }
}

/**
 * One provider account per sandbox, named `sandbox`, in the shape of `PROVIDER_ACCOUNTS` entries;
 * `settings` (timeouts, retries, rate limits) are added to both.
 */
export function sandboxAccounts(
  sandboxes: RunningSandboxes,
  settings: Record<string, unknown> = {},
): Record<string, unknown>[] {
  return [
    {
      provider: 'digital-river',
      account: 'sandbox',
      baseUrl: sandboxes.digitalRiver.url,
      secretKey: sandboxes.digitalRiver.secretKey,
      ...settings,
    },
    {
      provider: 'two-checkout',
      account: 'sandbox',
      baseUrl: sandboxes.twoCheckout.url,
      merchantCode: sandboxes.twoCheckout.merchantCode,
      secretKey: sandboxes.twoCheckout.secretKey,
      ...settings,
    },
  ];
}
