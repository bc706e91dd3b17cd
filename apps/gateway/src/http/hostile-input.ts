import { type ArgumentMetadata, Injectable, type PipeTransform } from '@nestjs/common';
import { DomainError, type FieldError } from '@app/domain';

/**
 * Input that no field of ours can hold, refused where it enters rather than deep inside:
 * PostgreSQL cannot store a NUL in text, an unpaired UTF-16 surrogate has no UTF-8 form (it would
 * be stored as U+FFFD, silently changing the value), a body nested thousands of levels deep
 * overflows the stack of the recursive transformers behind validation, and `__proto__`-style keys
 * are silently dropped by them. Each is a 400 `validation_failed` naming the field.
 */

/** Deeper than any body of ours needs (a customer is 4 levels), far below what recursion survives. */
export const MAX_JSON_DEPTH = 32;

/** Keys that address an object's prototype machinery rather than data. */
const PROTOTYPE_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/** A high surrogate not followed by a low one, or a low one not preceded by a high one. */
const UNPAIRED_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/** Why a string cannot be accepted, or undefined when it can. */
export function unacceptableText(value: string): string | undefined {
  if (value.includes('\u0000')) return 'must not contain a NUL character';
  if (value.search(UNPAIRED_SURROGATE) !== -1) return 'must not contain an unpaired UTF-16 surrogate';
  return undefined;
}

/** A key as it can be shown back in a field path: readable, and always valid UTF-8. */
function printable(key: string): string {
  return key.replaceAll('\u0000', '\\u0000').replace(UNPAIRED_SURROGATE, '\uFFFD');
}

function joinPath(parent: string, key: string | number): string {
  const segment = typeof key === 'number' ? String(key) : printable(key);
  return parent === '' ? segment : `${parent}.${segment}`;
}

function textError(field: string, value: string): FieldError | undefined {
  const problem = unacceptableText(value);
  return problem === undefined
    ? undefined
    : { field, code: 'invalid_characters', message: `${field} ${problem}` };
}

/**
 * Every problem in a parsed JSON value: strings and keys that cannot be stored, prototype keys,
 * and nesting beyond MAX_JSON_DEPTH. Walks with an explicit stack, so no input can exhaust ours.
 */
export function jsonInputErrors(root: unknown, rootPath = ''): FieldError[] {
  const errors: FieldError[] = [];
  const stack: { value: unknown; path: string; depth: number }[] = [
    { value: root, path: rootPath, depth: 0 },
  ];
  while (stack.length > 0 && errors.length < 20) {
    const { value, path, depth } = stack.pop()!;
    if (typeof value === 'string') {
      const error = textError(path, value);
      if (error) errors.push(error);
      continue;
    }
    if (typeof value !== 'object' || value === null) continue;
    if (depth >= MAX_JSON_DEPTH) {
      errors.push({
        field: path,
        code: 'too_deep',
        message: `The body may nest objects and arrays at most ${MAX_JSON_DEPTH} levels deep.`,
      });
      continue;
    }
    const entries: [string | number, unknown][] = Array.isArray(value)
      ? value.map((item, index) => [index, item])
      : Object.entries(value);
    for (const [key, child] of entries.reverse()) {
      const childPath = joinPath(path, key);
      if (typeof key === 'string') {
        const keyError = textError(childPath, key);
        if (keyError) {
          errors.push(keyError);
          continue;
        }
        if (PROTOTYPE_KEYS.has(key)) {
          errors.push({
            field: childPath,
            code: 'unknown_field',
            message: `property ${key} should not exist`,
          });
          continue;
        }
      }
      stack.push({ value: child, path: childPath, depth: depth + 1 });
    }
  }
  return errors;
}

function refuse(errors: FieldError[]): DomainError {
  return new DomainError('validation_failed', 'The request is not valid; see errors.', errors);
}

/** Decodes one percent-encoded URL component, or undefined when it is not valid UTF-8. */
function decodeComponent(raw: string): string | undefined {
  try {
    return decodeURIComponent(raw);
  } catch {
    return undefined;
  }
}

function queryErrors(rawQuery: string): FieldError[] {
  return rawQuery
    .split('&')
    .filter((pair) => pair !== '')
    .flatMap((pair) => {
      const [rawName = '', ...rest] = pair.replaceAll('+', ' ').split('=');
      const name = decodeComponent(rawName);
      const value = decodeComponent(rest.join('='));
      const field = name === undefined ? printable(rawName) : printable(name);
      if (name === undefined || value === undefined) {
        return [{ field, code: 'invalid_encoding', message: `${field} is not valid percent-encoded UTF-8.` }];
      }
      return [textError(field, name), textError(field, value)].filter((e) => e !== undefined);
    });
}

function pathErrors(rawPath: string): FieldError[] {
  const undecodable = rawPath.split('/').some((segment) => decodeComponent(segment) === undefined);
  return undecodable
    ? [{ field: 'path', code: 'invalid_encoding', message: 'The path is not valid percent-encoded UTF-8.' }]
    : [];
}

/**
 * Run once the body is read (http/edge.ts), before any guard, pipe or handler sees the request:
 * the body, the query string and the path, each checked as it arrived. Headers need no check
 * here: Node's parser refuses a NUL or control character in one (answered 400 problem+json, see
 * server-limits.ts), and it reads their bytes as latin1, which holds no surrogate.
 */
export function hostileInputRefusal(
  url: string,
  body: unknown,
  bodyEncodingInvalid: boolean,
): DomainError | undefined {
  const queryAt = url.indexOf('?');
  const errors: FieldError[] = [
    ...(bodyEncodingInvalid
      ? [{ field: 'body', code: 'invalid_encoding', message: 'The body is not valid utf-8.' }]
      : []),
    ...pathErrors(queryAt === -1 ? url : url.slice(0, queryAt)),
    ...(queryAt === -1 ? [] : queryErrors(url.slice(queryAt + 1))),
    // A body that did not decode is refused as a whole; what the parser made of it is moot.
    ...(bodyEncodingInvalid ? [] : jsonInputErrors(body)),
  ];
  return errors.length > 0 ? refuse(errors) : undefined;
}

/**
 * Path parameters are only decoded once a route matched; this global pipe checks them under
 * their own names (`id`, `sourceId`) before any handler runs.
 */
@Injectable()
export class PathParameterPipe implements PipeTransform {
  transform(value: unknown, metadata: ArgumentMetadata): unknown {
    if (metadata.type === 'param' && typeof value === 'string') {
      const error = textError(metadata.data ?? 'path', value);
      if (error) throw refuse([error]);
    }
    return value;
  }
}
