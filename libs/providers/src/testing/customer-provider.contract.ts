import { TEST_CONTEXT } from './fixtures';
import { inspect } from 'node:util';
import { customerData, type CustomerData, type CustomerProvider, ProviderError } from '@app/domain';
import { type FaultConfig } from '@app/sandboxes';

/** What the contract needs from one adapter + its sandbox; built once per adapter spec. */
export interface ContractTarget {
  provider: CustomerProvider;
  /** The same account with a wrong secret. */
  badCredentials: CustomerProvider;
  /** A secret of the account, which must never appear in an error. */
  secret: string;
  /** A customer the provider accepts (2CO requires names, address and email). */
  sample: (email: string) => CustomerData;
  setFaults(faults: FaultConfig): void;
  setRateLimit(perSecond: number): void;
  faultCount(kind: string): number;
  /** References of the customers the sandbox stores now (its admin dump). */
  storedReferences(): string[];
  /** Makes the provider answer this customer with a body that breaks its documented shape. */
  corrupt(reference: string): void;
  /** Sandbox route keys: the create route and the single-customer read route. */
  routes: { create: string; read: string };
}

export interface ContractHarness {
  name: string;
  start(): Promise<ContractTarget & { close(): Promise<void> }>;
}

function expectNoSecret(error: unknown, secret: string): void {
  expect(JSON.stringify(error)).not.toContain(secret);
  expect(inspect(error, { depth: Infinity, showHidden: true })).not.toContain(secret);
  expect(String(error)).not.toContain(secret);
}

async function failure(promise: Promise<unknown>): Promise<ProviderError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  if (!(error instanceof ProviderError)) throw new Error(`expected a ProviderError, got ${inspect(error)}`);
  return error;
}

let counter = 0;
const nextReference = () => `contract-${Date.now().toString(36)}-${(counter++).toString(36)}`;

/**
 * The scenarios every adapter must pass against its sandbox over real HTTP on loopback. Adapter
 * specs call this once; see digital-river.provider.spec.ts and two-checkout.provider.spec.ts.
 */
