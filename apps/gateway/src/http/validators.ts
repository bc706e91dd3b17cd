import {
  type ArgumentMetadata,
  applyDecorators,
  Injectable,
  type PipeTransform,
  ValidationPipe,
} from '@nestjs/common';
import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  getMetadataStorage,
  type MetadataStorage,
  IsInt,
  IsOptional,
  Max,
  Min,
  registerDecorator,
  type ValidationError,
  type ValidationOptions,
  ValidateIf,
} from 'class-validator';
import { DomainError, type FieldError, METADATA_LIMITS } from '@app/domain';

import { documentedShapeErrors, isDocumentedDto } from './documented-shape';

/**
 * A BCP 47 language tag that the platform's own Intl implementation accepts; normalised to its
 * canonical casing (`en-us` → `en-US`) by `canonicalLocale`.
 */
export function canonicalLocale(value: unknown): unknown {
  if (typeof value !== 'string') return value;
  try {
    const [canonical] = Intl.getCanonicalLocales(value);
    return canonical ?? value;
  } catch {
    return value;
  }
}

export function IsBcp47Locale(options?: ValidationOptions) {
  return (target: object, propertyName: string) =>
    registerDecorator({
      name: 'isBcp47Locale',
      target: target.constructor,
      propertyName,
      options: { message: '$property must be a BCP 47 language tag such as en-US', ...options },
      validator: {
        validate(value: unknown) {
          if (typeof value !== 'string' || value.length > 35) return false;
          try {
            return Intl.getCanonicalLocales(value).length === 1;
          } catch {
            return false;
          }
        },
      },
    });
}

/**
 * Flat string-to-string metadata within Digital River's limits, the strictest provider's:
 * https://docs.digitalriver.com/digital-river-api-reference/digital-river-api-reference-guide/working-with-metadata
 * `allowNull` admits `null` values, which a partial update uses to delete a key.
 */
export function IsMetadata(options: { allowNull: boolean }) {
  return (target: object, propertyName: string) =>
    registerDecorator({
      name: 'isMetadata',
      target: target.constructor,
      propertyName,
      options: {
        message: `$property must be an object of at most ${METADATA_LIMITS.maxKeys} keys (1-${METADATA_LIMITS.maxKeyLength} characters) with string values of at most ${METADATA_LIMITS.maxValueLength} characters`,
      },
      validator: {
        validate(value: unknown) {
          if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
          const entries = Object.entries(value as Record<string, unknown>);
          return (
            entries.length <= METADATA_LIMITS.maxKeys &&
            entries.every(
              ([key, v]) =>
                key.length >= 1 &&
                key.length <= METADATA_LIMITS.maxKeyLength &&
                ((typeof v === 'string' && v.length <= METADATA_LIMITS.maxValueLength) ||
                  (options.allowNull && v === null)),
            )
          );
        },
      },
    });
}

/** An object mapping some of `keys` to one of `choices` each, e.g. `{ phone: 'adopt' }`. */
export function IsChoiceMap(keys: readonly string[], choices: readonly string[]) {
  return (target: object, propertyName: string) =>
    registerDecorator({
      name: 'isChoiceMap',
      target: target.constructor,
      propertyName,
      options: {
        message: `$property maps fields (${keys.join(', ')}) to ${choices.join(' or ')}`,
      },
      validator: {
        validate(value: unknown) {
          if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
          return Object.entries(value as Record<string, unknown>).every(
            ([key, choice]) => keys.includes(key) && typeof choice === 'string' && choices.includes(choice),
          );
        },
      },
    });
}

/** class-validator's constraint names, mapped to the stable codes our error responses document. */
const CONSTRAINT_CODES: Record<string, string> = {
  whitelistValidation: 'unknown_field',
  isDefined: 'required',
  isNotEmpty: 'required',
  isString: 'not_a_string',
  isBoolean: 'not_a_boolean',
  isInt: 'not_an_integer',
  min: 'out_of_range',
  max: 'out_of_range',
  isEmail: 'invalid_email',
  maxLength: 'too_long',
  minLength: 'too_short',
  matches: 'invalid_format',
  isISO31661Alpha2: 'invalid_country',
  isIn: 'not_allowed',
  isEnum: 'not_allowed',
  isObject: 'not_an_object',
  nestedValidation: 'not_an_object',
  isArray: 'not_an_array',
  arrayMaxSize: 'too_many_items',
  isBcp47Locale: 'invalid_locale',
  isMetadata: 'invalid_metadata',
  isChoiceMap: 'not_allowed',
  isIso8601: 'invalid_date',
  isBooleanString: 'not_a_boolean',
  isNumberString: 'not_an_integer',
};

function fieldErrors(errors: ValidationError[], parent = ''): FieldError[] {
  return errors.flatMap((error) => {
    const field = parent === '' ? error.property : `${parent}.${error.property}`;
    const own = Object.entries(error.constraints ?? {}).map(([constraint, message]) => ({
      field,
      code: CONSTRAINT_CODES[constraint] ?? constraint,
      message,
    }));
    return [...own, ...fieldErrors(error.children ?? [], field)];
  });
}

/**
 * Optional, but not nullable: `@IsOptional()` lets `null` through unchecked, which a field that
 * cannot be cleared must refuse like any other wrong value.
 */
export const IsAbsentOrValid = () => ValidateIf((_object: object, value: unknown) => value !== undefined);

