/**
 * What Digital River does with its customers, tax identifiers and sources: the state behind the
 * sandbox's routes (digital-river.sandbox.ts), kept apart from the HTTP wiring so each reads in one
 * sitting. Behaviour follows https://docs.digitalriver.com/digital-river-api-reference/2021-12-13/customers
 * and docs/providers/digital-river.md.
 */
import { randomUUID } from 'node:crypto';
import { deriveSeed, Prng } from '../shared/prng';
import { type DigitalRiverPrincipal } from './digital-river.auth';
import { drError, drNotFound } from './digital-river.errors';
import { DigitalRiverTaxIdentifiers, publicTaxIdentifier } from './digital-river.tax-identifiers';
import { DigitalRiverStore, type StoredCustomer } from './digital-river.store';
import {
  type DigitalRiverCustomer,
  type DigitalRiverList,
  type DigitalRiverSource,
  type DigitalRiverSourceOwner,
  type JsonValue,
} from './digital-river.types';
import {
  type CustomerInput,
  MAX_METADATA_KEYS,
  validateCreateCustomer,
  validateCustomerListQuery,
  validateUpdateCustomer,
} from './digital-river.validation';

/** The read right after `requestToBeForgotten` still shows the data; the next one does not. */
export const DEFAULT_ERASURE_AFTER_READS = 2;

type Query = Record<string, string | string[]>;

/** What a browser's DigitalRiver.js would send when creating a source; all optional here. */
export interface SourceOptions {
  liveMode?: boolean;
  owner?: DigitalRiverSourceOwner;
  currency?: string;
  amount?: number;
  metadata?: Record<string, JsonValue>;
}

/** The owner of the Source example in https://docs.digitalriver.com/digital-river-api-reference/2020-12-17/customers. */
export const DEFAULT_SOURCE_OWNER: DigitalRiverSourceOwner = {
  firstName: 'John',
  lastName: 'Smith',
  email: 'jsmith@digitalriver.com',
  organization: 'Digital River',
  address: {
    line1: '10380 Bren Rd W',
    city: 'Minnetonka',
    postalCode: '55129',
    state: 'MN',
    country: 'US',
  },
};

/** A forget recorded but not yet carried out: when it was asked for, and reads since. */
interface PendingErasure {
  requestedMs: number;
  reads: number;
}

export class DigitalRiverOperations {
  readonly store = new DigitalRiverStore();
  private idPrng: Prng;
  private cardPrng: Prng;
  private readonly pendingErasures = new Map<string, PendingErasure>();
  readonly taxIdentifiers = new DigitalRiverTaxIdentifiers(this.store, (id, principal) =>
    this.find(id, principal),
  );

  constructor(
    private readonly seed: number,
    readonly erasure: { afterReads: number; afterMs: number },
  ) {
    this.idPrng = new Prng(deriveSeed(seed, 'customer-ids'));
    this.cardPrng = new Prng(deriveSeed(seed, 'cards'));
  }

  reset(): void {
    this.store.reset();
    this.pendingErasures.clear();
    this.idPrng = new Prng(deriveSeed(this.seed, 'customer-ids'));
    this.cardPrng = new Prng(deriveSeed(this.seed, 'cards'));
  }

  /** DR generates an id when the caller sends none (docs/providers/digital-river.md); docs/providers/digital-river.md's examples are 10-digit numbers. */
  private generateId(): string {
    for (;;) {
      const id = String(this.idPrng.int(1_000_000_000, 9_999_999_999));
      if (this.store.cursorSeq(id) === undefined) return id;
    }
  }

  toApi(record: StoredCustomer): DigitalRiverCustomer {
    const d = record.data;
    // Field order follows docs/providers/digital-river.md's examples; absent optional fields are omitted, like docs/providers/digital-river.md's 201 example.
    const out: DigitalRiverCustomer = {
      id: d.id,
      createdTime: d.createdTime,
      updatedTime: d.updatedTime,
    } as DigitalRiverCustomer;
    if (d.email !== undefined) out.email = d.email;
    if (d.shipping !== undefined) out.shipping = d.shipping;
    if (d.defaultSourceId !== undefined) out.defaultSourceId = d.defaultSourceId;
    if (record.sourceIds.length > 0) {
      out.sources = record.sourceIds.flatMap((id) => {
        const source = this.store.sources.get(id);
        return source ? [source] : [];
      });
    }
    if (record.taxIdentifierIds.length > 0) {
      out.taxIdentifiers = record.taxIdentifierIds.flatMap((id) => {
        const tax = this.store.taxIdentifiers.get(id);
        return tax ? [publicTaxIdentifier(tax)] : [];
      });
    }
    if (d.taxCertificates !== undefined) out.taxCertificates = d.taxCertificates;
    out.requestToBeForgotten = d.requestToBeForgotten;
    out.type = d.type;
    if (d.metadata !== undefined && Object.keys(d.metadata).length > 0) out.metadata = d.metadata;
    if (d.locale !== undefined) out.locale = d.locale;
    out.enabled = d.enabled;
    out.liveMode = d.liveMode;
    return out;
  }

