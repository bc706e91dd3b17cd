import { randomUUID } from 'node:crypto';

import { Inject, Injectable } from '@nestjs/common';
import {
  type AdoptedLink,
  type ClaimedLink,
  type InsertedCustomer,
  type Lease,
  type Customer,
  type CustomerData,
  type CustomerListQuery,
  type CustomerPage,
  type LinkTarget,
  CustomerRepository,
  DomainError,
  type CallContext,
  type NewLink,
} from '@app/domain';

import { Prisma, type PrismaClient } from '../../../generated/prisma/client';
import { recordEvent, scrubCustomerEvents } from './event-log';
import { holdsIdempotencyKey, idempotentWrite } from './idempotent-write';
import { type Database } from './database';
import { DATABASE } from './prisma.tokens';
import {
  type Tx,
  CUSTOMERS_WITH_LINKS,
  type CustomerRow,
  type LinkColumns,
  REQUEUED,
  ERASED_PERSONAL_FIELDS,
  accountOf,
  createStatement,
  updateStatement,
  changedFieldsOf,
  existing,
  uniqueViolation,
  toCustomer,
} from './customer-sql';

@Injectable()
export class PrismaCustomerRepository extends CustomerRepository {
  private readonly prisma: PrismaClient;
  private readonly query: Database['query'];

  constructor(@Inject(DATABASE) database: Pick<Database, 'prisma' | 'query'>) {
    super();
    this.prisma = database.prisma;
    this.query = database.query;
  }

  async insert(
    context: CallContext,
    id: string,
    data: CustomerData,
    links: readonly NewLink[],
    lease?: Lease,
  ): Promise<InsertedCustomer> {
    const written = links.map((link) => ({ ...link, id: randomUUID(), status: 'pending' as const }));
    const created = await this.create(context, id, data, written, lease);
    if (!created.inserted || lease === undefined) return { customer: created.customer, claimed: [] };
    // As SyncQueue.claim answers them: the first attempt at links never delivered.
    const claimed = written.map((link): ClaimedLink => ({
      id: link.id,
      customerId: id,
      provider: link.provider,
      account: link.account,
      reference: link.reference,
      intent: 'sync',
      attempts: 1,
      unsupportedFields: [],
    }));
    return { customer: created.customer, claimed };
  }

  async insertAdopted(
    context: CallContext,
    id: string,
    data: CustomerData,
    link: AdoptedLink,
  ): Promise<Customer> {
    const created = await this.create(context, id, data, [
      {
        id: randomUUID(),
        provider: link.provider,
        account: link.account,
        reference: link.reference,
        providerCustomerId: link.providerCustomerId ?? null,
        unsupportedFields: link.unsupportedFields,
        lossyFields: link.lossyFields,
        status: 'synced',
        syncedVersion: 1,
        lastSyncedAt: new Date(),
      },
    ]);
    return created.customer;
  }

  /**
   * The customer, its links (claimed under `lease` when given) and its `customer.created` event in
   * one statement, which answers the rows as written (nothing is read back); with the request's
   * recovery point when it holds an Idempotency-Key. `inserted` is false when a retry found that
   * write already committed, and answers the customer as it is now.
   */
  private async create(
    context: CallContext,
    id: string,
    data: CustomerData,
    links: LinkColumns[],
    lease?: Lease,
  ): Promise<{ customer: Customer; inserted: boolean }> {
    const statement = createStatement(context, id, data, links, lease);
    try {
      if (!holdsIdempotencyKey(context)) {
        const [row] = await this.query<CustomerRow>(statement);
        return { customer: toCustomer(row!), inserted: true };
      }
      return await this.prisma.$transaction((tx) =>
        idempotentWrite<{ customer: Customer; inserted: boolean }>(
          tx,
          context,
          async () => {
            const [row] = await tx.$queryRaw<CustomerRow[]>(statement);
            return { result: { customer: toCustomer(row!), inserted: true }, resourceId: id, customerId: id };
          },
          async ({ resourceId }) => ({ customer: await existing(tx, resourceId), inserted: false }),
        ),
      );
    } catch (error) {
      throw uniqueViolation(error) ?? error;
    }
  }

  async findById(id: string): Promise<Customer | undefined> {
    const [row] = await this.query<CustomerRow>(Prisma.sql`${CUSTOMERS_WITH_LINKS} WHERE c.id = ${id}`);
    return row === undefined ? undefined : toCustomer(row);
  }

