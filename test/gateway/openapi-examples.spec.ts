import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import { sample } from 'openapi-sampler';

import { OPENAPI_PATH } from '../../scripts/openapi-files';
import { bearer, type GatewayWithSandboxes, KEYS, startGatewayWithSandboxes } from '../support/gateway';

/**
 * Every request example in the document is sent as Swagger UI's "Try it out" sends it, to a fresh
 * gateway wired to the built-in sandboxes, and must succeed. Nothing here names an endpoint: the
 * operations, their examples and the resources they need all come from the document, so new
 * endpoints are covered as they are added.
 */

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

interface Schema {
  $ref?: string;
  type?: string;
  example?: unknown;
  properties?: Record<string, Schema>;
  items?: Schema;
  allOf?: Schema[];
}

interface Parameter {
  name: string;
  in: 'path' | 'query' | 'header' | 'cookie';
  required?: boolean;
  example?: unknown;
  schema?: Schema;
}

interface MediaType {
  schema?: Schema;
  example?: unknown;
  examples?: Record<string, { value?: unknown }>;
}

interface Operation {
  operationId: string;
  parameters?: Parameter[];
  requestBody?: { content: Record<string, MediaType> };
  responses: Record<string, { content?: Record<string, MediaType> }>;
}

interface OpenApiDocument {
  paths: Record<string, Partial<Record<(typeof METHODS)[number], Operation>>>;
  components: { schemas: Record<string, Schema> };
}

const METHODS = ['get', 'put', 'post', 'patch', 'delete'] as const;

const committed = readFileSync(resolve(__dirname, '../..', OPENAPI_PATH), 'utf8');
const document = JSON.parse(committed) as OpenApiDocument;

interface Endpoint {
  method: (typeof METHODS)[number];
  path: string;
  operation: Operation;
}

const endpoints: Endpoint[] = Object.entries(document.paths).flatMap(([path, item]) =>
  METHODS.flatMap((method) => {
    const operation = item[method];
    return operation === undefined ? [] : [{ method, path, operation }];
  }),
);

/**
 * Operations whose example names a resource only a running gateway's history holds, which no
 * request creates and a fresh gateway cannot have: a past delivery of an event to an endpoint.
 * test/webhooks/webhooks.spec.ts sends them against such a history.
 */
const NEEDS_HISTORY = new Set(['post /v1/webhook-endpoints/{id}/deliveries/{deliveryId}/redeliver']);

/**
 * Operations a provider calls, authenticated by its signature over the body and the time of
 * sending: no static example can carry a valid one. test/provider-webhooks sends them signed.
 */
const SIGNED_BY_PROVIDER = new Set(['post /v1/provider-webhooks/digital-river/{account}']);

function resolveSchema(schema: Schema | undefined): Schema | undefined {
  if (schema?.$ref === undefined) return schema;
  return resolveSchema(document.components.schemas[schema.$ref.replace('#/components/schemas/', '')]);
}

/** The request a caller sends: Swagger UI fills in each parameter's example and the body's example. */
interface ExampleRequest {
  name: string;
  method: string;
  path: string;
  query: Record<string, string>;
  headers: Record<string, string>;
  contentType?: string;
  body?: unknown;
}

/** A parameter's example as it goes on the wire (arrays comma-separated, as Swagger UI sends them). */
function parameterExample(parameter: Parameter): string | undefined {
  const example = parameter.example ?? parameter.schema?.example;
  if (example === undefined) return undefined;
  if (Array.isArray(example))
    return example.map((item) => JSON.stringify(item).replace(/^"|"$/g, '')).join(',');
  return typeof example === 'string' ? example : JSON.stringify(example);
}

/** One request per body example (named examples each count); the body sampled from its schema if none. */
function exampleRequests({ method, path, operation }: Endpoint): ExampleRequest[] {
  const query: Record<string, string> = {};
  const headers: Record<string, string> = {};
  let filledPath = path;
  for (const parameter of operation.parameters ?? []) {
    const example = parameterExample(parameter);
    if (example === undefined) {
      if (parameter.in === 'path')
        throw new Error(`${method} ${path}: path parameter ${parameter.name} has no example`);
      continue;
    }
    if (parameter.in === 'path')
      filledPath = filledPath.replace(`{${parameter.name}}`, encodeURIComponent(example));
    if (parameter.in === 'query') query[parameter.name] = example;
    if (parameter.in === 'header') headers[parameter.name] = example;
  }
  const base = { method: method.toUpperCase(), path: filledPath, query, headers };
  const content = operation.requestBody?.content;
  if (content === undefined) return [{ name: 'parameters', ...base }];
  const [contentType, media] = Object.entries(content)[0]!;
  if (media.example !== undefined) return [{ name: 'example', ...base, contentType, body: media.example }];
  if (media.examples !== undefined) {
    return Object.entries(media.examples).map(([name, { value }]) => ({
      name,
      ...base,
      contentType,
      body: value,
    }));
  }
  const body = sample(
    media.schema as Parameters<typeof sample>[0],
    { skipReadOnly: true, quiet: true },
    document,
  );
  return [{ name: 'sampled from the schema', ...base, contentType, body }];
}

