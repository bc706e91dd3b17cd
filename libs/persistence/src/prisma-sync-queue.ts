import { Inject, Injectable } from '@nestjs/common';
import {
  type ClaimedLink,
  type Erasure,
  type LinkError,
  type LinkIntent,
  type ProviderCallRecord,
  type ProviderLink,
  type SettleOutcome,
  type Settled,
  type CallContext,
  SyncQueue,
} from '@app/domain';

import { Prisma, type PrismaClient } from '../../../generated/prisma/client';
import { type EventAuthor, eventWrites, type NewEvent, recordEvent } from './event-log';
import { LINK_OBJECT, type LinkRecord, toLink } from './link-json';
import { insertProviderCalls } from './prisma-provider-call-log';
import { type DatabaseHandle } from './persistence.module';
import { DATABASE, PRISMA_CLIENT } from './prisma.tokens';
import { WorkNotifications } from './work-notifications';

/** The channel the outbox trigger (migration `outbox_wakeup`) notifies when a link becomes deliverable. */
const OUTBOX_CHANNEL = 'sync_outbox';

/** Prisma keeps timestamps as UTC `timestamp(3)`; the database clock is compared in the same terms. */
const NOW = Prisma.raw(`(now() AT TIME ZONE 'UTC')`);

/** When a lease taken now runs out, by the database's clock, as every lease is compared. */
export const leasedUntil = (leaseMs: number) =>
  Prisma.sql`${NOW} + (${leaseMs}::int * interval '1 millisecond')`;

interface ClaimedRow {
  id: string;
  customer_id: string;
  provider: string;
  account: string;
  reference: string;
  provider_customer_id: string | null;
  intent: LinkIntent;
  attempts: number;
  synced_version: number | null;
  unsupported_fields: string[] | null;
  erasure: Erasure | null;
}

const UNLOCKED = { lockedBy: null, lockedUntil: null } as const;

/** Links that only wait for a provider to confirm an erasure it was asked for. */
const AWAITING_ERASURE_EXCLUDED = Prisma.sql`AND (erasure IS NULL OR erasure->>'status' <> 'requested')`;

/** Which link an event is about: ids only. */
const linkOf = (link: ClaimedLink) => ({
  provider: link.provider,
  account: link.account,
  reference: link.reference,
});

/**
 * A failure as an event carries it: codes and the field's name, never the messages (a provider's
 * may quote the customer's data; events carry no personal data). The link's lastError keeps them.
 */
const eventErrorOf = ({ code, retryable, providerCode, field }: LinkError) => ({
  code,
  retryable,
  ...(providerCode === undefined ? {} : { providerCode }),
  ...(field === undefined ? {} : { field }),
});

/** The event of a link settled `synced` at the provider. */
const linkSynced = (link: ClaimedLink, outcome: Extract<SettleOutcome, { kind: 'synced' }>): NewEvent => ({
  type: 'customer.link.synced',
  customerId: link.customerId,
  data: {
    ...linkOf(link),
    version: outcome.version,
    ...(outcome.action !== undefined ? { action: outcome.action } : {}),
  },
});

@Injectable()
export class PrismaSyncQueue extends SyncQueue {
  private readonly notifications: WorkNotifications;
  /** Single statements: every delivery's claim and settle, and the checks around them. */
  private readonly query: DatabaseHandle['query'];

  constructor(
    @Inject(PRISMA_CLIENT) private readonly prisma: PrismaClient,
    @Inject(DATABASE) database: DatabaseHandle,
  ) {
    super();
    this.notifications = new WorkNotifications(database, OUTBOX_CHANNEL);
    this.query = database.query;
  }

  waitForWork(timeoutMs: number): Promise<boolean> {
    return this.notifications.wait(timeoutMs);
  }

  async nextDueAt(): Promise<Date | undefined> {
    const [row] = await this.query<{ due: Date | null }>(Prisma.sql`
      SELECT min(GREATEST(COALESCE(next_attempt_at, ${NOW}), COALESCE(locked_until, ${NOW}))) AS due
        FROM provider_links WHERE status = 'pending'`);
    return row?.due ?? undefined;
  }

