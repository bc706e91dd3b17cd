import { Inject, Injectable } from '@nestjs/common';

import {
  type Customer,
  type CustomerData,
  type LinkError,
  type ProviderLink,
  type TaxIdentifier,
} from './customer';
import { type CustomerPatch, CustomerService, newCustomerId } from './customer.service';
import {
  type CanonicalField,
  type CustomerProvider,
  type DryRunPlan,
  type PlannedRequest,
  type WriteOperation,
} from './customer-provider';
import { DomainError, ProviderError } from './errors';
import { ProviderLinkRepository, type ProviderTarget } from './provider-link.repository';
import { ProviderRegistry } from './provider-registry';

/** The provider accounts a create goes to when the caller names none (configuration). */
export const DEFAULT_PROVIDER_TARGETS = 'DEFAULT_PROVIDER_TARGETS';

/** A caller's choice of provider; the account defaults to the provider's first configured one. */
export interface RequestedTarget {
  provider: string;
  account?: string;
}

/** What one write did at one provider account. */
export interface ProviderReport extends ProviderTarget {
  outcome: 'synced' | 'deleted' | 'forgotten' | 'unsupported' | 'failed';
  /** For forget: personal fields the provider still holds (it has no way to erase them). */
  notErased?: CanonicalField[];
  error?: LinkError;
}

export interface ProviderPlan extends ProviderTarget {
  requests: PlannedRequest[];
  unsupportedFields: CanonicalField[];
  /** Why nothing would be sent to this provider, e.g. it has no such operation. */
  unsupported?: string;
}

export interface WriteReport {
  customer: Customer;
  providers: ProviderReport[];
}

export function linkErrorOf(error: unknown): LinkError {
  if (error instanceof ProviderError) {
    return {
      code: `provider_${error.kind}`,
      message: error.message,
      ...(error.providerCode !== undefined ? { providerCode: error.providerCode } : {}),
      ...(error.providerMessage !== undefined ? { providerMessage: error.providerMessage } : {}),
    };
  }
  if (error instanceof DomainError) return { code: error.code, message: error.message };
  return { code: 'internal_error', message: 'The gateway failed while calling the provider.' };
}

/** Provider failures are recorded on the link; anything else is a bug and propagates. */
function isProviderOutcome(error: unknown): boolean {
  return (
    error instanceof ProviderError ||
    (error instanceof DomainError && error.code === 'unsupported_by_provider')
  );
}

const referenceOf = (customer: Pick<Customer, 'id' | 'externalReference'>) =>
  customer.externalReference ?? customer.id;

function dataOf(customer: Customer): CustomerData {
  const {
    id: _id,
    forgottenAt: _f,
    version: _v,
    createdAt: _c,
    updatedAt: _u,
    providers: _p,
    ...data
  } = customer;
  return data;
}

/**
 * Keeps each canonical customer and its copies at the providers together: every write goes to the
 * mirror first, then to each linked provider account, and the outcome at each is recorded on the
 * link (synced, or failed with the provider's reason), so no divergence is ever silent.
 */
@Injectable()
export class CustomerSyncService {
  constructor(
    private readonly customers: CustomerService,
    private readonly links: ProviderLinkRepository,
    private readonly registry: ProviderRegistry,
    @Inject(DEFAULT_PROVIDER_TARGETS) private readonly defaultTargets: readonly RequestedTarget[],
  ) {}

  /** Validates the requested targets before anything is written (unknown ones are a 400). */
  resolveTargets(requested: readonly RequestedTarget[] | undefined): ProviderTarget[] {
    const targets = (requested ?? this.defaultTargets).map((target) => {
      const account =
        target.account ?? this.registry.all().find((p) => p.provider === target.provider)?.account;
      if (account === undefined) {
        throw new DomainError(
          'provider_unknown',
          `No account of provider "${target.provider}" is configured.`,
          [
            {
              field: 'providers',
              code: 'unknown_provider',
              message: `No account of "${target.provider}" is configured.`,
            },
          ],
        );
      }
      this.registry.get(target.provider, account);
      return { provider: target.provider, account };
    });
    const keys = targets.map((t) => `${t.provider}/${t.account}`);
    if (new Set(keys).size !== keys.length) {
      throw new DomainError('validation_failed', 'A provider account is named twice.', [
        { field: 'providers', code: 'duplicate', message: 'Name each provider account once.' },
      ]);
    }
    return targets;
  }

