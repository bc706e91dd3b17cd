import { z } from 'zod';

import { type ConflictPolicy, conflictPolicyProblems, type SyncOptions } from '@app/domain';
import { type MigrationOptions } from '@app/jobs';
import { DEVELOPMENT_ENCRYPTION_KEYS, parseEncryptionKeys, SecretKeyring } from '@app/secrets';

/**
 * Every setting the gateway and the migrator read from the environment (one image, one set of
 * variables), validated once at start-up. A bad value stops the process with one line per problem
 * naming the variable, never a stack trace.
 */

/**
 * `customers:erase` is apart from `customers:write` because forgetting cannot be undone: a service
 * that edits customers should not be able to wipe them. Bulk work (import, whole-base
 * reconciliation, migrations) needs `admin`.
 */
export const API_KEY_SCOPES = ['customers:read', 'customers:write', 'customers:erase', 'admin'] as const;

const apiKeySchema = z
  .object({
    id: z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, 'id must be 1-64 letters, digits, ".", "_" or "-"'),
    scopes: z.array(z.enum(API_KEY_SCOPES)).min(1),
    /** The key itself; hashed at start-up and then forgotten. */
    key: z.string().min(24, 'key must be at least 24 characters').optional(),
    /** Or its SHA-256 in hex, so the plain key never has to be in the environment. */
    sha256: z
      .string()
      .regex(/^[0-9a-f]{64}$/i, 'sha256 must be 64 hex digits')
      .optional(),
  })
  .refine((k) => (k.key === undefined) !== (k.sha256 === undefined), {
    message: 'give exactly one of "key" or "sha256"',
  });

/** A variable holding JSON: unset or blank is absent, anything unparseable names the variable. */
function jsonFromEnv(name: string, shape = 'a JSON array') {
  return z
    .string()
    .optional()
    .transform((raw, ctx) => {
      if (raw === undefined || raw.trim() === '') return undefined;
      try {
        return JSON.parse(raw) as unknown;
      } catch {
        ctx.addIssue({ code: 'custom', message: `${name} must be ${shape}` });
        return z.NEVER;
      }
    });
}

/** An optional http(s) URL named by its variable when it is not one. */
function httpUrl(name: string) {
  return z
    .string()
    .regex(/^https?:\/\/[^\s/]+/, `${name} must be an http:// or https:// URL`)
    .optional();
}

const booleanFromEnv = z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1');

