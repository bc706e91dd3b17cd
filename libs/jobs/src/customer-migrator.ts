import { Inject, Injectable } from '@nestjs/common';
import {
  type CallContext,
  compareCustomers,
  copyAt,
  copyDrift,
  type Customer,
  type CustomerData,
  type CustomerProvider,
  CustomerRepository,
  dataOf,
  DomainError,
  type ItemResult,
  type MigrationRun,
  type OutcomeReason,
  type PlannedItem,
  ProviderAccounts,
  ProviderCallLog,
  type ProviderTarget,
  type RemoteCustomer,
  sameTarget,
} from '@app/domain';
import { CustomerService, SyncEngine } from '@app/application';

import { isUpToDate, reasonOf, reasonOfUnsettledLink } from './customer-choices';

export const MIGRATOR_OPTIONS = 'MIGRATOR_OPTIONS';

export interface MigratorOptions {
  /**
   * How long one customer's target delivery may take, backoffs included. Longer than a link's
   * lease, so a delivery leased by a process that was killed is taken over within it.
   */
  settleTimeoutMs: number;
}

/** Ends one customer early: `skipped` (it cannot or must not be migrated) or `failed`. */
class Stop extends Error {
  constructor(
    readonly outcome: 'skipped' | 'failed',
    readonly reason: OutcomeReason,
  ) {
    super(reason.message);
  }
}

const skip = (reason: Omit<OutcomeReason, 'retryable'>): Stop =>
  new Stop('skipped', { ...reason, retryable: false });

/** The target would refuse the customer: it ends `skipped`, naming every field, before any call. */
function assertTargetAccepts(target: CustomerProvider, customer: CustomerData): void {
  const violations = target.check(customer);
  if (violations.length === 0) return;
  const fields = [...new Set(violations.map((v) => v.field))];
  throw skip({
    code: 'provider_rules_violated',
    message: `${target.provider} needs ${fields.join(', ')}`,
    // The message lists them all; `field` names the first, as a provider's refusal does.
    field: fields[0]!,
  });
}

/** What the target loses of `customer`: fields it cannot hold, and those it holds only in part. */
const lostAt = (target: CustomerProvider, customer: CustomerData): string[] => [
  ...new Set([...target.unsupportedFields(customer), ...target.lossyFields(customer)]),
];

/**
 * Why a customer is `already_present`: what this run found, given that it wrote nothing at the
 * target itself. The outcome says what THIS run did, so a customer another run (or another worker
 * of this one, or the live API) moved is never counted as migrated here.
 */
const ALREADY_AT_TARGET: OutcomeReason = {
  code: 'already_at_target',
  message: 'The target already held the customer as the mirror has it; this run wrote nothing there.',
  retryable: false,
};
const DELIVERED_ELSEWHERE: OutcomeReason = {
  code: 'delivered_elsewhere',
  message:
    'Another worker or run delivered the customer to the target meanwhile; this run wrote nothing there.',
  retryable: false,
};

const forgottenInMirror = () =>
  skip({ code: 'customer_forgotten', message: 'The customer asked to be forgotten; they are not migrated.' });

/**
 * Moves one customer: read it at the source, upsert the canonical customer in the mirror, create
 * or adopt it at the target through the sync engine (state-based, so it is idempotent however
 * often a crash makes us repeat it), verify by reading the target back, then cut over if asked.
 */
@Injectable()
export class CustomerMigrator {
  constructor(
    private readonly customers: CustomerService,
    private readonly repository: CustomerRepository,
    private readonly engine: SyncEngine,
    private readonly accounts: ProviderAccounts,
    private readonly callLog: ProviderCallLog,
    @Inject(MIGRATOR_OPTIONS) private readonly options: MigratorOptions,
  ) {}

