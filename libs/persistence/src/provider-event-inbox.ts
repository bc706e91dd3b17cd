import { Inject, Injectable } from '@nestjs/common';

import { Prisma, type PrismaClient } from '../../../generated/prisma/client';
import { PRISMA_CLIENT } from './prisma.tokens';

/** Prisma keeps timestamps as UTC `timestamp(3)`; the database clock is compared in the same terms. */
const NOW = Prisma.raw(`(now() AT TIME ZONE 'UTC')`);

/** A provider event as received: ids, type and the customer it concerns, never its payload. */
export interface ReceivedProviderEvent {
  provider: string;
  account: string;
  eventId: string;
  eventType: string;
  /** The provider's customer reference, when the event concerns a customer. */
  reference?: string;
  occurredAt?: Date;
  /**
   * The event brings nothing to act on (the copy it carried equals the mirror's customer): it is
   * recorded as processed, for deduplication only, and no worker re-reads the customer for it.
   */
  settled?: boolean;
}

export type ProviderEventSource = 'webhook' | 'catch-up';

/** An inbox entry a worker holds (its lease runs until `next_attempt_at`). */
export interface ClaimedProviderEvent extends ReceivedProviderEvent {
  attempts: number;
}

export interface ProviderEventCursor {
  /** The newest event read, once one was. */
  lastEventId?: string;
  /** Before the first event: read events created from this time on. */
  since: Date;
}

interface ClaimedRow {
  provider: string;
  account: string;
  event_id: string;
  event_type: string;
  reference: string | null;
  occurred_at: Date | null;
  attempts: number;
}

/**
 * Provider events received (webhooks and Events API catch-up) in one table that is both the
 * deduplication record (one row per account and event id: at-least-once from two paths becomes
 * once) and the inbox workers drain, so an event acknowledged to the provider is acted on even if
 * the gateway dies right after. Processed rows are kept until the retention purge (retention.ts, `receivedProviderEvents`) removes them, so
 * a late duplicate is still recognised.
 */
@Injectable()
export class ProviderEventInbox {
  constructor(@Inject(PRISMA_CLIENT) private readonly prisma: PrismaClient) {}

  /** Records events not seen before (an id seen before is skipped); the ones that were new. */
  async record(events: readonly ReceivedProviderEvent[], source: ProviderEventSource): Promise<string[]> {
    return this.insert(this.prisma, events, source);
  }

  private async insert(
    db: PrismaClient | Prisma.TransactionClient,
    events: readonly ReceivedProviderEvent[],
    source: ProviderEventSource,
  ): Promise<string[]> {
    if (events.length === 0) return [];
    const values = events.map(
      (e) => Prisma.sql`(${e.provider}, ${e.account}, ${e.eventId}, ${e.eventType}, ${e.reference ?? null},
        ${e.occurredAt ?? null}::timestamp(3), ${source}, ${NOW}, ${NOW}, ${e.settled === true ? NOW : Prisma.sql`NULL::timestamp(3)`})`,
    );
    const rows = await db.$queryRaw<{ event_id: string }[]>(Prisma.sql`
      INSERT INTO provider_events
        (provider, account, event_id, event_type, reference, occurred_at, source, received_at, next_attempt_at,
         processed_at)
      VALUES ${Prisma.join(values)}
      ON CONFLICT (provider, account, event_id) DO NOTHING
      RETURNING event_id`);
    return rows.map((row) => row.event_id);
  }

  /**
   * Claims up to `limit` due events not yet processed, oldest first, each for `leaseMs`; counts an
   * attempt. `FOR UPDATE SKIP LOCKED`: workers of any number of instances never take the same one.
   * An event without a customer reference is marked processed on the spot instead (nothing to do).
   */
  async claim(limit: number, leaseMs: number): Promise<ClaimedProviderEvent[]> {
    await this.prisma.$executeRaw`
      UPDATE provider_events SET processed_at = ${NOW}
       WHERE processed_at IS NULL AND reference IS NULL`;
    const rows = await this.prisma.$queryRaw<ClaimedRow[]>(Prisma.sql`
      UPDATE provider_events
         SET next_attempt_at = ${NOW} + make_interval(secs => ${leaseMs / 1000}::float8),
             attempts = attempts + 1
       WHERE (provider, account, event_id) IN (
         SELECT provider, account, event_id FROM provider_events
          WHERE processed_at IS NULL AND next_attempt_at <= ${NOW}
          ORDER BY received_at, event_id
          LIMIT ${limit}::int
          FOR UPDATE SKIP LOCKED)
      RETURNING provider, account, event_id, event_type, reference, occurred_at, attempts`);
    return rows.map((row) => ({
      provider: row.provider,
      account: row.account,
      eventId: row.event_id,
      eventType: row.event_type,
      ...(row.reference !== null ? { reference: row.reference } : {}),
      ...(row.occurred_at !== null ? { occurredAt: row.occurred_at } : {}),
      attempts: row.attempts,
    }));
  }

