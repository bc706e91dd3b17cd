import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import {
  ArrayMaxSize,
  IsArray,
  IsBoolean,
  IsEmail,
  IsIn,
  IsISO31661Alpha2,
  IsISO8601,
  IsOptional,
  IsString,
  Matches,
  MaxLength,
  MinLength,
  ValidateNested,
} from 'class-validator';
import { CUSTOMER_TYPES, type CustomerType, EXTERNAL_REFERENCE_PATTERN } from '@app/domain';

import { canonicalLocale, IsBcp47Locale } from '../http/validators';

/** DR source ids are UUIDs; any provider's source id is at least this tame. */
export const SOURCE_ID_PATTERN = /^[A-Za-z0-9_-]{1,100}$/;
// Patterns the validators enforce, stated in the OpenAPI document too (it is written from the
// decorators alone: no CLI plugin infers them, so what `npm start` serves is what is committed).
const PHONE = /^[0-9+()\-./ x]{3,40}$/;
export const PROVIDER_ID = /^[a-z0-9-]{1,40}$/;
const ACCOUNT = /^[A-Za-z0-9._-]{1,64}$/;

// Examples come from the providers' own documentation (Digital River's "John Smith", https://docs.digitalriver.com/digital-river-api-reference/2021-12-13/customers).
const upperCase = ({ value }: { value: unknown }) =>
  typeof value === 'string' ? value.toUpperCase() : value;

/** What marks a property nullable in the document: `null` is then taken, as "clear" (documented-shape.ts). */
const orNull = (clearable: boolean) => (clearable ? { nullable: true } : {});

/** The extra address lines; with `clearable` (a partial update), `null` removes a line. */
function additionalAddressInfoFields(clearable: boolean) {
  class AdditionalAddressInfoFields {
    @ApiPropertyOptional({ type: String, maxLength: 100, example: 'Centro', ...orNull(clearable) })
    @IsOptional()
    @IsString()
    @MaxLength(100)
    neighborhood?: string;

    @ApiPropertyOptional({ type: String, maxLength: 100, example: 'Minnesota', ...orNull(clearable) })
    @IsOptional()
    @IsString()
    @MaxLength(100)
    division?: string;

    @ApiPropertyOptional({ type: String, maxLength: 100, example: 'ジョン スミス', ...orNull(clearable) })
    @IsOptional()
    @IsString()
    @MaxLength(100)
    phoneticName?: string;
  }
  return AdditionalAddressInfoFields;
}

export class AdditionalAddressInfoDto extends additionalAddressInfoFields(false) {}

/** In a partial update each line is optional; `null` removes it. */
export class AdditionalAddressInfoPatchDto extends additionalAddressInfoFields(true) {}

/** The address lines; with `clearable` (a partial update), `null` removes a line. */
function addressFields(clearable: boolean) {
  const additionalInfo = clearable ? AdditionalAddressInfoPatchDto : AdditionalAddressInfoDto;
  class AddressFields {
    @ApiPropertyOptional({ type: String, maxLength: 200, example: '10380 Bren Rd W', ...orNull(clearable) })
    @IsOptional()
    @IsString()
    @MaxLength(200)
    line1?: string;

    @ApiPropertyOptional({ type: String, maxLength: 200, example: 'Suite 100', ...orNull(clearable) })
    @IsOptional()
    @IsString()
    @MaxLength(200)
    line2?: string;

    @ApiPropertyOptional({ type: String, maxLength: 100, example: 'Minnetonka', ...orNull(clearable) })
    @IsOptional()
    @IsString()
    @MaxLength(100)
    city?: string;

    @ApiPropertyOptional({ type: String, maxLength: 100, example: 'MN', ...orNull(clearable) })
    @IsOptional()
    @IsString()
    @MaxLength(100)
    state?: string;

    @ApiPropertyOptional({ type: String, maxLength: 20, example: '55129', ...orNull(clearable) })
    @IsOptional()
    @IsString()
    @MaxLength(20)
    postalCode?: string;

    @ApiPropertyOptional({ type: additionalInfo, ...orNull(clearable) })
    @IsOptional()
    @ValidateNested()
    @Type(() => additionalInfo)
    additionalAddressInfo?: AdditionalAddressInfoDto;
  }
  return AddressFields;
}

export class AddressDto extends addressFields(false) {
  @ApiProperty({ description: 'ISO 3166-1 alpha-2; normalised to upper case.', example: 'US' })
  @Transform(upperCase)
  @IsISO31661Alpha2()
  country!: string;
}

/** In a partial update every address field is optional; `null` removes a line (not the country). */
export class AddressPatchDto extends addressFields(true) {
  @ApiPropertyOptional({ description: 'ISO 3166-1 alpha-2; normalised to upper case.', example: 'US' })
  @IsOptional()
  @Transform(upperCase)
  @IsISO31661Alpha2()
  country?: string;
}

export class TaxIdentifierDto {
  @ApiProperty({
    minLength: 1,
    maxLength: 40,
    example: 'de',
    description: 'The tax identifier type, e.g. a VAT scheme.',
  })
  @IsString()
  @MinLength(1)
  @MaxLength(40)
  type!: string;

