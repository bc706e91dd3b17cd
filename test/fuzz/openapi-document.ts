import { request as httpRequest } from 'node:http';

import Ajv, { type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import supertest from 'supertest';

import {
  bearer,
  BULK_LOAD_RATE_LIMITS,
  type GatewayWithSandboxes,
  johnSmith,
  KEYS,
  startGatewayWithSandboxes,
} from '../support/gateway';

/** What the fuzz tests share: the OpenAPI document's shapes, sending raw requests, and checking answers. */

export type Schema = {
  $ref?: string;
  /** OpenAPI 3.1 writes a nullable type as a list (`["string", "null"]`); resolve() folds it. */
  type?: string | string[];
  enum?: unknown[];
  nullable?: boolean;
  example?: unknown;
  properties?: Record<string, Schema>;
  required?: string[];
  additionalProperties?: Schema | boolean;
  items?: Schema;
  allOf?: Schema[];
  oneOf?: Schema[];
  anyOf?: Schema[];
  minimum?: number;
  maximum?: number;
  maxLength?: number;
};

export interface Parameter {
  name: string;
  in: 'path' | 'query' | 'header';
  required?: boolean;
  schema?: Schema;
}

export interface MediaType {
  schema?: Schema;
  examples?: Record<string, { value: unknown }>;
}

export interface Operation {
  parameters?: Parameter[];
  requestBody?: { content: Record<string, MediaType> };
  responses: Record<string, { content?: Record<string, MediaType> }>;
}

export interface Document {
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, Schema> };
}

export interface FuzzRequest {
  path: string;
  headers: Record<string, string>;
  body?: Buffer;
}

export interface Answer {
  status: number;
  contentType: string;
  text: string;
}

/**
 * The document's schemas as Ajv reads them: refs point into the `components` schema Ajv holds,
 * and `nullable` beside an `allOf` of a `$ref` (how OpenAPI 3.0 writes a nullable object of a
 * named type) admits null as OpenAPI tools mean it, where plain JSON Schema would still apply
 * the `allOf` to the null; likewise a nullable `enum` admits null without listing it.
 */
export function forAjv(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(forAjv);
  if (typeof schema !== 'object' || schema === null) return schema;
  const entries = Object.entries(schema).map(([key, value]) => [
    key,
    key === '$ref' && typeof value === 'string'
      ? value.replace('#/components/schemas/', 'components#/definitions/')
      : forAjv(value),
  ]);
  const converted = Object.fromEntries(entries) as Record<string, unknown>;
  const composed = ['$ref', 'allOf', 'oneOf', 'anyOf'].some((k) => converted[k] !== undefined);
  if (converted['nullable'] === true && (converted['type'] === undefined || composed)) {
    const { nullable: _nullable, ...rest } = converted;
    return { anyOf: [rest, { type: 'null' }] };
  }
  if (converted['nullable'] === true && Array.isArray(converted['enum'])) {
    return { ...converted, enum: [...(converted['enum'] as unknown[]), null] };
  }
  return converted;
}

export function send(base: string, method: string, request: FuzzRequest): Promise<Answer> {
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { host: hostname, port, method: method.toUpperCase(), path: request.path, headers: request.headers },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            contentType: String(res.headers['content-type'] ?? ''),
            text: Buffer.concat(chunks).toString('utf8'),
          }),
        );
      },
    );
    req.on('error', reject);
    req.end(request.body);
  });
}

/** The gateway's own document: resolves its schemas and checks answers against what it promises. */
export class DocumentChecker {
  private readonly ajv = new Ajv({ strict: false, allErrors: true });
  private readonly validators = new Map<Schema, ValidateFunction>();

  constructor(readonly document: Document) {
    addFormats(this.ajv);
    // Ajv resolves `components#/definitions/X`; the document's own refs are rewritten to that.
    this.ajv.addSchema({ $id: 'components', definitions: forAjv(document.components.schemas) });
  }

