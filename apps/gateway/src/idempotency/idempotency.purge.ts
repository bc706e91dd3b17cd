import { type GatewayConfig } from '@app/config';
import { IdempotencyRecords } from '@app/persistence';
import { Inject, Injectable, Logger } from '@nestjs/common';

import { GATEWAY_CONFIG } from '../config/config.module';
import { PeriodicTask } from '../periodic-task';

/**
 * Deletes Idempotency-Key records past their time to live (IDEMPOTENCY_TTL_HOURS) every
 * IDEMPOTENCY_PURGE_INTERVAL_SECONDS, so the table holds about one TTL's worth of requests. Every
 * instance may run it: the delete is one statement, and two instances deleting the same rows is
 * harmless.
 */
@Injectable()
export class IdempotencyPurge extends PeriodicTask {
  constructor(
    private readonly store: IdempotencyRecords,
    @Inject(GATEWAY_CONFIG) config: GatewayConfig,
  ) {
    super(new Logger('Idempotency'), config.IDEMPOTENCY_PURGE_INTERVAL_SECONDS * 1000);
  }

  protected async runOnce(): Promise<void> {
    const purged = await this.store.purgeExpired();
    if (purged > 0) this.logger.log({ purged }, 'expired idempotency records purged');
  }
}
