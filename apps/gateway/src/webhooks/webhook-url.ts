import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';

import { type FieldError } from '@app/domain';

import { describeNonPublic, isNonPublicAddress, nonPublicAddress } from './network-address';

export { isNonPublicAddress };

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
  for (const address of addresses) {
    const why = nonPublicAddress(address);
    if (why !== undefined) {
      return problem(
        'private_network',
        `The host resolves to ${describeNonPublic(address, why)}, not a public address; webhooks go to public addresses only.`,
      );
    }
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
