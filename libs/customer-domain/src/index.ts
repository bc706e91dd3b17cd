export * from './customer';
export * from './errors';
