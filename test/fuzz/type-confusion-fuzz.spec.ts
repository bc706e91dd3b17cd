import fc from 'fast-check';

import { bearer, type GatewayWithSandboxes, KEYS } from '../support/gateway';
import {
  type Document,
  type DocumentChecker,
  type Operation,
  type Schema,
  send,
  startFuzzTarget,
} from './openapi-document';

/**
 * Every field of every request body in the document the gateway serves, and every query
 * parameter, given each type-confused value in turn (issue 31: ordinary JSON of the wrong type
 * reached provider rules and dry-run mappers and answered 500). Every field, not a sample: the
 * fields and the values are few enough to try them all. The rest of each body is the operation's
 * own documented example, so a value of the right type may well be carried out.
 *
 * Each answer must be one the document promises (never a 5xx), every 4xx problem+json; a value of
 * the wrong JSON type for its field (null where the field is not nullable, an object for a list,
 * a string for a number, a list of lists for a list of objects) must be a 400 naming that field.
 * fast-check, with the fuzz ring's fixed seed (FUZZ_SEED), picks the placeholder key for the
 * entries of free-form maps such as `metadata`.
 */
const SEED =
  process.env['FUZZ_SEED'] === 'random'
    ? Math.floor(Math.random() * 2 ** 31)
    : Number(process.env['FUZZ_SEED'] ?? 20_261_129);

/** The values a client sends in place of the right one, by what they are. */
const CONFUSED: [string, unknown][] = [
  ['null', null],
  ['[]', []],
  ['{}', {}],
  ['a number', 42],
  ['a fraction', 0.5],
  ['a numeric string', '42'],
  ['a boolean', true],
  ['a nested array', [[]]],
  ['an array of null', [null]],
  ['a very long string', 'x'.repeat(20_000)],
];

/** One place a value can go: its path in the body and the schema the document gives it. */
interface FieldSlot {
  path: (string | number)[];
  schema: Schema;
  /** The field an error names for a wrong value here: free-form map entries are named by the map. */
  reportedAs: string;
}

const jsonTypeOf = (value: unknown): string =>
  value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value;

