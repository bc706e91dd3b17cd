import { context, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { type SpanProcessor } from '@opentelemetry/sdk-trace-base';

import { setTracer } from './tracing';

/** Where spans go: OTLP over HTTP, the process's stdout (debugging), or nowhere. */
export type TracesExporter = 'otlp' | 'console' | 'none';

export interface TelemetryOptions {
  /** `none` records no spans (unless `spanProcessors` are given) and propagates no trace context. */
  exporter: TracesExporter;
  /** `service.name` unless OTEL_SERVICE_NAME or OTEL_RESOURCE_ATTRIBUTES name another. */
  serviceName: string;
  /** Tests: spans go to these (an InMemorySpanExporter's processor) instead of the exporter. */
  spanProcessors?: SpanProcessor[];
}

export interface Telemetry {
  /** Whether spans are recorded. */
  readonly tracing: boolean;
  /** Exports the spans still buffered and stops recording. */
  shutdown(): Promise<void>;
}

export const TRACER_NAME = 'customer-sync-gateway';

/**
 * Starts OpenTelemetry for this process, before anything it traces runs. Always installs the
 * AsyncLocalStorage context manager, which carries the customer a delivery is for to its log lines
 * (logFields). With an exporter (or a test's processors) it also registers a tracer provider, the
 * W3C trace-context propagator and Prisma's instrumentation; the SDK's own modules load only then,
 * so the default costs neither their start-up nor a span per operation.
 *
 * The SDK reads the standard variables itself
 * (https://opentelemetry.io/docs/specs/otel/configuration/sdk-environment-variables/):
 * OTEL_EXPORTER_OTLP_[TRACES_]ENDPOINT, _HEADERS, _TIMEOUT, OTEL_TRACES_SAMPLER[_ARG], OTEL_BSP_*,
 * OTEL_RESOURCE_ATTRIBUTES and OTEL_SERVICE_NAME.
 */
export async function startTelemetry(options: TelemetryOptions): Promise<Telemetry> {
  const contextManager = new AsyncLocalStorageContextManager().enable();
  context.setGlobalContextManager(contextManager);
  const processors = options.spanProcessors ?? (await exporterProcessors(options.exporter));
  if (processors.length === 0) {
    return {
      tracing: false,
      shutdown: () => {
        context.disable();
        return Promise.resolve();
      },
    };
  }

  const [
    { NodeTracerProvider },
    { W3CTraceContextPropagator },
    resources,
    { ATTR_SERVICE_NAME },
    { PrismaInstrumentation },
  ] = await Promise.all([
    import('@opentelemetry/sdk-trace-node'),
    import('@opentelemetry/core'),
    import('@opentelemetry/resources'),
    import('@opentelemetry/semantic-conventions'),
    import('@prisma/instrumentation'),
  ]);
  // Later resources win: our default name, then what the environment says.
  const resource = resources
    .defaultResource()
    .merge(resources.resourceFromAttributes({ [ATTR_SERVICE_NAME]: options.serviceName }))
    .merge(resources.detectResources({ detectors: [resources.envDetector] }));
  const provider = new NodeTracerProvider({ resource, spanProcessors: processors });
  // The context manager is ours (above). Trace context only, not the SDK's default W3C baggage
  // as well: a caller's baggage would otherwise be forwarded to the payment providers.
  provider.register({ contextManager: null, propagator: new W3CTraceContextPropagator() });
  // Prisma's client reads the helper this installs on every query: `prisma:client:*` spans, one
  // `prisma:client:db_query` per statement, with both driver adapters (pg and PGlite).
  const prisma = new PrismaInstrumentation();
  prisma.setTracerProvider(provider);
  prisma.enable();
  setTracer(provider.getTracer(TRACER_NAME));
  return {
    tracing: true,
    shutdown: async () => {
      setTracer(undefined);
      prisma.disable();
      try {
        await provider.shutdown();
      } finally {
        trace.disable();
        propagation.disable();
        context.disable();
      }
    },
  };
}

async function exporterProcessors(exporter: TracesExporter): Promise<SpanProcessor[]> {
  if (exporter === 'none') return [];
  const { BatchSpanProcessor, ConsoleSpanExporter } = await import('@opentelemetry/sdk-trace-base');
  switch (exporter) {
    case 'console':
      return [new BatchSpanProcessor(new ConsoleSpanExporter())];
    case 'otlp': {
      const { OTLPTraceExporter } = await import('@opentelemetry/exporter-trace-otlp-http');
      return [new BatchSpanProcessor(new OTLPTraceExporter())];
    }
  }
}
