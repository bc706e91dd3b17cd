import { randomUUID } from 'node:crypto';

import { Inject, Injectable } from '@nestjs/common';
import {
  DomainError,
  type LinkError,
  type LinkOutcome,
  ProviderLinkRepository,
  type ProviderTarget,
} from '@app/customer-domain';

import { Prisma, type PrismaClient } from '../../../generated/prisma/client';
import { PRISMA_CLIENT } from './prisma.tokens';

@Injectable()
export class PrismaProviderLinkRepository extends ProviderLinkRepository {
  constructor(@Inject(PRISMA_CLIENT) private readonly prisma: PrismaClient) {
    super();
  }

  async begin(customerId: string, target: ProviderTarget, reference: string): Promise<void> {
    try {
      await this.prisma.providerLink.upsert({
        where: { customerId_provider_account: { customerId, ...target } },
        create: { id: randomUUID(), customerId, ...target, reference, status: 'pending', attempts: 1 },
        update: { status: 'pending', attempts: { increment: 1 } },
      });
    } catch (error) {
      if ((error as { code?: unknown }).code === 'P2002') {
        throw new DomainError(
          'provider_reference_taken',
          `Another customer is already linked to ${target.provider}/${target.account} under this reference.`,
        );
      }
      throw error;
    }
  }

  async markSynced(customerId: string, target: ProviderTarget, outcome: LinkOutcome): Promise<void> {
    await this.prisma.providerLink.update({
      where: { customerId_provider_account: { customerId, ...target } },
      data: {
        status: 'synced',
        providerCustomerId: outcome.providerCustomerId ?? null,
        unsupportedFields: outcome.unsupportedFields,
        lastSyncedAt: new Date(),
        attempts: 0,
        nextAttemptAt: null,
        lastError: Prisma.DbNull,
      },
    });
  }

  async markFailed(customerId: string, target: ProviderTarget, error: LinkError): Promise<void> {
    await this.prisma.providerLink.update({
      where: { customerId_provider_account: { customerId, ...target } },
      data: { status: 'failed', lastError: { ...error } },
    });
  }

  async findCustomerId(provider: string, reference: string): Promise<string | undefined> {
    const link = await this.prisma.providerLink.findFirst({
      where: { provider, OR: [{ reference }, { providerCustomerId: reference }] },
      select: { customerId: true },
    });
    return link?.customerId;
  }
}
