export * from './customer';
export * from './customer-provider';
export * from './customer-rules';
export * from './customer.repository';
export * from './customer.service';
export * from './errors';
export * from './provider-registry';
