import { type Client } from 'openapi-fetch';

import { type components, type operations, type paths } from '../generated/openapi.js';
import { itemsOf, paginate } from '../pagination.js';
import {
  bodyOf,
  callInit,
  type ConditionalWriteOptions,
  type RequestOptions,
  type Tagged,
  taggedBodyOf,
  type WriteOptions,
} from '../request.js';
import { type Send } from '../retry.js';

type Schemas = components['schemas'];
export type Customer = Schemas['CustomerResponse'];
export type CreateCustomer = Schemas['CreateCustomerBody'];
export type ImportCustomer = Schemas['ImportCustomerBody'];
export type UpdateCustomer = Schemas['UpdateCustomerBody'];
export type DryRun = Schemas['DryRunResponse'];
export type DeletedCustomer = Schemas['DeletedCustomerResponse'];
export type ForgottenCustomer = Schemas['ForgetResponse'];
export type ProviderTarget = Schemas['ProviderTargetDto'];
export type Reconcile = Schemas['ReconcileBody'];
export type TaxIdentifier = Schemas['TaxIdentifierDto'];
export type Drift = Schemas['DriftResponse'];
export type ProviderCall = Schemas['ProviderCallsResponse']['data'][number];
/** A provider id, as the document declares them (an enum of the configured providers, once it lists them). */
export type ProviderId = operations['getCustomerByReference']['parameters']['path']['provider'];
export type ListCustomersQuery = NonNullable<operations['listCustomers']['parameters']['query']>;

/** A write that can be planned instead: `{ dryRun: true }` answers what it would do, and does nothing. */
export interface Planned {
  dryRun: true;
}
export interface Carried {
  dryRun?: false;
}
/** Either, decided at run time: the answer is typed as either. */
export interface DryRunnable {
  dryRun?: boolean;
}

