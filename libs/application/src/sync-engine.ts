import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import { rememberWriteTrace, traceDelivery } from '@app/telemetry';

import { LinkDelivery } from './link-delivery';
import {
  type CallContext,
  jobContext,
  type Customer,
  type LinkError,
  type ProviderLink,
  CustomerRepository,
  type NewLink,
  type RemoteCustomer,
  JOB_ACTORS,
  type ProviderTarget,
  sameTarget,
  ProviderCallLog,
  NO_OUTAGE_REPORTS,
  type OutageReporter,
  OutageReporters,
  ConvergenceMetrics,
  writeConverged,
  SYNC_OPTIONS,
  type SyncOptions,
  type ClaimedLink,
  type DeliveryAction,
  type Lease,
  type SettleOutcome,
  SyncQueue,
} from '@app/domain';

/** Whose work the background worker's deliveries are: no request waits for them. */
const BACKGROUND = jobContext(JOB_ACTORS.sync);

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms).unref());

/** How long a worker woken by a notification leaves the links to the request that made them. */
const WAKE_GRACE_MS = 100;

/** A link this request's delivery is for: pending, and not only waiting for an erasure to be confirmed. */
const awaitsDelivery = (link: ProviderLink) =>
  link.status === 'pending' && link.erasure?.status !== 'requested';

/** A delivery that settled: its outcome, and the link as the settle stored it when it answered it. */
interface Delivery {
  outcome: SettleOutcome;
  stored?: ProviderLink;
}

/**
 * What delivering a request's links within its wait came to (`SyncEngine.deliverNow`): nothing is
 * left to deliver, and either `settled`, the links this pass delivered as their settles stored
 * them (the written customer's other links need none), or `read`, the customer as read after the
 * last settle. The application layer shapes its answer from it (write-answer.ts).
 */
export type DeliveredNow = { settled: readonly ProviderLink[] } | { read: Customer };

/**
 * The links `deliveries` stored, when every one of them answered its link and no link of the
 * written customer waits any more; undefined when one does (a newer write queued it again, or
 * another link is leased elsewhere), so the pass goes on.
 */
function linksAsSettled(
  written: Customer,
  deliveries: readonly (Delivery | undefined)[],
): ProviderLink[] | undefined {
  const stored: ProviderLink[] = [];
  for (const delivery of deliveries) {
    if (delivery?.stored === undefined) return undefined;
    stored.push(delivery.stored);
  }
  const waiting = written.providers.some((link) =>
    awaitsDelivery(stored.find((s) => sameTarget(s, link)) ?? link),
  );
  return waiting ? undefined : stored;
}

/**
 * What a write that queued provider work left behind: the customer as the write answered it, when
 * it did, and the links it wrote already leased under the lease `SyncEngine.write` gave it.
 */
export interface QueuedWork {
  customerId: string;
  written?: Customer;
  claimed?: ClaimedLink[];
}

/**
 * The sync engine's outbox worker: leases, lanes, wake-ups and shutdown. It is the one way work
 * enters the outbox (`write`, `enqueue`, `enqueueForget`, `redrive`): a write runs under the
 * engine's lease and hands its claimed links straight back to the engine, never up to its caller.
 * `deliverNow` delivers a customer's pending links within a request's wait, `settle` until one
 * link settles (bulk jobs), and the background loop (`start`/`stop`) delivers the rest, woken by
 * the queue. What each delivery sends and how its link settles is `LinkDelivery`'s decision.
 */
@Injectable()
export class SyncEngine {
  private readonly logger = new Logger('SyncEngine');
  readonly workerId = `worker-${randomUUID()}`;
  private running = false;
  private stopping = false;
  private loop: Promise<void> | undefined;
  /** Wakes idle lanes at once when the worker stops, rather than at their next timeout. */
  private wakeOnStop: (() => void) | undefined;
  private readonly stopSignal: Promise<void> = new Promise((resolve) => (this.wakeOnStop = resolve));
  /** Links this worker has leased and not yet settled or given back, by id. */
  private readonly held = new Map<string, ClaimedLink>();
  /** The ids among them whose delivery is under way. */
  private readonly delivering = new Set<string>();
  /** Logs a database outage under the background loop once, and its end once. */
  private readonly outage: OutageReporter;

  constructor(
    private readonly queue: SyncQueue,
    private readonly customers: CustomerRepository,
    private readonly delivery: LinkDelivery,
    private readonly callLog: ProviderCallLog,
    @Inject(SYNC_OPTIONS) private readonly options: SyncOptions,
    @Optional() outages?: OutageReporters,
    @Optional() private readonly convergence?: ConvergenceMetrics,
  ) {
    this.outage = (outages ?? NO_OUTAGE_REPORTS).for('SyncEngine');
  }

