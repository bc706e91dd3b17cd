// First, so that every module loaded after it comes from the compile cache.
import './compile-cache';

import { type Server } from 'node:http';
import { type AddressInfo } from 'node:net';
import { resolve } from 'node:path';
import { setFlagsFromString } from 'node:v8';

import {
  ConfigError,
  type GatewayConfig,
  loadGatewayConfig,
  secretKeyring,
  tracesExporter,
  usesPrettyLogs,
} from '@app/config';
import { openConfiguredDatabase } from '@app/persistence';
import { startTelemetry } from '@app/telemetry';

import { ApiKeyRegistry, DEVELOPMENT_KEY_FILE, loadOrCreateDevelopmentKey } from './auth/api-keys';

/** The configured keys, or, outside production, a development key kept in the data directory. */
async function resolveApiKeys(
  config: GatewayConfig,
): Promise<{ registry: ApiKeyRegistry; developmentKey?: string }> {
  if (config.API_KEYS !== undefined) return { registry: new ApiKeyRegistry(config.API_KEYS) };
  if (config.NODE_ENV === 'production') {
    throw new ConfigError(['API_KEYS: required in production (a JSON array of {id, scopes, key|sha256})']);
  }
  const developmentKey = await loadOrCreateDevelopmentKey(config.DATA_DIR);
  return {
    registry: new ApiKeyRegistry([{ id: 'development', scopes: ['admin'], key: developmentKey }]),
    developmentKey,
  };
}

/** The configured provider accounts, or, outside production, the built-in sandboxes. */
async function resolveProviders(config: GatewayConfig) {
  if (config.PROVIDER_ACCOUNTS !== undefined) return { accounts: config.PROVIDER_ACCOUNTS };
  if (config.SANDBOXES === 'off' || config.NODE_ENV === 'production') return { accounts: [] };
  // Loaded only here, so a gateway with configured accounts never loads the sandboxes (nor
  // fastify, their server). A relative path: Nest's build rewrites `@app/...` in static imports only.
  const { startEmbeddedSandboxes } = await import('./sandboxes.js');
  const sandboxes = await startEmbeddedSandboxes();
  return { accounts: sandboxes.accounts, sandboxes };
}

interface Banner {
  url: string;
  database: string;
  sandboxes: string[] | undefined;
  accounts: readonly unknown[];
  developmentKey: string | undefined;
  /** The trace exporter when OpenTelemetry is on. */
  tracing: string | undefined;
}

/** What an operator at a terminal reads once the gateway listens. */
function bannerText({ url, database, sandboxes, accounts, developmentKey, tracing }: Banner): string {
  const lines = [
    `Customer Sync Gateway listening on ${url}`,
    `  Swagger UI:  ${url}/docs`,
    `  OpenAPI:     ${url}/docs-json`,
    `  Database:    ${database}`,
    sandboxes !== undefined
      ? `  Sandboxes:   ${sandboxes.join(', ')}`
      : `  Providers:   ${accounts.length} configured account(s)`,
  ];
  if (tracing !== undefined) lines.push(`  Tracing:     ${tracing} (OpenTelemetry)`);
  // The development key is printed for the operator at their own terminal; it is never logged.
  if (developmentKey !== undefined)
    lines.push(`  API key:     ${developmentKey}   (development key, scope admin)`);
  return `\n${lines.join('\n')}\n\n`;
}

/**
 * The same as one JSON line, shaped as the log lines around it (pino's `level`, `time`, `msg`), for
 * a log shipper that reads nothing else. Written whatever LOG_LEVEL says: it is the answer to "is it
 * up, and where". A development key stays out of it (log streams are kept and shared); it names the
 * file that holds the key instead.
 */
function bannerJson({
  url,
  database,
  sandboxes,
  accounts,
  developmentKey,
  tracing,
  config,
}: Banner & { config: GatewayConfig }) {
  const line = {
    level: 30,
    time: Date.now(),
    msg: 'Customer Sync Gateway listening',
    url,
    swaggerUi: `${url}/docs`,
    openApi: `${url}/docs-json`,
    database,
    ...(sandboxes !== undefined ? { sandboxes } : { providerAccounts: accounts.length }),
    ...(tracing !== undefined ? { tracing } : {}),
    ...(developmentKey !== undefined
      ? { developmentKeyFile: resolve(config.DATA_DIR, DEVELOPMENT_KEY_FILE) }
      : {}),
  };
  return `${JSON.stringify(line)}\n`;
}

