/**
 * Digital River's Event objects and the Events API over them. DR creates an event whenever the
 * state of a resource changes; `data.object` holds the resource as the API returns it
 * (https://docs.digitalriver.com/digital-river-api/order-management/events-and-webhooks-1/events-1).
 * Customer events are `customer.created`, `customer.updated`, `customer.deleted`,
 * `customer.source.created`, `customer.source.deleted` and `customer.tax_identifier.created`; deleting
 * a tax identifier is `tax_identifier.deleted` (DR's "All event types" page,
 * https://docs.digitalriver.com/digital-river-api/order-management/events-and-webhooks-1/events-1/all-event-types,
 * and its tax identifiers page). A change on a sub-resource does not also raise the parent's
 * `customer.updated` (the events page above).
 *
 * `GET /events` lists events of the last 30 days, newest first, `limit` 1..100 (default 10),
 * `startingAfter`/`endingBefore` cursors, `type` (a name, `*` as wildcard) or `types` (up to 20
 * names, not both) and `createdTime` (`[gt]`, `[gte]`, `[lt]`, `[lte]`); `GET /events/{id}` reads one
 * (https://docs.digitalriver.com/digital-river-api-reference/2021-02-23/events,
 * https://docs.digitalriver.com/digital-river-api/events-and-webhooks-1/events-1/return-a-list-of-all-events).
 */
import { randomUUID } from 'node:crypto';
import { type DigitalRiverPrincipal } from './digital-river.auth';
import { drError, drNotFound } from './digital-river.errors';
import { paginate } from './digital-river.store';
import { type JsonValue } from './digital-river.types';

export interface DigitalRiverEvent {
  id: string;
  type: string;
  data: { object: JsonValue; previousAttributes?: Record<string, JsonValue> };
  liveMode: boolean;
  createdTime: string;
}

interface StoredEvent {
  seq: number;
  createdMs: number;
  event: DigitalRiverEvent;
}

/** DR keeps events for 30 days (the Events API reference above). */
export const EVENT_RETENTION_MS = 30 * 24 * 3_600_000;
const MAX_TYPES = 20;
const TIME_OPERATORS = ['gt', 'gte', 'lt', 'lte'] as const;
const EVENT_LIST_PARAMETERS = new Set([
  'limit',
  'startingAfter',
  'endingBefore',
  'type',
  'types',
  'createdTime',
  ...TIME_OPERATORS.map((op) => `createdTime[${op}]`),
]);

type Query = Record<string, string | string[]>;

/**
 * What differs between two API views of a resource, as DR's `previousAttributes`: the earlier
 * value of each top-level attribute that changed (null for one that was absent).
 */
export function previousAttributes(
  before: Record<string, unknown>,
  after: Record<string, unknown>,
): Record<string, JsonValue> {
  const out: Record<string, JsonValue> = {};
  for (const key of new Set([...Object.keys(before), ...Object.keys(after)])) {
    if (key === 'updatedTime') continue;
    if (JSON.stringify(before[key]) !== JSON.stringify(after[key])) {
      out[key] = (before[key] ?? null) as JsonValue;
    }
  }
  return out;
}

export class DigitalRiverEvents {
  private readonly order: StoredEvent[] = [];
  private readonly byId = new Map<string, StoredEvent>();
  private nextSeq = 1;
  private readonly listeners: ((event: DigitalRiverEvent) => void)[] = [];

  /** Called with every event recorded (the webhook sender subscribes here). */
  onEvent(listener: (event: DigitalRiverEvent) => void): void {
    this.listeners.push(listener);
  }

  reset(): void {
    this.order.length = 0;
    this.byId.clear();
    this.nextSeq = 1;
  }

  /** Records an event about `object` (a snapshot is kept: later changes do not rewrite history). */
  record(
    type: string,
    object: unknown,
    liveMode: boolean,
    previous?: Record<string, JsonValue>,
    nowMs = Date.now(),
  ): DigitalRiverEvent {
    this.expire(nowMs);
    const event: DigitalRiverEvent = {
      id: randomUUID(),
      type,
      data: {
        object: structuredClone(object) as JsonValue,
        ...(previous !== undefined && Object.keys(previous).length > 0
          ? { previousAttributes: structuredClone(previous) }
          : {}),
      },
      liveMode,
      createdTime: new Date(nowMs).toISOString(),
    };
    const stored = { seq: this.nextSeq++, createdMs: nowMs, event };
    this.order.push(stored);
    this.byId.set(event.id, stored);
    for (const listener of this.listeners) listener(event);
    return event;
  }

  /** Every event still kept, oldest first. */
  all(): DigitalRiverEvent[] {
    return this.order.map((stored) => stored.event);
  }

  get(id: string, principal: DigitalRiverPrincipal): DigitalRiverEvent {
    const stored = this.byId.get(id);
    if (stored === undefined || stored.event.liveMode !== principal.liveMode) {
      return drNotFound('id', `Event '${id}' not found.`);
    }
    return stored.event;
  }

