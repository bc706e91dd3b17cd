export {
  createGatewayClient,
  type CreateCustomer,
  type Customer,
  type GatewayClient,
  type GatewayClientOptions,
  type ListCustomersQuery,
  paginate,
  type UpdateCustomer,
  type WriteOptions,
} from './client';
export { type FieldProblem, GatewayError, type Problem } from './errors';
export type { components, operations, paths } from './generated/openapi';
export { IDEMPOTENCY_KEY_HEADER, type RetryOptions, retryingFetch } from './retry';