  /**
   * Runs `write`, a write that commits a change together with the provider work it implies (its
   * links marked pending in the same transaction), then delivers that work within the request's
   * wait. `write` is handed the lease to write its links claimed under (undefined when requests do
   * not wait, see `leaseForDelivery`), and answers them to the engine with the customer as written.
   * Resolves with the customer's id, the customer as written when the write answered it, and in
   * `delivered` what the delivery came to (see `deliverNow`), none when it did not finish.
   */
  async write(
    context: CallContext,
    write: (lease: Lease | undefined) => Promise<QueuedWork>,
  ): Promise<{ customerId: string; written?: Customer; delivered?: DeliveredNow }> {
    const { customerId, written, claimed = [] } = await write(this.leaseForDelivery());
    // A write that left nothing to deliver (a customer with no provider links) settles nothing:
    // there is no delivery pass and no re-read.
    if (written !== undefined && !written.providers.some((link) => link.status === 'pending'))
      return { customerId, written, delivered: { settled: [] } };
    const delivered = await this.deliverNow(context, customerId, {
      ...(written ? { written } : {}),
      claimed,
    });
    return { customerId, ...(written ? { written } : {}), ...(delivered ? { delivered } : {}) };
  }

  /** Queues the customer for a provider account: a new link, or an existing one back in line. */
  enqueue(context: CallContext, customerId: string, link: NewLink): Promise<void> {
    return this.customers.addLink(context, customerId, link);
  }

  /** Queues erasing the customer at that provider account only (its link turns to `forget`). */
  enqueueForget(context: CallContext, customerId: string, target: ProviderTarget): Promise<void> {
    return this.customers.forgetAt(context, customerId, target);
  }

  /** Queues disabling the customer's copy at that provider account (its link turns to `disable`). */
  enqueueDisable(context: CallContext, customerId: string, target: ProviderTarget): Promise<void> {
    return this.customers.disableAt(context, customerId, target);
  }

  /** Puts the customer's parked (failed) and waiting links back in line, due now. */
  async redrive(customerId: string): Promise<void> {
    await this.queue.redrive(customerId);
  }

  /**
   * The lease a request's write gives the links it is about to deliver itself (`deliverNow` with
   * `claimed`). None when requests do not wait for their providers (SYNC_WAIT_MS=0) or the worker
   * is stopping: the links are then written unleased, for the background worker.
   */
  leaseForDelivery(): Lease | undefined {
    if (this.stopping || this.options.waitMs === 0) return undefined;
    return { workerId: this.workerId, leaseMs: this.options.leaseMs };
  }

  /**
   * Delivers the customer's pending links now, for at most `waitMs`: the calling request answers
   * with whatever state the links reached. Deliveries still running carry on and settle. A
   * request that has just written the customer hands it in (`written`), so the first delivery
   * need not read back what was just committed, with the links its write claimed under
   * `leaseForDelivery` (`claimed`), delivered without claiming them again. Resolves once nothing
   * is left to deliver with the links as their settles stored them when they all answered (see
   * `DeliveredNow`), else with the customer as read; undefined when it stopped for another reason
   * (the wait ran out, links leased elsewhere or backing off).
   */
  async deliverNow(
    context: CallContext,
    customerId: string,
    options: { waitMs?: number; written?: Customer; claimed?: ClaimedLink[] } = {},
  ): Promise<DeliveredNow | undefined> {
    // What the background worker delivers later for this customer joins this request's trace.
    rememberWriteTrace(customerId);
    const deadline = Date.now() + (options.waitMs ?? this.options.waitMs);
    let known = options.written;
    let handedIn = options.claimed ?? [];
    // Held from now on, so a stop gives them back like links this worker claimed; when the stop
    // has begun already, it may have given back what it held before these came in.
    for (const link of handedIn) this.held.set(link.id, link);
    if (this.stopping) {
      await this.release(handedIn);
      handedIn = [];
    }
    const work = (async (): Promise<DeliveredNow | undefined> => {
      let settledAll = false;
      while (Date.now() < deadline) {
        if (settledAll) {
          // After a round that settled every link it claimed, most often nothing is left: read
          // the customer, which the request answers with anyway, and look at its links.
          const current = await this.customers.findById(customerId);
          if (current === undefined) return undefined;
          if (!current.providers.some(awaitsDelivery)) return { read: current };
        }
        const claimed =
          handedIn.length > 0
            ? handedIn
            : await this.claim({ limit: 10, customerId, excludeErasureChecks: true });
        handedIn = [];
        if (claimed.length > 0) {
          const deliveries = await this.deliverClaimed(context, customerId, claimed, known);
          const settled = known && linksAsSettled(known, deliveries);
          if (settled !== undefined) return { settled };
          known = undefined;
          settledAll = deliveries.every(
            (delivery) => delivery?.outcome.kind === 'synced' || delivery?.outcome.kind === 'failed',
          );
          continue;
        }
        settledAll = false;
        if (!(await this.queue.hasPending(customerId))) return undefined;
        // Leased by another worker, or waiting out a backoff: look again shortly.
        await sleep(25);
      }
      // A wait too short to start on them: the links go to the background worker now.
      await this.release(handedIn);
      return undefined;
    })();
    return Promise.race([work, sleep(Math.max(0, deadline - Date.now())).then(() => undefined)]);
  }

