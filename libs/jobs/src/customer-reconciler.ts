import { Injectable } from '@nestjs/common';
import {
  type CallContext,
  type ItemResult,
  type ProviderDrift,
  type ReconciliationRun,
  ProviderAccounts,
  ProviderChanges,
  syncedLinks,
} from '@app/domain';
import { CustomerReconciliation, CustomerService } from '@app/application';

import { reasonOf } from './customer-choices';

/**
 * One customer of a whole-base reconciliation: compares the mirror with every provider copy
 * (`CustomerReconciliation.drift`) and, when the run repairs, pushes the mirror where it drifted
 * (`CustomerReconciliation.reconcile`). Which fields differ is kept; their values are not.
 */
@Injectable()
export class CustomerReconciler {
  constructor(
    private readonly reconciliation: CustomerReconciliation,
    private readonly customers: CustomerService,
    private readonly accounts: ProviderAccounts,
    private readonly changes: ProviderChanges,
  ) {}

  async check(context: CallContext, run: ReconciliationRun, customerId: string): Promise<ItemResult> {
    if (run.spec.trigger === 'sweep') return this.sweep(context, customerId);
    const base = { lossyFields: [], customerId };
    let drift: ProviderDrift[] = [];
    try {
      drift = (await this.reconciliation.drift(context, customerId)).flatMap((link): ProviderDrift[] =>
        link.state === 'in_sync'
          ? []
          : [
              {
                provider: link.provider,
                account: link.account,
                reference: link.reference,
                state: link.state,
                fields: link.fields.map((change) => change.field),
              },
            ],
      );
      if (drift.length === 0) return { ...base, outcome: 'in_sync' };
      if (!run.spec.repair) return { ...base, outcome: 'drifted', drift };
      const after = await this.reconciliation.reconcile(context, customerId, { strategy: 'push' });
      const left = after.filter((link) => link.state !== 'in_sync');
      if (left.length === 0) return { ...base, outcome: 'repaired', drift };
      return {
        ...base,
        outcome: 'failed',
        drift,
        reason: {
          code: 'repair_incomplete',
          message: `Still out of sync after the repair at ${left.map((l) => `${l.provider}/${l.account} (${l.state})`).join(', ')}.`,
          retryable: true,
        },
      };
    } catch (error) {
      return {
        ...base,
        outcome: 'failed',
        ...(drift.length > 0 ? { drift } : {}),
        reason: reasonOf(error, 'The reconciliation failed unexpectedly.'),
      };
    }
  }

  /**
   * One customer of a sweep: each of its copies at a provider that announces no changes
   * (`capabilities.changeNotifications: 'none'`, 2Checkout) goes through ProviderChanges, which
   * leaves echoes of our own writes alone and pushes back or adopts what differs, by the conflict
   * policy. `repaired` names the copies it resolved and their fields; copies at providers that
   * send events are theirs to report.
   */
  private async sweep(context: CallContext, customerId: string): Promise<ItemResult> {
    const base = { lossyFields: [], customerId };
    const drift: ProviderDrift[] = [];
    try {
      const customer = await this.customers.find(customerId);
      if (customer === undefined) return { ...base, outcome: 'in_sync' };
      const quiet = syncedLinks(customer).filter(
        (link) => this.accounts.get(link.provider, link.account).capabilities.changeNotifications === 'none',
      );
      for (const link of quiet) {
        const where = { provider: link.provider, account: link.account, reference: link.reference };
        const observed = await this.changes.observe(context, where);
        if (observed.kind !== 'resolved') continue;
        const fields = [...observed.pushed, ...observed.adopted];
        drift.push({ ...where, state: fields.length === 0 ? 'missing' : 'drifted', fields });
      }
      return drift.length === 0 ? { ...base, outcome: 'in_sync' } : { ...base, outcome: 'repaired', drift };
    } catch (error) {
      return {
        ...base,
        outcome: 'failed',
        ...(drift.length > 0 ? { drift } : {}),
        reason: reasonOf(error, 'The sweep failed unexpectedly.'),
      };
    }
  }
}
