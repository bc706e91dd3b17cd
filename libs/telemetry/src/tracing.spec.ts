import { context, propagation, SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';

import { startTelemetry } from './telemetry';
import {
  logFields,
  traceDelivery,
  traceHeaders,
  traceProviderCall,
  traceStatement,
  tracingActive,
} from './tracing';

const link = {
  id: 'lnk_1',
  customerId: 'cus_1',
  provider: 'digital-river',
  account: 'sandbox',
  intent: 'sync',
  attempts: 2,
};
const call = {
  provider: 'digital-river',
  account: 'sandbox',
  method: 'GET',
  pathTemplate: '/customers/{id}',
  baseUrl: 'http://127.0.0.1:4010/',
};

describe('tracing off (no exporter)', () => {
  it('records nothing and propagates nothing, yet names the customer on log lines', async () => {
    const telemetry = await startTelemetry({ exporter: 'none', serviceName: 'test' });
    try {
      expect(telemetry.tracing).toBe(false);
      expect(tracingActive()).toBe(false);
      const inside = await traceDelivery(link, () =>
        traceProviderCall(call, () =>
          Promise.resolve({ status: 200, headers: traceHeaders(), log: logFields() }),
        ),
      );
      expect(inside.headers).toEqual({});
      expect(inside.log).toEqual({ customerId: 'cus_1' });
      expect(logFields()).toEqual({});
    } finally {
      await telemetry.shutdown();
    }
  });
});

describe('tracing on', () => {
  const exporter = new InMemorySpanExporter();
  let shutdown: () => Promise<void>;
  beforeAll(async () => {
    const telemetry = await startTelemetry({
      exporter: 'none',
      serviceName: 'test',
      spanProcessors: [new SimpleSpanProcessor(exporter)],
    });
    shutdown = () => telemetry.shutdown();
  });
  afterAll(() => shutdown());
  beforeEach(() => exporter.reset());

  it("sends the attempt span as the provider request's parent, under the delivery", async () => {
    const headers = await traceDelivery(link, () =>
      traceProviderCall(call, () => Promise.resolve({ status: 200, headers: traceHeaders() })),
    );
    const [attempt, delivery] = exporter.getFinishedSpans();
    expect(attempt!.name).toBe('GET /customers/{id}');
    expect(attempt!.kind).toBe(SpanKind.CLIENT);
    expect(attempt!.attributes).toMatchObject({
      'http.request.method': 'GET',
      'http.response.status_code': 200,
      'server.address': '127.0.0.1',
      'server.port': 4010,
      'customer_sync.provider': 'digital-river',
    });
    expect(attempt!.parentSpanContext?.spanId).toBe(delivery!.spanContext().spanId);
    expect(delivery!.name).toBe('deliver sync digital-river');
    expect(delivery!.attributes).toMatchObject({
      'customer_sync.customer.id': 'cus_1',
      'customer_sync.delivery.attempt': 2,
    });
    const { traceId, spanId } = attempt!.spanContext();
    expect(headers.headers).toEqual({ traceparent: `00-${traceId}-${spanId}-01` });
  });

  it("forwards the caller's trace context to a provider, never the caller's baggage", async () => {
    const incoming = propagation.extract(context.active(), {
      traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
      tracestate: 'vendor=opaque',
      baggage: 'user.email=jsmith%40example.com',
    });
    const headers = await context.with(incoming, () =>
      traceProviderCall(call, () => Promise.resolve({ status: 200, headers: traceHeaders() })),
    );
    expect(headers.headers).toEqual({
      traceparent: expect.stringMatching(/^00-0af7651916cd43dd8448eb211c80319c-[0-9a-f]{16}-01$/),
      tracestate: 'vendor=opaque',
    });
  });

  it("records a delivery's outcome, a retry or a failure as an error", async () => {
    await traceDelivery(link, () => Promise.resolve({ outcome: { kind: 'retry' } }));
    await traceDelivery(link, () => Promise.resolve({ outcome: { kind: 'synced' } }));
    const [retry, synced] = exporter.getFinishedSpans();
    expect(retry!.attributes['customer_sync.delivery.outcome']).toBe('retry');
    expect(retry!.status.code).toBe(SpanStatusCode.ERROR);
    expect(synced!.attributes['customer_sync.delivery.outcome']).toBe('synced');
    expect(synced!.status.code).toBe(SpanStatusCode.UNSET);
  });

  it('marks a failed call with its kind and status, never its message', async () => {
    const failure = Object.assign(
      new Error('digital-river GET /customers/x failed: 503 (jsmith@example.com)'),
      {
        kind: 'unavailable',
        status: 503,
      },
    );
    await expect(traceProviderCall(call, () => Promise.reject(failure))).rejects.toBe(failure);
    const [span] = exporter.getFinishedSpans();
    expect(span!.status.code).toBe(SpanStatusCode.ERROR);
    expect(span!.status.message).toBeUndefined();
    expect(span!.attributes).toMatchObject({ 'error.type': 'unavailable', 'http.response.status_code': 503 });
    expect(JSON.stringify(span!.attributes)).not.toContain('jsmith');
  });

  it('names a statement by its first keyword and keeps its parameterised text only', async () => {
    await traceStatement('  with claimed as (select 1) update provider_links set attempts = $1', () =>
      Promise.resolve([]),
    );
    const [span] = exporter.getFinishedSpans();
    expect(span!.name).toBe('WITH');
    expect(span!.attributes).toEqual({
      'db.system.name': 'postgresql',
      'db.query.text': '  with claimed as (select 1) update provider_links set attempts = $1',
    });
  });
});
