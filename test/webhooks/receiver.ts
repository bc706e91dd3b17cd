import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { type AddressInfo } from 'node:net';

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

/** What a receiver does with `Webhook-Signature`, as the README shows it. */
export function signatureIsValid(secret: string, header: string | undefined, body: string): boolean {
  const parts = Object.fromEntries(
    (header ?? '').split(',').map((part) => part.split('=', 2) as [string, string]),
  );
  if (parts['t'] === undefined || parts['v1'] === undefined) return false;
  const expected = createHmac('sha256', secret).update(`${parts['t']}.${body}`).digest();
  const given = Buffer.from(parts['v1'], 'hex');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/** Polls `check` until it holds; fails with `what` after `timeoutMs`. */
export async function waitFor(what: string, check: () => Promise<boolean> | boolean, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
