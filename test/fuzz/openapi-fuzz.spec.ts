import fc from 'fast-check';

import { type GatewayWithSandboxes, KEYS } from '../support/gateway';
import {
  type Document,
  type DocumentChecker,
  type FuzzRequest,
  type Operation,
  type Schema,
  send,
  startFuzzTarget,
} from './openapi-document';

/**
 * Drives every operation of the OpenAPI document the gateway itself serves (so a new endpoint is
 * covered the day it is added) with values generated from its parameter and body schemas: mostly
 * plausible ones, mixed with the hostile kinds (NUL, unpaired surrogates, deep nesting, prototype
 * keys, huge numbers, wrong types, invalid UTF-8). Any 5xx fails, and so does any answer whose
 * status the operation does not document or whose JSON body does not match the documented schema.
 *
 * FUZZ_RUNS sets the cases per operation (15 by default); FUZZ_SEED a seed (a fixed one by
 * default, so CI is repeatable; `random` for a new one). A failure names the seed to replay it.
 */
const RUNS = Number(process.env['FUZZ_RUNS'] ?? 15);
const SEED =
  process.env['FUZZ_SEED'] === 'random'
    ? Math.floor(Math.random() * 2 ** 31)
    : Number(process.env['FUZZ_SEED'] ?? 20_261_129);

const HOSTILE_STRINGS = [
  'a\u0000b',
  '\u0000',
  '\udfff',
  'x\ud800y',
  '__proto__',
  'constructor',
  '',
  ' ',
  '..',
  '%00',
  'ジョン 💥',
  'x'.repeat(5_000),
];
const HOSTILE_VALUES: unknown[] = [
  null,
  true,
  0,
  -1,
  1e308,
  -1e308,
  2 ** 53 + 1,
  0.5,
  'text',
  [],
  {},
  [[[]]],
  // Type-confused values (issue 31): a number as text, lists of lists and of null. (Very long
  // strings are HOSTILE_STRINGS: one of 20,000 characters in a query string is a 431.)
  '42',
  [[]],
  [null],
];
const PROTOTYPE_KEYS = ['__proto__', 'constructor', 'prototype'];

/** Percent-encodes any string, an unpaired surrogate too (as the 3 bytes CESU-8 would use). */
function percentEncode(value: string): string {
  let out = '';
  for (let i = 0; i < value.length; i += 1) {
    const unit = value.charCodeAt(i);
    const next = value.charCodeAt(i + 1);
    if (unit >= 0xd800 && unit <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
      out += encodeURIComponent(value.slice(i, i + 2));
      i += 1;
    } else if (unit >= 0xd800 && unit <= 0xdfff) {
      out += [0xe0 | (unit >> 12), 0x80 | ((unit >> 6) & 0x3f), 0x80 | (unit & 0x3f)]
        .map((byte) => `%${byte.toString(16).toUpperCase()}`)
        .join('');
    } else {
      out += encodeURIComponent(value[i]!);
    }
  }
  return out;
}

