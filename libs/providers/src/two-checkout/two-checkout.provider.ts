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
  type CustomerProvider,
  type DeleteResult,
  type GetCustomerInput,
  DomainError,
  type DryRunPlan,
  type ForgetCustomerInput,
  type ForgetResult,
  ProviderError,
  type ProviderOperation,
  type RemoteCustomer,
  type RemoteCustomerPage,
  type UpdateCustomerInput,
  type WriteOperation,
} from '@app/domain';
import { z } from 'zod';
import { type ProviderRequest } from '../shared/provider-http';
import { TWO_CHECKOUT, TwoCheckoutClient } from './two-checkout.client';
import { type TwoCheckoutConfig } from './two-checkout.config';
import { TWO_CHECKOUT_FIELDS } from './two-checkout.fields';
import { fromTcoCustomer, toTcoCustomer, toTcoForgottenCustomer } from './two-checkout.mapper';
import {
  checkTcoCustomer,
  TCO_UNERASABLE_FIELDS,
  tcoLossyFields,
  tcoPersonalDataHeld,
  tcoUnheldFields,
  TWO_CHECKOUT_CAPABILITIES,
} from './two-checkout.rules';
import {
  type TcoCustomer,
  type TcoCustomerRequest,
  tcoCreatedSchema,
  tcoCustomerSchema,
} from './two-checkout.schemas';

const anyBodySchema = z.unknown();

/** 2Checkout customers behind the canonical port. */
export class TwoCheckoutProvider implements CustomerProvider {
  readonly provider = TWO_CHECKOUT;
  readonly account: string;
  readonly requestsPerSecond: number;
  readonly capabilities = TWO_CHECKOUT_CAPABILITIES;
  readonly fieldTable = TWO_CHECKOUT_FIELDS;
  readonly unerasableFields = TCO_UNERASABLE_FIELDS;
  private readonly client: TwoCheckoutClient;

  constructor(config: TwoCheckoutConfig) {
    this.account = config.account;
    this.requestsPerSecond = config.rateLimitPerSecond;
    this.client = new TwoCheckoutClient(config);
  }

  async create({ reference, customer }: CreateCustomerInput, context: CallContext): Promise<CreateResult> {
    const { body, unsupportedFields } = toTcoCustomer(reference, customer);
    try {
      // The answer is only the numeric reference, which is all the mirror keeps of a create; what
      // 2Checkout stored is not read back here (see WriteResult).
      const numeric = await this.client.http.sendFor(createRequest(body), tcoCreatedSchema, context);
      return { reference, providerCustomerId: String(numeric), unsupportedFields, created: true };
    } catch (error) {
      // A retry after a timeout is safe: a second create with the same ExternalCustomerReference
      // is refused as a duplicate, which we answer by reading the copy it found.
      if (!isDuplicateReference(error)) throw error;
    }
    const stored = await this.fetch(reference, context);
    if (!stored) {
      throw this.client.http.error(
        { kind: 'bad_response' },
        `${TWO_CHECKOUT} refused customer ${reference} as a duplicate but has no customer under it`,
      );
    }
    return {
      ...writtenAs({ ...this.toRemote(stored, reference, customer), unsupportedFields }),
      created: false,
    };
  }

  async get(
    { reference, providerCustomerId, known }: GetCustomerInput,
    context: CallContext,
  ): Promise<RemoteCustomer | null> {
    const found = await this.fetch(providerCustomerId ?? reference, context);
    return found ? this.toRemote(found, reference, known) : null;
  }

  async update(input: UpdateCustomerInput, context: CallContext): Promise<WriteResult> {
    const { current, request, unsupportedFields } = await this.planUpdate(input, context);
    const answer = await this.client.http.sendFor(request, anyBodySchema, context);
    // The PUT answers no customer, and the ids the customer is stored under do not change: what
    // 2Checkout stored is not read back here (see WriteResult).
    const stored = customerIn(answer);
    const numeric = numericReferenceOf(current);
    return {
      reference: input.reference,
      ...(numeric === undefined ? {} : { providerCustomerId: numeric }),
      unsupportedFields,
      ...(stored === undefined
        ? {}
        : { stored: { ...this.toRemote(stored, input.reference, input.customer), unsupportedFields } }),
    };
  }

