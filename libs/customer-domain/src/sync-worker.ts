import { randomUUID } from 'node:crypto';

import { Inject, Injectable, Logger } from '@nestjs/common';

import { type Customer, type CustomerData, type LinkError } from './customer';
import { CustomerRepository } from './customer.repository';
import { type CustomerProvider, type RemoteCustomer } from './customer-provider';
import { compareCustomers } from './drift';
import { DomainError, ProviderError } from './errors';
import { withCallAudit } from './provider-calls';
import { ProviderRegistry } from './provider-registry';
import { armCrashPoint, crashPoint, type CrashPoint } from './crash-points';
import { type ClaimedLink, type DeliveryAction, type SettleOutcome, SyncQueue } from './sync-queue';

export const SYNC_OPTIONS = 'SYNC_OPTIONS';

export interface SyncOptions {
  /** How long a worker owns a link it leased; longer than the slowest provider call with retries. */
  leaseMs: number;
  /** Deliveries before a link is parked as failed. */
  maxAttempts: number;
  retryBaseMs: number;
  retryMaxMs: number;
  /** Links leased per round by the background worker, and how many it delivers at once. */
  batchSize: number;
  concurrency: number;
  pollIntervalMs: number;
  /** How long an API call waits for its providers before answering with links `pending`. */
  waitMs: number;
  /** Off outside chaos tests. */
  crashAt?: CrashPoint;
  /** How many requests the crash point parks before the kill (default 1). */
  crashAfterRequests?: number;
}

export function dataOf(customer: Customer): CustomerData {
  const {
    id: _id,
    forgottenAt: _forgotten,
    deletedAt: _deleted,
    version: _version,
    createdAt: _created,
    updatedAt: _updated,
    providers: _providers,
    ...data
  } = customer;
  return data;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms).unref());

function linkError(error: unknown) {
  if (error instanceof ProviderError) {
    return {
      code: `provider_${error.kind}`,
      message: error.message,
      ...(error.providerCode !== undefined ? { providerCode: error.providerCode } : {}),
      ...(error.providerMessage !== undefined ? { providerMessage: error.providerMessage } : {}),
    };
  }
  if (error instanceof DomainError) return { code: error.code, message: error.message };
  return { code: 'internal_error', message: 'The gateway failed while delivering to the provider.' };
}

/**
 * Delivers the outbox: leases pending links and makes each provider's copy what the link's intent
 * says. Delivery is state-based: it reads the provider's copy first and writes only the difference
 * from the mirror's current version, so a retry after an ambiguous failure (timeout, reset, commit
 * then fail) settles by reading back instead of creating again, updates reach a provider in order,
 * and a stale update can never overwrite a newer one: there is only ever "the latest".
 */
@Injectable()
export class SyncWorker {
  private readonly logger = new Logger('SyncWorker');
  readonly workerId = `worker-${randomUUID()}`;
  private running = false;
  private loop: Promise<void> | undefined;

  constructor(
    private readonly queue: SyncQueue,
    private readonly customers: CustomerRepository,
    private readonly registry: ProviderRegistry,
    @Inject(SYNC_OPTIONS) private readonly options: SyncOptions,
  ) {
    // The engine's options carry the chaos setting; the point is armed process-wide.
    if (options.crashAt !== undefined) armCrashPoint(options.crashAt, options.crashAfterRequests);
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
  }

  /**
   * Delivers the customer's pending links now, for at most `waitMs`: the calling request answers
   * with whatever state the links reached. Deliveries still running carry on and settle.
   */
  async syncNow(customerId: string, waitMs = this.options.waitMs): Promise<void> {
    const deadline = Date.now() + waitMs;
    const work = (async () => {
      while (Date.now() < deadline) {
        const claimed = await this.queue.claim({
          workerId: this.workerId,
          leaseMs: this.options.leaseMs,
          limit: 10,
          customerId,
        });
        if (claimed.length > 0) {
          await Promise.all(claimed.map((link) => this.deliver(link)));
          continue;
        }
        if (!(await this.queue.hasPending(customerId))) return;
        // Leased by another worker, or waiting out a backoff: look again shortly.
        await sleep(25);
      }
    })();
    await Promise.race([work, sleep(Math.max(0, deadline - Date.now()))]);
  }

  /** Delivers until nothing is pending (tests, reconcile jobs); resolves false on timeout. */
  async drain(timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    let idle = false;
    await this.pump(
      () => Date.now() < deadline,
      async () => {
        // Nothing claimable right now: done once nothing waits for a retry either.
        idle = (await this.queue.backlog()).pending === 0;
        return !idle;
      },
    );
    return idle;
  }

