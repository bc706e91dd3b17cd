import { Inject, Injectable } from '@nestjs/common';
import {
  type Address,
  type Customer,
  type CustomerData,
  type CustomerListQuery,
  type CustomerPage,
  CustomerRepository,
  DomainError,
  type LinkError,
  type ProviderLink,
  type TaxCertificate,
  type TaxIdentifier,
} from '@app/customer-domain';

import { Prisma, type PrismaClient } from '../../../generated/prisma/client';
import { PRISMA_CLIENT } from './prisma.tokens';

type CustomerRow = Prisma.CustomerGetPayload<{ include: { links: true } }>;
type LinkRow = CustomerRow['links'][number];

const withLinks = {
  links: { orderBy: [{ provider: 'asc' }, { account: 'asc' }] },
} satisfies Prisma.CustomerInclude;

@Injectable()
export class PrismaCustomerRepository extends CustomerRepository {
  constructor(@Inject(PRISMA_CLIENT) private readonly prisma: PrismaClient) {
    super();
  }

  async insert(id: string, data: CustomerData): Promise<Customer> {
    try {
      const row = await this.prisma.customer.create({ data: { id, ...toColumns(data) }, include: withLinks });
      return toCustomer(row);
    } catch (error) {
      // The id is random, so the one unique value a caller can collide on is its own reference.
      if (isUniqueViolation(error)) {
        throw new DomainError(
          'external_reference_taken',
          'Another customer already has this externalReference.',
          [
            {
              field: 'externalReference',
              code: 'taken',
              message: 'Another customer already has this externalReference.',
            },
          ],
        );
      }
      throw error;
    }
  }

  async findById(id: string): Promise<Customer | undefined> {
    const row = await this.prisma.customer.findUnique({ where: { id }, include: withLinks });
    return row === null ? undefined : toCustomer(row);
  }

  /**
   * Newest first, keyed on `seq` (unique and monotonic), so pages never overlap or skip rows
   * however many customers are created while a caller pages through.
   */
  async list(query: CustomerListQuery): Promise<CustomerPage> {
    const filter: Prisma.CustomerWhereInput = {
      ...(query.email !== undefined ? { email: { equals: query.email, mode: 'insensitive' } } : {}),
      ...(query.ids !== undefined ? { id: { in: query.ids } } : {}),
      ...(query.forgotten !== undefined ? { forgottenAt: query.forgotten ? { not: null } : null } : {}),
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

  async update(id: string, expectedVersion: number, data: CustomerData): Promise<Customer | undefined> {
    const { count } = await this.prisma.customer.updateMany({
      where: { id, version: expectedVersion },
      data: { ...toColumns(data), version: { increment: 1 } },
    });
    return count === 1 ? this.findById(id) : undefined;
  }

  async erase(id: string): Promise<Customer | undefined> {
    const erased = await this.prisma.$transaction(async (tx) => {
      const { count } = await tx.customer.updateMany({
        where: { id },
        data: {
          email: null,
          givenName: null,
          familyName: null,
          companyName: null,
          phone: null,
          address: Prisma.DbNull,
          metadata: {},
          taxIdentifiers: [],
          taxCertificates: [],
          forgottenAt: new Date(),
          version: { increment: 1 },
        },
      });
      await tx.idempotencyRecord.deleteMany({ where: { customerId: id } });
      return count === 1;
    });
    return erased ? this.findById(id) : undefined;
  }

  async delete(id: string): Promise<boolean> {
    const { count } = await this.prisma.customer.deleteMany({ where: { id } });
    return count === 1;
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

function isUniqueViolation(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === 'P2002';
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
    attempts: row.attempts,
    nextAttemptAt: optional(row.nextAttemptAt),
    lastSyncedAt: optional(row.lastSyncedAt),
    lastError: optional(row.lastError as LinkError | null),
    unsupportedFields: row.unsupportedFields,
  };
}
