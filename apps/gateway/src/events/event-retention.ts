import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';

import { GATEWAY_CONFIG } from '../config/config.module';
import { type GatewayConfig } from '../config/gateway.config';
import { EventStore } from './event-store';

/** Purges events older than EVENT_RETENTION_HOURS, a few times per retention period (hourly at most). */
@Injectable()
export class EventRetention implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('EventRetention');
  private readonly retentionMs: number;
  private timer: NodeJS.Timeout | undefined;
  private purging: Promise<void> | undefined;

  constructor(
    private readonly events: EventStore,
    @Inject(GATEWAY_CONFIG) config: GatewayConfig,
  ) {
    this.retentionMs = config.EVENT_RETENTION_HOURS * 3_600_000;
  }

  onApplicationBootstrap(): void {
    const everyMs = Math.max(1_000, Math.min(3_600_000, this.retentionMs / 4));
    this.timer = setInterval(() => {
      this.purging ??= this.purge().finally(() => (this.purging = undefined));
    }, everyMs).unref();
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.purging;
  }

  private async purge(): Promise<void> {
    try {
      const purged = await this.events.purgeOlderThan(new Date(Date.now() - this.retentionMs));
      if (purged > 0) this.logger.log({ purged }, 'expired events purged');
    } catch (error) {
      this.logger.error({ error: (error as Error).name }, 'event purge failed; trying again later');
    }
  }
}
