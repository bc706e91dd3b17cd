/** The marker that replaces every secret in dry runs, fixtures and log lines. */
export const REDACTED = '[REDACTED]';

/**
 * Keeps a key's documented prefix (`sk_test_`, `sk_`) so a reader can tell test from live
 * credentials, and drops everything that authenticates.
 */
export function redactSecret(secret: string): string {
  const prefix = /^(sk_test_|sk_|pk_test_|pk_)/.exec(secret)?.[1] ?? '';
  return `${prefix}${REDACTED}`;
}
