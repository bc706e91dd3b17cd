import { AsyncLocalStorage } from 'node:async_hooks';

import { requestIdFor } from '@app/config';
import { type CallContext } from '@app/domain';
import { traceIncomingRequests, tracingActive } from '@app/telemetry';
import { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';

import { type ApiKeyRegistry } from '../auth/api-keys';
import { runAsCaller } from '../auth/caller-context';
import { presentedApiKey } from '../auth/presented-key';
import { type IdempotencyGate } from '../idempotency/idempotency-gate';
import { type HttpMetrics } from '../metrics/http-metrics';
import { hostileInputRefusal } from './hostile-input';
import { bodyEncodingInvalid, bodyTypeRefusal, installJsonBodyParser } from './json-body';
import { type RequestLog } from './request-log';

/** What the edge needs from the application, handed over once the module is built (app.ts). */
export interface EdgeParts {
  keys: ApiKeyRegistry;
  idempotency: IdempotencyGate;
  metrics: HttpMetrics;
  requestLog: RequestLog;
}

/** What the edge keeps on a request between its hooks. */
interface EdgeState {
  started: number;
  caller: CallContext;
  /** Runs a function back in the request's async context (its caller, and its span with tracing on). */
  resume: <T>(fn: () => T) => T;
}
const EDGE = Symbol('edge');
type EdgeRequest = FastifyRequest & { [EDGE]?: EdgeState };

/** The matched route's template (`/v1/customers/:id`), or undefined when no route of ours matched. */
export function routeTemplateOf(req: FastifyRequest): string | undefined {
  return req.is404 ? undefined : req.routeOptions.url;
}

/**
 * The HTTP edge, as Fastify hooks (https://fastify.dev/docs/latest/Reference/Lifecycle/) around
 * every route, Nest's included, in this order:
 * - when a request arrives: its span (with tracing on), its request id, its caller (so every line
 *   it logs names the key, even one refused next), and a 415 for a body we would not read;
 * - its body is read (json-body.ts);
 * - input no field can hold is refused before anything else sees it, then its Idempotency-Key is
 *   claimed (or its first answer replayed);
 * - Nest's guards, pipes and handler run; the answer is kept for its Idempotency-Key before it is
 *   sent, and every answer, refusals included, is counted, timed and logged.
 * Reading a body leaves the request's async context behind (the stream's events run in the
 * socket's), so the context is captured when the request arrives and resumed after the read.
 */
export function installHttpEdge(fastify: FastifyInstance, parts: EdgeParts): void {
  const { keys, idempotency, metrics, requestLog } = parts;
  fastify.decorateRequest('principal', undefined);
  installJsonBodyParser(fastify);

  fastify.addHook('onRequest', (req: EdgeRequest, reply, done) => {
    const started = performance.now();
    const arrive = () => {
      const requestId = requestIdFor(req.raw, reply.raw);
      (req.raw as { id?: string }).id = requestId;
      const presented = presentedApiKey(req);
      req.principal = presented === undefined ? undefined : keys.authenticate(presented);
      const caller: CallContext = {
        actor: req.principal?.keyId ?? 'anonymous',
        requestId,
        // The Idempotency-Key's record, once the request holds one (IdempotencyGate.claim).
        idempotency: {},
      };
      runAsCaller(caller, () => {
        req[EDGE] = { started, caller, resume: AsyncLocalStorage.snapshot() };
        done(bodyTypeRefusal(req.headers));
      });
    };
    if (tracingActive()) traceIncomingRequests(req.raw, reply.raw, () => routeTemplateOf(req), arrive);
    else arrive();
  });

  fastify.addHook('preValidation', (req: EdgeRequest, reply, done) => {
    const refuseHostile = () => done(hostileInputRefusal(req.url, req.body, bodyEncodingInvalid(req)));
    const edge = req[EDGE];
    if (edge === undefined) refuseHostile();
    else edge.resume(refuseHostile);
  });

  fastify.addHook('preValidation', async (req: EdgeRequest, reply: FastifyReply) => {
    const edge = req[EDGE];
    if (edge !== undefined) await idempotency.claim(req, reply, edge.caller);
  });

  fastify.addHook('onSend', (req, reply, payload) => idempotency.keep(req, reply, payload));

  fastify.addHook('onResponse', (req: EdgeRequest, reply, done) => {
    const started = req[EDGE]?.started ?? performance.now();
    metrics.record(req.method, routeTemplateOf(req), reply.statusCode, started);
    requestLog.record(req.raw as { id?: string } & typeof req.raw, reply.raw, started);
    done();
  });
}