  /** Customers of the other mode are invisible: test and live data are separate at DR. */
  private find(id: string, principal: DigitalRiverPrincipal): StoredCustomer {
    const record = this.store.get(id);
    if (!record || record.data.liveMode !== principal.liveMode) {
      return drNotFound('id', `Customer '${id}' not found.`);
    }
    return record;
  }

  /**
   * `defaultSourceId` must name a source of the same mode that is not another customer's; it is
   * attached to this customer if it is not already. Create lists no 404 (DR's PHP SDK), so this is a 400.
   */
  private checkDefaultSource(sourceId: string, customerId: string, liveMode: boolean): DigitalRiverSource {
    const source = this.store.sources.get(sourceId);
    if (!source || source.liveMode !== liveMode) {
      return drError(
        400,
        'bad_request',
        'source_not_found',
        `Source '${sourceId}' not found.`,
        'defaultSourceId',
      );
    }
    if (source.customerId !== undefined && source.customerId !== customerId) {
      return drError(
        409,
        'conflict',
        'customer_not_updateable',
        `Source '${sourceId}' is attached to another customer.`,
        'defaultSourceId',
      );
    }
    return source;
  }

  private attachSource(record: StoredCustomer, source: DigitalRiverSource): void {
    source.customerId = record.data.id;
    if (!record.sourceIds.includes(source.id)) record.sourceIds.push(source.id);
  }

  createCustomer(body: unknown, principal: DigitalRiverPrincipal, nowMs = Date.now()): StoredCustomer {
    const input = validateCreateCustomer(body);
    const id = input.id ?? this.generateId();
    if (this.store.has(id)) {
      // 409 already_exists on a duplicate id (https://github.com/digitalriver-connectors/sfcc_link_digitalriver/blob/HEAD/cartridges/int_digitalriver/cartridge/scripts/digitalRiver/drCustomerHelper.js;
      // DR's PHP SDK error-code table, https://github.com/DigitalRiver/digital-river-php).
      drError(409, 'conflict', 'already_exists', `Customer '${id}' already exists.`, 'id');
    }
    const source =
      input.defaultSourceId != null
        ? this.checkDefaultSource(input.defaultSourceId, id, principal.liveMode)
        : undefined;
    const iso = new Date(nowMs).toISOString();
    const data: StoredCustomer['data'] = {
      id,
      createdTime: iso,
      updatedTime: iso,
      requestToBeForgotten: false,
      // docs/providers/digital-river.md's examples send and return "individual"; the default when omitted is undocumented.
      type: input.type ?? 'individual',
      // `enabled` defaults to true (docs/providers/digital-river.md).
      enabled: input.enabled ?? true,
      liveMode: principal.liveMode,
    };
    if (input.email != null) data.email = input.email;
    if (input.shipping != null) data.shipping = input.shipping;
    if (source) data.defaultSourceId = source.id;
    if (input.taxCertificate !== undefined) data.taxCertificates = [input.taxCertificate];
    if (input.metadata !== undefined) data.metadata = withoutEmptyValues(input.metadata);
    if (input.locale != null) data.locale = input.locale;
    const record = this.store.insert(data, nowMs);
    if (source) this.attachSource(record, source);
    return record;
  }

