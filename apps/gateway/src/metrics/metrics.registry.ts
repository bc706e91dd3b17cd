import { Injectable, Logger } from '@nestjs/common';
import { collectDefaultMetrics, Gauge, Registry } from 'prom-client';

/**
 * The gateway's Prometheus registry: one per app rather than prom-client's global one, so two
 * gateways in one process (tests) never share or double-register metrics. Every family registers
 * itself here (`registers: [registry]`) from a provider of MetricsModule.
 */
@Injectable()
export class MetricsRegistry extends Registry {
  constructor() {
    super();
    // Process metrics (CPU, memory, event-loop lag, handles) under the usual names. The lag
    // histogram is sampled every 5 s rather than every 10 ms: prom-client's default wakes an idle
    // gateway a hundred times a second, and each wake-up costs an idle gateway more than the
    // samples are worth. A lag that lasts shows in them; `nodejs_eventloop_lag_seconds`, measured
    // at each scrape, and the request-duration histograms show the rest.
    collectDefaultMetrics({ register: this, eventLoopMonitoringPrecision: 5_000 });
  }
}

/** One sample of a gauge read at scrape time. */
export interface GaugeSample<Label extends string> {
  labels: Record<Label, string>;
  value: number;
}

const logger = new Logger('Metrics');

/**
 * A gauge whose samples are read (from the database) each time Prometheus scrapes, so it is
 * always current and costs nothing between scrapes. `read` answers every series that should
 * exist now; series it no longer answers disappear. When `read` fails (the database is down) the
 * gauge has no samples for that scrape, and the rest of the scrape is still served: the request
 * and provider metrics matter most then.
 */
export function scrapedGauge<Label extends string>(
  registry: MetricsRegistry,
  definition: {
    name: string;
    help: string;
    labelNames: readonly Label[];
    read: () => Promise<GaugeSample<Label>[]>;
  },
): Gauge<Label> {
  const { read, ...metric } = definition;
  return new Gauge<Label>({
    ...metric,
    registers: [registry],
    async collect() {
      this.reset();
      try {
        for (const sample of await read()) this.set(sample.labels, sample.value);
      } catch (error) {
        logger.warn({ metric: metric.name, error: (error as Error).name }, 'metric could not be read');
      }
    },
  });
}
