import { type IncomingHttpHeaders } from 'node:http';

import { type FastifyInstance, type FastifyRequest } from 'fastify';

import { HttpError } from '../errors/http-error';

/** Body types the gateway reads; merge-patch is what PATCH bodies are (RFC 7396). */
export const JSON_BODY_TYPES = ['application/json', 'application/merge-patch+json'];

/** Routes whose requests are authenticated by a signature over the exact bytes received. */
const SIGNED_BODY_PATHS = '/v1/provider-webhooks/';
const RAW_BODY = Symbol('rawBody');
const INVALID_BODY_ENCODING = Symbol('invalidBodyEncoding');

type ReadRequest = FastifyRequest & { [RAW_BODY]?: Buffer; [INVALID_BODY_ENCODING]?: true };

function hasBody(headers: IncomingHttpHeaders): boolean {
  const length = headers['content-length'];
  return headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}

/**
 * A body of a type we do not read is refused with 415 before it is read, rather than ignored:
 * ignoring a form post would turn it into an empty update. Undefined when the request may go on.
 */
export function bodyTypeRefusal(headers: IncomingHttpHeaders): HttpError | undefined {
  if (!hasBody(headers)) return undefined;
  const [type = '', ...parameters] = (headers['content-type'] ?? '').toLowerCase().split(';');
  if (!JSON_BODY_TYPES.includes(type.trim())) {
    return new HttpError('unsupported_media_type', `Send the body as ${JSON_BODY_TYPES.join(' or ')}.`);
  }
  // JSON is UTF-8 (RFC 8259 §8.1); a body declared in another charset would be misread.
  const charset = parameters.map((p) => p.trim()).find((p) => p.startsWith('charset='));
  if (charset !== undefined && !['charset=utf-8', 'charset="utf-8"'].includes(charset)) {
    return new HttpError('unsupported_media_type', 'Send the body as UTF-8 application/json.');
  }
  return undefined;
}

const malformed = () => new HttpError('malformed_json', 'The request body is not valid JSON.');
const strictUtf8 = new TextDecoder('utf-8', { fatal: true });
const lenientUtf8 = new TextDecoder('utf-8');

/**
 * The JSON body parser, in place of all of Fastify's (https://fastify.dev/docs/latest/Reference/ContentTypeParser/).
 * Fastify enforces the body limit while reading (413). Bytes that are not UTF-8 are decoded as
 * U+FFFD, as any parser would, but the request is marked so that the hostile-input check refuses
 * it with the field-error shape; an empty body is `{}`; the bytes a signature covers are kept.
 */
export function installJsonBodyParser(fastify: FastifyInstance): void {
  fastify.removeAllContentTypeParsers();
  fastify.addContentTypeParser(JSON_BODY_TYPES, { parseAs: 'buffer' }, (request, body, done) => {
    const bytes = body as Buffer;
    const read = request as ReadRequest;
    if (request.url.startsWith(SIGNED_BODY_PATHS)) read[RAW_BODY] = bytes;
    let text: string;
    try {
      text = strictUtf8.decode(bytes);
    } catch {
      read[INVALID_BODY_ENCODING] = true;
      text = lenientUtf8.decode(bytes);
    }
    if (bytes.length === 0) return done(null, {});
    // Only an object or an array is a body of ours (body-parser's `strict`): a bare `null` or
    // `42` is refused here as malformed rather than reaching validation as a non-object.
    const first = /\S/.exec(text)?.[0];
    if (first !== '{' && first !== '[') return done(malformed(), undefined);
    try {
      done(null, JSON.parse(text));
    } catch {
      done(malformed(), undefined);
    }
  });
}

/** The bytes of a signed request's body as received (provider webhooks only). */
export function rawBodyOf(request: FastifyRequest): Buffer | undefined {
  return (request as ReadRequest)[RAW_BODY];
}

/** Whether the body's bytes were not valid UTF-8. */
export function bodyEncodingInvalid(request: FastifyRequest): boolean {
  return (request as ReadRequest)[INVALID_BODY_ENCODING] === true;
}