  /**
   * `FOR UPDATE SKIP LOCKED` lets any number of workers, in any number of gateway instances, claim
   * from the same table without waiting on or double-claiming each other's rows; the lease covers
   * the delivery that follows. Claiming counts as an attempt, so a worker that dies mid-delivery
   * still uses up one.
   */
  async claim(options: {
    workerId: string;
    leaseMs: number;
    limit: number;
    customerId?: string;
    excludeErasureChecks?: boolean;
  }): Promise<ClaimedLink[]> {
    const forCustomer =
      options.customerId === undefined ? Prisma.empty : Prisma.sql`AND customer_id = ${options.customerId}`;
    const erasureChecks = options.excludeErasureChecks === true ? AWAITING_ERASURE_EXCLUDED : Prisma.empty;
    const rows = await this.query<ClaimedRow>(Prisma.sql`
      UPDATE provider_links
         SET locked_by = ${options.workerId},
             locked_until = ${leasedUntil(options.leaseMs)},
             attempts = attempts + 1
       WHERE id IN (
         SELECT id FROM provider_links
          WHERE status = 'pending'
            AND (next_attempt_at IS NULL OR next_attempt_at <= ${NOW})
            AND (locked_until IS NULL OR locked_until < ${NOW})
            ${forCustomer}
            ${erasureChecks}
          ORDER BY next_attempt_at ASC NULLS FIRST, id
          LIMIT ${options.limit}::int
          FOR UPDATE SKIP LOCKED)
      RETURNING id, customer_id, provider, account, reference, provider_customer_id, intent::text AS intent,
                attempts, synced_version, unsupported_fields, erasure`);
    return rows.map((row) => ({
      id: row.id,
      customerId: row.customer_id,
      provider: row.provider,
      account: row.account,
      reference: row.reference,
      ...(row.provider_customer_id !== null ? { providerCustomerId: row.provider_customer_id } : {}),
      intent: row.intent,
      attempts: row.attempts,
      ...(row.synced_version !== null ? { syncedVersion: row.synced_version } : {}),
      unsupportedFields: row.unsupported_fields ?? [],
      ...(row.erasure !== null ? { erasure: row.erasure } : {}),
    }));
  }

  async settle(
    link: ClaimedLink,
    workerId: string,
    outcome: SettleOutcome,
    calls: readonly ProviderCallRecord[],
    context: CallContext,
  ): Promise<Settled | undefined> {
    let unwritten = calls;
    if (outcome.kind === 'synced') {
      const stored = await this.settleSynced(link, workerId, outcome, calls, context);
      if (stored !== undefined) return { stored };
      // Its statement wrote the calls even though the link was not this worker's any more.
      unwritten = [];
    }
    const kept = await this.prisma.$transaction(async (tx) => {
      if (unwritten.length > 0)
        await tx.$executeRaw(insertProviderCalls(link.customerId, link.intent, unwritten));
      const [locked] = await tx.$queryRaw<{ locked_by: string | null; intent: LinkIntent }[]>`
        SELECT locked_by, intent::text AS intent FROM provider_links WHERE id = ${link.id} FOR UPDATE`;
      if (locked === undefined || locked.locked_by !== workerId) return false;
      // Read after the lock, in a statement of its own: a write that requeued this link held its
      // row until it committed, so this snapshot sees that write's version. A read joined to the
      // locking statement would not: PostgreSQL re-reads only the locked rows after the wait.
      const [customer] = await tx.$queryRaw<{ version: number }[]>`
        SELECT version FROM customers WHERE id = ${link.customerId}`;
      if (customer === undefined) return false;
      const current = { ...locked, version: customer.version };
      const where = { id: link.id };
      // A delete or forget arrived while this delivery ran: it is next in line, whatever happened.
      if (current.intent !== link.intent) {
        await tx.providerLink.update({
          where,
          data: { ...UNLOCKED, status: 'pending', attempts: 0, nextAttemptAt: null },
        });
        return true;
      }
      switch (outcome.kind) {
        case 'synced': {
          // Newer writes arrived during the delivery: the link stays in line for them.
          const behind = current.version > outcome.version;
          await tx.providerLink.update({
            where,
            data: {
              ...UNLOCKED,
              status: behind ? 'pending' : 'synced',
              syncedVersion: outcome.version,
              providerCustomerId: outcome.providerCustomerId ?? null,
              unsupportedFields: outcome.unsupportedFields,
              lossyFields: outcome.lossyFields,
              lastSyncedAt: new Date(),
              lastError: Prisma.DbNull,
              nextAttemptAt: null,
              ...(behind ? { attempts: 0 } : {}),
            },
          });
          if (!behind) await recordEvent(tx, linkSynced(link, outcome), context);
          return true;
        }
        case 'retry':
          await tx.providerLink.update({
            where,
            data: {
              ...UNLOCKED,
              status: 'pending',
              nextAttemptAt: outcome.nextAttemptAt,
              lastError: { ...outcome.error },
            },
          });
          return true;
        case 'failed':
          await tx.providerLink.update({
            where,
            data: { ...UNLOCKED, status: 'failed', nextAttemptAt: null, lastError: { ...outcome.error } },
          });
          await recordEvent(
            tx,
            {
              type: 'customer.link.failed',
              customerId: link.customerId,
              data: { ...linkOf(link), error: eventErrorOf(outcome.error) },
            },
            context,
          );
          return true;
        case 'forgotten':
          await tx.providerLink.update({
            where,
            data: {
              ...UNLOCKED,
              status: 'synced',
              erasure: { ...outcome.erasure },
              lastSyncedAt: new Date(),
              lastError: Prisma.DbNull,
              nextAttemptAt: null,
            },
          });
          return true;
        case 'erasure_requested':
          await tx.providerLink.update({
            where,
            data: {
              ...UNLOCKED,
              status: 'pending',
              erasure: { ...outcome.erasure },
              lastError: Prisma.DbNull,
              nextAttemptAt: outcome.nextAttemptAt,
            },
          });
          return true;
        case 'removed':
          // Kept as the record of the delete, with what objects once linked to the copy still
          // hold, while the customer's tombstone stays (TOMBSTONE_RETENTION_HOURS: the retention
          // job purges it), so every reference still finds it and it says what remains where.
          await tx.providerLink.update({
            where,
            data: {
              ...UNLOCKED,
              status: 'synced',
              erasure: { status: 'deleted', notErased: [...outcome.notErased] },
              lastSyncedAt: new Date(),
              lastError: Prisma.DbNull,
              nextAttemptAt: null,
            },
          });
          return true;
      }
    });
    return kept ? {} : undefined;
  }