  delete(): Promise<DeleteResult> {
    return Promise.reject(unsupported('delete'));
  }

  check(customer: CustomerData): ProviderRuleViolation[] {
    return checkTcoCustomer(customer);
  }

  unsupportedFields(customer: CustomerData): CanonicalField[] {
    return tcoUnheldFields(customer);
  }

  lossyFields(customer: CustomerData): CanonicalField[] {
    return tcoLossyFields(customer);
  }

  personalDataHeld(remote: RemoteCustomer): PersonalField[] {
    return tcoPersonalDataHeld(remote);
  }

  async forget(
    { reference, providerCustomerId, current: known }: ForgetCustomerInput,
    context: CallContext,
  ): Promise<ForgetResult> {
    const current = this.snapshotOf(known) ?? (await this.fetch(providerCustomerId ?? reference, context));
    if (!current) return { stored: null, notErased: [] };
    const { body, notErased } = toTcoForgottenCustomer(reference, current);
    const request = forgetRequest(current, reference, body);
    const answer = await this.client.http.sendFor(request, anyBodySchema, context);
    // The PUT answers no customer; the delivery reads the scrubbed copy back to confirm it.
    const stored = customerIn(answer);
    return { ...(stored === undefined ? {} : { stored: this.toRemote(stored, reference) }), notErased };
  }

  list(): Promise<RemoteCustomerPage> {
    return Promise.reject(unsupported('list'));
  }

  attachSource(): Promise<RemoteCustomer> {
    return Promise.reject(unsupported('attachSource'));
  }

  detachSource(): Promise<RemoteCustomer> {
    return Promise.reject(unsupported('detachSource'));
  }

  attachTaxIdentifier(): Promise<RemoteCustomer> {
    return Promise.reject(unsupported('attachTaxIdentifier'));
  }

  detachTaxIdentifier(): Promise<RemoteCustomer> {
    return Promise.reject(unsupported('detachTaxIdentifier'));
  }

  async dryRun(write: WriteOperation, context: CallContext): Promise<DryRunPlan> {
    const http = this.client.http;
    switch (write.operation) {
      case 'create': {
        const { body, unsupportedFields } = toTcoCustomer(write.input.reference, write.input.customer);
        return {
          requests: [http.plan(createRequest(body))],
          unsupportedFields,
        };
      }
      case 'update': {
        // The PUT replaces the whole object, so its body depends on what 2CO holds now: the
        // dry run performs that (safe) read.
        const { current, request, unsupportedFields } = await this.planUpdate(write.input, context);
        return {
          requests: [
            http.plan(
              getRequest(referenceOf(current, write.input.reference)),
              'read (performed by the dry run)',
            ),
            http.plan(request),
          ],
          unsupportedFields,
        };
      }
      // 2CO has no delete: the gateway scrubs the personal fields instead, with the same requests.
      case 'delete':
      case 'forget': {
        const { reference, providerCustomerId } = write.input;
        const current = await this.fetch(providerCustomerId ?? reference, context);
        if (!current) return { requests: [], unsupportedFields: [] };
        const { body } = toTcoForgottenCustomer(reference, current);
        return {
          requests: [
            http.plan(getRequest(referenceOf(current, reference)), 'read (performed by the dry run)'),
            http.plan(forgetRequest(current, reference, body)),
          ],
          unsupportedFields: [],
        };
      }
      case 'attachSource':
      case 'detachSource':
      case 'attachTaxIdentifier':
      case 'detachTaxIdentifier':
        throw unsupported(write.operation);
    }
  }

  close(): void {
    this.client.close();
  }

  /** GET /customers/{ref}/ takes either reference; absence is an answer, not an error. */
  private async fetch(reference: string, context: CallContext): Promise<TcoCustomer | null> {
    try {
      return await this.client.http.sendFor(getRequest(reference), tcoCustomerSchema, context);
    } catch (error) {
      if (error instanceof ProviderError && error.kind === 'not_found') return null;
      throw error;
    }
  }

