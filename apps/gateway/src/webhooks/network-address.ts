import ipaddr from 'ipaddr.js';

/** Where an address is, when a webhook may not go there. */
export interface NonPublicAddress {
  /** ipaddr.js's name of the special-purpose range, e.g. `linkLocal`, `rfc6052`, `6to4`. */
  range: string;
  /** The IPv4 address a transition address embeds, when that is what made it non-public. */
  embedded?: { address: string; range: string };
}

/** ipaddr.js names every IANA special-purpose range; only what falls in none of them is public. */
const PUBLIC = 'unicast';

/**
 * IPv6 transition ranges whose traffic a router hands to an IPv4 address written into the IPv6
 * one: the address is as public as that IPv4 address (each one, for Teredo), so
 * `[64:ff9b::a9fe:a9fe]` is the metadata address 169.254.169.254 reached through NAT64.
 */
const EMBEDDING: Record<string, (parts: number[]) => number[][]> = {
  // IPv4-mapped (RFC 4291 §2.5.5.2) and IPv4-translated (RFC 6145): the last 32 bits.
  ipv4Mapped: (parts) => [last32(parts)],
  rfc6145: (parts) => [last32(parts)],
  // NAT64's well-known prefix 64:ff9b::/96 (RFC 6052 §2.1): the last 32 bits. Its local-use
  // sibling 64:ff9b:1::/48 (RFC 8215) is a network's own, so it is never public (see below).
  rfc6052: (parts) => [last32(parts)],
  // 6to4 (RFC 3056 §2): 2002:AABB:CCDD::/48 embeds AA.BB.CC.DD.
  '6to4': (parts) => [octets(parts[1]!, parts[2]!)],
  // Teredo (RFC 4380 §4): the server's IPv4 in bits 32-63, the client's in the last 32 bits with
  // every bit flipped.
  teredo: (parts) => [octets(parts[2]!, parts[3]!), octets(parts[6]! ^ 0xffff, parts[7]! ^ 0xffff)],
};

function octets(high: number, low: number): number[] {
  return [high >> 8, high & 0xff, low >> 8, low & 0xff];
}

function last32(parts: number[]): number[] {
  return octets(parts[6]!, parts[7]!);
}

/** `::/96` minus `::` and `::1`: IPv4-compatible addresses (RFC 4291 §2.5.5.1, deprecated), which ipaddr.js calls unicast. */
function isIpv4Compatible(address: ipaddr.IPv6): boolean {
  return address.parts.slice(0, 6).every((part) => part === 0) && address.range() === PUBLIC;
}

function classifyIpv4(bytes: number[]): NonPublicAddress | undefined {
  const address = new ipaddr.IPv4(bytes);
  const range = address.range();
  return range === PUBLIC ? undefined : { range };
}

/**
 * Why webhooks may not go to `address` (IPv4 or IPv6, as DNS answers or a URL gives it), or
 * undefined when it is public: every IANA special-purpose range ipaddr.js knows
 * (https://www.iana.org/assignments/iana-ipv4-special-registry/,
 * https://www.iana.org/assignments/iana-ipv6-special-registry/), IPv6 transition addresses judged by
 * the IPv4 address they carry, and anything that does not parse.
 */
export function nonPublicAddress(address: string): NonPublicAddress | undefined {
  if (!ipaddr.isValid(address)) return { range: 'invalid' };
  const parsed = ipaddr.parse(address);
  if (parsed.kind() === 'ipv4') return classifyIpv4((parsed as ipaddr.IPv4).octets);
  const ipv6 = parsed as ipaddr.IPv6;
  // A zone index (`fe80::1%eth0`) names an interface of this host: never public.
  if (ipv6.zoneId !== undefined) return { range: 'zoned' };
  const range = isIpv4Compatible(ipv6) ? 'ipv4Compatible' : ipv6.range();
  const embedding = range === 'ipv4Compatible' ? [last32(ipv6.parts)] : EMBEDDING[range]?.(ipv6.parts);
  const localUseNat64 = range === 'rfc6052' && ipv6.parts[2] !== 0;
  if (embedding === undefined || localUseNat64) return range === PUBLIC ? undefined : { range };
  for (const bytes of embedding) {
    const refused = classifyIpv4(bytes);
    if (refused !== undefined) return { range, embedded: { address: bytes.join('.'), range: refused.range } };
  }
  return undefined;
}

/** Whether webhooks may not go to `address`: see `nonPublicAddress`. */
export function isNonPublicAddress(address: string): boolean {
  return nonPublicAddress(address) !== undefined;
}

/** `169.254.169.254 (linkLocal)`, or `64:ff9b::a9fe:a9fe (rfc6052, embedding 169.254.169.254, linkLocal)`. */
export function describeNonPublic(address: string, why: NonPublicAddress): string {
  const embedded =
    why.embedded !== undefined ? `, embedding ${why.embedded.address}, ${why.embedded.range}` : '';
  return `${address} (${why.range}${embedded})`;
}
