import { SpanKind, trace } from '@opentelemetry/api';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { createTestDatabase, type TestDatabase } from '@app/persistence';
import { startTelemetry, type Telemetry, TRACER_NAME } from '@app/telemetry';

import { Prisma } from '@app/persistence/testing';

/**
 * Every statement is a span, whichever driver adapter carries it: Prisma's client emits its own
 * (`prisma:client:db_query`, with @prisma/adapter-pg and pglite-prisma-adapter alike), and the
 * statements sent straight to the PostgreSQL pool beside Prisma get one from `traceStatement`.
 * Runs on PGlite, and on PostgreSQL with TEST_DATABASE_URL.
 */
describe('traced statements', () => {
  const exporter = new InMemorySpanExporter();
  let telemetry: Telemetry;
  let db: TestDatabase;

  beforeAll(async () => {
    telemetry = await startTelemetry({
      exporter: 'none',
      serviceName: 'statements-test',
      spanProcessors: [new SimpleSpanProcessor(exporter)],
    });
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await db?.close();
    await telemetry.shutdown();
  });
  beforeEach(() => exporter.reset());

  /** Runs `work` under a parent span and answers the spans it made, the parent last. */
  async function under(work: () => Promise<unknown>) {
    await trace.getTracer(TRACER_NAME).startActiveSpan('parent', async (parent) => {
      await work();
      parent.end();
    });
    const spans = exporter.getFinishedSpans();
    const parent = spans.find((s) => s.name === 'parent')!;
    const inTrace = spans.filter((s) => s.spanContext().traceId === parent.spanContext().traceId);
    return { parent, spans: inTrace };
  }

  it("has Prisma's client emit a span per statement through the driver adapter", async () => {
    const { parent, spans } = await under(() => db.prisma.customer.findMany({ where: { id: 'cus_none' } }));
    const statements = spans.filter((s) => s.name === 'prisma:client:db_query');
    expect(statements.length).toBeGreaterThan(0);
    for (const statement of statements) {
      expect(statement.kind).toBe(SpanKind.CLIENT);
      expect(statement.attributes['db.query.text']).toMatch(/SELECT/);
      // Parameterised: the value looked for is not in the text.
      expect(statement.attributes['db.query.text']).not.toContain('cus_none');
    }
    const operation = spans.find((s) => s.name === 'prisma:client:operation');
    expect(operation?.parentSpanContext?.spanId).toBe(parent.spanContext().spanId);
  });

  it('traces the statements sent beside Prisma too', async () => {
    const { parent, spans } = await under(() =>
      db.query(Prisma.sql`SELECT count(*) AS n FROM customers WHERE id = ${'cus_none'}`),
    );
    const statement = spans.find(
      (s) => s.kind === SpanKind.CLIENT && String(s.attributes['db.query.text']).includes('count(*)'),
    );
    expect(statement).toBeDefined();
    expect(statement!.attributes['db.query.text']).not.toContain('cus_none');
    // On PostgreSQL the pool's statement is a child of the caller's span; on PGlite it goes through Prisma.
    const ancestors = new Map(spans.map((s) => [s.spanContext().spanId, s.parentSpanContext?.spanId]));
    let up = statement!.parentSpanContext?.spanId;
    while (up !== undefined && up !== parent.spanContext().spanId) up = ancestors.get(up);
    expect(up).toBe(parent.spanContext().spanId);
    if (db.kind === 'postgres') expect(statement!.name).toBe('SELECT');
  });
});
