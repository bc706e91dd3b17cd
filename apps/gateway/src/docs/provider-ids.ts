import { type OpenAPIObject } from '@nestjs/swagger';
import { PROVIDER_ADAPTERS } from '@app/providers';

import { type Schema, walkSchema } from './openapi-31';

/** The component that lists the provider ids; every `provider` field and parameter refers to it. */
export const PROVIDER_ID_SCHEMA = 'ProviderId';

/**
 * Provider ids as an enum generated from the provider registry (PROVIDER_ADAPTERS), so a client
 * knows every id and the document changes (and `npm run openapi:check` asks for a regeneration)
 * when a provider is added. DTOs declare them as plain strings; this is the one place that knows.
 */
export function documentProviderIds(document: OpenAPIObject): OpenAPIObject {
  document.components ??= {};
  document.components.schemas ??= {};
  document.components.schemas[PROVIDER_ID_SCHEMA] = {
    type: 'string',
    description: 'A provider id, as PROVIDER_ACCOUNTS, links and URLs name it.',
    enum: Object.keys(PROVIDER_ADAPTERS).sort(),
    // No example here: Swagger UI would fill it into every filter that refers to this schema.
  };
  const reference = { $ref: `#/components/schemas/${PROVIDER_ID_SCHEMA}` };
  // What the property said beside its type stays next to the reference (3.1 allows it).
  const asProviderId = ({ description, example }: Schema): Schema => ({
    ...reference,
    ...(description === undefined ? {} : { description }),
    ...(example === undefined ? {} : { example }),
  });
  const isString = (schema: Schema | undefined) => schema?.type === 'string' && schema.enum === undefined;
  for (const [name, schema] of Object.entries(document.components.schemas)) {
    if (name === PROVIDER_ID_SCHEMA) continue;
    walkSchema(schema as Schema, (inner) => {
      for (const [property, value] of Object.entries(inner.properties ?? {})) {
        if (property === 'provider' && isString(value)) inner.properties![property] = asProviderId(value);
        if (property === 'providers' && value.type === 'array' && isString(value.items)) {
          value.items = { ...reference };
        }
      }
    });
  }
  for (const item of Object.values(document.paths)) {
    for (const operation of Object.values(item as Record<string, { parameters?: unknown[] }>)) {
      for (const parameter of operation.parameters ?? []) {
        const { name, schema } = parameter as { name?: string; schema?: Schema };
        if (name !== 'provider' || schema === undefined) continue;
        if (isString(schema)) (parameter as { schema: Schema }).schema = asProviderId(schema);
        else if (schema.type === 'array' && isString(schema.items)) schema.items = { ...reference };
      }
    }
  }
  return document;
}
