import { randomUUID } from 'node:crypto';
import { registerAdminRoutes } from '../shared/admin-routes';
import { deriveSeed, Prng } from '../shared/prng';
import { type SandboxRequest, SandboxServer } from '../shared/sandbox-server';
import {
  type ProviderSandbox,
  type RunningSandbox,
  type SandboxAdmin,
  type SandboxOptions,
} from '../shared/types';
import {
  assertSecretKeyFormat,
  authenticateDigitalRiver,
  DEFAULT_DIGITAL_RIVER_SECRET_KEY,
  type DigitalRiverPrincipal,
  isTestKey,
} from './digital-river.auth';
import { drError, drErrorForStatus, drNotFound, drRateLimited } from './digital-river.errors';
import { DigitalRiverStore, paginate, type StoredCustomer } from './digital-river.store';
import {
  type DigitalRiverCustomer,
  type DigitalRiverList,
  type DigitalRiverSource,
  type DigitalRiverSourceOwner,
  type DigitalRiverTaxIdentifier,
  type JsonValue,
} from './digital-river.types';
import {
  type CustomerInput,
  MAX_METADATA_KEYS,
  validateCreateCustomer,
  validateCustomerListQuery,
  validatePageQuery,
  validateTaxIdentifierCreate,
  validateUpdateCustomer,
} from './digital-river.validation';

export interface DigitalRiverSandboxOptions extends SandboxOptions {
  /**
   * Secret keys the sandbox accepts. `sk_test_…` keys are test mode, plain `sk_…` keys live mode
   * (docs/providers/digital-river.md#transport-and-authentication). Default: one fixed test key, returned as `secretKey`.
   */
  secretKeys?: string[];
  /** `rateLimitPerSecond` applies to test keys (default 25/s); this one to live keys (default 250/s). */
  liveRateLimitPerSecond?: number;
  /**
   * DR erases a forgotten customer's personal data asynchronously, some time after
   * `requestToBeForgotten: true` is recorded. The sandbox erases it on the `afterReads`-th read of
   * the customer after the request (default 2: the read right after the request still shows the
   * data) or once `afterMs` have passed (default: never by time alone), whichever comes first.
   */
  forgetErasure?: { afterReads?: number; afterMs?: number };
}

export interface DigitalRiverSandboxAdmin extends SandboxAdmin<DigitalRiverCustomer> {
  /**
   * Creates a reusable credit-card source, as DigitalRiver.js or Drop-in would in a browser with a
   * public key (DR's docs source api-structure.md: sources are created client-side), ready to attach.
   */
  createSource(options?: SourceOptions): DigitalRiverSource;
  /** Every tax identifier, oldest first. */
  dumpTaxIdentifiers(): DigitalRiverTaxIdentifier[];
  /** Changes when forgotten customers are erased (see `forgetErasure`); applies to later requests. */
  setForgetErasure(options: { afterReads?: number; afterMs?: number }): void;
}

export type RunningDigitalRiverSandbox = RunningSandbox<DigitalRiverCustomer> & {
  /** A valid `sk_test_` key for this sandbox. */
  secretKey: string;
  admin: DigitalRiverSandboxAdmin;
};

