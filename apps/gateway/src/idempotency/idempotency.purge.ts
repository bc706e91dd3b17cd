import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';

import { GATEWAY_CONFIG } from '../config/config.module';
import { type GatewayConfig } from '../config/gateway.config';
import { IdempotencyStore } from './idempotency.store';

/**
 * Deletes Idempotency-Key records past their time to live (IDEMPOTENCY_TTL_HOURS) every
 * IDEMPOTENCY_PURGE_INTERVAL_SECONDS, so the table holds about one TTL's worth of requests. Every
 * instance may run it: the delete is one statement, and two instances deleting the same rows is
 * harmless.
 */
@Injectable()
export class IdempotencyPurge implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('Idempotency');
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;

  constructor(
    private readonly store: IdempotencyStore,
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => {
      this.running ??= this.purge().finally(() => (this.running = undefined));
    }, this.config.IDEMPOTENCY_PURGE_INTERVAL_SECONDS * 1000);
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  private async purge(): Promise<void> {
    try {
      const purged = await this.store.purgeExpired();
      if (purged > 0) this.logger.log({ purged }, 'expired idempotency records purged');
    } catch (error) {
      // The next round tries again; until then the expired keys only take room.
      this.logger.warn({ error: (error as Error).name }, 'could not purge expired idempotency records');
    }
  }
}
