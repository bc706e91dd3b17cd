/**
 * What callers can subscribe to (GET /v1/events, webhooks). Each is written in the same
 * transaction as the change it records, so an event exists exactly when its change does.
 */
export const EVENT_TYPES = [
  'customer.created',
  'customer.updated',
  'customer.deleted',
  'customer.forgotten',
  'customer.link.synced',
  'customer.link.failed',
  'customer.link.retired',
  'migration.completed',
  'migration.failed',
] as const;
export type EventType = (typeof EVENT_TYPES)[number];
