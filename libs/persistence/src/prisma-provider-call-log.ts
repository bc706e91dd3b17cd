import { randomUUID } from 'node:crypto';

import { Inject, Injectable } from '@nestjs/common';
import { ProviderCallLog, type ProviderCallRecord, type StoredProviderCall } from '@app/customer-domain';

import { type PrismaClient } from '../../../generated/prisma/client';
import { PRISMA_CLIENT } from './prisma.tokens';

/** The provider-call audit trail in the `provider_calls` table. */
@Injectable()
export class PrismaProviderCallLog extends ProviderCallLog {
  constructor(@Inject(PRISMA_CLIENT) private readonly prisma: PrismaClient) {
    super();
  }

  async append(
    customerId: string | undefined,
    operation: string,
    calls: ProviderCallRecord[],
  ): Promise<void> {
    if (calls.length === 0) return;
    await this.prisma.providerCall.createMany({
      data: calls.map((call) => ({
        id: randomUUID(),
        customerId: customerId ?? null,
        operation,
        provider: call.provider,
        account: call.account,
        method: call.method,
        path: call.path,
        httpStatus: call.httpStatus ?? null,
        outcome: call.outcome,
        durationMs: call.durationMs,
        providerRequestId: call.providerRequestId ?? null,
        createdAt: call.at,
      })),
    });
  }

  async recent(customerId: string, limit: number): Promise<StoredProviderCall[]> {
    const rows = await this.prisma.providerCall.findMany({
      where: { customerId },
      orderBy: { createdAt: 'desc' },
      take: limit,
    });
    return rows.map((row) => ({
      provider: row.provider,
      account: row.account,
      operation: row.operation,
      method: row.method,
      path: row.path,
      ...(row.httpStatus !== null ? { httpStatus: row.httpStatus } : {}),
      outcome: row.outcome,
      durationMs: row.durationMs,
      ...(row.providerRequestId !== null ? { providerRequestId: row.providerRequestId } : {}),
      at: row.createdAt,
    }));
  }
}
