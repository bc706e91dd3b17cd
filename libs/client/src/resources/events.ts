import { type Client } from 'openapi-fetch';

import { type components, type operations, type paths } from '../generated/openapi.js';
import { itemsOf, paginate } from '../pagination.js';
import { bodyOf, callInit, type RequestOptions } from '../request.js';
import { type Send } from '../retry.js';

type Schemas = components['schemas'];
export type GatewayEvent = Schemas['EventResponse'];
export type ListEventsQuery = Omit<
  NonNullable<operations['listEvents']['parameters']['query']>,
  'startingAfter'
>;
export type Provider = Schemas['ProvidersResponse']['data'][number];
export type Readiness = Schemas['ReadyResponse'];
export type Liveness = Schemas['LiveResponse'];

/** `client.events`: what happened to customers and runs, oldest first. */
export function eventsResource(api: Client<paths>, send: Send) {
  return {
    async get(id: string, options: RequestOptions = {}): Promise<GatewayEvent> {
      return bodyOf(
        await api.GET('/v1/events/{id}', { params: { path: { id } }, ...callInit(send, options) }),
      );
    },
    list(
      query: ListEventsQuery = {},
      options: RequestOptions = {},
    ): AsyncGenerator<GatewayEvent, void, undefined> {
      return paginate(async (startingAfter) =>
        bodyOf(
          await api.GET('/v1/events', {
            params: { query: { ...query, ...(startingAfter === undefined ? {} : { startingAfter }) } },
            ...callInit(send, options),
          }),
        ),
      );
    },
  };
}

/** `client.providers`: the payment providers and accounts this gateway is configured with. */
export function providersResource(api: Client<paths>, send: Send) {
  return {
    list(options: RequestOptions = {}): AsyncGenerator<Provider, void, undefined> {
      return itemsOf(async () => bodyOf(await api.GET('/v1/providers', callInit(send, options))));
    },
  };
}

/** `client.health` and `client.metrics`: what orchestrators and scrapers read. */
export function operatorResources(api: Client<paths>, send: Send) {
  return {
    health: {
      /** Liveness and readiness in one answer (throws a GatewayError with status 503 when not ready). */
      async get(options: RequestOptions = {}): Promise<Readiness> {
        return bodyOf(await api.GET('/health', callInit(send, options)));
      },
      async live(options: RequestOptions = {}): Promise<Liveness> {
        return bodyOf(await api.GET('/health/live', callInit(send, options)));
      },
      async ready(options: RequestOptions = {}): Promise<Readiness> {
        return bodyOf(await api.GET('/health/ready', callInit(send, options)));
      },
    },
    metrics: {
      /** The Prometheus text exposition (https://prometheus.io/docs/instrumenting/exposition_formats/). */
      async get(options: RequestOptions = {}): Promise<string> {
        return bodyOf(await api.GET('/metrics', { parseAs: 'text', ...callInit(send, options) }));
      },
    },
  };
}
