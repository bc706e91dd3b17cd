import { type OpenAPIObject } from '@nestjs/swagger';
import { EVENT_TYPES, type EventType } from '@app/domain';

import { PROVIDER_ID_SCHEMA } from './provider-ids';

/**
 * Each event type's `data`, as the writes that record events build it (libs/persistence:
 * prisma-customer.repository.ts, prisma-sync-queue.ts, prisma-migration.store.ts,
 * prisma-provider-change-events.ts), and the
 * `webhooks` section: what the gateway POSTs to a subscribed endpoint, one event per request. The
 * HTTP ring holds every event GET /v1/events answers to these schemas.
 */

type Schema = Record<string, unknown>;

const schemaRef = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const integer = { type: 'integer' };
const text = { type: 'string' };

/** Set on a forgotten customer's events (they carry ids, codes and field names only, as all events do). */
const SCRUBBED = {
  type: 'boolean',
  enum: [true],
  description: 'Set once the customer was forgotten.',
};

const ACCOUNT = {
  type: 'object',
  properties: { provider: schemaRef(PROVIDER_ID_SCHEMA), account: text },
  required: ['provider', 'account'],
  additionalProperties: false,
};

const LINK = {
  provider: schemaRef(PROVIDER_ID_SCHEMA),
  account: text,
  reference: { type: 'string', description: 'The reference the gateway gave the provider.' },
};

const closed = (properties: Schema, required: string[], description: string): Schema => ({
  type: 'object',
  description,
  properties,
  required,
  additionalProperties: false,
});

/** Each type's `data`. */
const DATA: Record<EventType, Schema> = {
  'customer.created': closed(
    {
      version: integer,
      providers: {
        type: 'array',
        description: 'The provider accounts the customer goes to.',
        items: closed(LINK, ['provider', 'account', 'reference'], 'One link.'),
      },
      scrubbed: SCRUBBED,
    },
    ['version', 'providers'],
    'A customer was created.',
  ),
  'customer.updated': closed(
    {
      version: integer,
      changedFields: {
        type: 'array',
        items: text,
        example: ['email'],
        description: 'The canonical fields the change touched, by name (never the values: GET the customer).',
      },
      scrubbed: SCRUBBED,
    },
    ['version', 'changedFields'],
    'A customer was changed: which fields (the customer as it now is: GET /v1/customers/{id}).',
  ),
  'customer.deleted': closed(
    {
      providersLeft: { type: 'integer', description: 'Provider copies still to delete.' },
      scrubbed: SCRUBBED,
    },
    ['providersLeft'],
    'A customer was deleted (its copies at the providers are deleted, or scrubbed, after it).',
  ),
  'customer.forgotten': closed(
    { erased: { type: 'string', enum: ['personal fields'] }, scrubbed: SCRUBBED },
    ['erased'],
    'A customer was forgotten (GDPR erasure): its personal fields are gone, here and at the providers.',
  ),
  'customer.link.synced': closed(
    {
      ...LINK,
      version: { type: 'integer', description: 'The customer version the provider now holds.' },
      action: { type: 'string', enum: ['created', 'updated', 'unchanged'] },
      scrubbed: SCRUBBED,
    },
    ['provider', 'account', 'reference', 'version'],
    'A provider confirmed the customer.',
  ),
  'customer.link.failed': closed(
    {
      ...LINK,
      error: closed(
        {
          code: text,
          retryable: { type: 'boolean' },
          providerCode: text,
          field: text,
        },
        ['code', 'retryable'],
        "Why: the gateway's code, and the provider's own where it refused. The messages, which may quote the customer's data, are on the link's lastError only.",
      ),
      scrubbed: SCRUBBED,
    },
    ['provider', 'account', 'reference', 'error'],
    'A link was parked as failed after its retry budget (re-drive it with POST /v1/customers/{id}/sync).',
  ),
  'customer.link.retired': closed(
    { provider: schemaRef(PROVIDER_ID_SCHEMA), account: text, reason: text, scrubbed: SCRUBBED },
    ['provider', 'account', 'reason'],
    'A link was removed (a migration cut the customer over to another account).',
  ),
  'customer.provider_change_detected': closed(
    {
      ...LINK,
      fields: {
        type: 'array',
        items: text,
        example: ['phone'],
        description:
          "The canonical fields whose value at the provider differs from the mirror's (never the values).",
      },
      missing: { type: 'boolean', description: 'The provider no longer holds the customer (deleted there).' },
      source: {
        type: 'string',
        example: 'sweep',
        description:
          "What found it: `sweep` (2Checkout's scheduled comparison) or the provider's event type.",
      },
      eventId: { type: 'string', description: "The provider's event id, when an event brought it up." },
      scrubbed: SCRUBBED,
    },
    ['provider', 'account', 'reference', 'fields', 'missing', 'source'],
    "A provider's copy was changed outside the gateway (read back, not our own write on its way).",
  ),
  'customer.provider_change_resolved': closed(
    {
      ...LINK,
      pushed: {
        type: 'array',
        items: text,
        description:
          'Fields whose canonical value was written back to the provider (CONFLICT_POLICY `push`).',
      },
      adopted: {
        type: 'array',
        items: text,
        description:
          'Fields whose provider value became canonical (CONFLICT_POLICY `adopt`): a new version, sent to every other provider.',
      },
      missing: {
        type: 'boolean',
        description: 'The copy was gone and was recreated (a deletion is never adopted).',
      },
      version: { type: 'integer', description: 'The customer version after the resolution.' },
      adoptRefused: {
        type: 'string',
        example: 'provider_rules_violated',
        description: 'Set when adopting was refused (the code why): those fields were pushed back instead.',
      },
      scrubbed: SCRUBBED,
    },
    ['provider', 'account', 'reference', 'pushed', 'adopted', 'missing', 'version'],
    'A provider-side change was resolved by the conflict policy: pushed back, or adopted into the mirror.',
  ),
  'migration.completed': closed(
    {
      source: ACCOUNT,
      target: ACCOUNT,
      outcomes: { type: 'object', additionalProperties: integer, description: 'Items by outcome.' },
    },
    ['source', 'target', 'outcomes'],
    'A migration finished with no item failed.',
  ),
  'migration.failed': closed(
    {
      source: ACCOUNT,
      target: ACCOUNT,
      outcomes: { type: 'object', additionalProperties: integer, description: 'Items by outcome.' },
    },
    ['source', 'target', 'outcomes'],
    'A migration finished with items failed (list them with GET /v1/migrations/{id}/items).',
  ),
};

