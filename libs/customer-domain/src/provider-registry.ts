import { type CustomerProvider, type ProviderCapabilities } from './customer-provider';
import { DomainError } from './errors';

/**
 * The configured provider accounts, looked up by (provider, account): links are keyed by account,
 * never by provider name alone, because one provider may be configured with several accounts.
 * Built by `@app/providers` from configuration; tests build it from fakes.
 */
export class ProviderRegistry {
  private readonly byKey = new Map<string, CustomerProvider>();

  constructor(providers: readonly CustomerProvider[]) {
    for (const provider of providers) {
      const key = ProviderRegistry.key(provider.provider, provider.account);
      if (this.byKey.has(key)) {
        throw new Error(`Provider account configured twice: ${provider.provider}/${provider.account}`);
      }
      this.byKey.set(key, provider);
    }
  }

  get(provider: string, account: string): CustomerProvider {
    const found = this.byKey.get(ProviderRegistry.key(provider, account));
    if (!found) {
      throw new DomainError('provider_unknown', `No provider account ${provider}/${account} is configured`);
    }
    return found;
  }

  all(): readonly CustomerProvider[] {
    return [...this.byKey.values()];
  }

  /** One entry per adapter (not per account), for `GET /v1/providers`. */
  capabilities(): ProviderCapabilities[] {
    const seen = new Map<string, ProviderCapabilities>();
    for (const provider of this.byKey.values()) seen.set(provider.provider, provider.capabilities);
    return [...seen.values()];
  }

  close(): void {
    for (const provider of this.byKey.values()) provider.close();
  }

  private static key(provider: string, account: string): string {
    return `${provider}\u0000${account}`;
  }
}
