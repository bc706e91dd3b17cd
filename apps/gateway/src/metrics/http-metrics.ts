import { Injectable } from '@nestjs/common';
import { Counter, Histogram } from 'prom-client';

import { MetricsRegistry } from './metrics.registry';

type Label = 'method' | 'route' | 'status';

/** Seconds: from a cache hit (1 ms) to a write that waited out SYNC_WAIT_MS and a slow provider. */
const HTTP_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/**
 * Requests by route template, method and status. The route is the matched template
 * (`/v1/customers/:id`), never the URL: ids would make a series per customer, and query strings
 * carry personal data (`?email=`). A request no route matched (404, a body refused before
 * routing) is `unmatched`.
 */
@Injectable()
export class HttpMetrics {
  private readonly requests: Counter<Label>;
  private readonly duration: Histogram<Label>;

  constructor(registry: MetricsRegistry) {
    const labelNames = ['method', 'route', 'status'] as const;
    this.requests = new Counter({
      name: 'csg_http_requests_total',
      help: 'HTTP requests answered, by method, route template and status.',
      labelNames,
      registers: [registry],
    });
    this.duration = new Histogram({
      name: 'csg_http_request_duration_seconds',
      help: 'Time to answer an HTTP request, by method, route template and status.',
      labelNames,
      buckets: HTTP_BUCKETS,
      registers: [registry],
    });
  }

  /** Counts and times an answered request (`started`: `performance.now()` when it arrived). */
  record(method: string, routeTemplate: string | undefined, status: number, started: number): void {
    const labels = { method, route: routeTemplate ?? 'unmatched', status: String(status) };
    this.requests.inc(labels);
    this.duration.observe(labels, (performance.now() - started) / 1000);
  }
}
