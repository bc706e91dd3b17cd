import { type GatewayConfig } from '@app/config';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { EventStore } from '@app/persistence';

import { GATEWAY_CONFIG } from '../config/config.module';
import { PeriodicTask } from '../periodic-task';

/** Purges events older than EVENT_RETENTION_HOURS, a few times per retention period (hourly at most). */
@Injectable()
export class EventRetention extends PeriodicTask {
  private readonly retentionMs: number;

  constructor(
    private readonly events: EventStore,
    @Inject(GATEWAY_CONFIG) config: GatewayConfig,
  ) {
    const retentionMs = config.EVENT_RETENTION_HOURS * 3_600_000;
    super(new Logger('EventRetention'), Math.max(1_000, Math.min(3_600_000, retentionMs / 4)));
    this.retentionMs = retentionMs;
  }

  protected async runOnce(): Promise<void> {
    const purged = await this.events.purgeOlderThan(new Date(Date.now() - this.retentionMs));
    if (purged > 0) this.logger.log({ purged }, 'expired events purged');
  }
}
