import { randomBytes } from 'node:crypto';

import { Inject, Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import { DomainError } from '@app/domain';

import { Prisma, type PrismaClient } from '../../../generated/prisma/client';
import { awaitCommittedEvents } from './event-log';
import { type DatabaseHandle } from './persistence.module';
import { DATABASE, PRISMA_CLIENT } from './prisma.tokens';
import { SecretStore } from './secret-store';
import { WorkNotifications } from './work-notifications';

/** An endpoint as the API shows it: never its secret (that is in the secret store). */
export type WebhookEndpointRow = Omit<Prisma.WebhookEndpointGetPayload<object>, 'secret'>;
/** `standard` (Standard Webhooks), or `legacy` for endpoints from before it until rotated. */
export type WebhookSignatureScheme = WebhookEndpointRow['signatureScheme'];
export type WebhookDeliveryRow = Prisma.WebhookDeliveryGetPayload<{
  include: { event: { select: { type: true } } };
}>;

/** How one attempt ended; `delivered` is a 2xx answer. */
export const DELIVERY_OUTCOMES = [
  'delivered',
  'http_error',
  'timeout',
  'network_error',
  'refused_url',
] as const;
export type DeliveryOutcome = (typeof DELIVERY_OUTCOMES)[number];

export interface AttemptResult {
  outcome: DeliveryOutcome;
  statusCode?: number;
  durationMs: number;
}

/** A delivery a worker has leased, with what it needs to send it. */
export interface ClaimedDelivery {
  id: string;
  endpointId: string;
  eventId: string;
  attempts: number;
  createdAt: Date;
}

export interface EndpointChanges {
  url?: string;
  eventTypes?: string[];
  description?: string | null;
  enabled?: boolean;
}

/** Prisma keeps timestamps as UTC `timestamp(3)`; the database clock is compared in the same terms. */
const NOW = Prisma.raw(`(now() AT TIME ZONE 'UTC')`);

/** The channel the webhook outbox trigger (migration `webhook_outbox_wakeup`) notifies when a delivery becomes due. */
const OUTBOX_CHANNEL = 'webhook_outbox';

/**
 * Pending deliveries `d` that no earlier pending delivery of the same customer to the same endpoint
 * holds back (receivers get each customer's events in order).
 */
const FIRST_IN_LINE = Prisma.sql`(d.customer_id IS NULL OR NOT EXISTS (
                  SELECT 1 FROM webhook_deliveries earlier
                   WHERE earlier.endpoint_id = d.endpoint_id AND earlier.customer_id = d.customer_id
                     AND earlier.status = 'pending'
                     AND (earlier.event_seq, earlier.seq) < (d.event_seq, d.seq)))`;

const withEventType = { event: { select: { type: true } } } satisfies Prisma.WebhookDeliveryInclude;

/** Every column but the plain-text `secret` of endpoints from before the secret store. */
const ENDPOINT_COLUMNS = {
  id: true,
  url: true,
  eventTypes: true,
  description: true,
  enabled: true,
  signatureScheme: true,
  failureStreak: true,
  disabledReason: true,
  createdAt: true,
  updatedAt: true,
} satisfies Prisma.WebhookEndpointSelect;

/** Whose secret an endpoint's signing secret is, in the secret store. */
export const webhookSecretOwner = (endpointId: string) => `webhook-endpoint:${endpointId}`;

function endpointNotFound(id: string): DomainError {
  return new DomainError('webhook_endpoint_not_found', `No webhook endpoint with id "${id}".`);
}

/**
 * Webhook endpoints and their deliveries (the outbox filled by the event log, and its log). Signing
 * secrets are in the secret store, encrypted.
 */
@Injectable()
export class WebhookStore implements OnApplicationBootstrap {
  private readonly notifications: WorkNotifications;

  constructor(
    @Inject(PRISMA_CLIENT) private readonly prisma: PrismaClient,
    @Inject(DATABASE) database: DatabaseHandle,
    private readonly secrets: SecretStore,
  ) {
    this.notifications = new WorkNotifications(database, OUTBOX_CHANNEL);
  }

  /** Secrets written in the clear before the secret store are encrypted at start (see `sealPlainTextSecrets`). */
  async onApplicationBootstrap(): Promise<void> {
    await this.sealPlainTextSecrets();
  }

  /**
   * Moves every signing secret still in the clear (`webhook_endpoints.secret`, from before the
   * secret store) into the secret store, and empties the column; how many. Row locks that skip
   * what another starting instance holds keep each secret moved once.
   */
  async sealPlainTextSecrets(): Promise<number> {
    let sealed = 0;
    for (;;) {
      const moved = await this.prisma.$transaction(async (tx) => {
        const rows = await tx.$queryRaw<{ id: string; secret: string }[]>`
          SELECT id, secret FROM webhook_endpoints WHERE secret IS NOT NULL
           LIMIT 100 FOR UPDATE SKIP LOCKED`;
        for (const row of rows) {
          await this.secrets.put(webhookSecretOwner(row.id), row.secret, undefined, tx);
          await tx.webhookEndpoint.update({ where: { id: row.id }, data: { secret: null } });
        }
        return rows.length;
      });
      sealed += moved;
      if (moved === 0) return sealed;
    }
  }

  /**
   * The secrets a delivery to the endpoint is signed with, newest first (more than one while a
   * rotation's overlap lasts); none when the endpoint is gone.
   */
  async signingSecrets(endpointId: string): Promise<string[]> {
    const valid = await this.secrets.valid(webhookSecretOwner(endpointId));
    if (valid.length > 0) return valid;
    // Saved in the clear by a gateway from before the secret store since this one started.
    if ((await this.sealPlainTextSecrets()) === 0) return [];
    return this.secrets.valid(webhookSecretOwner(endpointId));
  }

  /**
   * Waits until the outbox trigger announces a due delivery (`true`), or `timeoutMs` (`false`).
   * The first call opens the subscription and returns at once.
   */
  waitForWork(timeoutMs: number): Promise<boolean> {
    return this.notifications.wait(timeoutMs);
  }

  /**
   * When the earliest delivery a claim could take becomes due: its retry time or the end of
   * another worker's lease, whichever is later; undefined when none is pending. Deliveries held
   * back behind an earlier one of their customer do not count: they become due when that one is
   * settled, by the worker that settles it and claims again at once.
   */
  async nextDueAt(): Promise<Date | undefined> {
    const [row] = await this.prisma.$queryRaw<{ due: Date | null }[]>`
      SELECT min(GREATEST(COALESCE(d.next_attempt_at, ${NOW}), COALESCE(d.locked_until, ${NOW}))) AS due
        FROM webhook_deliveries d JOIN webhook_endpoints e ON e.id = d.endpoint_id
       WHERE d.status = 'pending' AND e.enabled AND ${FIRST_IN_LINE}`;
    return row?.due ?? undefined;
  }

  /** A new endpoint signing per Standard Webhooks with `secret`, which is stored encrypted. */
  async createEndpoint(data: {
    url: string;
    eventTypes: string[];
    description?: string;
    enabled: boolean;
    secret: string;
  }): Promise<WebhookEndpointRow> {
    const id = `we_${randomBytes(12).toString('hex')}`;
    return this.prisma.$transaction(async (tx) => {
      const row = await tx.webhookEndpoint.create({
        data: {
          id,
          url: data.url,
          eventTypes: data.eventTypes,
          description: data.description ?? null,
          enabled: data.enabled,
        },
        select: ENDPOINT_COLUMNS,
      });
      await this.secrets.put(webhookSecretOwner(id), data.secret, undefined, tx);
      return row;
    });
  }

  /**
   * Makes `secret` the endpoint's signing secret, signing per Standard Webhooks from now on. The
   * secrets before it stay valid (deliveries carry a signature for each) until `previousValidUntil`;
   * a legacy endpoint's old secret stops at once, as it only ever signed the legacy format.
   * Returns when the previous secret stops being valid, if it does not already.
   */
  async rotateSecret(
    id: string,
    secret: string,
    previousValidUntil: Date | undefined,
  ): Promise<{ endpoint: WebhookEndpointRow; previousValidUntil: Date | undefined }> {
    return this.prisma.$transaction(async (tx) => {
      // The endpoint's row lock orders rotations of one endpoint (the secret versions they write).
      const [locked] = await tx.$queryRaw<{ signature_scheme: WebhookSignatureScheme }[]>`
        SELECT signature_scheme FROM webhook_endpoints WHERE id = ${id} FOR UPDATE`;
      if (locked === undefined) throw endpointNotFound(id);
      const overlap =
        locked.signature_scheme === 'standard' &&
        previousValidUntil !== undefined &&
        previousValidUntil > new Date()
          ? previousValidUntil
          : undefined;
      await this.secrets.put(webhookSecretOwner(id), secret, overlap, tx);
      const endpoint = await tx.webhookEndpoint.update({
        where: { id },
        data: { signatureScheme: 'standard', secret: null },
        select: ENDPOINT_COLUMNS,
      });
      return { endpoint, previousValidUntil: overlap };
    });
  }

  async listEndpoints(): Promise<WebhookEndpointRow[]> {
    return this.prisma.webhookEndpoint.findMany({ orderBy: { createdAt: 'asc' }, select: ENDPOINT_COLUMNS });
  }

  async endpoint(id: string): Promise<WebhookEndpointRow> {
    const row = await this.prisma.webhookEndpoint.findUnique({ where: { id }, select: ENDPOINT_COLUMNS });
    if (row === null) throw endpointNotFound(id);
    return row;
  }

  /** Enabling an endpoint (again) clears its failure streak and the reason it was disabled. */
  async updateEndpoint(id: string, changes: EndpointChanges): Promise<WebhookEndpointRow> {
    const { count } = await this.prisma.webhookEndpoint.updateMany({
      where: { id },
      data: {
        ...(changes.url !== undefined ? { url: changes.url } : {}),
        ...(changes.eventTypes !== undefined ? { eventTypes: changes.eventTypes } : {}),
        ...(changes.description !== undefined ? { description: changes.description } : {}),
        ...(changes.enabled !== undefined
          ? {
              enabled: changes.enabled,
              disabledReason: null,
              ...(changes.enabled ? { failureStreak: 0 } : {}),
            }
          : {}),
      },
    });
    if (count === 0) throw endpointNotFound(id);
    return this.endpoint(id);
  }

  async deleteEndpoint(id: string): Promise<void> {
    await this.prisma.$transaction(async (tx) => {
      // Deliveries first, in the order `settle` locks (a delivery, then its endpoint): the cascade
      // from the endpoint would lock them the other way round and deadlock with a settling worker.
      await tx.webhookDelivery.deleteMany({ where: { endpointId: id } });
      const { count } = await tx.webhookEndpoint.deleteMany({ where: { id } });
      if (count === 0) throw endpointNotFound(id);
      await this.secrets.remove(webhookSecretOwner(id), tx);
    });
  }

  /** The endpoint's delivery log, newest first. */
  async deliveries(
    endpointId: string,
    query: { limit: number; startingAfter?: string; status?: 'pending' | 'delivered' | 'failed' },
  ): Promise<{ data: WebhookDeliveryRow[]; hasMore: boolean }> {
    await this.endpoint(endpointId);
    let before: bigint | undefined;
    if (query.startingAfter !== undefined) {
      const cursor = await this.prisma.webhookDelivery.findFirst({
        where: { id: query.startingAfter, endpointId },
        select: { seq: true },
      });
      if (cursor === null) {
        throw new DomainError('validation_failed', 'startingAfter names no delivery of this endpoint.', [
          {
            field: 'startingAfter',
            code: 'unknown_cursor',
            message: `No delivery with id "${query.startingAfter}" to page from.`,
          },
        ]);
      }
      before = cursor.seq;
    }
    const rows = await this.prisma.webhookDelivery.findMany({
      where: {
        endpointId,
        ...(before !== undefined ? { seq: { lt: before } } : {}),
        ...(query.status !== undefined ? { status: query.status } : {}),
      },
      orderBy: { seq: 'desc' },
      take: query.limit + 1,
      include: withEventType,
    });
    return { data: rows.slice(0, query.limit), hasMore: rows.length > query.limit };
  }

  /** Sends the delivery's event again, as a new delivery due now; the old one stays in the log. */
  async redeliver(endpointId: string, deliveryId: string): Promise<WebhookDeliveryRow> {
    const delivery = await this.prisma.webhookDelivery.findFirst({ where: { id: deliveryId, endpointId } });
    if (delivery === null) {
      await this.endpoint(endpointId);
      throw new DomainError(
        'webhook_delivery_not_found',
        `No delivery with id "${deliveryId}" at this endpoint.`,
      );
    }
    return this.queue(endpointId, delivery.eventId);
  }

  /** Sends an event to the endpoint, whether or not it was sent there before. */
  async redeliverEvent(endpointId: string, eventId: string): Promise<WebhookDeliveryRow> {
    await this.endpoint(endpointId);
    return this.queue(endpointId, eventId);
  }

  /**
   * Leases up to `limit` due deliveries of enabled endpoints, at most one per endpoint and
   * customer: a customer's delivery is due only once every earlier one of that customer to that
   * endpoint is delivered or given up, so receivers see each customer's events in order. As with
   * provider links, `FOR UPDATE SKIP LOCKED` lets every gateway instance share the work.
   */
  async claim(workerId: string, leaseMs: number, limit: number): Promise<ClaimedDelivery[]> {
    // Most rounds find nothing to send (no endpoint, or all sent): those need not wait for the
    // event order below, which holds off every writer of an event while it is taken.
    const [pending] = await this.prisma.$queryRaw<{ due: boolean }[]>`
      SELECT EXISTS (SELECT 1 FROM webhook_deliveries WHERE status = 'pending') AS due`;
    if (pending?.due !== true) return [];
    // Only once every event drawn so far is committed: a customer's event committed late could
    // otherwise still arrive after a later one was claimed and sent.
    const [, rows] = await this.prisma.$transaction([
      awaitCommittedEvents(this.prisma),
      this.prisma.$queryRaw<
        { id: string; endpoint_id: string; event_id: string; attempts: number; created_ms: number }[]
      >`
      UPDATE webhook_deliveries
         SET locked_by = ${workerId},
             locked_until = ${NOW} + (${leaseMs}::int * interval '1 millisecond'),
             attempts = attempts + 1
       WHERE id IN (
         SELECT d.id FROM webhook_deliveries d JOIN webhook_endpoints e ON e.id = d.endpoint_id
          WHERE d.status = 'pending' AND e.enabled
            AND (d.next_attempt_at IS NULL OR d.next_attempt_at <= ${NOW})
            AND (d.locked_until IS NULL OR d.locked_until < ${NOW})
            AND ${FIRST_IN_LINE}
          ORDER BY d.event_seq, d.seq
          LIMIT ${limit}::int
          FOR UPDATE OF d SKIP LOCKED)
      RETURNING id, endpoint_id, event_id, attempts,
                (extract(epoch FROM created_at) * 1000)::float8 AS created_ms`,
    ]);
    return rows.map((row) => ({
      id: row.id,
      endpointId: row.endpoint_id,
      eventId: row.event_id,
      attempts: row.attempts,
      createdAt: new Date(row.created_ms),
    }));
  }

  /**
   * Records an attempt, if the lease is still this worker's. A failure is retried at
   * `retryAt`, or given up when that is past the retry window (`retryAt` undefined); every failure
   * lengthens the endpoint's failure streak, which disables it at exactly `disableAfter`: one
   * statement counts the failure and disables under the endpoint's row lock, and only while the
   * endpoint is enabled, so parallel failures (deliveries of other customers, other instances)
   * neither overshoot the streak nor count once it is disabled. A success resets the streak of an
   * enabled endpoint; one that lands after the endpoint was disabled leaves the record as it is.
   */
  async settle(
    delivery: ClaimedDelivery,
    workerId: string,
    result: AttemptResult,
    retry: { retryAt: Date | undefined; disableAfter: number },
  ): Promise<boolean> {
    return this.prisma.$transaction(async (tx) => {
      const [locked] = await tx.$queryRaw<{ locked_by: string | null }[]>`
        SELECT locked_by FROM webhook_deliveries WHERE id = ${delivery.id} FOR UPDATE`;
      if (locked?.locked_by !== workerId) return false;
      const delivered = result.outcome === 'delivered';
      const now = new Date();
      await tx.webhookDelivery.update({
        where: { id: delivery.id },
        data: {
          lockedBy: null,
          lockedUntil: null,
          lastOutcome: result.outcome,
          lastStatusCode: result.statusCode ?? null,
          lastDurationMs: result.durationMs,
          lastAttemptAt: now,
          ...(delivered
            ? { status: 'delivered', nextAttemptAt: null, finishedAt: now }
            : retry.retryAt === undefined
              ? { status: 'failed', nextAttemptAt: null, finishedAt: now }
              : { nextAttemptAt: retry.retryAt }),
        },
      });
      if (delivered) {
        await tx.$executeRaw`
          UPDATE webhook_endpoints SET failure_streak = 0, updated_at = ${NOW}
           WHERE id = ${delivery.endpointId} AND enabled AND failure_streak <> 0`;
        return true;
      }
      const last = result.statusCode !== undefined ? `HTTP ${result.statusCode}` : result.outcome;
      // Every expression of SET reads the row as it was before this statement.
      await tx.$executeRaw`
        UPDATE webhook_endpoints
           SET failure_streak = failure_streak + 1,
               enabled = failure_streak + 1 < ${retry.disableAfter}::int,
               disabled_reason = CASE WHEN failure_streak + 1 >= ${retry.disableAfter}::int
                 THEN 'Disabled after ' || (failure_streak + 1) || ' consecutive failed deliveries; the last: '
                      || ${last} || ' at ' || ${now.toISOString()} || '.' END,
               updated_at = ${NOW}
         WHERE id = ${delivery.endpointId} AND enabled`;
      return true;
    });
  }

  /** Gives back deliveries this worker leased but did not finish (it is stopping): due again now. */
  async release(deliveryIds: readonly string[], workerId: string): Promise<void> {
    await this.prisma.webhookDelivery.updateMany({
      where: { id: { in: [...deliveryIds] }, lockedBy: workerId },
      data: { lockedBy: null, lockedUntil: null, attempts: { decrement: 1 } },
    });
  }

  /**
   * Deliveries by status and last outcome, for metrics (`webhook deliveries by outcome`). Pending
   * ones not yet attempted have no outcome.
   */
  async deliveryCounts(): Promise<{ status: string; outcome: string | null; count: number }[]> {
    const groups = await this.prisma.webhookDelivery.groupBy({
      by: ['status', 'lastOutcome'],
      _count: { _all: true },
    });
    return groups.map((group) => ({
      status: group.status,
      outcome: group.lastOutcome,
      count: group._count._all,
    }));
  }

  private async queue(endpointId: string, eventId: string): Promise<WebhookDeliveryRow> {
    const event = await this.prisma.event.findUnique({
      where: { id: eventId },
      select: { seq: true, customerId: true },
    });
    if (event === null) throw new DomainError('event_not_found', `No event with id "${eventId}".`);
    return this.prisma.webhookDelivery.create({
      data: {
        id: `whd_${randomBytes(16).toString('hex')}`,
        endpointId,
        eventId,
        eventSeq: event.seq,
        customerId: event.customerId,
      },
      include: withEventType,
    });
  }
}
