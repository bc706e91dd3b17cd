import { type OpenAPIObject } from '@nestjs/swagger';

/**
 * @nestjs/swagger writes OpenAPI 3.0 schemas whatever version the document names: `nullable`, and
 * `number` for every TypeScript number. This turns them into what OpenAPI 3.1 (JSON Schema 2020-12)
 * means, https://spec.openapis.org/oas/v3.1.0#data-types: null is a type of its own, and a whole
 * number is an `integer`. Strict validators (ajv) hold answers to exactly this.
 */

/** A JSON Schema as this code edits it: any keyword may be present. */
export type Schema = Record<string, unknown> & {
  type?: string | string[];
  properties?: Record<string, Schema>;
  items?: Schema;
  allOf?: Schema[];
  anyOf?: Schema[];
  oneOf?: Schema[];
  enum?: unknown[];
  $ref?: string;
};

/**
 * The only numbers of the API that are fractions (a share of the traffic, a rate): every other
 * number it reads or answers is a whole number (counts, versions, limits, milliseconds, HTTP
 * statuses). docs/openapi-31.spec.ts checks this list against the class-validator rules (`IsNumber`
 * against `IsInt`) of the request DTOs, so a new fractional input cannot be documented as integer.
 */
export const FRACTIONAL_NUMBERS: ReadonlySet<string> = new Set(['liveShare', 'ratePerSecond']);

const nullType = (): Schema => ({ type: 'null' });

/** Calls `visit` on `schema` and every schema inside it, innermost first; `name` is the property's. */
export function walkSchema(schema: Schema, visit: (schema: Schema, name?: string) => void, name?: string) {
  for (const [property, inner] of Object.entries(schema.properties ?? {})) walkSchema(inner, visit, property);
  if (schema.items !== undefined) walkSchema(schema.items, visit, name);
  const additional = schema['additionalProperties'];
  if (typeof additional === 'object' && additional !== null) walkSchema(additional as Schema, visit, name);
  for (const list of [schema.allOf, schema.anyOf, schema.oneOf]) {
    for (const inner of list ?? []) walkSchema(inner, visit, name);
  }
  visit(schema, name);
}

/** `nullable: true` as 3.1 says it: `null` among the types, in the enum, or beside the reference. */
function nullableAsType(schema: Schema): void {
  const nullable = schema['nullable'];
  delete schema['nullable'];
  if (nullable !== true) return;
  const onlyReference = schema.allOf?.length === 1 && schema.allOf[0]?.$ref !== undefined;
  if (onlyReference) {
    // `{nullable, type: object, allOf: [$ref]}` allowed no null at all under 3.1's rules.
    schema.anyOf = [schema.allOf![0]!, nullType()];
    delete schema.allOf;
    delete schema.type;
  } else if (schema.anyOf !== undefined || schema.oneOf !== undefined) {
    (schema.anyOf ?? schema.oneOf)!.push(nullType());
  } else if (typeof schema.type === 'string') {
    schema.type = [schema.type, 'null'];
  }
  if (schema.enum !== undefined && !schema.enum.includes(null)) schema.enum.push(null);
}

/** A number that is not one of the FRACTIONAL_NUMBERS is an integer. */
function integerUnlessFractional(schema: Schema, name: string | undefined): void {
  if (name !== undefined && FRACTIONAL_NUMBERS.has(name)) return;
  if (schema.type === 'number') schema.type = 'integer';
  else if (Array.isArray(schema.type)) schema.type = schema.type.map((t) => (t === 'number' ? 'integer' : t));
}

/** Every schema of the document with the name it is found under (property or parameter name). */
export function everySchema(document: OpenAPIObject): { schema: Schema; name?: string }[] {
  const found: { schema: Schema; name?: string }[] = [];
  const add = (schema: unknown, name?: string) => {
    if (typeof schema === 'object' && schema !== null) found.push({ schema: schema as Schema, name });
  };
  for (const schema of Object.values(document.components?.schemas ?? {})) add(schema);
  for (const item of Object.values(document.paths)) {
    for (const operation of Object.values(item as Record<string, unknown>)) {
      if (typeof operation !== 'object' || operation === null) continue;
      const { parameters, requestBody, responses } = operation as {
        parameters?: { name: string; schema?: unknown }[];
        requestBody?: { content?: Record<string, { schema?: unknown }> };
        responses?: Record<string, { content?: Record<string, { schema?: unknown }> }>;
      };
      for (const parameter of parameters ?? []) add(parameter.schema, parameter.name);
      for (const media of Object.values(requestBody?.content ?? {})) add(media.schema);
      for (const response of Object.values(responses ?? {})) {
        for (const media of Object.values(response.content ?? {})) add(media.schema);
      }
    }
  }
  return found;
}

/**
 * The component schemas of objects with declared properties admit no others: the request DTOs
 * refuse unknown fields (`forbidNonWhitelisted`), and the answers carry exactly what their DTOs
 * declare, which the HTTP ring checks on every answer it receives.
 */
function closeDeclaredObjects(document: OpenAPIObject): void {
  for (const schema of Object.values(document.components?.schemas ?? {}) as Schema[]) {
    walkSchema(schema, (inner) => {
      if (inner.properties !== undefined && inner['additionalProperties'] === undefined) {
        inner['additionalProperties'] = false;
      }
    });
  }
}

/** Rewrites every schema of `document` (in place) as OpenAPI 3.1 means it. */
export function asOpenApi31(document: OpenAPIObject): OpenAPIObject {
  document.openapi = '3.1.0';
  for (const { schema, name } of everySchema(document)) {
    walkSchema(
      schema,
      (inner, property) => {
        nullableAsType(inner);
        integerUnlessFractional(inner, property);
      },
      name,
    );
  }
  closeDeclaredObjects(document);
  return document;
}
