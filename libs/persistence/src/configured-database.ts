import { join, resolve } from 'node:path';

import { type Database, openDatabase } from './database';
import { BUILT_SNAPSHOT_DIR } from './pglite-snapshot';

/** The settings an app's configuration gives for its mirror (see libs/config's schema). */
export interface DatabaseSettings {
  DATABASE_URL?: string | undefined;
  DATABASE_SCHEMA?: string | undefined;
  DATA_DIR: string;
  MIGRATE_ON_START: boolean;
}

/** The configured mirror: PostgreSQL at DATABASE_URL, else the embedded PGlite in DATA_DIR. */
export function openConfiguredDatabase(settings: DatabaseSettings): Promise<Database> {
  return openDatabase({
    url: settings.DATABASE_URL,
    schema: settings.DATABASE_SCHEMA,
    pgliteDataDir: resolve(join(settings.DATA_DIR, 'pglite')),
    pgliteSnapshotDir: BUILT_SNAPSHOT_DIR,
    migrate: settings.MIGRATE_ON_START,
  });
}
