import { sandboxAccounts, startSandboxes } from '@app/sandboxes';

/**
 * The embedded default needs no provider credentials: the built-in Digital River and 2Checkout
 * sandboxes run in this process on loopback, and one account of each points at them. Their
 * rate limits follow the providers' test-mode defaults.
 */
export async function startEmbeddedSandboxes(): Promise<{
  accounts: Record<string, unknown>[];
  urls: { digitalRiver: string; twoCheckout: string };
  close: () => Promise<void>;
}> {
  const sandboxes = await startSandboxes();
  return {
    accounts: sandboxAccounts(sandboxes),
    urls: { digitalRiver: sandboxes.digitalRiver.url, twoCheckout: sandboxes.twoCheckout.url },
    close: () => sandboxes.close(),
  };
}
