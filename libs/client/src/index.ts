export { createGatewayClient, type GatewayClient, type GatewayClientOptions } from './client.js';
export {
  CustomerGoneError,
  type FieldProblem,
  GatewayError,
  type Problem,
  type TombstoneProvider,
} from './errors.js';
export type { components, operations, paths } from './generated/openapi.js';
export { OPERATION_METHODS } from './operations.js';
export { itemsOf, paginate, paginateByCursor } from './pagination.js';
export {
  type ConditionalWriteOptions,
  type RequestOptions,
  type Tagged,
  type WriteOptions,
} from './request.js';
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
  ProviderId,
  ProviderTarget,
  Reconcile,
  TaxIdentifier,
  UpdateCustomer,
} from './resources/customers.js';
export type { GatewayEvent, ListEventsQuery, Liveness, Provider, Readiness } from './resources/events.js';
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
} from './resources/runs.js';
export type {
  CreatedWebhookEndpoint,
  CreateWebhookEndpoint,
  RotatedWebhookSecret,
  RotateWebhookSecret,
  UpdateWebhookEndpoint,
  WebhookDeliveriesQuery,
  WebhookDelivery,
  WebhookEndpoint,
  WebhookTestResult,
} from './resources/webhook-endpoints.js';
export { IDEMPOTENCY_KEY_HEADER, type RetryOptions, retryingFetch } from './retry.js';
export {
  verify as verifyWebhook,
  type WebhookEvent,
  type WebhookHeaders,
  webhooks,
  WebhookVerificationError,
} from './webhooks.js';
