import { type GatewayConfig } from '@app/config';
import { type RetentionOptions, RetentionPurges } from '@app/persistence';
import { Inject, Injectable, Logger } from '@nestjs/common';

import { GATEWAY_CONFIG } from '../config/config.module';
import { PeriodicTask } from '../periodic-task';

const HOUR_MS = 3_600_000;

/** Each table's window from the configuration (libs/config: the *_RETENTION_HOURS variables). */
export function retentionOptions(config: GatewayConfig): RetentionOptions {
  return {
    providerCallsMs: config.PROVIDER_CALL_RETENTION_HOURS * HOUR_MS,
    runItemsMs: config.RUN_ITEM_RETENTION_HOURS * HOUR_MS,
    webhookDeliveriesMs: config.WEBHOOK_DELIVERY_RETENTION_HOURS * HOUR_MS,
    eventsMs: config.EVENT_RETENTION_HOURS * HOUR_MS,
    tombstonesMs: config.TOMBSTONE_RETENTION_HOURS * HOUR_MS,
    receivedProviderEventsMs: config.PROVIDER_EVENT_RETENTION_HOURS * HOUR_MS,
    batchSize: config.RETENTION_BATCH_SIZE,
    maxBatchesPerRound: 1_000,
  };
}

/**
 * Runs a purge round over every table with a retention every RETENTION_INTERVAL_SECONDS. Every
 * instance may run it: each batch takes only rows no one else holds (SKIP LOCKED), so two
 * instances purging at once take different rows and never wait on each other.
 */
@Injectable()
export class RetentionTask extends PeriodicTask {
  constructor(
    private readonly purges: RetentionPurges,
    @Inject(GATEWAY_CONFIG) config: GatewayConfig,
  ) {
    super(new Logger('Retention'), config.RETENTION_INTERVAL_SECONDS * 1000);
  }

  protected async runOnce(): Promise<void> {
    const round = await this.purges.round();
    const purged = Object.fromEntries(Object.entries(round).filter(([, count]) => count > 0));
    if (Object.keys(purged).length > 0) this.logger.log({ purged }, 'expired rows purged');
  }
}
