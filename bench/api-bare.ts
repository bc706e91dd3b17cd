/**
 * bench:api's baseline: a bare Fastify + `pg` handler, served in a process of its own
 * (`bench/api.ts --bare`) on the gateway's schema. It checks the same API key and runs the SQL the
 * gateway needs at minimum, one statement per request (api-baselines.ts), and creates in both
 * providers between its two commits (the durable floor) or before its only commit (not durable,
 * what dropping the commit before the calls would buy).
 */
import { randomUUID } from 'node:crypto';
import Fastify from 'fastify';
import { Pool } from 'pg';

import {
  type BaselineOptions,
  type BenchCustomer,
  bearerMatches,
  directCreates,
  INSERT_CUSTOMER,
  INSERT_LEASED_IN_BOTH,
  INSERT_LEASED_IN_BOTH_PROMISED,
  leasedInBothValues,
  type SandboxTargets,
  SETTLE_IN_BOTH,
  SETTLE_IN_BOTH_PROMISED,
} from './api-baselines';

/** Each direct create as the audit trail records it: provider, path and how long it took. */
interface DirectCall {
  provider: string;
  path: string;
  duration_ms: number;
}

/**
 * The two creates the gateway makes for a customer (directCreates), sent straight to the sandboxes
 * in parallel; resolves with 2Checkout's answer, its numeric customer reference, and the calls.
 */
export async function createInBoth(
  targets: SandboxTargets,
  reference: string,
  fields: BenchCustomer,
): Promise<{ customerReference: string; calls: DirectCall[] }> {
  const providers = ['digital-river', 'two-checkout'];
  const calls: DirectCall[] = [];
  const responses = await Promise.all(
    directCreates(targets, reference, fields).map(async ({ url, headers, body }, index) => {
      const started = performance.now();
      const res = await fetch(url, { method: 'POST', headers, body });
      const duration = Math.round(performance.now() - started);
      calls.push({ provider: providers[index] ?? '', path: new URL(url).pathname, duration_ms: duration });
      return res;
    }),
  );
  const bodies = await Promise.all(responses.map((res) => res.text()));
  responses.forEach((res, index) => {
    if (!res.ok) throw new Error(`direct create answered ${res.status}: ${bodies[index]}`);
  });
  return { customerReference: bodies[1] ?? '', calls };
}

/** Serves the bare handler on loopback and sends its URL to the parent; it stops when the parent disconnects. */
export async function serveBare(options: BaselineOptions): Promise<void> {
  const { targets } = options;
  const pool = new Pool({
    connectionString: options.databaseUrl,
    options: `-c search_path="${options.schema}"`,
    max: 10,
  });
  const authorized = bearerMatches(options.apiKey);
  const app = Fastify({ logger: false });
  app.addHook('onRequest', async (req, reply) => {
    if (!authorized(req.headers.authorization)) {
      await reply.code(401).send({ code: 'unauthenticated' });
    }
  });
  const withLinks = `SELECT c.*, COALESCE((SELECT json_agg(l) FROM provider_links l WHERE l.customer_id = c.id), '[]') AS links
                       FROM customers c`;
  app.get<{ Params: { id: string } }>('/v1/customers/:id', async (req, reply) => {
    const { rows } = await pool.query(`${withLinks} WHERE c.id = $1`, [req.params.id]);
    return rows[0] ?? reply.code(404).send({ code: 'not_found' });
  });
  app.get('/v1/customers', async () => {
    const { rows } = await pool.query(`${withLinks} ORDER BY c.seq DESC LIMIT 11`);
    return { data: rows.slice(0, 10), hasMore: rows.length > 10 };
  });
  app.post<{ Body: BenchCustomer }>('/v1/customers', async (req, reply) => {
    const { rows } = await pool.query(INSERT_CUSTOMER, [
      randomUUID(),
      req.body.email,
      req.body.givenName,
      req.body.familyName,
    ]);
    return reply.code(201).send(rows[0]);
  });
  // The least a durable create in both providers takes on this stack, the floor under the gateway's
  // `both` row: the customer and its two links (leased, so no worker takes them) committed before
  // the provider calls, the two calls in parallel, and their outcome committed before the answer.
  app.post<{ Body: BenchCustomer }>('/v1/customers/in-both', async (req, reply) => {
    const id = randomUUID();
    await pool.query(INSERT_LEASED_IN_BOTH, leasedInBothValues(id, req.body));
    const { customerReference } = await createInBoth(targets, id, req.body);
    const { rows } = await pool.query(SETTLE_IN_BOTH, [id, customerReference]);
    return reply.code(201).send({ id, providers: rows });
  });
  // The same two commits with what the gateway promises of every create written in them too (the
  // promise floor): the customer.created event and its webhook outbox rows in the first, each
  // call's audit row and each link's customer.link.synced event in the second.
  app.post<{ Body: BenchCustomer }>('/v1/customers/in-both-promised', async (req, reply) => {
    const id = randomUUID();
    await pool.query(INSERT_LEASED_IN_BOTH_PROMISED, leasedInBothValues(id, req.body));
    const { customerReference, calls } = await createInBoth(targets, id, req.body);
    const { rows } = await pool.query(SETTLE_IN_BOTH_PROMISED, [
      id,
      customerReference,
      JSON.stringify(calls),
    ]);
    return reply.code(201).send({ id, providers: rows });
  });
  // Cheaper than any durable create: the calls first, then one statement commits the customer and
  // its links as synced. A crash between the calls and the commit leaves customers at the providers
  // that the mirror never learns of, so the gateway cannot work this way; the row shows what giving
  // up the commit before the calls would buy.
  app.post<{ Body: BenchCustomer }>('/v1/customers/in-both-then-commit', async (req, reply) => {
    const id = randomUUID();
    const { customerReference } = await createInBoth(targets, id, req.body);
    const { rows } = await pool.query(
      `WITH customer AS (
           INSERT INTO customers (id, email, given_name, family_name, address, updated_at)
           VALUES ($1, $3, $4, $5, $6, now()) RETURNING id)
         INSERT INTO provider_links (id, customer_id, provider, account, reference, status, synced_version,
                                     attempts, provider_customer_id, last_synced_at, updated_at)
         SELECT gen_random_uuid()::text, customer.id, provider, 'sandbox', customer.id, 'synced', 1, 1,
                CASE provider WHEN 'two-checkout' THEN $2 END, now(), now()
           FROM customer, unnest(ARRAY['digital-river', 'two-checkout']) AS provider
         RETURNING *`,
      [id, customerReference, req.body.email, req.body.givenName, req.body.familyName, req.body.address],
    );
    return reply.code(201).send({ id, providers: rows });
  });
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  process.send?.(url);
  process.on(
    'disconnect',
    () =>
      void app
        .close()
        .then(() => pool.end())
        .then(() => process.exit(0)),
  );
}