describe('type-confused values in every field of every operation: no 5xx, a 400 naming the field', () => {
  let gateway: GatewayWithSandboxes;
  let document: Document;
  let checker: DocumentChecker;
  let customerId: string;
  let mapKey: string;

  beforeAll(async () => {
    ({ gateway, document, checker, customerId } = await startFuzzTarget(
      'confusion-fuzz',
      'confusion@example.test',
    ));
    mapKey = fc.sample(fc.stringMatching(/^[a-z]{1,12}$/), { seed: SEED, numRuns: 1 })[0] ?? 'key';
  });
  afterAll(() => gateway.close());

  /** The JSON type a schema gives, or undefined where it admits several (anyOf, oneOf, free). */
  const typeOf = (schema: Schema): string | undefined => {
    const resolved = checker.resolve(schema);
    if (resolved.type === 'integer' || resolved.type === 'number') return 'number';
    if (typeof resolved.type === 'string') return resolved.type;
    return resolved.properties === undefined ? undefined : 'object';
  };

  /** Why a value cannot be of the schema's type, if it plainly cannot (formats and limits aside). */
  const wrongType = (value: unknown, schema: Schema): boolean => {
    const resolved = checker.resolve(schema);
    if (value === null) return resolved.nullable !== true;
    const expected = typeOf(resolved);
    if (expected === undefined) return false;
    if (expected !== jsonTypeOf(value)) return true;
    if (resolved.type === 'integer' && !Number.isInteger(value)) return true;
    return Array.isArray(value) && value.some((element) => wrongType(element, resolved.items ?? {}));
  };

  /** Every field slot of a body schema: properties, list elements and map entries, to a depth. */
  const slotsOf = (schema: Schema, path: (string | number)[] = [], reportedAs = ''): FieldSlot[] => {
    if (path.length > 5) return [];
    const resolved = checker.resolve(schema);
    const here = path.length === 0 ? [] : [{ path, schema: resolved, reportedAs }];
    const join = (key: string | number) => (reportedAs === '' ? String(key) : `${reportedAs}.${key}`);
    const properties = Object.entries(resolved.properties ?? {}).flatMap(([name, child]) =>
      slotsOf(child, [...path, name], join(name)),
    );
    const items = resolved.items === undefined ? [] : slotsOf(resolved.items, [...path, 0], join(0));
    const entries =
      typeof resolved.additionalProperties === 'object'
        ? [{ path: [...path, mapKey], schema: resolved.additionalProperties, reportedAs }]
        : [];
    return [...here, ...properties, ...items, ...entries];
  };

  /** The operation's first documented example body, else one made of its required properties' examples. */
  const exampleBody = (schema: Schema, examples?: Record<string, { value: unknown }>): unknown => {
    const documented = Object.values(examples ?? {})[0]?.value;
    if (documented !== undefined) return structuredClone(documented);
    const resolved = checker.resolve(schema);
    return Object.fromEntries(
      (resolved.required ?? []).map((name) => [name, checker.resolve(resolved.properties![name]!).example]),
    );
  };

  /** The body with `value` at `path`, making the objects and lists on the way as needed. */
  const withValueAt = (body: unknown, path: (string | number)[], value: unknown): unknown => {
    const root = structuredClone(body) as Record<string | number, unknown>;
    let parent = root;
    path.forEach((key, index) => {
      if (index === path.length - 1) {
        parent[key] = value;
        return;
      }
      const next = path[index + 1];
      const current = parent[key];
      if (typeof current !== 'object' || current === null) parent[key] = typeof next === 'number' ? [] : {};
      parent = parent[key] as Record<string | number, unknown>;
    });
    return root;
  };

  it(`every body field and query parameter, each confused value (seed ${SEED})`, async () => {
    const failures: string[] = [];
    let cases = 0;
    const pathOf = (template: string) =>
      template.replace(/\{[^}]+\}/g, (name) => (name === '{type}' ? 'de' : customerId));
    const headers = { ...bearer(KEYS.admin), 'Content-Type': 'application/json' };

    for (const [template, methods] of Object.entries(document.paths)) {
      for (const [method, operation] of Object.entries<Operation>(methods)) {
        const media = operation.requestBody?.content['application/json'];
        const tries: { what: string; path: string; body?: unknown; slot?: FieldSlot; value: unknown }[] = [];
        if (media?.schema !== undefined) {
          const base = exampleBody(media.schema, media.examples);
          for (const slot of slotsOf(media.schema)) {
            for (const [kind, value] of CONFUSED) {
              const body = withValueAt(base, slot.path, value);
              tries.push({
                what: `${slot.path.join('.')} = ${kind}`,
                path: pathOf(template),
                body,
                slot,
                value,
              });
            }
          }
        }
        for (const parameter of (operation.parameters ?? []).filter((p) => p.in === 'query')) {
          for (const [kind, value] of CONFUSED) {
            // A query string has room for less than a body: 20,000 characters would be a 431.
            const text = typeof value === 'string' ? value.slice(0, 4_000) : JSON.stringify(value);
            tries.push({
              what: `?${parameter.name} = ${kind}`,
              path: `${pathOf(template)}?${parameter.name}=${encodeURIComponent(text)}`,
              value: text,
            });
          }
        }
        for (const attempt of tries) {
          cases += 1;
          const answer = await send(gateway.url, method, {
            path: attempt.path,
            headers: attempt.body === undefined ? bearer(KEYS.admin) : headers,
            ...(attempt.body === undefined ? {} : { body: Buffer.from(JSON.stringify(attempt.body)) }),
          });
          const wrong = checker.problemWith(operation, answer) ?? refusalProblem(attempt, answer);
          if (wrong !== undefined)
            failures.push(`${method.toUpperCase()} ${template} ${attempt.what}: ${wrong}`);
        }
      }
    }
    console.log(`type-confusion fuzz: ${cases} cases, ${failures.length} failed (seed ${SEED})`);
    expect(failures).toEqual([]);
    // The document has bodies and queries to confuse: a sweep of none would prove nothing.
    expect(cases).toBeGreaterThan(1_000);
  }, 600_000);

  /** What is wrong with how a confused value was refused, if anything. */
  function refusalProblem(
    attempt: { slot?: FieldSlot; value: unknown },
    answer: { status: number; contentType: string; text: string },
  ): string | undefined {
    if (answer.status >= 400 && !answer.contentType.startsWith('application/problem+json'))
      return `answered ${answer.status} as ${answer.contentType}, not problem+json`;
    const { slot } = attempt;
    if (slot === undefined || !wrongType(attempt.value, slot.schema)) return undefined;
    if (answer.status !== 400)
      return `a value of the wrong type answered ${answer.status}: ${answer.text.slice(0, 200)}`;
    const errors = (JSON.parse(answer.text) as { errors?: { field: string }[] }).errors ?? [];
    const named = errors.some(
      (e) => e.field === slot.reportedAs || e.field.startsWith(`${slot.reportedAs}.`),
    );
    return named ? undefined : `the 400 does not name ${slot.reportedAs}: ${answer.text.slice(0, 300)}`;
  }
});
