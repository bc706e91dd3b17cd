import { Inject, Injectable } from '@nestjs/common';

import { Prisma, type PrismaClient } from '../../../generated/prisma/client';
import { PRISMA_CLIENT } from './prisma.tokens';

export const RETENTION_OPTIONS = 'RETENTION_OPTIONS';

/** How long each table keeps its rows, in milliseconds, and how a purge round proceeds. */
export interface RetentionOptions {
  /** `provider_calls`: from the call (PROVIDER_CALL_RETENTION_HOURS). */
  providerCallsMs: number;
  /** `migration_items` of completed runs, then the runs: from the run's end (RUN_ITEM_RETENTION_HOURS). */
  runItemsMs: number;
  /** `webhook_deliveries` delivered or given up: from their end (WEBHOOK_DELIVERY_RETENTION_HOURS). */
  webhookDeliveriesMs: number;
  /** `events`: from the event (EVENT_RETENTION_HOURS). */
  eventsMs: number;
  /** `customers` tombstones: from the delete (TOMBSTONE_RETENTION_HOURS). */
  tombstonesMs: number;
  /** `provider_events` acted on: from their receipt (PROVIDER_EVENT_RETENTION_HOURS). */
  receivedProviderEventsMs: number;
  /** Rows one statement deletes at most (RETENTION_BATCH_SIZE). */
  batchSize: number;
  /**
   * Batches one purge runs per round at most: under an inflow faster than a round can delete, the
   * round still ends (and the next carries on), so a round's length stays bounded too.
   */
  maxBatchesPerRound: number;
}

/** What one round deleted from each table. */
export type PurgeRound = Record<PurgeName, number>;

/**
 * One purge: the statement deleting at most `limit` rows past the window, or none when the table
 * has no retention here. Every statement picks its rows with `FOR UPDATE SKIP LOCKED` and deletes
 * them by `ctid` in the same statement: it takes row locks only, on rows nobody else holds, for
 * the time of one batch (its own transaction), so a request never queues behind a purge; a row a
 * request holds is skipped and taken at a later round.
 */
interface Purge {
  statement(now: Date, limit: number): Prisma.Sql | undefined;
}

const before = (now: Date, ms: number) => new Date(now.getTime() - ms);

/**
 * Every table that grows with traffic, and how it is purged. Each keeps what is still needed:
 * an event a webhook delivery still has to send, a pending delivery, the items of a run that is
 * not completed (running, interrupted or cancelled: it may be resumed), a deleted customer with a
 * link not yet settled at its provider.
 */
