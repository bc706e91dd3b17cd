import { Inject, Injectable } from '@nestjs/common';
import {
  type CallContext,
  type Claimed,
  DomainError,
  type ItemOutcome,
  type ItemResult,
  JOB_ACTORS,
  jobContext,
  type JobRun,
  MIGRATION_OUTCOMES,
  type MigrationItem,
  type MigrationSpec,
  MigrationStore,
  RUN_HEARTBEAT_STALE_MS,
  type NewRun,
  type OutcomeReason,
  type ProviderDrift,
  RECONCILIATION_OUTCOMES,
  type ReconciliationSpec,
  type RunCounts,
  type RunKind,
  type RunPage,
  type RunPageQuery,
} from '@app/domain';

import { Prisma, type PrismaClient } from '../../../generated/prisma/client';
import { recordEvent } from './event-log';
import { idempotentWrite } from './idempotent-write';
import { PRISMA_CLIENT } from './prisma.tokens';

/** A run's own events (its completion) are the migration job's, whoever started the run. */
const MIGRATION_JOB = jobContext(JOB_ACTORS.migration);

type RunRow = Prisma.MigrationRunGetPayload<object>;
type ItemRow = Prisma.MigrationItemGetPayload<object>;

/** The database's own clock in epoch milliseconds, so every process schedules against one clock. */
const NOW_MS = Prisma.raw('(extract(epoch from clock_timestamp()) * 1000)');

@Injectable()
export class PrismaMigrationStore extends MigrationStore {
  constructor(@Inject(PRISMA_CLIENT) private readonly prisma: PrismaClient) {
    super();
  }

  async createRun(context: CallContext, run: NewRun): Promise<Claimed<JobRun>> {
    const ends =
      run.kind === 'migration'
        ? {
            sourceProvider: run.spec.source.provider,
            sourceAccount: run.spec.source.account,
            sourceKind: run.spec.source.kind,
            targetProvider: run.spec.target.provider,
            targetAccount: run.spec.target.account,
          }
        : {};
    return this.prisma.$transaction((tx) =>
      idempotentWrite<Claimed<JobRun>>(
        tx,
        context,
        async () => {
          if (!run.force) {
            const runningId = await lockAndFindRunning(tx, run.exclusiveKey, run.id);
            // Nothing was written: the refusal is no recovery point, a retry checks again.
            if (runningId !== undefined) return { result: { runningId }, resourceId: '' };
          }
          await tx.migrationRun.create({
            data: {
              id: run.id,
              kind: run.kind,
              exclusiveKey: run.exclusiveKey,
              options: toJson(run.spec),
              ...ends,
            },
          });
          // A run limited to given references has them recorded with it, all or nothing.
          if (run.references !== undefined) await recordPageIn(tx, run.id, run.references, undefined, true);
          return {
            result: { run: toRun(await tx.migrationRun.findUniqueOrThrow({ where: { id: run.id } })) },
            resourceId: run.id,
          };
        },
        // The run the crashed attempt started: a retry answers it instead of starting another.
        async ({ resourceId }) => ({
          run: toRun(await tx.migrationRun.findUniqueOrThrow({ where: { id: resourceId } })),
        }),
      ),
    );
  }

  async findRun(id: string): Promise<JobRun | undefined> {
    const row = await this.prisma.migrationRun.findUnique({ where: { id } });
    return row === null ? undefined : toRun(row);
  }

  async listRuns(kind: RunKind, query: RunPageQuery): Promise<RunPage> {
    const take = query.limit + 1;
    // Ordered by start time, then id: two runs started in the same millisecond keep one order.
    const cursor = async (id: string, field: 'startingAfter' | 'endingBefore') => {
      const row = await this.prisma.migrationRun.findFirst({ where: { id, kind } });
      if (row === null) {
        throw new DomainError('validation_failed', `No ${kind} with id "${id}" to page from.`, [
          { field, code: 'unknown_cursor', message: `No ${kind} with id "${id}".` },
        ]);
      }
      return row;
    };
    if (query.endingBefore !== undefined) {
      const after = await cursor(query.endingBefore, 'endingBefore');
      const rows = await this.prisma.migrationRun.findMany({
        where: {
          kind,
          OR: [{ createdAt: { gt: after.createdAt } }, { createdAt: after.createdAt, id: { gt: after.id } }],
        },
        orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
        take,
      });
      return { data: rows.slice(0, query.limit).reverse().map(toRun), hasMore: rows.length > query.limit };
    }
    const before =
      query.startingAfter === undefined ? undefined : await cursor(query.startingAfter, 'startingAfter');
    const rows = await this.prisma.migrationRun.findMany({
      where: {
        kind,
        ...(before === undefined
          ? {}
          : {
              OR: [
                { createdAt: { lt: before.createdAt } },
                { createdAt: before.createdAt, id: { lt: before.id } },
              ],
            }),
      },
      orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
      take,
    });
    return { data: rows.slice(0, query.limit).map(toRun), hasMore: rows.length > query.limit };
  }

