import { type IncomingMessage, type ServerResponse } from 'node:http';

import {
  type Attributes,
  context,
  createContextKey,
  propagation,
  type Span,
  type SpanContext,
  SpanKind,
  SpanStatusCode,
  trace,
  type Tracer,
} from '@opentelemetry/api';
import {
  ATTR_ERROR_TYPE,
  ATTR_HTTP_REQUEST_METHOD,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_HTTP_ROUTE,
  ATTR_SERVER_ADDRESS,
  ATTR_SERVER_PORT,
  ATTR_URL_SCHEME,
} from '@opentelemetry/semantic-conventions';

/**
 * The hooks the gateway's code calls at its edges (an incoming request, a provider call, an
 * outbox delivery, a statement, an outgoing webhook). They use only @opentelemetry/api: with
 * tracing off (the default) `tracer` is undefined and each hook calls straight through, so the
 * disabled path costs a variable read, not a no-op span.
 *
 * No span carries personal data or a secret: paths are templates, SQL is the parameterised text
 * (never its values), and customers are named by their id.
 */
let tracer: Tracer | undefined;

/** Set by startTelemetry when spans are recorded; cleared by its shutdown. */
export function setTracer(active: Tracer | undefined): void {
  tracer = active;
}

/** Whether spans are being recorded (a configured exporter, or a test's processor). */
export function tracingActive(): boolean {
  return tracer !== undefined;
}

/** Span attributes of our own, beside the semantic conventions' (https://opentelemetry.io/docs/specs/semconv/). */
export const ATTR = {
  customerId: 'customer_sync.customer.id',
  provider: 'customer_sync.provider',
  account: 'customer_sync.account',
  intent: 'customer_sync.delivery.intent',
  attempt: 'customer_sync.delivery.attempt',
  linkId: 'customer_sync.link.id',
  outcome: 'customer_sync.delivery.outcome',
} as const;

const CUSTOMER = createContextKey('customer_sync.customer_id');

/** Runs `work` as the span `name`, ending it with an error status when `work` throws. */
async function inSpan<T>(
  active: Tracer,
  name: string,
  kind: SpanKind,
  attributes: Attributes,
  work: (span: Span) => Promise<T>,
): Promise<T> {
  return active.startActiveSpan(name, { kind, attributes }, async (span) => {
    try {
      return await work(span);
    } catch (error) {
      span.setStatus({ code: SpanStatusCode.ERROR });
      span.setAttribute(ATTR_ERROR_TYPE, errorType(error));
      throw error;
    } finally {
      span.end();
    }
  });
}

/** A classified error's kind (ProviderError) or code (DomainError), else its class name: never its message. */
function errorType(error: unknown): string {
  const { kind, code } = (error ?? {}) as { kind?: unknown; code?: unknown };
  if (typeof kind === 'string') return kind;
  if (typeof code === 'string') return code;
  return error instanceof Error ? error.name : 'unknown';
}

/**
 * The W3C trace-context headers (`traceparent`, `tracestate`) for the span running now, for a
 * request this process sends; empty with tracing off.
 * https://www.w3.org/TR/trace-context/#traceparent-header
 */
export function traceHeaders(): Record<string, string> {
  if (tracer === undefined) return {};
  const headers: Record<string, string> = {};
  propagation.inject(context.active(), headers);
  return headers;
}

/**
 * Opens the SERVER span of an incoming request, as a child of the caller's
 * `traceparent` when it sends one, active for everything the request runs; ended when the answer
 * is sent (or the connection closes first). Only installed while tracing is on.
 */
