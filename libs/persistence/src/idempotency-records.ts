import { randomUUID } from 'node:crypto';

import { Inject, Injectable } from '@nestjs/common';

import { Prisma, type PrismaClient } from '../../../generated/prisma/client';
import { PRISMA_CLIENT } from './prisma.tokens';

export interface StoredResponse {
  status: number;
  body: unknown;
}

/**
 * What a request that brings an Idempotency-Key is to do: carry on under the record it now holds,
 * replay the answer kept for the key, or be refused because the key belongs to another request
 * (`key_reused`) or is held by a request still running (`in_progress`).
 */
export type IdempotencyClaim =
  | { kind: 'proceed'; recordId: string }
  | ({ kind: 'replay' } & StoredResponse)
  | { kind: 'key_reused' }
  | { kind: 'in_progress' };

/** Injection token of the IdempotencyTimes an application configures. */
export const IDEMPOTENCY_TIMES = 'IDEMPOTENCY_TIMES';

export interface IdempotencyTimes {
  /** How long a key and its answer are kept (IDEMPOTENCY_TTL_HOURS). */
  ttlMs: number;
  /** How long a holder keeps its key before another attempt may take it over (IDEMPOTENCY_LOCK_SECONDS). */
  lockMs: number;
}

/**
 * Idempotency-Key records, kept in the database so that every gateway instance sees the same
 * keys, with Stripe's semantics: https://docs.stripe.com/api/idempotent_requests
 */
@Injectable()
export class IdempotencyRecords {
  constructor(
    @Inject(PRISMA_CLIENT) private readonly prisma: PrismaClient,
    @Inject(IDEMPOTENCY_TIMES) private readonly times: IdempotencyTimes,
  ) {}

  /** Claims the key for this request, or says what to answer instead. */
  async claim(apiKeyId: string, key: string, requestHash: string): Promise<IdempotencyClaim> {
    // Two rounds at most: the second follows the removal of an expired record.
    for (let round = 0; round < 2; round++) {
      const now = new Date();
      try {
        const record = await this.prisma.idempotencyRecord.create({
          data: {
            id: randomUUID(),
            apiKeyId,
            key,
            requestHash,
            lockedUntil: new Date(now.getTime() + this.times.lockMs),
            expiresAt: new Date(now.getTime() + this.times.ttlMs),
          },
        });
        return { kind: 'proceed', recordId: record.id };
      } catch (error) {
        if ((error as { code?: unknown }).code !== 'P2002') throw error;
      }
      const existing = await this.prisma.idempotencyRecord.findUnique({
        where: { apiKeyId_key: { apiKeyId, key } },
      });
      if (existing === null) continue;
      if (existing.expiresAt <= now) {
        await this.prisma.idempotencyRecord.deleteMany({
          where: { id: existing.id, expiresAt: { lte: now } },
        });
        continue;
      }
      if (existing.requestHash !== requestHash) return { kind: 'key_reused' };
      if (existing.state === 'completed' && existing.responseStatus !== null) {
        return { kind: 'replay', status: existing.responseStatus, body: existing.responseBody };
      }
      if (existing.state === 'in_progress' && existing.lockedUntil > now) return { kind: 'in_progress' };
      // The request that held the key died before its answer was kept (or forget scrubbed the
      // answer): this attempt takes the key over. Its write finds the key's recovery point and
      // answers what the first attempt committed instead of doing it again.
      const { count } = await this.prisma.idempotencyRecord.updateMany({
        where: { id: existing.id, OR: [{ state: 'completed' }, { lockedUntil: { lte: now } }] },
        data: { state: 'in_progress', lockedUntil: new Date(now.getTime() + this.times.lockMs) },
      });
      return count === 1 ? { kind: 'proceed', recordId: existing.id } : { kind: 'in_progress' };
    }
    return { kind: 'in_progress' };
  }

  async complete(recordId: string, response: StoredResponse, customerId: string | undefined): Promise<void> {
    await this.prisma.idempotencyRecord.update({
      where: { id: recordId },
      data: {
        state: 'completed',
        responseStatus: response.status,
        responseBody: response.body === undefined ? Prisma.DbNull : (response.body as Prisma.InputJsonValue),
        // The write's recovery point may have named the customer already (forget answers no `id`).
        ...(customerId !== undefined ? { customerId } : {}),
      },
    });
  }

  /**
   * Frees the key for the same request to be sent again: forgotten if the request failed before
   * committing anything, else unlocked so a retry resumes from its recovery point at once.
   */
  async release(recordId: string): Promise<void> {
    await this.prisma.idempotencyRecord.deleteMany({
      where: { id: recordId, state: 'in_progress', recoveryPoint: 'started' },
    });
    await this.prisma.idempotencyRecord.updateMany({
      where: { id: recordId, state: 'in_progress' },
      data: { lockedUntil: new Date() },
    });
  }

  /** Removes the records past their time to live (IDEMPOTENCY_TTL_HOURS); resolves how many. */
  async purgeExpired(now = new Date()): Promise<number> {
    const { count } = await this.prisma.idempotencyRecord.deleteMany({ where: { expiresAt: { lte: now } } });
    return count;
  }
}
