import { randomBytes } from 'node:crypto';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { createServer, type IncomingMessage } from 'node:http';
import { type AddressInfo } from 'node:net';

import { SpanKind } from '@opentelemetry/api';
import { InMemorySpanExporter, type ReadableSpan, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { ATTR, startTelemetry, type Telemetry } from '@app/telemetry';
import request from 'supertest';

import { eventually } from '../support/eventually';
import {
  bearer,
  type GatewayWithSandboxes,
  johnSmith,
  KEYS,
  linkOf,
  startGatewayWithSandboxes,
} from '../support/gateway';

/**
 * Distributed tracing end to end: the gateway on loopback, both provider sandboxes in this process,
 * spans in an InMemorySpanExporter. Every request the sandboxes receive is seen through Node's
 * `http.server.request.start` diagnostics channel (https://nodejs.org/api/diagnostics_channel.html#http),
 * headers included, so what the gateway put on the wire is checked, not what it meant to.
 */
const PROVIDERS = ['digital-river', 'two-checkout'] as const;

interface Received {
  port: number;
  method: string;
  path: string;
  traceparent: string | undefined;
}

const received: Received[] = [];
const onRequest = (message: unknown) => {
  const req = (message as { request: IncomingMessage }).request;
  const header = req.headers.traceparent;
  received.push({
    port: req.socket.localPort ?? 0,
    method: req.method ?? '',
    path: req.url ?? '',
    traceparent: typeof header === 'string' ? header : undefined,
  });
};
beforeAll(() => subscribe('http.server.request.start', onRequest));
afterAll(() => unsubscribe('http.server.request.start', onRequest));

/** A caller's W3C traceparent (https://www.w3.org/TR/trace-context/#traceparent-header), sampled. */
function callerTrace() {
  const traceId = randomBytes(16).toString('hex');
  const spanId = randomBytes(8).toString('hex');
  return { traceId, spanId, traceparent: `00-${traceId}-${spanId}-01` };
}

const portOf = (url: string) => Number(new URL(url).port);
const sandboxRequests = (gateway: GatewayWithSandboxes, provider: (typeof PROVIDERS)[number]) =>
  received.filter((r) => r.port === portOf(gateway.sandboxes[provider].url));

async function create(gateway: GatewayWithSandboxes, externalReference: string, traceparent: string) {
  return request(gateway.url)
    .post('/v1/customers')
    .set(bearer(KEYS.writer))
    .set('traceparent', traceparent)
    .send(johnSmith({ externalReference }));
}

describe('tracing off (the default)', () => {
  let gateway: GatewayWithSandboxes;
  beforeAll(async () => {
    gateway = await startGatewayWithSandboxes();
  });
  afterAll(() => gateway.close());

  it('sends no traceparent to the providers, even when the caller sent one', async () => {
    received.length = 0;
    const res = await create(gateway, 'trace-off-1', callerTrace().traceparent);
    expect(res.status).toBe(201);
    for (const provider of PROVIDERS) {
      expect(linkOf(res.body, provider).status).toBe('synced');
      const calls = sandboxRequests(gateway, provider);
      expect(calls.length).toBeGreaterThan(0);
      expect(calls.map((c) => c.traceparent)).toEqual(calls.map(() => undefined));
    }
  });
});

describe('tracing on', () => {
  const exporter = new InMemorySpanExporter();
  let telemetry: Telemetry;
  let gateway: GatewayWithSandboxes;

  beforeAll(async () => {
    telemetry = await startTelemetry({
      exporter: 'none',
      serviceName: 'tracing-test',
      spanProcessors: [new SimpleSpanProcessor(exporter)],
    });
    gateway = await startGatewayWithSandboxes();
  });
  afterAll(async () => {
    await gateway.close();
    await telemetry.shutdown();
  });
  beforeEach(() => {
    exporter.reset();
    received.length = 0;
  });

  const spansOf = (traceId: string) =>
    exporter.getFinishedSpans().filter((span) => span.spanContext().traceId === traceId);
  const parentOf = (span: ReadableSpan) => span.parentSpanContext?.spanId;
  /** Whether `ancestor` is `span`'s parent, its parent's parent, and so on within `spans`. */
  const descendsFrom = (span: ReadableSpan, ancestor: ReadableSpan, spans: readonly ReadableSpan[]) => {
    const byId = new Map(spans.map((s) => [s.spanContext().spanId, s]));
    for (let parent = parentOf(span); parent !== undefined; parent = parentOf(byId.get(parent)!)) {
      if (parent === ancestor.spanContext().spanId) return true;
      if (!byId.has(parent)) return false;
    }
    return false;
  };

  it('links the caller, the request, its SQL and both provider calls in one trace', async () => {
    const caller = callerTrace();
    const res = await create(gateway, 'trace-on-1', caller.traceparent);
    expect(res.status).toBe(201);
    for (const provider of PROVIDERS) expect(linkOf(res.body, provider).status).toBe('synced');

    // The request's span ends once its answer is sent, which the client may see first.
    const spans = await eventually('the request span', () => {
      const all = spansOf(caller.traceId);
      return Promise.resolve(all.some((s) => s.kind === SpanKind.SERVER) ? all : undefined);
    });
    const server = spans.filter((s) => s.kind === SpanKind.SERVER);
    expect(server).toHaveLength(1);
    const requestSpan = server[0]!;
    expect(requestSpan.name).toBe('POST /v1/customers');
    expect(parentOf(requestSpan)).toBe(caller.spanId);
    expect(requestSpan.attributes['http.response.status_code']).toBe(201);

    // SQL: Prisma's statements (PGlite and PostgreSQL) and, on PostgreSQL, those sent beside it.
    const statements = spans.filter((s) => typeof s.attributes['db.query.text'] === 'string');
    expect(statements.length).toBeGreaterThan(0);
    expect(statements.every((s) => descendsFrom(s, requestSpan, spans))).toBe(true);
    // Parameterised text only: the customer's data never reaches a span.
    expect(JSON.stringify(spans.map((s) => s.attributes))).not.toContain('jsmith@digitalriver.com');

    for (const provider of PROVIDERS) {
      const calls = spans.filter(
        (s) => s.kind === SpanKind.CLIENT && s.attributes[ATTR.provider] === provider,
      );
      expect(calls.length).toBeGreaterThan(0);
      const delivery = spans.find(
        (s) => s.name.startsWith('deliver ') && s.attributes[ATTR.provider] === provider,
      );
      expect(delivery?.attributes[ATTR.customerId]).toBe(res.body.id);
      for (const call of calls) {
        expect(descendsFrom(call, delivery!, spans)).toBe(true);
        expect(descendsFrom(call, requestSpan, spans)).toBe(true);
      }
      // What the sandbox received names this trace, with the call's own span as its parent.
      const wire = sandboxRequests(gateway, provider);
      expect(wire.length).toBe(calls.length);
      const callIds = calls.map((c) => c.spanContext().spanId);
      for (const { traceparent } of wire) {
        const [version, traceId, parentId, flags] = (traceparent ?? '').split('-');
        expect({ version, traceId, flags }).toEqual({ version: '00', traceId: caller.traceId, flags: '01' });
        expect(callIds).toContain(parentId);
      }
    }
  });

  it("puts the background worker's deliveries in the trace of the write that queued them", async () => {
    // SYNC_WAIT_MS=0: the request answers at once with its links pending; the worker delivers them.
    const background = await startGatewayWithSandboxes({ SYNC_WAIT_MS: '0' });
    try {
      exporter.reset();
      received.length = 0;
      const caller = callerTrace();
      const res = await create(background, 'trace-background-1', caller.traceparent);
      expect(res.status).toBe(201);
      for (const provider of PROVIDERS) expect(linkOf(res.body, provider).status).toBe('pending');
      const spans = await eventually('both deliveries', () => {
        const all = spansOf(caller.traceId);
        const deliveries = all.filter((s) => s.name.startsWith('deliver '));
        return Promise.resolve(deliveries.length === PROVIDERS.length ? all : undefined);
      });
      const requestSpan = spans.find((s) => s.kind === SpanKind.SERVER)!;
      expect(parentOf(requestSpan)).toBe(caller.spanId);
      for (const provider of PROVIDERS) {
        const delivery = spans.find(
          (s) => s.name.startsWith('deliver ') && s.attributes[ATTR.provider] === provider,
        )!;
        // A child of the write's request, started after that request answered.
        expect(parentOf(delivery)).toBe(requestSpan.spanContext().spanId);
        expect(delivery.attributes[ATTR.customerId]).toBe(res.body.id);
        const calls = spans.filter(
          (s) => s.kind === SpanKind.CLIENT && s.attributes[ATTR.provider] === provider,
        );
        expect(calls.length).toBeGreaterThan(0);
        for (const call of calls) expect(descendsFrom(call, delivery, spans)).toBe(true);
        const wire = sandboxRequests(background, provider).map((r) => r.traceparent?.split('-')[1]);
        expect(wire).toEqual(calls.map(() => caller.traceId));
      }
    } finally {
      await background.close();
    }
  });

  it('sends a webhook receiver the traceparent of its delivery, linked to the write', async () => {
    const receiver = createServer((req, res) => req.resume().on('end', () => res.writeHead(204).end()));
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    const port = (receiver.address() as AddressInfo).port;
    try {
      const endpoint = await request(gateway.url)
        .post('/v1/webhook-endpoints')
        .set(bearer(KEYS.admin))
        .send({ url: `http://127.0.0.1:${port}/hooks`, eventTypes: ['customer.created'] });
      expect(endpoint.status).toBe(201);
      exporter.reset();
      received.length = 0;
      const caller = callerTrace();
      const res = await create(gateway, 'trace-webhook-1', caller.traceparent);
      expect(res.status).toBe(201);
      const delivery = await eventually('the webhook delivery span', () =>
        Promise.resolve(exporter.getFinishedSpans().find((s) => s.name === 'POST webhook customer.created')),
      );
      expect(delivery.kind).toBe(SpanKind.CLIENT);
      expect(delivery.attributes[ATTR.customerId]).toBe(res.body.id);
      expect(delivery.attributes['http.response.status_code']).toBe(204);
      // A trace of its own, linked to the write's.
      expect(delivery.spanContext().traceId).not.toBe(caller.traceId);
      expect(delivery.links.map((link) => link.context.traceId)).toEqual([caller.traceId]);
      const wire = received.filter((r) => r.port === port);
      expect(wire).toHaveLength(1);
      const context = delivery.spanContext();
      expect(wire[0]!.traceparent).toBe(`00-${context.traceId}-${context.spanId}-01`);
    } finally {
      receiver.closeAllConnections();
      await new Promise((resolve) => receiver.close(resolve));
    }
  });

  it('starts a trace of its own for a request without a traceparent', async () => {
    const res = await request(gateway.url)
      .post('/v1/customers')
      .set(bearer(KEYS.writer))
      .send(johnSmith({ externalReference: 'trace-on-2' }));
    expect(res.status).toBe(201);
    const requestSpan = await eventually('the request span', () =>
      Promise.resolve(exporter.getFinishedSpans().find((s) => s.kind === SpanKind.SERVER)),
    );
    expect(parentOf(requestSpan)).toBeUndefined();
    const traced = sandboxRequests(gateway, 'digital-river').map((r) => r.traceparent?.split('-')[1]);
    expect(traced.length).toBeGreaterThan(0);
    expect(traced).toEqual(traced.map(() => requestSpan.spanContext().traceId));
  });
});