export function customerProviderContract(harness: ContractHarness): void {
  describe(`${harness.name} satisfies the CustomerProvider contract`, () => {
    let target: ContractTarget & { close(): Promise<void> };

    beforeAll(async () => {
      target = await harness.start();
    });
    afterAll(async () => {
      target.provider.close();
      target.badCredentials.close();
      await target.close();
    });
    afterEach(() => {
      target.setFaults({});
      target.setRateLimit(0);
    });

    it('finds no rule broken by a customer it accepts, and every required field missing from an empty one', async () => {
      const reference = nextReference();
      const customer = target.sample(`${reference}@example.test`);
      expect(target.provider.check(customer)).toEqual([]);
      const empty = customerData();
      for (const violation of target.provider.check(empty)) {
        expect(violation).toMatchObject({ provider: target.provider.provider, rule: 'required' });
      }
      // What it holds of a created customer is personal data, until a forget and a read-back say otherwise.
      const created = await target.provider.create({ reference, customer }, TEST_CONTEXT);
      const copy = await target.provider.get({ reference, providerCustomerId: created.providerCustomerId }, TEST_CONTEXT);
      expect(copy && target.provider.personalDataHeld(copy)).toEqual(expect.arrayContaining(['email']));
    }); // prettier-ignore

    it('creates a customer and reads it back', async () => {
      const reference = nextReference();
      const customer = target.sample(`${reference}@example.test`);
      const created = await target.provider.create({ reference, customer }, TEST_CONTEXT);
      expect(created.created).toBe(true);
      expect(created.reference).toBe(reference);
      // A copy answered by the create is the one a read finds.
      const read = await target.provider.get(
        {
          reference,
          providerCustomerId: created.providerCustomerId,
          known: customer,
        },
        TEST_CONTEXT,
      );
      expect(read?.customer.email).toBe(customer.email);
      expect(read?.customer.address?.country).toBe(customer.address?.country);
      expect(read?.reference).toBe(reference);
      if (created.stored !== undefined) expect(created.stored.customer).toEqual(read?.customer);
    });

    it('answers null for a customer the provider does not have', async () => {
      await expect(target.provider.get({ reference: nextReference() }, TEST_CONTEXT)).resolves.toBeNull();
    });

    it('answers a repeated create (the provider says it exists) by reading, leaving one customer', async () => {
      const reference = nextReference();
      const customer = target.sample(`${reference}@example.test`);
      await target.provider.create({ reference, customer }, TEST_CONTEXT);
      const again = await target.provider.create({ reference, customer }, TEST_CONTEXT);
      expect(again.created).toBe(false);
      expect(again.reference).toBe(reference);
      // The copy it found, for the caller to compare with what it meant to create.
      expect(again.stored?.customer.email).toBe(customer.email);
      expect(target.storedReferences().filter((stored) => stored === reference)).toHaveLength(1);
    });

    it('classifies bad credentials as auth, without leaking the secret', async () => {
      const error = await failure(target.badCredentials.get({ reference: nextReference() }, TEST_CONTEXT));
      expect(error.kind).toBe('auth');
      expect(error.status).toBe(401);
      expectNoSecret(error, target.secret);
    });

    it('waits out a 429 for Retry-After, then succeeds', async () => {
      target.setRateLimit(1);
      const reference = nextReference();
      const started = performance.now();
      await target.provider.get({ reference }, TEST_CONTEXT);
      await expect(target.provider.get({ reference }, TEST_CONTEXT)).resolves.toBeNull();
      // The sandbox answers `Retry-After: 1`; the client honours it instead of its own backoff.
      expect(performance.now() - started).toBeGreaterThanOrEqual(900);
    });

    it('retries 5xx answers until one succeeds', async () => {
      target.setFaults({ [target.routes.read]: { errorRate: 0.5, errorStatus: 503 } });
      for (let i = 0; i < 6; i++) {
        await expect(target.provider.get({ reference: nextReference() }, TEST_CONTEXT)).resolves.toBeNull();
      }
      expect(target.faultCount('error')).toBeGreaterThan(0);
    });

    it('gives up on a hanging provider as unavailable, within the timeout budget', async () => {
      target.setFaults({ [target.routes.read]: { hangRate: 1 } });
      const started = performance.now();
      const error = await failure(target.provider.get({ reference: nextReference() }, TEST_CONTEXT));
      expect(error.kind).toBe('unavailable');
      expect(error.status).toBeUndefined();
      // Every attempt times out (6 x 1s in the adapter specs); it gives up instead of hanging on.
      expect(performance.now() - started).toBeLessThan(9_000);
      expectNoSecret(error, target.secret);
    });

    it('classifies a dropped connection as unavailable', async () => {
      target.setFaults({ [target.routes.read]: { resetRate: 1 } });
      const error = await failure(target.provider.get({ reference: nextReference() }, TEST_CONTEXT));
      expect(error.kind).toBe('unavailable');
      expectNoSecret(error, target.secret);
    });

    it('classifies a body that breaks the documented shape as bad_response', async () => {
      const reference = nextReference();
      await target.provider.create(
        { reference, customer: target.sample(`${reference}@example.test`) },
        TEST_CONTEXT,
      );
      target.corrupt(reference);
      const error = await failure(target.provider.get({ reference }, TEST_CONTEXT));
      expect(error.kind).toBe('bad_response');
      expectNoSecret(error, target.secret);
    });

    it('resolves commit-then-fail on create by reading back: exactly one customer', async () => {
      target.setFaults({ [target.routes.create]: { commitThenFailRate: 1 } });
      const reference = nextReference();
      const customer = target.sample(`${reference}@example.test`);
      const result = await target.provider.create({ reference, customer }, TEST_CONTEXT);
      expect(target.faultCount('commitThenFail')).toBeGreaterThan(0);
      expect(result.reference).toBe(reference);
      expect(result.stored?.customer.email).toBe(customer.email);
      expect(target.storedReferences().filter((stored) => stored === reference)).toHaveLength(1);
    });

    it('knows without a call which fields of a customer it cannot hold, as its create reports them', async () => {
      const reference = nextReference();
      const sample = target.sample(`${reference}@example.test`);
      // Values at least one of the adapters cannot take: a locale outside DR's list, a region 2CO drops, metadata.
      const customer: CustomerData = { ...sample, locale: 'tlh-QO', metadata: { source: 'contract' } };
      const sent = target.storedReferences().length;
      const unsupported = target.provider.unsupportedFields(customer);
      expect(target.storedReferences()).toHaveLength(sent);
      const created = await target.provider.create({ reference, customer }, TEST_CONTEXT);
      expect([...unsupported].sort()).toEqual([...created.unsupportedFields].sort());
      expect(unsupported).toContain('locale');
    });

    it('dry-runs a create without sending it, secrets redacted', async () => {
      const reference = nextReference();
      const before = target.storedReferences().length;
      const plan = await target.provider.dryRun(
        {
          operation: 'create',
          input: { reference, customer: target.sample(`${reference}@example.test`) },
        },
        TEST_CONTEXT,
      );
      expect(plan.requests[0]?.method).toBe('POST');
      expect(JSON.stringify(plan)).not.toContain(target.secret);
      expect(target.storedReferences()).toHaveLength(before);
    });
  });
}
