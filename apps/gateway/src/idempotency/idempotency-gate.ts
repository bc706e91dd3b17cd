import { createHash } from 'node:crypto';

import { Injectable, Logger } from '@nestjs/common';
import { ApiHeader } from '@nestjs/swagger';
import { DomainError } from '@app/domain';
import { IdempotencyRecords } from '@app/persistence';

import { type CallContext } from '@app/domain';
import { type FastifyReply, type FastifyRequest } from 'fastify';

import { isRefusedUpFront, PROBLEM_CONTENT_TYPE } from '../errors/problem';
import { HttpError } from '../errors/http-error';

export const IDEMPOTENCY_HEADER = 'idempotency-key';

/** Documents `Idempotency-Key` on an unsafe endpoint (the gate serves every one of them). */
export const IDEMPOTENCY_KEY_HEADER = ApiHeader({
  name: 'Idempotency-Key',
  required: false,
  description:
    'Makes the request safe to retry, also after a crash: the same key with the same request replays the first answer for IDEMPOTENCY_TTL_HOURS (24 by default; marked `Idempotent-Replayed: true`), or, when the gateway died before answering, carries the first attempt on without doing its change twice. With another request it is a 422; while the first is running, a 409: retry with the same key until the answer is neither a 409 nor a 5xx. Scoped to the API key.',
});
const UNSAFE_METHODS = new Set(['POST', 'PATCH', 'PUT', 'DELETE']);

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

export function requestHash(req: { method: string; url: string; body: unknown }): string {
  return createHash('sha256')
    .update(`${req.method} ${req.url}\n${canonicalJson(req.body)}`)
    .digest('hex');
}

/** The record a request holds while it runs, kept on the request until its answer is stored. */
const HELD_RECORD = Symbol('idempotencyRecord');
type GatedRequest = FastifyRequest & { [HELD_RECORD]?: string };

/**
 * Answers that say the request was never carried out (the problem table's `refusedUpFront`) are
 * not kept, so the caller can fix the request (or wait) and send it again under the same key.
 */
function shouldKeep(status: number, body: unknown): boolean {
  if (status >= 500) return false;
  if (status < 400) return true;
  const code = (body as { code?: unknown } | undefined)?.code;
  return !(typeof code === 'string' && isRefusedUpFront(code));
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
 * `Idempotency-Key` on unsafe requests, scoped to the calling API key, in atomic phases
 * (https://brandur.org/idempotency-keys): the key is claimed; the request's write records the
 * key's recovery point in its own transaction (see the persistence lib's `idempotentWrite`); the
 * answer is stored before it is sent, so a retry that arrives after the caller saw it always finds
 * it, and a retry after a crash before that resumes from the recovery point.
 */
@Injectable()
export class IdempotencyGate {
  private readonly logger = new Logger('Idempotency');

  constructor(private readonly store: IdempotencyRecords) {}

  /**
   * Runs once the body is read, before guards and handlers (http/edge.ts): claims the key, or
   * answers a replay itself. The request's write records its recovery point on the claimed record
   * through its call context (`caller`).
   */
  async claim(req: FastifyRequest, reply: FastifyReply, caller: CallContext): Promise<void> {
    const key = req.headers[IDEMPOTENCY_HEADER];
    if (key === undefined || !UNSAFE_METHODS.has(req.method) || req.principal === undefined) return;
    if (typeof key !== 'string' || key.length < 1 || key.length > 255) {
      throw new DomainError('validation_failed', 'Idempotency-Key must be 1-255 characters.', [
        {
          field: 'Idempotency-Key',
          code: 'invalid_format',
          message: 'Idempotency-Key must be 1-255 characters.',
        },
      ]);
    }

    const decision = await this.store.claim(req.principal.keyId, key, requestHash(req));
    if (decision.kind === 'key_reused') {
      throw new HttpError(
        'idempotency_key_reused',
        'This Idempotency-Key was used with a different request. Use a new key for a new request.',
      );
    }
    if (decision.kind === 'in_progress') {
      throw new HttpError(
        'idempotency_request_in_progress',
        'A request with this Idempotency-Key is still being processed. Retry after it finishes.',
      );
    }
    if (decision.kind === 'replay') {
      const problem = decision.status >= 400;
      reply.status(decision.status).header('Idempotent-Replayed', 'true');
      reply.type(problem ? PROBLEM_CONTENT_TYPE : 'application/json; charset=utf-8');
      const version = (decision.body as { version?: unknown } | null)?.version;
      if (!problem && typeof version === 'number') reply.header('ETag', `"${version}"`);
      await reply.send(JSON.stringify(decision.body));
      return;
    }
    if (caller.idempotency !== undefined) caller.idempotency.recordId = decision.recordId;
    (req as GatedRequest)[HELD_RECORD] = decision.recordId;
  }

  /**
   * Fastify's `onSend`: stores the answer of a request that holds a record before it is sent, so
   * a retry that arrives after the caller saw it always finds it; an answer that says the request
   * was never carried out releases the key instead.
   */
  async keep(req: FastifyRequest, reply: FastifyReply, payload: unknown): Promise<unknown> {
    const recordId = (req as GatedRequest)[HELD_RECORD];
    if (recordId === undefined) return payload;
    (req as GatedRequest)[HELD_RECORD] = undefined;
    const body = parseJson(payload);
    const customerId = (body as { id?: unknown } | undefined)?.id;
    try {
      if (!shouldKeep(reply.statusCode, body)) await this.store.release(recordId);
      else {
        const id = typeof customerId === 'string' ? customerId : undefined;
        await this.store.complete(recordId, { status: reply.statusCode, body }, id);
      }
    } catch (error) {
      // The work is done but its answer could not be kept: say so rather than pretend.
      this.logger.error({ error: (error as Error).name }, 'could not record the idempotent response');
    }
    return payload;
  }
}