  @ApiProperty({ minLength: 1, maxLength: 40, example: 'DE123456789' })
  @IsString()
  @MinLength(1)
  @MaxLength(40)
  value!: string;
}

export class TaxCertificateDto {
  @ApiPropertyOptional({ maxLength: 200, example: 'Digital River' })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  companyName?: string;

  @ApiPropertyOptional({ maxLength: 100, example: 'MN' })
  @IsOptional()
  @IsString()
  @MaxLength(100)
  taxAuthority?: string;

  @ApiPropertyOptional({ example: '2019-08-24T14:15:22Z' })
  @IsOptional()
  @IsISO8601()
  startDate?: string;

  @ApiPropertyOptional({ example: '2024-08-24T14:15:22Z' })
  @IsOptional()
  @IsISO8601()
  endDate?: string;

  @ApiPropertyOptional({ maxLength: 100, example: 'file_123' })
  @IsOptional()
  @IsString()
  @MaxLength(100)
  fileId?: string;
}

/**
 * Fields shared by create and update. Those a GET answers as `null` take `null`: on a create it
 * means none (so a client can send back what it read), on an update it clears the field.
 */
export class CustomerFields {
  @ApiPropertyOptional({
    description:
      "The caller's own unique id for the customer (letters, digits, '.', '_', '-'; at most 40, Digital River's limit).",
    example: '5823594808',
    type: String,
    nullable: true,
  })
  @IsOptional()
  @IsString()
  @Matches(EXTERNAL_REFERENCE_PATTERN, {
    message: 'externalReference must be 1-40 letters, digits, ".", "_" or "-"',
  })
  externalReference?: string | null;

  @ApiPropertyOptional({
    type: String,
    nullable: true,
    maxLength: 254,
    format: 'email',
    example: 'jsmith@digitalriver.com',
  })
  @IsOptional()
  @IsEmail()
  @MaxLength(254)
  email?: string | null;

  @ApiPropertyOptional({ type: String, nullable: true, maxLength: 100, example: 'John' })
  @IsOptional()
  @IsString()
  @MaxLength(100)
  givenName?: string | null;

  @ApiPropertyOptional({ type: String, nullable: true, maxLength: 100, example: 'Smith' })
  @IsOptional()
  @IsString()
  @MaxLength(100)
  familyName?: string | null;

  @ApiPropertyOptional({ type: String, nullable: true, maxLength: 200, example: 'Digital River' })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  companyName?: string | null;

  @ApiPropertyOptional({
    type: String,
    nullable: true,
    maxLength: 40,
    pattern: PHONE.source,
    example: '952-111-1111',
  })
  @IsOptional()
  @IsString()
  @Matches(PHONE, { message: 'phone must be 3-40 digits, spaces and + ( ) - . / x' })
  phone?: string | null;

  @ApiPropertyOptional({
    description: 'BCP 47 language tag; normalised to canonical case.',
    example: 'en-US',
    type: String,
    nullable: true,
  })
  @IsOptional()
  @Transform(({ value }) => canonicalLocale(value))
  @IsBcp47Locale()
  locale?: string | null;

  @ApiPropertyOptional({ enum: CUSTOMER_TYPES, nullable: true, example: 'individual' })
  @IsOptional()
  @IsIn(CUSTOMER_TYPES)
  type?: CustomerType | null;

  @ApiPropertyOptional({ default: true, description: 'false blocks new orders for the customer.' })
  @IsOptional()
  @IsBoolean()
  enabled?: boolean;

  @ApiPropertyOptional({ type: [TaxIdentifierDto], maxItems: 10, description: 'At most one per type.' })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(10)
  @ValidateNested({ each: true })
  @Type(() => TaxIdentifierDto)
  taxIdentifiers?: TaxIdentifierDto[];

  @ApiPropertyOptional({ type: [TaxCertificateDto], maxItems: 10 })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(10)
  @ValidateNested({ each: true })
  @Type(() => TaxCertificateDto)
  taxCertificates?: TaxCertificateDto[];

  @ApiPropertyOptional({
    nullable: true,
    type: String,
    description:
      'The default payment source, e.g. `fd74a5c5-0163-469a-ae8e-031f0259b576`: one of the attached `sources` (else 422 default_source_not_attached); null clears it on update.',
    // null keeps the example body valid as-is: a made-up source id would not be attached.
    example: null,
  })
  @IsOptional()
  @IsString()
  @Matches(SOURCE_ID_PATTERN, {
    message: 'defaultSourceId must be a source id (1-100 letters, digits, "_" or "-")',
  })
  defaultSourceId?: string | null;
}

export class ProviderTargetDto {
  @ApiProperty({
    example: 'digital-river',
    pattern: PROVIDER_ID.source,
    description: 'A provider id from GET /v1/providers.',
  })
  @IsString()
  @Matches(PROVIDER_ID, { message: 'provider must be a provider id such as digital-river' })
  provider!: string;

  @ApiPropertyOptional({
    example: 'sandbox',
    pattern: ACCOUNT.source,
    description: "The provider account; default: the provider's first configured one.",
  })
  @IsOptional()
  @IsString()
  @Matches(ACCOUNT, { message: 'account must be 1-64 letters, digits, ".", "_" or "-"' })
  account?: string;
}
