import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import {
  ArrayMaxSize,
  IsArray,
  IsBoolean,
  IsEmail,
  IsIn,
  IsOptional,
  IsString,
  Matches,
  MaxLength,
  MinLength,
  ValidateNested,
} from 'class-validator';
import { COMPARED_FIELDS, type ComparedField, LINK_STATUSES, type LinkStatus } from '@app/domain';

import { IsChoiceMap, IsMetadata, PageLimit } from '../http/validators';
import {
  AddressDto,
  AddressPatchDto,
  CustomerFields,
  PROVIDER_ID,
  ProviderTargetDto,
  SOURCE_ID_PATTERN,
} from './customer-fields.dto';
import { INCLUDE_DELETED_DOC } from './include-deleted';

export class ImportCustomerBody extends ProviderTargetDto {
  @ApiProperty({
    minLength: 1,
    maxLength: 64,
    example: '5823594808',
    description: "Any of the provider's references for the customer.",
  })
  @IsString()
  @MinLength(1)
  @MaxLength(64)
  reference!: string;
}

export class CreateCustomerBody extends CustomerFields {
  @ApiPropertyOptional({
    type: [ProviderTargetDto],
    maxItems: 10,
    description:
      'Where to create the customer; default: the configured DEFAULT_PROVIDERS. An empty list keeps it in the gateway only.',
  })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(10)
  @ValidateNested({ each: true })
  @Type(() => ProviderTargetDto)
  providers?: ProviderTargetDto[];

  @ApiPropertyOptional({
    type: AddressDto,
    nullable: true,
    description: 'null: no address, as a GET answers it.',
  })
  @IsOptional()
  @ValidateNested()
  @Type(() => AddressDto)
  address?: AddressDto | null;

  @ApiPropertyOptional({
    type: [String],
    maxItems: 20,
    description:
      'Payment source ids to attach (created client-side by DigitalRiver.js, e.g. `fd74a5c5-0163-469a-ae8e-031f0259b576`); only providers that hold sources take them.',
    example: [],
  })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(20)
  @IsString({ each: true })
  @Matches(SOURCE_ID_PATTERN, {
    each: true,
    message: 'each source must be a source id (1-100 letters, digits, "_" or "-")',
  })
  sources?: string[];

  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: { type: 'string', maxLength: 500 },
    description: 'At most 20 keys of at most 40 characters; string values of at most 500.',
    example: { coupon: 'SPRING20' },
  })
  @IsOptional()
  @IsMetadata({ allowNull: false })
  metadata?: Record<string, string>;
}

export class UpdateCustomerBody extends CustomerFields {
  @ApiPropertyOptional({
    type: AddressPatchDto,
    nullable: true,
    description: 'Merged into the stored address; null removes it.',
  })
  @IsOptional()
  @ValidateNested()
  @Type(() => AddressPatchDto)
  address?: AddressPatchDto | null;

  @ApiPropertyOptional({
    type: 'object',
    nullable: true,
    additionalProperties: { type: 'string', nullable: true, maxLength: 500 },
    description: 'Merged into the stored metadata; a null value removes that key, null removes all.',
    example: { coupon: null, tier: 'gold' },
  })
  @IsOptional()
  @IsMetadata({ allowNull: true })
  metadata?: Record<string, string | null> | null;
}

export class ListCustomersQuery {
  @PageLimit({ default: 10, max: 100 })
  limit?: number;

  @ApiPropertyOptional({
    maxLength: 64,
    description: 'A customer id: return the customers created before it (the next page).',
  })
  @IsOptional()
  @IsString()
  @MaxLength(64)
  startingAfter?: string;

  @ApiPropertyOptional({
    maxLength: 64,
    description:
      'A customer id: return the customers created after it (the previous page). Wins over startingAfter.',
  })
  @IsOptional()
  @IsString()
  @MaxLength(64)
  endingBefore?: string;

  @ApiPropertyOptional({
    maxLength: 254,
    format: 'email',
    description: 'Exact email, case-insensitive, such as jsmith@digitalriver.com.',
  })
  @IsOptional()
  @IsEmail()
  @MaxLength(254)
  email?: string;

  @ApiPropertyOptional({
    type: [String],
    maxItems: 100,
    description: 'Customer ids, comma-separated or repeated; at most 100.',
  })
  @IsOptional()
  @Transform(({ value }: { value: unknown }) =>
    (Array.isArray(value) ? value : [value]).flatMap((v) => String(v).split(',')).filter((v) => v !== ''),
  )
  @IsArray()
  @ArrayMaxSize(100)
  @IsString({ each: true })
  @MaxLength(64, { each: true })
  ids?: string[];

  @ApiPropertyOptional({
    pattern: PROVIDER_ID.source,
    description: 'Only customers linked to this provider, such as two-checkout.',
  })
  @IsOptional()
  @Matches(PROVIDER_ID, { message: 'provider must be a provider id such as digital-river' })
  provider?: string;

  @ApiPropertyOptional({
    enum: LINK_STATUSES,
    description: 'Only customers with a link in this state, e.g. failed.',
  })
  @IsOptional()
  @IsIn(LINK_STATUSES)
  syncStatus?: LinkStatus;

  @ApiPropertyOptional({
    description: 'true: only customers who asked to be forgotten; false: only the others.',
  })
  @IsOptional()
  @Transform(({ value }: { value: unknown }) => (value === 'true' ? true : value === 'false' ? false : value))
  @IsBoolean()
  forgotten?: boolean;

  @ApiPropertyOptional(INCLUDE_DELETED_DOC)
  @IsOptional()
  @IsIn(['deleted'])
  include?: 'deleted';
}

const STRATEGIES = ['push', 'adopt'] as const;

export class ReconcileBody {
  @ApiProperty({
    enum: STRATEGIES,
    description:
      "push: make the providers match the mirror; adopt: take the provider's values into the mirror (and on to the other providers).",
  })
  @IsIn(STRATEGIES)
  strategy!: 'push' | 'adopt';

  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: { type: 'string', enum: [...STRATEGIES] },
    description: `Per-field choices overriding strategy; a field's choice covers its sub-fields (address covers address.city); fields: ${COMPARED_FIELDS.join(', ')}.`,
    example: { phone: 'adopt' },
  })
  @IsOptional()
  @IsChoiceMap(COMPARED_FIELDS, STRATEGIES)
  fields?: Partial<Record<ComparedField, 'push' | 'adopt'>>;

  @ApiPropertyOptional({
    type: ProviderTargetDto,
    description: 'The provider to adopt from; default: the first drifted one.',
  })
  @IsOptional()
  @ValidateNested()
  @Type(() => ProviderTargetDto)
  from?: ProviderTargetDto;
}

export class ProviderCallsQuery {
  @PageLimit({ default: 100, max: 500 })
  limit?: number;
}
