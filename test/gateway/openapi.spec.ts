import request from 'supertest';

import { type RunningGateway, startGateway } from '../support/gateway';

interface Operation {
  operationId?: string;
  parameters?: {
    name: string;
    in: string;
    $ref?: string;
    example?: unknown;
    schema?: { example?: unknown };
  }[];
  responses: Record<string, { content?: Record<string, { example?: unknown; schema?: unknown }> }>;
  security?: unknown[];
  requestBody?: unknown;
}

const IDEMPOTENCY_KEY = '#/components/parameters/IdempotencyKey';

describe('OpenAPI document', () => {
  let gateway: RunningGateway;
  let doc: {
    paths: Record<string, Record<string, Operation>>;
    components: {
      schemas: Record<string, unknown>;
      securitySchemes: Record<string, unknown>;
      parameters: Record<string, unknown>;
    };
  };

  beforeAll(async () => {
    gateway = await startGateway();
    doc = (await request(gateway.url).get('/docs-json')).body;
  });
  afterAll(() => gateway.close());

  const operation = (path: string, method: string) => {
    const op = doc.paths[path]?.[method];
    if (!op) throw new Error(`${method.toUpperCase()} ${path} is not documented`);
    return op;
  };

  it('documents every endpoint with its security and error responses as problem+json', () => {
    const expected: [string, string, string[]][] = [
      ['/v1/customers', 'post', ['200', '201', '400', '401', '403', '409', '413', '415', '422']],
      ['/v1/customers', 'get', ['200', '400', '401', '403']],
      ['/v1/customers/{id}', 'get', ['200', '400', '401', '403', '404', '410']],
      [
        '/v1/customers/{id}',
        'patch',
        ['200', '400', '401', '403', '404', '409', '410', '412', '413', '415', '422'],
      ],
      ['/v1/customers/{id}', 'delete', ['200', '202', '401', '403', '404', '409', '422']],
      ['/v1/customers/{id}/sync', 'post', ['200', '401', '403', '404']],
      ['/v1/customers/{id}/drift', 'get', ['200', '401', '403', '404', '502', '503']],
      [
        '/v1/customers/{id}/reconcile',
        'post',
        ['200', '400', '401', '403', '404', '409', '410', '412', '422', '502', '503'],
      ],
      ['/v1/customers/{id}/calls', 'get', ['200', '401', '403', '404']],
      ['/v1/reconciliations', 'post', ['202', '400', '401', '403', '409', '413', '415']],
      ['/v1/reconciliations', 'get', ['200', '400', '401', '403']],
      ['/v1/reconciliations/{id}', 'get', ['200', '401', '403', '404']],
      ['/v1/reconciliations/{id}/items', 'get', ['200', '400', '401', '403', '404']],
      ['/v1/reconciliations/{id}/cancel', 'post', ['200', '401', '403', '404']],
      ['/v1/reconciliations/{id}/resume', 'post', ['202', '401', '403', '404', '409']],
      [
        '/v1/customers/import',
        'post',
        ['200', '201', '400', '401', '403', '404', '409', '422', '502', '503'],
      ],
      [
        '/v1/customers/by-reference/{provider}/{reference}',
        'get',
        ['200', '400', '401', '403', '404', '410'],
      ],
      ['/v1/customers/{id}/forget', 'post', ['200', '401', '403', '404', '409', '410', '422']],
      ['/v1/customers/{id}/links', 'post', ['200', '201', '400', '401', '403', '404', '409', '410', '422']],
      [
        '/v1/customers/{id}/sources/{sourceId}',
        'post',
        ['200', '400', '401', '403', '404', '409', '410', '422'],
      ],
      ['/v1/customers/{id}/sources/{sourceId}', 'delete', ['200', '401', '403', '404', '409', '410', '422']],
      [
        '/v1/customers/{id}/tax-identifiers',
        'post',
        ['200', '400', '401', '403', '404', '409', '410', '412', '422'],
      ],
      [
        '/v1/customers/{id}/tax-identifiers/{type}',
        'delete',
        ['200', '400', '401', '403', '404', '409', '410', '412', '422'],
      ],
      ['/v1/providers', 'get', ['200', '401', '403']],
      [
        '/v1/migrations',
        'post',
        ['200', '202', '400', '401', '403', '409', '413', '415', '422', '502', '503'],
      ],
      ['/v1/migrations', 'get', ['200', '400', '401', '403']],
      ['/v1/migrations/{id}', 'get', ['200', '401', '403', '404']],
      ['/v1/migrations/{id}/items', 'get', ['200', '400', '401', '403', '404']],
      ['/v1/migrations/{id}/cancel', 'post', ['200', '401', '403', '404']],
      ['/v1/migrations/{id}/resume', 'post', ['202', '401', '403', '404', '409']],
    ];
    for (const [path, method, own] of expected) {
      const op = operation(path, method);
      // Every operation also documents what the gateway answers before its handler runs.
      const idempotent = op.parameters?.some((p) => p.$ref === IDEMPOTENCY_KEY) ?? false;
      const common = [
        '400',
        '401',
        '403',
        '429',
        '500',
        // The database unavailable (database_unavailable): every keyed operation touches it.
        '503',
        ...(op.requestBody ? ['413', '415'] : []),
        ...(idempotent ? ['409', '422'] : []),
      ];
      const statuses = [...new Set([...own, ...common])];
      expect(Object.keys(op.responses).sort()).toEqual(statuses.sort());
      // One scheme: the API key as a bearer token (X-API-Key carries the same key).
      expect(op.security).toEqual([{ bearer: [] }]);
      for (const status of statuses.filter((s) => Number(s) >= 400)) {
        const problem = op.responses[status]?.content?.['application/problem+json'];
        expect(problem?.schema).toEqual({ $ref: '#/components/schemas/ProblemDto' });
        expect(problem?.example).toMatchObject({ status: Number(status), code: expect.any(String) });
      }
    }
    for (const probe of ['/health', '/health/live', '/health/ready']) {
      expect(operation(probe, 'get').security).toEqual([]);
      expect(Object.keys(operation(probe, 'get').responses)).toEqual(
        // 400: a header carrying a NUL or an unpaired surrogate is refused before any route runs.
        probe === '/health/live' ? ['200', '400', '500'] : ['200', '400', '500', '503'],
      );
    }
  });

  it('documents the Idempotency-Key and If-Match headers', () => {
    for (const [path, method] of [
      ['/v1/customers', 'post'],
      ['/v1/customers/{id}', 'patch'],
      ['/v1/customers/{id}', 'delete'],
      ['/v1/customers/import', 'post'],
      ['/v1/customers/{id}/forget', 'post'],
      ['/v1/customers/{id}/links', 'post'],
      ['/v1/migrations', 'post'],
      ['/v1/reconciliations', 'post'],
      ['/v1/webhook-endpoints', 'post'],
      ['/v1/webhook-endpoints/{id}', 'delete'],
    ] as const) {
      expect(operation(path, method).parameters).toEqual(expect.arrayContaining([{ $ref: IDEMPOTENCY_KEY }]));
    }
    expect(doc.components.parameters['IdempotencyKey']).toMatchObject({
      name: 'Idempotency-Key',
      in: 'header',
    });
    // A safe request is not keyed, so none documents the header.
    const keyedReads = Object.entries(doc.paths).filter(([, methods]) =>
      (methods['get']?.parameters ?? []).some(
        (p) => p.$ref === IDEMPOTENCY_KEY || p.name === 'Idempotency-Key',
      ),
    );
    expect(keyedReads).toEqual([]);
    expect(operation('/v1/customers/{id}', 'patch').parameters).toEqual(
      expect.arrayContaining([expect.objectContaining({ name: 'If-Match', in: 'header' })]),
    );
  });

  it('names every operation for the people and generators that use it, not after the controller method', () => {
    // Swagger UI's deep links (#/customers/createCustomer) and generated clients' method names
    // come from these; Nest's default is `CustomersController_create`.
    const ids = Object.values(doc.paths).flatMap((methods) =>
      Object.values(methods).map((op) => op.operationId),
    );
    expect(ids.filter((id) => !/^[a-z]+(?:[A-Z][a-z]+)+$/.test(id ?? ''))).toEqual([]);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('answers every JSON body as an object, lists included, so a list can gain fields without a break', () => {
    const arrays = Object.entries(doc.paths).flatMap(([path, methods]) =>
      Object.entries(methods).flatMap(([method, op]) =>
        Object.entries(op.responses)
          .filter(
            ([, response]) =>
              (response.content?.['application/json']?.schema as { type?: string } | undefined)?.type ===
              'array',
          )
          .map(([status]) => `${method} ${path} ${status}`),
      ),
    );
    expect(arrays).toEqual([]);
  });

  it("leaves every read's filters empty in Swagger UI, so a list tried as-is shows everything", () => {
    // Swagger UI fills a parameter's example into "Try it out": an example email or customer id
    // there narrowed an admin's first look at the customers or the events to nothing.
    const filledIn = Object.entries(doc.paths).flatMap(([path, methods]) =>
      (methods.get?.parameters ?? [])
        .filter((p) => p.in === 'query')
        .filter((p) => p.example !== undefined || p.schema?.example !== undefined)
        .map((p) => `${path} ${p.name}`),
    );
    expect(filledIn).toEqual([]);
  });

  it('gives destructive and bulk operations examples that only plan, and a PATCH example that changes a few fields', () => {
    type Examples = Record<string, { value: Record<string, unknown> }>;
    const bodyExamples = (path: string, method: string) =>
      Object.values((operation(path, method).requestBody as { content: Record<string, { examples: Examples }> }).content['application/json']!.examples).map((e) => e.value);
    const dryRunParameters = Object.entries(doc.paths).flatMap(([path, methods]) =>
      Object.entries(methods).flatMap(([method, op]) =>
        (op.parameters ?? []).filter((p) => p.name === 'dryRun').map((p) => ({ operation: `${method} ${path}`, example: (p as { example?: unknown }).example ?? (p as { schema?: { example?: unknown } }).schema?.example }))));
    // Swagger UI fills in a parameter's example: a delete tried as-is plans and deletes nothing.
    expect(dryRunParameters.filter((p) => p.operation.startsWith('delete '))).toEqual([{ operation: 'delete /v1/customers/{id}', example: true }]);
    // A migration example tried as-is plans: no run starts, nothing is cut over.
    const migrations = bodyExamples('/v1/migrations', 'post');
    expect(migrations.length).toBeGreaterThan(0);
    for (const example of migrations) expect(example).toMatchObject({ dryRun: true });
    // A whole-base reconciliation example reports and repairs nothing.
    for (const example of bodyExamples('/v1/reconciliations', 'post')) expect(example).toMatchObject({ repair: false });
    // A merge patch example that names every field would overwrite the customer.
    const properties = Object.keys((doc.components.schemas.UpdateCustomerBody as { properties: object }).properties);
    for (const example of bodyExamples('/v1/customers/{id}', 'patch')) {
      expect(Object.keys(example).length).toBeLessThanOrEqual(3);
      expect(Object.keys(example).every((key) => properties.includes(key))).toBe(true);
    }
  }); // prettier-ignore

  it('describes the schemas with limits and examples from the providers’ documents', () => {
    const schemas = doc.components.schemas as Record<
      string,
      {
        properties: Record<string, { maxLength?: number; example?: unknown; enum?: unknown }>;
        required?: string[];
      }
    >;
    const create = schemas.CreateCustomerBody!;
    expect(create.properties.email).toMatchObject({ maxLength: 254, example: 'jsmith@digitalriver.com' });
    // Nullable: a create may send back the `type: null` a GET answered ("none").
    expect(create.properties.type?.enum).toEqual(['individual', 'business', null]);
    expect(schemas.AddressDto!.required).toEqual(['country']);
    expect(schemas.AddressDto!.properties.line1).toMatchObject({ example: '10380 Bren Rd W' });
    expect(schemas.CustomerResponse!.properties.providers).toBeDefined();
    // One scheme, opaque: the keys are not JWTs.
    expect(doc.components.securitySchemes).toEqual({
      bearer: { type: 'http', scheme: 'bearer', description: expect.stringContaining('X-API-Key') },
    });
  });
});