async function main(): Promise<void> {
  const config = loadGatewayConfig();
  // Before anything that is traced is loaded or runs (Prisma's client, the HTTP server).
  const telemetry = await startTelemetry({
    exporter: tracesExporter(config),
    serviceName: config.OTEL_SERVICE_NAME,
  });
  const { registry, developmentKey } = await resolveApiKeys(config);
  // Fails here, in one line, rather than inside Nest's start-up.
  secretKeyring(config);
  // Most of the gateway's code is still to load: the best part of a second, all of it on this
  // thread. The database starts opening first, so that the embedded one's files are copied into a
  // fresh data directory (by the thread pool) meanwhile. Nest awaits it as the DATABASE provider.
  const database = openConfiguredDatabase(config);
  // Until then a failure is held for Nest to report, not an unhandled rejection.
  database.catch(() => undefined);
  const { createGatewayApp } = await import('./app.js');
  const { accounts, sandboxes } = await resolveProviders(config);
  const app = await createGatewayApp({
    config,
    apiKeys: registry,
    providerAccounts: accounts,
    onShutdown: async () => {
      await sandboxes?.close();
      // Last, so the spans of the shutdown itself are exported too.
      await telemetry.shutdown();
    },
    openDatabase: () => database,
  });
  await app.listen(config.PORT, config.HOST);
  if (sandboxes !== undefined) {
    const { DigitalRiverInbound } = await import('./provider-webhooks/digital-river-inbound.js');
    const inbound = app.get(DigitalRiverInbound);
    // A fresh sandbox each start: its new secret replaces the last run's at once.
    await sandboxes.connectWebhooks(
      (app.getHttpServer() as Server).address() as AddressInfo,
      (account, secret) => inbound.setSecret(account, secret, 0),
    );
  }

  // A wildcard address is not something to browse to; name the machine itself instead.
  const url = (await app.getUrl()).replace('[::]', 'localhost').replace('0.0.0.0', 'localhost');
  const databaseKind =
    config.DATABASE_URL === undefined
      ? `embedded PGlite in ${resolve(config.DATA_DIR, 'pglite')}`
      : 'PostgreSQL (DATABASE_URL)';
  process.stdout.write(
    usesPrettyLogs(config)
      ? bannerText({
          url,
          database: databaseKind,
          sandboxes: sandboxes?.addresses,
          accounts,
          developmentKey,
          tracing: telemetry.tracing ? tracesExporter(config) : undefined,
        })
      : bannerJson({
          url,
          database: databaseKind,
          sandboxes: sandboxes?.addresses,
          accounts,
          config,
          developmentKey,
          tracing: telemetry.tracing ? tracesExporter(config) : undefined,
        }),
  );

  // The embedded default runs on a developer's machine beside everything else: once ready it
  // trades some CPU for memory (V8's smallest young generation, an old generation that grows
  // slowly), which keeps it near 265 MB after 1,000 creates instead of 440 with Node's defaults.
  // Only once ready: start-up is mostly short-lived allocations, and under the small young
  // generation collecting them made the start 0.4 s slower (bench/README.md). Node documents
  // changing V8 flags while running (https://nodejs.org/api/v8.html#v8setflagsfromstringflags);
  // the bench's RSS row would show it if a Node version stopped honouring this one.
  if (config.DATABASE_URL === undefined) setFlagsFromString('--optimize-for-size');

  // Nest closes the server and the database on SIGTERM/SIGINT; this bounds how long that may take.
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => setTimeout(() => process.exit(1), config.SHUTDOWN_TIMEOUT_MS).unref());
  }
}

main().catch((error: unknown) => {
  if (error instanceof ConfigError) {
    process.stderr.write(`${error.message}\n`);
  } else {
    process.stderr.write(
      `The gateway failed to start: ${error instanceof Error ? error.message : String(error)}\n`,
    );
  }
  process.exit(1);
});
