import { randomBytes, randomUUID } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import { isIP } from 'node:net';

import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { DomainError, type OutageReporter, OutageReporters } from '@app/domain';
import { type GatewayConfig } from '@app/config';
import { traceHeaders, traceWebhookDelivery } from '@app/telemetry';
import {
  type AttemptResult,
  type ClaimedDelivery,
  EventStore,
  type PublishedEvent,
  type WebhookEndpointRow,
  WebhookStore,
} from '@app/persistence';
import axios, { type AxiosInstance, isAxiosError } from 'axios';

import { GATEWAY_CONFIG } from '../config/config.module';
import { signedHeaders } from './webhook-signature';
import { checkedLookup, isNonPublicAddress, type WebhookUrlPolicy } from './webhook-url';

/** Deliveries leased per round. */
const BATCH = 20;

/** The longest pause after a failed round: WEBHOOK_POLL_MS is a safety net, not a backoff. */
const ERROR_PAUSE_MS = 1_000;

/** The event a test delivery sends: no change happened, so it is in no log. */
export const TEST_EVENT_TYPE = 'webhook.test';

/** What a test delivery did. */
export interface TestDeliveryResult extends AttemptResult {
  webhookId: string;
}

/**
 * When a failed delivery is tried next: exponential backoff (WEBHOOK_RETRY_BASE_MS doubled per
 * attempt, capped at WEBHOOK_RETRY_MAX_MS) with equal jitter, the wait drawn from the upper half of
 * that ceiling (https://aws.amazon.com/builders-library/timeouts-retries-and-backoff-with-jitter/);
 * undefined once that falls past WEBHOOK_RETRY_FOR_HOURS after the event, when the delivery is
 * given up. `attempts` counts the attempt just made.
 */
export function webhookRetryAt(
  delivery: Pick<ClaimedDelivery, 'attempts' | 'createdAt'>,
  config: Pick<GatewayConfig, 'WEBHOOK_RETRY_BASE_MS' | 'WEBHOOK_RETRY_MAX_MS' | 'WEBHOOK_RETRY_FOR_HOURS'>,
  now = Date.now(),
  random = Math.random(),
): Date | undefined {
  const ceiling = Math.min(
    config.WEBHOOK_RETRY_MAX_MS,
    config.WEBHOOK_RETRY_BASE_MS * 2 ** Math.min(delivery.attempts - 1, 30),
  );
  const next = now + ceiling / 2 + random * (ceiling / 2);
  const windowEnds = delivery.createdAt.getTime() + config.WEBHOOK_RETRY_FOR_HOURS * 3_600_000;
  return next > windowEnds ? undefined : new Date(next);
}

export function webhookUrlPolicy(config: GatewayConfig): WebhookUrlPolicy {
  return {
    allowPrivateNetworks: config.NODE_ENV !== 'production' || config.WEBHOOK_ALLOW_PRIVATE_NETWORKS,
  };
}

/**
 * Sends the webhook outbox: leases due deliveries, posts each event signed to its endpoint, and
 * records the attempt. At least once: a delivery whose answer is lost (timeout, crash, restart) is
 * sent again, and receivers de-duplicate on `Webhook-Id`. Runs in every gateway instance.
 */