/** The ValidationPipe's exceptionFactory: every failed rule becomes one field error. */
export function validationFailed(errors: ValidationError[]): DomainError {
  return new DomainError('validation_failed', 'The request is not valid; see errors.', fieldErrors(errors));
}

const cachedStorages = new WeakSet<MetadataStorage>();

/**
 * class-validator resolves a DTO's rules again on every validation, scanning every decorated class
 * for inherited ones (https://github.com/typestack/class-validator/issues/2686): about 2% of a
 * create's CPU here. A class's rules, its own and inherited, are all registered when the class is
 * defined, before anything can validate it, so each lookup is kept per class and options; and so
 * is their grouping by property, which class-validator rebuilds from those rules for every object
 * it validates (the body, then each nested object) and only ever reads.
 */
export function cacheValidationRuleLookups(storage: MetadataStorage = getMetadataStorage()): void {
  if (cachedStorages.has(storage)) return;
  cachedStorages.add(storage);
  const lookup = storage.getTargetValidationMetadatas.bind(storage);
  type Rules = ReturnType<MetadataStorage['getTargetValidationMetadatas']>;
  const byTarget = new WeakMap<object, Map<string, Rules>>();
  storage.getTargetValidationMetadatas = (target, schema, always, strictGroups, groups) => {
    let byOptions = byTarget.get(target);
    if (byOptions === undefined) byTarget.set(target, (byOptions = new Map<string, Rules>()));
    const key = `${schema}\0${always}\0${strictGroups}\0${groups?.join('\0') ?? ''}`;
    let rules = byOptions.get(key);
    if (rules === undefined)
      byOptions.set(key, (rules = lookup(target, schema, always, strictGroups, groups)));
    return rules;
  };
  const group = storage.groupByPropertyName.bind(storage);
  type Grouped = ReturnType<MetadataStorage['groupByPropertyName']>;
  const groupedByRules = new WeakMap<Rules, Grouped>();
  storage.groupByPropertyName = (rules) => {
    let grouped = groupedByRules.get(rules);
    if (grouped === undefined) groupedByRules.set(rules, (grouped = group(rules)));
    return grouped;
  };
}

/** The shape errors first; of the rules' errors, only those about fields the shape did not refuse. */
function mergedErrors(shape: FieldError[], rules: FieldError[]): FieldError[] {
  const refused = (field: string) => shape.some((e) => field === e.field || field.startsWith(`${e.field}.`));
  return [...shape, ...rules.filter((e) => !refused(e.field))];
}

/**
 * Request bodies and query strings become DTO instances, and anything no DTO field declares is
 * refused; every failed rule becomes one field error. A body is first held to the shape its DTO
 * documents (documented-shape.ts), on the JSON as it arrived, and every error of both is reported
 * at once.
 */
class RequestValidationPipe extends ValidationPipe {
  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    const shape =
      metadata.type === 'body' && isDocumentedDto(metadata.metatype)
        ? documentedShapeErrors(value, metadata.metatype)
        : [];
    if (shape.length === 0) return super.transform(value, metadata);
    let rules: FieldError[] = [];
    try {
      await super.transform(value, metadata);
    } catch (error) {
      if (!(error instanceof DomainError) || error.code !== 'validation_failed') throw error;
      rules = error.fieldErrors;
    }
    throw new DomainError(
      'validation_failed',
      'The request is not valid; see errors.',
      mergedErrors(shape, rules),
    );
  }
}

export function requestValidationPipe(): ValidationPipe {
  cacheValidationRuleLookups();
  return new RequestValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    transform: true,
    exceptionFactory: validationFailed,
  });
}

/** A page size in a query string: optional, an integer from 1 to `max`, `default` when absent. */
export function PageLimit({ default: byDefault, max }: { default: number; max: number }) {
  return applyDecorators(
    ApiPropertyOptional({ minimum: 1, maximum: max, default: byDefault }),
    IsOptional(),
    Type(() => Number),
    IsInt(),
    Min(1),
    Max(max),
  );
}

/** A whole number as a query string writes it: no exponent, no hex, no spaces, no fraction. */
const QUERY_INTEGER = /^-?(0|[1-9]\d{0,15})$/;

/**
 * A query string is text, and `Number()` reads far more than integers from text (`1e3`, `0x10`,
 * ` 5`). For every query DTO property validated as an integer, this global pipe requires the text
 * of one before the ValidationPipe converts it, so `limit=1e3` is refused rather than read as 1000.
 */
@Injectable()
export class StrictQueryIntegersPipe implements PipeTransform {
  transform(value: unknown, metadata: ArgumentMetadata): unknown {
    if (metadata.type !== 'query' || metadata.metatype === undefined) return value;
    if (typeof value !== 'object' || value === null) return value;
    const integerFields = getMetadataStorage()
      .getTargetValidationMetadatas(metadata.metatype, '', true, false)
      .filter((rule) => rule.name === 'isInt')
      .map((rule) => rule.propertyName);
    const errors = [...new Set(integerFields)].flatMap((field) => {
      const raw = (value as Record<string, unknown>)[field];
      if (raw === undefined || (typeof raw === 'string' && QUERY_INTEGER.test(raw))) return [];
      return [{ field, code: 'not_an_integer', message: `${field} must be a whole number such as 10` }];
    });
    if (errors.length > 0) {
      throw new DomainError('validation_failed', 'The request is not valid; see errors.', errors);
    }
    return value;
  }
}
