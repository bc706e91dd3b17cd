import createClient, { type Client, type Middleware } from 'openapi-fetch';

import { GatewayError } from './errors';
import { type components, type operations, type paths } from './generated/openapi';
import { type RetryOptions, retryingFetch } from './retry';

export type Customer = components['schemas']['CustomerResponse'];
export type CreateCustomer = components['schemas']['CreateCustomerBody'];
export type UpdateCustomer = components['schemas']['UpdateCustomerBody'];
export type ListCustomersQuery = NonNullable<operations['listCustomers']['parameters']['query']>;

export interface GatewayClientOptions {
  /** Where the gateway runs, e.g. http://127.0.0.1:3000. */
  baseUrl: string;
  /** Sent as `Authorization: Bearer <key>`. */
  apiKey: string;
  retry?: RetryOptions;
  /** The transport under the retries (default: the global fetch); e.g. a fetch with a proxy agent. */
  fetch?: (request: Request) => Promise<Response>;
}

/** Options of one write. */
export interface WriteOptions {
  /**
   * Your own key, to make the write safe to repeat across process restarts; by default each call
   * gets a fresh one, reused by every retry of that call.
   */
  idempotencyKey?: string;
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

/** The items of every page, fetched one page at a time as the loop asks for more. */
export async function* paginate<Item extends { id: string }>(
  page: (startingAfter: string | undefined) => Promise<{ data: Item[]; hasMore: boolean }>,
): AsyncGenerator<Item, void, undefined> {
  let startingAfter: string | undefined;
  for (;;) {
    const { data, hasMore } = await page(startingAfter);
    yield* data;
    const last = data.at(-1);
    if (!hasMore || last === undefined) return;
    startingAfter = last.id;
  }
}

const headersOf = (options: WriteOptions) =>
  options.idempotencyKey === undefined ? {} : { 'Idempotency-Key': options.idempotencyKey };

/**
 * The gateway's API, typed from its committed OpenAPI document. `api` reaches every route
 * (`client.api.GET('/v1/providers')`); `customers` adds what the document cannot say: one
 * Idempotency-Key per write, retries, GatewayError, and pagination as an async iterator.
 */
export function createGatewayClient(options: GatewayClientOptions) {
  const api: Client<paths> = createClient<paths>({
    baseUrl: options.baseUrl.replace(/\/+$/, ''),
    headers: { Authorization: `Bearer ${options.apiKey}` },
    fetch: retryingFetch(options.retry, options.fetch),
  });
  api.use(throwProblems);

  const customers = {
    async create(body: CreateCustomer, write: WriteOptions = {}): Promise<Customer> {
      const { data } = await api.POST('/v1/customers', { body, headers: headersOf(write) });
      return data as Customer;
    },
    async get(id: string): Promise<Customer> {
      const { data } = await api.GET('/v1/customers/{id}', { params: { path: { id } } });
      return data!;
    },
    /** A JSON merge patch: absent fields are kept, `null` clears one. */
    async update(id: string, patch: UpdateCustomer, write: WriteOptions = {}): Promise<Customer> {
      const { data } = await api.PATCH('/v1/customers/{id}', {
        params: { path: { id } },
        body: patch,
        headers: headersOf(write),
      });
      return data as Customer;
    },
    /** Every customer matching the query, newest first, across as many pages as the loop reads. */
    list(query: Omit<ListCustomersQuery, 'startingAfter' | 'endingBefore'> = {}): AsyncGenerator<Customer> {
      return paginate(async (startingAfter) => {
        const { data } = await api.GET('/v1/customers', {
          params: { query: { ...query, ...(startingAfter !== undefined ? { startingAfter } : {}) } },
        });
        return data!;
      });
    },
  };

  return { api, customers };
}

export type GatewayClient = ReturnType<typeof createGatewayClient>;
