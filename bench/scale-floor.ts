/**
 * The floor under `bench:scale`'s reads: the very statements the gateway ran for a read, sent
 * straight to PostgreSQL with `pg`, about a customer drawn anew per request as the gateway's
 * requests are. A random customer among a million is a cold row far more often than one among
 * ten thousand (this server's shared_buffers is 128 MB), and no gateway can read it faster than
 * PostgreSQL does: this measures what the database alone adds from the smallest size to the
 * largest, so the gateway's own growth is told apart from it.
 * https://www.postgresql.org/docs/15/runtime-config-resource.html#GUC-SHARED-BUFFERS
 */
import type { Client } from 'pg';
import { scaleCustomerId, scaleEmail, scaleTwoCheckoutId } from '@app/persistence';

import type { CapturedStatement } from './capture-statements.mjs';
import { eventId } from './scale-reads.js';

/** Every value a request about customer n can carry that names n (scale-seed.ts's naming). */
const keysOf = (n: number): string[] => [
  scaleCustomerId(n),
  scaleEmail(n),
  scaleEmail(n).toLowerCase(),
  `ext-${n}`,
  scaleTwoCheckoutId(n),
  eventId(n, 1),
];

/** What one request of a read ran, and the customer that request was about. */
export interface CapturedRead {
  customer: number;
  statements: CapturedStatement[];
}

/**
 * The statements of `captured` as a request about customer `m` would run them in `schema`: every
 * value that named the captured customer names m instead, and the captured schema's name (Prisma
 * qualifies tables with it) is `schema`'s. Returns undefined when the read names a customer but no
 * value could be replaced, which would make the floor re-read one warm row.
 */
export function statementsFor(
  captured: CapturedRead,
  m: number,
  from: { schema: string; to: string },
): CapturedStatement[] | undefined {
  const before = keysOf(captured.customer);
  const after = keysOf(m);
  let replaced = 0;
  const statements = captured.statements.map((statement) => ({
    text: statement.text.replaceAll(`"${from.schema}"`, `"${from.to}"`),
    values: statement.values.map((value) => {
      const at = typeof value === 'string' ? before.indexOf(value) : -1;
      if (at < 0) return value;
      replaced++;
      return after[at];
    }),
  }));
  return captured.customer !== 0 && replaced === 0 ? undefined : statements;
}

/** Runs `statements` one after another on `client`; resolves to the milliseconds they took. */
export async function replay(client: Client, statements: CapturedStatement[]): Promise<number> {
  const started = performance.now();
  for (const statement of statements) await client.query(statement.text, statement.values);
  return performance.now() - started;
}
