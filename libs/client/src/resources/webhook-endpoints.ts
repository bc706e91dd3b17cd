import { type Client } from 'openapi-fetch';

import { type components, type operations, type paths } from '../generated/openapi.js';
import { itemsOf, paginate } from '../pagination.js';
import { bodyOf, callInit, type RequestOptions } from '../request.js';
import { type Send } from '../retry.js';

type Schemas = components['schemas'];
export type WebhookEndpoint = Schemas['WebhookEndpointResponse'];
export type CreatedWebhookEndpoint = Schemas['CreatedWebhookEndpointResponse'];
export type CreateWebhookEndpoint = Schemas['CreateWebhookEndpointBody'];
export type UpdateWebhookEndpoint = Schemas['UpdateWebhookEndpointBody'];
export type WebhookDelivery = Schemas['WebhookDeliveryResponse'];
export type RotateWebhookSecret = Schemas['RotateWebhookSecretBody'];
export type RotatedWebhookSecret = Schemas['RotatedWebhookSecretResponse'];
export type WebhookTestResult = Schemas['WebhookTestResponse'];
export type WebhookDeliveriesQuery = Omit<
  NonNullable<operations['listWebhookDeliveries']['parameters']['query']>,
  'startingAfter'
>;

/** `client.webhookEndpoints`: where the gateway posts its events, and what it delivered there. */
export function webhookEndpointsResource(api: Client<paths>, send: Send) {
  const path = (id: string) => ({ path: { id } });
  return {
    /** The answer carries the endpoint's signing `secret`, shown this once: keep it for `webhooks.verify`. */
    async create(body: CreateWebhookEndpoint, options: RequestOptions = {}): Promise<CreatedWebhookEndpoint> {
      return bodyOf(await api.POST('/v1/webhook-endpoints', { body, ...callInit(send, options) }));
    },
    async get(id: string, options: RequestOptions = {}): Promise<WebhookEndpoint> {
      return bodyOf(
        await api.GET('/v1/webhook-endpoints/{id}', { params: path(id), ...callInit(send, options) }),
      );
    },
    list(options: RequestOptions = {}): AsyncGenerator<WebhookEndpoint, void, undefined> {
      return itemsOf(async () => bodyOf(await api.GET('/v1/webhook-endpoints', callInit(send, options))));
    },
    async update(
      id: string,
      patch: UpdateWebhookEndpoint,
      options: RequestOptions = {},
    ): Promise<WebhookEndpoint> {
      return bodyOf(
        await api.PATCH('/v1/webhook-endpoints/{id}', {
          params: path(id),
          body: patch,
          ...callInit(send, options),
        }),
      );
    },
    async delete(id: string, options: RequestOptions = {}): Promise<void> {
      await api.DELETE('/v1/webhook-endpoints/{id}', { params: path(id), ...callInit(send, options) });
    },
    /**
     * A new signing secret, shown this once; the old one keeps signing beside it for the overlap
     * (`overlapSeconds`, else the gateway's default), so receivers can switch without a gap.
     */
    async rotateSecret(
      id: string,
      body: RotateWebhookSecret = {},
      options: RequestOptions = {},
    ): Promise<RotatedWebhookSecret> {
      return bodyOf(
        await api.POST('/v1/webhook-endpoints/{id}/rotate-secret', {
          params: path(id),
          body,
          ...callInit(send, options),
        }),
      );
    },
    /** Sends a signed `webhook.test` event to the endpoint at once and answers what it replied. */
    async sendTestEvent(id: string, options: RequestOptions = {}): Promise<WebhookTestResult> {
      return bodyOf(
        await api.POST('/v1/webhook-endpoints/{id}/test', { params: path(id), ...callInit(send, options) }),
      );
    },
    deliveries: {
      /** The endpoint's deliveries, newest first. */
      list(
        id: string,
        query: WebhookDeliveriesQuery = {},
        options: RequestOptions = {},
      ): AsyncGenerator<WebhookDelivery, void, undefined> {
        return paginate(async (startingAfter) =>
          bodyOf(
            await api.GET('/v1/webhook-endpoints/{id}/deliveries', {
              params: {
                ...path(id),
                query: { ...query, ...(startingAfter === undefined ? {} : { startingAfter }) },
              },
              ...callInit(send, options),
            }),
          ),
        );
      },
      /** Sends the delivery's event again, as a new delivery. */
      async redeliver(
        id: string,
        deliveryId: string,
        options: RequestOptions = {},
      ): Promise<WebhookDelivery> {
        return bodyOf(
          await api.POST('/v1/webhook-endpoints/{id}/deliveries/{deliveryId}/redeliver', {
            params: { path: { id, deliveryId } },
            ...callInit(send, options),
          }),
        );
      },
    },
    events: {
      /** Sends one event to this endpoint again (or for the first time), as a new delivery. */
      async redeliver(id: string, eventId: string, options: RequestOptions = {}): Promise<WebhookDelivery> {
        return bodyOf(
          await api.POST('/v1/webhook-endpoints/{id}/events/{eventId}/redeliver', {
            params: { path: { id, eventId } },
            ...callInit(send, options),
          }),
        );
      },
    },
  };
}