  list(query: Query, principal: DigitalRiverPrincipal): { hasMore: boolean; data: DigitalRiverEvent[] } {
    this.expire(Date.now());
    const q = parseEventQuery(query);
    const cursor = (name: 'startingAfter' | 'endingBefore'): number | undefined => {
      const id = q[name];
      if (id === undefined) return undefined;
      const stored = this.byId.get(id);
      if (stored === undefined) {
        return drError(
          400,
          'bad_request',
          'invalid_parameter',
          `No event with the id given in '${name}'.`,
          name,
        );
      }
      return stored.seq;
    };
    const endingBeforeSeq = cursor('endingBefore');
    const startingAfterSeq = endingBeforeSeq === undefined ? cursor('startingAfter') : undefined;
    const page = paginate(this.order, { limit: q.limit, startingAfterSeq, endingBeforeSeq }, (stored) => {
      const { event } = stored;
      return (
        event.liveMode === principal.liveMode && q.matchesType(event.type) && q.matchesTime(stored.createdMs)
      );
    });
    return { hasMore: page.hasMore, data: page.data.map((stored) => stored.event) };
  }

  /** Events older than DR keeps them go. */
  private expire(nowMs: number): void {
    let drop = 0;
    while (
      drop < this.order.length &&
      nowMs - (this.order[drop] as StoredEvent).createdMs > EVENT_RETENTION_MS
    ) {
      this.byId.delete((this.order[drop] as StoredEvent).event.id);
      drop++;
    }
    if (drop > 0) this.order.splice(0, drop);
  }
}

interface EventQuery {
  limit: number;
  startingAfter?: string;
  endingBefore?: string;
  matchesType(type: string): boolean;
  matchesTime(ms: number): boolean;
}

function fail(parameter: string, message: string, code = 'invalid_parameter'): never {
  return drError(400, 'bad_request', code, message, parameter);
}

function one(query: Query, name: string): string | undefined {
  const value = query[name];
  if (Array.isArray(value)) fail(name, `'${name}' may be given only once.`);
  return value;
}

function parseTime(raw: string, parameter: string): number {
  const ms = /^\d{4}-\d{2}-\d{2}T/.test(raw) ? Date.parse(raw) : NaN;
  if (Number.isNaN(ms)) fail(parameter, `'${parameter}' must be an ISO-8601 date-time.`);
  return ms;
}

/** `type` may end in `*` (a group of events, e.g. `customer.*`). */
function typeMatcher(pattern: string): (type: string) => boolean {
  if (!pattern.includes('*')) return (type) => type === pattern;
  const regex = new RegExp(`^${pattern.split('*').map(escapeRegex).join('.*')}$`);
  return (type) => regex.test(type);
}

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function parseEventQuery(query: Query): EventQuery {
  for (const key of Object.keys(query)) {
    if (!EVENT_LIST_PARAMETERS.has(key)) fail(key, `'${key}' is not a valid parameter.`, 'unknown_parameter');
  }
  const rawLimit = one(query, 'limit');
  let limit = 10;
  if (rawLimit !== undefined) {
    limit = /^\d+$/.test(rawLimit) ? Number(rawLimit) : NaN;
    if (!(limit >= 1 && limit <= 100)) fail('limit', "'limit' must be between 1 and 100.");
  }
  const type = one(query, 'type');
  const rawTypes = query['types'];
  if (type !== undefined && rawTypes !== undefined) fail('types', "Pass either 'type' or 'types', not both.");
  // `types` arrives as `types=a&types=b` or `types=a,b`.
  const types =
    rawTypes === undefined
      ? undefined
      : (Array.isArray(rawTypes) ? rawTypes : [rawTypes]).flatMap((t) => t.split(','));
  if (types !== undefined && types.length >= MAX_TYPES)
    fail('types', `'types' holds fewer than ${MAX_TYPES} names.`);
  const matchesType =
    type !== undefined
      ? typeMatcher(type)
      : types !== undefined
        ? (t: string) => types.includes(t)
        : () => true;
  const range: Partial<Record<'eq' | (typeof TIME_OPERATORS)[number], number>> = {};
  const plain = one(query, 'createdTime');
  if (plain !== undefined) range.eq = parseTime(plain, 'createdTime');
  for (const op of TIME_OPERATORS) {
    const raw = one(query, `createdTime[${op}]`);
    if (raw !== undefined) range[op] = parseTime(raw, `createdTime[${op}]`);
  }
  const matchesTime = (ms: number) =>
    (range.eq === undefined || ms === range.eq) &&
    (range.gt === undefined || ms > range.gt) &&
    (range.gte === undefined || ms >= range.gte) &&
    (range.lt === undefined || ms < range.lt) &&
    (range.lte === undefined || ms <= range.lte);
  const startingAfter = one(query, 'startingAfter');
  const endingBefore = one(query, 'endingBefore');
  return {
    limit,
    ...(startingAfter !== undefined ? { startingAfter } : {}),
    ...(endingBefore !== undefined ? { endingBefore } : {}),
    matchesType,
    matchesTime,
  };
}
