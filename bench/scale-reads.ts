/**
 * The reads `bench:scale` measures (issue 34 names them), each about a customer drawn anew per
 * request from the mirror libs/persistence testing/scale-seed.ts grows.
 */
import { createHash } from 'node:crypto';
import { scaleCustomerId, scaleEmail, scaleTwoCheckoutId } from '@app/persistence';

/** Event k of customer n, as scale-seed.ts names it: the first 24 hex digits of md5('evt<n>.<k>'). */
export const eventId = (n: number, k: number) =>
  `evt_${createHash('md5').update(`evt${n}.${k}`).digest('hex').slice(0, 24)}`;

/** A customer that is neither a tombstone nor forgotten (scale-seed.ts), drawn anew per request. */
function liveCustomer(size: number, near?: 'oldest' | 'newest'): number {
  for (;;) {
    const span = near === undefined ? size : Math.min(size, 200);
    const offset = 1 + Math.floor(Math.random() * span);
    const n = near === 'newest' ? size - offset + 1 : offset;
    if (n % 500 !== 0) return n;
  }
}

/**
 * Each read the issue names: a name, the customer one request of it is about at a size (drawn anew
 * per request; none for a read that is about no customer), and the path of that request.
 */
export interface Read {
  name: string;
  pick?: (size: number) => number;
  path: (size: number, n: number) => string;
}
export const READS: Read[] = [
  {
    name: 'read by id',
    pick: (size) => liveCustomer(size),
    path: (_, n) => `/v1/customers/${scaleCustomerId(n)}`,
  },
  { name: 'list, first page', path: () => '/v1/customers?limit=10' },
  {
    name: 'list, deep cursor',
    pick: (size) => liveCustomer(size, 'oldest') + 20,
    path: (_, n) => `/v1/customers?limit=10&startingAfter=${scaleCustomerId(n)}`,
  },
  {
    name: 'filter email',
    pick: (size) => liveCustomer(size),
    path: (_, n) => `/v1/customers?email=${encodeURIComponent(scaleEmail(n).toLowerCase())}`,
  },
  { name: 'filter provider', path: () => '/v1/customers?limit=10&provider=two-checkout' },
  { name: 'filter syncStatus=failed', path: () => '/v1/customers?limit=10&syncStatus=failed' },
  {
    name: 'filter syncStatus, deep',
    pick: (size) => Math.min(size - 1, liveCustomer(size, 'oldest') + 1000),
    path: (_, n) => `/v1/customers?limit=10&syncStatus=pending&startingAfter=${scaleCustomerId(n)}`,
  },
  {
    name: 'by reference: DR id',
    pick: (size) => liveCustomer(size),
    path: (_, n) => `/v1/customers/by-reference/digital-river/${scaleCustomerId(n)}`,
  },
  {
    name: 'by reference: 2CO ours',
    pick: (size) => liveCustomer(size),
    path: (_, n) => `/v1/customers/by-reference/two-checkout/ext-${n}`,
  },
  {
    name: "by reference: 2CO's id",
    pick: (size) => liveCustomer(size),
    path: (_, n) => `/v1/customers/by-reference/two-checkout/${scaleTwoCheckoutId(n)}`,
  },
  { name: 'events, first page', path: () => '/v1/events?limit=10' },
  {
    name: 'events, tail',
    pick: (size) => liveCustomer(size, 'newest') - 5,
    path: (_, n) => `/v1/events?limit=10&startingAfter=${eventId(n, 1)}`,
  },
  {
    name: "a customer's events",
    pick: (size) => liveCustomer(size),
    path: (_, n) => `/v1/events?limit=10&customerId=${scaleCustomerId(n)}`,
  },
  {
    name: "a customer's call log",
    pick: (size) => liveCustomer(size),
    path: (_, n) => `/v1/customers/${scaleCustomerId(n)}/calls?limit=20`,
  },
];
/** One request of `read` at `size`, about a customer drawn anew. */
export const requestOf = (read: Read, size: number) => read.path(size, read.pick?.(size) ?? 0);
