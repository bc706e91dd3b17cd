export * from './backoff';
export * from './customer';
export * from './customer-provider';
export * from './customer-rules';
export * from './customer.repository';
export * from './customer.service';
export * from './errors';
export { randomId } from './ids';
export * from './provider-accounts';
export * from './customer-commands';
export * from './customer-planner';
export * from './customer-reconciliation';
export * from './provider-calls';
export * from './provider-call-log';
export * from './provider-failure-log';
export * from './sync-queue';
export * from './sync-engine';
export * from './sync-options';
export * from './link-delivery';
export * from './drift';
export * from './rate-budget';
export * from './reconcile';
export * from './call-context';
export * from './events';
export * from './provider-changes';
// The model of migration and reconciliation runs, and the port that stores them (libs/jobs drives
// the runs; libs/persistence implements the store without importing the application layer).
export * from './migration';
export * from './migration.store';
