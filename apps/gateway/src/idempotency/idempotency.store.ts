import { randomUUID } from 'node:crypto';

import { Inject, Injectable } from '@nestjs/common';
import { PRISMA_CLIENT } from '@app/persistence';
import { type GatewayConfig } from '@app/config';

import { Prisma, type PrismaClient } from '../../../../generated/prisma/client';
import { GATEWAY_CONFIG } from '../config/config.module';
import { HttpError } from '../errors/http-error';

export interface StoredResponse {
  status: number;
  body: unknown;
}

export type IdempotencyDecision =
  { kind: 'proceed'; recordId: string } | ({ kind: 'replay' } & StoredResponse);

/**
 * Stripe's idempotency semantics, kept in the database so that every gateway instance sees the
 * same keys: https://docs.stripe.com/api/idempotent_requests
 */
@Injectable()
export class IdempotencyStore {
  private readonly ttlMs: number;
  private readonly lockMs: number;

  constructor(
    @Inject(PRISMA_CLIENT) private readonly prisma: PrismaClient,
    @Inject(GATEWAY_CONFIG) config: GatewayConfig,
  ) {
    this.ttlMs = config.IDEMPOTENCY_TTL_HOURS * 3_600_000;
    this.lockMs = config.IDEMPOTENCY_LOCK_SECONDS * 1000;
  }

  /** Claims the key for this request, or says what to answer instead. */
  async begin(apiKeyId: string, key: string, requestHash: string): Promise<IdempotencyDecision> {
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
            lockedUntil: new Date(now.getTime() + this.lockMs),
            expiresAt: new Date(now.getTime() + this.ttlMs),
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
      if (existing.requestHash !== requestHash) {
        throw new HttpError(
          'idempotency_key_reused',
          'This Idempotency-Key was used with a different request. Use a new key for a new request.',
        );
      }
      if (existing.state === 'completed' && existing.responseStatus !== null) {
        return { kind: 'replay', status: existing.responseStatus, body: existing.responseBody };
      }
      if (existing.state === 'in_progress' && existing.lockedUntil > now) {
        throw new HttpError(
          'idempotency_request_in_progress',
          'A request with this Idempotency-Key is still being processed. Retry after it finishes.',
        );
      }
      // The request that held the key died before its answer was kept (or forget scrubbed the
      // answer): this attempt takes the key over. Its write finds the key's recovery point and
      // answers what the first attempt committed instead of doing it again.
      const { count } = await this.prisma.idempotencyRecord.updateMany({
        where: { id: existing.id, OR: [{ state: 'completed' }, { lockedUntil: { lte: now } }] },
        data: { state: 'in_progress', lockedUntil: new Date(now.getTime() + this.lockMs) },
      });
      if (count === 1) return { kind: 'proceed', recordId: existing.id };
      throw new HttpError(
        'idempotency_request_in_progress',
        'A request with this Idempotency-Key is still being processed. Retry after it finishes.',
      );
    }
    throw new HttpError('idempotency_request_in_progress', 'The Idempotency-Key is contended. Retry.');
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