  async create(data: CustomerData, requested?: readonly RequestedTarget[]): Promise<WriteReport> {
    const targets = this.resolveTargets(requested);
    const customer = await this.customers.create(data);
    const providers = await Promise.all(targets.map((target) => this.pushTo(customer, target)));
    return { customer: await this.customers.get(customer.id), providers };
  }

  async planCreate(data: CustomerData, requested?: readonly RequestedTarget[]): Promise<ProviderPlan[]> {
    const targets = this.resolveTargets(requested);
    // The id is only drawn on a real create; the plan shows the reference a create would use.
    const reference = data.externalReference ?? newCustomerId();
    return Promise.all(
      targets.map((target) =>
        this.plan(target, { operation: 'create', input: { reference, customer: data } }),
      ),
    );
  }

  /** Pushes an existing customer to another provider account (`POST /v1/customers/{id}/links`). */
  async link(id: string, requested: RequestedTarget): Promise<WriteReport> {
    const customer = await this.writable(id);
    const [target] = this.resolveTargets([requested]) as [ProviderTarget];
    const report = await this.pushTo(customer, target);
    return { customer: await this.customers.get(id), providers: [report] };
  }

  async planLink(id: string, requested: RequestedTarget): Promise<ProviderPlan[]> {
    const customer = await this.writable(id);
    const [target] = this.resolveTargets([requested]) as [ProviderTarget];
    return [
      await this.plan(target, {
        operation: 'create',
        input: { reference: referenceOf(customer), customer: dataOf(customer) },
      }),
    ];
  }

  async update(id: string, patch: CustomerPatch, expectedVersions?: readonly number[]): Promise<WriteReport> {
    const before = await this.writable(id);
    const customer = await this.customers.update(id, patch, expectedVersions);
    const providers = await Promise.all(
      customer.providers.map((link) =>
        this.record(customer.id, link, (provider) =>
          provider.update({ ...this.ref(link), previous: dataOf(before), customer: dataOf(customer) }),
        ),
      ),
    );
    return { customer: await this.customers.get(id), providers };
  }

  async planUpdate(id: string, patch: CustomerPatch): Promise<ProviderPlan[]> {
    const before = await this.writable(id);
    const after = this.customers.preview(before, patch);
    return Promise.all(
      before.providers.map((link) =>
        this.plan(link, {
          operation: 'update',
          input: { ...this.ref(link), previous: dataOf(before), customer: after },
        }),
      ),
    );
  }

  /**
   * Deletes at every linked provider that can, then from the mirror. If a provider fails, the
   * mirror keeps the customer (and the link its reason), so a retry can finish the job.
   */
  async delete(id: string): Promise<ProviderReport[]> {
    const customer = await this.customers.get(id);
    const reports = await Promise.all(
      customer.providers.map(async (link): Promise<ProviderReport> => {
        const target = { provider: link.provider, account: link.account };
        try {
          await this.provider(link).delete(this.ref(link));
          return { ...target, outcome: 'deleted' };
        } catch (error) {
          if (error instanceof DomainError && error.code === 'unsupported_by_provider') {
            return { ...target, outcome: 'unsupported', error: linkErrorOf(error) };
          }
          if (!isProviderOutcome(error)) throw error;
          await this.links.markFailed(id, target, linkErrorOf(error));
          throw error;
        }
      }),
    );
    await this.customers.delete(id);
    return reports;
  }

  async planDelete(id: string): Promise<ProviderPlan[]> {
    const customer = await this.customers.get(id);
    return Promise.all(
      customer.providers.map((link) => this.plan(link, { operation: 'delete', input: this.ref(link) })),
    );
  }

  /**
   * GDPR erasure: asks every linked provider to forget, then erases the personal fields from the
   * mirror and from stored idempotent responses. What a provider could not erase is reported.
   */
  async forget(id: string): Promise<WriteReport> {
    const customer = await this.customers.get(id);
    const providers = await Promise.all(
      customer.providers.map(async (link): Promise<ProviderReport> => {
        const target = { provider: link.provider, account: link.account };
        try {
          const result = await this.provider(link).forget({ ...this.ref(link), customer: dataOf(customer) });
          await this.links.markSynced(id, target, {
            providerCustomerId: link.providerCustomerId,
            unsupportedFields: link.unsupportedFields,
          });
          return { ...target, outcome: 'forgotten', notErased: result.notErased };
        } catch (error) {
          if (!isProviderOutcome(error)) throw error;
          await this.links.markFailed(id, target, linkErrorOf(error));
          return { ...target, outcome: 'failed', error: linkErrorOf(error) };
        }
      }),
    );
    return { customer: await this.customers.erase(id), providers };
  }