  async runningRunIds(): Promise<string[]> {
    const rows = await this.prisma.migrationRun.findMany({
      where: { status: 'running' },
      orderBy: { createdAt: 'asc' },
      select: { id: true },
    });
    return rows.map((row) => row.id);
  }

  async cancelRun(id: string): Promise<void> {
    await this.prisma.migrationRun.updateMany({
      where: { id, status: { in: ['running', 'interrupted'] } },
      data: { status: 'cancelled', finishedAt: new Date() },
    });
  }

  async interruptRun(id: string): Promise<void> {
    await this.prisma.migrationRun.updateMany({
      where: { id, status: 'running' },
      data: { status: 'interrupted' },
    });
  }

  async heartbeat(id: string): Promise<void> {
    // Raw: a heartbeat is no change to the run, so `updated_at` stays as it was.
    await this.prisma.$executeRaw`
      UPDATE migration_runs SET heartbeat_at = ${new Date()} WHERE id = ${id} AND status = 'running'`;
  }

  async resumeRun(id: string): Promise<Claimed<JobRun>> {
    return this.prisma.$transaction(async (tx) => {
      const row = await tx.migrationRun.findUniqueOrThrow({ where: { id } });
      const forced = (row.options as { force?: boolean }).force === true;
      if (row.status !== 'running' && row.exclusiveKey !== null && !forced) {
        const runningId = await lockAndFindRunning(tx, row.exclusiveKey, id);
        if (runningId !== undefined) return { runningId };
      }
      if (row.status === 'cancelled' || row.status === 'interrupted') {
        await tx.migrationRun.update({
          where: { id },
          data: { status: 'running', finishedAt: null, heartbeatAt: new Date() },
        });
      } else if (row.status === 'running') {
        // A run whose process is gone (stale heartbeat): the resuming process drives it now.
        await tx.migrationRun.update({ where: { id }, data: { heartbeatAt: new Date() } });
      } else if (row.status === 'completed') {
        // Only failures that may pass are worth another go; without any the run stays completed.
        await tx.$executeRaw`
          UPDATE migration_runs SET status = 'running', finished_at = NULL, updated_at = now()
           WHERE id = ${id}
             AND EXISTS (SELECT 1 FROM migration_items
                          WHERE run_id = ${id} AND outcome = 'failed' AND (reason->>'retryable')::boolean)`;
      }
      return { run: toRun(await tx.migrationRun.findUniqueOrThrow({ where: { id } })) };
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
        drift: result.drift === undefined ? Prisma.DbNull : toJson(result.drift),
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

  /**
   * Completing the run records `migration.completed`, or `migration.failed` when customers failed
   * (the CLI's exit code 2), in the same transaction: a run completes, and is announced, once.
   */
  async completeIfDone(runId: string): Promise<boolean> {
    return this.prisma.$transaction(async (tx) => {
      const done = await tx.$executeRaw`
        UPDATE migration_runs SET status = 'completed', finished_at = now(), updated_at = now()
         WHERE id = ${runId} AND status = 'running' AND enumerated
           AND NOT EXISTS (SELECT 1 FROM migration_items WHERE run_id = ${runId} AND outcome IS NULL)`;
      if (done !== 1) return false;
      const groups = await tx.migrationItem.groupBy({
        by: ['outcome'],
        where: { runId },
        _count: { _all: true },
      });
      const outcomes = Object.fromEntries(MIGRATION_OUTCOMES.map((outcome) => [outcome, 0]));
      for (const group of groups) if (group.outcome !== null) outcomes[group.outcome] = group._count._all;
      const run = await tx.migrationRun.findUniqueOrThrow({ where: { id: runId } });
      // Reconciliations share the run table; only migrations are announced.
      if (run.kind !== 'migration') return true;
      await recordEvent(
        tx,
        {
          type: (outcomes['failed'] ?? 0) > 0 ? 'migration.failed' : 'migration.completed',
          migrationId: runId,
          data: {
            source: { provider: run.sourceProvider, account: run.sourceAccount },
            target: { provider: run.targetProvider, account: run.targetAccount },
            outcomes,
          },
        },
        MIGRATION_JOB,
      );
      return true;
    });
  }

  async counts(runId: string): Promise<RunCounts> {
    const groups = await this.prisma.migrationItem.groupBy({
      by: ['outcome'],
      where: { runId },
      _count: { _all: true },
    });
    const counts = Object.fromEntries(
      [...MIGRATION_OUTCOMES, ...RECONCILIATION_OUTCOMES, 'pending', 'total'].map((key) => [key, 0]),
    ) as RunCounts;
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

  async driftedFields(runId: string): Promise<Record<string, number>> {
    const rows = await this.prisma.$queryRaw<{ field: string; customers: bigint }[]>`
      SELECT field, count(DISTINCT seq) AS customers
        FROM migration_items,
             jsonb_array_elements(drift) AS copy,
             jsonb_array_elements_text(copy->'fields') AS field
       WHERE run_id = ${runId} AND drift IS NOT NULL
       GROUP BY field ORDER BY field`;
    return Object.fromEntries(rows.map((row) => [row.field, Number(row.customers)]));
  }

  async items(
    runId: string,
    afterSeq: number,
    limit: number,
    outcome?: ItemOutcome | 'pending',
  ): Promise<MigrationItem[]> {
    const rows = await this.prisma.migrationItem.findMany({
      where: {
        runId,
        seq: { gt: afterSeq },
        ...(outcome !== undefined ? { outcome: outcome === 'pending' ? null : outcome } : {}),
      },
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

  async linkedCustomerIds(after: string | undefined, limit: number): Promise<string[]> {
    const rows = await this.prisma.customer.findMany({
      where: {
        deletedAt: null,
        forgottenAt: null,
        links: { some: { intent: 'sync' } },
        ...(after !== undefined ? { id: { gt: after } } : {}),
      },
      orderBy: { id: 'asc' },
      take: limit,
      select: { id: true },
    });
    return rows.map((row) => row.id);
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

/**
 * Serialises starts (and resumes) holding `key` across every process on the database, for the
 * rest of the transaction, and finds a running run with that key other than `self`. A run whose
 * process is gone (its heartbeat stale: killed, or its machine lost) holds the key no longer: it
 * reads `interrupted`, and without this a sweep killed with its gateway barred every later sweep.
 */
async function lockAndFindRunning(
  tx: Prisma.TransactionClient,
  key: string,
  self: string,
): Promise<string | undefined> {
  await tx.$queryRaw`SELECT pg_advisory_xact_lock(hashtext(${`run:${key}`}))::text`;
  const running = await tx.migrationRun.findFirst({
    where: {
      exclusiveKey: key,
      status: 'running',
      id: { not: self },
      OR: [{ heartbeatAt: null }, { heartbeatAt: { gte: new Date(Date.now() - RUN_HEARTBEAT_STALE_MS) } }],
    },
    orderBy: { createdAt: 'asc' },
    select: { id: true },
  });
  return running?.id;
}

/** Running in the database, but the process driving it stopped writing its heartbeat. */
const lostItsProcess = (row: RunRow) =>
  row.status === 'running' &&
  row.heartbeatAt !== null &&
  Date.now() - row.heartbeatAt.getTime() > RUN_HEARTBEAT_STALE_MS;

function toRun(row: RunRow): JobRun {
  return {
    id: row.id,
    status: lostItsProcess(row) ? 'interrupted' : row.status,
    ...(row.kind === 'migration'
      ? { kind: 'migration', spec: row.options as unknown as MigrationSpec }
      : { kind: 'reconciliation', spec: row.options as unknown as ReconciliationSpec }),
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
    ...(row.drift !== null ? { drift: row.drift as unknown as ProviderDrift[] } : {}),
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
