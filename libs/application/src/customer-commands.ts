import { Inject, Injectable } from '@nestjs/common';

import { type CustomerPatch, CustomerService } from './customer.service';
import { SyncEngine } from './sync-engine';
import { answerFrom } from './write-answer';
import {
  type CallContext,
  type Customer,
  type CustomerData,
  dataOf,
  referenceOf,
  syncedLinks,
  type TaxIdentifier,
  type LinkTarget,
  DomainError,
  DEFAULT_PROVIDER_TARGETS,
  ProviderAccounts,
  type ProviderTarget,
  type RequestedTarget,
  sameTarget,
  targetOf,
  ProviderCallLog,
  deletionReport,
  nothingRemains,
  pendingOrFailed,
  type ProviderReport,
} from '@app/domain';

/**
 * The gateway's write path. Each write commits to the mirror together with the provider work it
 * implies (the links are the outbox), then waits a bounded time while the sync engine delivers it;
 * the answer shows every link as it stands: synced, pending, or failed with the provider's reason.
 */
@Injectable()
export class CustomerCommands {
  constructor(
    private readonly customers: CustomerService,
    private readonly engine: SyncEngine,
    private readonly accounts: ProviderAccounts,
    private readonly callLog: ProviderCallLog,
    @Inject(DEFAULT_PROVIDER_TARGETS) private readonly defaultTargets: readonly RequestedTarget[],
  ) {}

  async create(
    context: CallContext,
    data: CustomerData,
    requested?: readonly RequestedTarget[],
  ): Promise<Customer> {
    const targets = this.accounts.resolve(requested ?? this.defaultTargets);
    this.accounts.assertAccepted(data, targets);
    // Written claimed for this request, which delivers them within its wait.
    return this.answer(context, async (lease) => {
      const { customer, claimed } = await this.customers.create(
        context,
        data,
        (id) => targets.map((target) => ({ ...target, reference: data.externalReference ?? id })),
        lease,
      );
      return { customerId: customer.id, written: customer, claimed };
    });
  }

  /** Pushes an existing customer to another provider account (`POST /v1/customers/{id}/links`). */
  async link(context: CallContext, id: string, requested: RequestedTarget): Promise<Customer> {
    const customer = await this.customers.getWritable(id);
    const [target] = this.accounts.resolve([requested]) as [ProviderTarget];
    this.accounts.assertAccepted(dataOf(customer), [target]);
    return this.answer(context, async () => {
      await this.engine.enqueue(context, id, { ...target, reference: referenceOf(customer) });
      return { customerId: id };
    });
  }

  async update(
    context: CallContext,
    id: string,
    patch: CustomerPatch,
    expectedVersions?: readonly number[],
  ): Promise<Customer> {
    return this.answer(context, async () => {
      const updated = await this.customers.update(context, id, patch, expectedVersions, (merged, current) =>
        this.accounts.assertAccepted(merged, syncedLinks(current)),
      );
      return { customerId: id, written: updated };
    });
  }

  /**
   * Deletes at every linked provider that can, then from the mirror. Until every provider copy is
   * gone the customer stays readable with `deletedAt` set and each link's state, so a failed
   * delete at a provider is visible and can be re-driven.
   */
  async delete(context: CallContext, id: string): Promise<{ deleted: boolean; providers: ProviderReport[] }> {
    // A repeated delete re-drives provider deletes that failed or still wait, and answers what
    // the tombstone says; past the tombstone's retention the customer is as gone as one never seen.
    await this.customers.assertNotExpired(id);
    let targets: LinkTarget[] = [];
    await this.engine.write(context, async () => {
      targets = await this.customers.delete(context, id);
      return { customerId: id };
    });
    const after = await this.customers.find(id);
    const providers = targets.map((target) =>
      deletionReport(
        target,
        after?.providers.find((l) => sameTarget(l, target)),
      ),
    );
    // Deleted means nothing personal remains anywhere, which only a confirmed read-back shows.
    const deleted = nothingRemains(providers);
    return { deleted, providers };
  }

  /**
   * GDPR erasure: erases the personal fields from the mirror, stored idempotent answers and the
   * outbox at once (one transaction), then asks every linked provider to forget. The tombstone
   * keeps ids, timestamps and each provider's erasure status.
   */
  async forget(
    context: CallContext,
    id: string,
  ): Promise<{ customer: Customer; providers: ProviderReport[] }> {
    // A deleted customer holds nothing personal in the mirror; its tombstone answers (410).
    await this.customers.getLive(id);
    const customer = await this.answer(context, async () => {
      await this.customers.erase(context, id);
      return { customerId: id };
    });
    const providers = customer.providers.map((link): ProviderReport =>
      link.status === 'synced' && link.erasure !== undefined
        ? {
            ...targetOf(link),
            outcome: link.erasure.status === 'unsupported' ? 'unsupported' : 'forgotten',
            erasure: link.erasure,
            remaining: link.erasure.notErased,
          }
        : pendingOrFailed(link),
    );
    return { customer, providers };
  }

