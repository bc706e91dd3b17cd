import { readFileSync } from 'node:fs';
import { type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { resolve } from 'node:path';

import Ajv2020, { type ValidateFunction } from 'ajv/dist/2020';
import addFormats from 'ajv-formats';

/**
 * Holds every answer the gateway gives in the HTTP ring to the committed OpenAPI document
 * (openapi/openapi.json): its status is one the operation documents, its headers match the
 * documented ones (required ones present; the API's own headers documented where sent), and its
 * body matches the documented schema of its media type, strictly: ajv for JSON Schema 2020-12 (what
 * OpenAPI 3.1 schemas are), with every closed object refusing properties it does not declare.
 * test/support/http-ring-setup.ts wires it into every gateway a test starts.
 */

interface HeaderSpec {
  required?: boolean;
  schema?: object;
  $ref?: string;
}
interface ResponseSpec {
  headers?: Record<string, HeaderSpec>;
  content?: Record<string, { schema?: object }>;
}
interface OperationSpec {
  operationId?: string;
  responses: Record<string, ResponseSpec>;
}
interface Document {
  paths: Record<string, Record<string, OperationSpec>>;
  components: { headers: Record<string, HeaderSpec>; schemas: Record<string, { enum?: string[] }> };
}

/** The headers of the API's own: sent only where the document says so. */
const API_HEADERS = ['x-request-id', 'etag', 'location', 'idempotent-replayed', 'retry-after'];

const DOCUMENT_PATH = resolve(__dirname, '../../openapi/openapi.json');

/** `/v1/customers/{id}` as a regular expression; literal segments rank before parameters. */
function routeOf(template: string) {
  const pattern = template
    .split('/')
    .map((segment) => (/^\{.+\}$/.test(segment) ? '[^/]+' : segment.replace(/[.*+?^$()|[\]\\]/g, '\\$&')))
    .join('/');
  return { template, regex: new RegExp(`^${pattern}$`), parameters: (template.match(/\{/g) ?? []).length };
}

const pointer = (...tokens: string[]) =>
  tokens.map((token) => token.replaceAll('~', '~0').replaceAll('/', '~1')).join('/');

/** One document, compiled for a gateway with these provider ids (a test may add a provider). */
export class ResponseContract {
  private readonly document: Document;
  private readonly ajv: Ajv2020;
  private readonly routes: ReturnType<typeof routeOf>[];
  private readonly validators = new Map<string, ValidateFunction>();

  constructor(providerIds?: readonly string[]) {
    this.document = JSON.parse(readFileSync(DOCUMENT_PATH, 'utf8')) as Document;
    if (providerIds !== undefined) {
      this.document.components.schemas['ProviderId']!.enum = [...providerIds].sort();
    }
    // OpenAPI's own keywords (example, discriminator...) are annotations to ajv, not errors.
    this.ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: true });
    addFormats(this.ajv);
    this.ajv.addSchema(this.document, 'openapi.json');
    this.routes = Object.keys(this.document.paths)
      .map(routeOf)
      .sort((a, b) => a.parameters - b.parameters);
  }

  private validator(path: string): ValidateFunction {
    let validate = this.validators.get(path);
    if (validate === undefined) {
      validate = this.ajv.compile({ $ref: `openapi.json#${path}` });
      this.validators.set(path, validate);
    }
    return validate;
  }

  private check(path: string, value: unknown, what: string): string[] {
    const validate = this.validator(path);
    if (validate(value)) return [];
    return (validate.errors ?? []).map(
      (error) => `${what}${error.instancePath} ${error.message ?? ''} ${JSON.stringify(error.params)}`,
    );
  }

  /** The mismatches of one answer; [] when it is what the document says, or no operation matches. */
  mismatches(answer: {
    method: string;
    url: string;
    status: number;
    headers: Record<string, string | string[] | number | undefined>;
    body: Buffer;
  }): string[] {
    const method = answer.method.toLowerCase();
    const path = answer.url.split('?')[0] ?? '';
    const route = this.routes.find(
      (candidate) => candidate.regex.test(path) && this.document.paths[candidate.template]?.[method],
    );
    // Unknown routes and methods (404 route_not_found, 405) are no operation of the document.
    if (route === undefined) return [];
    const operation = this.document.paths[route.template]![method]!;
    const status = String(answer.status);
    const response = operation.responses[status];
    const where = ['', 'paths', route.template, method, 'responses', status];
    if (response === undefined) return [`status ${status} is not documented`];
    const found: string[] = [];

    const documented = new Set<string>();
    for (const [name, spec] of Object.entries(response.headers ?? {})) {
      documented.add(name.toLowerCase());
      const header = spec.$ref !== undefined ? this.headerSpec(spec.$ref) : spec;
      const value = answer.headers[name.toLowerCase()];
      if (value === undefined) {
        if (header.required === true) found.push(`header ${name} is required but missing`);
        continue;
      }
      const schemaPath =
        spec.$ref !== undefined
          ? `${spec.$ref.slice(1)}/schema`
          : pointer(...where, 'headers', name, 'schema');
      found.push(...this.check(schemaPath, String(value), `header ${name}`));
    }
    for (const name of API_HEADERS) {
      if (answer.headers[name] !== undefined && !documented.has(name))
        found.push(`header ${name} is sent but not documented`);
    }

    const mediaType = String(answer.headers['content-type'] ?? '')
      .split(';')[0]!
      .trim();
    const content = response.content;
    if (content === undefined) {
      if (answer.body.length > 0) found.push(`a body is sent (${mediaType}) but none is documented`);
      return found;
    }
    if (content[mediaType] === undefined) {
      found.push(`media type "${mediaType}" is not documented (${Object.keys(content).join(', ')})`);
      return found;
    }
    if (!mediaType.endsWith('json')) return found;
    let body: unknown;
    try {
      body = JSON.parse(answer.body.toString('utf8'));
    } catch {
      return [...found, `the body is not JSON: ${answer.body.toString('utf8').slice(0, 200)}`];
    }
    found.push(...this.check(pointer(...where, 'content', mediaType, 'schema'), body, 'body'));
    return found;
  }

  private headerSpec(reference: string): HeaderSpec {
    const name = reference.replace('#/components/headers/', '');
    return this.document.components.headers[name] ?? {};
  }
}