  /**
   * Reads a batch at the source in as few calls as the provider allows: one list call per page
   * (`capabilities.listPageSize`) where it can filter by reference (DR `ids`), else nothing (each
   * customer is read on its own).
   * A failed batch read is not an error: the customers are then read one by one, with retries.
   */
  async readSource(
    context: CallContext,
    source: ProviderTarget,
    references: readonly string[],
  ): Promise<Map<string, RemoteCustomer>> {
    const provider = this.accounts.get(source.provider, source.account);
    const found = new Map<string, RemoteCustomer>();
    const pageSize = provider.capabilities.listPageSize;
    if (provider.capabilities.operations.list.support === 'none' || pageSize === undefined) return found;
    for (let start = 0; start < references.length; start += pageSize) {
      const chunk = references.slice(start, start + pageSize);
      const page = await this.callLog
        .run(context, { operation: 'migrate' }, (audited) =>
          provider.list({ references: chunk, limit: chunk.length }, audited),
        )
        .catch(() => undefined);
      for (const remote of page?.items ?? []) found.set(remote.reference, remote);
    }
    return found;
  }

  async migrate(
    context: CallContext,
    run: MigrationRun,
    reference: string,
    prefetched?: RemoteCustomer,
  ): Promise<ItemResult> {
    const { spec } = run;
    let customer: Customer | undefined;
    try {
      const remote = await this.readAtSource(context, spec.source, reference, prefetched, { audit: true });
      customer = await this.upsertCanonical(context, spec.source, remote);
      const data = dataOf(customer);
      const target = this.accounts.get(spec.target.provider, spec.target.account);
      assertTargetAccepts(target, data);
      const existing = customer.providers.find((link) => sameTarget(link, spec.target));
      const targetReference = existing?.reference ?? remote.reference;
      const base = { lossyFields: lostAt(target, data), customerId: customer.id, targetReference };

      const upToDate = isUpToDate(existing, customer);
      // What this attempt did, not what the target holds: a customer already up to date there
      // (another run, or this one before an interruption, moved it) is never counted as migrated.
      let wroteHere = false;
      let alreadyBecause = ALREADY_AT_TARGET;
      let providerCustomerId = existing?.providerCustomerId;
      let answered: RemoteCustomer | undefined;
      if (!upToDate) {
        await this.engine.enqueue(context, customer.id, { ...spec.target, reference: targetReference });
        const settled = await this.engine.settle(
          context,
          customer.id,
          spec.target,
          this.options.settleTimeoutMs,
        );
        if (settled.status !== 'synced') {
          return { ...base, outcome: 'failed', reason: reasonOfUnsettledLink(settled) };
        }
        // This attempt queued the work. It migrated the customer when its delivery wrote the copy,
        // or when the link is one this run added: whichever worker delivered that link
        // (the outbox worker often takes it first) did so for this run, and a copy the target
        // already held under it (a create retried after its answer was lost finds its own copy)
        // is adopted by this run. A link that existed already, delivered by someone else or found
        // equal, is someone else's work: already_present.
        wroteHere =
          existing === undefined ||
          // Added by an earlier attempt of this run that did not get it delivered (a failure
          // retried on resume): still this run's work, whoever delivers it now.
          existing.createdAt >= run.createdAt ||
          settled.action === 'created' ||
          settled.action === 'updated';
        if (!wroteHere && settled.action === undefined) alreadyBecause = DELIVERED_ELSEWHERE;
        providerCustomerId = settled.providerCustomerId ?? providerCustomerId;
        answered = settled.remote;
      }

      const copy = { ...spec.target, reference: targetReference, providerCustomerId };
      // Compared as delivery and drift compare (copyDrift): a field the target holds in part must
      // read back as its projection of the mirror's value (DR's joined name, 2CO's language).
      const mismatch = await this.verify(context, customer, copy, answered);
      if (mismatch !== undefined) return { ...base, outcome: 'failed', reason: mismatch };
      if (spec.cutover) await this.cutover(context, run, customer);
      return wroteHere
        ? { ...base, outcome: 'migrated' }
        : { ...base, outcome: 'already_present', reason: alreadyBecause };
    } catch (error) {
      return {
        ...(error instanceof Stop
          ? { outcome: error.outcome, reason: error.reason }
          : { outcome: 'failed', reason: reasonOf(error, 'The migration failed unexpectedly.') }),
        lossyFields: [],
        ...(customer ? { customerId: customer.id } : {}),
      };
    }
  }