  updateCustomer(id: string, body: unknown, principal: DigitalRiverPrincipal): StoredCustomer {
    const record = this.find(id, principal);
    const input: CustomerInput = validateUpdateCustomer(body);
    if (input.requestToBeForgotten === false && record.data.requestToBeForgotten) {
      drError(
        400,
        'bad_request',
        'restricted_update',
        'A request to be forgotten cannot be withdrawn.',
        'requestToBeForgotten',
      );
    }
    let metadata = record.data.metadata;
    if (input.metadata !== undefined) {
      // Metadata is merged into the existing map and "" deletes a key (DR "Working with metadata").
      metadata = { ...record.data.metadata };
      for (const [key, value] of Object.entries(input.metadata)) {
        if (value === '') delete metadata[key];
        else metadata[key] = value;
      }
      if (Object.keys(metadata).length > MAX_METADATA_KEYS) {
        drError(
          400,
          'bad_request',
          'too_many_metadata_pairs',
          `Metadata may have at most ${MAX_METADATA_KEYS} keys.`,
          'metadata',
        );
      }
    }
    const source =
      input.defaultSourceId != null
        ? this.checkDefaultSource(input.defaultSourceId, id, principal.liveMode)
        : undefined;
    // Partial update: only the fields sent change (docs/providers/digital-river.md#writing-customers); nested objects such as
    // `shipping` are replaced as a whole.
    this.store.change(
      record,
      (data) => {
        assignOrClear(data, 'email', input.email);
        assignOrClear(data, 'shipping', input.shipping);
        assignOrClear(data, 'locale', input.locale);
        if (input.defaultSourceId === null) delete data.defaultSourceId;
        if (source) data.defaultSourceId = source.id;
        if (input.taxCertificate !== undefined)
          data.taxCertificates = [...(data.taxCertificates ?? []), input.taxCertificate];
        if (metadata !== undefined) data.metadata = metadata;
        if (input.type !== undefined) data.type = input.type;
        if (input.enabled !== undefined) data.enabled = input.enabled;
        if (input.requestToBeForgotten !== undefined) data.requestToBeForgotten = input.requestToBeForgotten;
      },
      Date.now(),
    );
    if (source) this.attachSource(record, source);
    if (input.requestToBeForgotten === true && !this.pendingErasures.has(id) && hasPersonalData(record)) {
      this.pendingErasures.set(id, { requestedMs: Date.now(), reads: 0 });
    }
    return record;
  }

  /**
   * A read of the customer, as `GET /customers/{id}` or a list page makes it: counts towards a
   * pending erasure and carries it out when it is due, so the read answers the erased customer.
   */
  read(record: StoredCustomer, nowMs = Date.now()): DigitalRiverCustomer {
    const pending = this.pendingErasures.get(record.data.id);
    if (pending !== undefined) {
      pending.reads++;
      if (pending.reads >= this.erasure.afterReads || nowMs - pending.requestedMs >= this.erasure.afterMs) {
        this.erasePersonalData(record, nowMs);
      }
    }
    return this.toApi(record);
  }

  /** What DR's erasure removes: contact, shipping, tax data and metadata; the id and flags stay. */
  private erasePersonalData(record: StoredCustomer, nowMs: number): void {
    this.pendingErasures.delete(record.data.id);
    for (const taxId of record.taxIdentifierIds) this.store.removeTaxIdentifier(taxId);
    record.taxIdentifierIds = [];
    for (const sourceId of record.sourceIds) {
      const source = this.store.sources.get(sourceId);
      if (source) delete source.owner;
    }
    this.store.change(
      record,
      (data) => {
        delete data.email;
        delete data.shipping;
        delete data.taxCertificates;
        delete data.metadata;
      },
      nowMs,
    );
  }

  deleteCustomer(record: StoredCustomer): void {
    for (const sourceId of record.sourceIds) {
      const source = this.store.sources.get(sourceId);
      if (source) delete source.customerId;
    }
    for (const taxId of record.taxIdentifierIds) {
      const tax = this.store.taxIdentifiers.get(taxId);
      if (tax) delete tax.customerId;
    }
    this.store.remove(record);
  }

  listCustomers(query: Query, principal: DigitalRiverPrincipal): DigitalRiverList<DigitalRiverCustomer> {
    const q = validateCustomerListQuery(query);
    const filter = { liveMode: principal.liveMode, ...q };
    const result = this.store.list(filter, q);
    if ('unknownCursor' in result) {
      return drError(
        400,
        'bad_request',
        'invalid_parameter',
        `No customer with the id given in '${result.unknownCursor}'.`,
        result.unknownCursor,
      );
    }
    return { hasMore: result.hasMore, data: result.data.map((record) => this.read(record)) };
  }