export const envSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  HOST: z.string().min(1).default('127.0.0.1'),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'DATABASE_URL must be a postgresql:// URL')
    .optional(),
  DATABASE_SCHEMA: z
    .string()
    .regex(/^[a-z_][a-z0-9_]{0,62}$/, 'DATABASE_SCHEMA must be a plain lower-case identifier')
    .optional(),
  DATA_DIR: z.string().min(1).default('.data'),
  MIGRATE_ON_START: booleanFromEnv.default(true),
  API_KEYS: jsonFromEnv('API_KEYS').pipe(z.array(apiKeySchema).min(1).optional()),
  /**
   * The provider accounts, a JSON array; each entry is checked by its adapter's own schema at
   * start-up (see libs/providers). Unset outside production: the built-in sandboxes are started.
   */
  PROVIDER_ACCOUNTS: jsonFromEnv('PROVIDER_ACCOUNTS').pipe(
    z.array(z.record(z.string(), z.unknown())).optional(),
  ),
  /** Where a create goes when the caller names no providers: `provider[:account]`, comma-separated. */
  DEFAULT_PROVIDERS: z
    .string()
    .regex(
      /^\s*[a-z0-9-]+(:[A-Za-z0-9._-]+)?(\s*,\s*[a-z0-9-]+(:[A-Za-z0-9._-]+)?)*\s*$/,
      'DEFAULT_PROVIDERS looks like digital-river,two-checkout:eu',
    )
    .optional()
    .transform((raw) =>
      raw?.split(',').map((entry) => {
        const [provider = '', account] = entry.trim().split(':');
        return account === undefined ? { provider } : { provider, account };
      }),
    ),
  /** `auto` starts the built-in provider sandboxes when no PROVIDER_ACCOUNTS are configured. */
  SANDBOXES: z.enum(['auto', 'off']).default('auto'),
  /** How long a write waits for its providers before answering with links `pending`. */
  SYNC_WAIT_MS: z.coerce.number().int().min(0).max(60_000).default(2_000),
  /** A worker's lease on a link; must exceed the slowest provider call with its retries. */
  SYNC_LEASE_MS: z.coerce.number().int().min(1_000).default(60_000),
  /** Deliveries before a link is parked as failed. */
  SYNC_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(100).default(8),
  SYNC_RETRY_BASE_MS: z.coerce.number().int().min(1).default(500),
  SYNC_RETRY_MAX_MS: z.coerce.number().int().min(1).default(60_000),
  SYNC_BATCH: z.coerce.number().int().min(1).max(500).default(20),
  SYNC_CONCURRENCY: z.coerce.number().int().min(1).max(100).default(8),
  /**
   * Workers wake on the outbox's notifications; this is only the safety net for a lost one (while
   * a dropped LISTEN connection is being opened again), so it can be long and an idle gateway
   * stays idle.
   */
  SYNC_POLL_MS: z.coerce.number().int().min(10).default(10_000),
  /** `off` runs this instance as API only; another instance's worker delivers. */
  SYNC_WORKER: z.enum(['on', 'off']).default('on'),
  /**
   * What happens to a field changed at a provider outside the gateway, per provider and field:
   * `push` the canonical value back (the default) or `adopt` the provider's value (a new version,
   * sent to the other providers), e.g. `{"two-checkout": {"default": "push", "fields": {"phone": "adopt"}}}`.
   * Every problem is reported on a line of its own.
   */
  CONFLICT_POLICY: jsonFromEnv('CONFLICT_POLICY', 'a JSON object').pipe(
    z
      .unknown()
      .superRefine((policy, ctx) => {
        if (policy === undefined) return;
        for (const problem of conflictPolicyProblems(policy))
          ctx.addIssue({ code: 'custom', message: problem });
      })
      .transform((policy) => (policy ?? {}) as ConflictPolicy),
  ),
  /**
   * How often the copies at providers that announce no customer changes (2Checkout) are compared
   * with the mirror by a sweep (a reconciliation job); 0 turns the sweep off.
   */
  SWEEP_INTERVAL_SECONDS: z.coerce
    .number()
    .int()
    .min(0)
    .max(7 * 86_400)
    .default(3_600),
  /**
   * The share of each such provider account's request limit the sweep may use; live writes and
   * re-drives always go first (the sweep waits while the outbox has due work).
   */
  SWEEP_PROVIDER_SHARE: z.coerce.number().min(0.01).max(1).default(0.2),
  /**
   * Where migration batches go: `in-process`, or `pg-boss` so every gateway and `migrator worker`
   * on the same PostgreSQL shares runs. `auto`: pg-boss with DATABASE_URL, else in-process.
   */
  MIGRATION_QUEUE: z.enum(['auto', 'in-process', 'pg-boss']).default('auto'),
  /** The PostgreSQL schema pg-boss keeps its jobs in. */
  MIGRATION_QUEUE_SCHEMA: z
    .string()
    .regex(/^[a-z_][a-z0-9_]{0,62}$/, 'MIGRATION_QUEUE_SCHEMA must be a lower-case SQL identifier')
    .default('pgboss'),
  /** Batches each process works at once through pg-boss. */
  MIGRATION_WORKER_BATCHES: z.coerce.number().int().min(1).max(16).default(2),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** `auto`: readable lines when stdout is a terminal (outside production), JSON otherwise. */
  LOG_FORMAT: z.enum(['auto', 'json', 'pretty']).default('auto'),
  /**
   * A bearer token Prometheus presents to scrape `/metrics`. Without it `/metrics` is open outside
   * production and needs an `admin` key in production.
   */
  METRICS_TOKEN: z.string().min(24, 'METRICS_TOKEN must be at least 24 characters').optional(),
  BODY_LIMIT: z
    .string()
    .regex(/^\d+(b|kb|mb)$/i, 'BODY_LIMIT looks like 100kb or 1mb')
    .default('100kb'),
  /** Largest request head (request line and headers) Node accepts; beyond it, 431. */
  MAX_HEADER_BYTES: z.coerce.number().int().min(1_024).max(1_048_576).default(16_384),
  /** How long a whole request (headers and body) may take to arrive; beyond it, 408 and close. */
  REQUEST_TIMEOUT_MS: z.coerce.number().int().min(100).max(600_000).default(30_000),
  /** How long the request headers may take to arrive. */
  HEADERS_TIMEOUT_MS: z.coerce.number().int().min(100).max(600_000).default(10_000),
  /** How long an idle keep-alive connection stays open. */
  KEEP_ALIVE_TIMEOUT_MS: z.coerce.number().int().min(0).max(600_000).default(5_000),
  /** Reads (GET) one API key may make a second. */
  RATE_LIMIT_READ_PER_SECOND: z.coerce.number().int().min(1).max(1_000_000).default(200),
  /** Writes (POST, PATCH, DELETE) one API key may make a second. */
  RATE_LIMIT_WRITE_PER_SECOND: z.coerce.number().int().min(1).max(1_000_000).default(100),
  /**
   * Calls a second one API key may make to operations that call the providers on its behalf
   * (drift, sync, reconcile, import, reconciliations), on top of its read or write limit.
   */
  RATE_LIMIT_PROVIDER_PER_SECOND: z.coerce.number().int().min(1).max(1_000_000).default(5),
  /**
   * The same calls a second for all API keys together, so that many keys flooding drift cannot
   * add up to what one is refused; below the Digital River test account's 25 requests a second.
   */
  RATE_LIMIT_PROVIDER_TOTAL_PER_SECOND: z.coerce.number().int().min(1).max(1_000_000).default(10),
  /**
   * The share of RATE_LIMIT_PROVIDER_TOTAL_PER_SECOND kept for writes (live writes, re-drives,
   * repairs, imports): reads such as drift, from all keys together, get at most the rest (at
   * least one a second), so a flood of reads cannot starve them. Writes may use all of it.
   */
  RATE_LIMIT_PROVIDER_WRITE_SHARE: z.coerce.number().min(0).max(1).default(0.5),
  /**
   * Failed authentications (a missing or wrong API key) one client address may make in
   * AUTH_FAILURE_WINDOW_SECONDS before it is answered 429 until the window ends.
   */
  AUTH_FAILURES_PER_ADDRESS: z.coerce.number().int().min(1).max(1_000_000).default(20),
  AUTH_FAILURE_WINDOW_SECONDS: z.coerce.number().int().min(1).max(86_400).default(60),
  /**
   * Limits a second for the keys holding an API-key scope, instead of the defaults above, e.g.
   * `{"admin": {"write": 500}, "customers:read": {"read": 50, "provider": 1}}`. A key holding
   * several scopes gets the most generous limit any of them sets.
   */
  RATE_LIMITS_BY_SCOPE: jsonFromEnv('RATE_LIMITS_BY_SCOPE', 'a JSON object').pipe(
    z
      .partialRecord(
        z.enum(API_KEY_SCOPES),
        z
          .object({
            read: z.number().int().min(1).max(1_000_000),
            write: z.number().int().min(1).max(1_000_000),
            provider: z.number().int().min(1).max(1_000_000),
          })
          .partial()
          .strict(),
      )
      .optional(),
  ),
  /** Redis for the rate-limit counters, shared by every instance (else PostgreSQL, else memory). */
  REDIS_URL: z
    .string()
    .regex(/^rediss?:\/\//, 'REDIS_URL must be a redis:// or rediss:// URL')
    .optional(),
  /** How long an Idempotency-Key and its answer are kept; a later request may reuse the key. */
  IDEMPOTENCY_TTL_HOURS: z.coerce
    .number()
    .int()
    .min(1)
    .max(24 * 30)
    .default(24),
  SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().min(0).default(10_000),
  /** How long events stay readable (GET /v1/events); older ones are purged periodically. */
  EVENT_RETENTION_HOURS: z.coerce
    .number()
    .positive()
    .max(24 * 365)
    .default(24 * 30),
  /**
   * Retention of every table that grows with traffic (libs/persistence retention.ts): each purge
   * round deletes what is past its window in batches of RETENTION_BATCH_SIZE rows, each batch its
   * own short transaction, so no purge holds a lock for long.
   */
  RETENTION_INTERVAL_SECONDS: z.coerce.number().int().min(1).max(86_400).default(300),
  RETENTION_BATCH_SIZE: z.coerce.number().int().min(1).max(100_000).default(1_000),
  /** The provider-call audit trail (`provider_calls`, GET /v1/customers/{id}/provider-calls). */
  PROVIDER_CALL_RETENTION_HOURS: z.coerce
    .number()
    .positive()
    .max(24 * 365)
    .default(24 * 7),
  /** Items of completed migration and reconciliation runs, counted from the run's end. */
  RUN_ITEM_RETENTION_HOURS: z.coerce
    .number()
    .positive()
    .max(24 * 365)
    .default(24 * 30),
  /** Webhook deliveries that ended (delivered or given up), counted from their end. */
  WEBHOOK_DELIVERY_RETENTION_HOURS: z.coerce
    .number()
    .positive()
    .max(24 * 365)
    .default(24 * 7),
  /** How long a deleted customer answers 410 before 404 and is purged. */
  TOMBSTONE_RETENTION_HOURS: z.coerce
    .number()
    .positive()
    .max(24 * 365)
    .default(24 * 30),
  /** How long a webhook delivery is retried (exponential backoff) before it is given up. */
  WEBHOOK_RETRY_FOR_HOURS: z.coerce
    .number()
    .positive()
    .max(24 * 30)
    .default(72),
  /** The first retry's delay; each further one doubles, up to WEBHOOK_RETRY_MAX_MS, with jitter. */
  WEBHOOK_RETRY_BASE_MS: z.coerce.number().int().min(1).default(10_000),
  WEBHOOK_RETRY_MAX_MS: z.coerce.number().int().min(1).default(3_600_000),
  /** Consecutive failed attempts after which an endpoint is disabled, with the reason recorded. */
  WEBHOOK_DISABLE_AFTER_FAILURES: z.coerce.number().int().min(1).default(100),
  /** How long one delivery may take before it counts as failed (timeout). */
  WEBHOOK_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(10_000),
  /**
   * Dispatchers wake on the webhook outbox's notifications and on their earliest retry; this is
   * only the safety net for a lost notification (while a dropped LISTEN connection is being
   * opened again).
   */
  WEBHOOK_POLL_MS: z.coerce.number().int().min(10).default(10_000),
  /**
   * After a webhook secret is rotated, how long deliveries are still signed with the previous one
   * too (unless the rotation asks for another overlap), so receivers can switch without a gap.
   */
  WEBHOOK_SECRET_OVERLAP_HOURS: z.coerce
    .number()
    .min(0)
    .max(24 * 7)
    .default(24),
  /**
   * How often each Digital River account's Events API is read for events a webhook did not bring
   * (the gateway was down, a delivery was lost or webhooks are off). Fractions allowed (tests);
   * 0 turns the reader off (a suite that counts provider calls, or an operator's choice).
   */
  DR_EVENTS_CATCHUP_INTERVAL_SECONDS: z.coerce
    .number()
    .max(86_400)
    .refine((seconds) => seconds === 0 || seconds >= 0.05, 'must be 0 (off) or at least 0.05')
    .default(60),
  /** How far a Digital River webhook's signed timestamp may be from now before it is refused. */
  DR_WEBHOOK_TOLERANCE_SECONDS: z.coerce.number().int().min(1).max(86_400).default(300),
  /**
   * How long the ids of provider events already received are kept to recognise duplicates; older
   * ones are purged. Longer than the provider retries a delivery (Digital River: 72 hours).
   */
  PROVIDER_EVENT_RETENTION_HOURS: z.coerce
    .number()
    .positive()
    .max(24 * 365)
    .default(24 * 7),
  /** Allows webhook URLs on loopback, link-local and private networks in production. */
  WEBHOOK_ALLOW_PRIVATE_NETWORKS: booleanFromEnv.default(false),
  /**
   * Keys that encrypt secrets at rest (webhook signing secrets): comma-separated
   * `<key id>:<32 bytes in base64>`, the first encrypting, all decrypting. Required in production;
   * elsewhere a development key built into the source is used.
   */
  SECRETS_ENCRYPTION_KEYS: z
    .string()
    .optional()
    .superRefine((raw, ctx) => {
      if (raw === undefined) return;
      try {
        parseEncryptionKeys(raw);
      } catch (error) {
        ctx.addIssue({ code: 'custom', message: (error as Error).message });
      }
    }),
  /**
   * Distributed tracing (OpenTelemetry), off unless an exporter is configured. The standard
   * variables (https://opentelemetry.io/docs/specs/otel/configuration/sdk-environment-variables/)
   * are checked here and read by the SDK itself; see tracesExporter.
   */
  OTEL_SDK_DISABLED: booleanFromEnv.default(false),
  /** `otlp`, `console` (spans on stdout, for debugging) or `none`; unset: `otlp` once an endpoint is set. */
  OTEL_TRACES_EXPORTER: z.enum(['otlp', 'console', 'none']).optional(),
  /** The collector's base URL; spans go to its `/v1/traces`. */
  OTEL_EXPORTER_OTLP_ENDPOINT: httpUrl('OTEL_EXPORTER_OTLP_ENDPOINT'),
  /** The full URL spans are posted to, instead of the one OTEL_EXPORTER_OTLP_ENDPOINT implies. */
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: httpUrl('OTEL_EXPORTER_OTLP_TRACES_ENDPOINT'),
  /** The exporter installed sends OTLP/HTTP with JSON bodies, which collectors take on the same port. */
  OTEL_EXPORTER_OTLP_PROTOCOL: z.enum(['http/json'], { message: 'only http/json is supported' }).optional(),
  OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: z
    .enum(['http/json'], { message: 'only http/json is supported' })
    .optional(),
  /** `key=value` pairs, comma-separated, sent with every export. A secret (a collector's token): never logged. */
  OTEL_EXPORTER_OTLP_HEADERS: z
    .string()
    .regex(
      /^\s*[^=,\s]+\s*=[^,]*(,\s*[^=,\s]+\s*=[^,]*)*$/,
      'OTEL_EXPORTER_OTLP_HEADERS looks like key=value,key2=value2',
    )
    .optional(),
  /** The span resource's `service.name`. */
  OTEL_SERVICE_NAME: z.string().min(1).default('customer-sync-gateway'),
  /** Which traces are recorded; `parentbased_always_on` follows the caller's sampled flag. */
  OTEL_TRACES_SAMPLER: z
    .enum([
      'always_on',
      'always_off',
      'traceidratio',
      'parentbased_always_on',
      'parentbased_always_off',
      'parentbased_traceidratio',
    ])
    .optional(),
  OTEL_TRACES_SAMPLER_ARG: z.coerce.number().min(0).max(1).optional(),
  /** More resource attributes, `key=value` pairs, comma-separated (e.g. `deployment.environment.name=prod`). */
  OTEL_RESOURCE_ATTRIBUTES: z.string().optional(),
});

