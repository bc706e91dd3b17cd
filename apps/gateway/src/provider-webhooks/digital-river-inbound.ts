import { Inject, Injectable } from '@nestjs/common';
import { type GatewayConfig } from '@app/config';
import { DomainError, ProviderAccounts } from '@app/domain';
import { ProviderEventInbox, SecretStore } from '@app/persistence';
import {
  DIGITAL_RIVER,
  DigitalRiverProvider,
  drEventSchema,
  verifyDigitalRiverSignature,
} from '@app/providers';

import { GATEWAY_CONFIG } from '../config/config.module';
import { ProviderWebhookMetrics } from '../metrics/provider-webhook-metrics';
import { receivedDrEvents } from './dr-event-intake';
import { ProviderEventWorker } from './provider-event-worker';

/** Where an account's inbound signing secrets are kept in the secret store. */
export const inboundSecretOwner = (provider: string, account: string) =>
  `provider-webhook:${provider}:${account}`;

/** DR keeps a rotated-out secret valid for 12 hours; a rotation here overlaps as long by default. */
export const DEFAULT_INBOUND_OVERLAP_HOURS = 12;

/**
 * Digital River's webhooks into the gateway: the signature is the authentication (checked against
 * the account's secrets, the previous ones included while a rotation overlaps), then the event id
 * is recorded once in the durable inbox and the worker is woken. Nothing else happens inside the
 * request, so DR gets its 2xx fast; the worker acts on the event in the background.
 */
@Injectable()
export class DigitalRiverInbound {
  private readonly toleranceMs: number;

  constructor(
    private readonly accounts: ProviderAccounts,
    private readonly secrets: SecretStore,
    private readonly inbox: ProviderEventInbox,
    private readonly worker: ProviderEventWorker,
    private readonly metrics: ProviderWebhookMetrics,
    @Inject(GATEWAY_CONFIG) config: GatewayConfig,
  ) {
    this.toleranceMs = config.DR_WEBHOOK_TOLERANCE_SECONDS * 1000;
  }

  /** Whether `account` is a configured Digital River account. */
  isAccount(account: string): boolean {
    return this.accounts
      .all()
      .some((provider) => provider instanceof DigitalRiverProvider && provider.account === account);
  }

  /** Makes `secret` the account's signing secret; the previous one stays valid for `overlapHours`. */
  async setSecret(
    account: string,
    secret: string,
    overlapHours = DEFAULT_INBOUND_OVERLAP_HOURS,
  ): Promise<void> {
    this.assertAccount(account);
    const previousValidUntil = new Date(Date.now() + overlapHours * 3_600_000);
    await this.secrets.put(inboundSecretOwner(DIGITAL_RIVER, account), secret, previousValidUntil);
  }

  /**
   * Verifies and records one delivery; whether it was new. Refusals are counted and thrown as
   * `unauthenticated` (forged, stale, unsigned, or no secret set) or `validation_failed`.
   */
  async receive(
    account: string,
    signature: string | undefined,
    rawBody: Buffer | undefined,
  ): Promise<boolean> {
    if (!this.isAccount(account)) {
      this.metrics.webhook(DIGITAL_RIVER, 'unknown_account');
      this.assertAccount(account);
    }
    const secrets = await this.secrets.valid(inboundSecretOwner(DIGITAL_RIVER, account));
    const check = verifyDigitalRiverSignature({
      header: signature,
      rawBody: rawBody ?? Buffer.alloc(0),
      secrets,
      nowMs: Date.now(),
      toleranceMs: this.toleranceMs,
    });
    if (!check.ok) {
      this.metrics.webhook(DIGITAL_RIVER, check.reason);
      throw new DomainError('unauthenticated', REFUSALS[check.reason]);
    }
    const parsed = drEventSchema.safeParse(safeJson(rawBody));
    if (!parsed.success) {
      this.metrics.webhook(DIGITAL_RIVER, 'invalid_body');
      throw new DomainError('validation_failed', 'The body is not a Digital River event.', [
        { field: 'body', code: 'invalid_event', message: 'Expected an event with `id` and `type`.' },
      ]);
    }
    const [received] = await receivedDrEvents(account, [parsed.data], this.worker);
    const [recorded] = await this.inbox.record([received!], 'webhook');
    const outcome =
      recorded === undefined
        ? 'duplicate'
        : received!.reference === undefined
          ? 'ignored'
          : received!.settled === true
            ? 'in_sync'
            : 'accepted';
    this.metrics.webhook(DIGITAL_RIVER, outcome);
    if (outcome === 'accepted') this.worker.wake();
    return recorded !== undefined;
  }

  private assertAccount(account: string): void {
    if (!this.isAccount(account)) {
      throw new DomainError('provider_unknown', `No Digital River account "${account}" is configured.`);
    }
  }
}

const REFUSALS = {
  unsigned: 'The request carries no DigitalRiver-Signature header.',
  malformed: 'The DigitalRiver-Signature header is not `t=<seconds>,v0=<hex>`.',
  mismatch: 'The DigitalRiver-Signature does not match the body under any signing secret of this account.',
  stale: 'The DigitalRiver-Signature timestamp is outside the accepted tolerance.',
  no_secret: 'No signing secret is set for this account (PUT …/secret).',
} as const;

function safeJson(raw: Buffer | undefined): unknown {
  try {
    return raw === undefined ? undefined : JSON.parse(raw.toString('utf8'));
  } catch {
    return undefined;
  }
}