/**
 * The identifiers a response shows in its schema's examples (`id`, `…Id`, `…Reference`), paired
 * with the values the real response has in the same place: this is how an example's placeholder
 * id becomes the id of a resource the test made.
 */
function identifierExamples(
  schema: Schema | undefined,
  value: unknown,
  into: Map<string, string>,
  key = '',
): void {
  const resolved = resolveSchema(schema);
  if (resolved === undefined || value === null || value === undefined) return;
  for (const part of resolved.allOf ?? []) identifierExamples(part, value, into, key);
  if (Array.isArray(value)) {
    for (const item of value) identifierExamples(resolved.items, item, into, key);
    return;
  }
  if (typeof value === 'object') {
    for (const [name, property] of Object.entries(resolved.properties ?? {})) {
      identifierExamples(property, (value as Record<string, unknown>)[name], into, name);
    }
    return;
  }
  const isIdentifier = key === 'id' || /(Id|Reference|reference)$/.test(key);
  if (isIdentifier && typeof resolved.example === 'string' && !into.has(resolved.example)) {
    into.set(resolved.example, typeof value === 'string' ? value : JSON.stringify(value));
  }
}

/** Every identifier example a response schema shows, whatever the values. */
function identifierPlaceholders(
  schema: Schema | undefined,
  into = new Set<string>(),
  key = '',
  seen = new Set<Schema>(),
): Set<string> {
  const resolved = resolveSchema(schema);
  if (resolved === undefined || seen.has(resolved)) return into;
  seen.add(resolved);
  for (const part of resolved.allOf ?? []) identifierPlaceholders(part, into, key, seen);
  if (resolved.items !== undefined) identifierPlaceholders(resolved.items, into, key, seen);
  for (const [name, property] of Object.entries(resolved.properties ?? {})) {
    identifierPlaceholders(property, into, name, seen);
  }
  const isIdentifier = key === 'id' || /(Id|Reference|reference)$/.test(key);
  if (isIdentifier && typeof resolved.example === 'string') into.add(resolved.example);
  return into;
}

function successSchemas(operation: Operation): Schema[] {
  return Object.entries(operation.responses)
    .filter(([status]) => status.startsWith('2'))
    .flatMap(([, response]) => Object.values(response.content ?? {}).map((media) => media.schema ?? {}));
}

/** A creation: POST to a collection (no path parameters) answering a resource with an id. */
const creations = endpoints.filter(
  ({ method, path, operation }) =>
    method === 'post' &&
    !path.includes('{') &&
    successSchemas(operation).some((s) => identifierPlaceholders(s).size > 0),
);

/** The identifier placeholders a request uses (in its path, query or body). */
function placeholdersIn(request: ExampleRequest): string[] {
  const text = `${request.path} ${JSON.stringify(request.query)} ${JSON.stringify(request.body ?? null)}`;
  const all = new Set(
    creations.flatMap(({ operation }) =>
      successSchemas(operation).flatMap((s) => [...identifierPlaceholders(s)]),
    ),
  );
  return [...all].filter(
    (placeholder) => text.includes(placeholder) || text.includes(encodeURIComponent(placeholder)),
  );
}

function substitute(request: ExampleRequest, ids: Map<string, string>): ExampleRequest {
  const replace = (text: string) => {
    let result = text;
    for (const [placeholder, id] of ids) {
      result = result
        .replaceAll(placeholder, id)
        .replaceAll(encodeURIComponent(placeholder), encodeURIComponent(id));
    }
    return result;
  };
  return {
    ...request,
    path: replace(request.path),
    query: JSON.parse(replace(JSON.stringify(request.query))) as Record<string, string>,
    ...(request.body !== undefined
      ? { body: JSON.parse(replace(JSON.stringify(request.body))) as unknown }
      : {}),
  };
}

/**
 * OpenAPI 3.0's `nullable: true` read as Swagger UI and openapi-typescript read it, "this, or null"
 * (also beside an `allOf` $ref or an `enum`), and written as the JSON Schema Ajv checks.
 */
function asJsonSchema(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(asJsonSchema);
  if (schema === null || typeof schema !== 'object') return schema;
  const { nullable, ...rest } = schema as Record<string, unknown>;
  const converted = Object.fromEntries(
    Object.entries(rest).map(([key, value]) => [key, asJsonSchema(value)]),
  );
  return nullable === true ? { anyOf: [converted, { type: 'null' }] } : converted;
}