/** `client.customers`: every customer operation of the gateway. */
export function customersResource(api: Client<paths>, send: Send) {
  const path = (id: string) => ({ path: { id } });

  function create(body: CreateCustomer, options?: WriteOptions & Carried): Promise<Tagged<Customer>>;
  function create(body: CreateCustomer, options: WriteOptions & Planned): Promise<DryRun>;
  function create(
    body: CreateCustomer,
    options?: WriteOptions & DryRunnable,
  ): Promise<Tagged<Customer> | DryRun>;
  async function create(
    body: CreateCustomer,
    options: WriteOptions & { dryRun?: boolean } = {},
  ): Promise<Tagged<Customer> | DryRun> {
    const result = await api.POST('/v1/customers', {
      params: { query: options.dryRun === true ? { dryRun: true } : {} },
      body,
      ...callInit(send, options),
    });
    return options.dryRun === true
      ? (bodyOf(result) as DryRun)
      : taggedBodyOf(result as { data?: Customer; response: Response });
  }

  /** A JSON merge patch: absent fields are kept, `null` clears one. */
  function update(
    id: string,
    patch: UpdateCustomer,
    options?: ConditionalWriteOptions & Carried,
  ): Promise<Tagged<Customer>>;
  function update(
    id: string,
    patch: UpdateCustomer,
    options: ConditionalWriteOptions & Planned,
  ): Promise<DryRun>;
  function update(
    id: string,
    patch: UpdateCustomer,
    options?: ConditionalWriteOptions & DryRunnable,
  ): Promise<Tagged<Customer> | DryRun>;
  async function update(
    id: string,
    patch: UpdateCustomer,
    options: ConditionalWriteOptions & { dryRun?: boolean } = {},
  ): Promise<Tagged<Customer> | DryRun> {
    const result = await api.PATCH('/v1/customers/{id}', {
      params: { ...path(id), query: options.dryRun === true ? { dryRun: true } : {} },
      body: patch,
      ...callInit(send, options),
    });
    return options.dryRun === true
      ? (bodyOf(result) as DryRun)
      : taggedBodyOf(result as { data?: Customer; response: Response });
  }

  /**
   * Deletes the customer from the mirror and from every provider. The answer lists, per provider,
   * whether its copy is gone; `{ dryRun: true }` answers the plan instead.
   */
  function remove(id: string, options?: WriteOptions & Carried): Promise<DeletedCustomer>;
  function remove(id: string, options: WriteOptions & Planned): Promise<DryRun>;
  function remove(id: string, options?: WriteOptions & DryRunnable): Promise<DeletedCustomer | DryRun>;
  async function remove(
    id: string,
    options: WriteOptions & { dryRun?: boolean } = {},
  ): Promise<DeletedCustomer | DryRun> {
    const result = await api.DELETE('/v1/customers/{id}', {
      params: { ...path(id), query: options.dryRun === true ? { dryRun: true } : {} },
      ...callInit(send, options),
    });
    return bodyOf(result);
  }

  /** Links the customer to one more provider account, creating it there. */
  function link(
    id: string,
    target: ProviderTarget,
    options?: WriteOptions & Carried,
  ): Promise<Tagged<Customer>>;
  function link(id: string, target: ProviderTarget, options: WriteOptions & Planned): Promise<DryRun>;
  function link(
    id: string,
    target: ProviderTarget,
    options?: WriteOptions & DryRunnable,
  ): Promise<Tagged<Customer> | DryRun>;
  async function link(
    id: string,
    target: ProviderTarget,
    options: WriteOptions & { dryRun?: boolean } = {},
  ): Promise<Tagged<Customer> | DryRun> {
    const result = await api.POST('/v1/customers/{id}/links', {
      params: { ...path(id), query: options.dryRun === true ? { dryRun: true } : {} },
      body: target,
      ...callInit(send, options),
    });
    return options.dryRun === true
      ? (bodyOf(result) as DryRun)
      : taggedBodyOf(result as { data?: Customer; response: Response });
  }

  return {
    create,
    /** Creates the mirror of a customer that already exists at a provider, or answers the one that does. */
    async import(body: ImportCustomer, options: WriteOptions = {}): Promise<Tagged<Customer>> {
      return taggedBodyOf(await api.POST('/v1/customers/import', { body, ...callInit(send, options) }));
    },
    /** A deleted customer throws `CustomerGoneError` (410: when, and what remains where), later 404. */
    async get(id: string, options: RequestOptions = {}): Promise<Tagged<Customer>> {
      return taggedBodyOf(
        await api.GET('/v1/customers/{id}', { params: path(id), ...callInit(send, options) }),
      );
    },
    /** The customer a provider knows under `reference` (its own customer id). */
    async getByReference(
      provider: ProviderId,
      reference: string,
      options: RequestOptions = {},
    ): Promise<Tagged<Customer>> {
      return taggedBodyOf(
        await api.GET('/v1/customers/by-reference/{provider}/{reference}', {
          params: { path: { provider, reference } },
          ...callInit(send, options),
        }),
      );
    },
    update,
    delete: remove,
    /** Erases the customer's personal data here and at every provider (GDPR art. 17); keeps a tombstone. */
    async forget(id: string, options: WriteOptions = {}): Promise<ForgottenCustomer> {
      return bodyOf(
        await api.POST('/v1/customers/{id}/forget', { params: path(id), ...callInit(send, options) }),
      );
    },
    /** Every customer matching the query, newest first, across as many pages as the loop reads. */
    list(
      query: Omit<ListCustomersQuery, 'startingAfter' | 'endingBefore'> = {},
      options: RequestOptions = {},
    ): AsyncGenerator<Customer, void, undefined> {
      return paginate(async (startingAfter) =>
        bodyOf(
          await api.GET('/v1/customers', {
            params: { query: { ...query, ...(startingAfter === undefined ? {} : { startingAfter }) } },
            ...callInit(send, options),
          }),
        ),
      );
    },
    /** Sends the customer's pending changes to its providers now instead of waiting for the sync engine. */
    async sync(id: string, options: WriteOptions = {}): Promise<Customer> {
      return bodyOf(
        await api.POST('/v1/customers/{id}/sync', { params: path(id), ...callInit(send, options) }),
      );
    },
    /** How each provider's copy differs from the mirror, read from the providers now. */
    async drift(id: string, options: RequestOptions = {}): Promise<Drift> {
      return bodyOf(
        await api.GET('/v1/customers/{id}/drift', { params: path(id), ...callInit(send, options) }),
      );
    },
    /** Settles drift: push the mirror to the providers, or adopt a provider's values. */
    async reconcile(id: string, body: Reconcile, options: WriteOptions = {}): Promise<Drift> {
      return bodyOf(
        await api.POST('/v1/customers/{id}/reconcile', {
          params: path(id),
          body,
          ...callInit(send, options),
        }),
      );
    },
    links: { create: link },
    sources: {
      /** Attaches a payment source (one the provider issued) to the customer; `{ default: true }` makes it the default. */
      async attach(
        id: string,
        sourceId: string,
        options: WriteOptions & { default?: boolean } = {},
      ): Promise<Customer> {
        return bodyOf(
          await api.POST('/v1/customers/{id}/sources/{sourceId}', {
            params: {
              path: { id, sourceId },
              query: options.default === undefined ? {} : { default: options.default },
            },
            ...callInit(send, options),
          }),
        );
      },
      async detach(id: string, sourceId: string, options: WriteOptions = {}): Promise<Customer> {
        return bodyOf(
          await api.DELETE('/v1/customers/{id}/sources/{sourceId}', {
            params: { path: { id, sourceId } },
            ...callInit(send, options),
          }),
        );
      },
    },
    taxIdentifiers: {
      /** Adds the tax identifier, or replaces the customer's one of the same type. */
      async set(id: string, taxIdentifier: TaxIdentifier, options: WriteOptions = {}): Promise<Customer> {
        return bodyOf(
          await api.POST('/v1/customers/{id}/tax-identifiers', {
            params: path(id),
            body: taxIdentifier,
            ...callInit(send, options),
          }),
        );
      },
      async remove(id: string, type: string, options: WriteOptions = {}): Promise<Customer> {
        return bodyOf(
          await api.DELETE('/v1/customers/{id}/tax-identifiers/{type}', {
            params: { path: { id, type } },
            ...callInit(send, options),
          }),
        );
      },
    },
    calls: {
      /** The provider calls made for this customer, newest first (up to `limit`, default 100). */
      list(
        id: string,
        query: { limit?: number } = {},
        options: RequestOptions = {},
      ): AsyncGenerator<ProviderCall, void, undefined> {
        return itemsOf(async () =>
          bodyOf(
            await api.GET('/v1/customers/{id}/calls', {
              params: { ...path(id), query },
              ...callInit(send, options),
            }),
          ),
        );
      },
    },
  };
}