  async markProcessed(event: ReceivedProviderEvent): Promise<void> {
    await this.prisma.$executeRaw`
      UPDATE provider_events SET processed_at = ${NOW}, last_error = NULL
       WHERE provider = ${event.provider} AND account = ${event.account} AND event_id = ${event.eventId}`;
  }

  /**
   * Gives events back that a stopping worker claimed but did not finish: due at once, and the
   * attempt the claim counted is taken back (it was not an attempt that failed).
   */
  async release(events: readonly ReceivedProviderEvent[]): Promise<void> {
    for (const event of events) {
      await this.prisma.$executeRaw`
        UPDATE provider_events SET next_attempt_at = ${NOW}, attempts = GREATEST(attempts - 1, 0)
         WHERE provider = ${event.provider} AND account = ${event.account} AND event_id = ${event.eventId}
           AND processed_at IS NULL`;
    }
  }

  /** Gives a failed attempt back, due again in `delayMs`; `errorCode` says why (a code, never data). */
  async retryLater(event: ReceivedProviderEvent, delayMs: number, errorCode: string): Promise<void> {
    await this.prisma.$executeRaw`
      UPDATE provider_events
         SET next_attempt_at = ${NOW} + make_interval(secs => ${delayMs / 1000}::float8), last_error = ${errorCode}
       WHERE provider = ${event.provider} AND account = ${event.account} AND event_id = ${event.eventId}`;
  }

  /** Events not yet acted on, by provider and account (a gauge: a growing inbox is a stuck worker). */
  async pending(): Promise<{ provider: string; account: string; events: number }[]> {
    const rows = await this.prisma.$queryRaw<{ provider: string; account: string; events: bigint }[]>`
      SELECT provider, account, count(*) AS events FROM provider_events
       WHERE processed_at IS NULL GROUP BY provider, account`;
    return rows.map((row) => ({ provider: row.provider, account: row.account, events: Number(row.events) }));
  }

  /** Where the catch-up reader of the account stands; started now when it never read before. */
  async cursor(provider: string, account: string): Promise<ProviderEventCursor> {
    await this.prisma.$executeRaw`
      INSERT INTO provider_event_cursors (provider, account, since, updated_at)
      VALUES (${provider}, ${account}, ${NOW}, ${NOW})
      ON CONFLICT (provider, account) DO NOTHING`;
    const [row] = await this.prisma.$queryRaw<{ last_event_id: string | null; since: Date }[]>`
      SELECT last_event_id, since FROM provider_event_cursors
       WHERE provider = ${provider} AND account = ${account}`;
    return {
      ...(row?.last_event_id != null ? { lastEventId: row.last_event_id } : {}),
      since: row?.since ?? new Date(),
    };
  }

  /**
   * Records the events read and moves the cursor to `lastEventId` in one transaction, so a crash
   * between the two neither loses events nor reads them twice (a second read would be deduplicated
   * anyway). With `lastEventId` undefined the cursor goes back to reading from `since`.
   */
  async recordCaughtUp(
    provider: string,
    account: string,
    events: readonly ReceivedProviderEvent[],
    lastEventId: string | undefined,
    since?: Date,
  ): Promise<string[]> {
    return this.prisma.$transaction(async (tx) => {
      const recorded = await this.insert(tx, events, 'catch-up');
      await tx.$executeRaw`
        UPDATE provider_event_cursors
           SET last_event_id = ${lastEventId ?? null}, since = COALESCE(${since ?? null}::timestamp(3), since),
               updated_at = ${NOW}
         WHERE provider = ${provider} AND account = ${account}`;
      return recorded;
    });
  }
}
