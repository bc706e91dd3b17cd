import { type z } from 'zod';

import { type envSchema } from './gateway.config';

/**
 * What each variable of the configuration schema (gateway.config.ts) means, for the README's
 * configuration table, which `npm run config:table` writes from the schema and this (CI runs it
 * with `--check`). Typed by the schema's keys: a variable added there without a line here does not
 * compile, so none goes undocumented.
 */
export const VARIABLE_MEANINGS: { readonly [Name in keyof z.input<typeof envSchema>]-?: string } = {
  NODE_ENV: '`production` requires `API_KEYS`',
  HOST: 'interface to listen on (`0.0.0.0` in containers)',
  PORT: 'port (`0` picks a free one)',
  DATABASE_URL:
    '`postgresql://…`; unset means embedded PGlite in `DATA_DIR/pglite` (a fresh one starts as a copy of the migrated cluster `npm run build` leaves in `dist/pglite-migrated`: one database, no templates)',
  DATABASE_SCHEMA: 'PostgreSQL schema to use (`public` when unset)',
  DATA_DIR: 'where the embedded database and the development key live',
  MIGRATE_ON_START: 'apply pending migrations from `prisma/migrations` at start-up',
  API_KEYS:
    'JSON array of `{ "id", "scopes": [...], "key" }` or `{ "id", "scopes", "sha256" }` (hex SHA-256 of the key). Scopes: `customers:read`, `customers:write` (includes read), `customers:erase`, `admin` (everything). Unset outside production: a development key is made. Required in production.',
  PROVIDER_ACCOUNTS:
    'JSON array of provider accounts, each `{ "provider": "digital-river" | "two-checkout", "account", ... }` with its adapter\'s own settings (credentials, base URL, resilience), checked at start-up. Unset outside production: the built-in sandboxes are started (see `SANDBOXES`)',
  DEFAULT_PROVIDERS:
    'where a create goes when the caller names no `providers`: `provider[:account]`, comma-separated, e.g. `digital-river,two-checkout:eu`; unset: every configured account',
  SANDBOXES:
    '`auto` starts the built-in provider sandboxes when no `PROVIDER_ACCOUNTS` are configured (never in production); `off` starts none',
  SYNC_WAIT_MS: 'how long a write waits for its providers before answering with links `pending`',
  SYNC_LEASE_MS: "a worker's lease on a link; must exceed the slowest provider call with its retries",
  SYNC_MAX_ATTEMPTS: 'deliveries of a link before it is parked as `failed`',
  SYNC_RETRY_BASE_MS:
    "the first retry's delay of a failed delivery; each further one doubles (with jitter) up to `SYNC_RETRY_MAX_MS`",
  SYNC_RETRY_MAX_MS: 'the longest wait between two deliveries of a link',
  SYNC_BATCH: 'links a worker leases at once',
  SYNC_CONCURRENCY: 'provider calls a worker makes at once',
  SYNC_POLL_MS:
    'how often an idle worker looks for due links even without a notification (safety net for a lost one)',
  SYNC_WORKER: "`off` runs this instance as API only; another instance's worker delivers the links",
  CONFLICT_POLICY:
    'JSON: what happens to a field changed at a provider outside the gateway, per provider and field: `push` the canonical value back (default) or `adopt` the provider\'s value into the mirror (a new version, sent to the other providers), e.g. `{"two-checkout": {"default": "push", "fields": {"phone": "adopt"}}}`. A deletion at a provider is always pushed back (recreated)',
  SWEEP_INTERVAL_SECONDS:
    'how often the copies at providers that announce no customer changes (2Checkout) are read and compared with the mirror, as a reconciliation job (`GET /v1/reconciliations`, `trigger: sweep`); `0` turns the sweep off',
  SWEEP_PROVIDER_SHARE:
    "the share of each such provider account's request limit the sweep may use; live writes and re-drives always go first",
  MIGRATION_QUEUE:
    '`in-process`, or `pg-boss` to share migration runs across processes on PostgreSQL; `auto`: pg-boss when `DATABASE_URL` is set',
  MIGRATION_QUEUE_SCHEMA: 'the PostgreSQL schema pg-boss keeps its jobs in',
  MIGRATION_WORKER_BATCHES: 'migration batches each process works at once through pg-boss',
  LOG_LEVEL: '`fatal` … `trace`, or `silent`',
  LOG_FORMAT:
    '`json`, `pretty` (readable lines, pino-pretty), or `auto`: pretty when stdout is a terminal outside production, JSON otherwise',
  METRICS_TOKEN:
    'bearer token (≥ 24 characters) that may scrape `/metrics`; when set, or in production, `/metrics` needs it or an `admin` key',
  BODY_LIMIT: 'largest accepted request body (413 beyond)',
  MAX_HEADER_BYTES: 'largest request head (request line and headers); 431 beyond',
  REQUEST_TIMEOUT_MS:
    'how long a whole request (headers and body) may take to arrive; 408 and the connection closed beyond',
  HEADERS_TIMEOUT_MS: 'how long the request headers may take to arrive',
  KEEP_ALIVE_TIMEOUT_MS: 'how long an idle keep-alive connection stays open',
  RATE_LIMIT_READ_PER_SECOND: 'reads (GET) one API key may make a second',
  RATE_LIMIT_WRITE_PER_SECOND: 'writes (POST, PATCH, DELETE) one API key may make a second',
  RATE_LIMIT_PROVIDER_PER_SECOND:
    'calls a second one API key may make to operations that call the providers on its behalf (drift, sync, reconcile, import, reconciliations), on top of its read or write limit',
  RATE_LIMIT_PROVIDER_TOTAL_PER_SECOND:
    'the same calls a second for all API keys together, so that many keys flooding drift cannot add up to what one is refused',
  RATE_LIMITS_BY_SCOPE:
    'JSON: the per-key limits above set apart for keys holding an API-key scope, e.g. `{"admin": {"write": 500}, "customers:read": {"read": 50, "provider": 1}}`; a key with several scopes gets the most generous',
  REDIS_URL:
    '`redis://…`: keep the rate-limit counters in Redis, shared by every instance; unset: in PostgreSQL with `DATABASE_URL`, else in memory',
  IDEMPOTENCY_TTL_HOURS: "how long an `Idempotency-Key`'s first answer is replayed",
  SHUTDOWN_TIMEOUT_MS: 'how long a graceful shutdown may take before the process exits',
  EVENT_RETENTION_HOURS:
    'how long events stay readable in `GET /v1/events` (fractions allowed); older ones are purged periodically, except those a webhook delivery still has to send',
  RETENTION_INTERVAL_SECONDS:
    'how often each instance runs a purge round over every table with a retention (events, deliveries, provider calls, run items, tombstones, received provider events, `Idempotency-Key` records)',
  RETENTION_BATCH_SIZE:
    'rows one purge statement deletes at most; each batch commits on its own, so a purge never holds long locks',
  PROVIDER_CALL_RETENTION_HOURS:
    'how long the provider-call audit trail (`GET /v1/customers/{id}/provider-calls`) keeps a call (fractions allowed)',
  RUN_ITEM_RETENTION_HOURS:
    "how long a completed migration's or reconciliation's per-customer items (and then the run) are kept after it ended; items of running, interrupted or cancelled runs are kept",
  WEBHOOK_DELIVERY_RETENTION_HOURS:
    'how long a delivered or given-up webhook delivery stays in the delivery log after it ended; pending ones are kept',
  TOMBSTONE_RETENTION_HOURS:
    'how long a deleted customer answers 410 before 404 and is purged (once no provider link of it is still pending)',
  WEBHOOK_RETRY_FOR_HOURS:
    'how long a failing webhook delivery is retried before it is given up (fractions allowed)',
  WEBHOOK_RETRY_BASE_MS:
    "the first retry's delay; each further one doubles (with jitter) up to `WEBHOOK_RETRY_MAX_MS`",
  WEBHOOK_RETRY_MAX_MS: 'the longest wait between two attempts of a delivery',
  WEBHOOK_DISABLE_AFTER_FAILURES:
    'consecutive failed attempts after which an endpoint is disabled (the reason is shown on it)',
  WEBHOOK_TIMEOUT_MS: 'how long one delivery may take before it counts as failed',
  WEBHOOK_POLL_MS:
    'how often an idle webhook worker looks for due deliveries even without a notification (safety net)',
  WEBHOOK_ALLOW_PRIVATE_NETWORKS:
    'in production, allow webhook URLs whose host resolves to loopback, link-local or private addresses',
  RATE_LIMIT_PROVIDER_WRITE_SHARE:
    'the share of that shared provider budget kept for writes (live writes, `POST …/sync`, `…/reconcile`, import): reads such as drift, from all keys together, get at most the rest (at least 1 a second)',
  AUTH_FAILURES_PER_ADDRESS:
    'failed authentications (missing or wrong key) one client address may make in `AUTH_FAILURE_WINDOW_SECONDS`; beyond, 429 `rate_limited` with `Retry-After` until the window ends',
  AUTH_FAILURE_WINDOW_SECONDS: 'the window `AUTH_FAILURES_PER_ADDRESS` counts in',
  DR_EVENTS_CATCHUP_INTERVAL_SECONDS:
    "how often each Digital River account's Events API is read for events no webhook brought (gateway down, delivery lost, webhooks off); fractions allowed; `0` turns it off",
  DR_WEBHOOK_TOLERANCE_SECONDS:
    "how far a Digital River webhook's signed timestamp may be from now before it is refused as stale",
  PROVIDER_EVENT_RETENTION_HOURS:
    'how long received provider event ids are kept to drop duplicates (longer than the provider retries: DR 72 h); older ones are purged',
  WEBHOOK_SECRET_OVERLAP_HOURS:
    'after a webhook secret is rotated, how long deliveries are still signed with the previous one too (0–168; a rotation may name its own)',
  SECRETS_ENCRYPTION_KEYS:
    'keys encrypting secrets at rest: comma-separated `<key id>:<32 bytes in base64>`, the first encrypting, all decrypting (rotation: see Events and webhooks). Required in production; elsewhere unset means a development key built into the source',
  OTEL_SDK_DISABLED: '`true` turns tracing off whatever else is set',
  OTEL_TRACES_EXPORTER:
    '`otlp`, `console` (spans on stdout) or `none`; unset: `otlp` once an OTLP endpoint is set, else tracing is off (see [Tracing](#tracing))',
  OTEL_EXPORTER_OTLP_ENDPOINT:
    '`http(s)://…` of an OpenTelemetry collector; spans are posted to its `/v1/traces` as OTLP/HTTP JSON. Setting it turns tracing on',
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT:
    'the full URL spans are posted to, instead of the one `OTEL_EXPORTER_OTLP_ENDPOINT` implies',
  OTEL_EXPORTER_OTLP_PROTOCOL:
    'only `http/json` is supported (the exporter installed); anything else stops the gateway at start-up',
  OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'the same, for traces alone',
  OTEL_EXPORTER_OTLP_HEADERS: 'headers sent with every export, e.g. `authorization=Bearer …` (never logged)',
  OTEL_SERVICE_NAME: "the spans' `service.name`",
  OTEL_TRACES_SAMPLER:
    "which traces are kept; unset: `parentbased_always_on`, which follows the caller's sampled flag; `parentbased_traceidratio` with `OTEL_TRACES_SAMPLER_ARG` keeps a share of new traces",
  OTEL_TRACES_SAMPLER_ARG: 'the share (0-1) a ratio sampler keeps',
  OTEL_RESOURCE_ATTRIBUTES:
    'more resource attributes on every span, `key=value` pairs, comma-separated (e.g. `deployment.environment.name=prod`)',
};

