import { DECORATORS } from '@nestjs/swagger';
import { type FieldError } from '@app/customer-domain';

/**
 * The shape of a request body as the OpenAPI document states it, checked on the JSON as it
 * arrived, before class-transformer or any handler reads it. class-validator's `@IsOptional()`
 * lets `null` through unchecked and `@ValidateNested()` walks into an array where an object
 * belongs (`"address": []`, `"taxIdentifiers": [[]]` passed validation and reached the provider
 * rules and dry-run mappers as values no code expects). Here the document is the rule:
 *
 * - `null` only where a property is documented `nullable` (there it means "clear", or on a create
 *   "none", as a GET answers it); elsewhere a field error;
 * - a property documented as a DTO is a JSON object (not an array, not a scalar), checked in turn;
 * - a property documented as a list is an array, and each element has the element's shape.
 *
 * Scalars' own rules (type, length, format) stay with the class-validator decorators beside each
 * `@ApiProperty`, which write the same document.
 */

/** What `@ApiProperty` records for one property (https://docs.nestjs.com/openapi/types-and-parameters). */
interface DocumentedProperty {
  type?: unknown;
  isArray?: boolean;
  nullable?: boolean;
  required?: boolean;
}

type DtoClass = abstract new (...args: never[]) => object;

/** The names `@ApiProperty` recorded on a class, its inherited ones included. */
function documentedNames(dto: DtoClass): string[] {
  const names = Reflect.getMetadata(DECORATORS.API_MODEL_PROPERTIES_ARRAY, dto.prototype as object) as
    string[] | undefined;
  // Swagger records each name as `:name`.
  return [...new Set((names ?? []).map((name) => name.replace(/^:/, '')))];
}

function documentedProperty(dto: DtoClass, name: string): DocumentedProperty {
  return (Reflect.getMetadata(DECORATORS.API_MODEL_PROPERTIES, dto.prototype as object, name) ??
    {}) as DocumentedProperty;
}

/** The DTO class a documented type names, if it names one (`type: X` or `type: () => X`). */
function dtoOf(type: unknown): DtoClass | undefined {
  if (typeof type !== 'function') return undefined;
  // An arrow function (a lazy type) has no prototype; a class always has one.
  const resolved: unknown = type.prototype === undefined ? (type as () => unknown)() : type;
  if (typeof resolved !== 'function') return undefined;
  return isDocumentedDto(resolved) ? resolved : undefined;
}

/** Whether a class has documented properties of its own (a DTO, not String or Object). */
export function isDocumentedDto(type: unknown): type is DtoClass {
  return (
    typeof type === 'function' && type.prototype !== undefined && documentedNames(type as DtoClass).length > 0
  );
}

const isJsonObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const notAnObject = (field: string): FieldError => ({
  field,
  code: 'not_an_object',
  message: `${field} must be an object`,
});

function elementErrors(value: unknown, type: unknown, field: string): FieldError[] {
  const dto = dtoOf(type);
  if (dto === undefined) return [];
  return isJsonObject(value) ? objectErrors(value, dto, field) : [notAnObject(field)];
}

function objectErrors(body: Record<string, unknown>, dto: DtoClass, parent: string): FieldError[] {
  return documentedNames(dto).flatMap((name) => {
    if (!Object.hasOwn(body, name)) return [];
    const value = body[name];
    const field = parent === '' ? name : `${parent}.${name}`;
    const property = documentedProperty(dto, name);
    if (value === null) {
      if (property.nullable === true) return [];
      return [
        property.required === false
          ? { field, code: 'not_nullable', message: `${field} must not be null; leave it out instead` }
          : { field, code: 'required', message: `${field} must not be null` },
      ];
    }
    if (property.isArray !== true) return elementErrors(value, property.type, field);
    if (!Array.isArray(value)) return [{ field, code: 'not_an_array', message: `${field} must be an array` }];
    return value.flatMap((element, index) => {
      const at = `${field}.${index}`;
      if (element === null) return [{ field: at, code: 'not_nullable', message: `${at} must not be null` }];
      return elementErrors(element, property.type, at);
    });
  });
}

/** Every way a body departs from the shape its DTO documents; empty when it has that shape. */
export function documentedShapeErrors(body: unknown, dto: DtoClass): FieldError[] {
  // No body at all is an empty one, as the ValidationPipe reads it.
  if (body === undefined) return [];
  return isJsonObject(body) ? objectErrors(body, dto, '') : [notAnObject('body')];
}