  /**
   * Read-modify-write: official samples read the customer, change it and PUT the whole object
   * back (docs/providers/two-checkout.md#create-and-update-semantics), so fields we do not model survive the update.
   */
  private async planUpdate(input: UpdateCustomerInput, context: CallContext) {
    const current =
      this.snapshotOf(input.current) ??
      (await this.fetch(input.providerCustomerId ?? input.reference, context));
    if (!current) {
      throw this.client.http.error(
        { kind: 'not_found', status: 404 },
        `${TWO_CHECKOUT} has no customer ${input.reference} to update`,
      );
    }
    const { body, unsupportedFields } = toTcoCustomer(input.reference, input.customer, current);
    return { current, request: putRequest(referenceOf(current, input.reference), body), unsupportedFields };
  }

  /** The whole object a copy this adapter answered was read from, when it still carries it. */
  private snapshotOf(remote: RemoteCustomer | undefined): TcoCustomer | undefined {
    const parsed = tcoCustomerSchema.safeParse(remote?.raw);
    return parsed.success ? parsed.data : undefined;
  }

  private toRemote(tco: TcoCustomer, reference: string, known?: CustomerData): RemoteCustomer {
    const remote = fromTcoCustomer(tco, known);
    return { ...remote, reference: tco.ExternalCustomerReference || reference };
  }
}

/** 2CO's own numeric reference, under either of the names its answers use. */
function numericReferenceOf(customer: TcoCustomer): string | undefined {
  const numeric = customer.CustomerReference ?? customer.AvangateCustomerReference;
  return numeric === undefined || numeric === null ? undefined : String(numeric);
}

/** Prefer 2CO's own numeric reference for addressing, as the update docs use it. */
function referenceOf(customer: TcoCustomer, fallback: string): string {
  return numericReferenceOf(customer) ?? fallback;
}

/** A PUT's answer ("200 JSON" of undocumented shape), when it is the customer: used if sent. */
function customerIn(answer: unknown): TcoCustomer | undefined {
  const parsed = tcoCustomerSchema.safeParse(answer);
  return parsed.success && (parsed.data.ExternalCustomerReference || parsed.data.CustomerReference)
    ? parsed.data
    : undefined;
}

const customerPath = (reference: string) =>
  `/customers/${reference.startsWith('{') ? reference : encodeURIComponent(reference)}/`;

// REST 6.0 paths end with a slash (docs/providers/two-checkout.md `servers` + paths; the official SDKs append it).
function createRequest(body: TcoCustomerRequest): ProviderRequest {
  return { method: 'POST', path: '/customers/', body, idempotent: true };
}

function getRequest(reference: string): ProviderRequest {
  return { method: 'GET', path: customerPath(reference), idempotent: true };
}

function putRequest(reference: string, body: TcoCustomerRequest): ProviderRequest {
  return { method: 'PUT', path: customerPath(reference), body, idempotent: true };
}

/** `endUserUpdate=true` also scrubs the end-user details on the customer's subscriptions (docs/providers/two-checkout.md). */
function forgetRequest(current: TcoCustomer, reference: string, body: TcoCustomerRequest): ProviderRequest {
  return { ...putRequest(referenceOf(current, reference), body), query: { endUserUpdate: true } };
}

/**
 * A create refused because ExternalCustomerReference is taken: "The External ID you entered is
 * used by another customer account"
 * (https://docs.2checkout.com/subscriptions/subscriptions/subscriber-management-and-self-service/customer-ids).
 */
function isDuplicateReference(error: unknown): boolean {
  if (!(error instanceof ProviderError)) return false;
  if (error.kind === 'conflict') return true;
  return (
    error.kind === 'rejected' &&
    /DUPLICATE|ALREADY|EXTERNAL.*(USED|EXISTS|TAKEN)/i.test(
      `${error.providerCode ?? ''} ${error.providerMessage ?? ''}`,
    )
  );
}

function unsupported(operation: ProviderOperation): DomainError {
  const note = TWO_CHECKOUT_CAPABILITIES.operations[operation].note;
  return new DomainError(
    'unsupported_by_provider',
    `2Checkout does not support ${operation}${note ? `: ${note}` : ''}`,
  );
}
