import { Inject, Injectable, Logger, Optional } from '@nestjs/common';

import { type CustomerPatch, CustomerService } from './customer.service';
import { mayBeOwnEcho, resolutionOf } from './provider-change-decisions';
import { SyncEngine } from './sync-engine';
import {
  type CallContext,
  CONFLICT_POLICY,
  type ConflictPolicy,
  copyAt,
  type Customer,
  type CustomerData,
  dataOf,
  type RemoteCustomer,
  type ProviderLink,
  syncedLinks,
  copyDrift,
  DomainError,
  JOB_ACTORS,
  ProviderAccounts,
  targetOf,
  ProviderCallLog,
  ConvergenceMetrics,
  ProviderChangeEvents,
  type ObservedChange,
  type ProviderChangeHint,
  ProviderChanges,
} from '@app/domain';

/** Adopts beaten by a concurrent write are re-evaluated from the start at most this often. */
const MAX_EVALUATIONS = 3;

/** How long a push-back may take to reach the provider before it is left to the outbox worker. */
const PUSH_SETTLE_MS = 30_000;

/**
 * The conflict policy (issue 30): every hint of a provider-side change, whatever its source (DR
 * webhooks, DR's Events API, the 2CO sweep), is checked the same way. A copy that may be our own
 * write on its way (`mayBeOwnEcho`) is left to the outbox. Otherwise the copy is read again and
 * compared with the mirror (`copyDrift`); each differing field is pushed back or adopted as the
 * policy says for that provider and field, and both the finding and its resolution are recorded as
 * events that name fields, never values. An adopt goes through the normal update path pinned to
 * the version read (If-Match): a concurrent API write wins, and the change is evaluated again.
 */
@Injectable()
export class PolicyProviderChanges extends ProviderChanges {
  private readonly logger = new Logger('ProviderChanges');

  constructor(
    private readonly customers: CustomerService,
    private readonly accounts: ProviderAccounts,
    private readonly callLog: ProviderCallLog,
    private readonly engine: SyncEngine,
    private readonly events: ProviderChangeEvents,
    @Inject(CONFLICT_POLICY) private readonly policy: ConflictPolicy,
    @Optional() private readonly metrics?: ConvergenceMetrics,
  ) {
    super();
  }

  async observe(context: CallContext, hint: ProviderChangeHint): Promise<ObservedChange> {
    const detectedAt = new Date();
    for (let evaluation = 1; ; evaluation++) {
      const found = await this.linked(hint);
      if (found === undefined) return { kind: 'unknown_customer' };
      const { customer, link } = found;
      // A copy being deleted or forgotten there is the outbox's to finish; nothing to keep in sync.
      if (link.intent !== 'sync' || customer.deletedAt !== undefined || customer.forgottenAt !== undefined)
        return mayBeOwnEcho(customer, link) ? { kind: 'echo' } : { kind: 'in_sync' };
      if (mayBeOwnEcho(customer, link)) return { kind: 'echo' };
      const observed = await this.compare(context, hint, customer, link, detectedAt);
      if (observed !== 'beaten') return observed;
      if (evaluation >= MAX_EVALUATIONS) return { kind: 'echo' };
    }
  }

  /** An event's copy equal to the mirror's customer, as the provider should hold it, settles it. */
  override async holdsMirror(
    hint: ProviderChangeHint,
    seen: (known: CustomerData) => RemoteCustomer,
  ): Promise<boolean> {
    const found = await this.linked(hint);
    if (found === undefined) return false;
    const { customer, link } = found;
    if (link.intent !== 'sync' || customer.deletedAt !== undefined || customer.forgottenAt !== undefined)
      return false;
    const data = dataOf(customer);
    return copyDrift(this.accounts.get(link.provider, link.account), data, seen(data)).length === 0;
  }

  /** The mirror's customer linked under the hint's reference at its account, with that link. */
  private async linked(
    hint: ProviderChangeHint,
  ): Promise<{ customer: Customer; link: ProviderLink } | undefined> {
    const customer = await this.customers.findLinked(hint.provider, hint.reference);
    const link = customer?.providers.find(
      (l) =>
        l.provider === hint.provider &&
        l.account === hint.account &&
        (l.reference === hint.reference || l.providerCustomerId === hint.reference),
    );
    return customer === undefined || link === undefined ? undefined : { customer, link };
  }

