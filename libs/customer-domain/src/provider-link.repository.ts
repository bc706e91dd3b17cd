import { type LinkError } from './customer';

export interface ProviderTarget {
  provider: string;
  account: string;
}

export interface LinkOutcome {
  providerCustomerId?: string;
  unsupportedFields: string[];
}

/** Where each canonical customer lives at each provider account, and how that copy stands. */
export abstract class ProviderLinkRepository {
  /**
   * Records that the customer is being written to the target under `reference` (status `pending`,
   * one more attempt), creating the link if it is new. Throws DomainError `provider_reference_taken`
   * when another customer already holds that reference at the same account.
   */
  abstract begin(customerId: string, target: ProviderTarget, reference: string): Promise<void>;

  abstract markSynced(customerId: string, target: ProviderTarget, outcome: LinkOutcome): Promise<void>;

  abstract markFailed(customerId: string, target: ProviderTarget, error: LinkError): Promise<void>;

  /** The customer linked at this provider under this reference or provider id, across its accounts. */
  abstract findCustomerId(provider: string, reference: string): Promise<string | undefined>;
}