  async findIdByReference(provider: string, reference: string): Promise<string | undefined> {
    const link = await this.prisma.providerLink.findFirst({
      where: { provider, OR: [{ reference }, { providerCustomerId: reference }] },
      select: { customerId: true },
    });
    return link?.customerId;
  }

  /**
   * Newest first, keyed on `seq` (unique and monotonic), so pages never overlap or skip rows
   * however many customers are created while a caller pages through. Every shape reads about as
   * many rows as the page holds, whatever the number of customers (bench/scale.ts,
   * test/persistence/list-plans.spec.ts).
   */
  async list(query: CustomerListQuery): Promise<CustomerPage> {
    const conditions = [
      query.deletedSince === undefined
        ? Prisma.sql`c.deleted_at IS NULL`
        : Prisma.sql`(c.deleted_at IS NULL OR c.deleted_at >= ${query.deletedSince})`,
    ];
    if (query.email !== undefined) conditions.push(Prisma.sql`lower(c.email) = lower(${query.email})`);
    if (query.ids !== undefined) conditions.push(Prisma.sql`c.id = ANY(${query.ids}::text[])`);
    if (query.forgotten !== undefined) {
      conditions.push(
        query.forgotten ? Prisma.sql`c.forgotten_at IS NOT NULL` : Prisma.sql`c.forgotten_at IS NULL`,
      );
    }
    // The cursor's seq is looked up in the same statement; an unknown cursor then finds no rows.
    const backwards = query.endingBefore !== undefined;
    const cursor = query.endingBefore ?? query.startingAfter;
    const cursorSeq =
      cursor === undefined ? undefined : Prisma.sql`(SELECT seq FROM customers WHERE id = ${cursor})`;
    const beyond = (column: Prisma.Sql) =>
      cursorSeq === undefined
        ? Prisma.empty
        : Prisma.sql`AND ${column} ${Prisma.raw(backwards ? '>' : '<')} ${cursorSeq}`;
    const order = Prisma.raw(backwards ? 'ASC' : 'DESC');
    const statement =
      query.provider === undefined && query.syncStatus === undefined
        ? Prisma.sql`
      ${CUSTOMERS_WITH_LINKS}
       WHERE ${Prisma.join(conditions, ' AND ')} ${beyond(Prisma.sql`c.seq`)}
       ORDER BY c.seq ${order}
       LIMIT ${query.limit + 1}::int`
        : this.linkedPage(query, conditions, cursorSeq, backwards);
    const rows = await this.query<CustomerRow>(statement);
    if (rows.length === 0 && cursor !== undefined)
      await this.assertCursor(cursor, backwards ? 'endingBefore' : 'startingAfter');
    const page = rows.slice(0, query.limit).map(toCustomer);
    return { data: backwards ? page.reverse() : page, hasMore: rows.length > query.limit };
  }

  /**
   * A page of the customers with a link matching `?provider=` and `?syncStatus=`, found by walking
   * the links' (provider, customer_seq), (status, customer_seq) or (provider, status, customer_seq)
   * index one customer at a time
   * (a recursive query whose every step is "the next matching seq past this one", LIMIT 1), and
   * stopping once the page is full. Each step is an ordered index probe whatever the planner
   * believes about the tables, so the page reads about as many rows as it holds even before
   * statistics exist (autovacuum analyzes late, some servers run without it): a DISTINCT over the
   * matching links let a planner without statistics gather all of a provider's links and sort
   * them. A customer with several matching links is met once, since each step moves strictly past
   * the last. PostgreSQL evaluates a WITH query only as far as its reader fetches
   * (https://www.postgresql.org/docs/15/queries-with.html#QUERIES-WITH-RECURSIVE), so the LIMIT
   * ends the walk; the customer conditions are a scalar subquery per step, which the planner
   * cannot turn into a join over every customer.
   */
  private linkedPage(
    query: CustomerListQuery,
    conditions: Prisma.Sql[],
    cursorSeq: Prisma.Sql | undefined,
    backwards: boolean,
  ): Prisma.Sql {
    const matches: Prisma.Sql[] = [];
    if (query.provider !== undefined) matches.push(Prisma.sql`f.provider = ${query.provider}`);
    if (query.syncStatus !== undefined)
      matches.push(Prisma.sql`f.status = ${query.syncStatus}::"LinkStatus"`);
    const [past, order, start] = backwards
      ? [Prisma.raw('>'), Prisma.raw('ASC'), Prisma.raw('0')]
      : [Prisma.raw('<'), Prisma.raw('DESC'), Prisma.raw('9223372036854775807')];
    const next = (bound: Prisma.Sql) => Prisma.sql`(
      SELECT f.customer_seq FROM provider_links f
       WHERE ${Prisma.join(matches, ' AND ')} AND f.customer_seq ${past} ${bound}
       ORDER BY f.customer_seq ${order} LIMIT 1)`;
    return Prisma.sql`
      WITH RECURSIVE walk(seq) AS (
        SELECT ${next(cursorSeq ?? Prisma.sql`${start}::bigint`)}
        UNION ALL
        SELECT ${next(Prisma.sql`walk.seq`)} FROM walk WHERE walk.seq IS NOT NULL
      )
      ${CUSTOMERS_WITH_LINKS}
       WHERE c.seq = ANY(ARRAY(
         SELECT walk.seq FROM walk
          WHERE walk.seq IS NOT NULL
            AND (SELECT true FROM customers c WHERE c.seq = walk.seq AND ${Prisma.join(conditions, ' AND ')})
          LIMIT ${query.limit + 1}::int))
       ORDER BY c.seq ${order}`;
  }

