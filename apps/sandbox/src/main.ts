/**
 * `npm run sandbox`: runs every provider sandbox (PROVIDER_SANDBOXES) standalone and prints their
 * URLs and test credentials. Configuration by environment (all optional), per sandbox with its
 * prefix (DR for Digital River, TCO for 2Checkout):
 *   SANDBOX_HOST (127.0.0.1), SANDBOX_SEED (1),
 *   <PREFIX>_SANDBOX_PORT (DR 4010, TCO 4020), <PREFIX>_SANDBOX_RATE_LIMIT (the sandbox's default:
 *   DR 25/s per test key, TCO 0 = off), <PREFIX>_SANDBOX_FAULTS (FaultConfig JSON).
 */
import { type FaultConfig, parseFaultConfig, PROVIDER_SANDBOXES, startSandboxes } from '@app/sandboxes';

/** Unset or blank: undefined, so the sandbox keeps its own default. */
function numberFromEnv(name: string): number | undefined {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return undefined;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0)
    throw new Error(`${name} must be a non-negative number, got "${raw}"`);
  return value;
}

function faultsFromEnv(name: string): FaultConfig | undefined {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return undefined;
  return parseFaultConfig(JSON.parse(raw));
}

async function main(): Promise<void> {
  const sandboxes = await startSandboxes({
    host: process.env['SANDBOX_HOST'] ?? '127.0.0.1',
    seed: numberFromEnv('SANDBOX_SEED') ?? 1,
    ...Object.fromEntries(
      Object.entries(PROVIDER_SANDBOXES).map(([provider, { standalone }]) => [
        provider,
        {
          port: numberFromEnv(`${standalone.envPrefix}_SANDBOX_PORT`) ?? standalone.port,
          rateLimitPerSecond: numberFromEnv(`${standalone.envPrefix}_SANDBOX_RATE_LIMIT`),
          faults: faultsFromEnv(`${standalone.envPrefix}_SANDBOX_FAULTS`),
        },
      ]),
    ),
  });
  const lines = ['Provider sandboxes running (state in memory; Ctrl-C to stop)', ''];
  for (const { entry, running } of sandboxes.all) {
    lines.push(
      `${entry.displayName.padEnd(16)}${running.url}`,
      ...entry.describe(running).map((l) => `  ${l}`),
      '',
    );
  }
  process.stdout.write(lines.join('\n'));
  const stop = () => {
    void sandboxes.close().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((error: unknown) => {
  process.stderr.write(
    `sandbox failed to start: ${error instanceof Error ? error.message : String(error)}\n`,
  );
  process.exit(1);
});
