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
  'customer.provider_change_detected',
  'customer.provider_change_resolved',
  'migration.completed',
  'migration.failed',
] as const;
export type EventType = (typeof EVENT_TYPES)[number];

/** Who made a change when no API request did: the actor events name. */
export const JOB_ACTORS = {
  /** The background delivery of provider links. */
  sync: 'sync-worker',
  /** A migration run, whether the CLI, a pg-boss worker or the API started it. */
  migration: 'migration',
  /** Acting on provider events (webhooks and Events API catch-up) in the background. */
  providerEvents: 'provider-events',
  /** The scheduled comparison of copies at providers that announce no changes (2Checkout). */
  sweep: 'sweep',
  /** Anything else outside a request. */
  system: 'system',
} as const;