  /**
   * The common outcome, a delivery that synced, settled in one statement (the transaction below
   * takes six round trips): the link, and its `customer.link.synced` event unless newer writes
   * keep it in line. Answers the link as stored, or undefined when the lease was lost, the customer
   * is gone or a delete or forget arrived meanwhile; the transaction then decides.
   *
   * The customer's version is read `FOR SHARE`: a write that bumps it holds the customer's row
   * until it commits (and requeues this link in the same transaction), so the lock waits for that
   * write and then reads its version, and a write that comes later waits for this settle. A plain
   * read here would use the statement's snapshot, taken before such a write committed.
   * https://www.postgresql.org/docs/current/transaction-iso.html#XACT-READ-COMMITTED
   */
  private async settleSynced(
    link: ClaimedLink,
    workerId: string,
    outcome: Extract<SettleOutcome, { kind: 'synced' }>,
    calls: readonly ProviderCallRecord[],
    by: EventAuthor,
  ): Promise<ProviderLink | undefined> {
    const now = new Date();
    const textArray = (values: readonly string[]) =>
      Prisma.sql`ARRAY(SELECT json_array_elements_text(${JSON.stringify(values)}::json))`;
    const recorded =
      calls.length === 0
        ? Prisma.empty
        : Prisma.sql`calls AS (${insertProviderCalls(link.customerId, link.intent, calls)}),`;
    const [row] = await this.query<{ link: LinkRecord }>(Prisma.sql`
      WITH ${recorded} customer AS (
        SELECT version FROM customers WHERE id = ${link.customerId} FOR SHARE
      ),
      settled AS (
        UPDATE provider_links l
           SET locked_by = NULL, locked_until = NULL,
               status = (CASE WHEN customer.version > ${outcome.version}::int THEN 'pending' ELSE 'synced' END)::"LinkStatus",
               attempts = CASE WHEN customer.version > ${outcome.version}::int THEN 0 ELSE l.attempts END,
               synced_version = ${outcome.version}::int,
               provider_customer_id = ${outcome.providerCustomerId ?? null},
               unsupported_fields = ${textArray(outcome.unsupportedFields)},
               lossy_fields = ${textArray(outcome.lossyFields)},
               last_synced_at = ${now}::timestamp(3), last_error = NULL, next_attempt_at = NULL,
               updated_at = ${now}::timestamp(3)
          FROM customer
         WHERE l.id = ${link.id} AND l.locked_by = ${workerId} AND l.intent = ${link.intent}::"LinkIntent"
        RETURNING l.status::text AS status, ${Prisma.raw(LINK_OBJECT)} AS link
      ),
      ${eventWrites(linkSynced(link, outcome), by, Prisma.sql`SELECT 1 FROM settled WHERE status = 'synced'`)}
      SELECT link FROM settled`);
    return row === undefined ? undefined : toLink(row.link);
  }

  async release(links: readonly ClaimedLink[], workerId: string): Promise<void> {
    // Not delivered, so the claim's attempt is handed back too.
    await this.prisma.providerLink.updateMany({
      where: { id: { in: links.map((link) => link.id) }, lockedBy: workerId },
      data: { ...UNLOCKED, attempts: { decrement: 1 } },
    });
  }

  async redrive(customerId: string): Promise<number> {
    const { count } = await this.prisma.providerLink.updateMany({
      where: { customerId },
      data: { status: 'pending', attempts: 0, nextAttemptAt: null },
    });
    return count;
  }

  async hasPending(customerId: string): Promise<boolean> {
    const [row] = await this.query<{ waiting: boolean }>(Prisma.sql`
      SELECT EXISTS (SELECT 1 FROM provider_links
                      WHERE customer_id = ${customerId} AND status = 'pending' ${AWAITING_ERASURE_EXCLUDED}) AS waiting`);
    return row?.waiting === true;
  }

  async backlog(): Promise<{ pending: number; failed: number }> {
    const [pending, failed] = await Promise.all([
      this.prisma.providerLink.count({ where: { status: 'pending' } }),
      this.prisma.providerLink.count({ where: { status: 'failed' } }),
    ]);
    return { pending, failed };
  }
}
