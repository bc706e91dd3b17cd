import { Inject, Injectable } from '@nestjs/common';
import {
  type ItemResult,
  MIGRATION_OUTCOMES,
  type MigrationCounts,
  type MigrationItem,
  type MigrationRun,
  type MigrationSpec,
  MigrationStore,
  type OutcomeReason,
} from '@app/migration';

import { Prisma, type PrismaClient } from '../../../generated/prisma/client';
import { idempotentWrite } from './idempotent-write';
import { PRISMA_CLIENT } from './prisma.tokens';

type RunRow = Prisma.MigrationRunGetPayload<object>;
type ItemRow = Prisma.MigrationItemGetPayload<object>;

/** The database's own clock in epoch milliseconds, so every process schedules against one clock. */
const NOW_MS = Prisma.raw('(extract(epoch from clock_timestamp()) * 1000)');

@Injectable()
export class PrismaMigrationStore extends MigrationStore {
  constructor(@Inject(PRISMA_CLIENT) private readonly prisma: PrismaClient) {
    super();
  }

  async createRun(id: string, spec: MigrationSpec, references?: readonly string[]): Promise<MigrationRun> {
    return this.prisma.$transaction((tx) =>
      idempotentWrite(
        tx,
        async () => {
          await tx.migrationRun.create({
            data: {
              id,
              sourceProvider: spec.source.provider,
              sourceAccount: spec.source.account,
              sourceKind: spec.source.kind,
              targetProvider: spec.target.provider,
              targetAccount: spec.target.account,
              options: toJson(spec),
            },
          });
          if (references !== undefined) await recordPageIn(tx, id, references, undefined, true);
          return {
            result: toRun(await tx.migrationRun.findUniqueOrThrow({ where: { id } })),
            resourceId: id,
          };
        },
        // The run the crashed attempt started: a retry answers it instead of starting another.
        async ({ resourceId }) =>
          toRun(await tx.migrationRun.findUniqueOrThrow({ where: { id: resourceId } })),
      ),
    );
  }

  async findRun(id: string): Promise<MigrationRun | undefined> {
    const row = await this.prisma.migrationRun.findUnique({ where: { id } });
    return row === null ? undefined : toRun(row);
  }

  async listRuns(limit: number): Promise<MigrationRun[]> {
    const rows = await this.prisma.migrationRun.findMany({ orderBy: { createdAt: 'desc' }, take: limit });
    return rows.map(toRun);
  }

  async setStatus(id: string, status: 'running' | 'cancelled'): Promise<void> {
    await this.prisma.migrationRun.updateMany({
      where: { id, status: { not: 'completed' } },
      data: { status, finishedAt: status === 'cancelled' ? new Date() : null },
    });
  }

  async recordPage(
    runId: string,
    references: readonly string[],
    cursor: string | undefined,
    last: boolean,
  ): Promise<string[]> {
    return this.prisma.$transaction((tx) => recordPageIn(tx, runId, references, cursor, last));
  }

  async pendingItems(runId: string, afterSeq: number, limit: number): Promise<MigrationItem[]> {
    const rows = await this.prisma.migrationItem.findMany({
      where: { runId, outcome: null, seq: { gt: afterSeq } },
      orderBy: { seq: 'asc' },
      take: limit,
    });
    return rows.map(toItem);
  }

  async pendingAmong(runId: string, references: readonly string[]): Promise<string[]> {
    const rows = await this.prisma.migrationItem.findMany({
      where: { runId, outcome: null, sourceReference: { in: [...references] } },
      select: { sourceReference: true },
    });
    return rows.map((row) => row.sourceReference);
  }

  async finishItem(runId: string, reference: string, result: ItemResult, worker: string): Promise<void> {
    await this.prisma.migrationItem.update({
      where: { runId_sourceReference: { runId, sourceReference: reference } },
      data: {
        outcome: result.outcome,
        reason: result.reason === undefined ? Prisma.DbNull : toJson(result.reason),
        lossyFields: result.lossyFields,
        customerId: result.customerId ?? null,
        targetReference: result.targetReference ?? null,
        attempts: { increment: 1 },
        worker,
        finishedAt: new Date(),
      },
    });
  }

  async requeueRetryable(runId: string): Promise<number> {
    return this.prisma.$executeRaw`
      UPDATE migration_items SET outcome = NULL, finished_at = NULL
       WHERE run_id = ${runId} AND outcome = 'failed' AND (reason->>'retryable')::boolean`;
  }

  async reopenForRetry(runId: string): Promise<boolean> {
    const reopened = await this.prisma.$executeRaw`
      UPDATE migration_runs SET status = 'running', finished_at = NULL, updated_at = now()
       WHERE id = ${runId} AND status = 'completed'
         AND EXISTS (SELECT 1 FROM migration_items
                      WHERE run_id = ${runId} AND outcome = 'failed' AND (reason->>'retryable')::boolean)`;
    return reopened === 1;
  }

  async completeIfDone(runId: string): Promise<boolean> {
    const done = await this.prisma.$executeRaw`
      UPDATE migration_runs SET status = 'completed', finished_at = now(), updated_at = now()
       WHERE id = ${runId} AND status = 'running' AND enumerated
         AND NOT EXISTS (SELECT 1 FROM migration_items WHERE run_id = ${runId} AND outcome IS NULL)`;
    return done === 1;
  }

  async counts(runId: string): Promise<MigrationCounts> {
    const groups = await this.prisma.migrationItem.groupBy({
      by: ['outcome'],
      where: { runId },
      _count: { _all: true },
    });
    const counts = Object.fromEntries(
      [...MIGRATION_OUTCOMES, 'pending', 'total'].map((key) => [key, 0]),
    ) as MigrationCounts;
    for (const group of groups) {
      counts[group.outcome ?? 'pending'] += group._count._all;
      counts.total += group._count._all;
    }
    return counts;
  }

