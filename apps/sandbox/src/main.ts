/**
 * `npm run sandbox`: runs both provider sandboxes standalone and prints their URLs and test
 * credentials. Configuration by environment (all optional):
 *   SANDBOX_HOST (127.0.0.1), DR_SANDBOX_PORT (4010), TCO_SANDBOX_PORT (4020), SANDBOX_SEED (1),
 *   DR_SANDBOX_RATE_LIMIT (25/s per test key), TCO_SANDBOX_RATE_LIMIT (0 = off),
 *   DR_SANDBOX_FAULTS / TCO_SANDBOX_FAULTS (FaultConfig JSON).
 */
import {
  type FaultConfig,
  parseFaultConfig,
  signAvangateAuthentication,
  startSandboxes,
} from '@app/sandboxes';

function numberFromEnv(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
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
  const host = process.env['SANDBOX_HOST'] ?? '127.0.0.1';
  const sandboxes = await startSandboxes({
    host,
    seed: numberFromEnv('SANDBOX_SEED', 1),
    digitalRiver: {
      port: numberFromEnv('DR_SANDBOX_PORT', 4010),
      rateLimitPerSecond: numberFromEnv('DR_SANDBOX_RATE_LIMIT', 25),
      faults: faultsFromEnv('DR_SANDBOX_FAULTS'),
    },
    twoCheckout: {
      port: numberFromEnv('TCO_SANDBOX_PORT', 4020),
      rateLimitPerSecond: numberFromEnv('TCO_SANDBOX_RATE_LIMIT', 0),
      faults: faultsFromEnv('TCO_SANDBOX_FAULTS'),
    },
  });
  const { digitalRiver: dr, twoCheckout: tco } = sandboxes;
  const exampleHeader = signAvangateAuthentication({ code: tco.merchantCode, secretKey: tco.secretKey });
  process.stdout.write(
    [
      'Provider sandboxes running (state in memory; Ctrl-C to stop)',
      '',
      `Digital River   ${dr.url}`,
      `  secret key    ${dr.secretKey}`,
      `  try           curl -H 'Authorization: Bearer ${dr.secretKey}' ${dr.url}/customers`,
      `  admin         ${dr.origin}/__admin/{reset,seed,customers,faults,rate-limit,stats,sources}`,
      '',
      `2Checkout 6.0   ${tco.url}`,
      `  merchant code ${tco.merchantCode}`,
      `  secret key    ${tco.secretKey}`,
      `  header now    X-Avangate-Authentication: ${exampleHeader}`,
      `  admin         ${tco.origin}/__admin/{reset,seed,customers,faults,rate-limit,stats}`,
      '',
    ].join('\n'),
  );
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