  /** Reads the copy, compares it, and resolves what differs; `beaten` when a write came first. */
  private async compare(
    context: CallContext,
    hint: ProviderChangeHint,
    customer: Customer,
    link: ProviderLink,
    detectedAt: Date,
  ): Promise<ObservedChange | 'beaten'> {
    const provider = this.accounts.get(link.provider, link.account);
    const data = dataOf(customer);
    // The read is the caller's: under its budget (the sweep's) and in the customer's audit trail.
    const remote = await this.callLog.run(
      context,
      { customerId: customer.id, operation: 'observe' },
      (audited) => provider.get({ ...copyAt(link), known: data }, audited),
    );
    // A delivery that began while the copy was read may be what the read saw half of.
    const now = await this.customers.find(customer.id);
    const linkNow = now?.providers.find((l) => l.provider === link.provider && l.account === link.account);
    if (
      now === undefined ||
      linkNow === undefined ||
      now.version !== customer.version ||
      mayBeOwnEcho(now, linkNow)
    )
      return { kind: 'echo' };
    const where = { provider: link.provider, account: link.account, reference: link.reference };
    // The provider's event type, else what read it: the sweep, or a caller's hint.
    const source = hint.eventType ?? (context.actor === JOB_ACTORS.sweep ? 'sweep' : 'hint');
    const found = { source, ...(hint.eventId === undefined ? {} : { eventId: hint.eventId }) };
    // The work a resolution starts is the outbox's: it spends no share of the caller's read budget.
    const resolving = resolvingContext(context);
    const since = hint.occurredAt ?? detectedAt;
    if (remote === null) {
      // Deleted at the provider: recreated from the mirror. A deletion is never adopted, whatever
      // the policy says (deleting the canonical customer is the API's decision, not a provider's).
      await this.events.detected(context, customer.id, { ...where, fields: [], missing: true, ...found });
      const restored = await this.push(resolving, customer, link);
      await this.events.resolved(context, customer.id, {
        ...where,
        pushed: [],
        adopted: [],
        missing: true,
        version: customer.version,
      });
      if (restored) this.metrics?.providerChangeResolved(link.provider, 'push', secondsSince(since));
      return { kind: 'resolved', pushed: [], adopted: [] };
    }
    const drift = copyDrift(provider, data, remote);
    if (drift.length === 0) return { kind: 'in_sync' };
    const fields = drift.map((change) => change.field);
    const resolution = resolutionOf(this.policy, link.provider, drift);
    await this.events.detected(context, customer.id, { ...where, fields, missing: false, ...found });
    let { pushed, adopted } = resolution;
    let version = customer.version;
    let adoptRefused: string | undefined;
    if (adopted.length > 0) {
      try {
        version = await this.adopt(resolving, customer, resolution.patch);
      } catch (error) {
        if (error instanceof DomainError && error.code === 'precondition_failed') return 'beaten';
        if (!(error instanceof DomainError)) throw error;
        // The provider's value would make a customer the mirror or another provider refuses:
        // the canonical value is written back instead, and the event says why.
        adoptRefused = error.code;
        this.logger.warn(
          { customer: customer.id, provider: link.provider, code: error.code },
          'adopt refused; pushing',
        );
        pushed = fields;
        adopted = [];
      }
    }
    // Resolved when the mirror took the adopted fields, or when the copy was written back.
    const resolved = adopted.length > 0 || (await this.push(resolving, customer, link));
    await this.events.resolved(context, customer.id, {
      ...where,
      pushed,
      adopted,
      missing: false,
      version,
      ...(adoptRefused === undefined ? {} : { adoptRefused }),
    });
    if (resolved)
      this.metrics?.providerChangeResolved(
        link.provider,
        adopted.length > 0 ? 'adopt' : 'push',
        secondsSince(since),
      );
    return { kind: 'resolved', pushed, adopted };
  }

  /**
   * Writes the provider's values into the canonical customer at the version read, through the
   * normal update path: the new version goes to every provider (the source copy too, where the
   * fields to push are written back), within the engine's wait.
   */
  private async adopt(context: CallContext, customer: Customer, patch: CustomerPatch): Promise<number> {
    let version = customer.version;
    await this.engine.write(context, async () => {
      const saved = await this.customers.update(
        context,
        customer.id,
        patch,
        [customer.version],
        (merged, current) => this.accounts.assertAccepted(merged, syncedLinks(current)),
      );
      version = saved.version;
      return { customerId: customer.id };
    });
    return version;
  }

  /**
   * Puts the link back in line and delivers it: the outbox writes the canonical copy back. True
   * once the copy is confirmed; else the outbox worker carries on with it (retries, parking).
   */
  private async push(context: CallContext, customer: Customer, link: ProviderLink): Promise<boolean> {
    await this.engine.enqueue(context, customer.id, { ...targetOf(link), reference: link.reference });
    const settled = await this.engine.settle(context, customer.id, targetOf(link), PUSH_SETTLE_MS);
    return settled.status === 'synced';
  }
}

/**
 * Who the resolution is for, and nothing else of the caller's context: not its budget (re-drives
 * outrank sweeps), its audit sink (the outbox records its own calls) or a request's
 * Idempotency-Key record (which belongs to the request's own write).
 */
function resolvingContext(context: CallContext): CallContext {
  return {
    actor: context.actor,
    ...(context.requestId === undefined ? {} : { requestId: context.requestId }),
  };
}

const secondsSince = (at: Date) => Math.max(0, (Date.now() - at.getTime()) / 1000);
