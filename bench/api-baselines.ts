/**
 * What bench:api's two baselines send, shared so that they differ only in the stack they run on:
 * the bare handler (Fastify + `pg`, bench/api-bare.ts) and the stack floor (NestJS on Fastify +
 * class-validator + axios + `pg`, bench/api-stack-floor.ts) run the same statements and make the
 * same two provider calls with the same bodies.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { type Address, customerData } from '@app/domain';
import { toDrCreatePlan, toTcoCustomer } from '@app/providers';
import { signAvangateAuthentication } from '@app/sandboxes';

export interface BenchCustomer {
  email: string;
  givenName: string;
  familyName: string;
  address: Address;
}

/** The address every bench customer has: complete for both providers' rules. */
export const BENCH_ADDRESS: Address = {
  line1: '10380 Bren Rd W',
  city: 'Minnetonka',
  state: 'MN',
  postalCode: '55129',
  country: 'US',
};

/** Where the bench's own provider calls go: the sandboxes' URLs and keys, passed to the baseline processes too. */
export interface SandboxTargets {
  dr: { url: string; secretKey: string };
  tco: { url: string; merchantCode: string; secretKey: string };
}

/** Where a baseline process serves from: the gateway's database and schema, its API key, the sandboxes. */
export interface BaselineOptions {
  databaseUrl: string;
  schema: string;
  apiKey: string;
  targets: SandboxTargets;
}

/** Whether an `Authorization` header carries `apiKey`, checked as the gateway checks it: digests compared in constant time. */
export function bearerMatches(apiKey: string): (authorization: string | undefined) => boolean {
  const digest = createHash('sha256').update(apiKey).digest();
  return (authorization) => {
    const presented = /^Bearer (\S+)$/.exec(authorization ?? '')?.[1] ?? '';
    return timingSafeEqual(createHash('sha256').update(presented).digest(), digest);
  };
}

/** The least a create without links takes: one INSERT. Values: id, email, given name, family name. */
export const INSERT_CUSTOMER = `INSERT INTO customers (id, email, given_name, family_name, updated_at)
  VALUES ($1, $2, $3, $4, now()) RETURNING *`;

/**
 * The first commit of a durable create in both providers: the customer and its two links, leased so
 * that no worker takes them. Values: id, email, given name, family name, address.
 */
export const INSERT_LEASED_IN_BOTH = `WITH customer AS (
    INSERT INTO customers (id, email, given_name, family_name, address, updated_at)
    VALUES ($1, $2, $3, $4, $5, now()) RETURNING id)
  INSERT INTO provider_links (id, customer_id, provider, account, reference, locked_by, locked_until, updated_at)
  SELECT gen_random_uuid()::text, customer.id, provider, 'sandbox', customer.id, 'bare',
         now() + interval '1 minute', now()
    FROM customer, unnest(ARRAY['digital-river', 'two-checkout']) AS provider`;

/** The second commit: both calls' outcome. Values: id, 2Checkout's customer reference. */
export const SETTLE_IN_BOTH = `UPDATE provider_links
    SET status = 'synced', synced_version = 1, attempts = 1, locked_by = NULL, locked_until = NULL,
        provider_customer_id = CASE provider WHEN 'two-checkout' THEN $2 END,
        last_synced_at = now(), updated_at = now()
  WHERE customer_id = $1 RETURNING *`;

/**
 * The shared lock every event write of the gateway takes (EVENT_ORDER_LOCK in
 * libs/persistence/src/event-log.ts), so that the event feed's order is commit order.
 */
const EVENT_ORDER_LOCK = 7_342_019;

/** The webhook outbox rows of the events in the CTE `events` (id, seq, type, customer_id). */
const outboxOf = (
  events: string,
) => `INSERT INTO webhook_deliveries (id, endpoint_id, event_id, event_seq, customer_id)
    SELECT 'whd_' || replace(gen_random_uuid()::text, '-', ''), e.id, ev.id, ev.seq, ev.customer_id
      FROM webhook_endpoints e, ${events} ev
     WHERE e.enabled AND (ev.type = ANY(e.event_types) OR '*' = ANY(e.event_types))`;

/**
 * The promise floor's first commit: INSERT_LEASED_IN_BOTH, and in the same statement what the
 * gateway promises of every create, its `customer.created` event under the event-order lock and
 * that event's webhook outbox rows. Values: those of INSERT_LEASED_IN_BOTH.
 */
