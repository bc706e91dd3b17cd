import { DIGITAL_RIVER_SANDBOX } from './digital-river/digital-river.sandbox';
import { type ProviderSandbox, type RunningSandbox, type SandboxOptions } from './shared/types';
import { TWO_CHECKOUT_SANDBOX } from './two-checkout/two-checkout.sandbox';

/** Sandboxes by provider id; the loops below take any such map (a test adds its own provider). */
export type SandboxRegistry = Readonly<Record<string, ProviderSandbox<SandboxOptions, RunningSandbox>>>;

/**
 * THE list of sandboxes, keyed by the same provider ids as the adapters (PROVIDER_ADAPTERS in
 * libs/providers/src/provider-registry.ts). Adding a provider's sandbox = one folder under src/
 * plus one line here.
 */
export const PROVIDER_SANDBOXES = {
  'digital-river': DIGITAL_RIVER_SANDBOX,
  'two-checkout': TWO_CHECKOUT_SANDBOX,
} as const satisfies SandboxRegistry;

type Running<S> = S extends ProviderSandbox<never, infer R> ? R : never;
type Options<S> = S extends ProviderSandbox<infer O, RunningSandbox> ? O : never;

/** `host` and `seed` apply to every sandbox; each provider id may carry that sandbox's own options. */
export type StartSandboxesOptions<R extends SandboxRegistry = typeof PROVIDER_SANDBOXES> = {
  host?: string;
  seed?: number;
} & { [P in keyof R]?: Options<R[P]> };

export interface StartedSandbox {
  provider: string;
  entry: ProviderSandbox<SandboxOptions, RunningSandbox>;
  running: RunningSandbox;
}

/** Each running sandbox under its provider id, e.g. `sandboxes['digital-river'].admin`. */
export type RunningSandboxes<R extends SandboxRegistry = typeof PROVIDER_SANDBOXES> = {
  readonly [P in keyof R]: Running<R[P]>;
} & {
  /**
   * One provider account per sandbox, named `sandbox`, in the shape of `PROVIDER_ACCOUNTS`
   * entries; `settings` (timeouts, retries, rate limits) are added to each.
   */
  accounts(settings?: Record<string, unknown>): Record<string, unknown>[];
  /** Every sandbox with its registry entry, in registry order (for start-up lines). */
  all: readonly StartedSandbox[];
  close(): Promise<void>;
};

/**
 * Starts every sandbox in `registry` (what the gateway's embedded default and `npm run sandbox`
 * do); if one fails to start, those already running are closed.
 */
export async function startSandboxes<R extends SandboxRegistry = typeof PROVIDER_SANDBOXES>(
  options: NoInfer<StartSandboxesOptions<R>> = {},
  registry: R = PROVIDER_SANDBOXES as SandboxRegistry as R,
): Promise<RunningSandboxes<R>> {
  const all: StartedSandbox[] = [];
  const close = async () => {
    await Promise.all(all.map(({ running }) => running.close()));
  };
  try {
    for (const [provider, entry] of Object.entries(registry)) {
      const own = (options as Record<string, SandboxOptions | undefined>)[provider];
      const running = await entry.start({ host: options.host, seed: options.seed, ...own });
      all.push({ provider, entry, running });
    }
  } catch (error) {
    await close();
    throw error;
  }
  return {
    ...Object.fromEntries(all.map(({ provider, running }) => [provider, running])),
    all,
    accounts: (settings = {}) =>
      all.map(({ provider, entry, running }) => ({
        provider,
        account: 'sandbox',
        ...entry.account(running),
        ...settings,
      })),
    close,
  } as RunningSandboxes<R>;
}
