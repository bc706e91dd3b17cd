import {
  type HeaderObject,
  type HeadersObject,
  type OpenAPIObject,
  type ParameterObject,
} from '@nestjs/swagger';

import { problemResponse, type ProblemStatus } from '../errors/problem.dto';

type Operation = NonNullable<OpenAPIObject['paths'][string]['get']>;
type Response = Operation['responses'][string] & {
  content?: Record<string, { schema?: unknown }>;
};

export const METHODS = ['get', 'put', 'post', 'delete', 'patch'] as const;

/** The methods whose requests the idempotency gate keys (idempotency-gate.ts). */
const UNSAFE_METHODS: ReadonlySet<string> = new Set(['post', 'put', 'patch', 'delete']);

/** The operations whose 201 or 202 answer names the new resource in `Location`. */
const LOCATION_OPERATIONS: ReadonlySet<string> = new Set([
  'createCustomer',
  'startMigration',
  'startReconciliation',
]);

/**
 * The operations whose handler sets the customer's `ETag` (customers.controller.ts). The other
 * answers that carry a customer have one only when replayed for an Idempotency-Key.
 */
const ETAG_OPERATIONS: ReadonlySet<string> = new Set([
  'createCustomer',
  'importCustomer',
  'getCustomer',
  'getCustomerByReference',
  'updateCustomer',
  'linkCustomer',
]);

const ref = (kind: 'headers' | 'parameters', name: string) => ({ $ref: `#/components/${kind}/${name}` });

/** The headers answers carry, each documented once under components.headers. */
const HEADERS: Record<string, HeaderObject> = {
  'X-Request-Id': {
    description:
      "The request's id: the caller's own `X-Request-Id` when it is a sane token, else a fresh UUID. Problems repeat it as `requestId`; logs and events carry it.",
    required: true,
    schema: { type: 'string', minLength: 1, maxLength: 200 },
  },
  ETag: {
    description:
      "The customer's version as a strong entity tag, for `If-Match` (and `If-None-Match`) on the next request.",
    required: true,
    schema: { type: 'string', pattern: '^"[0-9]+"$' },
  },
  Location: {
    description: 'Where the new resource is read (sent with the first answer, not with a replay).',
    schema: { type: 'string', format: 'uri-reference' },
  },
  'Idempotent-Replayed': {
    description:
      'Present (`true`) when this answer is the stored answer to an earlier request with the same `Idempotency-Key`.',
    schema: { type: 'string', enum: ['true'] },
  },
  'Retry-After': {
    description:
      'Seconds to wait before sending the request again: always with a 429, and with a 503 when a provider said how long it limits the gateway.',
    schema: { type: 'string', pattern: '^[0-9]+$' },
  },
};

/** `Idempotency-Key`, honoured by the idempotency gate (http/edge.ts) on every unsafe request with a key. */
const IDEMPOTENCY_KEY: ParameterObject = {
  name: 'Idempotency-Key',
  in: 'header',
  required: false,
  description:
    'Makes the request safe to retry, also after a crash: the same key with the same request replays the first answer for IDEMPOTENCY_TTL_HOURS (24 by default; marked `Idempotent-Replayed: true`), or, when the gateway died before answering, carries the first attempt on without doing its change twice. With another request it is a 422; while the first is running, a 409: retry with the same key until the answer is neither a 409 nor a 5xx. Scoped to the API key.',
  // No example: Swagger UI would send the same key with every Try it out (it fills in a fresh one).
  schema: { type: 'string', minLength: 1, maxLength: 255 },
};

const isSecured = (operation: Operation) => operation.security === undefined || operation.security.length > 0;

const honoursIdempotencyKey = (method: string, operation: Operation) =>
  UNSAFE_METHODS.has(method) && isSecured(operation);

/**
 * The answers every operation can give whatever its handler does, documented once here rather
 * than on each route (so a new route cannot forget them): input refused before routing (400), a
 * missing or wrong key and scope (401, 403), the caller's rate limit (429), the database being
 * unavailable (503), for bodies and idempotent writes what the HTTP edge says, and a failure of
 * the gateway itself (500).
 */
