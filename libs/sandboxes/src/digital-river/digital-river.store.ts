import { type TimeRange } from './digital-river.validation';
import {
  type DigitalRiverCustomer,
  type DigitalRiverSource,
  type DigitalRiverTaxIdentifier,
} from './digital-river.types';

/**
 * In-memory Digital River state. Sized for the migration benchmarks (100,000 customers):
 * a Map for lookups, an array in creation order for the newest-first list (appends are O(1),
 * cursors are found by binary search), and an email index so the `email` filter does not scan.
 */
export interface StoredCustomer {
  /** Creation sequence: the list order (DR lists newest first; DR's PHP SDK ObjectSerializer "Pagination"). */
  seq: number;
  createdMs: number;
  updatedMs: number;
  /** The customer without its sub-resources, which are kept by id so they have one source of truth. */
  data: Omit<DigitalRiverCustomer, 'sources' | 'taxIdentifiers'>;
  sourceIds: string[];
  taxIdentifierIds: string[];
}

export interface CustomerFilter {
  liveMode: boolean;
  email?: string;
  ids?: string[];
  requestToBeForgotten?: boolean;
  createdTime?: TimeRange;
  updatedTime?: TimeRange;
}

export interface Page<T> {
  hasMore: boolean;
  data: T[];
}

export type CursorResult<T> = Page<T> | { unknownCursor: 'startingAfter' | 'endingBefore' };

function inRange(ms: number, range: TimeRange | undefined): boolean {
  if (range === undefined) return true;
  return (
    (range.eq === undefined || ms === range.eq) &&
    (range.gt === undefined || ms > range.gt) &&
    (range.gte === undefined || ms >= range.gte) &&
    (range.lt === undefined || ms < range.lt) &&
    (range.lte === undefined || ms <= range.lte)
  );
}

