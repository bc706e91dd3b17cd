import { Module } from '@nestjs/common';
import { ConvergenceMetrics } from '@app/domain';
import { GaugeReadings, ProviderEventInbox } from '@app/persistence';

import { PrometheusConvergenceMetrics } from './convergence-metrics';
import { HttpMetrics } from './http-metrics';
import { MetricsAccessGuard, MetricsController } from './metrics.controller';
import { MetricsRegistry } from './metrics.registry';
import { MigrationMetrics } from './migration-metrics';
import { WebhookMetrics } from './webhook-metrics';
import { OutboxMetrics } from './outbox-metrics';
import { ProviderCallMetrics } from './provider-call-metrics';
import { ProviderWebhookMetrics } from './provider-webhook-metrics';

/**
 * `/metrics` and every metric family. A family is a provider that registers its metrics on the
 * injected MetricsRegistry in its constructor (see `scrapedGauge` for one read from the database
 * at scrape time); listing it here is all it takes to expose it.
 */
@Module({
  controllers: [MetricsController],
  providers: [
    MetricsRegistry,
    MetricsAccessGuard,
    GaugeReadings,
    HttpMetrics,
    ProviderCallMetrics,
    OutboxMetrics,
    MigrationMetrics,
    WebhookMetrics,
    ProviderEventInbox,
    ProviderWebhookMetrics,
    { provide: ConvergenceMetrics, useClass: PrometheusConvergenceMetrics },
  ],
  exports: [MetricsRegistry, HttpMetrics, ProviderWebhookMetrics, ConvergenceMetrics],
})
export class MetricsModule {}