  /** What `migrate` would do, without writing anything anywhere (reads only). */
  async plan(
    context: CallContext,
    run: MigrationRun,
    reference: string,
    prefetched?: RemoteCustomer,
  ): Promise<PlannedItem> {
    const { spec } = run;
    try {
      // A dry run writes nothing, not even the audit trail of its reads.
      const remote = await this.readAtSource(context, spec.source, reference, prefetched, {
        audit: false,
      });
      const known = await this.customers.findLinked(spec.source.provider, remote.reference);
      if (known?.forgottenAt !== undefined) throw forgottenInMirror();
      const existing = known?.providers.find((link) => sameTarget(link, spec.target));
      const targetReference = existing?.reference ?? remote.reference;
      const target = this.accounts.get(spec.target.provider, spec.target.account);
      assertTargetAccepts(target, remote.customer);
      const plan = await target.dryRun(
        { operation: 'create', input: { reference: targetReference, customer: remote.customer } },
        context,
      );
      const present = known !== undefined && isUpToDate(existing, known);
      return {
        sourceReference: reference,
        action: present ? 'already_present' : 'migrate',
        targetReference,
        lossyFields: lostAt(target, remote.customer),
        payload: plan.requests.find((request) => request.method === 'POST')?.body,
      };
    } catch (error) {
      const reason = error instanceof Stop ? error.reason : reasonOf(error);
      return { sourceReference: reference, action: 'skip', reason, lossyFields: [] };
    }
  }

  private async readAtSource(
    context: CallContext,
    source: ProviderTarget,
    reference: string,
    prefetched: RemoteCustomer | undefined,
    options: { audit: boolean },
  ): Promise<RemoteCustomer> {
    let remote = prefetched;
    if (remote === undefined) {
      const provider = this.accounts.get(source.provider, source.account);
      const read = (audited: CallContext) => provider.get({ reference }, audited);
      remote =
        (await (options.audit ? this.callLog.run(context, { operation: 'migrate' }, read) : read(context))) ??
        undefined;
    }
    if (remote === undefined) {
      throw skip({
        code: 'not_found_at_source',
        message: `${source.provider}/${source.account} has no customer "${reference}".`,
      });
    }
    if (remote.forgotten) {
      throw skip({
        code: 'forgotten_at_source',
        message: 'The customer asked the source provider to forget them; they are not migrated.',
      });
    }
    return remote;
  }

  /**
   * The source is the truth during a migration: a customer the mirror does not know yet is adopted
   * (linked to the source, synced); one it knows is brought up to what the source holds.
   */
  private async upsertCanonical(
    context: CallContext,
    source: ProviderTarget,
    remote: RemoteCustomer,
  ): Promise<Customer> {
    let customer = await this.customers.findLinked(source.provider, remote.reference);
    if (customer === undefined) {
      try {
        return await this.customers.adopt(context, remote.customer, {
          ...source,
          reference: remote.reference,
          ...(remote.providerCustomerId !== undefined
            ? { providerCustomerId: remote.providerCustomerId }
            : {}),
          unsupportedFields: remote.unsupportedFields,
          lossyFields: this.accounts.get(source.provider, source.account).lossyFields(remote.customer),
        });
      } catch (error) {
        // Another worker adopted it a moment ago: carry on with theirs.
        if (!(error instanceof DomainError && error.code === 'provider_reference_taken')) {
          if (error instanceof DomainError && error.code === 'validation_failed') {
            const field = error.fieldErrors[0]?.field;
            throw skip({
              code: 'invalid_at_source',
              message: `The source customer is not a valid canonical customer: ${error.fieldErrors
                .map((e) => `${e.field} ${e.code}`)
                .join(', ')}.`,
              ...(field !== undefined ? { field } : {}),
            });
          }
          throw error;
        }
        customer = await this.customers.findLinked(source.provider, remote.reference);
        if (customer === undefined) throw error;
      }
    }
    if (customer.forgottenAt !== undefined) throw forgottenInMirror();
    if (customer.deletedAt !== undefined) {
      throw skip({
        code: 'customer_deleted',
        message: 'The customer is being deleted in the mirror; it is not migrated.',
      });
    }
    const drift = compareCustomers(dataOf(customer), remote.customer, remote.unsupportedFields);
    if (drift.length === 0) return customer;
    const patch = Object.fromEntries(drift.map((change) => [change.field, change.theirs ?? null]));
    return this.customers.update(context, customer.id, patch);
  }

