import { type IncomingMessage, type ServerResponse } from 'node:http';

import { Injectable } from '@nestjs/common';
import { Counter, Histogram } from 'prom-client';

import { MetricsRegistry } from './metrics.registry';

type Label = 'method' | 'route' | 'status';

/** Seconds: from a cache hit (1 ms) to a write that waited out SYNC_WAIT_MS and a slow provider. */
const HTTP_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/**
 * The matched route's template. Nest's catch-all middleware and not-found routes carry a
 * wildcard (`{/*splat}`): a request that reached only those matched no route of ours.
 */
function routeTemplate(path: unknown): string {
  return typeof path === 'string' && !path.includes('*') ? path : 'unmatched';
}

/**
 * Requests by route template, method and status. The route is Express's matched template
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
  record(req: IncomingMessage & { route?: { path?: unknown } }, res: ServerResponse, started: number): void {
    const route = routeTemplate(req.route?.path);
    const labels = { method: req.method ?? 'UNKNOWN', route, status: String(res.statusCode) };
    this.requests.inc(labels);
    this.duration.observe(labels, (performance.now() - started) / 1000);
  }
}
