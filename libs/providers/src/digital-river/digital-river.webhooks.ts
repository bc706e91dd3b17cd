/**
 * What Digital River tells us about changes it made itself: its Event objects (from webhooks and
 * the Events API) and the `DigitalRiver-Signature` its webhooks carry. Pure functions; the gateway
 * receives the requests, keeps the secrets and reads the events (apps/gateway/src/provider-webhooks).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { type CustomerData, type RemoteCustomer } from '@app/domain';
import { z } from 'zod';

import { fromDrCustomer } from './digital-river.mapper';
import { drCustomerSchema } from './digital-river.schemas';

/**
 * How old a signed timestamp may be. DR signs a timestamp so replays can be refused and leaves the
 * limit to the receiver ("if the signature is valid but the timestamp is too old, you can reject
 * the payload", https://docs.digitalriver.com/digital-river-api/events-and-webhooks-1/webhooks/digital-river-signature);
 * 5 minutes is the tolerance Stripe's libraries use for the same scheme.
 */
export const DEFAULT_SIGNATURE_TOLERANCE_MS = 5 * 60_000;

export const DR_SIGNATURE_HEADER = 'digitalriver-signature';

export type SignatureCheck =
  | { ok: true; timestampSeconds: number }
  | { ok: false; reason: 'unsigned' | 'malformed' | 'stale' | 'mismatch' | 'no_secret' };

/**
 * Checks a `DigitalRiver-Signature` header, `t=<unix seconds>,v0=<hex>[,v0=<hex>…]`, against the raw
 * request body: valid when some `v0` is the hex HMAC-SHA256 of `"<t>.<raw body>"` under one of
 * `secrets` (the current one and any still in a rotation's overlap: DR signs with every active
 * secret, the page above) and `t` is within `toleranceMs` of `nowMs` either way. Compared in
 * constant time.
 */
export function verifyDigitalRiverSignature(input: {
  header: string | undefined;
  rawBody: Buffer | string;
  secrets: readonly string[];
  nowMs: number;
  toleranceMs?: number;
}): SignatureCheck {
  if (input.header === undefined || input.header.trim() === '') return { ok: false, reason: 'unsigned' };
  let timestamp: number | undefined;
  const signatures: Buffer[] = [];
  for (const part of input.header.split(',')) {
    const [key, value] = splitOnce(part.trim());
    if (key === 't' && /^\d{1,12}$/.test(value)) timestamp = Number(value);
    else if (key === 'v0' && /^[0-9a-f]{64}$/i.test(value)) signatures.push(Buffer.from(value, 'hex'));
  }
  if (timestamp === undefined || signatures.length === 0) return { ok: false, reason: 'malformed' };
  if (input.secrets.length === 0) return { ok: false, reason: 'no_secret' };
  const body = typeof input.rawBody === 'string' ? Buffer.from(input.rawBody, 'utf8') : input.rawBody;
  const matches = input.secrets.some((secret) => {
    const expected = createHmac('sha256', secret).update(`${timestamp}.`).update(body).digest();
    return signatures.some((signature) => timingSafeEqual(signature, expected));
  });
  if (!matches) return { ok: false, reason: 'mismatch' };
  // Checked after the signature, so a forged request is always a mismatch whatever its `t`.
  const tolerance = input.toleranceMs ?? DEFAULT_SIGNATURE_TOLERANCE_MS;
  if (Math.abs(input.nowMs - timestamp * 1000) > tolerance) return { ok: false, reason: 'stale' };
  return { ok: true, timestampSeconds: timestamp };
}

function splitOnce(part: string): [string, string] {
  const at = part.indexOf('=');
  return at < 0 ? [part, ''] : [part.slice(0, at), part.slice(at + 1)];
}

/**
 * An Event as DR sends and lists it: `id`, `type` (`resource.event`), `data.object` the resource
 * (https://docs.digitalriver.com/digital-river-api/order-management/events-and-webhooks-1/events-1).
 * Tolerant: unknown fields pass, the object is read only for the ids below.
 */
export const drEventSchema = z.looseObject({
  id: z.string().min(1),
  type: z.string().min(1),
  createdTime: z.string().nullish(),
  liveMode: z.boolean().nullish(),
  data: z
    .looseObject({
      object: z.looseObject({ id: z.string().nullish(), customerId: z.string().nullish() }).nullish(),
    })
    .nullish(),
});
export type DrEvent = z.output<typeof drEventSchema>;

export const drEventListSchema = z.looseObject({ hasMore: z.boolean(), data: z.array(drEventSchema) });

/**
 * The customer events DR raises (DR's "All event types" page,
 * https://docs.digitalriver.com/digital-river-api/order-management/events-and-webhooks-1/events-1/all-event-types):
 * the customer itself, its sources and tax identifiers. The catch-up reader asks only for these.
 */
export const DR_CUSTOMER_EVENT_TYPES = [
  'customer.created',
  'customer.updated',
  'customer.deleted',
  'customer.source.created',
  'customer.source.deleted',
  'customer.tax_identifier.created',
  'tax_identifier.deleted',
] as const;

/** Which customer an event is about, or undefined when it is about none (another resource). */
export interface DrEventSubject {
  eventId: string;
  eventType: string;
  /** The DR customer id. */
  reference: string;
  occurredAt?: Date;
}

/**
 * The customer an event concerns: `data.object.id` for `customer.*`, the owning
 * `data.object.customerId` for a source or tax identifier event. Undefined for events about
 * anything else, and for a sub-resource not attached to a customer.
 */
export function drEventSubject(event: DrEvent): DrEventSubject | undefined {
  const object = event.data?.object;
  const subResource =
    event.type.startsWith('customer.source.') ||
    event.type.startsWith('customer.tax_identifier.') ||
    event.type.startsWith('tax_identifier.');
  const reference = subResource
    ? object?.customerId
    : event.type.startsWith('customer.')
      ? object?.id
      : undefined;
  if (reference === undefined || reference === null || reference === '') return undefined;
  const occurred = event.createdTime ? new Date(event.createdTime) : undefined;
  return {
    eventId: event.id,
    eventType: event.type,
    reference,
    ...(occurred !== undefined && !Number.isNaN(occurred.getTime()) ? { occurredAt: occurred } : {}),
  };
}

/** The event types whose `data.object` is the whole customer as DR holds it after the change. */
const WHOLE_CUSTOMER_EVENTS = new Set(['customer.created', 'customer.updated']);

/**
 * The customer copy an event carried, mapped as a read of it would be (`fromDrCustomer`, with the
 * mirror's data as `known`): for `customer.created` and `customer.updated`, whose `data.object` is
 * the customer after the change. Undefined for every other event (a sub-resource's, a deletion) and
 * for an object that is not a whole DR customer.
 */
export function drEventCopy(event: DrEvent): ((known: CustomerData) => RemoteCustomer) | undefined {
  if (!WHOLE_CUSTOMER_EVENTS.has(event.type)) return undefined;
  const parsed = drCustomerSchema.safeParse(event.data?.object);
  if (!parsed.success) return undefined;
  return (known) => fromDrCustomer(parsed.data, known);
}
