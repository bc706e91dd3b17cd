/**
 * The customers table in SQL: the statements the repository's writes send (one round trip each,
 * with their events), the JSON a read renders a customer as, and the mapping of its rows back to
 * the domain's Customer. PrismaCustomerRepository (prisma-customer.repository.ts) decides when each
 * runs; the outbox's leases live in prisma-sync-queue.ts, events in event-log.ts.
 */
import { isDeepStrictEqual } from 'node:util';

import {
  type Address,
  type Customer,
  type CustomerData,
  type LinkTarget,
  type CustomerType,
  DomainError,
  type LinkStatus,
  type Lease,
  type TaxCertificate,
  type TaxIdentifier,
} from '@app/domain';

import { Prisma } from '../../../generated/prisma/client';
import { type EventAuthor, eventWrites, type NewEvent } from './event-log';
import { epochMs, LINK_OBJECT, type LinkRecord, optional, optionalDate, toLink } from './link-json';
import { leasedUntil } from './prisma-sync-queue';

export type Tx = Prisma.TransactionClient;

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
export const CUSTOMERS_WITH_LINKS = Prisma.raw(
  `SELECT ${customerObject('FROM provider_links l WHERE l.customer_id = c.id')} FROM customers c`,
);

/** A row of the statements that answer customers. */
export interface CustomerRow {
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
export interface LinkColumns {
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
export const REQUEUED = { status: 'pending', attempts: 0, nextAttemptAt: null } as const;

/** What a forget, or the tombstone of a delete, leaves of the customer's personal data: nothing. */
export const ERASED_PERSONAL_FIELDS = {
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
export const accountOf = ({ provider, account }: LinkTarget) => ({ provider, account });

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
export function createStatement(
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
    data: { version: 1, providers },
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
      INSERT INTO provider_links (id, customer_id, customer_seq, provider, account, reference, provider_customer_id, status,
                                  synced_version, last_synced_at, unsupported_fields, lossy_fields, created_at, updated_at,
                                  locked_by, locked_until, attempts)
      SELECT l.id, new_customer.id, new_customer.seq, l.provider, l.account, l.reference, l.provider_customer_id,
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
export function updateStatement(
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

/** The canonical fields a write changed, by name (`address` as a whole). */
export function changedFieldsOf(before: CustomerData, after: CustomerData): string[] {
  const previous: Record<string, unknown> = toColumns(before);
  const next: Record<string, unknown> = toColumns(after);
  return Object.keys(next).filter((field) => !isDeepStrictEqual(previous[field], next[field]));
}

/** The customer an earlier attempt of this idempotent request created; gone since is a 404. */
export async function existing(tx: Tx, id: string): Promise<Customer> {
  const [row] = await tx.$queryRaw<CustomerRow[]>`${CUSTOMERS_WITH_LINKS} WHERE c.id = ${id}`;
  if (row === undefined)
    throw new DomainError('customer_not_found', `The customer "${id}" no longer exists.`);
  return toCustomer(row);
}

/** Which unique value a write collided on, as the error callers can act on. */
export function uniqueViolation(error: unknown): DomainError | undefined {
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

export function toCustomer({ customer }: CustomerRow): Customer {
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
