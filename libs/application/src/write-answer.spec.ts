import { answerFrom } from './write-answer';
import { type Customer, customerData, type ProviderLink } from '@app/domain';

const pending: ProviderLink = {
  provider: 'digital-river',
  account: 'default',
  reference: 'cus_1',
  status: 'pending',
  intent: 'sync',
  attempts: 1,
  unsupportedFields: [],
  lossyFields: [],
  primary: true,
  lockedUntil: new Date(60_000),
  createdAt: new Date(0),
};
const other: ProviderLink = { ...pending, provider: 'two-checkout', status: 'synced', primary: false };
const written: Customer = {
  id: 'cus_1',
  ...customerData({ email: 'ada@example.test' }),
  version: 1,
  createdAt: new Date(0),
  updatedAt: new Date(0),
  providers: [pending, other],
};
const synced: ProviderLink = { ...pending, status: 'synced', syncedVersion: 1, lockedUntil: undefined };

describe('answerFrom: the customer a write answers after delivering within its wait', () => {
  it('is the written customer with the links its settles stored, the others as written', () => {
    expect(answerFrom(written, { settled: [synced] })).toEqual({ ...written, providers: [synced, other] });
  });

  it('is the written customer itself when the write left nothing to deliver', () => {
    expect(answerFrom(written, { settled: [] })).toEqual(written);
  });

  it('is the customer the engine read after the last settle, whatever was written', () => {
    const read: Customer = { ...written, version: 2, providers: [{ ...synced, syncedVersion: 2 }] };

    expect(answerFrom(written, { read })).toBe(read);
    expect(answerFrom(undefined, { read })).toBe(read);
  });

  it('is undefined, so the request reads the customer, when the delivery did not finish', () => {
    expect(answerFrom(written, undefined)).toBeUndefined();
  });

  it('is undefined when the write did not answer the customer it wrote', () => {
    expect(answerFrom(undefined, { settled: [synced] })).toBeUndefined();
  });
});
