export {
  DEFAULT_PGLITE_DATA_DIR,
  IN_MEMORY,
  openDatabase,
  type Database,
  type OpenDatabaseOptions,
} from './database';
export { type CounterPool, openCounterPool } from './counter-pool';
export { databaseOutage, DatabaseOutageReporters, isDatabaseUnreachable, OutageLog } from './database-outage';
export {
  DEFAULT_MIGRATIONS_DIR,
  DEFAULT_SCHEMA_PATH,
  migrationChecksum,
  readMigrations,
  type MigrationFile,
} from './migrations/migration-files';
export {
  MigrationError,
  PRISMA_ADVISORY_LOCK_KEY,
  runMigrations,
  type MigrationRunOptions,
  type MigrationRunResult,
  type MigrationSession,
} from './migrations/migration-runner';
export {
  DEFAULT_POSTGRES_SCHEMA,
  openPostgresSession,
  parsePostgresUrl,
  pgliteSession,
} from './migrations/migration-session';
export { type DatabaseSettings, openConfiguredDatabase } from './configured-database';
export { BUILT_SNAPSHOT_DIR, buildMigratedSnapshot, migratedSnapshot } from './pglite-snapshot';
export { PGLITE_CHECKPOINTS, type PgliteCheckpointOptions, WAL_SINCE_CHECKPOINT } from './pglite-checkpoints';
export { assertTestDatabaseUrl, createTestDatabase, type TestDatabase } from './testing/test-database';
export * from './persistence.module';
export * from './prisma.tokens';
export * from './prisma-customer.repository';
export * from './prisma-migration.store';
export { PrismaSyncQueue } from './prisma-sync-queue';
export { PrismaProviderCallLog } from './prisma-provider-call-log';
export { awaitCommittedEvents, recordEvent, type NewEvent } from './event-log';
export { EventStore, toPublishedEvent, type EventQuery, type PublishedEvent } from './event-store';
export * from './gauge-readings';
export * from './idempotency-records';
export * from './key-holders';
export { WorkNotifications } from './work-notifications';
export { SECRET_KEYRING, SecretStore } from './secret-store';
export * from './provider-event-inbox';
export * from './webhook-store';
export { Readiness } from './readiness';
export {
  type PlanLimits,
  type PlanNode,
  PLAN_LIMITS,
  planProblems,
  relationsOf,
} from './testing/query-plans';
export {
  type RunStatement,
  scaleCustomerId,
  scaleEmail,
  scaleTwoCheckoutId,
  seedScaleMirror,
} from './testing/scale-seed';
export {
  type PurgeName,
  type PurgeRound,
  RETENTION_OPTIONS,
  RetentionPurges,
  type RetentionOptions,
} from './retention';
