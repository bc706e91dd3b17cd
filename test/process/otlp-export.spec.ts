import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { type AddressInfo } from 'node:net';

import { eventually } from '../support/eventually';
import { johnSmith, KEYS } from '../support/gateway';
import { createTestSchema, killAllGateways, spawnGateway, type TestSchema } from '../support/processes';

/**
 * The built gateway configured as an operator would, through the standard OTEL_* variables only:
 * its spans reach an OTLP/HTTP collector (a loopback server here) as OTLP JSON
 * (https://opentelemetry.io/docs/specs/otlp/#json-protobuf-encoding), and a graceful stop exports
 * what is still buffered.
 */

interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
}
interface OtlpExport {
  resourceSpans: {
    resource: { attributes: { key: string; value: { stringValue?: string } }[] };
    scopeSpans: { spans: OtlpSpan[] }[];
  }[];
}

describe('OTLP export', () => {
  let db: TestSchema;
  let collector: Server;
  const exports: { path: string; contentType: string | undefined; body: OtlpExport }[] = [];

  beforeAll(async () => {
    db = await createTestSchema();
    collector = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        exports.push({
          path: req.url ?? '',
          contentType: req.headers['content-type'],
          body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as OtlpExport,
        });
        res.writeHead(200, { 'Content-Type': 'application/json' }).end('{}');
      });
    });
    await new Promise<void>((resolve) => collector.listen(0, '127.0.0.1', resolve));
  });
  afterAll(async () => {
    await killAllGateways();
    collector.closeAllConnections();
    await new Promise((resolve) => collector.close(resolve));
    await db?.drop();
  });

  it('sends one trace from the caller through the SQL and both providers, flushed on stop; logs name it', async () => {
    const gateway = await spawnGateway({
      ...db.env,
      OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${(collector.address() as AddressInfo).port}`,
      OTEL_SERVICE_NAME: 'otlp-export-test',
      // Nothing is exported on a timer within the test: only the stop's flush can deliver the spans.
      OTEL_BSP_SCHEDULE_DELAY: '600000',
    });
    // The banner is a JSON line here (stdout is a pipe), naming the exporter.
    expect(gateway.output()).toContain('"tracing":"otlp"');
    const traceId = randomBytes(16).toString('hex');
    const callerSpanId = randomBytes(8).toString('hex');
    // Every 2Checkout call fails from here: the delivery retries in the background after the request.
    const twoCheckout = /2Checkout (http:\/\/127\.0\.0\.1:\d+)/.exec(gateway.output())![1]!;
    const faults = await fetch(`${twoCheckout}/__admin/faults`, {
      method: 'PUT',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ '*': { errorRate: 1, errorStatus: 503 } }),
    });
    expect(faults.status).toBe(200);
    const res = await fetch(`${gateway.url}/v1/customers`, {
      method: 'POST',
      headers: {
        Authorization: `Bearer ${KEYS.admin}`,
        'Content-Type': 'application/json',
        traceparent: `00-${traceId}-${callerSpanId}-01`,
      },
      body: JSON.stringify(johnSmith({ externalReference: 'otlp-1' })),
    });
    expect(res.status).toBe(201);
    const customerId = ((await res.json()) as { id: string }).id;

    // The failure lines, those of the background worker's retries included, name the customer and
    // the trace they belong to.
    const failureLines = () =>
      gateway
        .output()
        .split('\n')
        .filter((line) => line.startsWith('{') && line.includes('provider call failed'))
        .map((line) => JSON.parse(line) as Record<string, unknown>);
    const failures = await eventually('a failure line from a background retry', () => {
      const lines = failureLines();
      return Promise.resolve(lines.some((l) => l['requestId'] === undefined) ? lines : undefined);
    });
    for (const line of failures) {
      expect(line).toMatchObject({ provider: 'two-checkout', customerId, traceId });
      expect(line['spanId']).toMatch(/^[0-9a-f]{16}$/);
    }

    expect(await gateway.stop()).toEqual({ code: 0, signal: null });
    const batches = exports.filter((e) => e.path === '/v1/traces');
    expect(batches.length).toBeGreaterThan(0);
    expect(batches.every((e) => e.contentType === 'application/json')).toBe(true);
    const resources = batches.flatMap((e) => e.body.resourceSpans);
    const serviceNames = resources.map(
      (r) => r.resource.attributes.find((a) => a.key === 'service.name')?.value.stringValue,
    );
    expect(new Set(serviceNames)).toEqual(new Set(['otlp-export-test']));
    const spans = resources.flatMap((r) => r.scopeSpans.flatMap((s) => s.spans));
    const trace = spans.filter((s) => s.traceId === traceId);
    const request = trace.find((s) => s.name === 'POST /v1/customers');
    expect(request?.parentSpanId).toBe(callerSpanId);
    const names = trace.map((s) => s.name);
    expect(names).toEqual(
      expect.arrayContaining(['deliver sync digital-river', 'deliver sync two-checkout', 'POST /customers']),
    );
    // On PostgreSQL the create's own statements go straight to the pool (WITH … / INSERT …).
    expect(names.some((name) => /^(WITH|INSERT|SELECT|UPDATE)$/.test(name))).toBe(true);
  });
});