export const INSERT_LEASED_IN_BOTH_PROMISED = `WITH customer AS (
    INSERT INTO customers (id, email, given_name, family_name, address, updated_at)
    VALUES ($1, $2, $3, $4, $5, now()) RETURNING id),
  links AS (
    INSERT INTO provider_links (id, customer_id, provider, account, reference, locked_by, locked_until, updated_at)
    SELECT gen_random_uuid()::text, customer.id, provider, 'sandbox', customer.id, 'bare',
           now() + interval '1 minute', now()
      FROM customer, unnest(ARRAY['digital-river', 'two-checkout']) AS provider
    RETURNING customer_id),
  event_order AS (
    SELECT pg_advisory_xact_lock_shared(${EVENT_ORDER_LOCK}::bigint) FROM (SELECT count(*) FROM links) AS written),
  new_event AS (
    INSERT INTO events (id, type, customer_id, actor, data, created_at)
    SELECT 'evt_' || replace(gen_random_uuid()::text, '-', ''), 'customer.created', customer.id, 'bench',
           '{"version": 1}'::jsonb, now()
      FROM customer, event_order
    RETURNING id, seq, type, customer_id),
  outbox AS (${outboxOf('new_event')})
  SELECT 1`;

/**
 * The promise floor's second commit: SETTLE_IN_BOTH, and in the same statement each call's row
 * in the audit trail and each link's `customer.link.synced` event with its outbox rows. Values:
 * id, 2Checkout's customer reference, the calls as JSON (`[{provider, path, duration_ms}]`).
 */
export const SETTLE_IN_BOTH_PROMISED = `WITH calls AS (
    INSERT INTO provider_calls (id, customer_id, operation, provider, account, method, path, http_status,
                                outcome, duration_ms, actor, created_at)
    SELECT gen_random_uuid()::text, $1, 'sync', c.provider, 'sandbox', 'POST', c.path, 201, 'ok',
           c.duration_ms, 'bench', now()
      FROM json_to_recordset($3::json) AS c(provider text, path text, duration_ms int)),
  settled AS (
    UPDATE provider_links
       SET status = 'synced', synced_version = 1, attempts = 1, locked_by = NULL, locked_until = NULL,
           provider_customer_id = CASE provider WHEN 'two-checkout' THEN $2 END,
           last_synced_at = now(), updated_at = now()
     WHERE customer_id = $1 RETURNING *),
  event_order AS (
    SELECT pg_advisory_xact_lock_shared(${EVENT_ORDER_LOCK}::bigint) FROM (SELECT count(*) FROM settled) AS written),
  new_events AS (
    INSERT INTO events (id, type, customer_id, actor, data, created_at)
    SELECT 'evt_' || replace(gen_random_uuid()::text, '-', ''), 'customer.link.synced', s.customer_id, 'bench',
           jsonb_build_object('provider', s.provider, 'account', s.account, 'version', 1), now()
      FROM settled s, event_order
    RETURNING id, seq, type, customer_id),
  outbox AS (${outboxOf('new_events')})
  SELECT * FROM settled`;

/** The values of INSERT_LEASED_IN_BOTH for a customer. */
export const leasedInBothValues = (id: string, fields: BenchCustomer) => [
  id,
  fields.email,
  fields.givenName,
  fields.familyName,
  fields.address,
];

export interface DirectCreate {
  url: string;
  headers: Record<string, string>;
  body: string;
}

/**
 * The two creates the gateway makes for a customer, as requests to send straight to the sandboxes
 * (Digital River's, then 2Checkout's, whose answer is its numeric customer reference). The bodies
 * come from the adapters' own mappers, so each provider holds exactly what the gateway would have
 * sent: the baselines' customers share the gateway's schema and DR account, and a copy at DR that
 * differed from the mirror would be (rightly) seen by the gateway as a change made at DR and
 * written back, spending the account's request budget during the gateway's own rounds.
 */
export function directCreates(
  { dr, tco }: SandboxTargets,
  reference: string,
  fields: BenchCustomer,
): DirectCreate[] {
  const data = customerData(fields);
  return [
    {
      url: `${dr.url}/customers`,
      headers: { authorization: `Bearer ${dr.secretKey}`, 'content-type': 'application/json' },
      body: JSON.stringify(toDrCreatePlan(reference, data).body),
    },
    {
      url: `${tco.url}/customers/`,
      headers: {
        'content-type': 'application/json',
        accept: 'application/json',
        'x-avangate-authentication': signAvangateAuthentication({
          code: tco.merchantCode,
          secretKey: tco.secretKey,
        }),
      },
      body: JSON.stringify(toTcoCustomer(reference, data).body),
    },
  ];
}