function purges(options: RetentionOptions) {
  return {
    providerCalls: {
      statement: (now, limit) => Prisma.sql`
        DELETE FROM provider_calls WHERE ctid IN (
          SELECT ctid FROM provider_calls
           WHERE created_at < ${before(now, options.providerCallsMs)}
           LIMIT ${limit} FOR UPDATE SKIP LOCKED)`,
    },
    runItems: {
      statement: (now, limit) => Prisma.sql`
        DELETE FROM migration_items WHERE ctid IN (
          SELECT i.ctid FROM migration_items i
            JOIN migration_runs r ON r.id = i.run_id
           WHERE r.status = 'completed' AND r.finished_at < ${before(now, options.runItemsMs)}
           LIMIT ${limit} FOR UPDATE OF i SKIP LOCKED)`,
    },
    /** A completed run goes once its items are gone (the statement above empties it first). */
    runs: {
      statement: (now, limit) => Prisma.sql`
        DELETE FROM migration_runs WHERE ctid IN (
          SELECT r.ctid FROM migration_runs r
           WHERE r.status = 'completed' AND r.finished_at < ${before(now, options.runItemsMs)}
             AND NOT EXISTS (SELECT 1 FROM migration_items i WHERE i.run_id = r.id)
           LIMIT ${limit} FOR UPDATE SKIP LOCKED)`,
    },
    webhookDeliveries: {
      statement: (now, limit) => Prisma.sql`
        DELETE FROM webhook_deliveries WHERE ctid IN (
          SELECT ctid FROM webhook_deliveries
           WHERE finished_at < ${before(now, options.webhookDeliveriesMs)} AND status <> 'pending'
           LIMIT ${limit} FOR UPDATE SKIP LOCKED)`,
    },
    /** An event's remaining (finished) deliveries go with it, by the foreign key's cascade. */
    events: {
      statement: (now, limit) => Prisma.sql`
        DELETE FROM events WHERE ctid IN (
          SELECT e.ctid FROM events e
           WHERE e.created_at < ${before(now, options.eventsMs)}
             AND NOT EXISTS (SELECT 1 FROM webhook_deliveries d WHERE d.event_id = e.id AND d.status = 'pending')
           LIMIT ${limit} FOR UPDATE SKIP LOCKED)`,
    },
    idempotencyRecords: {
      statement: (now, limit) => Prisma.sql`
        DELETE FROM idempotency_records WHERE ctid IN (
          SELECT ctid FROM idempotency_records
           WHERE expires_at <= ${now}
           LIMIT ${limit} FOR UPDATE SKIP LOCKED)`,
    },
    /**
     * A tombstone goes with its links (cascade) once every link is settled: synced (the provider's
     * copy deleted or erased) and leased by no worker. A link still pending, or failed (the
     * provider may still hold the customer: an operator redrives it), keeps the tombstone, whose
     * references are how the gateway still finds that copy.
     */
    tombstones: {
      statement: (now, limit) => Prisma.sql`
        DELETE FROM customers WHERE ctid IN (
          SELECT c.ctid FROM customers c
           WHERE c.deleted_at < ${before(now, options.tombstonesMs)}
             AND NOT EXISTS (
                   SELECT 1 FROM provider_links l
                    WHERE l.customer_id = c.id
                      AND (l.status <> 'synced' OR l.locked_until > ${now}))
           LIMIT ${limit} FOR UPDATE SKIP LOCKED)`,
    },
    /**
     * Received provider event ids (the inbound inbox and its de-duplication): a row acted on goes
     * once past its window; until then a late duplicate of it is still recognised. A row still
     * pending is kept whatever its age: its hint has not been acted on yet.
     */
    receivedProviderEvents: {
      statement: (now, limit) => Prisma.sql`
        DELETE FROM provider_events WHERE ctid IN (
          SELECT ctid FROM provider_events
           WHERE processed_at IS NOT NULL AND received_at < ${before(now, options.receivedProviderEventsMs)}
           LIMIT ${limit} FOR UPDATE SKIP LOCKED)`,
    },
  } satisfies Record<string, Purge>;
}

export type PurgeName = keyof ReturnType<typeof purges>;

/**
 * The one retention mechanism (issue 34): every table that grows with traffic has a window, and a
 * round deletes what is past it, each table in bounded batches that commit on their own. Every
 * gateway instance may run rounds at once: SKIP LOCKED makes two instances take different rows.
 * Works the same on PGlite and PostgreSQL.
 */
@Injectable()
export class RetentionPurges {
  private readonly purges: Record<PurgeName, Purge>;

  constructor(
    @Inject(PRISMA_CLIENT) private readonly prisma: PrismaClient,
    @Inject(RETENTION_OPTIONS) private readonly options: RetentionOptions,
  ) {
    this.purges = purges(options);
  }

  /** One round over every table; resolves how many rows went from each. */
  async round(now = new Date()): Promise<PurgeRound> {
    const round = {} as PurgeRound;
    for (const name of Object.keys(this.purges) as PurgeName[]) round[name] = await this.purge(name, now);
    return round;
  }

  /** Deletes what is past one table's window, batch by batch; resolves how many rows went. */
  async purge(name: PurgeName, now = new Date()): Promise<number> {
    const { batchSize, maxBatchesPerRound } = this.options;
    let purged = 0;
    for (let batch = 0; batch < maxBatchesPerRound; batch++) {
      const statement = this.purges[name].statement(now, batchSize);
      if (statement === undefined) return purged;
      const deleted = await this.prisma.$executeRaw(statement);
      purged += deleted;
      if (deleted < batchSize) break;
    }
    return purged;
  }
}
