import { describeNonPublic, nonPublicAddress } from './network-address';

describe('nonPublicAddress (where webhooks may not go)', () => {
  it.each([
    ['127.0.0.1', 'loopback'],
    ['10.1.2.3', 'private'],
    ['172.16.0.1', 'private'],
    ['192.168.1.1', 'private'],
    ['169.254.169.254', 'linkLocal'],
    ['100.64.0.1', 'carrierGradeNat'],
    ['0.0.0.0', 'unspecified'],
    ['255.255.255.255', 'broadcast'],
    ['224.0.0.1', 'multicast'],
    ['192.0.2.1', 'reserved'],
    ['198.18.0.1', 'reserved'],
    ['::', 'unspecified'],
    ['::1', 'loopback'],
    ['fd00::1', 'uniqueLocal'],
    ['fe80::1', 'linkLocal'],
    ['ff02::1', 'multicast'],
    ['fec0::1', 'deprecatedSiteLocal'],
    ['2001:db8::1', 'reserved'],
    ['64:ff9b:1::a9fe:a9fe', 'rfc6052'],
  ])('refuses %s (%s)', (address, range) => {
    expect(nonPublicAddress(address)).toEqual({ range });
  });

  // The five transition prefixes of issue 31, each carrying an internal IPv4 address.
  it.each([
    ['64:ff9b::a9fe:a9fe', 'rfc6052', '169.254.169.254', 'linkLocal'],
    ['::a9fe:a9fe', 'ipv4Compatible', '169.254.169.254', 'linkLocal'],
    ['::7f00:1', 'ipv4Compatible', '127.0.0.1', 'loopback'],
    ['2002:a00:1::1', '6to4', '10.0.0.1', 'private'],
    // Teredo: server 65.54.227.120 is public, the client (bits flipped) is 192.168.1.1.
    ['2001:0:4136:e378:8000:63bf:3f57:fefe', 'teredo', '192.168.1.1', 'private'],
    ['2001:0:a9fe:a9fe::', 'teredo', '169.254.169.254', 'linkLocal'],
    ['::ffff:127.0.0.1', 'ipv4Mapped', '127.0.0.1', 'loopback'],
    ['::ffff:0:a00:1', 'rfc6145', '10.0.0.1', 'private'],
  ])('refuses %s: %s carrying %s (%s)', (address, range, embedded, embeddedRange) => {
    expect(nonPublicAddress(address)).toEqual({
      range,
      embedded: { address: embedded, range: embeddedRange },
    });
  });

  it('refuses fec0::/10, the deprecated site-local range, whatever follows', () => {
    expect(nonPublicAddress('fec0::a9fe:a9fe')).toEqual({ range: 'deprecatedSiteLocal' });
    expect(nonPublicAddress('feff:ffff::1')).toEqual({ range: 'deprecatedSiteLocal' });
  });

  it('refuses an address with a zone index, and anything that is no address', () => {
    expect(nonPublicAddress('fe80::1%eth0')).toEqual({ range: 'zoned' });
    expect(nonPublicAddress('2606:2800:220:1::1%1')).toEqual({ range: 'zoned' });
    expect(nonPublicAddress('example.com')).toEqual({ range: 'invalid' });
  });

  it.each([
    '93.184.215.14',
    '8.8.8.8',
    '2606:2800:220:1:248:1893:25c8:1946',
    // Transition addresses carrying a public IPv4 address reach only that address.
    '64:ff9b::5db8:d70e',
    '2002:5db8:d70e::1',
    '::ffff:93.184.215.14',
    '2001:0:4136:e378:8000:63bf:a247:28f1',
  ])('lets %s through', (address) => {
    expect(nonPublicAddress(address)).toBeUndefined();
  });

  it('says which address a transition address carries', () => {
    expect(describeNonPublic('64:ff9b::a9fe:a9fe', nonPublicAddress('64:ff9b::a9fe:a9fe')!)).toBe(
      '64:ff9b::a9fe:a9fe (rfc6052, embedding 169.254.169.254, linkLocal)',
    );
  });
});
