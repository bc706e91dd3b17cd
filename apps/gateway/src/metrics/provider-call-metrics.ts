import { Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { type ObservedProviderCall, observeProviderCalls } from '@app/domain';
import { Counter, Histogram } from 'prom-client';

import { MetricsRegistry } from './metrics.registry';

type Label = 'provider' | 'account' | 'operation' | 'outcome';

/** Seconds: the sandboxes answer in milliseconds, real providers in 0.1-2 s, timeouts at 10 s+. */
const PROVIDER_BUCKETS = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
/** Seconds: most calls are not held at all; one token of DR's test-key limit (25/s) is 40 ms. */
const HELD_BUCKETS = [0.001, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/**
 * Every provider call attempt (retries included), seen where the providers' HTTP transport
 * records it: counted and timed by provider, account, operation (`sync`, `delete`, `forget`,
 * `import`, `drift`, `migrate`, ...; `other` outside an audited one) and outcome (`ok` or the
 * error kind). The observer is per process: two gateways in one process (tests) count each
 * other's calls.
 */
@Injectable()
export class ProviderCallMetrics implements OnApplicationShutdown {
  private readonly calls: Counter<Label>;
  private readonly duration: Histogram<Label>;
  private readonly held: Histogram<Exclude<Label, 'outcome'>>;
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
    // Where a provider's tail comes from when its calls are fast: the account's client-side limit
    // (or the caller's share of the budget) holding calls back, which an operator may want raised.
    this.held = new Histogram({
      name: 'csg_provider_call_held_seconds',
      help: 'Time a provider HTTP call waited for the caller budget and the account client-side rate limit before it was sent, by provider, account and operation.',
      labelNames: ['provider', 'account', 'operation'] as const,
      buckets: HELD_BUCKETS,
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
    this.held.observe(
      { provider: call.provider, account: call.account, operation: call.operation },
      call.heldMs / 1000,
    );
  }
}
