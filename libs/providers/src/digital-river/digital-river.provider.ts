import {
  type CallContext,
  type CanonicalField,
  type CreateCustomerInput,
  type PersonalField,
  type ProviderRuleViolation,
  type CreateResult,
  writtenAs,
  type WriteResult,
  type CustomerData,
  type RemoteCustomerPage,
  type CustomerProvider,
  type CustomerRefInput,
  type DeleteResult,
  type GetCustomerInput,
  type DryRunPlan,
  type ForgetCustomerInput,
  type ForgetResult,
  type ListCustomersInput,
  type PlannedRequest,
  ProviderError,
  type RemoteCustomer,
  type SourceInput,
  type TaxIdentifier,
  type TaxIdentifierInput,
  type UpdateCustomerInput,
  type WriteOperation,
} from '@app/domain';
import {
  DIGITAL_RIVER,
  DigitalRiverClient,
  createRequest,
  deleteRequest,
  forgetRequest,
  listRequest,
  getRequest,
  deleteTaxIdentifierRequest,
  createTaxIdentifierRequest,
  attachTaxIdentifierRequest,
  getTaxIdentifierRequest,
  listTaxIdentifiersRequest,
  createFollowUps,
  type Step,
  sourceStep,
  updateSteps,
  listEventsRequest,
  type DrEventQuery,
} from './digital-river.client';
import { type DigitalRiverConfig } from './digital-river.config';
import { DIGITAL_RIVER_FIELDS } from './digital-river.fields';
import { fromDrCustomer, toDrCreatePlan, toDrUpdatePlan } from './digital-river.mapper';
import {
  checkDrCustomer,
  DIGITAL_RIVER_CAPABILITIES,
  drLossyFields,
  drPersonalDataHeld,
  drUnheldFields,
  drSourceOwnersHeld,
} from './digital-river.rules';
import {
  type DrCustomer,
  drCustomerListSchema,
  drCustomerSchema,
  anyBodySchema,
  taxIdentifierCreatedSchema,
  taxIdentifierSchema,
  taxIdentifierListSchema,
} from './digital-river.schemas';
import { type DrEvent, drEventListSchema } from './digital-river.webhooks';

/** Digital River customers behind the canonical port (https://docs.digitalriver.com). */
export class DigitalRiverProvider implements CustomerProvider {
  readonly provider = DIGITAL_RIVER;
  readonly account: string;
  readonly requestsPerSecond: number;
  readonly capabilities = DIGITAL_RIVER_CAPABILITIES;
  readonly fieldTable = DIGITAL_RIVER_FIELDS;
  readonly unerasableFields: readonly PersonalField[] = [];
  private readonly client: DigitalRiverClient;

  constructor(config: DigitalRiverConfig) {
    this.account = config.account;
    this.requestsPerSecond = config.rateLimitPerSecond;
    this.client = new DigitalRiverClient(config);
  }

  async create({ reference, customer }: CreateCustomerInput, context: CallContext): Promise<CreateResult> {
    const plan = toDrCreatePlan(reference, customer);
    let current: DrCustomer;
    let created = true;
    try {
      // Creating with our own `id` makes a repeated create answer 409 instead of duplicating
      // (https://docs.digitalriver.com/digital-river-api/customer-management/creating-a-customer),
      // which is why the request may be retried after a timeout.
      current = await this.client.http.sendFor(createRequest(plan), drCustomerSchema, context);
    } catch (error) {
      if (!(
        error instanceof ProviderError &&
        error.kind === 'conflict' &&
        error.providerCode === 'already_exists'
      )) {
        throw error;
      }
      // Same recovery as DR's Salesforce Commerce Cloud connector: 409 already_exists → GET
      // (https://github.com/digitalriver-connectors/sfcc_link_digitalriver/blob/HEAD/cartridges/int_digitalriver/cartridge/scripts/digitalRiver/drCustomerHelper.js).
      const existing = await this.fetch(reference, context);
      if (!existing) throw error;
      current = existing;
      created = false;
    }
    const final = await this.run(reference, createFollowUps(reference, plan, current), current, context);
    return { ...writtenAs(this.toRemote(final, customer, plan.unsupportedFields)), created };
  }

  async get({ reference, known }: GetCustomerInput, context: CallContext): Promise<RemoteCustomer | null> {
    const found = await this.fetch(reference, context);
    return found ? fromDrCustomer(found, known) : null;
  }

