import { randomUUID } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';

import { Inject, Injectable } from '@nestjs/common';
import {
  type AdoptedLink,
  type Address,
  type ClaimedLink,
  type InsertedCustomer,
  type Lease,
  type Customer,
  type CustomerData,
  type CustomerListQuery,
  type CustomerPage,
  type LinkTarget,
  CANONICAL_FIELDS,
  type CanonicalField,
  type CustomerType,
  CustomerRepository,
  DomainError,
  type CallContext,
  type LinkStatus,
  type NewLink,
  type TaxCertificate,
  type TaxIdentifier,
} from '@app/customer-domain';

import { Prisma, type PrismaClient } from '../../../generated/prisma/client';
import { type EventAuthor, eventWrites, type NewEvent, recordEvent, scrubCustomerEvents } from './event-log';
import { holdsIdempotencyKey, idempotentWrite } from './idempotent-write';
import { type Database } from './database';
import { DATABASE } from './prisma.tokens';
import { epochMs, LINK_OBJECT, type LinkRecord, optional, optionalDate, toLink } from './link-json';
import { leasedUntil } from './prisma-sync-queue';

type Tx = Prisma.TransactionClient;

/**
 * A customer (the row aliased `c`) and its links (`linksFrom`: a table or CTE aliased `l`, ordered
 * as the API lists them; none when absent) as one JSON column `customer`, in the shape of
 * CustomerRecord. One column to decode instead of twenty-two: the driver builds a parser table and
 * a row object per column and per row, about a twentieth of a read's CPU, where PostgreSQL builds
 * the JSON for less.
 */
const customerObject = (linksFrom: string | undefined) => `json_build_object(
  'id', c.id, 'externalReference', c.external_reference, 'email', c.email, 'givenName', c.given_name,
  'familyName', c.family_name, 'companyName', c.company_name, 'phone', c.phone, 'address', c.address,
  'locale', c.locale, 'type', c.type, 'enabled', c.enabled, 'metadata', c.metadata,
  'taxIdentifiers', c.tax_identifiers, 'taxCertificates', c.tax_certificates, 'sourceIds', c.source_ids,
  'defaultSourceId', c.default_source_id, 'forgottenAt', ${epochMs('c.forgotten_at')},
  'deletedAt', ${epochMs('c.deleted_at')}, 'version', c.version, 'createdAt', ${epochMs('c.created_at')},
  'updatedAt', ${epochMs('c.updated_at')},
  'links', ${linksFrom === undefined ? `'[]'::json` : `COALESCE((SELECT json_agg(${LINK_OBJECT} ORDER BY l.provider, l.account) ${linksFrom}), '[]'::json)`}
) AS customer`;

/**
 * A customer and its links in one round trip (Prisma's `include` takes two queries and its query
 * interpreter was the largest single cost of a read); filter with `WHERE` on `c`.
 */
const CUSTOMERS_WITH_LINKS = Prisma.raw(
  `SELECT ${customerObject('FROM provider_links l WHERE l.customer_id = c.id')} FROM customers c`,
);

/** A row of the statements that answer customers. */
interface CustomerRow {
  customer: CustomerRecord;
}

/** A customer as customerObject renders it (timestamps as epoch milliseconds). */
interface CustomerRecord {
  id: string;
  externalReference: string | null;
  email: string | null;
  givenName: string | null;
  familyName: string | null;
  companyName: string | null;
  phone: string | null;
  address: Address | null;
  locale: string | null;
  type: CustomerType | null;
  enabled: boolean;
  metadata: Record<string, string>;
  taxIdentifiers: TaxIdentifier[];
  taxCertificates: TaxCertificate[];
  sourceIds: string[];
  defaultSourceId: string | null;
  forgottenAt: number | null;
  deletedAt: number | null;
  version: number;
  createdAt: number;
  updatedAt: number;
  links: LinkRecord[];
}

/** A link as a create writes it. */
interface LinkColumns {
  id: string;
  provider: string;
  account: string;
  reference: string;
  providerCustomerId?: string | null;
  status: LinkStatus;
  syncedVersion?: number;
  lastSyncedAt?: Date;
  unsupportedFields?: string[];
  lossyFields?: string[];
}

/** A link put back in line: due now, its attempt count restarted. */
const REQUEUED = { status: 'pending', attempts: 0, nextAttemptAt: null } as const;

/** What a forget, or the tombstone of a delete, leaves of the customer's personal data: nothing. */
const ERASED_PERSONAL_FIELDS = {
  email: null,
  givenName: null,
  familyName: null,
  companyName: null,
  phone: null,
  address: Prisma.DbNull,
  metadata: {},
  taxIdentifiers: [],
  taxCertificates: [],
} as const;