/** First index in `items` (ascending by seq) whose seq is >= `seq`. */
function lowerBound(items: readonly { seq: number }[], seq: number): number {
  let lo = 0;
  let hi = items.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((items[mid] as { seq: number }).seq < seq) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * Newest-first cursor pagination over `items` (ascending by seq). If both cursors are given only
 * `endingBefore` is used (DR's PHP SDK ObjectSerializer "Pagination").
 */
export function paginate<T extends { seq: number }>(
  items: readonly T[],
  page: { limit: number; startingAfterSeq?: number; endingBeforeSeq?: number },
  matches: (item: T) => boolean,
): Page<T> {
  const out: T[] = [];
  if (page.endingBeforeSeq !== undefined) {
    // The objects just newer than the cursor, still returned newest first.
    for (
      let i = lowerBound(items, page.endingBeforeSeq + 1);
      i < items.length && out.length <= page.limit;
      i++
    ) {
      const item = items[i] as T;
      if (matches(item)) out.push(item);
    }
    const hasMore = out.length > page.limit;
    return { hasMore, data: out.slice(0, page.limit).reverse() };
  }
  const start =
    page.startingAfterSeq === undefined ? items.length - 1 : lowerBound(items, page.startingAfterSeq) - 1;
  for (let i = start; i >= 0 && out.length <= page.limit; i--) {
    const item = items[i] as T;
    if (matches(item)) out.push(item);
  }
  const hasMore = out.length > page.limit;
  return { hasMore, data: hasMore ? out.slice(0, page.limit) : out };
}

export class DigitalRiverStore {
  private readonly customers = new Map<string, StoredCustomer>();
  /** Every live customer, ascending by seq. */
  private readonly order: StoredCustomer[] = [];
  /** seq of deleted customers, so a page cursor still works after its customer was deleted. */
  private readonly tombstones = new Map<string, number>();
  private readonly byEmail = new Map<string, Set<StoredCustomer>>();
  readonly sources = new Map<string, DigitalRiverSource>();
  readonly taxIdentifiers = new Map<string, DigitalRiverTaxIdentifier & { seq: number }>();
  private readonly taxIdentifierOrder: (DigitalRiverTaxIdentifier & { seq: number })[] = [];
  private nextSeq = 1;

  reset(): void {
    this.customers.clear();
    this.order.length = 0;
    this.tombstones.clear();
    this.byEmail.clear();
    this.sources.clear();
    this.taxIdentifiers.clear();
    this.taxIdentifierOrder.length = 0;
    this.nextSeq = 1;
  }

  get size(): number {
    return this.customers.size;
  }

  has(id: string): boolean {
    return this.customers.has(id);
  }

  get(id: string): StoredCustomer | undefined {
    return this.customers.get(id);
  }

  all(): readonly StoredCustomer[] {
    return this.order;
  }

  insert(data: StoredCustomer['data'], nowMs: number): StoredCustomer {
    const record: StoredCustomer = {
      seq: this.nextSeq++,
      createdMs: nowMs,
      updatedMs: nowMs,
      data,
      sourceIds: [],
      taxIdentifierIds: [],
    };
    this.customers.set(data.id, record);
    this.tombstones.delete(data.id);
    this.order.push(record);
    this.indexEmail(record);
    return record;
  }

  /** Applies a change to a stored customer, keeping the email index right. */
  change(record: StoredCustomer, mutate: (data: StoredCustomer['data']) => void, nowMs: number): void {
    this.unindexEmail(record);
    mutate(record.data);
    record.updatedMs = nowMs;
    record.data.updatedTime = new Date(nowMs).toISOString();
    this.indexEmail(record);
  }

  remove(record: StoredCustomer): void {
    this.customers.delete(record.data.id);
    const index = lowerBound(this.order, record.seq);
    if (this.order[index] === record) this.order.splice(index, 1);
    this.tombstones.set(record.data.id, record.seq);
    this.unindexEmail(record);
  }

  /** seq for a cursor id (live or deleted customer), undefined if the id was never seen. */
  cursorSeq(id: string): number | undefined {
    return this.customers.get(id)?.seq ?? this.tombstones.get(id);
  }

  list(filter: CustomerFilter, page: { limit: number; startingAfter?: string; endingBefore?: string }) {
    let startingAfterSeq: number | undefined;
    let endingBeforeSeq: number | undefined;
    if (page.endingBefore !== undefined) {
      endingBeforeSeq = this.cursorSeq(page.endingBefore);
      if (endingBeforeSeq === undefined) return { unknownCursor: 'endingBefore' } as const;
    } else if (page.startingAfter !== undefined) {
      startingAfterSeq = this.cursorSeq(page.startingAfter);
      if (startingAfterSeq === undefined) return { unknownCursor: 'startingAfter' } as const;
    }
    // Narrow the candidates with an index when a selective filter allows it.
    let candidates: readonly StoredCustomer[] = this.order;
    if (filter.ids !== undefined) {
      const found = new Set<StoredCustomer>();
      for (const id of filter.ids) {
        const record = this.customers.get(id);
        if (record) found.add(record);
      }
      candidates = [...found].sort((a, b) => a.seq - b.seq);
    } else if (filter.email !== undefined) {
      candidates = [...(this.byEmail.get(filter.email.toLowerCase()) ?? [])].sort((a, b) => a.seq - b.seq);
    }
    const email = filter.email?.toLowerCase();
    return paginate(candidates, { limit: page.limit, startingAfterSeq, endingBeforeSeq }, (record) => {
      const data = record.data;
      return (
        data.liveMode === filter.liveMode &&
        (email === undefined || data.email?.toLowerCase() === email) &&
        (filter.requestToBeForgotten === undefined ||
          data.requestToBeForgotten === filter.requestToBeForgotten) &&
        inRange(record.createdMs, filter.createdTime) &&
        inRange(record.updatedMs, filter.updatedTime)
      );
    });
  }

  addTaxIdentifier(taxIdentifier: DigitalRiverTaxIdentifier): DigitalRiverTaxIdentifier & { seq: number } {
    const stored = Object.assign(taxIdentifier, { seq: this.nextSeq++ });
    this.taxIdentifiers.set(stored.id, stored);
    this.taxIdentifierOrder.push(stored);
    return stored;
  }

  removeTaxIdentifier(id: string): void {
    const stored = this.taxIdentifiers.get(id);
    if (!stored) return;
    this.taxIdentifiers.delete(id);
    const index = lowerBound(this.taxIdentifierOrder, stored.seq);
    if (this.taxIdentifierOrder[index] === stored) this.taxIdentifierOrder.splice(index, 1);
  }

  taxIdentifiersInOrder(): readonly (DigitalRiverTaxIdentifier & { seq: number })[] {
    return this.taxIdentifierOrder;
  }

  private indexEmail(record: StoredCustomer): void {
    const email = record.data.email?.toLowerCase();
    if (email === undefined) return;
    let set = this.byEmail.get(email);
    if (!set) {
      set = new Set();
      this.byEmail.set(email, set);
    }
    set.add(record);
  }

  private unindexEmail(record: StoredCustomer): void {
    const email = record.data.email?.toLowerCase();
    if (email === undefined) return;
    const set = this.byEmail.get(email);
    set?.delete(record);
    if (set?.size === 0) this.byEmail.delete(email);
  }
}