/** `customer.link.synced` → `CustomerLinkSynced`. */
const nameOf = (type: EventType) =>
  type
    .split('.')
    .map((word) => `${word[0]!.toUpperCase()}${word.slice(1)}`)
    .join('');

/**
 * EventResponse becomes the union of one schema per type (its `type` a constant, its `data` that
 * type's), discriminated by `type`; and every type is described as a webhook.
 */
export function documentEvents(document: OpenAPIObject): OpenAPIObject {
  // Written as 3.1 schemas (`const`), which the 3.0-shaped types of @nestjs/swagger do not know.
  const schemas = ((document.components ??= {}).schemas ??= {}) as Record<string, unknown>;
  const generic = schemas['EventResponse'] as
    { properties: Record<string, Schema>; required?: string[]; description?: string } | undefined;
  if (generic === undefined) throw new Error('EventResponse is not in the document');
  const mapping: Record<string, string> = {};
  for (const type of EVENT_TYPES) {
    const name = nameOf(type);
    schemas[`${name}Data`] = DATA[type];
    schemas[`${name}Event`] = {
      type: 'object',
      description: DATA[type]['description'] as string,
      properties: {
        ...generic.properties,
        type: { type: 'string', const: type },
        data: schemaRef(`${name}Data`),
      },
      required: generic.required,
      additionalProperties: false,
    };
    mapping[type] = `#/components/schemas/${name}Event`;
  }
  schemas['EventResponse'] = {
    description: 'An event: what changed, when, by whom; `data` depends on `type`.',
    oneOf: EVENT_TYPES.map((type) => schemaRef(`${nameOf(type)}Event`)),
    discriminator: { propertyName: 'type', mapping },
  };
  (document as OpenAPIObject & { webhooks?: Record<string, unknown> }).webhooks = Object.fromEntries(
    EVENT_TYPES.map((type) => [
      type,
      {
        post: {
          operationId: `on${nameOf(type)}`,
          tags: ['webhooks'],
          summary: `${type}: ${DATA[type]['description'] as string}`,
          description: `Sent to every enabled endpoint subscribed to \`${type}\` (or \`*\`), as the event GET /v1/events/{id} answers. The request carries \`Webhook-Id\` (the event id: de-duplicate on it) and \`Webhook-Signature\` (\`t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>" with the endpoint's secret>\`). Any 2xx within WEBHOOK_TIMEOUT_MS delivers it; anything else is retried with backoff for WEBHOOK_RETRY_FOR_HOURS.`,
          requestBody: {
            required: true,
            content: { 'application/json': { schema: schemaRef(`${nameOf(type)}Event`) } },
          },
          responses: { '200': { description: 'Delivered (any 2xx does).' } },
          security: [],
        },
      },
    ]),
  );
  return document;
}
