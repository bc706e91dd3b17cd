/**
 * A mirror of many customers, written with set-based SQL (generate_series, INSERT ... SELECT) into
 * the tables the gateway reads, in the shapes its writes leave (customer-sql.ts, event-log.ts,
 * prisma-provider-call-log.ts): for `npm run bench:scale` (a million customers in minutes) and the
 * plan check of test/persistence/list-plans.spec.ts. Never used by the gateway itself.
 *
 * Customer n (from 1) is `scaleCustomerId(n)`, so a caller can name any customer without reading
 * the table back. Per customer, in proportions a running mirror shows:
 * - two links: Digital River (reference: the customer id) and 2Checkout (reference: `ext-<n>`,
 *   the provider's own numeric id `<7000000000 + n>`); 98% synced, 1.5% pending, 0.5% failed;
 * - three events (`customer.created`, one `customer.link.synced` per provider);
 * - four provider calls (a create and a read at each provider);
 * - every 500th customer is a tombstone (deleted, links kept), every 1,000th forgotten.
 */
import { createHash } from 'node:crypto';

/** Runs one SQL statement with no parameters. */
export type RunStatement = (sql: string) => Promise<unknown>;

/** The id of customer n; md5 so ids are spread over the id index as random ones are. */
export function scaleCustomerId(n: number): string {
  return `cus_${createHash('md5').update(`cus${n}`).digest('hex').slice(0, 24)}`;
}

/** 2Checkout's own numeric id for customer n, as the link holds it. */
export const scaleTwoCheckoutId = (n: number) => String(7_000_000_000 + n);

/** The email customer n was given (mixed case: the filter matches case-insensitively). */
export const scaleEmail = (n: number) => `Customer.${n}@Example.com`;

/** Every 1 in FAILED_EVERY links has failed, 1 in PENDING_EVERY waits for delivery. */
const FAILED_EVERY = 200;
const PENDING_EVERY = 67;

/**
 * Adds customers `from + 1` to `to` (with their links, events and calls), in one transaction per
 * table. Call with growing ranges to grow one mirror; statistics are left to the caller (ANALYZE).
 */
export async function seedScaleMirror(run: RunStatement, from: number, to: number): Promise<void> {
  const series = `generate_series(${from + 1}, ${to}) AS n`;
  const id = `'cus_' || left(md5('cus' || n), 24)`;
  // Half a second apart, ending about now: the events stay inside any retention.
  const at = `(now() - interval '6 days' + n * interval '500 milliseconds')::timestamp(3)`;
  await run(`
    INSERT INTO customers (id, external_reference, email, given_name, family_name, company_name, phone,
                           address, locale, type, enabled, metadata, forgotten_at, deleted_at, version,
                           created_at, updated_at)
    SELECT ${id}, CASE WHEN n % 1000 = 0 THEN NULL ELSE 'ext-' || n END,
           CASE WHEN n % 1000 = 0 THEN NULL ELSE 'Customer.' || n || '@Example.com' END,
           'Given', 'Family ' || (n % 997), CASE WHEN n % 5 = 0 THEN 'Company ' || (n % 991) END,
           '+1 952 555 ' || lpad((n % 10000)::text, 4, '0'),
           jsonb_build_object('line1', n || ' Bren Rd W', 'city', 'Minnetonka', 'state', 'MN',
                              'postalCode', '55129', 'country', 'US'),
           'en_US', (CASE WHEN n % 5 = 0 THEN 'business' ELSE 'individual' END)::"CustomerType", true,
           jsonb_build_object('segment', 's' || (n % 7)),
           CASE WHEN n % 1000 = 0 THEN ${at} END, CASE WHEN n % 500 = 0 THEN ${at} END, 2, ${at}, ${at}
      FROM ${series} ORDER BY n`);
  const status = (salt: number) =>
    `(CASE WHEN (n + ${salt}) % ${FAILED_EVERY} = 0 THEN 'failed' WHEN (n + ${salt}) % ${PENDING_EVERY} = 0 THEN 'pending' ELSE 'synced' END)::"LinkStatus"`;
  await run(`
    INSERT INTO provider_links (id, customer_id, customer_seq, provider, account, reference, provider_customer_id,
                                status, intent, synced_version, attempts, last_synced_at, last_error, created_at, updated_at)
    SELECT 'lnk_dr_' || n, c.id, c.seq, 'digital-river', 'default', c.id, NULL, ${status(0)}, 'sync'::"LinkIntent", 2, 1, ${at},
           CASE WHEN n % ${FAILED_EVERY} = 0 THEN '{"code":"provider_unavailable","retryable":true}'::jsonb END,
           ${at}, ${at}
      FROM ${series} JOIN customers c ON c.id = ${id}
    UNION ALL
    SELECT 'lnk_2co_' || n, c.id, c.seq, 'two-checkout', 'default', 'ext-' || n, '${7_000_000_000}'::bigint + n || '',
           ${status(100)}, 'sync'::"LinkIntent", 2, 1, ${at}, NULL, ${at}, ${at}
      FROM ${series} JOIN customers c ON c.id = ${id}`);
  await run(`
    INSERT INTO events (id, type, customer_id, actor, request_id, data, created_at)
    SELECT 'evt_' || left(md5('evt' || n || '.' || k), 24),
           (ARRAY['customer.created', 'customer.link.synced', 'customer.link.synced'])[k], ${id},
           CASE WHEN k = 1 THEN 'bench' ELSE 'sync-worker' END, CASE WHEN k = 1 THEN 'req_' || n END,
           CASE WHEN k = 1 THEN jsonb_build_object('version', 1)
                ELSE jsonb_build_object('provider', (ARRAY['digital-river', 'two-checkout'])[k - 1],
                                        'account', 'default', 'version', 2) END,
           ${at} + k * interval '10 milliseconds'
      FROM ${series}, generate_series(1, 3) AS k ORDER BY n, k`);
  await run(`
    INSERT INTO provider_calls (id, customer_id, provider, account, operation, method, path, http_status,
                                outcome, duration_ms, provider_request_id, actor, request_id, created_at)
    SELECT 'call_' || n || '_' || k, ${id}, (ARRAY['digital-river', 'two-checkout'])[1 + k % 2], 'default',
           'sync', (ARRAY['POST', 'POST', 'GET', 'GET'])[k], '/customers/{id}', (ARRAY[201, 201, 200, 200])[k],
           'ok', 40 + (n + k) % 200, 'prq_' || n || '_' || k, 'sync-worker', NULL,
           ${at} + k * interval '20 milliseconds'
      FROM ${series}, generate_series(1, 4) AS k`);
}