// `example` and the other OpenAPI-only keywords are annotations here, hence not strict.
const ajv = new Ajv({ strict: false, allErrors: true });
addFormats(ajv);
ajv.addSchema({ components: asJsonSchema(document.components) }, 'openapi.json');

/** Problems with a 2xx answer against what the document promises for that status; empty if none. */
function contractProblems(operation: Operation, status: number, body: unknown): string[] {
  const response = operation.responses[String(status)];
  if (response === undefined) return [`answered ${status}, which the document does not list`];
  const media = response.content?.['application/json'];
  if (media?.schema === undefined) return [];
  const schema = asJsonSchema(
    JSON.parse(JSON.stringify(media.schema).replaceAll('"#/components/', '"openapi.json#/components/')),
  ) as object;
  const validate = ajv.compile(schema);
  if (validate(body)) return [];
  return (validate.errors ?? []).map((error) => `${error.instancePath || '/'} ${error.message ?? ''}`);
}

/** The dry-run flag this API uses on writes, in the body or the query. */
function withoutDryRun(request: ExampleRequest): ExampleRequest {
  const { dryRun: _query, ...query } = request.query;
  const body =
    request.body !== null && typeof request.body === 'object' && !Array.isArray(request.body)
      ? Object.fromEntries(Object.entries(request.body).filter(([key]) => key !== 'dryRun'))
      : request.body;
  return { ...request, query, body };
}

/** Job states that mean "still working"; a job made as a fixture is used once it has settled. */
const UNSETTLED = new Set(['pending', 'queued', 'running']);

