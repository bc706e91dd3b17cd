export * from './customer';
export * from './customer-provider';
export * from './errors';
export * from './provider-registry';
