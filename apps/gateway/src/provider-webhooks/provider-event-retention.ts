import { type GatewayConfig } from '@app/config';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { ProviderEventInbox } from '@app/persistence';

import { GATEWAY_CONFIG } from '../config/config.module';
import { PeriodicTask } from '../periodic-task';

/**
 * Purges the ids of processed provider events older than PROVIDER_EVENT_RETENTION_HOURS, a few
 * times per retention period (hourly at most). Until then a duplicate of them is recognised.
 */
@Injectable()
export class ProviderEventRetention extends PeriodicTask {
  private readonly retentionMs: number;

  constructor(
    private readonly inbox: ProviderEventInbox,
    @Inject(GATEWAY_CONFIG) config: GatewayConfig,
  ) {
    const retentionMs = config.PROVIDER_EVENT_RETENTION_HOURS * 3_600_000;
    super(new Logger('ProviderEventRetention'), Math.max(1_000, Math.min(3_600_000, retentionMs / 4)));
    this.retentionMs = retentionMs;
  }

  protected async runOnce(): Promise<void> {
    const purged = await this.inbox.purgeOlderThan(new Date(Date.now() - this.retentionMs));
    if (purged > 0) this.logger.log({ purged }, 'expired provider event ids purged');
  }
}
