import { Inject, Injectable } from '@nestjs/common';

import { type CustomerPatch, CustomerService, newCustomerId } from './customer.service';
import {
  type CallContext,
  copyAt,
  type CustomerData,
  dataOf,
  referenceOf,
  syncedLinks,
  type CanonicalField,
  type PlannedRequest,
  type ProviderRuleViolation,
  type WriteOperation,
  DomainError,
  DEFAULT_PROVIDER_TARGETS,
  ProviderAccounts,
  type ProviderTarget,
  type RequestedTarget,
  targetOf,
} from '@app/domain';

export interface ProviderPlan extends ProviderTarget {
  requests: PlannedRequest[];
  unsupportedFields: CanonicalField[];
  /** What this provider would hold only in part (the link's `lossyFields` once written). */
  lossyFields: CanonicalField[];
  /** What this provider would refuse: the real write answers 422 with these. */
  violations: ProviderRuleViolation[];
  /** Why nothing would be sent to this provider, e.g. it has no such operation. */
  unsupported?: string;
}

/**
 * Dry runs (`?dryRun=true`): the exact provider requests a write would send, per provider account,
 * with what each would refuse. Nothing is written anywhere and no write is sent.
 */
@Injectable()
export class CustomerPlanner {
  constructor(
    private readonly customers: CustomerService,
    private readonly accounts: ProviderAccounts,
    @Inject(DEFAULT_PROVIDER_TARGETS) private readonly defaultTargets: readonly RequestedTarget[],
  ) {}

  async planCreate(
    context: CallContext,
    data: CustomerData,
    requested?: readonly RequestedTarget[],
  ): Promise<ProviderPlan[]> {
    const targets = this.accounts.resolve(requested ?? this.defaultTargets);
    // The id is only drawn on a real create; the plan shows the reference a create would use.
    const reference = data.externalReference ?? newCustomerId();
    return Promise.all(
      targets.map((target) =>
        this.plan(context, target, { operation: 'create', input: { reference, customer: data } }, data),
      ),
    );
  }

  async planLink(context: CallContext, id: string, requested: RequestedTarget): Promise<ProviderPlan[]> {
    const customer = await this.customers.getWritable(id);
    const [target] = this.accounts.resolve([requested]) as [ProviderTarget];
    const data = dataOf(customer);
    return [
      await this.plan(
        context,
        target,
        { operation: 'create', input: { reference: referenceOf(customer), customer: data } },
        data,
      ),
    ];
  }

  async planUpdate(context: CallContext, id: string, patch: CustomerPatch): Promise<ProviderPlan[]> {
    const before = await this.customers.getWritable(id);
    const after = this.customers.preview(dataOf(before), patch);
    return Promise.all(
      syncedLinks(before).map((link) =>
        this.plan(
          context,
          link,
          { operation: 'update', input: { ...copyAt(link), previous: dataOf(before), customer: after } },
          after,
        ),
      ),
    );
  }

  async planDelete(context: CallContext, id: string): Promise<ProviderPlan[]> {
    const customer = await this.customers.get(id);
    return Promise.all(
      customer.providers.map((link) =>
        this.plan(context, link, { operation: 'delete', input: copyAt(link) }),
      ),
    );
  }

  private async plan(
    context: CallContext,
    target: ProviderTarget,
    write: WriteOperation,
    data?: CustomerData,
  ): Promise<ProviderPlan> {
    const where = targetOf(target);
    const provider = this.accounts.get(target.provider, target.account);
    const violations = data === undefined ? [] : this.accounts.violations(data, [target]);
    const lossyFields = data === undefined ? [] : provider.lossyFields(data);
    try {
      const plan = await provider.dryRun(write, context);
      return { ...where, ...plan, lossyFields, violations };
    } catch (error) {
      // The real write would report this provider as unsupported, so the plan does too.
      if (error instanceof DomainError && error.code === 'unsupported_by_provider') {
        return {
          ...where,
          requests: [],
          unsupportedFields: [],
          lossyFields,
          violations,
          unsupported: error.message,
        };
      }
      throw error;
    }
  }
}
