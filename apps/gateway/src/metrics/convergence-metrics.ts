import { Injectable } from '@nestjs/common';
import { type ConflictChoice, ConvergenceMetrics } from '@app/domain';
import { Histogram } from 'prom-client';

import { MetricsRegistry } from './metrics.registry';

/**
 * Seconds: a write within the request's wait converges in well under a second, one left to the
 * worker in seconds, a retried one in minutes; a 2CO edit waits for the next sweep (an hour by
 * default) before it is found.
 */
const CONVERGENCE_BUCKETS = [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 1800, 3600, 7200, 21600];

/**
 * How long the mirror and the providers take to agree again (issue 30): after a write, until
 * every link holds its version; after a change made at a provider, until the mirror took it
 * (`adopt`) or the copy was written back (`push`). Labels are provider ids and policy choices only.
 */
@Injectable()
export class PrometheusConvergenceMetrics extends ConvergenceMetrics {
  private readonly written: Histogram;
  private readonly providerChanges: Histogram<'provider' | 'resolution'>;

  constructor(registry: MetricsRegistry) {
    super();
    this.written = new Histogram({
      name: 'csg_write_convergence_seconds',
      help: "Time from a customer write's commit until every provider link was confirmed at its version.",
      buckets: CONVERGENCE_BUCKETS,
      registers: [registry],
    });
    this.providerChanges = new Histogram({
      name: 'csg_provider_change_convergence_seconds',
      help: 'Time from a change made at a provider (its event time, else its detection) until it was adopted into the mirror or pushed back, by provider and resolution.',
      labelNames: ['provider', 'resolution'],
      buckets: CONVERGENCE_BUCKETS,
      registers: [registry],
    });
  }

  writeConverged(seconds: number): void {
    this.written.observe(seconds);
  }

  providerChangeResolved(provider: string, choice: ConflictChoice, seconds: number): void {
    this.providerChanges.observe({ provider, resolution: choice }, seconds);
  }
}
