/**
 * Preloaded into a gateway by `bench/api.ts` (`--import`, run as Node strips its types) to show where a create in both providers
 * spends its time: for every `POST /v1/customers`, when each database statement and each provider
 * call it made started and ended, relative to the request's arrival. Statements and calls of the
 * background worker are not the request's and are left out (AsyncLocalStorage follows the
 * request). The timelines are written to BENCH_TIMELINE_FILE as JSON when the gateway exits.
 *
 * Node publishes its HTTP server and client events on diagnostics channels
 * (https://nodejs.org/docs/latest-v24.x/api/diagnostics_channel.html#http); `pg` publishes none,
 * so its `Client#query` is wrapped. The wrapping and the bookkeeping cost a little, so a traced
 * gateway is never the one the bench's figures come from.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { subscribe } from 'node:diagnostics_channel';
import { writeFileSync } from 'node:fs';
import { type ClientRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import pg from 'pg';

const { Client } = pg;

/** One statement or provider call, in milliseconds since the request arrived. */
export interface TimelineStep {
  kind: 'statement' | 'provider';
  label: string;
  start: number;
  end: number;
}

export interface Timeline {
  /** When the answer was handed to the socket. */
  answered: number;
  steps: TimelineStep[];
}

interface Open {
  arrived: number;
  steps: TimelineStep[];
}

const file = process.env['BENCH_TIMELINE_FILE'];
if (file === undefined) throw new Error('BENCH_TIMELINE_FILE is not set');

const current = new AsyncLocalStorage<Open>();
const timelines: Timeline[] = [];
const since = (open: Open) => performance.now() - open.arrived;

subscribe('http.server.request.start', (message) => {
  const { request, response } = message as { request: IncomingMessage; response: ServerResponse };
  if (request.method !== 'POST' || request.url !== '/v1/customers') return;
  const open: Open = { arrived: performance.now(), steps: [] };
  // The channel is published synchronously just before the server emits 'request', so the store
  // follows the request through every middleware, guard and await after it.
  current.enterWith(open);
  response.once('finish', () => timelines.push({ answered: since(open), steps: open.steps }));
});

const providerCalls = new WeakMap<ClientRequest, { open: Open; step: TimelineStep }>();
subscribe('http.client.request.start', (message) => {
  const { request } = message as { request: ClientRequest };
  const open = current.getStore();
  if (open === undefined) return;
  const step: TimelineStep = {
    kind: 'provider',
    label: `${request.method} ${request.host}:${request.path.replace(/\d{6,}/g, '{id}')}`,
    start: since(open),
    end: Number.NaN,
  };
  providerCalls.set(request, { open, step });
});
const callEnded = (suffix: string) => (message: unknown) => {
  const { request } = message as { request: ClientRequest };
  const call = providerCalls.get(request);
  if (call === undefined) return;
  providerCalls.delete(request);
  call.step.end = since(call.open);
  call.step.label += suffix;
  call.open.steps.push(call.step);
};
subscribe('http.client.response.finish', callEnded(''));
// A call that got no answer (reset, timeout) is a step too, marked so, or a retry would hide it.
subscribe('http.client.request.error', callEnded(' (no answer)'));

type Query = (this: pg.Client, ...args: unknown[]) => unknown;
const query = Client.prototype.query as unknown as Query;
/** The statement's first words, enough to tell the statements apart (never its values). */
const labelOf = (config: unknown) => {
  const text = typeof config === 'string' ? config : ((config as { text?: string } | null)?.text ?? '');
  return text.trim().replace(/\s+/g, ' ').slice(0, 48);
};
(Client.prototype as unknown as { query: Query }).query = function (this: pg.Client, ...args: unknown[]) {
  const open = current.getStore();
  if (open === undefined) return query.apply(this, args);
  const step: TimelineStep = {
    kind: 'statement',
    label: labelOf(args[0]),
    start: since(open),
    end: Number.NaN,
  };
  const done = () => {
    step.end = since(open);
    open.steps.push(step);
  };
  // The pool passes a callback; Prisma's adapter awaits the promise.
  const last = args.length - 1;
  const callback = args[last];
  if (typeof callback === 'function') {
    args[last] = (...results: unknown[]) => {
      done();
      return (callback as (...r: unknown[]) => unknown)(...results);
    };
    return query.apply(this, args);
  }
  const result = query.apply(this, args);
  if (result instanceof Promise) result.then(done, done);
  return result;
};

process.once('exit', () => writeFileSync(file, JSON.stringify(timelines)));