  async modify(
    context: CallContext,
    id: string,
    change: (current: Customer) => CustomerData,
  ): Promise<Customer | undefined> {
    return this.prisma.$transaction((tx) =>
      idempotentWrite(
        tx,
        context,
        async () => {
          // Concurrent writers queue on the row lock instead of retrying against each other.
          const [locked] = await tx.$queryRaw<CustomerRow[]>`
            ${CUSTOMERS_WITH_LINKS} WHERE c.id = ${id} FOR UPDATE OF c`;
          if (locked === undefined) return { result: undefined, resourceId: id };
          const before = toCustomer(locked);
          const data = change(before);
          const changedFields = changedFieldsOf(before, data);
          const updated = updateStatement(
            context,
            id,
            data,
            changedFields.length === 0
              ? undefined
              : {
                  type: 'customer.updated',
                  customerId: id,
                  data: { version: before.version + 1, changedFields },
                },
          );
          let saved: Customer;
          try {
            const [row] = await tx.$queryRaw<CustomerRow[]>(updated);
            saved = toCustomer(row!);
          } catch (error) {
            throw uniqueViolation(error) ?? error;
          }
          return { result: saved, resourceId: id, customerId: id };
        },
        // Already applied by the attempt that crashed: not again (a second increment, a stale If-Match).
        async () => this.findByIdIn(tx, id),
        id,
      ),
    );
  }

  async addLink(context: CallContext, customerId: string, link: NewLink): Promise<void> {
    try {
      await this.prisma.$transaction((tx) =>
        idempotentWrite(
          tx,
          context,
          async () => {
            await tx.providerLink.upsert({
              where: {
                customerId_provider_account: { customerId, provider: link.provider, account: link.account },
              },
              create: { id: randomUUID(), customerId, ...link, status: 'pending' },
              update: REQUEUED,
            });
            return { result: undefined, resourceId: customerId, customerId };
          },
          () => Promise.resolve(),
          customerId,
        ),
      );
    } catch (error) {
      throw uniqueViolation(error) ?? error;
    }
  }

  async markDeleted(context: CallContext, id: string): Promise<LinkTarget[] | undefined> {
    return this.prisma.$transaction((tx) =>
      idempotentWrite(
        tx,
        context,
        async () => {
          const targets = await tx.providerLink.findMany({
            where: { customerId: id },
            select: { provider: true, account: true },
            orderBy: [{ provider: 'asc' }, { account: 'asc' }],
          });
          const done = (found: boolean) => ({
            result: found ? targets : undefined,
            resourceId: id,
            customerId: id,
            detail: { links: targets },
          });
          const deleted = (providersLeft: number) =>
            recordEvent(tx, { type: 'customer.deleted', customerId: id, data: { providersLeft } }, context);
          // The tombstone keeps ids and links (every provider reference still finds it, and each
          // link says what remains there), not the customer's personal data: a provider that
          // cannot delete is scrubbed from its own copy. It answers 410 until the retention job
          // purges it (TOMBSTONE_RETENTION_HOURS); the external reference stays reserved meanwhile,
          // so a new customer reusing it is never mistaken for the old one by a provider.
          const { count } = await tx.customer.updateMany({
            where: { id, deletedAt: null },
            data: { ...ERASED_PERSONAL_FIELDS, deletedAt: new Date(), version: { increment: 1 } },
          });
          await tx.providerLink.updateMany({
            // A repeated delete re-drives only the links not settled yet: a confirmed delete or
            // scrub keeps its record of what remains.
            where: count === 1 ? { customerId: id } : { customerId: id, status: { not: 'synced' } },
            data: { intent: 'delete', erasure: Prisma.DbNull, ...REQUEUED },
          });
          if (count === 1) await deleted(targets.length);
          return done(count === 1 || (await tx.customer.count({ where: { id } })) === 1);
        },
        // The links the customer had when the crashed attempt deleted it, to report on each.
        ({ detail }) => Promise.resolve((detail as { links: LinkTarget[] }).links),
        id,
      ),
    );
  }