describe('OpenAPI-driven fuzzing: no 5xx, only documented answers', () => {
  let gateway: GatewayWithSandboxes;
  let document: Document;
  let checker: DocumentChecker;
  let customerId: string;

  beforeAll(async () => {
    ({ gateway, document, checker, customerId } = await startFuzzTarget('fuzz-target', 'fuzz@example.test'));
  });
  afterAll(() => gateway.close());

  const resolve = (schema: Schema): Schema => checker.resolve(schema);

  /**
   * Values of the schema: with `hostile`, a hostile or wrong-typed one now and then at any depth;
   * without, well-typed values that favour the documented examples, so handlers run too.
   */
  const valueOf = (raw: Schema, hostile: boolean, depth = 0): fc.Arbitrary<unknown> => {
    const schema = resolve(raw);
    const alternatives = schema.oneOf ?? schema.anyOf;
    let plausible: fc.Arbitrary<unknown>;
    if (alternatives !== undefined) {
      plausible = fc.oneof(...alternatives.map((s) => valueOf(s, hostile, depth + 1)));
    } else if (schema.enum !== undefined) {
      plausible = fc.constantFrom(...schema.enum);
    } else if (schema.type === 'string') {
      const example = schema.example === undefined ? [] : [fc.constant(schema.example)];
      const text = fc.string({ maxLength: Math.min(schema.maxLength ?? 40, 60) });
      plausible = hostile
        ? fc.oneof(...example, text, fc.constantFrom(...HOSTILE_STRINGS))
        : fc.oneof(...example.map((arbitrary) => ({ weight: 3, arbitrary })), { weight: 1, arbitrary: text });
    } else if (schema.type === 'integer' || schema.type === 'number') {
      const min = schema.minimum ?? -10;
      const max = schema.maximum ?? 1_000;
      plausible = fc.oneof(
        schema.type === 'integer'
          ? fc.integer({ min: Math.ceil(min), max: Math.floor(max) })
          : fc.double({ min, max, noNaN: true }),
        ...(hostile ? [fc.constantFrom(1e308, -1, 2 ** 53 + 1, 0.5)] : []),
      );
    } else if (schema.type === 'boolean') {
      plausible = fc.boolean();
    } else if (schema.type === 'array') {
      plausible =
        depth > 3
          ? fc.constant([])
          : fc.array(valueOf(schema.items ?? {}, hostile, depth + 1), { maxLength: 3 });
    } else if (schema.properties !== undefined || schema.type === 'object') {
      const properties = Object.fromEntries(
        Object.entries(schema.properties ?? {}).map(([name, s]) => [
          name,
          depth > 3 ? fc.constant(null) : valueOf(s, hostile, depth + 1),
        ]),
      );
      const extra =
        typeof schema.additionalProperties === 'object'
          ? fc.dictionary(
              fc.string({ maxLength: 12 }),
              valueOf(schema.additionalProperties, hostile, depth + 1),
              {
                maxKeys: 3,
              },
            )
          : fc.constant({});
      plausible = fc
        .tuple(fc.record(properties, { requiredKeys: schema.required ?? [] }), extra)
        .map(([known, more]) => ({ ...more, ...known }));
    } else {
      plausible = fc.jsonValue({ maxDepth: 2 });
    }
    if (schema.nullable === true) plausible = fc.oneof(plausible, fc.constant(null));
    if (!hostile) return plausible;
    return fc.oneof(
      { weight: 8, arbitrary: plausible },
      { weight: 1, arbitrary: fc.constantFrom(...HOSTILE_VALUES) },
    );
  };

  /** A body as bytes: the JSON of a generated value, or one of the shapes no value serialises to. */
  const bodyOf = (schema: Schema): fc.Arbitrary<Buffer> =>
    fc.oneof(
      ...[true, false].map((hostile) => ({
        weight: 6,
        arbitrary: valueOf(schema, hostile).map((value) => Buffer.from(JSON.stringify(value) ?? 'null')),
      })),
      {
        weight: 2,
        arbitrary: fc
          .tuple(valueOf(schema, false), fc.constantFrom(...PROTOTYPE_KEYS))
          .map(([value, key]) => {
            const text = JSON.stringify(value) ?? 'null';
            const injected = `"${key}":{"polluted":true}`;
            if (text === '{}') return Buffer.from(`{${injected}}`);
            return Buffer.from(text.startsWith('{') ? `{${injected},${text.slice(1)}` : text);
          }),
      },
      {
        weight: 1,
        arbitrary: fc
          .integer({ min: 33, max: 4_000 })
          .map((depth) => Buffer.from(`${'['.repeat(depth)}${']'.repeat(depth)}`)),
      },
      {
        weight: 1,
        arbitrary: fc.constantFrom(
          Buffer.from('{"givenName":"\xff"}', 'latin1'),
          Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xed, 0xa0, 0x80, 0x22, 0x7d]),
          Buffer.from('{'),
          Buffer.from(''),
          Buffer.from('"x"'),
        ),
      },
    );

  const requestOf = (template: string, operation: Operation): fc.Arbitrary<FuzzRequest> => {
    const parameters = operation.parameters ?? [];
    const pathParameters = parameters.filter((p) => p.in === 'path');
    const queryParameters = parameters.filter((p) => p.in === 'query');
    const headerParameters = parameters.filter((p) => p.in === 'header');
    const bodySchema =
      operation.requestBody?.content['application/json']?.schema ??
      Object.values(operation.requestBody?.content ?? {})[0]?.schema;

    const path = fc
      .tuple(
        ...pathParameters.map((p) =>
          fc.oneof(
            { weight: 3, arbitrary: fc.constant(customerId) },
            { weight: 2, arbitrary: valueOf(p.schema ?? { type: 'string' }, true).map(String) },
            { weight: 1, arbitrary: fc.constantFrom(...HOSTILE_STRINGS) },
          ),
        ),
      )
      .map((values) =>
        pathParameters.reduce(
          (built, parameter, i) => built.replace(`{${parameter.name}}`, percentEncode(values[i] || 'x')),
          template,
        ),
      );
    const query = fc
      .tuple(
        ...queryParameters.map((p) =>
          fc.option(valueOf(p.schema ?? { type: 'string' }, true), { nil: undefined }),
        ),
        fc.option(fc.constantFrom(...HOSTILE_STRINGS), { nil: undefined }),
      )
      .map((values) => {
        const pairs = queryParameters.flatMap((p, i) =>
          values[i] === undefined
            ? []
            : [
                `${percentEncode(p.name)}=${percentEncode(typeof values[i] === 'string' ? values[i] : (JSON.stringify(values[i]) ?? ''))}`,
              ],
        );
        const stray = values[queryParameters.length];
        if (stray !== undefined) pairs.push(`stray=${percentEncode(stray as string)}`);
        return pairs.length > 0 ? `?${pairs.join('&')}` : '';
      });
    // Header values a client can send at all (Node's client refuses control characters itself).
    const headerValue = fc.oneof(
      fc.string({ unit: fc.constantFrom(...'ab1-_*" ,'), maxLength: 300 }),
      fc.constant('"1"'),
    );
    const headers = fc
      .tuple(
        ...headerParameters.map((p) =>
          fc.option(headerValue, { nil: undefined }).map((v) => [p.name, v] as const),
        ),
        fc.constantFrom<string | undefined>(KEYS.admin, KEYS.admin, KEYS.admin, KEYS.reader, undefined),
        fc.constantFrom('application/json', 'application/merge-patch+json', 'text/plain'),
      )
      .map((entries) => {
        const contentType = entries.pop() as string;
        const key = entries.pop() as string | undefined;
        const built: Record<string, string> = { 'Content-Type': contentType };
        if (key !== undefined) built['Authorization'] = `Bearer ${key}`;
        for (const [name, value] of entries as (readonly [string, string | undefined])[]) {
          if (value !== undefined) built[name] = value;
        }
        return built;
      });
    const body = bodySchema === undefined ? fc.constant(undefined) : bodyOf(bodySchema);
    return fc.tuple(path, query, headers, body).map(([p, q, h, b]) => ({
      path: `${p}${q}`,
      headers:
        b === undefined ? Object.fromEntries(Object.entries(h).filter(([n]) => n !== 'Content-Type')) : h,
      ...(b === undefined ? {} : { body: b }),
    }));
  };

  it(`every operation, ${RUNS} cases each (seed ${SEED})`, async () => {
    const failures: string[] = [];
    for (const [template, methods] of Object.entries(document.paths)) {
      for (const [method, operation] of Object.entries(methods)) {
        const result = await fc.check(
          fc.asyncProperty(requestOf(template, operation), async (request) => {
            const problem = checker.problemWith(operation, await send(gateway.url, method, request));
            if (problem !== undefined) throw new Error(problem);
          }),
          { numRuns: RUNS, seed: SEED, endOnFailure: true },
        );
        if (result.failed) {
          const request = result.counterexample?.[0];
          failures.push(
            `${method.toUpperCase()} ${template}: ${String((result.errorInstance as Error | undefined)?.message ?? result.errorInstance)}\n    request: ${JSON.stringify({ ...request, body: request?.body?.toString('utf8') }).slice(0, 600)}`,
          );
        }
      }
    }
    if (failures.length > 0) {
      throw new Error(
        `Fuzzing failed (replay with FUZZ_SEED=${SEED} FUZZ_RUNS=${RUNS}):\n${failures.join('\n')}`,
      );
    }
  }, 120_000);
});
