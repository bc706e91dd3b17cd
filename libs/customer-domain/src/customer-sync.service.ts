import { Inject, Injectable } from '@nestjs/common';

import {
  type Customer,
  type CustomerData,
  type Erasure,
  type LinkError,
  type ProviderLink,
  type TaxIdentifier,
} from './customer';
import { type CustomerPatch, CustomerService, newCustomerId } from './customer.service';
import { CustomerRepository, type StoredProviderCall } from './customer.repository';
import {
  type CanonicalField,
  type DryRunPlan,
  type PlannedRequest,
  type ProviderRuleViolation,
  type WriteOperation,
} from './customer-provider';
import { compareCustomers, type ComparedField, type FieldDrift } from './drift';
import { crashPoint } from './crash-points';
import { DomainError } from './errors';
import { adoptionPatch } from './reconcile';
import { withCallAudit } from './provider-calls';
import { ProviderRegistry } from './provider-registry';
import { SyncQueue } from './sync-queue';
import { dataOf, SyncWorker } from './sync-worker';

/** The provider accounts a create goes to when the caller names none (configuration). */
export const DEFAULT_PROVIDER_TARGETS = 'DEFAULT_PROVIDER_TARGETS';

export interface ProviderTarget {
  provider: string;
  account: string;
}

/** A caller's choice of provider; the account defaults to the provider's first configured one. */
export interface RequestedTarget {
  provider: string;
  account?: string;
}

/**
 * What a delete or forget did at one provider account, as far as it got within the wait:
 * `deleted` (a read-back found no copy), `scrubbed` (the provider cannot delete: its personal
 * fields were overwritten, confirmed by a read-back), `forgotten` (erasure confirmed), `requested`
 * (erasure asked for, not confirmed yet), `unsupported`, `pending` or `failed`.
 */
export interface ProviderReport extends ProviderTarget {
  outcome: 'deleted' | 'scrubbed' | 'forgotten' | 'requested' | 'unsupported' | 'pending' | 'failed';
  erasure?: Erasure;
  /** Personal fields this provider still holds, as far as the gateway knows. */
  remaining?: string[];
  error?: LinkError;
}

export interface ProviderPlan extends ProviderTarget {
  requests: PlannedRequest[];
  unsupportedFields: CanonicalField[];
  /** What this provider would refuse: the real write answers 422 with these. */
  violations: ProviderRuleViolation[];
  /** Why nothing would be sent to this provider, e.g. it has no such operation. */
  unsupported?: string;
}

export interface LinkDrift extends ProviderTarget {
  reference: string;
  state: 'in_sync' | 'drifted' | 'missing';
  fields: FieldDrift[];
}

export type ReconcileStrategy = 'push' | 'adopt';

export interface ReconcileRequest {
  /** `push` ours to the providers, or `adopt` the provider's values into the mirror. */
  strategy: ReconcileStrategy;
  /** Per-field choices that override `strategy`. */
  fields?: Partial<Record<ComparedField, ReconcileStrategy>>;
  /** The provider whose values `adopt` takes; default: the first drifted link. */
  from?: RequestedTarget;
}

const referenceOf = (customer: Pick<Customer, 'id' | 'externalReference'>) =>
  customer.externalReference ?? customer.id;
const targetOf = (link: ProviderTarget): ProviderTarget => ({
  provider: link.provider,
  account: link.account,
});
const sameTarget = (a: ProviderTarget, b: ProviderTarget) =>
  a.provider === b.provider && a.account === b.account;

/** A default source must be one of the customer's attached sources (as DR requires). */
function assertDefaultSourceAttached(data: CustomerData): void {
  if (data.defaultSourceId === undefined || data.sourceIds.includes(data.defaultSourceId)) return;
  throw new DomainError(
    'default_source_not_attached',
    `The source "${data.defaultSourceId}" is not attached to the customer; attach it first (POST /v1/customers/{id}/sources/{sourceId}?default=true does both).`,
    [
      {
        field: 'defaultSourceId',
        code: 'not_attached',
        message: "Must be one of the customer's attached sources.",
      },
    ],
  );
}

/**
 * The gateway's write path. Each write commits to the mirror together with the provider work it
 * implies (the links are the outbox), then waits a bounded time while the worker delivers it; the
 * answer shows every link as it stands: synced, pending, or failed with the provider's reason.
 */