export type GatewayConfig = z.infer<typeof envSchema>;

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

export function loadGatewayConfig(env: NodeJS.ProcessEnv = process.env): GatewayConfig {
  const parsed = envSchema.safeParse(env);
  if (parsed.success) {
    return parsed.data;
  }
  throw new ConfigError(
    parsed.error.issues.map((issue) => {
      const [variable, ...rest] = issue.path.map(String);
      const where = rest.length > 0 ? `${variable} (${rest.join('.')})` : (variable ?? 'environment');
      return `${where}: ${issue.message}`;
    }),
  );
}

/**
 * Where spans go: nowhere unless tracing is configured, so an unconfigured gateway never sends
 * `traceparent` headers nor spends a span on a request. OTEL_TRACES_EXPORTER wins; else an OTLP
 * endpoint turns OTLP on (the specification's default exporter, here only once asked for).
 */
export function tracesExporter(config: GatewayConfig): 'otlp' | 'console' | 'none' {
  if (config.OTEL_SDK_DISABLED) return 'none';
  if (config.OTEL_TRACES_EXPORTER !== undefined) return config.OTEL_TRACES_EXPORTER;
  const endpoint = config.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ?? config.OTEL_EXPORTER_OTLP_ENDPOINT;
  return endpoint === undefined ? 'none' : 'otlp';
}