  /**
   * A schema with its `$ref` followed and its `allOf` merged into one, and OpenAPI 3.1's ways of
   * admitting null (a `null` in the type list, an `anyOf` branch `{type: 'null'}`, a null in the
   * enum) folded into one `nullable: true` beside the single type the tests reason about.
   */
  resolve(schema: Schema): Schema {
    if (Array.isArray(schema.type)) {
      const types = schema.type.filter((type) => type !== 'null');
      const nullable = types.length < schema.type.length || schema.nullable === true;
      return this.resolve({
        ...schema,
        type: types.length === 1 ? types[0] : undefined,
        ...(nullable ? { nullable } : {}),
      });
    }
    const branches = schema.anyOf ?? schema.oneOf;
    const nullBranch = branches?.findIndex((branch) => branch.type === 'null') ?? -1;
    if (branches !== undefined && nullBranch >= 0 && branches.length === 2) {
      const { anyOf: _anyOf, oneOf: _oneOf, ...rest } = schema;
      return { ...this.resolve({ ...rest, ...branches[1 - nullBranch]! }), nullable: true };
    }
    if (schema.enum?.includes(null) === true) {
      return this.resolve({ ...schema, enum: schema.enum.filter((value) => value !== null), nullable: true });
    }
    if (schema.$ref !== undefined) {
      return this.resolve(this.document.components.schemas[schema.$ref.split('/').pop()!]!);
    }
    if (schema.allOf !== undefined) {
      return Object.assign({}, ...schema.allOf.map((s) => this.resolve(s)), {
        ...schema,
        allOf: undefined,
      }) as Schema;
    }
    return schema;
  }

  private validatorFor(schema: Schema): ValidateFunction {
    let validate = this.validators.get(schema);
    if (validate === undefined) {
      validate = this.ajv.compile(forAjv(schema) as object);
      this.validators.set(schema, validate);
    }
    return validate;
  }

  /** What is wrong with an answer, or undefined when it is one the document promises. */
  problemWith(operation: Operation, answer: Answer): string | undefined {
    if (answer.status >= 500) return `answered ${answer.status}: ${answer.text.slice(0, 300)}`;
    const documented = operation.responses[String(answer.status)];
    if (documented === undefined)
      return `answered ${answer.status}, which is not documented: ${answer.text.slice(0, 300)}`;
    if (answer.text === '' || documented.content === undefined) return undefined;
    const mediaType = answer.contentType.split(';')[0]!.trim();
    const media = documented.content[mediaType];
    if (media === undefined)
      return `answered ${answer.status} as ${mediaType}, documented as ${Object.keys(documented.content).join(', ')}`;
    if (media.schema === undefined) return undefined;
    const validate = this.validatorFor(media.schema);
    // Prometheus text and the like are checked as the string they are.
    const body: unknown = mediaType.endsWith('json') ? JSON.parse(answer.text) : answer.text;
    if (validate(body)) return undefined;
    return `answered ${answer.status} with a body off its schema: ${this.ajv.errorsText(validate.errors)}: ${answer.text.slice(0, 300)}`;
  }
}

/** A gateway to fuzz: the document it serves, a checker for it, and one customer to aim at. */
export interface FuzzTarget {
  gateway: GatewayWithSandboxes;
  document: Document;
  checker: DocumentChecker;
  customerId: string;
}

export async function startFuzzTarget(externalReference: string, email: string): Promise<FuzzTarget> {
  const gateway = await startGatewayWithSandboxes(BULK_LOAD_RATE_LIMITS);
  const document = (await supertest(gateway.url).get('/docs-json')).body as Document;
  const created = await supertest(gateway.url)
    .post('/v1/customers')
    .set(bearer(KEYS.admin))
    .send(johnSmith({ externalReference, email }));
  if (created.status !== 201) throw new Error(`the fuzz target's customer: ${created.status}`);
  return { gateway, document, checker: new DocumentChecker(document), customerId: created.body.id as string };
}
