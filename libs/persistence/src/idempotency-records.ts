import { randomUUID } from 'node:crypto';

import { Inject, Injectable } from '@nestjs/common';

import { SecretKeyring } from '@app/secrets';

import { Prisma, type PrismaClient } from '../../../generated/prisma/client';
import { KeyHolders } from './key-holders';
import { PRISMA_CLIENT } from './prisma.tokens';
import { openAnswerSecret, sealAnswerSecret } from './sealed-answers';
import { SECRET_KEYRING } from './secret-store';

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

/** What a request holds (KeyHolders) while it runs under an Idempotency-Key of an API key. */
export function idempotencyHoldKey(apiKeyId: string, key: string): string {
  return `idempotency\0${apiKeyId}\0${key}`;
}

/** Injection token of the IdempotencyOptions an application configures. */
export const IDEMPOTENCY_OPTIONS = 'IDEMPOTENCY_OPTIONS';

export interface IdempotencyOptions {
  /** How long a key and its answer are kept (IDEMPOTENCY_TTL_HOURS). */
  ttlMs: number;
}

/**
 * Idempotency-Key records, kept in the database so that every gateway instance sees the same
 * keys, with Stripe's semantics: https://docs.stripe.com/api/idempotent_requests
 *
 * A request holds its key (KeyHolders) from its claim until its answer is kept or it lets the key
 * go. A retry that finds the key's record in progress but can hold the key itself knows the
 * request that had it is dead, and takes the record over at once; while that request lives, the
 * retry is told the key is in progress.
 */
@Injectable()
export class IdempotencyRecords {
  /** The key each record this process holds was claimed under. */
  private readonly heldKeys = new Map<string, string>();

  constructor(
    @Inject(PRISMA_CLIENT) private readonly prisma: PrismaClient,
    @Inject(IDEMPOTENCY_OPTIONS) private readonly options: IdempotencyOptions,
    private readonly holders: KeyHolders,
    @Inject(SECRET_KEYRING) private readonly keyring: SecretKeyring,
  ) {}

  /** The kept answer, its secret opened again (see sealAnswerSecret). */
  private replay(record: { id: string; responseBody: unknown }, status: number): IdempotencyClaim {
    return {
      kind: 'replay',
      status,
      body: openAnswerSecret(this.keyring, record.responseBody, record.id),
    };
  }

  /** Claims the key for this request, or says what to answer instead. */
  async claim(apiKeyId: string, key: string, requestHash: string): Promise<IdempotencyClaim> {
    const heldKey = idempotencyHoldKey(apiKeyId, key);
    if (!(await this.holders.hold(heldKey))) return this.whileHeldElsewhere(apiKeyId, key, requestHash);
    let claim: IdempotencyClaim = { kind: 'in_progress' };
    try {
      claim = await this.claimHeld(apiKeyId, key, requestHash);
      return claim;
    } finally {
      if (claim.kind === 'proceed') this.heldKeys.set(claim.recordId, heldKey);
      else await this.holders.release(heldKey);
    }
  }

  async complete(recordId: string, response: StoredResponse, customerId: string | undefined): Promise<void> {
    try {
      await this.prisma.idempotencyRecord.update({
        where: { id: recordId },
        data: {
          state: 'completed',
          responseStatus: response.status,
          responseBody:
            response.body === undefined
              ? Prisma.DbNull
              : (sealAnswerSecret(this.keyring, response.body, recordId) as Prisma.InputJsonValue),
          // The write's recovery point may have named the customer already (forget answers no `id`).
          ...(customerId !== undefined ? { customerId } : {}),
        },
      });
    } finally {
      await this.letGo(recordId);
    }
  }

  /**
   * Frees the key for the same request to be sent again: forgotten if the request failed before
   * committing anything, else left in progress for a retry to resume from its recovery point.
   */
  async release(recordId: string): Promise<void> {
    try {
      await this.prisma.idempotencyRecord.deleteMany({
        where: { id: recordId, state: 'in_progress', recoveryPoint: 'started' },
      });
    } finally {
      await this.letGo(recordId);
    }
  }

  /** With the key held, no other request is running under it: what is left of one is this one's. */
  private async claimHeld(apiKeyId: string, key: string, requestHash: string): Promise<IdempotencyClaim> {
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
            expiresAt: new Date(now.getTime() + this.options.ttlMs),
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
        return this.replay(existing, existing.responseStatus);
      }
      // The request that held the key died before its answer was kept (or forget scrubbed the
      // answer): this attempt takes the key over. Its write finds the key's recovery point and
      // answers what the first attempt committed instead of doing it again.
      await this.prisma.idempotencyRecord.update({
        where: { id: existing.id },
        data: { state: 'in_progress' },
      });
      return { kind: 'proceed', recordId: existing.id };
    }
    return { kind: 'in_progress' };
  }

  /** A live request holds the key: its answer if it is already kept, else it is still running. */
  private async whileHeldElsewhere(
    apiKeyId: string,
    key: string,
    requestHash: string,
  ): Promise<IdempotencyClaim> {
    const existing = await this.prisma.idempotencyRecord.findUnique({
      where: { apiKeyId_key: { apiKeyId, key } },
    });
    if (existing === null || existing.expiresAt <= new Date()) return { kind: 'in_progress' };
    if (existing.requestHash !== requestHash) return { kind: 'key_reused' };
    if (existing.state === 'completed' && existing.responseStatus !== null) {
      return this.replay(existing, existing.responseStatus);
    }
    return { kind: 'in_progress' };
  }

  private async letGo(recordId: string): Promise<void> {
    const heldKey = this.heldKeys.get(recordId);
    this.heldKeys.delete(recordId);
    if (heldKey !== undefined) await this.holders.release(heldKey);
  }
}
