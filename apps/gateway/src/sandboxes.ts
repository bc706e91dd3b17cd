import { type AddressInfo } from 'node:net';

import { startSandboxes } from '@app/sandboxes';
import { DR_CUSTOMER_EVENT_TYPES } from '@app/providers';

/**
 * The embedded default needs no provider credentials: every built-in sandbox (PROVIDER_SANDBOXES)
 * runs in this process on loopback, and one account of each points at it. Their rate limits follow
 * the providers' test-mode defaults. main.ts loads this file only for the embedded default.
 */
export async function startEmbeddedSandboxes(): Promise<{
  accounts: Record<string, unknown>[];
  /** "Digital River http://127.0.0.1:…" per sandbox, for the start-up lines. */
  addresses: string[];
  /**
   * Once the gateway listens: registers its Digital River webhook receiver with the DR sandbox, as
   * an operator would in DR's Dashboard, and hands the signing secret to `saveSecret`, so changes
   * made at the sandbox come back out of the box.
   */
  connectWebhooks(
    gateway: AddressInfo,
    saveSecret: (account: string, secret: string) => Promise<void>,
  ): Promise<void>;
  close: () => Promise<void>;
}> {
  const sandboxes = await startSandboxes();
  return {
    accounts: sandboxes.accounts(),
    addresses: sandboxes.all.map(({ entry, running }) => `${entry.displayName} ${running.url}`),
    connectWebhooks: async (gateway, saveSecret) => {
      const account = 'sandbox';
      const hook = sandboxes['digital-river'].admin.registerWebhook({
        url: `${loopbackOrigin(gateway)}/v1/provider-webhooks/digital-river/${account}`,
        types: [...DR_CUSTOMER_EVENT_TYPES],
      });
      await saveSecret(account, hook.secret);
    },
    close: () => sandboxes.close(),
  };
}

/** The gateway as the sandboxes, on loopback, reach it: a wildcard address is not one to call. */
function loopbackOrigin(address: AddressInfo): string {
  const wildcard = address.address === '0.0.0.0' || address.address === '::';
  const host = wildcard ? '127.0.0.1' : address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return `http://${host}:${address.port}`;
}
