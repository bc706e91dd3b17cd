import { randomUUID } from 'node:crypto';

import { Inject, Injectable } from '@nestjs/common';
import { ProviderCallLog, type ProviderCallRecord, type StoredProviderCall } from '@app/domain';

import { Prisma, type PrismaClient } from '../../../generated/prisma/client';
import { type Database } from './database';
import { DATABASE, PRISMA_CLIENT } from './prisma.tokens';

/**
 * The statement that appends calls to the trail, all in one: on its own (`append`), or as a
 * common table expression of a delivery's settle (PrismaSyncQueue), which commits the calls with
 * the link's outcome.
 */
export function insertProviderCalls(
  customerId: string | undefined,
  operation: string,
  calls: readonly ProviderCallRecord[],
): Prisma.Sql {
  const rows = calls.map((call) => ({
    id: randomUUID(),
    provider: call.provider,
    account: call.account,
    method: call.method,
    path: call.path,
    http_status: call.httpStatus ?? null,
    outcome: call.outcome,
    duration_ms: call.durationMs,
    provider_request_id: call.providerRequestId ?? null,
    actor: call.actor ?? null,
    request_id: call.requestId ?? null,
    created_at: call.at.toISOString(),
  }));
  return Prisma.sql`
    INSERT INTO provider_calls (id, customer_id, operation, provider, account, method, path, http_status,
                                outcome, duration_ms, provider_request_id, actor, request_id, created_at)
    SELECT c.id, ${customerId ?? null}, ${operation}, c.provider, c.account, c.method, c.path, c.http_status,
           c.outcome, c.duration_ms, c.provider_request_id, c.actor, c.request_id, c.created_at::timestamp(3)
      FROM json_to_recordset(${JSON.stringify(rows)}::json) AS c(
           id text, provider text, account text, method text, path text, http_status int, outcome text,
           duration_ms int, provider_request_id text, actor text, request_id text, created_at text)`;
}

/** The provider-call audit trail in the `provider_calls` table. */
@Injectable()
export class PrismaProviderCallLog extends ProviderCallLog {
  private readonly query: Database['query'];

  constructor(
    @Inject(PRISMA_CLIENT) private readonly prisma: PrismaClient,
    @Inject(DATABASE) database: Pick<Database, 'query'>,
  ) {
    super();
    this.query = database.query;
  }

  async append(
    customerId: string | undefined,
    operation: string,
    calls: ProviderCallRecord[],
  ): Promise<void> {
    if (calls.length === 0) return;
    await this.query(insertProviderCalls(customerId, operation, calls));
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
      ...(row.actor !== null ? { actor: row.actor } : {}),
      ...(row.requestId !== null ? { requestId: row.requestId } : {}),
      at: row.createdAt,
    }));
  }
}