  async update(
    { reference, previous, customer, current }: UpdateCustomerInput,
    context: CallContext,
  ): Promise<WriteResult> {
    const plan = toDrUpdatePlan(previous, customer, heldCopy(current));
    const final = await this.run(reference, updateSteps(reference, plan), undefined, context);
    return writtenAs(this.toRemote(final, customer, plan.unsupportedFields));
  }

  /**
   * DR's customer delete detaches the customer's tax identifiers but keeps them, value included
   * (deleting one is the only way to detach it,
   * https://docs.digitalriver.com/digital-river-api/integration-options/checkouts/creating-checkouts/tax-identifiers),
   * so each is deleted first: a crash in between leaves the customer holding the rest, and the
   * retried delete finds them again. Payment sources are only detached and DR offers no call that
   * deletes one, so their owners' details are what this answers as left behind.
   */
  async delete({ reference }: CustomerRefInput, context: CallContext): Promise<DeleteResult> {
    const current = await this.fetch(reference, context);
    if (current === null) return { notErased: [] };
    for (const tax of current.taxIdentifiers ?? []) {
      if (tax.id)
        await this.client.http
          .sendFor(deleteTaxIdentifierRequest(tax.id), anyBodySchema, context)
          .catch(alreadyGone);
    }
    // Already gone is the outcome a delete wants: a retried delete must not fail.
    await this.client.send(deleteRequest(reference), context).catch(alreadyGone);
    return { notErased: drSourceOwnersHeld(current) ? ['sources'] : [] };
  }

  check(customer: CustomerData): ProviderRuleViolation[] {
    return checkDrCustomer(customer);
  }

  unsupportedFields(customer: CustomerData): CanonicalField[] {
    return drUnheldFields(customer);
  }

  lossyFields(customer: CustomerData): CanonicalField[] {
    return drLossyFields(customer);
  }

  personalDataHeld(remote: RemoteCustomer): PersonalField[] {
    return drPersonalDataHeld(remote);
  }

  async forget({ reference, customer }: ForgetCustomerInput, context: CallContext): Promise<ForgetResult> {
    try {
      const forgotten = await this.client.http.sendFor(forgetRequest(reference), drCustomerSchema, context);
      // DR erases the personal data itself once the request is recorded
      // (https://docs.digitalriver.com/digital-river-api/customer-management/recording-a-request-to-be-forgotten).
      return { stored: this.toRemote(forgotten, customer, []), notErased: [] };
    } catch (error) {
      if (error instanceof ProviderError && error.kind === 'not_found')
        return { stored: null, notErased: [] };
      throw error;
    }
  }

  /** One page of DR's Events API (digital-river.webhooks.ts reads what an event is about). */
  async listEvents(
    query: DrEventQuery,
    context: CallContext,
  ): Promise<{ hasMore: boolean; data: DrEvent[] }> {
    return this.client.http.sendFor(listEventsRequest(query), drEventListSchema, context);
  }

  async list(input: ListCustomersInput, context: CallContext): Promise<RemoteCustomerPage> {
    const page = await this.client.http.sendFor(listRequest(input), drCustomerListSchema, context);
    return { items: page.data.map((customer) => fromDrCustomer(customer)), hasMore: page.hasMore };
  }

  async attachSource({ reference, sourceId }: SourceInput, context: CallContext): Promise<RemoteCustomer> {
    const steps = [sourceStep('POST', reference, sourceId)];
    return fromDrCustomer(await this.run(reference, steps, undefined, context));
  }

  async detachSource({ reference, sourceId }: SourceInput, context: CallContext): Promise<RemoteCustomer> {
    const steps = [sourceStep('DELETE', reference, sourceId)];
    return fromDrCustomer(await this.run(reference, steps, undefined, context));
  }

  async attachTaxIdentifier(
    { reference, taxIdentifier }: TaxIdentifierInput,
    context: CallContext,
  ): Promise<RemoteCustomer> {
    const steps: Step[] = [{ kind: 'addTaxIdentifier', taxIdentifier }];
    return fromDrCustomer(await this.run(reference, steps, undefined, context));
  }

  async detachTaxIdentifier(
    { reference, taxIdentifier }: TaxIdentifierInput,
    context: CallContext,
  ): Promise<RemoteCustomer> {
    const steps: Step[] = [{ kind: 'removeTaxIdentifier', taxIdentifier }];
    return fromDrCustomer(await this.run(reference, steps, undefined, context));
  }

