import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { type IncomingHttpHeaders } from 'node:http';
import { type AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { type FaultDecision, FaultInjector } from './faults';
import { TokenBucketLimiter } from './rate-limiter';
import { type SandboxOptions, type SandboxStats } from './types';

/** What a provider route handler sees: already parsed, provider-agnostic. */
export interface SandboxRequest {
  method: string;
  params: Record<string, string>;
  query: Record<string, string | string[]>;
  headers: IncomingHttpHeaders;
  body: unknown;
}

/** What a handler returns; the plumbing sends it (or replaces it, for commit-then-fail). */
export interface SandboxResponse {
  status: number;
  /** undefined sends no body (204); anything else is sent as JSON, including bare numbers. */
  body?: unknown;
  headers?: Record<string, string>;
}

/** Thrown by handlers and validators to answer with a provider-shaped error. */
export class SandboxHttpError extends Error {
  constructor(readonly response: SandboxResponse) {
    super(`sandbox error ${response.status}`);
  }
}

export type AuthOutcome<P> = { ok: true; principal: P } | { ok: false; response: SandboxResponse };

/** The provider-specific parts the shared plumbing needs. */
export interface ProviderProfile<P> {
  /** Error body in the provider's shape for a status (injected faults, framework errors, 404 routes). */
  errorResponse(status: number, message: string): SandboxResponse;
  /** 429 in the provider's shape, with `Retry-After` in whole seconds. */
  rateLimitedResponse(retryAfterSeconds: number): SandboxResponse;
  authenticate(request: SandboxRequest): AuthOutcome<P>;
  /** Bucket name and limit for a principal (DR limits per key, with different test/live limits). */
  rateLimit(principal: P): { bucket: string; perSecond: number };
  /** Headers every response carries (e.g. DR's `x-dr-requestid`). */
  commonHeaders?(): Record<string, string>;
}

export type RouteHandler<P> = (request: SandboxRequest, principal: P) => SandboxResponse;

type Method = 'GET' | 'POST' | 'PUT' | 'DELETE' | 'PATCH';

/**
 * One sandbox HTTP server: fastify on loopback, provider routes behind fault injection, auth and the
 * rate limiter, plus unauthenticated `/__admin` routes (a prefix no provider path can start with).
 */
export class SandboxServer<P> {
  readonly app: FastifyInstance;
  readonly faults: FaultInjector;
  readonly limiter = new TokenBucketLimiter();
  private statsState: SandboxStats = { requests: 0, byRoute: {}, faults: {}, inFlight: 0 };

  constructor(
    private readonly profile: ProviderProfile<P>,
    private readonly basePath: string,
    options: SandboxOptions,
  ) {
    this.faults = new FaultInjector(options.seed ?? 1, options.faults ?? {});
    this.app = Fastify({
      logger: false,
      // Hung requests (fault injection) must not keep close() waiting forever.
      forceCloseConnections: true,
      // 2CO documents paths with a trailing slash but SDKs differ (docs/providers/two-checkout.md, docs/providers/two-checkout.md#transport): accept both.
      routerOptions: { ignoreTrailingSlash: true, maxParamLength: 1000 },
      bodyLimit: 1024 * 1024,
    });
    // Real clients send `Content-Type: application/json` with no body on body-less POSTs (attach
    // a source, attach a tax identifier); both providers accept that, so an empty body is no body.
    const parseJson = this.app.getDefaultJsonParser('error', 'error');
    this.app.removeContentTypeParser('application/json');
    this.app.addContentTypeParser('application/json', { parseAs: 'string' }, (req, body, done) => {
      const text = body.toString();
      if (text.trim() === '') return done(null, undefined);
      return parseJson(req, text, done);
    });
    this.app.setNotFoundHandler((req, reply) => {
      this.send(reply, profile.errorResponse(404, `No route for ${req.method} ${req.url}`));
    });
    this.app.setErrorHandler((error: { statusCode?: number; message: string }, _req, reply) => {
      // Framework-level failures (malformed JSON, wrong content type, body too large) in the
      // provider's error shape, so clients parse every error the same way.
      const status = error.statusCode !== undefined && error.statusCode >= 400 ? error.statusCode : 500;
      this.send(reply, profile.errorResponse(status, error.message));
    });
  }

  /** Registers a provider route. `path` is relative to the base path; the route key is `METHOD path`. */
  route(methods: Method | Method[], path: string, handler: RouteHandler<P>): void {
    const list = Array.isArray(methods) ? methods : [methods];
    for (const method of list) {
      const routeKey = `${method} ${path}`;
      this.app.route({
        method,
        url: this.basePath + path,
        handler: (req, reply) => this.dispatch(routeKey, req, reply, handler),
      });
    }
  }

  /** Registers an admin route: no faults, no auth, no rate limit, not counted in stats. */
  adminRoute(method: Method, path: string, handler: (request: SandboxRequest) => SandboxResponse): void {
    this.app.route({
      method,
      url: `/__admin${path}`,
      handler: (req, reply) => {
        this.send(
          reply,
          runHandler(() => handler(toSandboxRequest(req))),
        );
      },
    });
  }

  stats(): SandboxStats {
    return structuredClone(this.statsState);
  }

  resetStats(): void {
    this.statsState = { requests: 0, byRoute: {}, faults: {}, inFlight: 0 };
  }

  async listen(options: SandboxOptions): Promise<string> {
    await this.app.listen({ host: options.host ?? '127.0.0.1', port: options.port ?? 0 });
    const address = this.app.server.address() as AddressInfo;
    const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
    return `http://${host}:${address.port}`;
  }

  async close(): Promise<void> {
    await this.app.close();
  }

  private async dispatch(
    routeKey: string,
    req: FastifyRequest,
    reply: FastifyReply,
    handler: RouteHandler<P>,
  ): Promise<void> {
    const stats = this.statsState;
    stats.requests++;
    stats.byRoute[routeKey] = (stats.byRoute[routeKey] ?? 0) + 1;
    stats.inFlight++;
    try {
      await this.handle(routeKey, req, reply, handler);
    } finally {
      // The stats it was counted in: a reset meanwhile started new ones from zero.
      stats.inFlight--;
    }
  }

  private async handle(
    routeKey: string,
    req: FastifyRequest,
    reply: FastifyReply,
    handler: RouteHandler<P>,
  ): Promise<void> {
    const decision = this.faults.decide(routeKey);
    if (decision && (await this.applyPreFaults(decision, req, reply))) return;

    const request = toSandboxRequest(req);
    const auth = this.profile.authenticate(request);
    if (!auth.ok) return this.send(reply, auth.response);

    const limit = this.profile.rateLimit(auth.principal);
    const outcome = this.limiter.take(limit.bucket, limit.perSecond);
    if (!outcome.allowed)
      return this.send(reply, this.profile.rateLimitedResponse(outcome.retryAfterSeconds));

    const response = runHandler(() => handler(request, auth.principal));
    if (decision?.commitThenFailStatus != null && response.status < 400) {
      // The write above is already applied; the client only learns that "something failed".
      this.countFault('commitThenFail');
      return this.send(
        reply,
        this.profile.errorResponse(
          decision.commitThenFailStatus,
          'Internal error (sandbox fault injection).',
        ),
      );
    }
    this.send(reply, response);
  }

  /** Returns true when the fault already decided the request's fate. */
  private async applyPreFaults(
    decision: FaultDecision,
    req: FastifyRequest,
    reply: FastifyReply,
  ): Promise<boolean> {
    if (decision.latencyMs > 0) {
      this.countFault('latency');
      await sleep(decision.latencyMs);
    }
    const action = decision.action;
    switch (action.kind) {
      case 'none':
        return false;
      case 'hang':
        // Never answer; the socket is released when the client gives up or the server closes.
        this.countFault('hang');
        reply.hijack();
        return true;
      case 'reset':
        this.countFault('reset');
        reply.hijack();
        req.raw.socket.resetAndDestroy();
        return true;
      case 'error':
        this.countFault('error');
        this.send(
          reply,
          this.profile.errorResponse(action.status, 'Internal error (sandbox fault injection).'),
        );
        return true;
      case 'rateLimited':
        this.countFault('rateLimited');
        this.send(reply, this.profile.rateLimitedResponse(action.retryAfterSeconds));
        return true;
    }
  }

  private countFault(kind: string): void {
    this.statsState.faults[kind] = (this.statsState.faults[kind] ?? 0) + 1;
  }

  private send(reply: FastifyReply, response: SandboxResponse): void {
    // Every answer goes through here (routes, 404s, framework errors), so common headers are added
    // here rather than in an onRequest hook, which would cost every request a hook invocation.
    const common = this.profile.commonHeaders?.();
    if (common) void reply.headers(common);
    void reply.code(response.status);
    if (response.headers) void reply.headers(response.headers);
    if (response.body === undefined) {
      void reply.send();
    } else {
      // Serialize ourselves: fastify would send a bare string as text/plain, but every provider
      // body (including 2CO's bare numeric create result) is JSON.
      void reply.type('application/json; charset=utf-8').send(JSON.stringify(response.body));
    }
  }
}

function runHandler(fn: () => SandboxResponse): SandboxResponse {
  try {
    return fn();
  } catch (error) {
    if (error instanceof SandboxHttpError) return error.response;
    throw error;
  }
}

function toSandboxRequest(req: FastifyRequest): SandboxRequest {
  return {
    method: req.method,
    params: req.params as Record<string, string>,
    query: req.query as Record<string, string | string[]>,
    headers: req.headers,
    body: req.body,
  };
}
