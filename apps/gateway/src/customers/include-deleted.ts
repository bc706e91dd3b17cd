import { DomainError } from '@app/domain';
import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional } from 'class-validator';
import { type FastifyRequest } from 'fastify';

import { hasScope } from '../auth/api-keys';

const INCLUDE = ['deleted'] as const;

/** What a read of customers may also show: `deleted` tombstones (admin only). */
export const INCLUDE_DELETED_DOC = {
  enum: INCLUDE,
  description:
    'deleted (needs the admin scope): also answer deleted customers, as their tombstone (`deletedAt` set, personal fields erased, each link saying what remains there), within TOMBSTONE_RETENTION_HOURS; without it a deleted customer answers 410 `customer_gone`.',
};

export class IncludeDeletedQuery {
  @ApiPropertyOptional(INCLUDE_DELETED_DOC)
  @IsOptional()
  @IsIn(INCLUDE)
  include?: (typeof INCLUDE)[number];
}

/**
 * Whether the caller asked for tombstones, which only an admin key may read: a tombstone names every
 * provider the customer was at and what remains there, which is operations' business, while a
 * client of the customer API needs only the 410 (when, and what remains where).
 */
export function includeDeleted(req: FastifyRequest, include: string | undefined): boolean {
  if (include !== 'deleted') return false;
  if (req.principal === undefined || !hasScope(req.principal, 'admin')) {
    throw new DomainError(
      'forbidden',
      'Reading deleted customers (include=deleted) needs the "admin" scope.',
    );
  }
  return true;
}
