import { Inject, Injectable } from '@nestjs/common';
import { DomainError } from '@app/domain';

import { Prisma } from '../../../generated/prisma/client';
import { databaseOutage } from './database-outage';
import { readMigrations } from './migrations/migration-files';
import { type DatabaseHandle } from './persistence.module';
import { DATABASE } from './prisma.tokens';

/**
 * Whether this instance can serve: the database answers and holds every migration this build
 * ships in `prisma/migrations`. A build whose migration has not run (MIGRATE_ON_START=false while
 * a deploy job is still migrating, or a database restored from an older backup) would fail on
 * the first query touching the new schema, so it must not receive traffic yet.
 *
 * Asked on the database's probe connection (`Database.probe`), never the request pool: a pool
 * busy with a burst says nothing about whether the instance can serve, and readiness failing on
 * every instance at once would leave the load balancer nowhere to send the burst.
 */
@Injectable()
export class Readiness {
  private expected: Promise<string[]> | undefined;

  private readonly probe: DatabaseHandle['probe'];

  constructor(@Inject(DATABASE) database: DatabaseHandle) {
    this.probe = database.probe;
  }

  /** Resolves when ready; throws `not_ready` naming what is missing otherwise. */
  async check(): Promise<{ migrations: number }> {
    try {
      await this.probe(Prisma.sql`SELECT 1`);
    } catch (error) {
      // Probed every few seconds through an outage: logged when it starts, not on every probe.
      databaseOutage.failed(error);
      throw new DomainError('not_ready', 'The database is unreachable.', [], { cause: error });
    }
    databaseOutage.succeeded();
    // The files do not change while the process runs: read them once.
    this.expected ??= readMigrations().then((files) => files.map((file) => file.name));
    const expected = await this.expected;
    const applied = new Set(await this.appliedMigrations());
    const missing = expected.filter((name) => !applied.has(name));
    if (missing.length > 0) {
      throw new DomainError(
        'not_ready',
        `The database lacks ${missing.length} migration(s) of this build: ${missing.join(', ')}.`,
      );
    }
    return { migrations: expected.length };
  }

  /** Prisma's own history (the table `prisma migrate deploy` keeps), absent on a fresh schema. */
  private async appliedMigrations(): Promise<string[]> {
    const [table] = await this.probe<{ present: boolean }>(Prisma.sql`
      SELECT to_regclass('_prisma_migrations') IS NOT NULL AS present`);
    if (table?.present !== true) return [];
    const rows = await this.probe<{ migration_name: string }>(Prisma.sql`
      SELECT migration_name FROM "_prisma_migrations"
       WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL`);
    return rows.map((row) => row.migration_name);
  }
}