  private async run(): Promise<void> {
    await this.pump(
      () => this.running,
      () => Promise.resolve(this.running),
    );
  }

  /**
   * `concurrency` lanes pull from one local buffer, refilled by a single claim when it runs dry,
   * so one slow delivery (a provider that hangs until the timeout) holds up only its own lane.
   * Lanes stop when `active` turns false, or when `whenIdle` says so after finding nothing to do;
   * links still buffered then are released at once rather than left to their lease.
   */
  private async pump(active: () => boolean, whenIdle: () => Promise<boolean>): Promise<void> {
    const buffer: ClaimedLink[] = [];
    let refill: Promise<void> | undefined;
    let stopped = false;
    const next = async (): Promise<ClaimedLink | undefined> => {
      if (buffer.length === 0) {
        refill ??= this.queue
          .claim({ workerId: this.workerId, leaseMs: this.options.leaseMs, limit: this.options.batchSize })
          .then((claimed) => void buffer.push(...claimed))
          .finally(() => (refill = undefined));
        await refill;
      }
      return buffer.shift();
    };
    const lane = async () => {
      while (!stopped && active()) {
        try {
          const link = await next();
          if (link !== undefined) await this.deliver(link);
          else if (!(await whenIdle())) stopped = true;
          else await sleep(this.options.pollIntervalMs);
        } catch (error) {
          this.logger.error({ error: (error as Error).name }, 'sync delivery failed; retrying');
          await sleep(this.options.pollIntervalMs);
        }
      }
    };
    await Promise.all(Array.from({ length: this.options.concurrency }, lane));
    if (buffer.length > 0) await this.queue.release(buffer.splice(0), this.workerId);
  }

  /**
   * Delivers the customer's link at `target` until it settles, waiting out retry backoffs: for
   * bulk jobs, which want each customer's outcome rather than an answer within `waitMs`. Other
   * pending links of the customer are delivered on the way.
   */
  async settleLink(
    customerId: string,
    target: { provider: string; account: string },
    timeoutMs: number,
  ): Promise<
    | { status: 'synced'; action?: DeliveryAction; providerCustomerId?: string; remote?: RemoteCustomer }
    | { status: 'failed' | 'pending'; error?: LinkError }
    | { status: 'missing' }
  > {
    const deadline = Date.now() + timeoutMs;
    const isTarget = (l: { provider: string; account: string }) =>
      l.provider === target.provider && l.account === target.account;
    let ours: Extract<SettleOutcome, { kind: 'synced' }> | undefined;
    for (;;) {
      const claimed = await this.queue.claim({
        workerId: this.workerId,
        leaseMs: this.options.leaseMs,
        limit: 10,
        customerId,
      });
      let deliveredNow = false;
      for (const link of claimed) {
        const outcome = await this.deliver(link);
        if (isTarget(link) && outcome?.kind === 'synced') {
          ours = outcome;
          deliveredNow = true;
        }
      }
      const synced = (providerCustomerId: string | undefined) => ({
        status: 'synced' as const,
        ...(ours?.action ? { action: ours.action } : {}),
        ...(ours?.remote ? { remote: ours.remote } : {}),
        ...(providerCustomerId !== undefined ? { providerCustomerId } : {}),
      });
      // Our own delivery settled it and nothing else was pending: no need to read the link back.
      if (deliveredNow && claimed.length === 1) return synced(ours?.providerCustomerId);
      const link = (await this.customers.findById(customerId))?.providers.find(isTarget);
      if (link === undefined) return { status: 'missing' };
      if (link.status === 'synced') return synced(link.providerCustomerId);
      if (link.status === 'failed' || Date.now() >= deadline) {
        return { status: link.status, ...(link.lastError ? { error: link.lastError } : {}) };
      }
      // Backing off, or leased by a worker that may have died: look again when it is due.
      const due = Math.max(link.nextAttemptAt?.getTime() ?? 0, link.lockedUntil?.getTime() ?? 0);
      await sleep(Math.min(Math.max(25, due - Date.now()), Math.max(0, deadline - Date.now()), 1_000));
    }
  }

  /** One delivery of one link: call the provider, record the calls, settle the link. */
  async deliver(link: ClaimedLink): Promise<SettleOutcome | undefined> {
    const customer = await this.customers.findById(link.customerId);
    if (customer === undefined) return undefined;
    const audited = await withCallAudit({ customerId: customer.id, operation: link.intent }, () =>
      this.perform(link, customer),
    );
    await this.queue.recordCalls(customer.id, link.intent, audited.calls);
    await crashPoint('after-answer');
    const outcome = audited.error === undefined ? audited.result! : this.failure(link, audited.error);
    await crashPoint('before-link-save');
    const kept = await this.queue.settle(link, this.workerId, outcome);
    if (!kept)
      this.logger.warn(
        { link: link.id },
        'lease lost before settling; the next delivery re-reads the provider',
      );
    return kept ? outcome : undefined;
  }

