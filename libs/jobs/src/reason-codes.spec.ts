import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

import {
  DOMAIN_ERROR_CODES,
  OUTCOME_REASONS,
  type OutcomeReasonCode,
  PROVIDER_FAILURES,
  REASON_CODES,
} from '@app/domain';

import { reasonOfUnsettledLink } from './customer-choices';

const LIBS = resolve(__dirname, '../..');

/**
 * Where each outcome reason of the closed list is produced. The type system already refuses a
 * reason code outside the list (LinkError.code and OutcomeReason.code are ReasonCode); this table
 * keeps the list from holding a code nothing produces, and says where to look for each. Runs make
 * each of them for real in test/migration (outcome-reasons*.spec.ts, migrations-api.spec.ts).
 */
const PRODUCED_AT: Record<OutcomeReasonCode, { file: string; by: string }> = {
  not_found_at_source: { file: 'jobs/src/customer-migrator.ts', by: 'CustomerMigrator.readAtSource' },
  forgotten_at_source: { file: 'jobs/src/customer-migrator.ts', by: 'CustomerMigrator.readAtSource' },
  invalid_at_source: { file: 'jobs/src/customer-migrator.ts', by: 'CustomerMigrator.upsertCanonical' },
  customer_deleted: { file: 'jobs/src/customer-migrator.ts', by: 'CustomerMigrator.upsertCanonical' },
  verification_failed: { file: 'jobs/src/customer-migrator.ts', by: 'CustomerMigrator.verify' },
  cutover_failed: { file: 'jobs/src/customer-migrator.ts', by: 'CustomerMigrator.cutover' },
  already_at_target: { file: 'jobs/src/customer-migrator.ts', by: 'CustomerMigrator.migrate' },
  delivered_elsewhere: { file: 'jobs/src/customer-migrator.ts', by: 'CustomerMigrator.migrate' },
  delivery_failed: { file: 'jobs/src/customer-choices.ts', by: 'reasonOfUnsettledLink' },
  repair_incomplete: { file: 'jobs/src/customer-reconciler.ts', by: 'CustomerReconciler' },
  delete_unconfirmed: { file: 'application/src/link-delivery.ts', by: 'LinkDelivery (delete read-back)' },
  erasure_unconfirmed: { file: 'application/src/link-delivery.ts', by: 'LinkDelivery (erase read-back)' },
};

describe('the closed list of reason codes', () => {
  it('holds every domain error code, every provider failure code and every outcome reason, once', () => {
    expect(new Set(REASON_CODES).size).toBe(REASON_CODES.length);
    expect([...REASON_CODES].sort()).toEqual(
      [
        ...DOMAIN_ERROR_CODES,
        ...Object.values(PROVIDER_FAILURES).map((failure) => failure.code),
        ...Object.keys(OUTCOME_REASONS),
      ].sort(),
    );
  });

  it.each(Object.entries(PRODUCED_AT))('%s is produced by %j', (code, { file }) => {
    const source = readFileSync(resolve(LIBS, file), 'utf8');
    expect(source).toMatch(new RegExp(`code: (error\\?\\.code \\?\\? )?'${code}'`));
    expect(OUTCOME_REASONS[code as OutcomeReasonCode]).toEqual(expect.any(String));
  });

  it('delivery_failed: a target link that did not settle, with no error of its own', () => {
    expect(reasonOfUnsettledLink({ status: 'pending' })).toMatchObject({
      code: 'delivery_failed',
      retryable: true,
    });
    expect(reasonOfUnsettledLink({ status: 'missing' }).code).toBe('delivery_failed');
    expect(
      reasonOfUnsettledLink({
        status: 'failed',
        error: { code: 'provider_rejected', message: 'no', retryable: false },
      }),
    ).toMatchObject({ code: 'provider_rejected', retryable: false });
  });
});
