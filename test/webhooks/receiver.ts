import { readFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { type AddressInfo } from 'node:net';
import { resolve } from 'node:path';
import { runInNewContext } from 'node:vm';

import request from 'supertest';

import { bearer, KEYS, type RunningGateway } from '../support/gateway';

/** One request as the receiver got it. */
export interface Received {
  eventId: string;
  headers: IncomingHttpHeaders;
  body: string;
  event: { id: string; type: string; customerId: string | null; data: Record<string, unknown> };
}

/** What to answer: a status, or a promise of one (a held request). */
export type Answer = (received: Received, index: number) => number | Promise<number>;

export interface Receiver {
  url: string;
  received: Received[];
  answer: Answer;
  close(): Promise<void>;
}

/** A webhook receiver on loopback: records every request, then answers as `answer` says. */
export async function startReceiver(answer: Answer = () => 200): Promise<Receiver> {
  const receiver = { received: [] as Received[], answer } as Receiver;
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const received: Received = {
        eventId: String(req.headers['webhook-id']),
        headers: req.headers,
        body,
        event: JSON.parse(body) as Received['event'],
      };
      receiver.received.push(received);
      void Promise.resolve(receiver.answer(received, receiver.received.length - 1)).then((status) => {
        if (!res.destroyed) res.writeHead(status).end();
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  receiver.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`;
  receiver.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return receiver;
}

/** A js block of the README, run as printed: the function it defines named `name`. */
function readmeFunction<T>(heading: string, name: string): T {
  const readme = readFileSync(resolve(__dirname, '../../README.md'), 'utf8');
  const code = new RegExp(`${heading}[^\\n]*\\n(?:[^\\n]+\\n)*\\n\`\`\`js\\n([\\s\\S]*?)\`\`\``).exec(
    readme,
  )?.[1];
  if (code === undefined) throw new Error(`README.md: no js block under "${heading}"`);
  const context: Record<string, unknown> = {};
  runInNewContext(code, Object.assign(context, { require, Buffer }));
  if (typeof context[name] !== 'function') throw new Error(`README.md: the block defines no ${name}()`);
  return context[name] as T;
}

/**
 * The README's own `verify` (the js block under "Verifying a delivery", which calls the
 * `standardwebhooks` package): every delivery the tests check is checked with the code receivers
 * are told to copy.
 */
const readmeVerify = readmeFunction<
  (secret: string, headers: IncomingHttpHeaders, rawBody: string) => boolean
>('Verifying a delivery \\(Node', 'verify');
/** …and its `verifyLegacy`, for endpoints that keep the scheme from before. */
const readmeVerifyLegacy = readmeFunction<(secret: string, header: string, rawBody: string) => boolean>(
  'Verifying a delivery to a legacy endpoint',
  'verifyLegacy',
);

export function signatureIsValid(secret: string, headers: IncomingHttpHeaders, body: string): boolean {
  return readmeVerify(secret, headers, body);
}

export function legacySignatureIsValid(secret: string, header: string | undefined, body: string): boolean {
  return readmeVerifyLegacy(secret, header ?? '', body);
}

/** Polls `check` until it holds; fails with `what` after `timeoutMs`. */
export async function waitFor(what: string, check: () => Promise<boolean> | boolean, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** Retries in tens of milliseconds. */
export const FAST_WEBHOOKS = {
  WEBHOOK_RETRY_BASE_MS: '20',
  WEBHOOK_RETRY_MAX_MS: '200',
  WEBHOOK_POLL_MS: '20',
  WEBHOOK_TIMEOUT_MS: '5000',
};
export const admin = bearer(KEYS.admin);

/** Subscribes `url` to `eventTypes`: the endpoint's id and its signing secret. */
export async function subscribe(
  gateway: RunningGateway,
  url: string,
  eventTypes = ['*'],
  extra: Record<string, unknown> = {},
) {
  const res = await request(gateway.url)
    .post('/v1/webhook-endpoints')
    .set(admin)
    .send({ url, eventTypes, ...extra });
  expect(res.status).toBe(201);
  return res.body as { id: string; secret: string };
}