export function traceIncomingRequests(
  req: IncomingMessage,
  res: ServerResponse,
  routeTemplate: () => string | undefined,
  next: () => void,
): void {
  if (tracer === undefined) return next();
  const parent = propagation.extract(context.active(), req.headers);
  const method = req.method ?? 'GET';
  const local = req.socket.localAddress;
  const span = tracer.startSpan(
    method,
    {
      kind: SpanKind.SERVER,
      attributes: {
        [ATTR_HTTP_REQUEST_METHOD]: method,
        [ATTR_URL_SCHEME]: 'http',
        ...(local === undefined ? {} : { [ATTR_SERVER_ADDRESS]: local }),
        ...(req.socket.localPort === undefined ? {} : { [ATTR_SERVER_PORT]: req.socket.localPort }),
      },
    },
    parent,
  );
  const end = () => {
    // The matched route (a template such as /v1/customers/:id), never the path with its ids and query.
    const route = routeTemplate();
    if (route !== undefined) {
      span.updateName(`${method} ${route}`);
      span.setAttribute(ATTR_HTTP_ROUTE, route);
    }
    span.setAttribute(ATTR_HTTP_RESPONSE_STATUS_CODE, res.statusCode);
    // A 4xx is the caller's fault, not the server's (https://opentelemetry.io/docs/specs/semconv/http/http-spans/#status).
    if (res.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
    if (!res.writableFinished) span.setAttribute(ATTR_ERROR_TYPE, 'connection_closed');
    span.end();
  };
  res.once('close', end);
  context.with(trace.setSpan(parent, span), next);
}

/** What a provider call is, for its span: never a body, a header or an id in the path. */
export interface ProviderCallSpan {
  provider: string;
  account: string;
  method: string;
  /** The path with its identifiers replaced (pathTemplate). */
  pathTemplate: string;
  baseUrl: string;
}

/**
 * One attempt of a provider call on the wire, as a CLIENT span; the request sent inside `send`
 * carries its `traceparent` (traceHeaders). A non-2xx answer arrives as the thrown ProviderError.
 */
export function traceProviderCall<T extends { status: number }>(
  call: ProviderCallSpan,
  send: () => Promise<T>,
): Promise<T> {
  if (tracer === undefined) return send();
  const url = new URL(call.baseUrl);
  return inSpan(
    tracer,
    `${call.method} ${call.pathTemplate}`,
    SpanKind.CLIENT,
    {
      [ATTR_HTTP_REQUEST_METHOD]: call.method,
      [ATTR_SERVER_ADDRESS]: url.hostname,
      [ATTR_SERVER_PORT]: Number(url.port || (url.protocol === 'https:' ? 443 : 80)),
      'url.template': call.pathTemplate,
      [ATTR.provider]: call.provider,
      [ATTR.account]: call.account,
    },
    async (span) => {
      try {
        const response = await send();
        span.setAttribute(ATTR_HTTP_RESPONSE_STATUS_CODE, response.status);
        return response;
      } catch (error) {
        const status = (error as { status?: unknown }).status;
        if (typeof status === 'number') span.setAttribute(ATTR_HTTP_RESPONSE_STATUS_CODE, status);
        throw error;
      }
    },
  );
}

/**
 * The trace of the latest write of each customer this process served, so that a delivery the
 * background worker makes for it later (the write did not wait, its wait ran out, a retry) joins
 * that trace. In memory and bounded: a delivery made by another instance, or after a restart,
 * starts a trace of its own, which names the customer.
 */
const writeTraces = new Map<string, SpanContext>();
const REMEMBERED_WRITES = 10_000;

/** Called where a write hands its customer's links to the sync engine, inside the write's span. */
export function rememberWriteTrace(customerId: string): void {
  if (tracer === undefined) return;
  const span = trace.getSpanContext(context.active());
  if (span === undefined || !trace.isSpanContextValid(span)) return;
  // Re-inserted, so the map's order is that of the latest writes and the oldest goes first.
  writeTraces.delete(customerId);
  writeTraces.set(customerId, span);
  if (writeTraces.size > REMEMBERED_WRITES) writeTraces.delete(writeTraces.keys().next().value!);
}

/** The link an outbox delivery is for. */
export interface DeliverySpan {
  id: string;
  customerId: string;
  provider: string;
  account: string;
  intent: string;
  attempts: number;
}

/**
 * One delivery of one outbox link (the provider calls that settle it and the settle), as an
 * INTERNAL span: under the request that delivers its own links, else (the background worker) under
 * the latest write of the customer this process remembers (rememberWriteTrace), else the root of a
 * trace of its own. A child may outlive its parent: the write's span has ended by then
 * (https://opentelemetry.io/docs/specs/otel/overview/#spans). The customer's id stays in the
 * context for the log lines written meanwhile (logFields), with tracing on or off.
 */
export function traceDelivery<T>(link: DeliverySpan, deliver: () => Promise<T>): Promise<T> {
  const active = context.active().setValue(CUSTOMER, link.customerId);
  if (tracer === undefined) return context.with(active, deliver);
  const write = trace.getSpanContext(active) === undefined ? writeTraces.get(link.customerId) : undefined;
  return context.with(write === undefined ? active : trace.setSpanContext(active, write), () =>
    inSpan(
      tracer!,
      `deliver ${link.intent} ${link.provider}`,
      SpanKind.INTERNAL,
      {
        [ATTR.customerId]: link.customerId,
        [ATTR.provider]: link.provider,
        [ATTR.account]: link.account,
        [ATTR.intent]: link.intent,
        [ATTR.attempt]: link.attempts,
        [ATTR.linkId]: link.id,
      },
      async (span) => {
        const delivered = await deliver();
        // A delivery answers its outcome (a provider's failure is one, not a throw): `synced`,
        // `retry`, `failed`, … None when it did not settle (a lost lease, a stop).
        const outcome = (delivered as { outcome?: { kind?: unknown } } | undefined)?.outcome?.kind;
        if (typeof outcome === 'string') {
          span.setAttribute(ATTR.outcome, outcome);
          if (outcome === 'retry' || outcome === 'failed') span.setStatus({ code: SpanStatusCode.ERROR });
        }
        return delivered;
      },
    ),
  );
}

/**
 * A statement sent straight to PostgreSQL (the pool beside Prisma, which Prisma's instrumentation
 * cannot see), as a CLIENT span named by its first keyword (`WITH` for a CTE); its text is
 * parameterised, so no value reaches the span.
 * https://opentelemetry.io/docs/specs/semconv/database/database-spans/
 */
export function traceStatement<T>(text: string, run: () => Promise<T>): Promise<T> {
  if (tracer === undefined) return run();
  const keyword = /^\s*([a-z]+)/i.exec(text)?.[1]?.toUpperCase() ?? 'SQL';
  return inSpan(
    tracer,
    keyword,
    SpanKind.CLIENT,
    { 'db.system.name': 'postgresql', 'db.query.text': text },
    run,
  );
}

/** What an outgoing webhook delivery is, for its span: never its URL (it may hold a token) nor its body. */
export interface WebhookDeliverySpan {
  endpointId: string;
  eventType: string;
  customerId: string | null;
}

/**
 * An outgoing webhook delivery: a CLIENT span (an error unless its `outcome` is `delivered`), the root of a trace of its own (it runs in the
 * background, maybe hours after the write), whose `traceparent` the POST carries (traceHeaders).
 * It links to the latest write of its customer this process remembers, which is most often the
 * write the event tells of (https://opentelemetry.io/docs/specs/otel/overview/#links-between-spans).
 */
export function traceWebhookDelivery<T extends { outcome: string; statusCode?: number }>(
  delivery: WebhookDeliverySpan,
  post: () => Promise<T>,
): Promise<T> {
  const customerId = delivery.customerId ?? undefined;
  const active =
    customerId === undefined ? context.active() : context.active().setValue(CUSTOMER, customerId);
  if (tracer === undefined) return context.with(active, post);
  const write = customerId === undefined ? undefined : writeTraces.get(customerId);
  const span = tracer.startSpan(
    `POST webhook ${delivery.eventType}`,
    {
      kind: SpanKind.CLIENT,
      root: true,
      attributes: {
        [ATTR_HTTP_REQUEST_METHOD]: 'POST',
        'customer_sync.webhook.endpoint_id': delivery.endpointId,
        'customer_sync.event.type': delivery.eventType,
        ...(customerId === undefined ? {} : { [ATTR.customerId]: customerId }),
      },
      ...(write === undefined ? {} : { links: [{ context: write }] }),
    },
    active,
  );
  return context.with(trace.setSpan(active, span), async () => {
    try {
      const result = await post();
      if (result.statusCode !== undefined)
        span.setAttribute(ATTR_HTTP_RESPONSE_STATUS_CODE, result.statusCode);
      if (result.outcome !== 'delivered') {
        span.setStatus({ code: SpanStatusCode.ERROR });
        span.setAttribute(ATTR_ERROR_TYPE, result.outcome);
      }
      return result;
    } catch (error) {
      span.setStatus({ code: SpanStatusCode.ERROR });
      span.setAttribute(ATTR_ERROR_TYPE, errorType(error));
      throw error;
    } finally {
      span.end();
    }
  });
}

/**
 * What a log line written now should name: the customer being delivered and the active span's
 * trace and span ids (https://opentelemetry.io/docs/specs/otel/compatibility/logging_trace_context/),
 * each only where known. Read by the logger's mixin on every line, so it stays cheap.
 */
export function logFields(): { customerId?: string; traceId?: string; spanId?: string } {
  const active = context.active();
  const customerId = active.getValue(CUSTOMER) as string | undefined;
  const span = trace.getSpanContext(active);
  if (span === undefined || !trace.isSpanContextValid(span)) {
    return customerId === undefined ? {} : { customerId };
  }
  return {
    ...(customerId === undefined ? {} : { customerId }),
    traceId: span.traceId,
    spanId: span.spanId,
  };
}
