import { type Customer, type ProviderLink } from './customer';
import { deletionReport, nothingRemains, tombstoneExpired, tombstoneOf } from './tombstones';

const link = (fields: Partial<ProviderLink>): ProviderLink => ({
  provider: 'digital-river',
  account: 'sandbox',
  reference: 'ref-1',
  status: 'synced',
  intent: 'delete',
  attempts: 1,
  unsupportedFields: [],
  lossyFields: [],
  primary: false,
  createdAt: new Date(0),
  ...fields,
});

const deletedAt = new Date('2026-12-07T03:00:00.000Z');

describe('what a deleted customer says remains where', () => {
  it('names nothing at a provider whose delete was confirmed, and what a scrub could not erase', () => {
    const tombstone = tombstoneOf({
      id: 'cus_1',
      deletedAt,
      providers: [
        link({ erasure: { status: 'deleted', notErased: [] } }),
        link({ provider: 'two-checkout', erasure: { status: 'partial', notErased: ['address'] } }),
      ],
    } as unknown as Customer & { deletedAt: Date });

    expect(tombstone).toEqual({
      deletedAt,
      providers: [
        { provider: 'digital-river', account: 'sandbox', outcome: 'deleted', remaining: [] },
        {
          provider: 'two-checkout',
          account: 'sandbox',
          outcome: 'scrubbed',
          erasure: { status: 'partial', notErased: ['address'] },
          remaining: ['address'],
        },
      ],
    });
  });

  it('counts everything as held where the delete is not confirmed yet', () => {
    const tombstone = tombstoneOf({
      id: 'cus_1',
      deletedAt,
      providers: [
        link({
          status: 'failed',
          lastError: { code: 'provider_unavailable', message: 'x', retryable: true },
        }),
      ],
    } as unknown as Customer & { deletedAt: Date });

    expect(tombstone.providers[0]).toMatchObject({ outcome: 'failed', remaining: ['*'] });
  });

  it('is not deleted while a deleted copy leaves sources behind', () => {
    const report = deletionReport(link({}), link({ erasure: { status: 'deleted', notErased: ['sources'] } }));

    expect(report).toMatchObject({ outcome: 'deleted', remaining: ['sources'] });
    expect(nothingRemains([report])).toBe(false);
    expect(nothingRemains([deletionReport(link({}), undefined)])).toBe(true);
  });

  it('expires once the retention has passed', () => {
    expect(tombstoneExpired(deletedAt, 3_600_000, deletedAt.getTime() + 3_599_999)).toBe(false);
    expect(tombstoneExpired(deletedAt, 3_600_000, deletedAt.getTime() + 3_600_000)).toBe(true);
  });
});
