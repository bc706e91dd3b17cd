import { EVENT_TYPES } from '@app/domain';
import { PROVIDER_ADAPTERS } from '@app/providers';
import { type OpenAPIObject } from '@nestjs/swagger';
import { getMetadataStorage } from 'class-validator';

import { asOpenApi31, everySchema, FRACTIONAL_NUMBERS, type Schema, walkSchema } from './openapi-31';
import { generateOpenApiDocument } from './openapi';

describe('the OpenAPI 3.1 document', () => {
  let document: OpenAPIObject;

  beforeAll(async () => {
    document = await generateOpenApiDocument();
  });

  const schemas = () => {
    const all: { schema: Schema; name?: string }[] = [];
    for (const { schema, name } of everySchema(document)) {
      walkSchema(schema, (inner, property) => all.push({ schema: inner, name: property }), name);
    }
    return all;
  };

  it('says null as 3.1 does: no `nullable`, and every enum of a nullable field lists null', () => {
    const left = schemas().filter(({ schema }) => 'nullable' in schema);
    expect(left).toEqual([]);
    const enumsWithoutNull = schemas().filter(
      ({ schema }) =>
        Array.isArray(schema.type) &&
        schema.type.includes('null') &&
        schema.enum &&
        !schema.enum.includes(null),
    );
    expect(enumsWithoutNull).toEqual([]);
  });

  it('declares a whole number as integer, and as number only the fractions the DTOs validate as such', () => {
    const numbers = schemas()
      .filter(
        ({ schema }) =>
          schema.type === 'number' || (Array.isArray(schema.type) && schema.type.includes('number')),
      )
      .map(({ name }) => name);
    expect(new Set(numbers)).toEqual(FRACTIONAL_NUMBERS);
    // Every request field that class-validator holds to IsNumber but not IsInt is a declared fraction.
    const rules = getMetadataStorage() as unknown as {
      validationMetadatas: Map<unknown, { name?: string; propertyName: string }[]>;
    };
    const byProperty = new Map<string, Set<string>>();
    for (const list of rules.validationMetadatas.values()) {
      for (const rule of list) {
        if (rule.name === undefined) continue;
        const names = byProperty.get(rule.propertyName) ?? new Set<string>();
        byProperty.set(rule.propertyName, names.add(rule.name));
      }
    }
    const fractional = [...byProperty]
      .filter(([, names]) => names.has('isNumber') && !names.has('isInt'))
      .map(([property]) => property);
    expect(fractional.length).toBeGreaterThan(0);
    expect(fractional.filter((property) => !FRACTIONAL_NUMBERS.has(property))).toEqual([]);
  });

  it('lists the provider ids of the provider registry as an enum every provider field refers to', () => {
    expect(document.components?.schemas?.['ProviderId']).toMatchObject({
      enum: Object.keys(PROVIDER_ADAPTERS).sort(),
    });
    const plain = schemas().filter(
      ({ schema, name }) => name === 'provider' && schema.type === 'string' && schema.enum === undefined,
    );
    expect(plain).toEqual([]);
  });

  it('describes every event type as a webhook, and every answer with its X-Request-Id', () => {
    const webhooks = (document as OpenAPIObject & { webhooks: Record<string, { post: unknown }> }).webhooks;
    expect(Object.keys(webhooks)).toEqual([...EVENT_TYPES]);
    const mapping = (
      document.components?.schemas?.['EventResponse'] as { discriminator: { mapping: object } }
    ).discriminator.mapping;
    expect(Object.keys(mapping)).toEqual([...EVENT_TYPES]);
    const withoutRequestId = Object.entries(document.paths).flatMap(([path, item]) =>
      Object.entries(item as Record<string, { responses: Record<string, { headers?: object }> }>).flatMap(
        ([method, operation]) =>
          Object.entries(operation.responses)
            .filter(([, response]) => !('X-Request-Id' in (response.headers ?? {})))
            .map(([status]) => `${method} ${path} ${status}`),
      ),
    );
    expect(withoutRequestId).toEqual([]);
  });

  it('turns a nullable reference into anyOf with null, and a nullable enum into one with null', () => {
    const converted = asOpenApi31({
      openapi: '3.0.0',
      info: { title: 't', version: '1' },
      paths: {},
      components: {
        schemas: {
          A: {
            type: 'object',
            properties: {
              address: { nullable: true, type: 'object', allOf: [{ $ref: '#/components/schemas/B' }] },
              kind: { type: 'string', nullable: true, enum: ['a', 'b'] },
              count: { type: 'number', nullable: true },
              liveShare: { type: 'number' },
            },
          },
        },
      },
    });
    expect(converted.components?.schemas?.['A']).toEqual({
      type: 'object',
      additionalProperties: false,
      properties: {
        address: { anyOf: [{ $ref: '#/components/schemas/B' }, { type: 'null' }] },
        kind: { type: ['string', 'null'], enum: ['a', 'b', null] },
        count: { type: ['integer', 'null'] },
        liveShare: { type: 'number' },
      },
    });
    expect(converted.openapi).toBe('3.1.0');
  });
});
