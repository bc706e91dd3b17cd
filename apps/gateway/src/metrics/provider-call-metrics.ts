import { Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { type ObservedProviderCall, observeProviderCalls } from '@app/customer-domain';
import { Counter, Histogram } from 'prom-client';

import { MetricsRegistry } from './metrics.registry';

type Label = 'provider' | 'account' | 'operation' | 'outcome';

/** Seconds: the sandboxes answer in milliseconds, real providers in 0.1-2 s, timeouts at 10 s+. */
const PROVIDER_BUCKETS = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

/**
 * Every provider call attempt (retries included), seen where the providers' HTTP transport
 * records it: counted and timed by provider, account, operation (`sync`, `delete`, `forget`,
 * `import`, `drift`, `migrate`, ...) and outcome (`ok` or the error kind), and each failure logged
 * at warn so a fault is visible without a dashboard. The log line names the call (path template,
 * status, provider code and request id), never a body, a customer's data or a credential.
 */
@Injectable()
export class ProviderCallMetrics implements OnApplicationShutdown {
  private readonly logger = new Logger('ProviderCalls');
  private readonly calls: Counter<Label>;
  private readonly duration: Histogram<Label>;
  private readonly stopObserving: () => void;

  constructor(registry: MetricsRegistry) {
    const labelNames = ['provider', 'account', 'operation', 'outcome'] as const;
    this.calls = new Counter({
      name: 'csg_provider_calls_total',
      help: 'Provider HTTP calls (each attempt), by provider, account, operation and outcome.',
      labelNames,
      registers: [registry],
    });
    this.duration = new Histogram({
      name: 'csg_provider_call_duration_seconds',
      help: 'Time a provider HTTP call took, by provider, account, operation and outcome.',
      labelNames,
      buckets: PROVIDER_BUCKETS,
      registers: [registry],
    });
    this.stopObserving = observeProviderCalls((call) => this.observe(call));
  }

  onApplicationShutdown(): void {
    this.stopObserving();
  }

  private observe(call: ObservedProviderCall): void {
    const labels = {
      provider: call.provider,
      account: call.account,
      operation: call.operation,
      outcome: call.outcome,
    };
    this.calls.inc(labels);
    this.duration.observe(labels, call.durationMs / 1000);
    if (call.outcome === 'ok') return;
    // Within a request the line also carries its requestId and keyId (see http/logging.ts). A
    // 404 is how every read-before-create learns the customer is not there yet: not a fault.
    const level = call.outcome === 'not_found' ? 'debug' : 'warn';
    this.logger[level](
      {
        provider: call.provider,
        account: call.account,
        operation: call.operation,
        outcome: call.outcome,
        method: call.method,
        path: call.path,
        ...(call.httpStatus !== undefined ? { httpStatus: call.httpStatus } : {}),
        ...(call.providerCode !== undefined ? { providerCode: call.providerCode } : {}),
        ...(call.providerRequestId !== undefined ? { providerRequestId: call.providerRequestId } : {}),
        durationMs: call.durationMs,
      },
      'provider call failed',
    );
  }
}
