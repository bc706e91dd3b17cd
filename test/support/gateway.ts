import { type AddressInfo } from 'node:net';

import { type INestApplication } from '@nestjs/common';
import { type ProviderChanges } from '@app/domain';
import { SyncEngine } from '@app/application';
import { createTestDatabase, type TestDatabase } from '@app/persistence';
import { type ProviderAdapters } from '@app/providers';
import { type RunningSandboxes, startSandboxes } from '@app/sandboxes';
import { type GatewayConfig, loadGatewayConfig } from '@app/config';

import { createGatewayApp } from '../../apps/gateway/src/app';
import { ApiKeyRegistry } from '../../apps/gateway/src/auth/api-keys';

/** One key per kind of caller the tests play. */
export const KEYS = {
  admin: 'test_admin_key_0123456789abcdef',
  writer: 'test_writer_key_0123456789abcdef',
  reader: 'test_reader_key_0123456789abcdef',
  otherWriter: 'test_other_writer_0123456789abcd',
  eraser: 'test_eraser_key_0123456789abcdef',
} as const;

export interface RunningGateway {
  app: INestApplication;
  url: string;
  prisma: Awaited<ReturnType<typeof createTestDatabase>>['prisma'];
  /** Delivers every pending link; fails the test if that takes longer than `timeoutMs`. */
  drain(timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

/**
 * Per-key limits no test reaches: suites test behaviour, not fair use, and send bursts through one
 * key. The fair-use suites (rate-limits*.spec.ts) set their own limits.
 */
export const BULK_LOAD_RATE_LIMITS = {
  RATE_LIMIT_READ_PER_SECOND: '100000',
  RATE_LIMIT_WRITE_PER_SECOND: '100000',
  RATE_LIMIT_PROVIDER_PER_SECOND: '100000',
  RATE_LIMIT_PROVIDER_TOTAL_PER_SECOND: '100000',
  // Suites send wrong and missing keys on purpose, all from 127.0.0.1.
  AUTH_FAILURES_PER_ADDRESS: '100000',
};

/**
 * The key tests seal secrets at rest with (SECRETS_ENCRYPTION_KEYS), so that a test of production
 * behaviour starts like production does, with a key of its own.
 */
export const TEST_ENCRYPTION_KEYS = `test:${Buffer.alloc(32, 7).toString('base64')}`;

/**
 * The real gateway on a loopback port, on a fresh database: in-memory PGlite, or a fresh
 * PostgreSQL schema when TEST_DATABASE_URL is set (as .ci/run does). With `database`, on that one
 * instead, left open when the gateway closes: a restart test starts the next gateway on it. With
 * `providerAdapters`, those instead of PROVIDER_ADAPTERS (a provider that exists only in a test).
 */
export async function startGateway(
  env: Record<string, string> = {},
  providerAccounts: readonly unknown[] = [],
  options: {
    database?: TestDatabase;
    providerAdapters?: ProviderAdapters;
    providerChanges?: ProviderChanges;
  } = {},
): Promise<RunningGateway> {
  const config: GatewayConfig = loadGatewayConfig({
    NODE_ENV: 'test',
    LOG_LEVEL: 'silent',
    ...BULK_LOAD_RATE_LIMITS,
    SECRETS_ENCRYPTION_KEYS: TEST_ENCRYPTION_KEYS,
    // Suites count the provider calls their requests make: DR's Events API reader would add its
    // own. The suites of inbound changes turn it on (test/provider-webhooks, test/crash/convergence).
    DR_EVENTS_CATCHUP_INTERVAL_SECONDS: '0',
    ...env,
  });
  const shared = options.database;
  const database = shared === undefined ? await createTestDatabase() : { ...shared, close: async () => {} };
  const apiKeys = new ApiKeyRegistry([
    { id: 'admin', scopes: ['admin'], key: KEYS.admin },
    { id: 'writer', scopes: ['customers:write'], key: KEYS.writer },
    { id: 'reader', scopes: ['customers:read'], key: KEYS.reader },
    { id: 'other-writer', scopes: ['customers:write'], key: KEYS.otherWriter },
    { id: 'eraser', scopes: ['customers:read', 'customers:erase'], key: KEYS.eraser },
  ]);
  const app = await createGatewayApp({
    config,
    apiKeys,
    providerAccounts,
    providerAdapters: options.providerAdapters,
    providerChanges: options.providerChanges,
    openDatabase: () => Promise.resolve(database),
  });
  await app.listen(0, '127.0.0.1');
  const { port } = app.getHttpServer().address() as AddressInfo;
  return {
    app,
    url: `http://127.0.0.1:${port}`,
    prisma: database.prisma,
    drain: async (timeoutMs = 60_000) => {
      if (!(await app.get(SyncEngine).drain(timeoutMs)))
        throw new Error(`links still pending after ${timeoutMs} ms`);
    },
    close: () => app.close(),
  };
}

export const bearer = (key: string) => ({ Authorization: `Bearer ${key}` });

/** A complete customer in the shape of Digital River's documented example (https://docs.digitalriver.com/digital-river-api-reference/2020-12-17/customers). */
export function johnSmith(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    externalReference: '5823594808',
    email: 'jsmith@digitalriver.com',
    givenName: 'John',
    familyName: 'Smith',
    companyName: 'Digital River',
    phone: '952-111-1111',
    address: {
      line1: '10380 Bren Rd W',
      city: 'Minnetonka',
      state: 'MN',
      postalCode: '55129',
      country: 'US',
      additionalAddressInfo: { neighborhood: 'Centro', division: '東京都', phoneticName: 'ジョン スミス' },
    },
    locale: 'en-US',
    type: 'individual',
    metadata: { coupon: 'SPRING20' },
    taxIdentifiers: [{ type: 'us_ein', value: '12-3456789' }],
    ...overrides,
  };
}

/** Retries and waits sized for tests: a failed call is tried again in tens of milliseconds. */
export const FAST_SYNC = {
  SYNC_WAIT_MS: '3000',
  SYNC_RETRY_BASE_MS: '20',
  SYNC_RETRY_MAX_MS: '300',
  SYNC_POLL_MS: '20',
};

/** One account per sandbox; a short breaker so one test's faults do not leak into the next. */
export function testAccounts(
  sandboxes: Pick<RunningSandboxes, 'accounts'>,
  overrides: Record<string, unknown> = {},
) {
  // The sandboxes' own limiter is off in tests, so the adapters' token bucket need not hold back.
  const resilience = {
    timeoutMs: 2_000,
    rateLimitPerSecond: 1_000,
    retry: { maxAttempts: 2, baseDelayMs: 10, maxDelayMs: 50 },
    circuitBreaker: { consecutiveFailures: 5, halfOpenAfterMs: 100 },
    ...overrides,
  };
  return sandboxes.accounts(resilience);
}

export interface GatewayWithSandboxes extends RunningGateway {
  sandboxes: RunningSandboxes;
}

/** The gateway wired to both built-in sandboxes, one account each, as the embedded default runs. */
export async function startGatewayWithSandboxes(
  env: Record<string, string> = {},
  accountOverrides: Record<string, unknown> = {},
): Promise<GatewayWithSandboxes> {
  // Tests send bursts; the test-key limit (25/s) has its own tests in the sandbox suites.
  const sandboxes = await startSandboxes({ 'digital-river': { rateLimitPerSecond: 0 } });
  const gateway = await startGateway({ ...FAST_SYNC, ...env }, testAccounts(sandboxes, accountOverrides));
  return {
    ...gateway,
    sandboxes,
    close: async () => {
      await gateway.close();
      await sandboxes.close();
    },
  };
}

/** A link as the API answers it. */
export interface Link {
  provider: string;
  account: string;
  reference: string;
  providerCustomerId: string | null;
  status: string;
  intent: string;
  syncedVersion: number | null;
  lastError: { code: string; message: string; field?: string } | null;
  unsupportedFields: string[];
  lossyFields: string[];
  erasure: { status: string; notErased: string[] } | null;
}

/** The customer's link to `provider`; fails the test when there is none. */
export function linkOf(body: { providers: Link[] }, provider: string): Link {
  const link = body.providers.find((l) => l.provider === provider);
  if (link === undefined) throw new Error(`no ${provider} link in ${JSON.stringify(body.providers)}`);
  return link;
}
