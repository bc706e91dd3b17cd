import { type CustomerData } from './customer';
import { type CustomerProvider, type ProviderRuleViolation } from './customer-provider';
import { DomainError } from './errors';

/** The provider accounts a create goes to when the caller names none (configuration). */
export const DEFAULT_PROVIDER_TARGETS = 'DEFAULT_PROVIDER_TARGETS';

/** One configured provider account. */
export interface ProviderTarget {
  provider: string;
  account: string;
}

/** A caller's choice of provider; the account defaults to the provider's first configured one. */
export interface RequestedTarget {
  provider: string;
  account?: string;
}

export const sameTarget = (a: ProviderTarget, b: ProviderTarget) =>
  a.provider === b.provider && a.account === b.account;

export const targetOf = (link: ProviderTarget): ProviderTarget => ({
  provider: link.provider,
  account: link.account,
});

/**
 * The configured provider accounts (the domain's port onto the adapters), looked up by
 * (provider, account): links are keyed by account, never by provider name alone, because one
 * provider may be configured with several accounts. Built by `@app/providers` from configuration;
 * tests build it from fakes.
 */
export class ProviderAccounts {
  private readonly byKey = new Map<string, CustomerProvider>();

  constructor(providers: readonly CustomerProvider[]) {
    for (const provider of providers) {
      const key = ProviderAccounts.key(provider.provider, provider.account);
      if (this.byKey.has(key)) {
        throw new Error(`Provider account configured twice: ${provider.provider}/${provider.account}`);
      }
      this.byKey.set(key, provider);
    }
  }

  get(provider: string, account: string): CustomerProvider {
    const found = this.byKey.get(ProviderAccounts.key(provider, account));
    if (!found) {
      throw new DomainError('provider_unknown', `No provider account ${provider}/${account} is configured`);
    }
    return found;
  }

  all(): readonly CustomerProvider[] {
    return [...this.byKey.values()];
  }

  /** Validates a caller's choice of accounts before anything is written (unknown ones are a 400). */
  resolve(requested: readonly RequestedTarget[]): ProviderTarget[] {
    const targets = requested.map((target) => {
      const account = target.account ?? this.all().find((p) => p.provider === target.provider)?.account;
      if (account === undefined) {
        throw new DomainError(
          'provider_unknown',
          `No account of provider "${target.provider}" is configured.`,
          [
            {
              field: 'providers',
              code: 'unknown_provider',
              message: `No account of "${target.provider}" is configured.`,
            },
          ],
        );
      }
      this.get(target.provider, account);
      return { provider: target.provider, account };
    });
    const keys = targets.map((t) => `${t.provider}/${t.account}`);
    if (new Set(keys).size !== keys.length) {
      throw new DomainError('validation_failed', 'A provider account is named twice.', [
        { field: 'providers', code: 'duplicate', message: 'Name each provider account once.' },
      ]);
    }
    return targets;
  }

  /** Every (provider, field, rule) the targets would refuse in `data`, each provider once. */
  violations(data: CustomerData, targets: readonly ProviderTarget[]): ProviderRuleViolation[] {
    const providers = [...new Map(targets.map((t) => [t.provider, t])).values()];
    return providers.flatMap((target) => this.get(target.provider, target.account).check(data));
  }

  /**
   * Refuses (422, nothing written) a write a target provider would refuse, listing every problem
   * at once. A customer can stay mirror-only for a provider by not being linked to it.
   */
  assertAccepted(data: CustomerData, targets: readonly ProviderTarget[]): void {
    assertDefaultSourceAttached(data);
    const violations = this.violations(data, targets);
    if (violations.length === 0) return;
    const byProvider = new Map<string, string[]>();
    for (const v of violations) byProvider.set(v.provider, [...(byProvider.get(v.provider) ?? []), v.field]);
    throw new DomainError(
      'provider_rules_violated',
      `A linked provider would refuse this customer: ${[...byProvider]
        .map(([provider, fields]) => `${provider} needs ${fields.join(', ')}`)
        .join('; ')}. Complete the customer, or keep it out of that provider (providers: []).`,
      violations.map((v) => ({ field: v.field, code: v.rule, message: v.message, provider: v.provider })),
    );
  }

  close(): void {
    for (const provider of this.byKey.values()) provider.close();
  }

  private static key(provider: string, account: string): string {
    return `${provider}\u0000${account}`;
  }
}

/** A default source must be one of the customer's attached sources (as DR requires). */
function assertDefaultSourceAttached(data: CustomerData): void {
  if (data.defaultSourceId === undefined || data.sourceIds.includes(data.defaultSourceId)) return;
  throw new DomainError(
    'default_source_not_attached',
    `The source "${data.defaultSourceId}" is not attached to the customer; attach it first (POST /v1/customers/{id}/sources/{sourceId}?default=true does both).`,
    [
      {
        field: 'defaultSourceId',
        code: 'not_attached',
        message: "Must be one of the customer's attached sources.",
      },
    ],
  );
}