  /** Plans without sending anything, so it takes no context. */
  dryRun(write: WriteOperation): Promise<DryRunPlan> {
    const reference = write.input.reference;
    let steps: Step[];
    let unsupportedFields: DryRunPlan['unsupportedFields'] = [];
    switch (write.operation) {
      case 'create': {
        const plan = toDrCreatePlan(reference, write.input.customer);
        steps = [
          { kind: 'request', request: createRequest(plan), returnsCustomer: true },
          ...createFollowUps(reference, plan, undefined),
        ];
        unsupportedFields = plan.unsupportedFields;
        break;
      }
      case 'update': {
        const plan = toDrUpdatePlan(
          write.input.previous,
          write.input.customer,
          heldCopy(write.input.current),
        );
        steps = updateSteps(reference, plan);
        unsupportedFields = plan.unsupportedFields;
        break;
      }
      case 'delete':
        steps = [
          { kind: 'request', request: getRequest(reference), returnsCustomer: true },
          {
            kind: 'request',
            request: deleteTaxIdentifierRequest('{id of each tax identifier}'),
            returnsCustomer: false,
            note: 'a customer delete would only detach them, value included: they are deleted first',
          },
          { kind: 'request', request: deleteRequest(reference), returnsCustomer: false },
        ];
        break;
      case 'forget':
        steps = [{ kind: 'request', request: forgetRequest(reference), returnsCustomer: true }];
        break;
      case 'attachSource':
        steps = [sourceStep('POST', reference, write.input.sourceId)];
        break;
      case 'detachSource':
        steps = [sourceStep('DELETE', reference, write.input.sourceId)];
        break;
      case 'attachTaxIdentifier':
        steps = [{ kind: 'addTaxIdentifier', taxIdentifier: write.input.taxIdentifier }];
        break;
      case 'detachTaxIdentifier':
        steps = [{ kind: 'removeTaxIdentifier', taxIdentifier: write.input.taxIdentifier }];
        break;
    }
    return Promise.resolve({
      requests: steps.flatMap((step) => this.describe(reference, step)),
      unsupportedFields,
    });
  }

  close(): void {
    this.client.close();
  }

  /** GET /customers/{id}; absence is an answer, not an error. */
  private async fetch(reference: string, context: CallContext): Promise<DrCustomer | null> {
    try {
      return await this.client.http.sendFor(getRequest(reference), drCustomerSchema, context);
    } catch (error) {
      if (error instanceof ProviderError && error.kind === 'not_found') return null;
      throw error;
    }
  }

  /**
   * Runs the steps in order and answers the customer as DR holds it afterwards: the last
   * customer body DR returned, or a fresh read when a later step changed sub-resources.
   */
  private async run(
    reference: string,
    steps: Step[],
    start: DrCustomer | undefined,
    context: CallContext,
  ): Promise<DrCustomer> {
    let latest = start;
    let stale = start === undefined;
    for (const step of steps) {
      switch (step.kind) {
        case 'request':
          if (step.returnsCustomer) {
            latest = await this.client.http.sendFor(step.request, drCustomerSchema, context);
            stale = false;
          } else {
            await this.client.http.sendFor(step.request, anyBodySchema, context);
            stale = true;
          }
          break;
        case 'addTaxIdentifier':
          await this.addTaxIdentifier(reference, step.taxIdentifier, context);
          stale = true;
          break;
        case 'removeTaxIdentifier': {
          const holder = stale || !latest ? await this.require(reference, context) : latest;
          const id = holder.taxIdentifiers?.find(
            (tax) => tax.type === step.taxIdentifier.type && tax.value === step.taxIdentifier.value,
          )?.id;
          if (id) {
            await this.client.http.sendFor(deleteTaxIdentifierRequest(id), anyBodySchema, context);
            stale = true;
          }
          break;
        }
      }
    }
    return stale || !latest ? this.require(reference, context) : latest;
  }

