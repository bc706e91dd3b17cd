/**
 * Digital River's tax identifiers: created on their own, attached to one customer, detached by
 * deleting them (https://docs.digitalriver.com/digital-river-api/integration-options/checkouts/creating-checkouts/tax-identifiers).
 */
import { randomUUID } from 'node:crypto';
import { type DigitalRiverPrincipal } from './digital-river.auth';
import { drError, drNotFound } from './digital-river.errors';
import { type DigitalRiverStore, paginate, type StoredCustomer } from './digital-river.store';
import { type DigitalRiverList, type DigitalRiverTaxIdentifier } from './digital-river.types';
import { validatePageQuery, validateTaxIdentifierCreate } from './digital-river.validation';

type Query = Record<string, string | string[]>;

/** A tax identifier as the API shows it, without the store's ordering key. */
export function publicTaxIdentifier(
  tax: DigitalRiverTaxIdentifier & { seq?: number },
): DigitalRiverTaxIdentifier {
  const { seq: _seq, ...rest } = tax;
  return rest;
}

export class DigitalRiverTaxIdentifiers {
  constructor(
    private readonly store: DigitalRiverStore,
    /** The customer of that id in the caller's mode, or a 404 (test and live data are separate). */
    private readonly findCustomer: (id: string, principal: DigitalRiverPrincipal) => StoredCustomer,
  ) {}

  find(id: string, principal: DigitalRiverPrincipal) {
    const tax = this.store.taxIdentifiers.get(id);
    if (!tax || tax.liveMode !== principal.liveMode) {
      // DR's docs source integration-options/checkouts/creating-checkouts/tax-identifiers.md shows this exact body.
      return drNotFound('id', `Tax identifier '${id}' not found.`);
    }
    return tax;
  }

  create(body: unknown, principal: DigitalRiverPrincipal): DigitalRiverTaxIdentifier {
    const input = validateTaxIdentifierCreate(body);
    const now = new Date().toISOString();
    // New tax identifiers start `pending` (DR's docs source tax-identifiers.md); verification is not simulated.
    return publicTaxIdentifier(
      this.store.addTaxIdentifier({
        id: randomUUID(),
        createdTime: now,
        updatedTime: now,
        type: input.type,
        value: input.value,
        state: 'pending',
        stateTransitions: { pending: now },
        liveMode: principal.liveMode,
      }),
    );
  }

  list(query: Query, principal: DigitalRiverPrincipal): DigitalRiverList<DigitalRiverTaxIdentifier> {
    const page = validatePageQuery(query);
    const items = this.store.taxIdentifiersInOrder();
    const seqOf = (id: string | undefined) =>
      id === undefined ? undefined : this.store.taxIdentifiers.get(id)?.seq;
    const endingBeforeSeq = seqOf(page.endingBefore);
    const startingAfterSeq = page.endingBefore === undefined ? seqOf(page.startingAfter) : undefined;
    if (page.endingBefore !== undefined && endingBeforeSeq === undefined) {
      drError(400, 'bad_request', 'invalid_parameter', "Unknown id in 'endingBefore'.", 'endingBefore');
    }
    if (
      page.endingBefore === undefined &&
      page.startingAfter !== undefined &&
      startingAfterSeq === undefined
    ) {
      drError(400, 'bad_request', 'invalid_parameter', "Unknown id in 'startingAfter'.", 'startingAfter');
    }
    const result = paginate(
      items,
      { limit: page.limit, startingAfterSeq, endingBeforeSeq },
      (tax) => tax.liveMode === principal.liveMode,
    );
    return { hasMore: result.hasMore, data: result.data.map(publicTaxIdentifier) };
  }

  delete(id: string, principal: DigitalRiverPrincipal): void {
    const tax = this.find(id, principal);
    // Deleting is also how a tax identifier is detached from its customer (DR's docs source tax-identifiers.md).
    const owner = tax.customerId === undefined ? undefined : this.store.get(tax.customerId);
    if (owner) {
      this.store.change(
        owner,
        () => (owner.taxIdentifierIds = owner.taxIdentifierIds.filter((t) => t !== id)),
        Date.now(),
      );
    }
    this.store.removeTaxIdentifier(id);
  }

  attach(customerId: string, taxId: string, principal: DigitalRiverPrincipal): DigitalRiverTaxIdentifier {
    const record = this.findCustomer(customerId, principal);
    const tax = this.find(taxId, principal);
    if (tax.customerId === customerId) return publicTaxIdentifier(tax);
    if (tax.customerId !== undefined) {
      // 409 customer_not_updateable when attached to another customer (DR's docs source tax-identifiers.md).
      drError(
        409,
        'conflict',
        'customer_not_updateable',
        `Tax identifier '${taxId}' is attached to another customer.`,
        'taxId',
      );
    }
    // At most one tax identifier per type per customer (DR's docs source tax-identifiers.md).
    const sameType = record.taxIdentifierIds.some(
      (id) => this.store.taxIdentifiers.get(id)?.type === tax.type,
    );
    if (sameType) {
      drError(
        409,
        'conflict',
        'customer_not_updateable',
        `Customer '${customerId}' already has a tax identifier of type '${tax.type}'.`,
        'type',
      );
    }
    this.store.change(
      record,
      () => {
        tax.customerId = customerId;
        record.taxIdentifierIds.push(taxId);
      },
      Date.now(),
    );
    return publicTaxIdentifier(tax);
  }
}
