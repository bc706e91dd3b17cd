export { createGatewayClient, type GatewayClient, type GatewayClientOptions } from './client';
export { type FieldProblem, GatewayError, type Problem } from './errors';
export type { components, operations, paths } from './generated/openapi';
export { OPERATION_METHODS } from './operations';
export { itemsOf, paginate, paginateByCursor } from './pagination';
export { type ConditionalWriteOptions, type RequestOptions, type Tagged, type WriteOptions } from './request';
export type {
  CreateCustomer,
  Customer,
  DeletedCustomer,
  Drift,
  DryRun,
  ForgottenCustomer,
  ImportCustomer,
  ListCustomersQuery,
  ProviderCall,
  ProviderTarget,
  Reconcile,
  TaxIdentifier,
  UpdateCustomer,
} from './resources/customers';
export type { GatewayEvent, ListEventsQuery, Liveness, Provider, Readiness } from './resources/events';
export type {
  Migration,
  MigrationItem,
  MigrationItemsQuery,
  MigrationPlan,
  Reconciliation,
  ReconciliationItem,
  ReconciliationItemsQuery,
  RunListQuery,
  StartMigration,
  StartReconciliation,
} from './resources/runs';
export type {
  CreatedWebhookEndpoint,
  CreateWebhookEndpoint,
  UpdateWebhookEndpoint,
  WebhookDeliveriesQuery,
  WebhookDelivery,
  WebhookEndpoint,
} from './resources/webhook-endpoints';
export { IDEMPOTENCY_KEY_HEADER, type RetryOptions, retryingFetch } from './retry';
export {
  verify as verifyWebhook,
  type WebhookEvent,
  type WebhookHeaders,
  webhooks,
  WebhookVerificationError,
} from './webhooks';