/** Every mismatch seen since the last `takeResponseMismatches()`, with the request it answered. */
const recorded: string[] = [];

export function takeResponseMismatches(): string[] {
  return recorded.splice(0);
}

/**
 * Records, for every request `server` answers, whatever of its answer the contract does not
 * allow. The answer is read as it is written (status, headers and body bytes), before any client
 * parses it, so nothing a client library normalises can hide a mismatch.
 */
export function checkResponsesOf(server: Server, contract: ResponseContract): void {
  server.prependListener('request', (req: IncomingMessage, res: ServerResponse) => {
    const method = req.method ?? 'GET';
    // The URL as sent, taken before any framework could rewrite it.
    const url = req.url ?? '/';
    const chunks: Buffer[] = [];
    const keep = (chunk: unknown, encoding?: unknown) => {
      if (chunk === undefined || chunk === null || typeof chunk === 'function') return;
      chunks.push(
        Buffer.isBuffer(chunk)
          ? chunk
          : Buffer.from(
              chunk as string,
              typeof encoding === 'string' ? (encoding as BufferEncoding) : 'utf8',
            ),
      );
    };
    const write = res.write.bind(res) as (...args: unknown[]) => boolean;
    const end = res.end.bind(res) as (...args: unknown[]) => ServerResponse;
    res.write = ((...args: unknown[]) => {
      keep(args[0], args[1]);
      return write(...args);
    }) as typeof res.write;
    res.end = ((...args: unknown[]) => {
      keep(args[0], args[1]);
      return end(...args);
    }) as typeof res.end;
    res.once('finish', () => {
      const answer = {
        method,
        url,
        status: res.statusCode,
        headers: res.getHeaders() as Record<string, string | string[] | number | undefined>,
        body: method === 'HEAD' ? Buffer.alloc(0) : Buffer.concat(chunks),
      };
      const mismatches = contract.mismatches(answer);
      // One report per kind of mismatch is enough to find it; a loop of requests would repeat it.
      if (mismatches.length > 0 && !recorded.some((seen) => seen.includes(mismatches.join('\n  ')))) {
        const body = answer.body.toString('utf8').slice(0, 600);
        recorded.push(
          `${method} ${url} answered ${answer.status}, unlike openapi/openapi.json:\n  ${mismatches.join('\n  ')}\n  body: ${body}`,
        );
      }
    });
  });
}
