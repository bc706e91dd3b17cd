import { createHash } from 'node:crypto';

import { Injectable, Logger, NestMiddleware } from '@nestjs/common';
import { ApiHeader } from '@nestjs/swagger';
import { DomainError } from '@app/customer-domain';
import { type NextFunction, type Request, type Response } from 'express';

import { IdempotencyStore } from './idempotency.store';

export const IDEMPOTENCY_HEADER = 'idempotency-key';

/** Documents `Idempotency-Key` on an unsafe endpoint (the middleware serves every one of them). */
export const IDEMPOTENCY_KEY_HEADER = ApiHeader({
  name: 'Idempotency-Key',
  required: false,
  description:
    'Makes the request safe to retry: the same key with the same request replays the first answer for 24 hours (marked `Idempotent-Replayed: true`); with another request it is a 422; while the first is running, a 409. Scoped to the API key.',
});
const UNSAFE_METHODS = new Set(['POST', 'PATCH', 'PUT', 'DELETE']);

/**
 * Answers that say the request was never carried out. They are not kept, so the caller can fix
 * the request (or wait) and send it again under the same key.
 */
const NOT_EXECUTED = new Set([
  'validation_failed',
  'malformed_json',
  'payload_too_large',
  'unsupported_media_type',
  'unauthenticated',
  'forbidden',
  'route_not_found',
  'method_not_allowed',
  'precondition_failed',
  'idempotency_key_reused',
  'idempotency_request_in_progress',
  'rate_limited',
]);

/** JSON with sorted keys, so that the same body hashes the same however its keys are ordered. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

export function requestHash(req: Request): string {
  return createHash('sha256')
    .update(`${req.method} ${req.originalUrl}\n${canonicalJson(req.body)}`)
    .digest('hex');
}

function shouldKeep(status: number, body: unknown): boolean {
  if (status >= 500) return false;
  if (status < 400) return true;
  const code = (body as { code?: unknown } | undefined)?.code;
  return !(typeof code === 'string' && NOT_EXECUTED.has(code));
}

function parseJson(payload: unknown): unknown {
  const text = Buffer.isBuffer(payload) ? payload.toString('utf8') : payload;
  if (typeof text !== 'string' || text === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/**
 * `Idempotency-Key` on unsafe requests, scoped to the calling API key. The first answer is stored
 * before it is sent, so a retry that arrives after the caller saw it always finds it.
 */
@Injectable()
export class IdempotencyMiddleware implements NestMiddleware {
  private readonly logger = new Logger('Idempotency');

  constructor(private readonly store: IdempotencyStore) {}

  async use(req: Request, res: Response, next: NextFunction): Promise<void> {
    const key = req.headers[IDEMPOTENCY_HEADER];
    if (key === undefined || !UNSAFE_METHODS.has(req.method) || req.principal === undefined) return next();
    if (typeof key !== 'string' || key.length < 1 || key.length > 255) {
      throw new DomainError('validation_failed', 'Idempotency-Key must be 1-255 characters.', [
        {
          field: 'Idempotency-Key',
          code: 'invalid_format',
          message: 'Idempotency-Key must be 1-255 characters.',
        },
      ]);
    }

    const decision = await this.store.begin(req.principal.keyId, key, requestHash(req));
    if (decision.kind === 'replay') {
      res.status(decision.status).set('Idempotent-Replayed', 'true');
      const problem = decision.status >= 400;
      res.type(problem ? 'application/problem+json' : 'application/json');
      const version = (decision.body as { version?: unknown } | null)?.version;
      if (!problem && typeof version === 'number') res.set('ETag', `"${version}"`);
      res.send(JSON.stringify(decision.body));
      return;
    }

    const send = res.send.bind(res);
    let settled = false;
    res.send = (payload?: unknown) => {
      if (settled) return send(payload);
      settled = true;
      const body = parseJson(payload);
      const keep = shouldKeep(res.statusCode, body);
      const customerId = (body as { id?: unknown } | undefined)?.id;
      const outcome = keep
        ? this.store.complete(
            decision.recordId,
            { status: res.statusCode, body },
            typeof customerId === 'string' ? customerId : undefined,
          )
        : this.store.release(decision.recordId);
      outcome.then(
        () => send(payload),
        (error: unknown) => {
          // The work is done but its answer could not be kept: say so rather than pretend.
          this.logger.error({ error: (error as Error).name }, 'could not record the idempotent response');
          send(payload);
        },
      );
      return res;
    };
    next();
  }
}