@Injectable()
export class CustomerSyncService {
  constructor(
    private readonly customers: CustomerService,
    private readonly repository: CustomerRepository,
    private readonly queue: SyncQueue,
    private readonly worker: SyncWorker,
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

  async create(data: CustomerData, requested?: readonly RequestedTarget[]): Promise<Customer> {
    const targets = this.resolveTargets(requested);
    this.assertProviderRules(data, targets);
    const created = await this.customers.create(data, (id) =>
      targets.map((target) => ({ ...target, reference: data.externalReference ?? id })),
    );
    return this.deliver(created.id);
  }

  async planCreate(data: CustomerData, requested?: readonly RequestedTarget[]): Promise<ProviderPlan[]> {
    const targets = this.resolveTargets(requested);
    // The id is only drawn on a real create; the plan shows the reference a create would use.
    const reference = data.externalReference ?? newCustomerId();
    return Promise.all(
      targets.map((target) =>
        this.plan(target, { operation: 'create', input: { reference, customer: data } }, data),
      ),
    );
  }

  /** Pushes an existing customer to another provider account (`POST /v1/customers/{id}/links`). */
  async link(id: string, requested: RequestedTarget): Promise<Customer> {
    const customer = await this.writable(id);
    const [target] = this.resolveTargets([requested]) as [ProviderTarget];
    this.assertProviderRules(dataOf(customer), [target]);
    await this.repository.addLink(id, { ...target, reference: referenceOf(customer) });
    return this.deliver(id);
  }

  async planLink(id: string, requested: RequestedTarget): Promise<ProviderPlan[]> {
    const customer = await this.writable(id);
    const [target] = this.resolveTargets([requested]) as [ProviderTarget];
    const data = dataOf(customer);
    return [
      await this.plan(
        target,
        { operation: 'create', input: { reference: referenceOf(customer), customer: data } },
        data,
      ),
    ];
  }

  async update(id: string, patch: CustomerPatch, expectedVersions?: readonly number[]): Promise<Customer> {
    await this.writable(id);
    await this.customers.update(id, patch, expectedVersions, (merged, current) =>
      this.assertProviderRules(merged, this.syncedLinks(current)),
    );
    return this.deliver(id);
  }

  async planUpdate(id: string, patch: CustomerPatch): Promise<ProviderPlan[]> {
    const before = await this.writable(id);
    const after = this.customers.preview(dataOf(before), patch);
    return Promise.all(
      this.syncedLinks(before).map((link) =>
        this.plan(
          link,
          { operation: 'update', input: { ...this.ref(link), previous: dataOf(before), customer: after } },
          after,
        ),
      ),
    );
  }

  /**
   * Deletes at every linked provider that can, then from the mirror. Until every provider copy is
   * gone the customer stays readable with `deletedAt` set and each link's state, so a failed
   * delete at a provider is visible and can be re-driven.
   */
  async delete(id: string): Promise<{ deleted: boolean; providers: ProviderReport[] }> {
    // A repeated delete re-drives provider deletes that failed or still wait.
    const targets = await this.customers.delete(id);
    await this.worker.syncNow(id);
    const after = await this.repository.findById(id);
    const providers = targets.map((link): ProviderReport => {
      const remaining = after?.providers.find((l) => sameTarget(l, link));
      if (
        remaining === undefined ||
        (remaining.status === 'synced' && remaining.erasure?.status === 'deleted')
      ) {
        return { ...targetOf(link), outcome: 'deleted' };
      }
      if (remaining.status === 'synced' && remaining.erasure !== undefined) {
        return {
          ...targetOf(link),
          outcome: remaining.erasure.status === 'unsupported' ? 'unsupported' : 'scrubbed',
          erasure: remaining.erasure,
          remaining: remaining.erasure.notErased,
        };
      }
      return this.pendingOrFailed(remaining);
    });
    // Deleted means nothing personal remains anywhere, which only a confirmed read-back shows.
    const deleted = providers.every(
      (report) =>
        report.outcome === 'deleted' || (report.outcome === 'scrubbed' && report.remaining?.length === 0),
    );
    return { deleted, providers };
  }

  async planDelete(id: string): Promise<ProviderPlan[]> {
    const customer = await this.customers.get(id);
    return Promise.all(
      customer.providers.map((link) => this.plan(link, { operation: 'delete', input: this.ref(link) })),
    );
  }

  /**
   * GDPR erasure: erases the personal fields from the mirror, stored idempotent answers and the
   * outbox at once (one transaction), then asks every linked provider to forget. The tombstone
   * keeps ids, timestamps and each provider's erasure status.
   */
  async forget(id: string): Promise<{ customer: Customer; providers: ProviderReport[] }> {
    await this.customers.get(id);
    await this.customers.erase(id);
    const customer = await this.deliver(id);
    const providers = customer.providers.map((link): ProviderReport =>
      link.status === 'synced' && link.erasure !== undefined
        ? {
            ...targetOf(link),
            outcome: link.erasure.status === 'unsupported' ? 'unsupported' : 'forgotten',
            erasure: link.erasure,
            remaining: link.erasure.notErased,
          }
        : this.pendingOrFailed(link),
    );
    return { customer, providers };
  }

  async findByReference(provider: string, reference: string): Promise<Customer> {
    const id = await this.repository.findIdByReference(provider, reference);
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
    const existing = await this.repository.findIdByReference(target.provider, reference);
    if (existing !== undefined) return { customer: await this.customers.get(existing), created: false };
    const provider = this.registry.get(target.provider, target.account);
    const audited = await withCallAudit({ operation: 'import' }, () => provider.get({ reference }));
    await this.queue.recordCalls(undefined, 'import', audited.calls);
    if (audited.error !== undefined) throw audited.error as Error;
    const remote = audited.result ?? null;
    if (remote === null) {
      throw new DomainError(
        'provider_customer_not_found',
        `${target.provider}/${target.account} has no customer "${reference}".`,
      );
    }
    const customer = await this.customers.adopt(remote.customer, {
      ...target,
      reference: remote.reference,
      providerCustomerId: remote.providerCustomerId,
      unsupportedFields: remote.unsupportedFields,
      lossyFields: provider.lossyFields(remote.customer),
    });
    return { customer, created: true };
  }

  /** `makeDefault` also makes it the customer's default source. */
  attachSource(id: string, sourceId: string, makeDefault = false): Promise<Customer> {
    return this.changeList(id, 'sourceIds', (customer) => ({
      sourceIds: [...new Set([...customer.sourceIds, sourceId])],
      ...(makeDefault ? { defaultSourceId: sourceId } : {}),
    }));
  }

  detachSource(id: string, sourceId: string): Promise<Customer> {
    return this.changeList(id, 'sourceIds', (customer) => ({
      sourceIds: customer.sourceIds.filter((s) => s !== sourceId),
      ...(customer.defaultSourceId === sourceId ? { defaultSourceId: null } : {}),
    }));
  }

  /** Adds or replaces the customer's tax identifier of that type. */
  setTaxIdentifier(id: string, taxIdentifier: TaxIdentifier): Promise<Customer> {
    return this.changeList(id, 'taxIdentifiers', (customer) => ({
      taxIdentifiers: [
        ...customer.taxIdentifiers.filter((t) => t.type !== taxIdentifier.type),
        taxIdentifier,
      ],
    }));
  }

  removeTaxIdentifier(id: string, type: string): Promise<Customer> {
    return this.changeList(id, 'taxIdentifiers', (customer) => {
      if (!customer.taxIdentifiers.some((t) => t.type === type)) {
        throw new DomainError('validation_failed', `The customer has no tax identifier of type "${type}".`, [
          { field: 'type', code: 'not_found', message: `No tax identifier of type "${type}".` },
        ]);
      }
      return { taxIdentifiers: customer.taxIdentifiers.filter((t) => t.type !== type) };
    });
  }

  /** Puts the customer's parked (failed) and waiting links back in line and delivers them now. */
  async redrive(id: string): Promise<Customer> {
    await this.customers.get(id);
    await this.queue.redrive(id);
    return this.deliver(id);
  }

  /** Field by field, how each provider's copy differs from the mirror right now. */
  async drift(id: string): Promise<LinkDrift[]> {
    const customer = await this.customers.get(id);
    const data = dataOf(customer);
    return Promise.all(
      this.syncedLinks(customer).map(async (link): Promise<LinkDrift> => {
        const provider = this.registry.get(link.provider, link.account);
        const audited = await withCallAudit({ customerId: id, operation: 'drift' }, () =>
          provider.get({ ...this.ref(link), known: data }),
        );
        await this.queue.recordCalls(id, 'drift', audited.calls);
        if (audited.error !== undefined) throw audited.error as Error;
        const remote = audited.result ?? null;
        const where = { ...targetOf(link), reference: link.reference };
        if (remote === null) return { ...where, state: 'missing', fields: [] };
        const unheld = await this.worker.unheldFields(provider, link.reference, data);
        const fields = compareCustomers(data, remote.customer, [...remote.unsupportedFields, ...unheld]);
        return { ...where, state: fields.length === 0 ? 'in_sync' : 'drifted', fields };
      }),
    );
  }

  /**
   * Repairs drift: fields to `adopt` are copied from the chosen provider into the mirror (which
   * queues them for every other provider); everything else is pushed from the mirror.
   */
  async reconcile(id: string, request: ReconcileRequest): Promise<LinkDrift[]> {
    const customer = await this.writable(id);
    const drift = await this.drift(id);
    const from = request.from ? this.resolveTargets([request.from])[0] : undefined;
    const patch = adoptionPatch(drift, request, from);
    if (Object.keys(patch).length > 0) {
      await this.customers.update(id, patch, [customer.version], (merged, current) =>
        this.assertProviderRules(merged, this.syncedLinks(current)),
      );
    }
    await this.queue.redrive(id);
    await this.deliver(id);
    return this.drift(id);
  }

  async calls(id: string, limit: number): Promise<StoredProviderCall[]> {
    await this.customers.get(id);
    return this.repository.calls(id, limit);
  }

  /** A change to a list field, refused (422) before anything is written when no linked provider holds it. */
  private async changeList(
    id: string,
    field: 'sourceIds' | 'taxIdentifiers',
    change: (customer: Customer) => CustomerPatch,
  ): Promise<Customer> {
    const customer = await this.writable(id);
    const holders = this.syncedLinks(customer).filter(
      (link) => this.registry.get(link.provider, link.account).capabilities.fields[field].support !== 'none',
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
    await this.customers.update(id, change(customer), [customer.version], (merged, current) =>
      this.assertProviderRules(merged, this.syncedLinks(current)),
    );
    return this.deliver(id);
  }

  /** After a committed write: deliver within the wait, and answer the links as they stand. */
  private async deliver(id: string): Promise<Customer> {
    await crashPoint('after-commit');
    await this.worker.syncNow(id);
    return this.customers.get(id);
  }

  private async writable(id: string): Promise<Customer> {
    const customer = await this.customers.get(id);
    if (customer.forgottenAt !== undefined) {
      throw new DomainError(
        'customer_forgotten',
        'The customer asked to be forgotten; it can no longer be changed.',
      );
    }
    if (customer.deletedAt !== undefined) {
      throw new DomainError('customer_not_found', `The customer "${id}" is being deleted.`);
    }
    return customer;
  }

  private syncedLinks(customer: Customer): ProviderLink[] {
    return customer.providers.filter((link) => link.intent === 'sync');
  }

  private pendingOrFailed(link: ProviderLink): ProviderReport {
    const requested = link.status === 'pending' && link.erasure?.status === 'requested';
    return {
      ...targetOf(link),
      outcome: link.status === 'failed' ? 'failed' : requested ? 'requested' : 'pending',
      ...(link.erasure !== undefined ? { erasure: link.erasure, remaining: link.erasure.notErased } : {}),
      ...(link.lastError !== undefined ? { error: link.lastError } : {}),
    };
  }

  /** Every (provider, field, rule) the targets would refuse in `data`, each provider once. */
  private violations(data: CustomerData, targets: readonly ProviderTarget[]): ProviderRuleViolation[] {
    const providers = [...new Map(targets.map((t) => [t.provider, t])).values()];
    return providers.flatMap((target) => this.registry.get(target.provider, target.account).check(data));
  }

  /**
   * Refuses (422, nothing written) a write a target provider would refuse, listing every problem
   * at once. A customer can stay mirror-only for a provider by not being linked to it.
   */
  private assertProviderRules(data: CustomerData, targets: readonly ProviderTarget[]): void {
    assertDefaultSourceAttached(data);
    const violations = this.violations(data, targets);
    if (violations.length === 0) return;
    const byProvider = new Map<string, string[]>();
    for (const v of violations) byProvider.set(v.provider, [...(byProvider.get(v.provider) ?? []), v.field]);
    throw new DomainError(
      'provider_rules_violated',
      `A linked provider would refuse this customer: ${[...byProvider]
        .map(([provider, fields]) => `${provider} needs ${fields.join(', ')}`)
        .join('; ')}. Complete the customer, or keep it out of that provider (providers: []).`,
      violations.map((v) => ({ field: v.field, code: v.rule, message: v.message, provider: v.provider })),
    );
  }

  private async plan(
    target: ProviderTarget,
    write: WriteOperation,
    data?: CustomerData,
  ): Promise<ProviderPlan> {
    const where = targetOf(target);
    const violations = data === undefined ? [] : this.violations(data, [target]);
    try {
      const plan: DryRunPlan = await this.registry.get(target.provider, target.account).dryRun(write);
      return { ...where, ...plan, violations };
    } catch (error) {
      // The real write would report this provider as unsupported, so the plan does too.
      if (error instanceof DomainError && error.code === 'unsupported_by_provider') {
        return { ...where, requests: [], unsupportedFields: [], violations, unsupported: error.message };
      }
      throw error;
    }
  }

  private ref(link: ProviderLink) {
    return {
      reference: link.reference,
      ...(link.providerCustomerId !== undefined ? { providerCustomerId: link.providerCustomerId } : {}),
    };
  }
}