describe('the OpenAPI examples, sent as-is to a fresh gateway', () => {
  let gateway: GatewayWithSandboxes;

  beforeAll(async () => {
    gateway = await startGatewayWithSandboxes();
  });

  afterAll(async () => {
    await gateway.close();
  });

  async function send(request: ExampleRequest): Promise<{ status: number; headers: Headers; body: Json }> {
    const url = new URL(request.path, gateway.url);
    for (const [name, value] of Object.entries(request.query)) url.searchParams.set(name, value);
    const response = await fetch(url, {
      method: request.method,
      headers: {
        ...bearer(KEYS.admin),
        ...request.headers,
        ...(request.contentType !== undefined ? { 'Content-Type': request.contentType } : {}),
      },
      ...(request.body !== undefined ? { body: JSON.stringify(request.body) } : {}),
    });
    const text = await response.text();
    return {
      status: response.status,
      headers: response.headers,
      // Prometheus text (`/metrics`) is not JSON: it is kept as the string it is.
      body: (text === ''
        ? null
        : (response.headers.get('content-type') ?? '').includes('json')
          ? JSON.parse(text)
          : text) as Json,
    };
  }

  function expectSuccess(request: ExampleRequest, answer: { status: number; body: Json }): void {
    if (answer.status < 200 || answer.status > 299) {
      throw new Error(
        `${request.method} ${request.path} (${request.name}) answered ${answer.status}: ${JSON.stringify(answer.body)}\n` +
          `sent: ${JSON.stringify({ query: request.query, body: request.body })}` +
          (answer.status === 404
            ? '\nAn id in an example is replaced by a real one only when the creation (POST to the collection)' +
              ' answers it in a property (id, …Id, …Reference) whose schema shows that same example.'
            : ''),
      );
    }
  }

  /**
   * Waits until a job an answer started (202 with a Location) has settled, so that it neither
   * races the next request nor counts as an active job against it.
   */
  async function settled(answer: { status: number; headers: Headers }): Promise<void> {
    const location = answer.headers.get('location');
    if (answer.status !== 202 || location === null) return;
    const deadline = Date.now() + 30_000;
    for (;;) {
      const progress = await send({ name: 'settle', method: 'GET', path: location, query: {}, headers: {} });
      const status = (progress.body as { status?: unknown } | null)?.status;
      if (typeof status !== 'string' || !UNSETTLED.has(status)) return;
      if (Date.now() > deadline) throw new Error(`${location} still ${status} after 30 s`);
      await new Promise((wake) => setTimeout(wake, 50));
    }
  }

  /** The resources reads share: a read changes nothing, so they need no fresh ones. */
  const readFixtures = new Map<string, string>();

  /**
   * Resources for the placeholders a request uses, made by the creation examples with any dry run
   * turned off (Swagger UI's example plans; an operation on one needs a real one). Each write gets
   * fresh ones, since it may change or end them (forget, delete).
   */
  async function fixturesFor(request: ExampleRequest): Promise<Map<string, string>> {
    const ids = request.method === 'GET' ? readFixtures : new Map<string, string>();
    for (const placeholder of placeholdersIn(request)) {
      if (ids.has(placeholder)) continue;
      const creation = creations.find(({ operation }) =>
        successSchemas(operation).some((schema) => identifierPlaceholders(schema).has(placeholder)),
      )!;
      const create = withoutDryRun(exampleRequests(creation)[0]!);
      const answer = await send(create);
      expectSuccess(create, answer);
      await settled(answer);
      for (const schema of successSchemas(creation.operation)) identifierExamples(schema, answer.body, ids);
    }
    return ids;
  }

  /**
   * Ids of resources no request creates (the gateway makes them as a side effect, e.g. one per
   * change): the first one its collection lists, for a path parameter whose example names none.
   */
  async function listedFor(endpoint: Endpoint, ids: Map<string, string>): Promise<Map<string, string>> {
    const known = new Set(
      creations.flatMap(({ operation }) =>
        successSchemas(operation).flatMap((s) => [...identifierPlaceholders(s)]),
      ),
    );
    const listed = new Map(ids);
    for (const parameter of endpoint.operation.parameters ?? []) {
      const example = parameterExample(parameter);
      if (parameter.in !== 'path' || example === undefined || known.has(example)) continue;
      // The nested collection (with the ids already known filled in), else the top-level one the
      // parameter names (`eventId`: /v1/events).
      const nested = endpoint.path.slice(0, endpoint.path.indexOf(`/{${parameter.name}}`));
      const topLevel = `/v1/${parameter.name.replace(/Id$/, '')}s`;
      const collection = [nested, topLevel].find((candidate) =>
        endpoints.some(({ method, path }) => method === 'get' && path === candidate),
      );
      if (collection === undefined) continue;
      const filled = (endpoint.operation.parameters ?? []).reduce((path, other) => {
        const otherExample = parameterExample(other);
        const real = otherExample === undefined ? undefined : ids.get(otherExample);
        return real === undefined ? path : path.replace(`{${other.name}}`, encodeURIComponent(real));
      }, collection);
      const page = await send({ name: 'list', method: 'GET', path: filled, query: {}, headers: {} });
      const first = (page.body as { data?: { id?: unknown }[] } | null)?.data?.[0]?.id;
      if (typeof first === 'string') listed.set(example, first);
    }
    return listed;
  }

  it("documents the create example's dry run as the sandboxes answer it", async () => {
    const create = endpoints.find(({ method, path }) => method === 'post' && path === '/v1/customers')!;
    const [example] = exampleRequests(create);
    const answer = await send({ ...example!, query: { ...example!.query, dryRun: 'true' } });
    expect(answer.status).toBe(200);
    const plan = resolveSchema(create.operation.responses['200']!.content!['application/json']!.schema);
    const documented = { dryRun: true, providers: plan!.properties!['providers']!.example };
    // What differs from one gateway to the next: the sandboxes' ports, the drawn id, the signed date.
    const comparable = (body: unknown) =>
      JSON.stringify(body)
        .replace(/http:\/\/127\.0\.0\.1:\d+/g, 'http://127.0.0.1:{port}')
        .replace(/cus_[0-9a-f]{24}/g, 'cus_{id}')
        .replace(/date=\\"[^\\]+\\"/g, 'date=\\"{date}\\"');
    expect(JSON.parse(comparable(answer.body))).toEqual(JSON.parse(comparable(documented)));
  });

  it('serves the committed document at /docs-json', async () => {
    const answer = await fetch(new URL('/docs-json', gateway.url));
    expect(`${JSON.stringify(await answer.json(), null, 2)}\n`).toBe(committed);
  });

  it.each(
    endpoints
      .filter((endpoint) => !NEEDS_HISTORY.has(`${endpoint.method} ${endpoint.path}`))
      .filter((endpoint) => !SIGNED_BY_PROVIDER.has(`${endpoint.method} ${endpoint.path}`))
      .map((endpoint) => [`${endpoint.method.toUpperCase()} ${endpoint.path}`, endpoint] as const),
  )('%s succeeds with its examples', async (_name, endpoint) => {
    for (const example of exampleRequests(endpoint)) {
      const request = substitute(example, await listedFor(endpoint, await fixturesFor(example)));
      const answer = await send(request);
      expectSuccess(request, answer);
      // The answer is what the document (and so the generated client's types) says it is.
      const name = `${request.method} ${request.path} answered ${answer.status}`;
      expect({ [name]: contractProblems(endpoint.operation, answer.status, answer.body) }).toEqual({
        [name]: [],
      });
      await settled(answer);
      // A creation example is what people paste: sent again, it must not collide with the first.
      if (creations.includes(endpoint)) {
        const again = await send(request);
        expectSuccess(request, again);
        await settled(again);
      }
    }
  });
});