  /**
   * Delivers the customer's link at `target` until it settles, waiting out retry backoffs: for
   * bulk jobs, which want each customer's outcome rather than an answer within `waitMs`. Other
   * pending links of the customer are delivered on the way.
   */
  async settle(
    context: CallContext,
    customerId: string,
    target: ProviderTarget,
    timeoutMs: number,
  ): Promise<
    | { status: 'synced'; action?: DeliveryAction; providerCustomerId?: string; remote?: RemoteCustomer }
    | { status: 'failed' | 'pending'; error?: LinkError }
    | { status: 'missing' }
    /** A forget the provider recorded but has not carried out yet; the worker keeps checking. */
    | { status: 'requested' }
  > {
    const deadline = Date.now() + timeoutMs;
    const isTarget = (link: ProviderTarget) => sameTarget(link, target);
    let ours: Extract<SettleOutcome, { kind: 'synced' }> | undefined;
    for (;;) {
      const claimed = await this.claim({ limit: 10, customerId });
      let deliveredNow = false;
      const deliveries = claimed.length === 0 ? [] : await this.deliverClaimed(context, customerId, claimed);
      claimed.forEach((link, index) => {
        const outcome = deliveries[index]?.outcome;
        if (isTarget(link) && outcome?.kind === 'synced') {
          ours = outcome;
          deliveredNow = true;
        }
      });
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
      if (link.status === 'pending' && link.erasure?.status === 'requested') return { status: 'requested' };
      if (link.status === 'failed' || Date.now() >= deadline || this.stopping) {
        return { status: link.status, ...(link.lastError ? { error: link.lastError } : {}) };
      }
      // Backing off, or leased by a worker that may have died: look again when it is due.
      const due = Math.max(link.nextAttemptAt?.getTime() ?? 0, link.lockedUntil?.getTime() ?? 0);
      await sleep(Math.min(Math.max(25, due - Date.now()), Math.max(0, deadline - Date.now()), 1_000));
    }
  }

