import { randomBytes } from 'node:crypto';

import { currentRequestContext, type EventType } from '@app/customer-domain';

import { Prisma } from '../../../generated/prisma/client';

type Tx = Prisma.TransactionClient;

/**
 * Any fixed number: every transaction that writes an event takes this transaction-level advisory
 * lock right before the insert and holds it until it commits, so events get their `seq` in commit
 * order. Without it a transaction could draw seq 7, commit after another drew and committed seq 8,
 * and a consumer that had already read past 8 would never see 7. The insert is the last statement
 * of every such transaction (or the last part of its one statement, see `eventWrites`), so the
 * lock is held only for the commit itself and never waits on another lock while held (no deadlock).
 */
const EVENT_ORDER_LOCK = 7_342_019;

export interface NewEvent {
  type: EventType;
  customerId?: string;
  migrationId?: string;
  data: Prisma.InputJsonObject;
}

function newEventId(): string {
  return `evt_${randomBytes(12).toString('hex')}`;
}

/**
 * The common table expressions that record `event` and queue it for every enabled webhook
 * endpoint subscribed to its type (the webhook outbox), for a write that commits its change and
 * its event in one statement: one round trip, and the order lock is held for the commit alone.
 * `writtenFirst` is a query returning one row once the statement's other writes are done (for
 * example `SELECT (SELECT count(*) FROM a) + (SELECT count(*) FROM b)` over their CTEs): the lock
 * is taken after it, so the statement never waits on another writer's row while holding it.
 * `actor` names the worker or job when no request is being served.
 */
export function eventWrites(event: NewEvent, fallbackActor: string, writtenFirst: Prisma.Sql): Prisma.Sql {
  const context = currentRequestContext();
  return Prisma.sql`
    event_order AS (
      SELECT pg_advisory_xact_lock(${EVENT_ORDER_LOCK}::bigint)::text AS locked FROM (${writtenFirst}) AS written
    ),
    new_event AS (
      INSERT INTO events (id, type, customer_id, migration_id, actor, request_id, data, created_at)
      SELECT ${newEventId()}, ${event.type}, ${event.customerId ?? null}, ${event.migrationId ?? null},
             ${context?.actor ?? fallbackActor}, ${context?.requestId ?? null}, ${JSON.stringify(event.data)}::jsonb,
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
export async function recordEvent(tx: Tx, event: NewEvent, fallbackActor: string): Promise<void> {
  await tx.$executeRaw`WITH ${eventWrites(event, fallbackActor, Prisma.sql`SELECT 1`)} SELECT 1`;
}

/**
 * GDPR erasure of a customer's events, in the erasure's own transaction: the customer snapshots
 * and the error messages (a provider's may quote the customer's data) go, as the links' `lastError`
 * does; ids, types, error codes and the lists of changed fields stay. Deliveries
 * still pending send the scrubbed event, since a delivery reads the event when it is sent.
 */
export async function scrubCustomerEvents(tx: Tx, customerId: string): Promise<void> {
  await tx.$executeRaw`
    UPDATE events
       SET data = (data - 'customer' #- '{error,message}' #- '{error,providerMessage}')
                  || '{"scrubbed": true}'::jsonb
     WHERE customer_id = ${customerId}`;
}