  async erase(context: CallContext, id: string): Promise<Customer | undefined> {
    const erased = await this.prisma.$transaction((tx) =>
      idempotentWrite(
        tx,
        context,
        async () => {
          const { count } = await tx.customer.updateMany({
            where: { id },
            data: { ...ERASED_PERSONAL_FIELDS, forgottenAt: new Date(), version: { increment: 1 } },
          });
          if (count === 0) return { result: false, resourceId: id };
          await tx.providerLink.updateMany({
            where: { customerId: id, intent: { not: 'delete' } },
            data: { intent: 'forget', erasure: Prisma.DbNull, lastError: Prisma.DbNull, ...REQUEUED },
          });
          // Stored answers may hold the personal fields. Their recovery points stay, so a retry of
          // those requests answers the tombstone instead of creating or changing the customer again.
          await tx.idempotencyRecord.updateMany({
            where: { customerId: id },
            data: { responseStatus: null, responseBody: Prisma.DbNull },
          });
          await scrubCustomerEvents(tx, id);
          await recordEvent(
            tx,
            { type: 'customer.forgotten', customerId: id, data: { erased: 'personal fields' } },
            context,
          );
          return { result: true, resourceId: id, customerId: id };
        },
        () => Promise.resolve(true),
        id,
      ),
    );
    return erased ? this.findById(id) : undefined;
  }

  async setPrimary(_context: CallContext, customerId: string, target: LinkTarget): Promise<void> {
    await this.prisma.$transaction([
      this.prisma.providerLink.updateMany({
        where: { customerId, primary: true, NOT: accountOf(target) },
        data: { primary: false },
      }),
      this.prisma.providerLink.updateMany({
        where: { customerId, ...accountOf(target) },
        data: { primary: true },
      }),
    ]);
  }

  async retireLink(
    context: CallContext,
    customerId: string,
    target: LinkTarget,
    reason: string,
  ): Promise<void> {
    await this.prisma.$transaction(async (tx) => {
      const { count } = await tx.providerLink.deleteMany({ where: { customerId, ...accountOf(target) } });
      if (count === 0) return;
      await recordEvent(
        tx,
        { type: 'customer.link.retired', customerId, data: { ...accountOf(target), reason } },
        context,
      );
    });
  }

  async forgetAt(_context: CallContext, customerId: string, target: LinkTarget): Promise<void> {
    await this.prisma.providerLink.updateMany({
      where: { customerId, ...accountOf(target), intent: { not: 'forget' } },
      data: { ...REQUEUED, intent: 'forget' },
    });
  }

  async disableAt(_context: CallContext, customerId: string, target: LinkTarget): Promise<void> {
    await this.prisma.providerLink.updateMany({
      where: { customerId, ...accountOf(target), intent: { in: ['sync', 'disable'] } },
      data: { ...REQUEUED, intent: 'disable', lastError: Prisma.DbNull },
    });
  }

  private async findByIdIn(db: Tx, id: string): Promise<Customer | undefined> {
    const [row] = await db.$queryRaw<CustomerRow[]>`${CUSTOMERS_WITH_LINKS} WHERE c.id = ${id}`;
    return row === undefined ? undefined : toCustomer(row);
  }

  private async assertCursor(id: string, field: 'startingAfter' | 'endingBefore'): Promise<void> {
    const row = await this.prisma.customer.findUnique({ where: { id }, select: { id: true } });
    if (row === null) {
      throw new DomainError('validation_failed', `${field} names no customer.`, [
        { field, code: 'unknown_cursor', message: `No customer with id "${id}" to page from.` },
      ]);
    }
  }
}