/** The link's columns of a target: callers may hand in a wider object (a migration's source has `kind`). */
const accountOf = ({ provider, account }: LinkTarget) => ({ provider, account });

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
   * however many customers are created while a caller pages through.
   */
  async list(query: CustomerListQuery): Promise<CustomerPage> {
    const conditions = [Prisma.sql`c.deleted_at IS NULL`];
    if (query.email !== undefined) conditions.push(Prisma.sql`lower(c.email) = lower(${query.email})`);
    if (query.ids !== undefined) conditions.push(Prisma.sql`c.id = ANY(${query.ids}::text[])`);
    if (query.forgotten !== undefined) {
      conditions.push(
        query.forgotten ? Prisma.sql`c.forgotten_at IS NOT NULL` : Prisma.sql`c.forgotten_at IS NULL`,
      );
    }
    if (query.provider !== undefined || query.syncStatus !== undefined) {
      conditions.push(Prisma.sql`EXISTS (SELECT 1 FROM provider_links f WHERE f.customer_id = c.id
        AND (${query.provider ?? null}::text IS NULL OR f.provider = ${query.provider ?? null})
        AND (${query.syncStatus ?? null}::text IS NULL OR f.status::text = ${query.syncStatus ?? null}))`);
    }
    // The cursor's seq is looked up in the same statement; an unknown cursor then finds no rows.
    const backwards = query.endingBefore !== undefined;
    const cursor = query.endingBefore ?? query.startingAfter;
    if (cursor !== undefined) {
      const seq = Prisma.sql`(SELECT seq FROM customers WHERE id = ${cursor})`;
      conditions.push(backwards ? Prisma.sql`c.seq > ${seq}` : Prisma.sql`c.seq < ${seq}`);
    }
    const rows = await this.query<CustomerRow>(Prisma.sql`
      ${CUSTOMERS_WITH_LINKS}
       WHERE ${Prisma.join(conditions, ' AND ')}
       ORDER BY c.seq ${backwards ? Prisma.raw('ASC') : Prisma.raw('DESC')}
       LIMIT ${query.limit + 1}::int`);
    if (rows.length === 0 && cursor !== undefined)
      await this.assertCursor(cursor, backwards ? 'endingBefore' : 'startingAfter');
    const page = rows.slice(0, query.limit).map(toCustomer);
    return { data: backwards ? page.reverse() : page, hasMore: rows.length > query.limit };
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
                  data: { version: before.version + 1, changedFields, customer: snapshotOf(data) },
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
          if (targets.length === 0) {
            if ((await tx.customer.deleteMany({ where: { id } })).count === 0) return done(false);
            await deleted(0);
            return done(true);
          }
          // The external reference stays reserved until the providers' copies are gone: a new
          // customer reusing it could otherwise be mistaken for the old one by a provider.
          // The tombstone keeps ids and links (every provider reference still finds it), not the
          // customer's personal data: a provider that cannot delete is scrubbed from its own copy.
          const { count } = await tx.customer.updateMany({
            where: { id, deletedAt: null },
            data: { ...ERASED_PERSONAL_FIELDS, deletedAt: new Date(), version: { increment: 1 } },
          });
          await tx.providerLink.updateMany({
            where: { customerId: id },
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

/** The customer's columns, in the order of CUSTOMER_VALUES. */
function customerValues(data: CustomerData): Prisma.Sql {
  const columns = toColumns(data);
  const json = (value: unknown) => (value === null ? null : JSON.stringify(value));
  return Prisma.sql`${columns.externalReference}, ${columns.email}, ${columns.givenName}, ${columns.familyName},
    ${columns.companyName}, ${columns.phone}, ${json(columns.address)}::jsonb, ${columns.locale},
    ${columns.type}::"CustomerType", ${columns.enabled}, ${json(columns.metadata)}::jsonb,
    ${json(columns.taxIdentifiers)}::jsonb, ${json(columns.taxCertificates)}::jsonb,
    ${columns.sourceIds}::text[], ${columns.defaultSourceId}`;
}

const CUSTOMER_VALUES = Prisma.raw(`external_reference, email, given_name, family_name, company_name, phone,
  address, locale, type, enabled, metadata, tax_identifiers, tax_certificates, source_ids, default_source_id`);

/**
 * Inserts the customer, its links and its `customer.created` event (with what the event names:
 * the resource's own fields and where it goes), answering the rows as written.
 */
function createStatement(
  by: EventAuthor,
  id: string,
  data: CustomerData,
  links: LinkColumns[],
  lease: Lease | undefined,
): Prisma.Sql {
  const now = new Date();
  const providers = links
    .map(({ provider, account, reference }) => ({ provider, account, reference }))
    .sort((a, b) => compare(a.provider, b.provider) || compare(a.account, b.account));
  const createdEvent: NewEvent = {
    type: 'customer.created',
    customerId: id,
    data: { version: 1, customer: snapshotOf(data), providers },
  };
  const newCustomer = Prisma.sql`
    new_customer AS (
      INSERT INTO customers (id, ${CUSTOMER_VALUES}, version, created_at, updated_at)
      VALUES (${id}, ${customerValues(data)}, 1, ${now}::timestamp(3), ${now}::timestamp(3))
      RETURNING *
    )`;
  // A customer with no links (`providers: []`) is a fifth of PostgreSQL's work lighter without
  // the links' part of the statement, even though that part would insert nothing.
  if (links.length === 0) {
    return Prisma.sql`
      WITH ${newCustomer},
      ${eventWrites(createdEvent, by, Prisma.sql`SELECT count(*) FROM new_customer`)}
      SELECT ${Prisma.raw(customerObject(undefined))} FROM new_customer c`;
  }
  const linkRows = links.map((link) => ({
    id: link.id,
    provider: link.provider,
    account: link.account,
    reference: link.reference,
    provider_customer_id: link.providerCustomerId ?? null,
    status: link.status,
    synced_version: link.syncedVersion ?? null,
    last_synced_at: link.lastSyncedAt?.toISOString() ?? null,
    unsupported_fields: link.unsupportedFields ?? [],
    lossy_fields: link.lossyFields ?? [],
  }));
  return Prisma.sql`
    WITH ${newCustomer},
    new_links AS (
      INSERT INTO provider_links (id, customer_id, provider, account, reference, provider_customer_id, status,
                                  synced_version, last_synced_at, unsupported_fields, lossy_fields, created_at, updated_at,
                                  locked_by, locked_until, attempts)
      SELECT l.id, new_customer.id, l.provider, l.account, l.reference, l.provider_customer_id,
             l.status::"LinkStatus", l.synced_version, l.last_synced_at::timestamp(3),
             ARRAY(SELECT json_array_elements_text(l.unsupported_fields)),
             ARRAY(SELECT json_array_elements_text(l.lossy_fields)), ${now}::timestamp(3), ${now}::timestamp(3),
             ${lease === undefined ? Prisma.sql`NULL, NULL, 0` : Prisma.sql`${lease.workerId}, ${leasedUntil(lease.leaseMs)}, 1`}
        FROM new_customer, json_to_recordset(${JSON.stringify(linkRows)}::json) AS l(
             id text, provider text, account text, reference text, provider_customer_id text, status text,
             synced_version int, last_synced_at text, unsupported_fields json, lossy_fields json)
      RETURNING *
    ),
    ${eventWrites(
      createdEvent,
      by,
      Prisma.sql`SELECT (SELECT count(*) FROM new_customer) + (SELECT count(*) FROM new_links)`,
    )}
    SELECT ${Prisma.raw(customerObject('FROM new_links l'))} FROM new_customer c`;
}

/**
 * Writes the customer's new data (one version up), puts its synced links back in line (the
 * outbox) and records `event` when there is one, answering the customer as written.
 */
function updateStatement(
  by: EventAuthor,
  id: string,
  data: CustomerData,
  event: NewEvent | undefined,
): Prisma.Sql {
  const now = new Date();
  const recorded =
    event === undefined
      ? Prisma.empty
      : Prisma.sql`, ${eventWrites(
          event,
          by,
          Prisma.sql`SELECT (SELECT count(*) FROM updated) + (SELECT count(*) FROM requeued)`,
        )}`;
  return Prisma.sql`
    WITH updated AS (
      UPDATE customers SET (${CUSTOMER_VALUES}) = ROW(${customerValues(data)}),
             version = version + 1, updated_at = ${now}::timestamp(3)
       WHERE id = ${id}
      RETURNING *
    ),
    requeued AS (
      UPDATE provider_links
         SET status = 'pending', attempts = 0, next_attempt_at = NULL, updated_at = ${now}::timestamp(3)
       WHERE customer_id = ${id} AND intent = 'sync'
      RETURNING *
    )${recorded}
    SELECT ${Prisma.raw(
      customerObject(`FROM (SELECT * FROM requeued
                            UNION ALL SELECT * FROM provider_links WHERE customer_id = c.id AND intent <> 'sync') l`),
    )}
      FROM updated c`;
}

/** Code-point order, as the event lists the providers. */
function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The canonical fields as an event carries them (what the resource shows; scrubbed on forget). */
const SNAPSHOT_FIELDS = CANONICAL_FIELDS.filter(
  (field): field is CanonicalField & keyof CustomerData => !field.includes('.'),
);

function snapshotOf(data: CustomerData): Prisma.InputJsonObject {
  // eventWrites writes it through JSON.stringify, which drops absent fields at any depth.
  const snapshot: Record<string, unknown> = {};
  for (const field of SNAPSHOT_FIELDS) if (data[field] !== undefined) snapshot[field] = data[field];
  return snapshot as Prisma.InputJsonObject;
}

/** The canonical fields a write changed, by name (`address` as a whole). */
function changedFieldsOf(before: CustomerData, after: CustomerData): string[] {
  const previous: Record<string, unknown> = toColumns(before);
  const next: Record<string, unknown> = toColumns(after);
  return Object.keys(next).filter((field) => !isDeepStrictEqual(previous[field], next[field]));
}

/** The customer an earlier attempt of this idempotent request created; gone since is a 404. */
async function existing(tx: Tx, id: string): Promise<Customer> {
  const [row] = await tx.$queryRaw<CustomerRow[]>`${CUSTOMERS_WITH_LINKS} WHERE c.id = ${id}`;
  if (row === undefined)
    throw new DomainError('customer_not_found', `The customer "${id}" no longer exists.`);
  return toCustomer(row);
}

/** Which unique value a write collided on, as the error callers can act on. */
function uniqueViolation(error: unknown): DomainError | undefined {
  const { code, meta, table } = error as {
    code?: unknown;
    meta?: { driverAdapterError?: { cause?: { originalCode?: unknown } } };
    table?: unknown;
  };
  // P2002 from Prisma's own queries; P2010 with SQLSTATE 23505 from raw SQL through Prisma; the
  // bare SQLSTATE, with the table, from DirectQuery on PostgreSQL.
  const unique =
    code === 'P2002' ||
    code === '23505' ||
    (code === 'P2010' && meta?.driverAdapterError?.cause?.originalCode === '23505');
  if (!unique) return undefined;
  const detail = JSON.stringify(meta ?? { table });
  if (detail.includes('provider_links') || detail.includes('ProviderLink')) {
    return new DomainError(
      'provider_reference_taken',
      'Another customer is already linked to that provider under this reference.',
      [
        {
          field: 'externalReference',
          code: 'taken_at_provider',
          message: 'Another customer holds this reference at the provider.',
        },
      ],
    );
  }
  return new DomainError('external_reference_taken', 'Another customer already has this externalReference.', [
    {
      field: 'externalReference',
      code: 'taken',
      message: 'Another customer already has this externalReference.',
    },
  ]);
}

/** Optional fields are stored as NULL so that clearing one in an update clears the column. */
function toColumns(data: CustomerData) {
  return {
    externalReference: data.externalReference ?? null,
    email: data.email ?? null,
    givenName: data.givenName ?? null,
    familyName: data.familyName ?? null,
    companyName: data.companyName ?? null,
    phone: data.phone ?? null,
    address: data.address ?? null,
    locale: data.locale ?? null,
    type: data.type ?? null,
    enabled: data.enabled,
    metadata: data.metadata,
    taxIdentifiers: data.taxIdentifiers,
    taxCertificates: data.taxCertificates,
    sourceIds: data.sourceIds,
    defaultSourceId: data.defaultSourceId ?? null,
  };
}

function toCustomer({ customer }: CustomerRow): Customer {
  return {
    id: customer.id,
    externalReference: optional(customer.externalReference),
    email: optional(customer.email),
    givenName: optional(customer.givenName),
    familyName: optional(customer.familyName),
    companyName: optional(customer.companyName),
    phone: optional(customer.phone),
    address: optional(customer.address),
    locale: optional(customer.locale),
    type: optional(customer.type),
    enabled: customer.enabled,
    metadata: customer.metadata,
    taxIdentifiers: customer.taxIdentifiers,
    taxCertificates: customer.taxCertificates,
    sourceIds: customer.sourceIds,
    defaultSourceId: optional(customer.defaultSourceId),
    forgottenAt: optionalDate(customer.forgottenAt),
    deletedAt: optionalDate(customer.deletedAt),
    version: customer.version,
    createdAt: new Date(customer.createdAt),
    updatedAt: new Date(customer.updatedAt),
    providers: customer.links.map(toLink),
  };
}