/**
 * Variables read outside the configuration schema: by `npm run sandbox` (apps/sandbox) and by the
 * test rings. `<PREFIX>` is each sandbox's (`DR` for Digital River, `TCO` for 2Checkout).
 */
export const OTHER_VARIABLES: Readonly<Record<string, string>> = {
  SANDBOX_HOST: '`npm run sandbox`: the interface the sandboxes listen on (`127.0.0.1`)',
  SANDBOX_SEED: "`npm run sandbox`: the seed of the sandboxes' generated data (`1`)",
  '<PREFIX>_SANDBOX_PORT': "`npm run sandbox`: that sandbox's port (DR `4010`, TCO `4020`)",
  '<PREFIX>_SANDBOX_RATE_LIMIT':
    "`npm run sandbox`: that sandbox's requests a second per test key (its default: DR 25, TCO 0 = off)",
  '<PREFIX>_SANDBOX_FAULTS': '`npm run sandbox`: faults that sandbox injects (FaultConfig JSON)',
  TEST_DATABASE_URL:
    'tests: run the `database` and `http` rings on this PostgreSQL (a fresh schema per test file) instead of PGlite',
  CHROMIUM_PATH: 'tests: the Chromium or Chrome the `browser` ring drives',
  CHAOS_CRASH_AT:
    'the crash ring only: the crash point (test/support/crash-points.ts, preloaded with `node -r`) at which a spawned gateway SIGKILLs itself',
  CHAOS_CRASH_REQUESTS: 'the crash ring only: how many requests park at `CHAOS_CRASH_AT` before the SIGKILL',
};
