import { lookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';

import { type FieldError } from '@app/customer-domain';

/**
 * Where webhooks may not go unless allowed: loopback, link-local (cloud metadata at
 * 169.254.169.254), private and other special-purpose ranges (RFC 6890), so a webhook URL cannot
 * be used to reach the gateway's own network.
 */
const NON_PUBLIC = new BlockList();
for (const [network, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const) {
  NON_PUBLIC.addSubnet(network, prefix, 'ipv4');
}
for (const [network, prefix] of [
  ['::', 128],
  ['::1', 128],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
] as const) {
  NON_PUBLIC.addSubnet(network, prefix, 'ipv6');
}

/** Whether `address` (IPv4 or IPv6, IPv4-mapped included) is on a network webhooks may not reach. */
export function isNonPublicAddress(address: string): boolean {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)?.[1];
  if (mapped !== undefined) return NON_PUBLIC.check(mapped, 'ipv4');
  return NON_PUBLIC.check(address, isIP(address) === 6 ? 'ipv6' : 'ipv4');
}

export interface WebhookUrlPolicy {
  /** Outside production, or with WEBHOOK_ALLOW_PRIVATE_NETWORKS=true. */
  allowPrivateNetworks: boolean;
}

const MAX_URL_LENGTH = 2048;

/** The URL's host as an address or a name: `[::1]` → `::1`. */
const hostOf = (url: URL) => url.hostname.replace(/^\[(.*)\]$/, '$1');

/**
 * Every reason `raw` cannot receive webhooks, as field errors on `field`: http or https only, no
 * credentials in the URL, and (unless allowed) a host whose every address is public. The host is
 * resolved here, and again by every delivery's connection (see `checkedLookup`), so a name that
 * later resolves elsewhere is still refused.
 */
export async function webhookUrlProblems(
  raw: string,
  policy: WebhookUrlPolicy,
  field = 'url',
): Promise<FieldError[]> {
  const problem = (code: string, message: string) => [{ field, code, message }];
  if (raw.length > MAX_URL_LENGTH)
    return problem('too_long', `url must be at most ${MAX_URL_LENGTH} characters.`);
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return problem('invalid_url', 'url must be an absolute http or https URL.');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    return problem('unsupported_scheme', 'url must use http or https.');
  }
  if (url.username !== '' || url.password !== '') {
    return problem('credentials_in_url', 'url must not contain a user name or password.');
  }
  if (policy.allowPrivateNetworks) return [];
  const addresses = await resolve(hostOf(url));
  if (addresses === undefined)
    return problem('unresolvable_host', `The host "${url.hostname}" does not resolve.`);
  const refused = addresses.find(isNonPublicAddress);
  if (refused !== undefined) {
    return problem(
      'private_network',
      `The host resolves to ${refused}, on a loopback, link-local or private network; webhooks go to public addresses only.`,
    );
  }
  return [];
}

async function resolve(host: string): Promise<string[] | undefined> {
  if (isIP(host) !== 0) return [host];
  try {
    return (await lookup(host, { all: true, verbatim: true })).map((entry) => entry.address);
  } catch {
    return undefined;
  }
}

type LookupCallback = (
  error: NodeJS.ErrnoException | null,
  address: string | LookupAddress[],
  family?: number,
) => void;
interface LookupAddress {
  address: string;
  family: number;
}

/**
 * A `lookup` for the delivery's HTTP agent: the connection goes to an address checked here, so a
 * name re-pointed at a private address after the endpoint was saved (DNS rebinding) is refused.
 */
export function checkedLookup(policy: WebhookUrlPolicy) {
  return (hostname: string, options: { all?: boolean }, callback: LookupCallback): void => {
    lookup(hostname, { all: true, verbatim: true }).then(
      (entries) => {
        const refused = policy.allowPrivateNetworks
          ? undefined
          : entries.find((entry) => isNonPublicAddress(entry.address));
        if (refused !== undefined) {
          callback(
            Object.assign(new Error(`${hostname} resolves to a non-public address`), { code: 'EPRIVATE' }),
            [],
          );
        } else if (options.all === true) {
          callback(null, entries);
        } else {
          const [first] = entries;
          if (first === undefined)
            callback(Object.assign(new Error(`${hostname} does not resolve`), { code: 'ENOTFOUND' }), []);
          else callback(null, first.address, first.family);
        }
      },
      (error: NodeJS.ErrnoException) => callback(error, []),
    );
  };
}
