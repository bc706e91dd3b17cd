import { type CallContext } from './call-context';
import { type CustomerData } from './customer';
import { type RemoteCustomer } from './customer-provider';

/**
 * A provider's word that one of its customers may have changed outside the gateway: a Digital River
 * webhook or Events API event, or a 2Checkout sweep finding. Only a hint: events arrive late, twice
 * or out of order, so whoever acts on it reads the provider's copy again first (as Supabase's
 * stripe-sync-engine revalidates Stripe objects, https://github.com/supabase/stripe-sync-engine).
 */
export interface ProviderChangeHint {
  provider: string;
  account: string;
  /** The reference the provider stores the customer under (DR `id`, 2CO `ExternalCustomerReference`). */
  reference: string;
  /** The provider's event id, when the hint came from an event (for logs and deduplication). */
  eventId?: string;
  /** The provider's event type, e.g. `customer.updated`, `customer.deleted`. */
  eventType?: string;
  /** When the provider says the change happened. */
  occurredAt?: Date;
}

/** What observing a hint came to. */
export type ObservedChange =
  /** The mirror knows no customer linked under that reference at that account. */
  | { kind: 'unknown_customer' }
  /** The copy equals what the provider should hold of the mirror's customer. */
  | { kind: 'in_sync' }
  /** A delivery of ours is pending or in flight for that copy: what was read is (or may be) our echo. */
  | { kind: 'echo' }
  /** The copy differs: the named fields were pushed back or adopted, as the conflict policy says. */
  | { kind: 'resolved'; pushed: string[]; adopted: string[] };

/**
 * Where hints about provider-side changes go: the one entry point for webhooks, event catch-up and
 * sweeps, so every source is handled by the same re-read, echo check and conflict policy.
 */
export abstract class ProviderChanges {
  abstract observe(context: CallContext, hint: ProviderChangeHint): Promise<ObservedChange>;

  /**
   * Whether the copy an event carried (DR's `data.object`) already equals what the provider should
   * hold of the mirror's customer: then the event brings nothing to act on (most often it is the
   * echo of our own write) and needs no re-read. A later change at the provider raises its own
   * event, which is checked on its own, so settling this one loses nothing. `seen` maps the
   * event's object with the mirror's data (`known`) as the provider's reads are mapped. Without an
   * implementation, nothing is settled this way and every event is observed.
   */
  // eslint-disable-next-line @typescript-eslint/require-await
  async holdsMirror(
    _hint: ProviderChangeHint,
    _seen: (known: CustomerData) => RemoteCustomer,
  ): Promise<boolean> {
    return false;
  }
}
