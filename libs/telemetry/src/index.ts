/**
 * Distributed tracing (OpenTelemetry): startTelemetry at a process's start, and the hooks its
 * edges call (an incoming request, a provider call, an outbox delivery, a statement, a webhook).
 */
export {
  startTelemetry,
  type Telemetry,
  type TelemetryOptions,
  type TracesExporter,
  TRACER_NAME,
} from './telemetry';
export {
  ATTR,
  logFields,
  rememberWriteTrace,
  traceDelivery,
  traceHeaders,
  traceIncomingRequests,
  traceProviderCall,
  traceStatement,
  traceWebhookDelivery,
  tracingActive,
} from './tracing';
