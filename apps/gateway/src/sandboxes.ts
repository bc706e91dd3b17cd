import { startSandboxes } from '@app/sandboxes';

/**
 * The embedded default needs no provider credentials: every built-in sandbox (PROVIDER_SANDBOXES)
 * runs in this process on loopback, and one account of each points at it. Their rate limits follow
 * the providers' test-mode defaults. main.ts loads this file only for the embedded default.
 */
export async function startEmbeddedSandboxes(): Promise<{
  accounts: Record<string, unknown>[];
  /** "Digital River http://127.0.0.1:…" per sandbox, for the start-up lines. */
  addresses: string[];
  close: () => Promise<void>;
}> {
  const sandboxes = await startSandboxes();
  return {
    accounts: sandboxes.accounts(),
    addresses: sandboxes.all.map(({ entry, running }) => `${entry.displayName} ${running.url}`),
    close: () => sandboxes.close(),
  };
}