  /**
   * Creating and attaching a tax identifier are two calls
   * (https://docs.digitalriver.com/digital-river-api/integration-options/checkouts/creating-checkouts/tax-identifiers),
   * and a crash or timeout between them leaves an unattached identifier holding the VAT id, which
   * no customer's forget would then erase. So this is state-based like the customer itself: nothing
   * to do when the customer already holds it, an unattached identifier of the same type and value
   * is attached rather than a new one created, and one we created that lost a race to a concurrent
   * delivery is deleted again.
   */
  private async addTaxIdentifier(
    reference: string,
    taxIdentifier: TaxIdentifier,
    context: CallContext,
  ): Promise<void> {
    const holds = (customer: DrCustomer) =>
      (customer.taxIdentifiers ?? []).some(
        (tax) => tax.type === taxIdentifier.type && tax.value === taxIdentifier.value,
      );
    const http = this.client.http;
    for (let round = 1; ; round++) {
      if (holds(await this.require(reference, context))) return;
      // After losing one to another customer's delivery, create ours rather than race again.
      const orphan = round === 1 ? await this.unattachedTaxIdentifier(taxIdentifier, context) : undefined;
      const id =
        orphan ??
        (await http.sendFor(createTaxIdentifierRequest(taxIdentifier), taxIdentifierCreatedSchema, context))
          .id;
      try {
        await http.sendFor(attachTaxIdentifierRequest(reference, id), anyBodySchema, context);
        return;
      } catch (error) {
        // 409: the identifier went to another customer with the same VAT id (it was free, so any
        // delivery may take it; look again), or this customer got one meanwhile.
        if (!(error instanceof ProviderError && error.kind === 'conflict')) throw error;
        // One we created must not linger unattached, holding the VAT id.
        if (orphan === undefined) await this.deleteIfUnattached(id, context);
        if (round === 5) throw error;
      }
    }
  }

  private async deleteIfUnattached(taxIdentifierId: string, context: CallContext): Promise<void> {
    const http = this.client.http;
    const tax = await http.sendFor(getTaxIdentifierRequest(taxIdentifierId), taxIdentifierSchema, context);
    if (!tax.customerId)
      await http.sendFor(deleteTaxIdentifierRequest(taxIdentifierId), anyBodySchema, context);
  }

  /**
   * An identifier of this type and value attached to no customer. DR's list of tax identifiers
   * documents no filter beyond paging, so the pages are read through.
   */
  private async unattachedTaxIdentifier(
    taxIdentifier: TaxIdentifier,
    context: CallContext,
  ): Promise<string | undefined> {
    let startingAfter: string | undefined;
    for (;;) {
      const page = await this.client.http.sendFor(
        listTaxIdentifiersRequest(startingAfter),
        taxIdentifierListSchema,
        context,
      );
      const found = page.data.find(
        (tax) => tax.type === taxIdentifier.type && tax.value === taxIdentifier.value && !tax.customerId,
      );
      if (found !== undefined) return found.id;
      if (!page.hasMore || page.data.length === 0) return undefined;
      startingAfter = page.data.at(-1)!.id;
    }
  }

  private async require(reference: string, context: CallContext): Promise<DrCustomer> {
    const found = await this.fetch(reference, context);
    if (!found) {
      throw this.client.http.error(
        { kind: 'not_found', status: 404 },
        `${DIGITAL_RIVER} customer ${reference} disappeared during the operation`,
      );
    }
    return found;
  }

  private toRemote(dr: DrCustomer, written: CustomerData, unsupported: RemoteCustomer['unsupportedFields']) {
    return { ...fromDrCustomer(dr, written), unsupportedFields: unsupported };
  }

  private describe(reference: string, step: Step): PlannedRequest[] {
    const http = this.client.http;
    switch (step.kind) {
      case 'request':
        return [http.plan(step.request, step.note)];
      case 'addTaxIdentifier':
        return [
          http.plan(
            listTaxIdentifiersRequest(undefined),
            'look for an unattached identifier of the same type and value to reuse',
          ),
          http.plan(createTaxIdentifierRequest(step.taxIdentifier), 'create the tax identifier, if none'),
          http.plan(
            attachTaxIdentifierRequest(reference, '{taxIdentifierId}'),
            'attach the tax identifier found or created above',
          ),
        ];
      case 'removeTaxIdentifier':
        return [
          http.plan(
            deleteTaxIdentifierRequest(`{id of ${step.taxIdentifier.type}:${step.taxIdentifier.value}}`),
            'deleting a tax identifier detaches it; its id is read from the customer first',
          ),
        ];
    }
  }
}

/** A delete of something already gone has the outcome it wanted. */
function alreadyGone(error: unknown): void {
  if (!(error instanceof ProviderError && error.kind === 'not_found')) throw error;
}

/** DR's own object behind a copy this adapter answered a moment ago, when the caller passed one. */
function heldCopy(current: RemoteCustomer | undefined): DrCustomer | undefined {
  const parsed = drCustomerSchema.safeParse(current?.raw);
  return parsed.success ? parsed.data : undefined;
}
