import { type CallContext } from '@app/domain';

import { Prisma } from '../../../generated/prisma/client';

type Tx = Prisma.TransactionClient;

/** What an earlier attempt of the same idempotent request committed. */
export interface RecoveryPoint {
  resourceId: string;
  detail: unknown;
}

/** What a write did, for its recovery point. */
export interface Committed<T> {
  result: T;
  /** The customer or migration run the write created or touched. */
  resourceId: string;
  /** Set when the resource is a customer, so that forget can scrub the stored answer. */
  customerId?: string;
  /** What a retry needs beyond the resource's current state. */
  detail?: Prisma.InputJsonValue;
}

/**
 * Whether the request being served holds an Idempotency-Key whose recovery point its next write
 * must record (see `idempotentWrite`); a write that is one statement needs no transaction otherwise.
 */
export function holdsIdempotencyKey(context: CallContext): boolean {
  return context.idempotency?.recordId !== undefined;
}

/**
 * Atomic phases (https://brandur.org/idempotency-keys): the business write of a request that holds
 * an Idempotency-Key records its recovery point on the key, inside the write's own transaction.
 * Either both commit or neither does, so a retry after a crash at any point finds out exactly what
 * happened: no recovery point, the write never happened and runs now; a recovery point, the write
 * happened and is not applied again: `recover` answers the state it left instead.
 *
 * Only the request's first write uses the key (the context's record id is taken); work
 * the request starts afterwards, such as a migration driven in the background, writes normally.
 * Outside an idempotent request `write` simply runs.
 */
export async function idempotentWrite<T>(
  tx: Tx,
  context: CallContext,
  write: () => Promise<Committed<T>>,
  recover: (point: RecoveryPoint) => Promise<T>,
  /** For a write to an existing resource: a recovery point about another one is not this write's. */
  resourceId?: string,
): Promise<T> {
  const recordId = context.idempotency?.recordId;
  if (context.idempotency === undefined || recordId === undefined) return (await write()).result;
  context.idempotency.recordId = undefined;
  // The row lock makes a slow first attempt and a retry that took the key over see each other.
  const [record] = await tx.$queryRaw<
    { recovery_point: string; resource_id: string | null; detail: unknown }[]
  >`
    SELECT recovery_point::text, resource_id, recovery_detail AS detail
      FROM idempotency_records WHERE id = ${recordId} FOR UPDATE`;
  if (record?.recovery_point === 'committed' && record.resource_id !== null) {
    if (resourceId === undefined || resourceId === record.resource_id) {
      return recover({ resourceId: record.resource_id, detail: record.detail });
    }
    return (await write()).result;
  }
  const committed = await write();
  if (record !== undefined) {
    await tx.idempotencyRecord.update({
      where: { id: recordId },
      data: {
        recoveryPoint: 'committed',
        resourceId: committed.resourceId,
        ...(committed.customerId !== undefined ? { customerId: committed.customerId } : {}),
        ...(committed.detail !== undefined ? { recoveryDetail: committed.detail } : {}),
      },
    });
  }
  return committed.result;
}