  /** Starts the background loop, which delivers whatever no request is waiting for. */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.stopping = false;
    this.loop = this.run();
  }

  /**
   * Stops delivering and gives back every link this worker leased, so another instance takes
   * them over at once rather than after the lease: links not started go back now, deliveries
   * under way get `shutdownGraceMs` to settle, and whatever is still held then goes back too. A
   * delivery given back mid-flight cannot settle (its lease is gone); the next worker reads the
   * provider first, so whatever it did there is adopted, not repeated.
   */
  async stop(): Promise<void> {
    this.stopping = true;
    this.running = false;
    this.wakeOnStop?.();
    const deadline = Date.now() + this.options.shutdownGraceMs;
    try {
      await this.release([...this.held.values()].filter((link) => !this.delivering.has(link.id)));
      while (this.delivering.size > 0 && Date.now() < deadline) await sleep(25);
      await Promise.race([this.loop, sleep(Math.max(0, deadline - Date.now()))]);
      const left = [...this.held.values()];
      await this.release(left);
      if (left.length > 0) {
        this.logger.warn(
          { links: left.length },
          'stopped before deliveries settled; their links were given back',
        );
      }
    } catch (error) {
      // Shutdown goes on (the database still has to close); the leases simply run out.
      this.logger.error({ error: (error as Error).name }, 'could not give back leased links on stop');
    }
  }

  /** Delivers until nothing is pending (tests, reconcile jobs); resolves false on timeout. */
  async drain(timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    const nothingPending = async () => (await this.queue.backlog()).pending === 0;
    for (;;) {
      // Nothing claimable right now: a lane stops once nothing waits for a retry either.
      await this.pump(
        () => Date.now() < deadline,
        async () => !(await nothingPending()),
      );
      // The lanes stop together when one of them found nothing left, even if another saw new work
      // arrive just after (a write still under way): that work starts another pass instead of
      // ending the drain early with links pending.
      if (await nothingPending()) return true;
      if (Date.now() >= deadline) return false;
    }
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
        refill ??= this.claim({ limit: this.options.batchSize })
          .then((claimed) => void buffer.push(...claimed))
          .finally(() => (refill = undefined));
        await refill;
      }
      return buffer.shift();
    };
    // Idle lanes share one wait, so eight idle lanes cost one wake-up, not eight.
    let idleWait: Promise<void> | undefined;
    const waitForWork = () => (idleWait ??= this.waitForWork().finally(() => (idleWait = undefined)));
    const lane = async () => {
      while (!stopped && active()) {
        try {
          const link = await next();
          this.outage.succeeded();
          if (link !== undefined) await this.deliverClaimed(BACKGROUND, link.customerId, [link]);
          else if (!(await whenIdle())) stopped = true;
          else await waitForWork();
        } catch (error) {
          // An outage is reported once when it starts and once when it ends, not every poll.
          if (!this.outage.failed(error))
            this.logger.error({ error: (error as Error).name }, 'sync delivery failed; retrying');
          await sleep(this.options.pollIntervalMs);
        }
      }
    };
    await Promise.all(Array.from({ length: this.options.concurrency }, lane));
    await this.release(buffer.splice(0));
  }

  /**
   * Sleeps until work may be there: a notification that a link became deliverable, the earliest
   * backoff or lease running out, or at the latest `pollIntervalMs`, the safety net for a lost
   * notification. An idle gateway therefore makes no queries between writes.
   */
  private async waitForWork(): Promise<void> {
    const due = await this.queue.nextDueAt();
    const untilDue = due === undefined ? Infinity : Math.max(0, due.getTime() - Date.now());
    const timeout = Math.min(untilDue, this.options.pollIntervalMs);
    if (timeout <= 0) return;
    const notified = await Promise.race([this.queue.waitForWork(timeout), this.stopSignal.then(() => false)]);
    // The request that committed the work delivers its own links while it waits for them (deliverNow);
    // stepping in only after a moment keeps the background worker from racing it for them (which
    // would cost the request a poll and its attribution) and batches notifications under load.
    if (notified) await Promise.race([sleep(WAKE_GRACE_MS), this.stopSignal]);
  }

  /** Leases due links for this worker; none once it is stopping. */
  private async claim(options: {
    limit: number;
    customerId?: string;
    excludeErasureChecks?: boolean;
  }): Promise<ClaimedLink[]> {
    if (this.stopping) return [];
    const claimed = await this.queue.claim({
      workerId: this.workerId,
      leaseMs: this.options.leaseMs,
      ...options,
    });
    for (const link of claimed) this.held.set(link.id, link);
    return claimed;
  }

  /** Gives back those of `links` this worker still holds. */
  private async release(links: ClaimedLink[]): Promise<void> {
    const held = links.filter((link) => this.held.delete(link.id));
    if (held.length > 0) await this.queue.release(held, this.workerId);
  }

  /** Delivers links claimed for one customer, reading the customer once for all of them. */
  private async deliverClaimed(
    context: CallContext,
    customerId: string,
    links: readonly ClaimedLink[],
    known?: Customer,
  ): Promise<(Delivery | undefined)[]> {
    const customer = known ?? (await this.customers.findById(customerId));
    // A span per delivery (under the request that delivers its own links), and the customer's id
    // on every log line written meanwhile.
    const deliveries = await Promise.all(
      links.map((link) => traceDelivery(link, () => this.deliver(context, link, customer))),
    );
    if (
      customer !== undefined &&
      this.convergence !== undefined &&
      writeConverged(
        customer,
        links,
        deliveries.map((d) => d?.outcome),
      )
    )
      this.convergence.writeConverged(Math.max(0, (Date.now() - customer.updatedAt.getTime()) / 1000));
    return deliveries;
  }

  /** One delivery of one link: perform it, settle the link and record the calls together. */
  private async deliver(
    context: CallContext,
    link: ClaimedLink,
    customer: Customer | undefined,
  ): Promise<Delivery | undefined> {
    // Claimed just as the worker stopped: stop() gives it back.
    if (this.stopping) return undefined;
    this.delivering.add(link.id);
    try {
      if (customer === undefined) return undefined;
      return await this.callLog.runAndRecord(
        context,
        { customerId: customer.id, operation: link.intent },
        (audited) => this.delivery.perform(link, customer, audited),
        async (performed) => {
          const outcome =
            'error' in performed ? this.delivery.failure(link, performed.error) : performed.result;
          const settled = await this.queue.settle(link, this.workerId, outcome, performed.calls, context);
          if (settled === undefined) {
            this.logger.warn(
              { link: link.id },
              'lease lost before settling; the next delivery re-reads the provider',
            );
            return undefined;
          }
          return { outcome, ...(settled.stored === undefined ? {} : { stored: settled.stored }) };
        },
      );
    } finally {
      this.delivering.delete(link.id);
      this.held.delete(link.id);
    }
  }
}
