import { Inject, Injectable, Logger } from '@nestjs/common';
import {
  retryDelayMs,
  type CallContext,
  copyAt,
  type Customer,
  dataOf,
  type LinkError,
  type CustomerProvider,
  copyDrift,
  DomainError,
  failureOf,
  ProviderError,
  ProviderAccounts,
  type DeliveryPolicy,
  SYNC_OPTIONS,
  type ClaimedLink,
  type SettleOutcome,
} from '@app/domain';

const linkError = (error: unknown): LinkError =>
  failureOf(error, 'The gateway failed while delivering to the provider.');

/**
 * Link delivery: what to send a provider for one leased link, and how the link settles. It knows
 * nothing of leases, lanes or the queue (the outbox worker, `SyncEngine`, owns those), so its
 * decisions are tested with fake providers alone (link-delivery.spec.ts).
 *
 * Delivery is state-based: it reads the provider's copy first and writes only the difference from
 * the mirror's current version, so a retry after an ambiguous failure (timeout, reset, commit then
 * fail) settles by reading back instead of creating again, updates reach a provider in order, and
 * a stale update can never overwrite a newer one: there is only ever "the latest".
 */
@Injectable()
export class LinkDelivery {
  private readonly logger = new Logger('LinkDelivery');

  constructor(
    private readonly accounts: ProviderAccounts,
    @Inject(SYNC_OPTIONS) private readonly policy: DeliveryPolicy,
  ) {}

  /**
   * Calls the provider for `link` of `customer`, under `context`, and answers how the link
   * settles; throws what the provider threw.
   */
  async perform(link: ClaimedLink, customer: Customer, context: CallContext): Promise<SettleOutcome> {
    const provider = this.accounts.get(link.provider, link.account);
    const ref = copyAt(link);
    switch (link.intent) {
      case 'sync':
        return this.sync(provider, link, customer, context);
      case 'delete': {
        // A provider without a delete (2CO) cannot lose the copy, so its personal fields are
        // scrubbed instead and the link stays as the tombstone's record of what remains there.
        if (provider.capabilities.operations.delete.support !== 'full')
          return this.erase(provider, link, ref, context);
        const { notErased } = await provider.delete(ref, context);
        // Confirmed by reading back, not by the delete's answer; what objects once linked to the
        // copy still hold (DR sources' owners) stays on the link, so the tombstone names it.
        if ((await provider.get(ref, context)) === null) return { kind: 'removed', notErased };
        return this.unconfirmed(link, {
          code: 'delete_unconfirmed',
          retryable: true,
          message: `${link.provider}/${link.account} still held the customer after its delete.`,
        });
      }
      case 'forget':
        return this.erase(provider, link, ref, context);
      case 'disable':
        return this.disable(provider, link, customer, context);
    }
  }

  /** How a delivery that threw settles: a retry after a backoff, or parked once attempts run out. */
  failure(link: ClaimedLink, error: unknown): SettleOutcome {
    if (!(error instanceof ProviderError) && !(error instanceof DomainError)) {
      this.logger.error(
        { error: (error as Error).name, stack: (error as Error).stack?.split('\n').slice(1, 4).join('|') },
        'delivery failed unexpectedly',
      );
    }
    const failed = linkError(error);
    if (failed.retryable && link.attempts < this.policy.maxAttempts) {
      const retryAfterMs = error instanceof ProviderError ? error.retryAfterMs : undefined;
      const delayMs = Math.max(this.backoff(link), retryAfterMs ?? 0);
      return { kind: 'retry', error: failed, nextAttemptAt: new Date(Date.now() + delayMs) };
    }
    return { kind: 'failed', error: failed };
  }

  /**
   * Asks the provider to erase the customer's personal data once, then confirms by reading back:
   * `erased` (or `partial`, naming what the provider cannot erase) only when the copy shows no
   * other personal data. Until then the link stays `requested` and is read again with backoff
   * (DR erases asynchronously after `requestToBeForgotten`); after `maxAttempts` reads it is
   * parked `failed` with the fields still held.
   */
  private async erase(
    provider: CustomerProvider,
    link: ClaimedLink,
    ref: { reference: string; providerCustomerId?: string },
    context: CallContext,
  ): Promise<SettleOutcome> {
    let remote = await provider.get(ref, context);
    if (remote === null) return { kind: 'forgotten', erasure: { status: 'erased', notErased: [] } };
    const canForget = provider.capabilities.operations.forget.support !== 'none';
    if (!canForget) return { kind: 'forgotten', erasure: { status: 'unsupported', notErased: ['*'] } };
    let held = provider.personalDataHeld(remote);
    const alreadyAsked = remote.forgotten || link.erasure?.status === 'requested';
    if (!alreadyAsked) {
      await provider.forget({ ...ref, customer: remote.customer, current: remote }, context);
      remote = await provider.get(ref, context);
      held = remote === null ? [] : provider.personalDataHeld(remote);
    }
    const erasable = held.filter((field) => !provider.unerasableFields.includes(field));
    if (erasable.length === 0) {
      return {
        kind: 'forgotten',
        erasure: { status: held.length === 0 ? 'erased' : 'partial', notErased: held },
      };
    }
    if (link.attempts >= this.policy.maxAttempts) {
      const message = `${link.provider}/${link.account} still held ${held.join(', ')} after ${link.attempts} read-backs.`;
      return { kind: 'failed', error: { code: 'erasure_unconfirmed', message, retryable: true } };
    }
    return {
      kind: 'erasure_requested',
      erasure: { status: 'requested', notErased: held },
      nextAttemptAt: new Date(Date.now() + this.backoff(link)),
    };
  }