  private async perform(link: ClaimedLink, customer: Customer): Promise<SettleOutcome> {
    const provider = this.registry.get(link.provider, link.account);
    const ref = {
      reference: link.reference,
      ...(link.providerCustomerId !== undefined ? { providerCustomerId: link.providerCustomerId } : {}),
    };
    switch (link.intent) {
      case 'sync':
        return this.sync(provider, link, customer);
      case 'delete':
        try {
          await provider.delete(ref);
          return { kind: 'removed', outcome: 'deleted' };
        } catch (error) {
          if (error instanceof DomainError && error.code === 'unsupported_by_provider') {
            return { kind: 'removed', outcome: 'unsupported' };
          }
          throw error;
        }
      case 'forget': {
        const remote = await provider.get(ref);
        if (remote === null) return { kind: 'forgotten', erasure: { status: 'erased', notErased: [] } };
        try {
          const { notErased } = await provider.forget({ ...ref, customer: remote.customer });
          return {
            kind: 'forgotten',
            erasure: { status: notErased.length > 0 ? 'partial' : 'erased', notErased },
          };
        } catch (error) {
          if (error instanceof DomainError && error.code === 'unsupported_by_provider') {
            return { kind: 'forgotten', erasure: { status: 'unsupported', notErased: ['*'] } };
          }
          throw error;
        }
      }
    }
  }

  /** Reads the provider's copy, then creates it or sends only what differs from the mirror. */
  private async sync(
    provider: CustomerProvider,
    link: ClaimedLink,
    customer: Customer,
  ): Promise<SettleOutcome> {
    const data = dataOf(customer);
    const remote = await provider.get({
      reference: link.reference,
      ...(link.providerCustomerId !== undefined ? { providerCustomerId: link.providerCustomerId } : {}),
      known: data,
    });
    if (remote === null) {
      const created = await provider.create({ reference: link.reference, customer: data });
      return {
        kind: 'synced',
        action: created.created ? 'created' : 'unchanged',
        version: customer.version,
        providerCustomerId: created.providerCustomerId,
        unsupportedFields: created.unsupportedFields,
        remote: created,
      };
    }
    const unheld = await this.unheldFields(provider, link.reference, data);
    const providerCustomerId = remote.providerCustomerId ?? link.providerCustomerId;
    if (compareCustomers(data, remote.customer, [...remote.unsupportedFields, ...unheld]).length === 0) {
      return {
        kind: 'synced',
        action: 'unchanged',
        version: customer.version,
        providerCustomerId,
        unsupportedFields: unheld,
        remote,
      };
    }
    const updated = await provider.update({
      reference: link.reference,
      ...(providerCustomerId !== undefined ? { providerCustomerId } : {}),
      previous: remote.customer,
      customer: data,
    });
    return {
      kind: 'synced',
      action: 'updated',
      version: customer.version,
      providerCustomerId: updated.providerCustomerId ?? providerCustomerId,
      unsupportedFields: [...new Set([...unheld, ...updated.unsupportedFields])],
      remote: updated,
    };
  }

  /** The fields of `data` the provider cannot hold, from its own mapping (no call is made). */
  async unheldFields(provider: CustomerProvider, reference: string, data: CustomerData): Promise<string[]> {
    const plan = await provider.dryRun({ operation: 'create', input: { reference, customer: data } });
    return plan.unsupportedFields;
  }

  private failure(link: ClaimedLink, error: unknown): SettleOutcome {
    if (!(error instanceof ProviderError) && !(error instanceof DomainError)) {
      this.logger.error(
        { error: (error as Error).name, stack: (error as Error).stack?.split('\n').slice(1, 4).join('|') },
        'delivery failed unexpectedly',
      );
    }
    const retryable = error instanceof ProviderError ? error.retryable : !(error instanceof DomainError);
    if (retryable && link.attempts < this.options.maxAttempts) {
      const exponential = Math.min(
        this.options.retryMaxMs,
        this.options.retryBaseMs * 2 ** (link.attempts - 1),
      );
      // Full jitter keeps many links that failed together from retrying together.
      const jittered = exponential / 2 + Math.random() * (exponential / 2);
      const retryAfter = error instanceof ProviderError ? (error.retryAfterMs ?? 0) : 0;
      return {
        kind: 'retry',
        error: linkError(error),
        nextAttemptAt: new Date(Date.now() + Math.max(jittered, retryAfter)),
      };
    }
    return { kind: 'failed', error: linkError(error) };
  }
}
