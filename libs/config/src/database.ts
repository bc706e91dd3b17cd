import { join, resolve } from 'node:path';

import { BUILT_SNAPSHOT_DIR, type Database, openDatabase } from '@app/persistence';

import { type GatewayConfig } from './gateway.config';

/** The configured mirror: PostgreSQL at DATABASE_URL, else the embedded PGlite in DATA_DIR. */
export function openConfiguredDatabase(config: GatewayConfig): Promise<Database> {
  return openDatabase({
    url: config.DATABASE_URL,
    schema: config.DATABASE_SCHEMA,
    pgliteDataDir: resolve(join(config.DATA_DIR, 'pglite')),
    pgliteSnapshotDir: BUILT_SNAPSHOT_DIR,
    migrate: config.MIGRATE_ON_START,
  });
}