/** Default limits per key: 25/s in test mode, 250/s live (DR's docs source developer-resources/rate-limiting.md). */
const DEFAULT_TEST_RATE_LIMIT = 25;
const DEFAULT_LIVE_RATE_LIMIT = 250;
/** The read right after `requestToBeForgotten` still shows the data; the next one does not. */
const DEFAULT_ERASURE_AFTER_READS = 2;

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
const DEFAULT_SOURCE_OWNER: DigitalRiverSourceOwner = {
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

class DigitalRiverSandbox {
  readonly store = new DigitalRiverStore();
  private idPrng: Prng;
  private cardPrng: Prng;
  private readonly pendingErasures = new Map<string, PendingErasure>();

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

  findTaxIdentifier(id: string, principal: DigitalRiverPrincipal) {
    const tax = this.store.taxIdentifiers.get(id);
    if (!tax || tax.liveMode !== principal.liveMode) {
      // DR's docs source integration-options/checkouts/creating-checkouts/tax-identifiers.md shows this exact body.
      return drNotFound('id', `Tax identifier '${id}' not found.`);
    }
    return tax;
  }

  createTaxIdentifier(body: unknown, principal: DigitalRiverPrincipal): DigitalRiverTaxIdentifier {
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

  listTaxIdentifiers(
    query: Query,
    principal: DigitalRiverPrincipal,
  ): DigitalRiverList<DigitalRiverTaxIdentifier> {
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

  deleteTaxIdentifier(id: string, principal: DigitalRiverPrincipal): void {
    const tax = this.findTaxIdentifier(id, principal);
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

  attachTaxIdentifier(
    customerId: string,
    taxId: string,
    principal: DigitalRiverPrincipal,
  ): DigitalRiverTaxIdentifier {
    const record = this.find(customerId, principal);
    const tax = this.findTaxIdentifier(taxId, principal);
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

function publicTaxIdentifier(tax: DigitalRiverTaxIdentifier & { seq?: number }): DigitalRiverTaxIdentifier {
  const { seq: _seq, ...rest } = tax;
  return rest;
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

function param(request: SandboxRequest, name: string): string {
  return request.params[name] ?? '';
}

export async function startDigitalRiverSandbox(
  options: DigitalRiverSandboxOptions = {},
): Promise<RunningDigitalRiverSandbox> {
  const secretKeys = options.secretKeys ?? [DEFAULT_DIGITAL_RIVER_SECRET_KEY];
  secretKeys.forEach(assertSecretKeyFormat);
  const testKey = secretKeys.find(isTestKey);
  if (testKey === undefined) throw new Error('Digital River sandbox needs at least one sk_test_ key');
  const validKeys = new Set(secretKeys);
  const limits = {
    test: options.rateLimitPerSecond ?? DEFAULT_TEST_RATE_LIMIT,
    live: options.liveRateLimitPerSecond ?? DEFAULT_LIVE_RATE_LIMIT,
  };
  const sandbox = new DigitalRiverSandbox(options.seed ?? 1, {
    afterReads: options.forgetErasure?.afterReads ?? DEFAULT_ERASURE_AFTER_READS,
    afterMs: options.forgetErasure?.afterMs ?? Number.POSITIVE_INFINITY,
  });

  const server = new SandboxServer<DigitalRiverPrincipal>(
    {
      errorResponse: drErrorForStatus,
      rateLimitedResponse: drRateLimited,
      authenticate: (request) => authenticateDigitalRiver(request, validKeys),
      rateLimit: (principal) => ({
        bucket: principal.secretKey,
        perSecond: principal.liveMode ? limits.live : limits.test,
      }),
      // Every response carries a request id (DR's PHP SDK ObjectSerializer.php; DR's Postman collection sample headers).
      commonHeaders: () => ({ 'x-dr-requestid': randomUUID() }),
    },
    '',
    options,
  );

  // Routes: docs/providers/digital-river.md customers reference, DR's PHP SDK CustomersApi/TaxIdentifiersApi. The
  // `DigitalRiver-Version` header is accepted and ignored: the sandbox implements 2021-12-13 (docs/providers/digital-river.md).
  server.route('POST', '/customers', (req, p) => {
    return { status: 201, body: sandbox.toApi(sandbox.createCustomer(req.body, p)) };
  });
  server.route('GET', '/customers', (req, p) => ({ status: 200, body: sandbox.listCustomers(req.query, p) }));
  server.route('GET', '/customers/:id', (req, p) => {
    const record = sandbox.store.get(param(req, 'id'));
    if (!record || record.data.liveMode !== p.liveMode)
      drNotFound('id', `Customer '${param(req, 'id')}' not found.`);
    return { status: 200, body: sandbox.read(record) };
  });
  server.route('POST', '/customers/:id', (req, p) => ({
    status: 200,
    body: sandbox.toApi(sandbox.updateCustomer(param(req, 'id'), req.body, p)),
  }));
  server.route('DELETE', '/customers/:id', (req, p) => {
    const record = sandbox.store.get(param(req, 'id'));
    if (!record || record.data.liveMode !== p.liveMode)
      drNotFound('id', `Customer '${param(req, 'id')}' not found.`);
    sandbox.deleteCustomer(record);
    return { status: 204 };
  });
  server.route('POST', '/customers/:id/sources/:sourceId', (req, p) => ({
    status: 200,
    body: sandbox.attachSourceRoute(param(req, 'id'), param(req, 'sourceId'), p),
  }));
  server.route('DELETE', '/customers/:id/sources/:sourceId', (req, p) => {
    sandbox.detachSourceRoute(param(req, 'id'), param(req, 'sourceId'), p);
    return { status: 204 };
  });
  server.route('POST', '/customers/:id/tax-identifiers/:taxId', (req, p) => ({
    status: 200,
    body: sandbox.attachTaxIdentifier(param(req, 'id'), param(req, 'taxId'), p),
  }));
  server.route('POST', '/tax-identifiers', (req, p) => ({
    status: 201,
    body: sandbox.createTaxIdentifier(req.body, p),
  }));
  server.route('GET', '/tax-identifiers', (req, p) => ({
    status: 200,
    body: sandbox.listTaxIdentifiers(req.query, p),
  }));
  server.route('GET', '/tax-identifiers/:id', (req, p) => ({
    status: 200,
    body: publicTaxIdentifier(sandbox.findTaxIdentifier(param(req, 'id'), p)),
  }));
  server.route('DELETE', '/tax-identifiers/:id', (req, p) => {
    sandbox.deleteTaxIdentifier(param(req, 'id'), p);
    return { status: 204 };
  });

  const admin: DigitalRiverSandboxAdmin = {
    reset: () => {
      sandbox.reset();
      server.limiter.reset();
      server.resetStats();
    },
    seed: (count) => sandbox.seedCustomers(count),
    dump: () => sandbox.store.all().map((record) => sandbox.toApi(record)),
    setFaults: (config) => server.faults.setConfig(config),
    getFaults: () => server.faults.getConfig(),
    setRateLimit: (perSecond) => {
      limits.test = perSecond;
      limits.live = perSecond;
    },
    modifyCustomer: (id, patch) => sandbox.modifyCustomer(id, patch),
    removeCustomer: (id) => {
      const record = sandbox.store.get(id);
      if (!record) return false;
      sandbox.deleteCustomer(record);
      return true;
    },
    stats: () => server.stats(),
    createSource: (opts) => sandbox.createSource(opts ?? {}),
    dumpTaxIdentifiers: () => sandbox.store.taxIdentifiersInOrder().map(publicTaxIdentifier),
    setForgetErasure: (erasure) => {
      sandbox.erasure.afterReads = erasure.afterReads ?? DEFAULT_ERASURE_AFTER_READS;
      sandbox.erasure.afterMs = erasure.afterMs ?? Number.POSITIVE_INFINITY;
    },
  };
  registerAdminRoutes(server, admin);
  server.adminRoute('POST', '/sources', (req) => {
    const body = (typeof req.body === 'object' && req.body !== null ? req.body : {}) as SourceOptions;
    return {
      status: 201,
      body: admin.createSource({
        liveMode: body.liveMode === true,
        ...(typeof body.owner === 'object' && body.owner !== null ? { owner: body.owner } : {}),
        ...(typeof body.metadata === 'object' && body.metadata !== null ? { metadata: body.metadata } : {}),
      }),
    };
  });
  server.adminRoute('GET', '/tax-identifiers', () => ({ status: 200, body: admin.dumpTaxIdentifiers() }));

  const origin = await server.listen(options);
  return { url: origin, origin, secretKey: testKey, admin, close: () => server.close() };
}

/** Digital River's entry in the sandbox registry (sandbox-registry.ts). */
export const DIGITAL_RIVER_SANDBOX: ProviderSandbox<DigitalRiverSandboxOptions, RunningDigitalRiverSandbox> =
  {
    displayName: 'Digital River',
    start: startDigitalRiverSandbox,
    account: (running) => ({ baseUrl: running.url, secretKey: running.secretKey }),
    standalone: { port: 4010, envPrefix: 'DR' },
    describe: (running) => [
      `secret key    ${running.secretKey}`,
      `try           curl -H 'Authorization: Bearer ${running.secretKey}' ${running.url}/customers`,
      `admin         ${running.origin}/__admin/{reset,seed,customers,faults,rate-limit,stats,sources}`,
    ],
  };
