import { DomainError, type LinkError, ProviderError, type ProviderLink } from '@app/domain';

import { isUpToDate, reasonOf, reasonOfUnsettledLink } from './customer-choices';

const link = (overrides: Partial<ProviderLink>): ProviderLink => ({
  provider: '2checkout',
  account: 'default',
  reference: 'crm-1001',
  status: 'synced',
  intent: 'sync',
  syncedVersion: 3,
  attempts: 1,
  unsupportedFields: [],
  lossyFields: [],
  primary: false,
  createdAt: new Date('2026-01-01T00:00:00Z'),
  ...overrides,
});

const parked = (error: LinkError) => ({ status: 'failed' as const, error });

describe("the migrator's choices for one customer", () => {
  describe('whether the target already holds the current version', () => {
    it('is so when the link is synced at the customer version', () => {
      expect(isUpToDate(link({}), { version: 3 })).toBe(true);
    });

    it.each<[string, Partial<ProviderLink> | undefined]>([
      ['there is no link yet', undefined],
      ['the provider holds an older version', { syncedVersion: 2 }],
      ['a delivery is pending', { status: 'pending' }],
      ['the last delivery failed', { status: 'failed' }],
      ['the link is being deleted', { intent: 'delete' }],
      ['the customer is being forgotten there', { intent: 'forget' }],
    ])('is not when %s', (_case, overrides) => {
      expect(isUpToDate(overrides && link(overrides), { version: 3 })).toBe(false);
    });
  });

  describe('why a customer whose target link did not settle failed', () => {
    it('keeps the failure the link was parked with, retried on resume if it may pass', () => {
      expect(
        reasonOfUnsettledLink(
          parked({ code: 'provider_rate_limited', message: 'slow down', retryable: true }),
        ),
      ).toEqual({ code: 'provider_rate_limited', message: 'slow down', retryable: true });
      expect(
        reasonOfUnsettledLink(
          parked({ code: 'provider_rejected', message: 'Email is invalid', retryable: false }),
        ),
      ).toEqual({ code: 'provider_rejected', message: 'Email is invalid', retryable: false });
    });

    it('is retried on resume when the wait ran out with the delivery still pending', () => {
      expect(
        reasonOfUnsettledLink({
          status: 'pending',
          error: { code: 'provider_rejected', message: 'Email is invalid', retryable: false },
        }),
      ).toEqual({ code: 'provider_rejected', message: 'Email is invalid', retryable: true });
      expect(reasonOfUnsettledLink({ status: 'pending' })).toEqual({
        code: 'delivery_failed',
        message: 'The target did not accept the customer.',
        retryable: true,
      });
    });

    it('is retried on resume when the link is gone', () => {
      expect(reasonOfUnsettledLink({ status: 'missing' })).toMatchObject({
        code: 'delivery_failed',
        retryable: true,
      });
    });

    it('is not retried for a link parked without a recorded error', () => {
      expect(reasonOfUnsettledLink({ status: 'failed' })).toMatchObject({
        code: 'delivery_failed',
        retryable: false,
      });
    });
  });

  describe('why a customer failed on an error', () => {
    it('names it with the same code as a link error and an HTTP answer', () => {
      const auth = new ProviderError({
        provider: 'digital-river',
        account: 'default',
        kind: 'auth',
        status: 401,
      });
      expect(reasonOf(auth)).toEqual({
        code: 'provider_auth_failed',
        message: auth.message,
        retryable: false,
      });
      const outage = new ProviderError({
        provider: 'digital-river',
        account: 'default',
        kind: 'unavailable',
      });
      expect(reasonOf(outage)).toMatchObject({ code: 'provider_unavailable', retryable: true });
    });

    it("keeps a domain error's code, and never an unexpected error's message", () => {
      expect(reasonOf(new DomainError('customer_forgotten', 'forgotten'))).toEqual({
        code: 'customer_forgotten',
        message: 'forgotten',
        retryable: false,
      });
      expect(reasonOf(new Error('connection terminated: john.smith@example.com'))).toEqual({
        code: 'internal_error',
        message: 'The migration failed unexpectedly.',
        retryable: true,
      });
    });
  });
});