/** The sync engine's settings, shared by the gateway and the migrator. */
export function syncOptions(config: GatewayConfig): SyncOptions {
  return {
    leaseMs: config.SYNC_LEASE_MS,
    maxAttempts: config.SYNC_MAX_ATTEMPTS,
    retryBaseMs: config.SYNC_RETRY_BASE_MS,
    retryMaxMs: config.SYNC_RETRY_MAX_MS,
    batchSize: config.SYNC_BATCH,
    concurrency: config.SYNC_CONCURRENCY,
    pollIntervalMs: config.SYNC_POLL_MS,
    waitMs: config.SYNC_WAIT_MS,
    // Half the shutdown budget, leaving the rest to close the server and the database.
    shutdownGraceMs: Math.floor(config.SHUTDOWN_TIMEOUT_MS / 2),
  };
}

/** The migration job's settings; `work` says whether this process works pg-boss batches. */
export function migrationOptions(config: GatewayConfig, work: boolean): MigrationOptions {
  const pgBoss =
    config.MIGRATION_QUEUE === 'pg-boss' ||
    (config.MIGRATION_QUEUE === 'auto' && config.DATABASE_URL !== undefined);
  if (pgBoss && config.DATABASE_URL === undefined) {
    throw new ConfigError(['MIGRATION_QUEUE: pg-boss needs DATABASE_URL (PostgreSQL)']);
  }
  return {
    // A delivery leased by a killed process is taken over once its lease runs out.
    settleTimeoutMs: config.SYNC_LEASE_MS * 2 + config.SYNC_RETRY_MAX_MS,
    queue: pgBoss
      ? {
          kind: 'pg-boss',
          connectionString: config.DATABASE_URL!,
          schema: config.MIGRATION_QUEUE_SCHEMA,
          work,
          localConcurrency: config.MIGRATION_WORKER_BATCHES,
        }
      : { kind: 'in-process' },
  };
}

/**
 * The keyring secrets at rest are sealed with: SECRETS_ENCRYPTION_KEYS, required in production;
 * outside it, the development key (so a development database never holds secrets in the clear).
 */
export function secretKeyring(
  config: Pick<GatewayConfig, 'NODE_ENV' | 'SECRETS_ENCRYPTION_KEYS'>,
): SecretKeyring {
  if (config.SECRETS_ENCRYPTION_KEYS !== undefined)
    return SecretKeyring.parse(config.SECRETS_ENCRYPTION_KEYS);
  if (config.NODE_ENV === 'production') {
    throw new ConfigError([
      'SECRETS_ENCRYPTION_KEYS: required in production (comma-separated "<key id>:<32 bytes in base64>")',
    ]);
  }
  return SecretKeyring.parse(DEVELOPMENT_ENCRYPTION_KEYS);
}
