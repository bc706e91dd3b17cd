import { type CallContext, type EventType, randomId } from '@app/domain';

import { Prisma, type PrismaClient } from '../../../generated/prisma/client';

type Tx = Prisma.TransactionClient;

/**
 * Any fixed number. Events are read in `seq` order (GET /v1/events tails by cursor; webhooks go out
 * in `seq` order per customer), so a reader must never see seq 8 while seq 7 is drawn but not yet
 * committed: it would page past 7 and never see it. Every transaction that writes an event holds
 * this advisory lock in SHARED mode from just before it draws its `seq` until it commits, so
 * writers never wait on each other; a reader takes it EXCLUSIVE (`awaitCommittedEvents`) as the
 * first statement of its transaction, which waits until every seq drawn so far is committed or
 * rolled back and keeps new ones from being drawn meanwhile: the rows it then reads are a prefix of
 * the log that nothing will be inserted into. A writer takes the lock as its last act (see
 * `eventWrites`), so it never waits on anything while holding it and a waiting reader cannot
 * deadlock with it. https://www.postgresql.org/docs/current/explicit-locking.html#ADVISORY-LOCKS
 */
const EVENT_ORDER_LOCK = 7_342_019;

/**
 * The first statement of a transaction that reads events in `seq` order: once it returns, every
 * event with a `seq` already drawn is committed or gone, and none is drawn until the transaction
 * ends (see EVENT_ORDER_LOCK). Run it with the read in one `$transaction([...])`.
 */
export function awaitCommittedEvents(db: Pick<PrismaClient, '$executeRaw'>) {
  return db.$executeRaw`SELECT pg_advisory_xact_lock(${EVENT_ORDER_LOCK}::bigint)`;
}

export interface NewEvent {
  type: EventType;
  customerId?: string;
  migrationId?: string;
  data: Prisma.InputJsonObject;
}

/** Who an event is recorded for: the caller's context (an API key and request, or a job). */
export type EventAuthor = Pick<CallContext, 'actor' | 'requestId'>;

function newEventId(): string {
  return randomId('evt');
}

/**
 * The common table expressions that record `event` and queue it for every enabled webhook
 * endpoint subscribed to its type (the webhook outbox), for a write that commits its change and
 * its event in one statement (one round trip). `writtenFirst` is a query returning one row once the
 * statement's other writes are done (for example `SELECT (SELECT count(*) FROM a) + (SELECT
 * count(*) FROM b)` over their CTEs): the order lock is taken after it, so the statement never
 * waits on another writer's row while holding it.
 * `by` names who the change is for: the API key and request, or the worker or job.
 */
export function eventWrites(event: NewEvent, by: EventAuthor, writtenFirst: Prisma.Sql): Prisma.Sql {
  return Prisma.sql`
    event_order AS (
      SELECT pg_advisory_xact_lock_shared(${EVENT_ORDER_LOCK}::bigint)::text AS locked
        FROM (${writtenFirst}) AS written
    ),
    new_event AS (
      INSERT INTO events (id, type, customer_id, migration_id, actor, request_id, data, created_at)
      SELECT ${newEventId()}, ${event.type}, ${event.customerId ?? null}, ${event.migrationId ?? null},
             ${by.actor}, ${by.requestId ?? null}, ${JSON.stringify(event.data)}::jsonb,
             ${new Date()}::timestamp(3)
        FROM event_order
      RETURNING id, seq
    ),
    new_deliveries AS (
      INSERT INTO webhook_deliveries (id, endpoint_id, event_id, event_seq, customer_id)
      SELECT 'whd_' || replace(gen_random_uuid()::text, '-', ''), e.id, new_event.id, new_event.seq,
             ${event.customerId ?? null}
        FROM webhook_endpoints e, new_event
       WHERE e.enabled AND (${event.type} = ANY(e.event_types) OR '*' = ANY(e.event_types))
    )`;
}

/**
 * Records `event` inside the caller's transaction, with its webhook deliveries, in one statement.
 * Call it as the transaction's last statement.
 */
export async function recordEvent(tx: Tx, event: NewEvent, by: EventAuthor): Promise<void> {
  await tx.$executeRaw`WITH ${eventWrites(event, by, Prisma.sql`SELECT 1`)} SELECT 1`;
}

/**
 * GDPR erasure of a customer's events, in the erasure's own transaction. Events carry ids, codes
 * and field names only (no snapshot, no error message: migration
 * 20261207070000_events_without_personal_data took them out of older ones), so this only marks
 * them `scrubbed`; the strip stays as a guard for a row an older release wrote after that
 * migration ran. Deliveries still pending send the marked event (a delivery reads it when sent).
 */
export async function scrubCustomerEvents(tx: Tx, customerId: string): Promise<void> {
  await tx.$executeRaw`
    UPDATE events
       SET data = (data - 'customer' #- '{error,message}' #- '{error,providerMessage}')
                  || '{"scrubbed": true}'::jsonb
     WHERE customer_id = ${customerId}`;
}