  async findByReference(provider: string, reference: string): Promise<Customer> {
    const id = await this.links.findCustomerId(provider, reference);
    if (id === undefined) {
      throw new DomainError(
        'customer_not_found',
        `No customer is linked to ${provider} under "${reference}".`,
      );
    }
    return this.customers.get(id);
  }

  /**
   * Adopts a customer that already exists at a provider into the mirror, linked and synced. An
   * already adopted one is answered as it is (`created: false`), so importing twice is harmless.
   */
  async import(
    requested: RequestedTarget,
    reference: string,
  ): Promise<{ customer: Customer; created: boolean }> {
    const [target] = this.resolveTargets([requested]) as [ProviderTarget];
    const existing = await this.links.findCustomerId(target.provider, reference);
    if (existing !== undefined) return { customer: await this.customers.get(existing), created: false };
    const remote = await this.registry.get(target.provider, target.account).get({ reference });
    if (remote === null) {
      throw new DomainError(
        'provider_customer_not_found',
        `${target.provider}/${target.account} has no customer "${reference}".`,
      );
    }
    const customer = await this.customers.create(remote.customer);
    await this.links.begin(customer.id, target, remote.reference);
    await this.links.markSynced(customer.id, target, {
      providerCustomerId: remote.providerCustomerId,
      unsupportedFields: remote.unsupportedFields,
    });
    return { customer: await this.customers.get(customer.id), created: true };
  }

  async attachSource(id: string, sourceId: string): Promise<WriteReport> {
    return this.changeSources(id, sourceId, 'attachSource');
  }

  async detachSource(id: string, sourceId: string): Promise<WriteReport> {
    return this.changeSources(id, sourceId, 'detachSource');
  }

  /**
   * Adds or replaces the customer's tax identifier of that type, at the providers that hold one:
   * through their tax-identifier operation where they have one, else through an update (2CO's
   * `FiscalCode`).
   */
  async setTaxIdentifier(id: string, taxIdentifier: TaxIdentifier): Promise<WriteReport> {
    const before = await this.writable(id);
    const taxIdentifiers = [
      ...before.taxIdentifiers.filter((t) => t.type !== taxIdentifier.type),
      taxIdentifier,
    ];
    return this.changeTaxIdentifiers(before, taxIdentifiers, taxIdentifier, 'attachTaxIdentifier');
  }

  async removeTaxIdentifier(id: string, type: string): Promise<WriteReport> {
    const before = await this.writable(id);
    const removed = before.taxIdentifiers.find((t) => t.type === type);
    if (removed === undefined) {
      throw new DomainError('validation_failed', `The customer has no tax identifier of type "${type}".`, [
        { field: 'type', code: 'not_found', message: `No tax identifier of type "${type}".` },
      ]);
    }
    const taxIdentifiers = before.taxIdentifiers.filter((t) => t.type !== type);
    return this.changeTaxIdentifiers(before, taxIdentifiers, removed, 'detachTaxIdentifier');
  }

  private async changeTaxIdentifiers(
    before: Customer,
    taxIdentifiers: TaxIdentifier[],
    changed: TaxIdentifier,
    operation: 'attachTaxIdentifier' | 'detachTaxIdentifier',
  ): Promise<WriteReport> {
    this.requireSupport(
      before,
      ['attachTaxIdentifier', 'update'],
      'taxIdentifiers',
      (p) => p.capabilities.fields.taxIdentifiers.support !== 'none',
    );
    const customer = await this.customers.update(before.id, { taxIdentifiers }, [before.version]);
    const providers = await Promise.all(
      customer.providers.map((link) =>
        this.record(customer.id, link, (provider) =>
          provider.capabilities.operations[operation].support !== 'none'
            ? provider[operation]({ ...this.ref(link), taxIdentifier: changed })
            : provider.update({ ...this.ref(link), previous: dataOf(before), customer: dataOf(customer) }),
        ),
      ),
    );
    return { customer: await this.customers.get(customer.id), providers };
  }

