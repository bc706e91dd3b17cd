/**
 * Preloaded into a gateway by `bench/scale.ts` (`--import`, run as Node strips its types) to capture
 * exactly the statements the gateway sends to PostgreSQL for a request, with their parameters, so
 * the bench EXPLAINs what runs rather than a hand-copied SQL. Only requests carrying the
 * `x-bench-capture: <name>` header are captured (others pay a header check); `pg` publishes no
 * diagnostics channel, so its `Client#query` is wrapped, as bench/create-timeline.mts does. The
 * statements are written to BENCH_CAPTURE_FILE as JSON, by name, when the gateway exits.
 * https://nodejs.org/docs/latest-v24.x/api/diagnostics_channel.html#http
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { subscribe } from 'node:diagnostics_channel';
import { writeFileSync } from 'node:fs';
import { type IncomingMessage } from 'node:http';
import pg from 'pg';

const { Client } = pg;

export interface CapturedStatement {
  text: string;
  values: unknown[];
}

const file = process.env['BENCH_CAPTURE_FILE'];
if (file === undefined) throw new Error('BENCH_CAPTURE_FILE is not set');

const current = new AsyncLocalStorage<CapturedStatement[]>();
const captured: Record<string, CapturedStatement[]> = {};

subscribe('http.server.request.start', (message) => {
  const { request } = message as { request: IncomingMessage };
  const name = request.headers['x-bench-capture'];
  if (typeof name !== 'string') return;
  const statements: CapturedStatement[] = [];
  captured[name] = statements;
  // Published synchronously just before the server emits 'request': the store follows the request.
  current.enterWith(statements);
});

type Query = (this: pg.Client, ...args: unknown[]) => unknown;
const query = Client.prototype.query as unknown as Query;
(Client.prototype as unknown as { query: Query }).query = function (this: pg.Client, ...args: unknown[]) {
  const statements = current.getStore();
  if (statements !== undefined) {
    const [config, second] = args;
    if (typeof config === 'string') {
      statements.push({ text: config, values: Array.isArray(second) ? (second as unknown[]) : [] });
    } else if (config !== null && typeof config === 'object' && 'text' in config) {
      const { text, values } = config as { text: string; values?: unknown[] };
      statements.push({ text, values: values ?? [] });
    }
  }
  return query.apply(this, args);
};

process.once('exit', () => writeFileSync(file, JSON.stringify(captured)));
