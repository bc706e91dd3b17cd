import { DECORATORS } from '@nestjs/swagger';
import { type FieldError } from '@app/domain';

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
 * - a property documented as a list is an array, and each element has the element's shape;
 * - a property documented as a string, number or boolean holds one.
 *
 * The other rules (length, format, enums, free-form maps) stay with the class-validator decorators
 * beside each `@ApiProperty`, which write the same document.
 */

/** What `@ApiProperty` records for one property (https://docs.nestjs.com/openapi/types-and-parameters). */
interface DocumentedProperty {
  type?: unknown;
  items?: { type?: unknown };
  isArray?: boolean;
  nullable?: boolean;
  required?: boolean;
}

type DtoClass = abstract new (...args: never[]) => object;

/**
 * The properties `@ApiProperty` recorded on a class, its inherited ones included, each with what
 * it recorded. Read once per class: the decorators have all run by the time the class exists, and
 * reflect-metadata walks the prototype chain on every lookup, which cost every request with a
 * body a few percent of its CPU when it was read anew.
 */
const documentedByClass = new WeakMap<DtoClass, readonly [string, DocumentedProperty][]>();

function documentedProperties(dto: DtoClass): readonly [string, DocumentedProperty][] {
  let properties = documentedByClass.get(dto);
  if (properties === undefined) {
    const prototype = dto.prototype as object;
    const recorded = Reflect.getMetadata(DECORATORS.API_MODEL_PROPERTIES_ARRAY, prototype) as
      string[] | undefined;
    // Swagger records each name as `:name`.
    const names = [...new Set((recorded ?? []).map((name) => name.replace(/^:/, '')))];
    properties = names.map((name) => [
      name,
      (Reflect.getMetadata(DECORATORS.API_MODEL_PROPERTIES, prototype, name) ?? {}) as DocumentedProperty,
    ]);
    documentedByClass.set(dto, properties);
  }
  return properties;
}

/** The DTO class a documented type names, if it names one (`type: X` or `type: () => X`). */
function dtoOf(type: unknown): DtoClass | undefined {
  if (typeof type !== 'function') return undefined;
  // An arrow function (a lazy type) has no prototype; a class always has one.
  const resolved: unknown = type.prototype === undefined ? (type as () => unknown)() : type;
  if (typeof resolved !== 'function') return undefined;
  return isDocumentedDto(resolved) ? resolved : undefined;
}

/** Whether a class has documented properties, its own or inherited (a DTO, not String or Object). */
export function isDocumentedDto(type: unknown): type is DtoClass {
  return (
    typeof type === 'function' &&
    type.prototype !== undefined &&
    documentedProperties(type as DtoClass).length > 0
  );
}

const isJsonObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const notAnObject = (field: string): FieldError => ({
  field,
  code: 'not_an_object',
  message: `${field} must be an object`,
});

/** The JSON scalar a documented type names (`type: String` or `type: 'string'`), with its error code. */
const SCALARS: { names: unknown[]; holds: (value: unknown) => boolean; code: string; noun: string }[] = [
  { names: [String, 'string'], holds: (v) => typeof v === 'string', code: 'not_a_string', noun: 'a string' },
  { names: [Number, 'number'], holds: (v) => typeof v === 'number', code: 'not_a_number', noun: 'a number' },
  { names: ['integer'], holds: (v) => Number.isInteger(v), code: 'not_an_integer', noun: 'a whole number' },
  {
    names: [Boolean, 'boolean'],
    holds: (v) => typeof v === 'boolean',
    code: 'not_a_boolean',
    noun: 'true or false',
  },
];

/** One value (a property's, or a list element's) against the type documented for it. */
function valueErrors(value: unknown, type: unknown, field: string): FieldError[] {
  const dto = dtoOf(type);
  if (dto !== undefined) return isJsonObject(value) ? objectErrors(value, dto, field) : [notAnObject(field)];
  const scalar = SCALARS.find((candidate) => candidate.names.includes(type));
  if (scalar === undefined || scalar.holds(value)) return [];
  return [{ field, code: scalar.code, message: `${field} must be ${scalar.noun}` }];
}

function listErrors(value: unknown, elementType: unknown, field: string): FieldError[] {
  if (!Array.isArray(value)) return [{ field, code: 'not_an_array', message: `${field} must be an array` }];
  return value.flatMap((element: unknown, index) => {
    const at = `${field}.${index}`;
    if (element === null) return [{ field: at, code: 'not_nullable', message: `${at} must not be null` }];
    return valueErrors(element, elementType, at);
  });
}

function objectErrors(body: Record<string, unknown>, dto: DtoClass, parent: string): FieldError[] {
  return documentedProperties(dto).flatMap(([name, property]) => {
    if (!Object.hasOwn(body, name)) return [];
    const value = body[name];
    const field = parent === '' ? name : `${parent}.${name}`;
    if (value === null) {
      if (property.nullable === true) return [];
      return [
        property.required === false
          ? { field, code: 'not_nullable', message: `${field} must not be null; leave it out instead` }
          : { field, code: 'required', message: `${field} must not be null` },
      ];
    }
    // A list written out as a schema (`type: 'array', items: { type: 'string' }`), as Swagger also
    // records a list of enum values.
    if (property.type === 'array') return listErrors(value, property.items?.type, field);
    if (property.isArray === true) return listErrors(value, property.type, field);
    return valueErrors(value, property.type, field);
  });
}

/** Every way a body departs from the shape its DTO documents; empty when it has that shape. */
export function documentedShapeErrors(body: unknown, dto: DtoClass): FieldError[] {
  // No body at all is an empty one, as the ValidationPipe reads it.
  if (body === undefined) return [];
  return isJsonObject(body) ? objectErrors(body, dto, '') : [notAnObject('body')];
}
