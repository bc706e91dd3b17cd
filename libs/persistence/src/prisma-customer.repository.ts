import { randomUUID } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';

import { Inject, Injectable } from '@nestjs/common';
import {
  type AdoptedLink,
  type Address,
  type Customer,
  type CustomerData,
  type CustomerListQuery,
  type CustomerPage,
  type LinkTarget,
  CANONICAL_FIELDS,
  type CanonicalField,
  CustomerRepository,
  DomainError,
  JOB_ACTORS,
  type Erasure,
  type LinkError,
  type NewLink,
  type ProviderLink,
  type TaxCertificate,
  type TaxIdentifier,
} from '@app/customer-domain';

import { Prisma, type PrismaClient } from '../../../generated/prisma/client';
import { recordEvent, scrubCustomerEvents } from './event-log';
import { idempotentWrite } from './idempotent-write';
import { PRISMA_CLIENT } from './prisma.tokens';

type CustomerRow = Prisma.CustomerGetPayload<{ include: { links: true } }>;
type LinkRow = CustomerRow['links'][number];
type Tx = Prisma.TransactionClient;

const withLinks = {
  links: { orderBy: [{ provider: 'asc' }, { account: 'asc' }] },
} satisfies Prisma.CustomerInclude;

/** Links that follow the customer's data: not those already being deleted or forgotten. */
const KEPT_IN_SYNC = { intent: 'sync' } as const;

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
  constructor(@Inject(PRISMA_CLIENT) private readonly prisma: PrismaClient) {
    super();
  }

  async insert(id: string, data: CustomerData, links: readonly NewLink[]): Promise<Customer> {
    return this.create(
      id,
      data,
      links.map((link) => ({ id: randomUUID(), ...link, status: 'pending' as const })),
    );
  }

  async insertAdopted(id: string, data: CustomerData, link: AdoptedLink): Promise<Customer> {
    return this.create(id, data, [
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
  }

  /** The customer, its links and its `customer.created` event, with the request's recovery point. */
  private async create(
    id: string,
    data: CustomerData,
    links: Prisma.ProviderLinkCreateWithoutCustomerInput[],
  ): Promise<Customer> {
    try {
      return await this.prisma.$transaction((tx) =>
        idempotentWrite(
          tx,
          async () => {
            const row = await tx.customer.create({
              data: { id, ...toColumns(data), links: { create: links } },
              include: withLinks,
            });
            await recordCreated(tx, row);
            return { result: toCustomer(row), resourceId: id, customerId: id };
          },
          ({ resourceId }) => existing(tx, resourceId),
        ),
      );
    } catch (error) {
      throw uniqueViolation(error) ?? error;
    }
  }

  findById(id: string): Promise<Customer | undefined> {
    return this.findByIdIn(this.prisma, id);
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
    const links =
      query.provider !== undefined || query.syncStatus !== undefined
        ? {
            links: {
              some: {
                ...(query.provider !== undefined ? { provider: query.provider } : {}),
                ...(query.syncStatus !== undefined ? { status: query.syncStatus } : {}),
              },
            },
          }
        : {};
    const filter: Prisma.CustomerWhereInput = {
      deletedAt: null,
      ...(query.email !== undefined ? { email: { equals: query.email, mode: 'insensitive' } } : {}),
      ...(query.ids !== undefined ? { id: { in: query.ids } } : {}),
      ...(query.forgotten !== undefined ? { forgottenAt: query.forgotten ? { not: null } : null } : {}),
      ...links,
    };
    const take = query.limit + 1;
    if (query.endingBefore !== undefined) {
      const seq = await this.cursorSeq(query.endingBefore, 'endingBefore');
      const rows = await this.prisma.customer.findMany({
        where: { ...filter, seq: { gt: seq } },
        orderBy: { seq: 'asc' },
        take,
        include: withLinks,
      });
      return {
        data: rows.slice(0, query.limit).reverse().map(toCustomer),
        hasMore: rows.length > query.limit,
      };
    }
    const seq =
      query.startingAfter !== undefined
        ? await this.cursorSeq(query.startingAfter, 'startingAfter')
        : undefined;
    const rows = await this.prisma.customer.findMany({
      where: seq === undefined ? filter : { ...filter, seq: { lt: seq } },
      orderBy: { seq: 'desc' },
      take,
      include: withLinks,
    });
    return { data: rows.slice(0, query.limit).map(toCustomer), hasMore: rows.length > query.limit };
  }

  async modify(id: string, change: (current: Customer) => CustomerData): Promise<Customer | undefined> {
    return this.prisma.$transaction((tx) =>
      idempotentWrite(
        tx,
        async () => {
          // Concurrent writers queue on the row lock instead of retrying against each other.
          const locked = await tx.$queryRaw<
            { id: string }[]
          >`SELECT id FROM customers WHERE id = ${id} FOR UPDATE`;
          if (locked.length === 0) return { result: undefined, resourceId: id };
          const current = await tx.customer.findUniqueOrThrow({ where: { id }, include: withLinks });
          const before = toCustomer(current);
          const data = change(before);
          try {
            await tx.customer.update({
              where: { id },
              data: { ...toColumns(data), version: { increment: 1 } },
            });
          } catch (error) {
            throw uniqueViolation(error) ?? error;
          }
          await requeue(tx, { customerId: id, ...KEPT_IN_SYNC });
          const saved = toCustomer(
            await tx.customer.findUniqueOrThrow({ where: { id }, include: withLinks }),
          );
          const changedFields = changedFieldsOf(before, data);
          if (changedFields.length > 0) {
            await recordEvent(
              tx,
              {
                type: 'customer.updated',
                customerId: id,
                data: { version: saved.version, changedFields, customer: snapshotOf(data) },
              },
              JOB_ACTORS.system,
            );
          }
          return { result: saved, resourceId: id, customerId: id };
        },
        // Already applied by the attempt that crashed: not again (a second increment, a stale If-Match).
        async () => this.findByIdIn(tx, id),
        id,
      ),
    );
  }

  async addLink(customerId: string, link: NewLink): Promise<void> {
    try {
      await this.prisma.$transaction((tx) =>
        idempotentWrite(
          tx,
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

  async markDeleted(id: string): Promise<LinkTarget[] | undefined> {
    return this.prisma.$transaction((tx) =>
      idempotentWrite(
        tx,
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
            recordEvent(
              tx,
              { type: 'customer.deleted', customerId: id, data: { providersLeft } },
              JOB_ACTORS.system,
            );
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

  async erase(id: string): Promise<Customer | undefined> {
    const erased = await this.prisma.$transaction((tx) =>
      idempotentWrite(
        tx,
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
            JOB_ACTORS.system,
          );
          return { result: true, resourceId: id, customerId: id };
        },
        () => Promise.resolve(true),
        id,
      ),
    );
    return erased ? this.findById(id) : undefined;
  }

  async setPrimary(customerId: string, target: LinkTarget): Promise<void> {
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

  async retireLink(customerId: string, target: LinkTarget, reason: string): Promise<void> {
    await this.prisma.$transaction(async (tx) => {
      const { count } = await tx.providerLink.deleteMany({ where: { customerId, ...accountOf(target) } });
      if (count === 0) return;
      await recordEvent(
        tx,
        { type: 'customer.link.retired', customerId, data: { ...accountOf(target), reason } },
        JOB_ACTORS.system,
      );
    });
  }

  async forgetAt(customerId: string, target: LinkTarget): Promise<void> {
    await this.prisma.providerLink.updateMany({
      where: { customerId, ...accountOf(target), intent: { not: 'forget' } },
      data: { ...REQUEUED, intent: 'forget' },
    });
  }

  private async findByIdIn(db: Tx, id: string): Promise<Customer | undefined> {
    const row = await db.customer.findUnique({ where: { id }, include: withLinks });
    return row === null ? undefined : toCustomer(row);
  }

  private async cursorSeq(id: string, field: 'startingAfter' | 'endingBefore'): Promise<bigint> {
    const row = await this.prisma.customer.findUnique({ where: { id }, select: { seq: true } });
    if (row === null) {
      throw new DomainError('validation_failed', `${field} names no customer.`, [
        { field, code: 'unknown_cursor', message: `No customer with id "${id}" to page from.` },
      ]);
    }
    return row.seq;
  }
}

/** The new customer, with where it goes: the resource's own fields, nothing more. */
async function recordCreated(tx: Tx, row: CustomerRow): Promise<void> {
  const customer = toCustomer(row);
  await recordEvent(
    tx,
    {
      type: 'customer.created',
      customerId: customer.id,
      data: {
        version: customer.version,
        customer: snapshotOf(customer),
        providers: customer.providers.map(({ provider, account, reference }) => ({
          provider,
          account,
          reference,
        })),
      },
    },
    JOB_ACTORS.system,
  );
}

/** The canonical fields as an event carries them (what the resource shows; scrubbed on forget). */
const SNAPSHOT_FIELDS = CANONICAL_FIELDS.filter(
  (field): field is CanonicalField & keyof CustomerData => !field.includes('.'),
);

function snapshotOf(data: CustomerData): Prisma.InputJsonObject {
  // Through JSON: absent fields drop out and dates become strings, as a JSON column holds them.
  return JSON.parse(
    JSON.stringify(Object.fromEntries(SNAPSHOT_FIELDS.map((field) => [field, data[field]]))),
  ) as Prisma.InputJsonObject;
}

/** The canonical fields a write changed, by name (`address` as a whole). */
function changedFieldsOf(before: CustomerData, after: CustomerData): string[] {
  const previous: Record<string, unknown> = toColumns(before);
  const next: Record<string, unknown> = toColumns(after);
  return Object.keys(next).filter((field) => !isDeepStrictEqual(previous[field], next[field]));
}

/** The customer an earlier attempt of this idempotent request created; gone since is a 404. */
async function existing(tx: Tx, id: string): Promise<Customer> {
  const row = await tx.customer.findUnique({ where: { id }, include: withLinks });
  if (row === null) throw new DomainError('customer_not_found', `The customer "${id}" no longer exists.`);
  return toCustomer(row);
}

/** Puts links back in line after a write they must follow. */
async function requeue(tx: Tx, where: Prisma.ProviderLinkWhereInput): Promise<void> {
  await tx.providerLink.updateMany({ where, data: REQUEUED });
}

/** Which unique value a write collided on, as the error callers can act on. */
function uniqueViolation(error: unknown): DomainError | undefined {
  if ((error as { code?: unknown }).code !== 'P2002') return undefined;
  const detail = JSON.stringify((error as { meta?: unknown }).meta ?? {});
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
    address: data.address === undefined ? Prisma.DbNull : (data.address as unknown as Prisma.InputJsonObject),
    locale: data.locale ?? null,
    type: data.type ?? null,
    enabled: data.enabled,
    metadata: data.metadata,
    taxIdentifiers: data.taxIdentifiers as unknown as Prisma.InputJsonArray,
    taxCertificates: data.taxCertificates as unknown as Prisma.InputJsonArray,
    sourceIds: data.sourceIds,
    defaultSourceId: data.defaultSourceId ?? null,
  };
}

function optional<T>(value: T | null): T | undefined {
  return value === null ? undefined : value;
}

function toCustomer(row: CustomerRow): Customer {
  return {
    id: row.id,
    externalReference: optional(row.externalReference),
    email: optional(row.email),
    givenName: optional(row.givenName),
    familyName: optional(row.familyName),
    companyName: optional(row.companyName),
    phone: optional(row.phone),
    address: optional(row.address as Address | null),
    locale: optional(row.locale),
    type: optional(row.type),
    enabled: row.enabled,
    metadata: row.metadata as Record<string, string>,
    taxIdentifiers: row.taxIdentifiers as unknown as TaxIdentifier[],
    taxCertificates: row.taxCertificates as unknown as TaxCertificate[],
    sourceIds: row.sourceIds,
    defaultSourceId: optional(row.defaultSourceId),
    forgottenAt: optional(row.forgottenAt),
    deletedAt: optional(row.deletedAt),
    version: row.version,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
    providers: row.links.map(toLink),
  };
}

function toLink(row: LinkRow): ProviderLink {
  return {
    provider: row.provider,
    account: row.account,
    reference: row.reference,
    providerCustomerId: optional(row.providerCustomerId),
    status: row.status,
    intent: row.intent,
    syncedVersion: optional(row.syncedVersion),
    attempts: row.attempts,
    nextAttemptAt: optional(row.nextAttemptAt),
    lastSyncedAt: optional(row.lastSyncedAt),
    lastError: optional(row.lastError as LinkError | null),
    unsupportedFields: row.unsupportedFields,
    lossyFields: row.lossyFields,
    erasure: optional(row.erasure as Erasure | null),
    primary: row.primary,
    lockedUntil: optional(row.lockedUntil),
    createdAt: row.createdAt,
  };
}