  /**
   * Adopts a customer that already exists at a provider into the mirror, linked and synced. An
   * already adopted one is answered as it is (`created: false`), so importing twice is harmless.
   */
  async import(
    context: CallContext,
    requested: RequestedTarget,
    reference: string,
  ): Promise<{ customer: Customer; created: boolean }> {
    const [target] = this.accounts.resolve([requested]) as [ProviderTarget];
    const existing = await this.customers.findLinked(target.provider, reference);
    if (existing !== undefined) return { customer: existing, created: false };
    const provider = this.accounts.get(target.provider, target.account);
    const remote = await this.callLog.run(context, { operation: 'import' }, (audited) =>
      provider.get({ reference }, audited),
    );
    if (remote === null) {
      throw new DomainError(
        'provider_customer_not_found',
        `${target.provider}/${target.account} has no customer "${reference}".`,
      );
    }
    const customer = await this.customers.adopt(context, remote.customer, {
      ...target,
      reference: remote.reference,
      ...(remote.providerCustomerId !== undefined ? { providerCustomerId: remote.providerCustomerId } : {}),
      unsupportedFields: remote.unsupportedFields,
      lossyFields: provider.lossyFields(remote.customer),
    });
    return { customer, created: true };
  }

  /** `makeDefault` also makes it the customer's default source. */
  attachSource(context: CallContext, id: string, sourceId: string, makeDefault = false): Promise<Customer> {
    return this.changeList(context, id, 'sourceIds', (customer) => ({
      sourceIds: [...new Set([...customer.sourceIds, sourceId])],
      ...(makeDefault ? { defaultSourceId: sourceId } : {}),
    }));
  }

  detachSource(context: CallContext, id: string, sourceId: string): Promise<Customer> {
    return this.changeList(context, id, 'sourceIds', (customer) => ({
      sourceIds: customer.sourceIds.filter((s) => s !== sourceId),
      ...(customer.defaultSourceId === sourceId ? { defaultSourceId: null } : {}),
    }));
  }

  /** Adds or replaces the customer's tax identifier of that type. */
  setTaxIdentifier(context: CallContext, id: string, taxIdentifier: TaxIdentifier): Promise<Customer> {
    return this.changeList(context, id, 'taxIdentifiers', (customer) => ({
      taxIdentifiers: [
        ...customer.taxIdentifiers.filter((t) => t.type !== taxIdentifier.type),
        taxIdentifier,
      ],
    }));
  }

  removeTaxIdentifier(context: CallContext, id: string, type: string): Promise<Customer> {
    return this.changeList(context, id, 'taxIdentifiers', (customer) => {
      if (!customer.taxIdentifiers.some((t) => t.type === type)) {
        throw new DomainError('validation_failed', `The customer has no tax identifier of type "${type}".`, [
          { field: 'type', code: 'not_found', message: `No tax identifier of type "${type}".` },
        ]);
      }
      return { taxIdentifiers: customer.taxIdentifiers.filter((t) => t.type !== type) };
    });
  }

  /** Puts the customer's parked (failed) and waiting links back in line and delivers them now. */
  async redrive(context: CallContext, id: string): Promise<Customer> {
    await this.customers.get(id);
    return this.answer(context, async () => {
      await this.engine.redrive(id);
      return { customerId: id };
    });
  }

  /** A change to a list field, refused (422) before anything is written when no linked provider holds it. */
  private async changeList(
    context: CallContext,
    id: string,
    field: 'sourceIds' | 'taxIdentifiers',
    change: (customer: Customer) => CustomerPatch,
  ): Promise<Customer> {
    const customer = await this.customers.getWritable(id);
    const holders = syncedLinks(customer).filter(
      (link) => this.accounts.get(link.provider, link.account).capabilities.fields[field].support !== 'none',
    );
    if (holders.length === 0) {
      const linked = customer.providers.map((l) => `${l.provider}/${l.account}`);
      const name = field === 'sourceIds' ? 'sources' : 'taxIdentifiers';
      throw new DomainError(
        'unsupported_by_provider',
        linked.length === 0
          ? `The customer is linked to no provider, so there is nowhere to keep ${name}.`
          : `None of the customer's providers (${linked.join(', ')}) holds ${name}.`,
        [
          {
            field: name,
            code: 'unsupported_by_provider',
            message: `Not supported by ${linked.join(', ') || 'any linked provider'}.`,
          },
        ],
      );
    }
    return this.answer(context, async () => {
      await this.customers.update(context, id, change(customer), [customer.version], (merged, current) =>
        this.accounts.assertAccepted(merged, syncedLinks(current)),
      );
      return { customerId: id };
    });
  }

  /**
   * Runs a write that queues provider work through the engine, which delivers it within the wait,
   * and answers the customer with its links as they stand (as delivered, else as read).
   */
  private async answer(context: CallContext, write: Parameters<SyncEngine['write']>[1]): Promise<Customer> {
    const { customerId, written, delivered } = await this.engine.write(context, write);
    return answerFrom(written, delivered) ?? this.customers.get(customerId);
  }
}