  /**
   * The target's copy must hold the mirror's canonical fields (those it can hold). The copy is the
   * one the target answered this run's delivery with when there was one: DR's stored customer in
   * its POST or update answer, or the read that found it already equal. Otherwise (2CO's create
   * and update answer no customer, another worker delivered it, or it was already in sync) the
   * target is read back here. Either way the comparison is against what
   * the target holds, and a provider limit is not spent reading the same customer twice.
   */
  private async verify(
    context: CallContext,
    customer: Customer,
    copy: ProviderTarget & { reference: string; providerCustomerId: string | undefined },
    answered: RemoteCustomer | undefined,
  ): Promise<OutcomeReason | undefined> {
    const data = dataOf(customer);
    const provider = this.accounts.get(copy.provider, copy.account);
    let remote = answered ?? null;
    if (remote === null) {
      try {
        remote = await this.callLog.run(
          context,
          { customerId: customer.id, operation: 'migrate' },
          (audited) => provider.get({ ...copyAt(copy), known: data }, audited),
        );
      } catch (error) {
        return reasonOf(error);
      }
    }
    if (remote === null) {
      return {
        code: 'verification_failed',
        message: 'The target has no copy after delivery.',
        retryable: true,
      };
    }
    const fields = copyDrift(provider, data, remote);
    if (fields.length === 0) return undefined;
    return {
      code: 'verification_failed',
      message: `The target's copy differs from the mirror in: ${fields.map((f) => f.field).join(', ')}.`,
      retryable: true,
      // The message lists them all; `field` names the first, as a provider's refusal does.
      field: fields[0]!.field,
    };
  }

  /**
   * Makes the target the customer's system of record and retires the source copy as asked. Each
   * step is idempotent, so a run resumed after a crash mid-cutover simply does it again.
   */
  private async cutover(context: CallContext, run: MigrationRun, customer: Customer): Promise<void> {
    const { spec } = run;
    const cutover = spec.cutover!;
    if (cutover.primary) await this.repository.setPrimary(context, customer.id, spec.target);
    const sourceLink = customer.providers.find((link) => sameTarget(link, spec.source));
    if (sourceLink === undefined || cutover.source === 'keep') return;
    if (cutover.source === 'disable') {
      // A link already turned to `disable` is a cutover resumed after a crash or a failed delivery.
      if (sourceLink.intent !== 'sync' && sourceLink.intent !== 'disable') return;
      // Through the outbox like every provider write: leased, retried with backoff, audited.
      await this.engine.enqueueDisable(context, customer.id, spec.source);
      const settled = await this.engine.settle(
        context,
        customer.id,
        spec.source,
        this.options.settleTimeoutMs,
      );
      if (settled.status !== 'synced') {
        const error = 'error' in settled ? settled.error : undefined;
        throw new Stop('failed', {
          code: 'cutover_failed',
          message: `Disabling the customer at the source failed: ${error?.message ?? settled.status}.`,
          retryable: true,
        });
      }
      // The mirror no longer syncs the source: its next write would re-enable the copy there.
      await this.repository.retireLink(
        context,
        customer.id,
        spec.source,
        `migration ${run.id}: disabled at the source`,
      );
      return;
    }
    if (sourceLink.intent !== 'sync') return;
    await this.engine.enqueueForget(context, customer.id, spec.source);
    const settled = await this.engine.settle(context, customer.id, spec.source, this.options.settleTimeoutMs);
    // Recorded at the source is enough for the cutover: the worker confirms the erasure later.
    if (settled.status !== 'synced' && settled.status !== 'requested') {
      const error = 'error' in settled ? settled.error : undefined;
      throw new Stop('failed', {
        code: 'cutover_failed',
        message: `Forgetting the customer at the source failed: ${error?.message ?? settled.status}.`,
        retryable: true,
      });
    }
  }
}
