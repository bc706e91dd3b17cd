import {
  type CustomerProvider,
  type FieldTable,
  ProviderAccounts,
  type ProviderCapabilities,
} from '@app/domain';
import { parseDigitalRiverConfig } from './digital-river/digital-river.config';
import { DIGITAL_RIVER_FIELDS } from './digital-river/digital-river.fields';
import { DigitalRiverProvider } from './digital-river/digital-river.provider';
import { DIGITAL_RIVER_CAPABILITIES } from './digital-river/digital-river.rules';
import { parseTwoCheckoutConfig } from './two-checkout/two-checkout.config';
import { TWO_CHECKOUT_FIELDS } from './two-checkout/two-checkout.fields';
import { TwoCheckoutProvider } from './two-checkout/two-checkout.provider';
import { TWO_CHECKOUT_CAPABILITIES } from './two-checkout/two-checkout.rules';

/** How one adapter is built from one account's raw configuration (validated with its zod schema). */
export interface ProviderAdapter {
  capabilities: ProviderCapabilities;
  /** What it holds of each canonical field; published in docs/providers/<id>.md (`npm run fields:table`). */
  fieldTable?: FieldTable;
  fromConfig(input: unknown): CustomerProvider;
}

/** Adapters by provider id; the functions below take any such map (a test adds its own provider). */
export type ProviderAdapters = Readonly<Record<string, ProviderAdapter>>;

/**
 * THE list of adapters. Adding a provider = one new folder under src/ plus one line here (and its
 * sandbox in PROVIDER_SANDBOXES, libs/sandboxes/src/sandbox-registry.ts, under the same id).
 * Keys are the provider ids used in configuration, links and URLs.
 */
export const PROVIDER_ADAPTERS: ProviderAdapters = {
  'digital-river': {
    capabilities: DIGITAL_RIVER_CAPABILITIES,
    fieldTable: DIGITAL_RIVER_FIELDS,
    fromConfig: (input) => new DigitalRiverProvider(parseDigitalRiverConfig(input)),
  },
  'two-checkout': {
    capabilities: TWO_CHECKOUT_CAPABILITIES,
    fieldTable: TWO_CHECKOUT_FIELDS,
    fromConfig: (input) => new TwoCheckoutProvider(parseTwoCheckoutConfig(input)),
  },
};

/** One account's configuration: `provider` picks the adapter, the rest is that adapter's schema. */
function createProvider(account: unknown, adapters: ProviderAdapters): CustomerProvider {
  const provider =
    typeof account === 'object' && account !== null && 'provider' in account ? account.provider : undefined;
  const adapter = typeof provider === 'string' ? adapters[provider] : undefined;
  if (!adapter) {
    throw new Error(
      `Invalid provider account configuration: provider must be one of ${Object.keys(adapters).join(', ')}`,
    );
  }
  return adapter.fromConfig(account);
}

/**
 * Builds the registry from every configured account, e.g. parsed from a `PROVIDER_ACCOUNTS` JSON
 * array. Fails fast, at start-up, on the first invalid account.
 */
export function buildProviderRegistry(
  accounts: readonly unknown[],
  adapters: ProviderAdapters = PROVIDER_ADAPTERS,
): ProviderAccounts {
  const providers: CustomerProvider[] = [];
  try {
    for (const account of accounts) providers.push(createProvider(account, adapters));
    return new ProviderAccounts(providers);
  } catch (error) {
    for (const provider of providers) provider.close();
    throw error;
  }
}
