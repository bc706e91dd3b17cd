import { Injectable } from '@nestjs/common';
import {
  type CallContext,
  CustomerReconciliation,
  type ItemResult,
  type ProviderDrift,
  type ReconciliationRun,
} from '@app/customer-domain';

import { reasonOf } from './customer-choices';

/**
 * One customer of a whole-base reconciliation: compares the mirror with every provider copy
 * (`CustomerReconciliation.drift`) and, when the run repairs, pushes the mirror where it drifted
 * (`CustomerReconciliation.reconcile`). Which fields differ is kept; their values are not.
 */
@Injectable()
export class CustomerReconciler {
  constructor(private readonly reconciliation: CustomerReconciliation) {}

  async check(context: CallContext, run: ReconciliationRun, customerId: string): Promise<ItemResult> {
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
}
