import { randomBytes } from 'node:crypto';

import { currentRequestContext, type EventType } from '@app/customer-domain';

import { Prisma } from '../../../generated/prisma/client';

type Tx = Prisma.TransactionClient;

/**
 * Any fixed number: every transaction that writes an event takes this transaction-level advisory
 * lock right before the insert and holds it until it commits, so events get their `seq` in commit
 * order. Without it a transaction could draw seq 7, commit after another drew and committed seq 8,
 * and a consumer that had already read past 8 would never see 7. The insert is the last statement
 * of every such transaction, so the lock is held only for the commit itself and never waits on
 * another lock while held (no deadlock).
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
 * Records `event` inside the caller's transaction, and queues it for every enabled webhook endpoint
 * subscribed to its type (the webhook outbox), in the same transaction. Call it as the
 * transaction's last statement. `actor` names the worker or job when no request is being served.
 */
export async function recordEvent(tx: Tx, event: NewEvent, fallbackActor: string): Promise<void> {
  const context = currentRequestContext();
  await tx.$executeRaw`SELECT pg_advisory_xact_lock(${EVENT_ORDER_LOCK}::bigint)`;
  const row = await tx.event.create({
    data: {
      id: newEventId(),
      type: event.type,
      customerId: event.customerId ?? null,
      migrationId: event.migrationId ?? null,
      actor: context?.actor ?? fallbackActor,
      requestId: context?.requestId ?? null,
      data: event.data,
    },
    select: { id: true, seq: true },
  });
  await tx.$executeRaw`
    INSERT INTO webhook_deliveries (id, endpoint_id, event_id, event_seq, customer_id)
    SELECT 'whd_' || replace(gen_random_uuid()::text, '-', ''), e.id, ${row.id}, ${row.seq},
           ${event.customerId ?? null}
      FROM webhook_endpoints e
     WHERE e.enabled AND (${event.type} = ANY(e.event_types) OR '*' = ANY(e.event_types))`;
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