  /**
   * Disables the provider's copy (a migration's cutover retires its source this way). State-based
   * like a sync: the copy is read first and only `enabled` is sent, unless it is disabled already
   * (a retry after an ambiguous failure finds its own update applied) or gone (nothing to disable).
   */
  private async disable(
    provider: CustomerProvider,
    link: ClaimedLink,
    customer: Customer,
    context: CallContext,
  ): Promise<SettleOutcome> {
    const data = dataOf(customer);
    const remote = await provider.get({ ...copyAt(link), known: data }, context);
    const providerCustomerId = remote?.providerCustomerId ?? link.providerCustomerId;
    const settled = {
      kind: 'synced',
      version: customer.version,
      unsupportedFields: provider.unsupportedFields(data),
      lossyFields: provider.lossyFields(data),
    } as const;
    if (remote === null || !remote.customer.enabled)
      return { ...settled, action: 'unchanged', providerCustomerId, ...(remote ? { remote } : {}) };
    const updated = await provider.update(
      {
        reference: link.reference,
        ...(providerCustomerId !== undefined ? { providerCustomerId } : {}),
        previous: remote.customer,
        customer: { ...remote.customer, enabled: false },
        current: remote,
      },
      context,
    );
    return {
      ...settled,
      action: 'updated',
      providerCustomerId: updated.providerCustomerId ?? providerCustomerId,
      ...(updated.stored === undefined ? {} : { remote: updated.stored }),
    };
  }

  /** A read-back contradicted the outcome: read again later, or park the link once attempts run out. */
  private unconfirmed(link: ClaimedLink, error: LinkError): SettleOutcome {
    if (link.attempts >= this.policy.maxAttempts) return { kind: 'failed', error };
    return { kind: 'retry', error, nextAttemptAt: new Date(Date.now() + this.backoff(link)) };
  }

  /**
   * Creates the provider's copy or sends only what differs from the mirror. The provider's copy is
   * read first unless this is the first attempt at a link never delivered: then nothing can be
   * there yet, and should something be (a link re-added after its copy was made elsewhere), the
   * adapters answer a duplicate create with the copy they find, which is compared like a read.
   * The copy read is handed to the update, so a read-modify-write provider (2CO) need not read it
   * again.
   */
  private async sync(
    provider: CustomerProvider,
    link: ClaimedLink,
    customer: Customer,
    context: CallContext,
  ): Promise<SettleOutcome> {
    const data = dataOf(customer);
    const firstDelivery =
      link.attempts === 1 && link.syncedVersion === undefined && link.providerCustomerId === undefined;
    let remote = firstDelivery ? null : await provider.get({ ...copyAt(link), known: data }, context);
    if (remote === null) {
      const created = await provider.create({ reference: link.reference, customer: data }, context);
      if (created.created || !firstDelivery) {
        return {
          kind: 'synced',
          action: created.created ? 'created' : 'unchanged',
          version: customer.version,
          providerCustomerId: created.providerCustomerId,
          // The same list whichever path settles the link (a create, or a read after a retry).
          unsupportedFields: [
            ...new Set([...(provider.unsupportedFields?.(data) ?? []), ...created.unsupportedFields]),
          ],
          lossyFields: provider.lossyFields(data),
          ...(created.stored === undefined ? {} : { remote: created.stored }),
        };
      }
      remote = created.stored;
    }
    const unheld = provider.unsupportedFields(data);
    const providerCustomerId = remote.providerCustomerId ?? link.providerCustomerId;
    if (copyDrift(provider, data, remote).length === 0) {
      return {
        kind: 'synced',
        action: 'unchanged',
        version: customer.version,
        providerCustomerId,
        unsupportedFields: unheld,
        lossyFields: provider.lossyFields(data),
        remote,
      };
    }
    const updated = await provider.update(
      {
        reference: link.reference,
        ...(providerCustomerId !== undefined ? { providerCustomerId } : {}),
        previous: remote.customer,
        customer: data,
        current: remote,
      },
      context,
    );
    return {
      kind: 'synced',
      action: 'updated',
      version: customer.version,
      providerCustomerId: updated.providerCustomerId ?? providerCustomerId,
      unsupportedFields: [...new Set([...unheld, ...updated.unsupportedFields])],
      lossyFields: provider.lossyFields(data),
      ...(updated.stored === undefined ? {} : { remote: updated.stored }),
    };
  }

  /** Capped exponential backoff with jitter, so many links that failed together spread out. */
  private backoff(link: ClaimedLink): number {
    return retryDelayMs(link.attempts, { baseMs: this.policy.retryBaseMs, maxMs: this.policy.retryMaxMs });
  }
}
