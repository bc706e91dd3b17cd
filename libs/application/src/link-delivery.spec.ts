import { LinkDelivery } from './link-delivery';
import {
  type CallContext,
  type Customer,
  customerData,
  type CustomerData,
  type CustomerProvider,
  type RemoteCustomer,
  ProviderError,
  type ProviderAccounts,
  type DeliveryPolicy,
  type ClaimedLink,
} from '@app/domain';

const JOB: CallContext = { actor: 'test' };
const POLICY: DeliveryPolicy = { maxAttempts: 3, retryBaseMs: 1_000, retryMaxMs: 8_000 };

const ada = customerData({ email: 'ada@example.test', givenName: 'Ada' });
const customer: Customer = {
  id: 'cus_1',
  ...ada,
  version: 4,
  createdAt: new Date(0),
  updatedAt: new Date(0),
  providers: [],
};

const link = (overrides: Partial<ClaimedLink> = {}): ClaimedLink => ({
  id: 'link-1',
  customerId: 'cus_1',
  provider: 'digital-river',
  account: 'default',
  reference: 'cus_1',
  intent: 'sync',
  attempts: 1,
  unsupportedFields: [],
  ...overrides,
});

const copyOf = (data: CustomerData, forgotten = false): RemoteCustomer => ({
  reference: 'cus_1',
  customer: data,
  unsupportedFields: [],
  forgotten,
});

/**
 * A provider account in memory that records every call: `held` is its copy (null for none), and
 * what it does on a delete or forget is up to the test.
 */
class FakeProvider {
  readonly calls: string[] = [];
  constructor(
    public held: RemoteCustomer | null,
    readonly support: { delete: 'full' | 'none'; forget: 'full' | 'none' } = {
      delete: 'full',
      forget: 'full',
    },
    readonly behaviour: { deleteRemoves?: boolean; forgetErases?: boolean; leavesBehind?: string[] } = {},
  ) {}

  asPort(): CustomerProvider {
    const capabilities = {
      operations: { delete: { support: this.support.delete }, forget: { support: this.support.forget } },
    };
    return {
      provider: 'digital-river',
      account: 'default',
      capabilities,
      unerasableFields: [],
      get: () => {
        this.calls.push('get');
        return Promise.resolve(this.held);
      },
      create: ({ customer: data }: { customer: CustomerData }) => {
        this.calls.push('create');
        this.held = copyOf(data);
        return Promise.resolve({ reference: 'cus_1', unsupportedFields: [], created: true });
      },
      update: ({ customer: data, previous }: { customer: CustomerData; previous: CustomerData }) => {
        this.calls.push(`update from ${previous.email ?? '-'}`);
        this.held = copyOf(data);
        return Promise.resolve({ reference: 'cus_1', unsupportedFields: [] });
      },
      delete: () => {
        this.calls.push('delete');
        if (this.behaviour.deleteRemoves) this.held = null;
        return Promise.resolve({ notErased: this.behaviour.leavesBehind ?? [] });
      },
      forget: () => {
        this.calls.push('forget');
        if (this.behaviour.forgetErases && this.held) this.held = copyOf(customerData(), true);
        return Promise.resolve({ notErased: [] });
      },
      unsupportedFields: () => [],
      lossyFields: () => [],
      personalDataHeld: (remote: RemoteCustomer) => (remote.customer.email === undefined ? [] : ['email']),
    } as unknown as CustomerProvider;
  }
}

const deliveryTo = (provider: FakeProvider) =>
  new LinkDelivery({ get: () => provider.asPort() } as unknown as ProviderAccounts, POLICY);

describe('LinkDelivery.perform: what a sync sends', () => {
  it("creates a link's first delivery without reading first: nothing can be there yet", async () => {
    const provider = new FakeProvider(null);

    await expect(deliveryTo(provider).perform(link(), customer, JOB)).resolves.toMatchObject({
      kind: 'synced',
      action: 'created',
      version: 4,
    });
    expect(provider.calls).toEqual(['create']);
  });

  it('reads first on a retry, and adopts a copy equal to the mirror instead of writing again', async () => {
    const provider = new FakeProvider(copyOf(ada));

    await expect(deliveryTo(provider).perform(link({ attempts: 2 }), customer, JOB)).resolves.toMatchObject({
      kind: 'synced',
      action: 'unchanged',
      version: 4,
    });
    expect(provider.calls).toEqual(['get']);
  });

  it('sends an update from the copy it read when the copy differs from the mirror', async () => {
    const provider = new FakeProvider(copyOf({ ...ada, email: 'old@example.test' }));

    await expect(
      deliveryTo(provider).perform(link({ attempts: 1, syncedVersion: 3 }), customer, JOB),
    ).resolves.toMatchObject({ kind: 'synced', action: 'updated', version: 4 });
    expect(provider.calls).toEqual(['get', 'update from old@example.test']);
  });

  it('creates again on a retry that finds the copy gone', async () => {
    const provider = new FakeProvider(null);

    await expect(deliveryTo(provider).perform(link({ attempts: 2 }), customer, JOB)).resolves.toMatchObject({
      kind: 'synced',
      action: 'created',
    });
    expect(provider.calls).toEqual(['get', 'create']);
  });
});