  async finishedSince(runId: string, windowMs: number): Promise<number> {
    return this.prisma.migrationItem.count({
      where: { runId, finishedAt: { gte: new Date(Date.now() - windowMs) } },
    });
  }

  async lossyFields(runId: string): Promise<Record<string, number>> {
    const rows = await this.prisma.$queryRaw<{ field: string; customers: bigint }[]>`
      SELECT field, count(*) AS customers
        FROM migration_items, unnest(lossy_fields) AS field
       WHERE run_id = ${runId}
       GROUP BY field ORDER BY field`;
    return Object.fromEntries(rows.map((row) => [row.field, Number(row.customers)]));
  }

  async items(runId: string, afterSeq: number, limit: number): Promise<MigrationItem[]> {
    const rows = await this.prisma.migrationItem.findMany({
      where: { runId, seq: { gt: afterSeq } },
      orderBy: { seq: 'asc' },
      take: limit,
    });
    return rows.map(toItem);
  }

  async linkedReferences(
    provider: string,
    account: string,
    after: string | undefined,
    limit: number,
  ): Promise<string[]> {
    const rows = await this.prisma.providerLink.findMany({
      where: {
        provider,
        account,
        intent: 'sync',
        ...(after !== undefined ? { reference: { gt: after } } : {}),
      },
      orderBy: { reference: 'asc' },
      take: limit,
      select: { reference: true },
    });
    return rows.map((row) => row.reference);
  }

  async reserveSlots(key: string, intervalMs: number, count: number, burstMs: number): Promise<number> {
    // GCRA: the first slot is the schedule's next free time, or now less the burst allowance if
    // the schedule fell behind; taking `count` slots pushes it on by as many intervals.
    const span = intervalMs * count;
    const [row] = await this.prisma.$queryRaw<{ wait_ms: number }[]>`
      INSERT INTO rate_budgets AS b (key, next_slot_ms) VALUES (${key}, ${NOW_MS} + ${span})
      ON CONFLICT (key) DO UPDATE
        SET next_slot_ms = GREATEST(b.next_slot_ms, ${NOW_MS} - ${burstMs}) + ${span}
      RETURNING next_slot_ms - ${span} - ${NOW_MS} AS wait_ms`;
    return Math.max(0, row?.wait_ms ?? 0);
  }

  async pauseSlots(key: string, ms: number): Promise<void> {
    await this.prisma.$executeRaw`
      INSERT INTO rate_budgets AS b (key, next_slot_ms) VALUES (${key}, ${NOW_MS} + ${ms})
      ON CONFLICT (key) DO UPDATE SET next_slot_ms = GREATEST(b.next_slot_ms, ${NOW_MS} + ${ms})`;
  }
}

function toJson(value: object): Prisma.InputJsonValue {
  return JSON.parse(JSON.stringify(value)) as Prisma.InputJsonValue;
}

function toRun(row: RunRow): MigrationRun {
  return {
    id: row.id,
    status: row.status,
    spec: row.options as unknown as MigrationSpec,
    ...(row.cursor !== null ? { cursor: row.cursor } : {}),
    enumerated: row.enumerated,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
    ...(row.finishedAt !== null ? { finishedAt: row.finishedAt } : {}),
  };
}

function toItem(row: ItemRow): MigrationItem {
  return {
    seq: row.seq,
    sourceReference: row.sourceReference,
    attempts: row.attempts,
    ...(row.outcome !== null ? { outcome: row.outcome } : {}),
    ...(row.reason !== null ? { reason: row.reason as unknown as OutcomeReason } : {}),
    lossyFields: row.lossyFields,
    ...(row.customerId !== null ? { customerId: row.customerId } : {}),
    ...(row.targetReference !== null ? { targetReference: row.targetReference } : {}),
    ...(row.worker !== null ? { worker: row.worker } : {}),
    ...(row.finishedAt !== null ? { finishedAt: row.finishedAt } : {}),
  };
}

/** Records one page of the source and the cursor after it; resolves the newly recorded references. */
async function recordPageIn(
  tx: Prisma.TransactionClient,
  runId: string,
  references: readonly string[],
  cursor: string | undefined,
  last: boolean,
): Promise<string[]> {
  const unique = [...new Set(references)];
  // The run's row lock orders pages, so sequence numbers never collide.
  await tx.$queryRaw`SELECT id FROM migration_runs WHERE id = ${runId} FOR UPDATE`;
  let inserted: { source_reference: string }[] = [];
  if (unique.length > 0) {
    inserted = await tx.$queryRaw<{ source_reference: string }[]>`
      INSERT INTO migration_items (run_id, seq, source_reference)
      SELECT ${runId}, base.seq + row_number() OVER (ORDER BY page.ordinality), page.reference
        FROM unnest(${unique}::text[]) WITH ORDINALITY AS page(reference, ordinality),
             (SELECT COALESCE(MAX(seq), 0) AS seq FROM migration_items WHERE run_id = ${runId}) AS base
       WHERE NOT EXISTS (
         SELECT 1 FROM migration_items
          WHERE run_id = ${runId} AND source_reference = page.reference)
      RETURNING source_reference`;
  }
  await tx.migrationRun.update({
    where: { id: runId },
    data: { cursor: cursor ?? null, enumerated: last },
  });
  const added = new Set(inserted.map((row) => row.source_reference));
  return unique.filter((reference) => added.has(reference));
}
