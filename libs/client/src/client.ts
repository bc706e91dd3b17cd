import createClient, { type Client, type Middleware } from 'openapi-fetch';

import { GatewayError } from './errors.js';
import { type paths } from './generated/openapi.js';
import { type RetryOptions, retryingFetch } from './retry.js';
import { customersResource } from './resources/customers.js';
import { eventsResource, operatorResources, providersResource } from './resources/events.js';
import { migrationsResource, reconciliationsResource } from './resources/runs.js';
import { providerWebhooksResource } from './resources/provider-webhooks.js';
import { webhookEndpointsResource } from './resources/webhook-endpoints.js';
import { webhooks } from './webhooks.js';

export interface GatewayClientOptions {
  /** Where the gateway runs, e.g. http://127.0.0.1:3000. */
  baseUrl: string;
  /** Sent as `Authorization: Bearer <key>`. */
  apiKey: string;
  retry?: RetryOptions;
  /** Every call's deadline in milliseconds, retries and waits included (default: none); a call may set its own. */
  timeoutMs?: number;
  /** The transport under the retries (default: the global fetch); e.g. a fetch with a proxy agent. */
  fetch?: (request: Request) => Promise<Response>;
}

/** Every non-2xx answer, from any route, is thrown as a GatewayError. */
const throwProblems: Middleware = {
  async onResponse({ response }) {
    if (!response.ok) throw await GatewayError.fromResponse(response);
  },
  onError({ error }) {
    return error instanceof GatewayError ? error : GatewayError.network(error);
  },
};

/**
 * The gateway's API, typed from its committed OpenAPI document, one method per operation
 * (OPERATION_METHODS lists them), grouped by resource: `customers`, `events`, `migrations`,
 * `reconciliations`, `webhookEndpoints`, `providerWebhooks`, `providers`, `health`, `metrics`. Every call takes
 * `signal` and `timeoutMs`; every write gets one Idempotency-Key reused by its retries; reads of a
 * customer keep its `etag` for `ifMatch`; every list is an async iterator over all its pages;
 * every failure is a GatewayError. `api` is the raw openapi-fetch client under them all.
 */
export function createGatewayClient(options: GatewayClientOptions) {
  const send = retryingFetch(options.retry, options.fetch, { timeoutMs: options.timeoutMs });
  const api: Client<paths> = createClient<paths>({
    baseUrl: options.baseUrl.replace(/\/+$/, ''),
    headers: { Authorization: `Bearer ${options.apiKey}` },
    fetch: (request: Request) => send(request),
  });
  api.use(throwProblems);

  return {
    api,
    customers: customersResource(api, send),
    events: eventsResource(api, send),
    migrations: migrationsResource(api, send),
    reconciliations: reconciliationsResource(api, send),
    webhookEndpoints: webhookEndpointsResource(api, send),
    providerWebhooks: providerWebhooksResource(api, send),
    providers: providersResource(api, send),
    ...operatorResources(api, send),
    webhooks,
  };
}

export type GatewayClient = ReturnType<typeof createGatewayClient>;