@Injectable()
export class WebhookDispatcher implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('WebhookDispatcher');
  private readonly workerId = `webhooks-${randomUUID()}`;
  private readonly client: AxiosInstance;
  private readonly policy: WebhookUrlPolicy;
  private readonly agents: readonly [http.Agent, https.Agent];
  /** Requests in flight, aborted on shutdown so the next instance sends them again at once. */
  private readonly inFlight = new Map<string, AbortController>();
  private running = false;
  private loop: Promise<void> | undefined;
  /** Ends the idle wait between rounds at once, so shutdown does not wait out a poll interval. */
  private readonly stopped: Promise<void>;
  private stop!: () => void;
  /** Logs a database outage under the loop once when it starts and once when it ends. */
  private readonly outage: OutageReporter;

  constructor(
    private readonly store: WebhookStore,
    private readonly events: EventStore,
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
    outages: OutageReporters,
  ) {
    this.outage = outages.for('WebhookDispatcher');
    this.stopped = new Promise<void>((resolve) => (this.stop = resolve));
    this.policy = webhookUrlPolicy(config);
    const lookup = checkedLookup(this.policy);
    this.agents = [new http.Agent({ keepAlive: true, lookup }), new https.Agent({ keepAlive: true, lookup })];
    this.client = axios.create({
      timeout: config.WEBHOOK_TIMEOUT_MS,
      // A redirect would send the signed event somewhere nobody validated.
      maxRedirects: 0,
      // Any answer is an outcome to record, never an exception.
      validateStatus: () => true,
      responseType: 'text',
      maxContentLength: 64 * 1024,
      httpAgent: this.agents[0],
      httpsAgent: this.agents[1],
    });
  }

  onApplicationBootstrap(): void {
    this.running = true;
    this.loop = this.run();
  }

  async onApplicationShutdown(): Promise<void> {
    this.running = false;
    this.stop();
    for (const controller of this.inFlight.values()) controller.abort();
    await this.loop;
    for (const agent of this.agents) agent.destroy();
  }

  private async run(): Promise<void> {
    while (this.running) {
      try {
        const claimed = await this.store.claim(this.workerId, this.leaseMs(), BATCH);
        this.outage.succeeded();
        if (claimed.length === 0) {
          await this.idle();
          continue;
        }
        await Promise.all(
          claimed.map((delivery) =>
            this.deliver(delivery).catch((error: unknown) => {
              // The lease runs out and the delivery is tried again.
              if (!this.outage.failed(error))
                this.logger.error(
                  { delivery: delivery.id, error: (error as Error).name },
                  'webhook delivery broke',
                );
            }),
          ),
        );
      } catch (error) {
        // An outage is reported once when it starts and once when it ends, not every round.
        if (!this.outage.failed(error))
          this.logger.error({ error: (error as Error).name }, 'webhook round failed; trying again');
        await this.pause(Math.min(this.config.WEBHOOK_POLL_MS, ERROR_PAUSE_MS));
      }
    }
  }

  /**
   * Sleeps until a delivery may be due: the outbox trigger's notification, the earliest retry or
   * lease running out, or at the latest WEBHOOK_POLL_MS, the safety net for a lost notification. An
   * idle gateway therefore makes no queries between events.
   */
  private async idle(): Promise<void> {
    const due = await this.store.nextDueAt();
    const untilDue = due === undefined ? Infinity : Math.max(0, due.getTime() - Date.now());
    const timeout = Math.min(untilDue, this.config.WEBHOOK_POLL_MS);
    if (timeout <= 0) return;
    await Promise.race([this.store.waitForWork(timeout), this.stopped]);
  }

  private async pause(ms: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([new Promise<void>((resolve) => (timer = setTimeout(resolve, ms))), this.stopped]);
    clearTimeout(timer);
  }

  /** Longer than a delivery can take, so a live worker never loses a lease it is using. */
  private leaseMs(): number {
    return this.config.WEBHOOK_TIMEOUT_MS * 2 + 5_000;
  }

  private async deliver(delivery: ClaimedDelivery): Promise<void> {
    if (!this.running) {
      await this.store.release([delivery.id], this.workerId);
      return;
    }
    let endpoint: WebhookEndpointRow;
    let event: PublishedEvent;
    let secrets: string[];
    try {
      [endpoint, event, secrets] = await Promise.all([
        this.store.endpoint(delivery.endpointId),
        this.events.get(delivery.eventId),
        this.store.signingSecrets(delivery.endpointId),
      ]);
    } catch (error) {
      // The endpoint was deleted (or the event purged) since the claim: the delivery went with it.
      if (error instanceof DomainError) return;
      throw error;
    }
    if (secrets.length === 0) return;
    if (!endpoint.enabled) {
      // Disabled since the claim (its failure streak reached the limit meanwhile): not sent, and
      // not counted as an attempt; it waits with the endpoint's other deliveries.
      await this.store.release([delivery.id], this.workerId);
      return;
    }
    const body = JSON.stringify(event);
    const controller = new AbortController();
    this.inFlight.set(delivery.id, controller);
    let result: AttemptResult;
    try {
      const span = { endpointId: endpoint.id, eventType: event.type, customerId: event.customerId };
      result = await traceWebhookDelivery(span, () =>
        this.post(endpoint, secrets, event.id, body, controller.signal),
      );
    } finally {
      this.inFlight.delete(delivery.id);
    }
    if (controller.signal.aborted) {
      // Stopping: whether the receiver got it is unknown, so it goes out again (at least once).
      await this.store.release([delivery.id], this.workerId);
      return;
    }
    const retryAt = webhookRetryAt(delivery, this.config);
    await this.store.settle(delivery, this.workerId, result, {
      retryAt,
      disableAfter: this.config.WEBHOOK_DISABLE_AFTER_FAILURES,
    });
    if (result.outcome !== 'delivered') {
      this.logger.warn(
        {
          endpoint: endpoint.id,
          delivery: delivery.id,
          event: event.id,
          outcome: result.outcome,
          statusCode: result.statusCode,
          attempt: delivery.attempts,
          givenUp: retryAt === undefined,
        },
        'webhook delivery failed',
      );
    }
  }

  /**
   * Sends the endpoint a `webhook.test` event now, signed as its deliveries are, whether or not it
   * is enabled, and answers how that went. Nothing is queued or retried, and the endpoint's
   * failure streak and delivery log are left alone.
   */
  async sendTest(endpointId: string): Promise<TestDeliveryResult> {
    const [endpoint, secrets] = await Promise.all([
      this.store.endpoint(endpointId),
      this.store.signingSecrets(endpointId),
    ]);
    const webhookId = `evt_test_${randomBytes(12).toString('hex')}`;
    const event: PublishedEvent = {
      id: webhookId,
      type: TEST_EVENT_TYPE,
      createdAt: new Date().toISOString(),
      customerId: null,
      migrationId: null,
      actor: 'system',
      requestId: null,
      data: { endpointId: endpoint.id },
    };
    const result = await this.post(
      endpoint,
      secrets,
      webhookId,
      JSON.stringify(event),
      AbortSignal.timeout(this.config.WEBHOOK_TIMEOUT_MS * 2),
    );
    return { webhookId, ...result };
  }

  private async post(
    endpoint: WebhookEndpointRow,
    secrets: readonly string[],
    eventId: string,
    body: string,
    signal: AbortSignal,
  ): Promise<AttemptResult> {
    const { url } = endpoint;
    const started = performance.now();
    const elapsed = () => Math.round(performance.now() - started);
    // Literal addresses skip the agent's lookup, so they are checked here.
    const host = new URL(url).hostname.replace(/^\[(.*)\]$/, '$1');
    if (!this.policy.allowPrivateNetworks && isIP(host) !== 0 && isNonPublicAddress(host)) {
      return { outcome: 'refused_url', durationMs: 0 };
    }
    try {
      const response = await this.client.post(url, body, {
        signal,
        headers: {
          'Content-Type': 'application/json',
          'User-Agent': 'customer-sync-gateway-webhooks',
          ...signedHeaders(endpoint.signatureScheme, secrets, eventId, body, Math.floor(Date.now() / 1000)),
          // The delivery's span as the receiver's parent (W3C trace context); none with tracing off.
          ...traceHeaders(),
        },
      });
      const ok = response.status >= 200 && response.status < 300;
      return { outcome: ok ? 'delivered' : 'http_error', statusCode: response.status, durationMs: elapsed() };
    } catch (error) {
      const code = isAxiosError(error) ? error.code : undefined;
      const cause = (error as { cause?: { code?: string } }).cause?.code;
      if (code === 'EPRIVATE' || cause === 'EPRIVATE')
        return { outcome: 'refused_url', durationMs: elapsed() };
      if (code === 'ECONNABORTED' || code === 'ETIMEDOUT')
        return { outcome: 'timeout', durationMs: elapsed() };
      return { outcome: 'network_error', durationMs: elapsed() };
    }
  }
}