  attachSourceRoute(
    customerId: string,
    sourceId: string,
    principal: DigitalRiverPrincipal,
  ): DigitalRiverSource {
    const record = this.find(customerId, principal);
    const source = this.store.sources.get(sourceId);
    if (!source || source.liveMode !== principal.liveMode) {
      return drNotFound('sourceId', `Source '${sourceId}' not found.`, 'source_not_found');
    }
    if (source.customerId !== undefined && source.customerId !== customerId) {
      drError(
        409,
        'conflict',
        'customer_not_updateable',
        `Source '${sourceId}' is attached to another customer.`,
        'sourceId',
      );
    }
    this.store.change(record, () => this.attachSource(record, source), Date.now());
    return source;
  }

  detachSourceRoute(customerId: string, sourceId: string, principal: DigitalRiverPrincipal): void {
    const record = this.find(customerId, principal);
    const source = this.store.sources.get(sourceId);
    if (!source || !record.sourceIds.includes(sourceId)) {
      drNotFound(
        'sourceId',
        `Source '${sourceId}' is not attached to customer '${customerId}'.`,
        'source_not_found',
      );
    }
    this.store.change(
      record,
      (data) => {
        record.sourceIds = record.sourceIds.filter((id) => id !== sourceId);
        delete source.customerId;
        if (data.defaultSourceId === sourceId) delete data.defaultSourceId;
      },
      Date.now(),
    );
  }

  createSource(options: SourceOptions): DigitalRiverSource {
    const source: DigitalRiverSource = {
      id: randomUUID(),
      clientSecret: `${randomUUID()}_${randomUUID()}`,
      createdTime: new Date().toISOString(),
      type: 'creditCard',
      currency: options.currency ?? 'USD',
      amount: options.amount ?? 0,
      reusable: true,
      owner: options.owner ?? DEFAULT_SOURCE_OWNER,
      creditCard: {
        lastFourDigits: String(this.cardPrng.int(0, 9999)).padStart(4, '0'),
        expirationMonth: this.cardPrng.int(1, 12),
        expirationYear: new Date().getUTCFullYear() + this.cardPrng.int(1, 5),
        brand: 'Visa',
      },
      flow: 'standard',
      state: 'chargeable',
      metadata: options.metadata ?? {},
      // Sources come from a checkout's payment session in DigitalRiver.js (DR's docs source api-structure.md).
      paymentSessionId: randomUUID(),
      liveMode: options.liveMode ?? false,
    };
    this.store.sources.set(source.id, source);
    return source;
  }

  seedCustomers(count: number): string[] {
    const ids: string[] = [];
    const principal: DigitalRiverPrincipal = { secretKey: '', liveMode: false };
    const start = this.store.size;
    for (let i = 1; i <= count; i++) {
      const n = start + i;
      const record = this.createCustomer(
        {
          email: `seed.customer.${n}@example.com`,
          shipping: {
            name: `Seed Customer ${n}`,
            phone: '952-111-1111',
            email: `seed.customer.${n}@example.com`,
            address: {
              line1: `${n} Main St`,
              city: 'Minnetonka',
              postalCode: '55129',
              state: 'MN',
              country: 'US',
            },
          },
          locale: 'en_US',
          type: 'individual',
          metadata: { seeded: 'true' },
        },
        principal,
      );
      ids.push(record.data.id);
    }
    return ids;
  }

  modifyCustomer(id: string, patch: Partial<DigitalRiverCustomer>): DigitalRiverCustomer | undefined {
    const record = this.store.get(id);
    if (!record) return undefined;
    const {
      id: _id,
      createdTime: _created,
      sources: _sources,
      taxIdentifiers: _tax,
      updatedTime,
      ...fields
    } = patch;
    const nowMs = updatedTime === undefined ? Date.now() : Date.parse(updatedTime);
    this.store.change(record, (data) => Object.assign(data, fields), nowMs);
    return this.toApi(record);
  }
}

function hasPersonalData(record: StoredCustomer): boolean {
  const data = record.data;
  return (
    data.email !== undefined ||
    data.shipping !== undefined ||
    data.taxCertificates !== undefined ||
    data.metadata !== undefined ||
    record.taxIdentifierIds.length > 0
  );
}

function withoutEmptyValues(metadata: Record<string, JsonValue>): Record<string, JsonValue> {
  return Object.fromEntries(Object.entries(metadata).filter(([, value]) => value !== ''));
}

function assignOrClear<K extends 'email' | 'shipping' | 'locale'>(
  data: StoredCustomer['data'],
  key: K,
  value: StoredCustomer['data'][K] | null | undefined,
): void {
  if (value === null) delete data[key];
  else if (value !== undefined) data[key] = value;
}