  private async changeSources(
    id: string,
    sourceId: string,
    operation: 'attachSource' | 'detachSource',
  ): Promise<WriteReport> {
    const before = await this.writable(id);
    const holders = this.requireSupport(
      before,
      [operation],
      'sources',
      (p) => p.capabilities.operations[operation].support !== 'none',
    );
    const providers = await Promise.all(
      holders.map((link) =>
        this.record(id, link, (provider) => provider[operation]({ ...this.ref(link), sourceId })),
      ),
    );
    if (providers.every((report) => report.outcome === 'synced')) {
      const sourceIds =
        operation === 'attachSource'
          ? [...new Set([...before.sourceIds, sourceId])]
          : before.sourceIds.filter((s) => s !== sourceId);
      const defaultSourceId =
        operation === 'detachSource' && before.defaultSourceId === sourceId ? null : undefined;
      await this.customers.update(id, {
        sourceIds,
        ...(defaultSourceId === null ? { defaultSourceId } : {}),
      });
    }
    return { customer: await this.customers.get(id), providers };
  }

  /**
   * The links whose provider supports the change; a 422 naming the field and the providers when
   * none does, before any provider is called.
   */
  private requireSupport(
    customer: Customer,
    operations: readonly string[],
    field: string,
    supports: (provider: CustomerProvider) => boolean,
  ): ProviderLink[] {
    const holders = customer.providers.filter((link) => supports(this.provider(link)));
    if (holders.length === 0) {
      const linked = customer.providers.map((l) => `${l.provider}/${l.account}`);
      throw new DomainError(
        'unsupported_by_provider',
        linked.length === 0
          ? `The customer is linked to no provider, so there is nowhere to keep ${field}.`
          : `None of the customer's providers (${linked.join(', ')}) supports ${operations.join(' or ')} for ${field}.`,
        [
          {
            field,
            code: 'unsupported_by_provider',
            message: `Not supported by ${linked.join(', ') || 'any linked provider'}.`,
          },
        ],
      );
    }
    return holders;
  }

  private async writable(id: string): Promise<Customer> {
    const customer = await this.customers.get(id);
    if (customer.forgottenAt !== undefined) {
      throw new DomainError(
        'customer_forgotten',
        'The customer asked to be forgotten; it can no longer be changed.',
      );
    }
    return customer;
  }

  private async pushTo(customer: Customer, target: ProviderTarget): Promise<ProviderReport> {
    await this.links.begin(customer.id, target, referenceOf(customer));
    const provider = this.registry.get(target.provider, target.account);
    try {
      const result = await provider.create({ reference: referenceOf(customer), customer: dataOf(customer) });
      await this.links.markSynced(customer.id, target, {
        providerCustomerId: result.providerCustomerId,
        unsupportedFields: result.unsupportedFields,
      });
      return { ...target, outcome: 'synced' };
    } catch (error) {
      if (!isProviderOutcome(error)) throw error;
      await this.links.markFailed(customer.id, target, linkErrorOf(error));
      return { ...target, outcome: 'failed', error: linkErrorOf(error) };
    }
  }

  /** Runs one provider write for a link and records its outcome on the link. */
  private async record(
    customerId: string,
    link: ProviderLink,
    write: (
      provider: CustomerProvider,
    ) => Promise<{ unsupportedFields: CanonicalField[]; providerCustomerId?: string }>,
  ): Promise<ProviderReport> {
    const target = { provider: link.provider, account: link.account };
    await this.links.begin(customerId, target, link.reference);
    try {
      const result = await write(this.provider(link));
      await this.links.markSynced(customerId, target, {
        providerCustomerId: result.providerCustomerId ?? link.providerCustomerId,
        unsupportedFields: result.unsupportedFields,
      });
      return { ...target, outcome: 'synced' };
    } catch (error) {
      if (!isProviderOutcome(error)) throw error;
      await this.links.markFailed(customerId, target, linkErrorOf(error));
      return { ...target, outcome: 'failed', error: linkErrorOf(error) };
    }
  }

  private async plan(target: ProviderTarget, write: WriteOperation): Promise<ProviderPlan> {
    const where = { provider: target.provider, account: target.account };
    try {
      const plan: DryRunPlan = await this.registry.get(target.provider, target.account).dryRun(write);
      return { ...where, ...plan };
    } catch (error) {
      // The real write would report this provider as unsupported, so the plan does too.
      if (error instanceof DomainError && error.code === 'unsupported_by_provider') {
        return { ...where, requests: [], unsupportedFields: [], unsupported: error.message };
      }
      throw error;
    }
  }

  private provider(link: ProviderTarget): CustomerProvider {
    return this.registry.get(link.provider, link.account);
  }

  private ref(link: ProviderLink) {
    return {
      reference: link.reference,
      ...(link.providerCustomerId !== undefined ? { providerCustomerId: link.providerCustomerId } : {}),
    };
  }
}
