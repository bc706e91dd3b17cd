import { type operations, type webhooks } from './generated/openapi.js';

/** The operations the gateway sends (its `webhooks` section): a receiver implements those, not the client. */
type WebhookOperation = {
  [Event in keyof webhooks]: webhooks[Event] extends { post?: infer Post } ? Post : never;
}[keyof webhooks];
/** The operationIds the client calls: every operation of the document but the webhooks. */
type CalledOperationId = {
  [Id in keyof operations]: operations[Id] extends WebhookOperation ? never : Id;
}[keyof operations];

/**
 * The client method of every operation of the gateway's OpenAPI document, by operationId, as a
 * path into the client (`customers.links.create` is `client.customers.links.create`). It must name
 * every operation, and only those: after `npm run openapi` adds one, this stops compiling until a
 * method exists and is listed here (and test/client/operations.spec.ts checks each path leads to a
 * function on a real client).
 */
export const OPERATION_METHODS = {
  getHealth: 'health.get',
  getLiveness: 'health.live',
  getReadiness: 'health.ready',
  getMetrics: 'metrics.get',
  listProviders: 'providers.list',

  createCustomer: 'customers.create',
  importCustomer: 'customers.import',
  getCustomer: 'customers.get',
  getCustomerByReference: 'customers.getByReference',
  listCustomers: 'customers.list',
  updateCustomer: 'customers.update',
  deleteCustomer: 'customers.delete',
  forgetCustomer: 'customers.forget',
  syncCustomer: 'customers.sync',
  getCustomerDrift: 'customers.drift',
  reconcileCustomer: 'customers.reconcile',
  linkCustomer: 'customers.links.create',
  attachCustomerSource: 'customers.sources.attach',
  detachCustomerSource: 'customers.sources.detach',
  setCustomerTaxIdentifier: 'customers.taxIdentifiers.set',
  removeCustomerTaxIdentifier: 'customers.taxIdentifiers.remove',
  listCustomerProviderCalls: 'customers.calls.list',

  listEvents: 'events.list',
  getEvent: 'events.get',

  startMigration: 'migrations.start',
  listMigrations: 'migrations.list',
  getMigration: 'migrations.get',
  cancelMigration: 'migrations.cancel',
  resumeMigration: 'migrations.resume',
  listMigrationItems: 'migrations.items.list',

  startReconciliation: 'reconciliations.start',
  listReconciliations: 'reconciliations.list',
  getReconciliation: 'reconciliations.get',
  cancelReconciliation: 'reconciliations.cancel',
  resumeReconciliation: 'reconciliations.resume',
  listReconciliationItems: 'reconciliations.items.list',

  createWebhookEndpoint: 'webhookEndpoints.create',
  listWebhookEndpoints: 'webhookEndpoints.list',
  getWebhookEndpoint: 'webhookEndpoints.get',
  updateWebhookEndpoint: 'webhookEndpoints.update',
  deleteWebhookEndpoint: 'webhookEndpoints.delete',
  rotateWebhookSecret: 'webhookEndpoints.rotateSecret',
  testWebhookEndpoint: 'webhookEndpoints.sendTestEvent',
  listWebhookDeliveries: 'webhookEndpoints.deliveries.list',
  redeliverWebhookDelivery: 'webhookEndpoints.deliveries.redeliver',
  redeliverWebhookEvent: 'webhookEndpoints.events.redeliver',

  setDigitalRiverWebhookSecret: 'providerWebhooks.digitalRiver.setSecret',
  receiveDigitalRiverWebhook: 'providerWebhooks.digitalRiver.deliver',
} as const satisfies Record<CalledOperationId, string>;
