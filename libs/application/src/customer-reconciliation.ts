import { Injectable } from '@nestjs/common';

import { CustomerService } from './customer.service';
import { adoptionPatch } from './reconcile';
import { SyncEngine } from './sync-engine';
import {
  type CallContext,
  copyAt,
  dataOf,
  syncedLinks,
  copyDrift,
  type ComparedField,
  type FieldDrift,
  ProviderAccounts,
  type ProviderTarget,
  type RequestedTarget,
  targetOf,
  ProviderCallLog,
} from '@app/domain';

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

/**
 * Drift and its repair for one customer: how each provider's copy differs from the mirror, and
 * making them agree again. Used by the API and by whole-base reconciliation runs.
 */
@Injectable()
export class CustomerReconciliation {
  constructor(
    private readonly customers: CustomerService,
    private readonly engine: SyncEngine,
    private readonly accounts: ProviderAccounts,
    private readonly callLog: ProviderCallLog,
  ) {}

  /** Field by field, how each provider's copy differs from the mirror right now. */
  async drift(context: CallContext, id: string): Promise<LinkDrift[]> {
    const customer = await this.customers.get(id);
    const data = dataOf(customer);
    return Promise.all(
      syncedLinks(customer).map(async (link): Promise<LinkDrift> => {
        const provider = this.accounts.get(link.provider, link.account);
        const remote = await this.callLog.run(context, { customerId: id, operation: 'drift' }, (audited) =>
          provider.get({ ...copyAt(link), known: data }, audited),
        );
        const where = { ...targetOf(link), reference: link.reference };
        if (remote === null) return { ...where, state: 'missing', fields: [] };
        const fields = copyDrift(provider, data, remote);
        return { ...where, state: fields.length === 0 ? 'in_sync' : 'drifted', fields };
      }),
    );
  }

  /**
   * Repairs drift: fields to `adopt` are copied from the chosen provider into the mirror (which
   * queues them for every other provider); everything else is pushed from the mirror.
   */
  async reconcile(context: CallContext, id: string, request: ReconcileRequest): Promise<LinkDrift[]> {
    const customer = await this.customers.getWritable(id);
    const drift = await this.drift(context, id);
    const from = request.from ? this.accounts.resolve([request.from])[0] : undefined;
    const patch = adoptionPatch(drift, request, from);
    await this.engine.write(context, async () => {
      if (Object.keys(patch).length > 0) {
        await this.customers.update(context, id, patch, [customer.version], (merged, current) =>
          this.accounts.assertAccepted(merged, syncedLinks(current)),
        );
      }
      await this.engine.redrive(id);
      return { customerId: id };
    });
    return this.drift(context, id);
  }
}
