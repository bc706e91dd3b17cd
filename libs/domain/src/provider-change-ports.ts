import { type CallContext } from './call-context';
import { type ConflictChoice } from './conflict-policy';

/** A provider-side change found by reading the copy: where, and which fields (never their values). */
export interface ProviderChangeDetected {
  provider: string;
  account: string;
  reference: string;
  /** The canonical fields that differ; empty when the copy is `missing`. */
  fields: string[];
  /** The provider no longer holds the customer (deleted there). */
  missing: boolean;
  /** What brought it up: the provider's event type, or `sweep`. */
  source: string;
  eventId?: string;
}

/** How a detected change was resolved, field by field. */
export interface ProviderChangeResolved {
  provider: string;
  account: string;
  reference: string;
  /** Fields whose canonical value was written back to the provider (all of them for a missing copy). */
  pushed: string[];
  /** Fields whose provider value became canonical (a new version, sent to every other provider). */
  adopted: string[];
  missing: boolean;
  /** The customer version the resolution left (a new one when something was adopted). */
  version: number;
  /** Why fields the policy adopts were pushed instead: the adopted customer was refused (a code). */
  adoptRefused?: string;
}

/**
 * Where the conflict policy records what it found and did, as `customer.provider_change_detected`
 * and `customer.provider_change_resolved` events (GET /v1/events, webhooks). Neither carries a
 * field's value: the provider's value is personal data the caller did not write.
 */
export abstract class ProviderChangeEvents {
  abstract detected(context: CallContext, customerId: string, change: ProviderChangeDetected): Promise<void>;
  abstract resolved(context: CallContext, customerId: string, change: ProviderChangeResolved): Promise<void>;
}

/**
 * Convergence timings, for metrics (bound by the gateway; absent elsewhere). Labels are provider
 * ids and policy choices only, never customer data.
 */
export abstract class ConvergenceMetrics {
  /** A write's links were all confirmed at its version, `seconds` after it was committed. */
  abstract writeConverged(seconds: number): void;
  /**
   * A provider-side change was undone at the provider (`push`) or taken into the mirror (`adopt`),
   * `seconds` after it happened (the hint's time) or was detected.
   */
  abstract providerChangeResolved(provider: string, choice: ConflictChoice, seconds: number): void;
}
