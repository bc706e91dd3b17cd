import { Inject, Injectable } from '@nestjs/common';
import { DomainError, type EventType } from '@app/domain';

import { type Prisma, type PrismaClient } from '../../../generated/prisma/client';
import { awaitCommittedEvents } from './event-log';
import { PRISMA_CLIENT } from './prisma.tokens';

/** An event as GET /v1/events lists it and a webhook delivers it. */
export interface PublishedEvent {
  id: string;
  type: string;
  createdAt: string;
  customerId: string | null;
  migrationId: string | null;
  actor: string;
  requestId: string | null;
  data: Prisma.JsonValue;
}

export interface EventQuery {
  limit: number;
  /** An event id: return the events recorded after it (oldest first, so a consumer can tail). */
  startingAfter?: string;
  types?: EventType[];
  customerId?: string;
}

type EventRow = Prisma.EventGetPayload<object>;

export function toPublishedEvent(row: EventRow): PublishedEvent {
  return {
    id: row.id,
    type: row.type,
    createdAt: row.createdAt.toISOString(),
    customerId: row.customerId,
    migrationId: row.migrationId,
    actor: row.actor,
    requestId: row.requestId,
    data: row.data,
  };
}

/**
 * Reads the event log (written in the transactions it records, see event-log.ts) for GET /v1/events
 * and webhook deliveries. Its retention is one of RetentionPurges (retention.ts).
 */
@Injectable()
export class EventStore {
  constructor(@Inject(PRISMA_CLIENT) private readonly prisma: PrismaClient) {}

  /**
   * Oldest first, keyed on `seq`. The page is read once every event drawn before it is committed,
   * so it is a prefix of the log nothing is inserted into later: tailing by cursor misses nothing.
   */
  async list(query: EventQuery): Promise<{ data: PublishedEvent[]; hasMore: boolean }> {
    const after = query.startingAfter === undefined ? undefined : await this.seqOf(query.startingAfter);
    const [, rows] = await this.prisma.$transaction([
      awaitCommittedEvents(this.prisma),
      this.prisma.event.findMany({
        where: {
          ...(after !== undefined ? { seq: { gt: after } } : {}),
          ...(query.types !== undefined ? { type: { in: query.types } } : {}),
          ...(query.customerId !== undefined ? { customerId: query.customerId } : {}),
        },
        orderBy: { seq: 'asc' },
        take: query.limit + 1,
      }),
    ]);
    return { data: rows.slice(0, query.limit).map(toPublishedEvent), hasMore: rows.length > query.limit };
  }

  async get(id: string): Promise<PublishedEvent> {
    const row = await this.prisma.event.findUnique({ where: { id } });
    if (row === null) throw new DomainError('event_not_found', `No event with id "${id}".`);
    return toPublishedEvent(row);
  }

  private async seqOf(id: string): Promise<bigint> {
    const row = await this.prisma.event.findUnique({ where: { id }, select: { seq: true } });
    if (row === null) {
      throw new DomainError('validation_failed', 'startingAfter names no event.', [
        { field: 'startingAfter', code: 'unknown_cursor', message: `No event with id "${id}" to page from.` },
      ]);
    }
    return row.seq;
  }
}