function commonStatuses(method: string, operation: Operation): ProblemStatus[] {
  const statuses: ProblemStatus[] = [400];
  // Every operation behind a key reads or writes the database (the idempotency record at least).
  if (isSecured(operation)) statuses.push(401, 403, 429, 503);
  if (operation.requestBody !== undefined) statuses.push(413, 415);
  if (honoursIdempotencyKey(method, operation)) statuses.push(409, 422);
  statuses.push(500);
  return statuses;
}

type SchemaReference = { $ref?: string; oneOf?: SchemaReference[]; anyOf?: SchemaReference[] };

/**
 * Whether a JSON answer is a versioned resource (it has a `version`, which its ETag carries):
 * `always`, `sometimes` (one of its alternatives is, such as a write that may be a dry run), or not.
 */
function versioned(document: OpenAPIObject, response: Response): 'always' | 'sometimes' | undefined {
  const schemas = document.components?.schemas ?? {};
  const hasVersion = (schema: SchemaReference | undefined) => {
    const name = schema?.$ref?.replace('#/components/schemas/', '');
    const properties = (schemas[name ?? ''] as { properties?: Record<string, unknown> } | undefined)
      ?.properties;
    return properties?.['version'] !== undefined;
  };
  const schema = response.content?.['application/json']?.schema as SchemaReference | undefined;
  if (hasVersion(schema)) return 'always';
  return (schema?.oneOf ?? schema?.anyOf ?? []).some(hasVersion) ? 'sometimes' : undefined;
}

function documentHeaders(document: OpenAPIObject, method: string, operation: Operation): void {
  for (const [status, response] of Object.entries(operation.responses) as [string, Response][]) {
    if ('$ref' in response) continue;
    const headers: HeadersObject = { 'X-Request-Id': ref('headers', 'X-Request-Id') };
    const etag = status.startsWith('2') ? versioned(document, response) : undefined;
    if (etag === 'always' && ETAG_OPERATIONS.has(operation.operationId ?? '')) {
      headers['ETag'] = ref('headers', 'ETag');
    } else if (etag !== undefined) {
      headers['ETag'] = { ...HEADERS['ETag'], required: false };
    }
    if ((status === '201' || status === '202') && LOCATION_OPERATIONS.has(operation.operationId ?? '')) {
      headers['Location'] = ref('headers', 'Location');
    }
    if (status === '503') headers['Retry-After'] = ref('headers', 'Retry-After');
    // A rate-limited caller is always told when to come back.
    if (status === '429') headers['Retry-After'] = { ...HEADERS['Retry-After'], required: true };
    if (honoursIdempotencyKey(method, operation)) {
      headers['Idempotent-Replayed'] = ref('headers', 'Idempotent-Replayed');
    }
    response.headers = { ...response.headers, ...headers };
  }
}

/** `Idempotency-Key` as one shared parameter on every operation that honours it. */
function documentIdempotencyKey(method: string, operation: Operation): void {
  const others = (operation.parameters ?? []).filter(
    (parameter) => !('name' in parameter && parameter.name === IDEMPOTENCY_KEY.name),
  );
  operation.parameters = honoursIdempotencyKey(method, operation)
    ? [...others, ref('parameters', 'IdempotencyKey')]
    : others;
}

export function documentCommonAnswers(document: OpenAPIObject): OpenAPIObject {
  document.components ??= {};
  document.components.headers = { ...HEADERS };
  document.components.parameters = { IdempotencyKey: { ...IDEMPOTENCY_KEY } };
  for (const item of Object.values(document.paths)) {
    for (const method of METHODS) {
      const operation = item[method];
      if (operation === undefined) continue;
      documentIdempotencyKey(method, operation);
      for (const status of commonStatuses(method, operation)) {
        operation.responses[status] ??= problemResponse(status);
      }
      documentHeaders(document, method, operation);
      if (operation.parameters?.length === 0) delete operation.parameters;
    }
  }
  return document;
}