describe("LinkDelivery.perform: a cutover's disable", () => {
  const disable = link({ intent: 'disable', attempts: 1, syncedVersion: 4 });

  it('reads the copy and sends only enabled=false, from the copy it read', async () => {
    const provider = new FakeProvider(copyOf({ ...ada, email: 'theirs@example.test' }));

    await expect(deliveryTo(provider).perform(disable, customer, JOB)).resolves.toMatchObject({
      kind: 'synced',
      action: 'updated',
      version: 4,
    });
    expect(provider.calls).toEqual(['get', 'update from theirs@example.test']);
    // The rest of the copy is left as the provider held it.
    expect(provider.held?.customer).toEqual({ ...ada, email: 'theirs@example.test', enabled: false });
  });

  it('sends nothing when the copy is disabled already (a retry after its update landed) or gone', async () => {
    for (const held of [copyOf({ ...ada, enabled: false }), null]) {
      const provider = new FakeProvider(held);

      await expect(deliveryTo(provider).perform(disable, customer, JOB)).resolves.toMatchObject({
        kind: 'synced',
        action: 'unchanged',
      });
      expect(provider.calls).toEqual(['get']);
    }
  });
});

describe('LinkDelivery.perform: deletes and erasures, confirmed by reading back', () => {
  it('removes the link once a read-back finds the copy gone', async () => {
    const provider = new FakeProvider(copyOf(ada), undefined, { deleteRemoves: true });

    await expect(deliveryTo(provider).perform(link({ intent: 'delete' }), customer, JOB)).resolves.toEqual({
      kind: 'removed',
      notErased: [],
    });
    expect(provider.calls).toEqual(['delete', 'get']);
  });

  it('keeps on the removed link what objects once linked to the copy still hold', async () => {
    const provider = new FakeProvider(copyOf(ada), undefined, {
      deleteRemoves: true,
      leavesBehind: ['sources'],
    });

    await expect(deliveryTo(provider).perform(link({ intent: 'delete' }), customer, JOB)).resolves.toEqual({
      kind: 'removed',
      notErased: ['sources'],
    });
  });

  it('retries a delete the read-back contradicts, and parks it once attempts run out', async () => {
    const provider = new FakeProvider(copyOf(ada));
    const delivery = deliveryTo(provider);

    await expect(
      delivery.perform(link({ intent: 'delete', attempts: 1 }), customer, JOB),
    ).resolves.toMatchObject({
      kind: 'retry',
      error: { code: 'delete_unconfirmed' },
    });
    await expect(
      delivery.perform(link({ intent: 'delete', attempts: 3 }), customer, JOB),
    ).resolves.toMatchObject({
      kind: 'failed',
      error: { code: 'delete_unconfirmed' },
    });
  });

  it('scrubs instead of deleting at a provider that cannot delete', async () => {
    const provider = new FakeProvider(
      copyOf(ada),
      { delete: 'none', forget: 'full' },
      { forgetErases: true },
    );

    await expect(deliveryTo(provider).perform(link({ intent: 'delete' }), customer, JOB)).resolves.toEqual({
      kind: 'forgotten',
      erasure: { status: 'erased', notErased: [] },
    });
    expect(provider.calls).toEqual(['get', 'forget', 'get']);
  });

  it('keeps a forget requested while the provider still holds personal data, asking only once', async () => {
    const provider = new FakeProvider(copyOf(ada));
    const delivery = deliveryTo(provider);

    await expect(delivery.perform(link({ intent: 'forget' }), customer, JOB)).resolves.toMatchObject({
      kind: 'erasure_requested',
      erasure: { status: 'requested', notErased: ['email'] },
    });
    const requested = link({
      intent: 'forget',
      attempts: 2,
      erasure: { status: 'requested', notErased: ['email'] },
    });
    await expect(delivery.perform(requested, customer, JOB)).resolves.toMatchObject({
      kind: 'erasure_requested',
    });
    expect(provider.calls).toEqual(['get', 'forget', 'get', 'get']);
  });

  it('parks a forget never confirmed after its last read-back', async () => {
    const provider = new FakeProvider(copyOf(ada, true));

    await expect(
      deliveryTo(provider).perform(link({ intent: 'forget', attempts: 3 }), customer, JOB),
    ).resolves.toMatchObject({ kind: 'failed', error: { code: 'erasure_unconfirmed' } });
  });

  it('records an erasure the provider cannot do as unsupported, asking nothing', async () => {
    const provider = new FakeProvider(copyOf(ada), { delete: 'none', forget: 'none' });

    await expect(deliveryTo(provider).perform(link({ intent: 'forget' }), customer, JOB)).resolves.toEqual({
      kind: 'forgotten',
      erasure: { status: 'unsupported', notErased: ['*'] },
    });
  });
});

describe('LinkDelivery.failure: how a delivery that threw settles', () => {
  const unavailable = (retryAfterMs?: number) =>
    new ProviderError({
      provider: 'digital-river',
      account: 'default',
      kind: 'unavailable',
      ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
    });
  const delivery = deliveryTo(new FakeProvider(null));

  it('retries a passing failure no sooner than the provider asked', () => {
    const before = Date.now();
    const outcome = delivery.failure(link(), unavailable(60_000));

    expect(outcome).toMatchObject({
      kind: 'retry',
      error: { code: 'provider_unavailable', retryable: true },
    });
    expect(outcome.kind === 'retry' && outcome.nextAttemptAt.getTime() - before).toBeGreaterThanOrEqual(
      60_000,
    );
  });

  it('parks a passing failure once attempts run out', () => {
    expect(delivery.failure(link({ attempts: 3 }), unavailable())).toMatchObject({
      kind: 'failed',
      error: { code: 'provider_unavailable' },
    });
  });

  it('parks a refusal at once, however many attempts are left', () => {
    const rejected = new ProviderError({ provider: 'digital-river', account: 'default', kind: 'rejected' });

    expect(delivery.failure(link(), rejected)).toMatchObject({
      kind: 'failed',
      error: { code: 'provider_rejected', retryable: false },
    });
  });
});
