import * as fc from 'fast-check';
import { networkContains, networkSize, networksOverlap, parseCidr, parseIpAddress } from '../../lib/core/network';

describe('IP networks', () => {
  test('parse IPv4 and IPv6 addresses, and refuse what is neither', () => {
    expect(parseIpAddress('10.43.0.10')).toEqual({ family: 4, value: (10n << 24n) + (43n << 16n) + 10n });
    expect(parseIpAddress('::1')).toEqual({ family: 6, value: 1n });
    expect(parseIpAddress('fd00::a')).toEqual({ family: 6, value: (0xfd00n << 112n) + 10n });
    expect(parseIpAddress('1:2:3:4:5:6:7:8')?.value).toBe(0x00010002000300040005000600070008n);
    for (const bad of ['10.43.0', '10.43.0.256', '1::2::3', '1:2:3:4:5:6:7:8:9', '1:2:3:4:5:6:7', '12345::', 'g::1', '1:2:3:4::5:6:7:8', '']) {
      expect({ bad, parsed: parseIpAddress(bad) }).toEqual({ bad, parsed: undefined });
    }
  });

  test('a CIDR names its network with the host bits cleared', () => {
    expect(parseCidr('10.43.7.9/16')).toEqual({ family: 4, base: (10n << 24n) + (43n << 16n), prefix: 16 });
    expect(parseCidr('10.43.0.0/33')).toBeUndefined();
    expect(parseCidr('fd00::/129')).toBeUndefined();
    expect(networkSize(parseCidr('10.43.0.0/20')!)).toBe(4096n);
  });

  test('containment and overlap agree with comparing every address of small IPv4 networks', () => {
    const octet = fc.integer({ min: 0, max: 255 });
    const smallNetwork = fc.tuple(octet, fc.integer({ min: 24, max: 32 })).map(([last, prefix]) => parseCidr(`10.0.0.${last}/${prefix}`)!);
    const addressesOf = (network: { base: bigint; prefix: number }): bigint[] => Array.from({ length: 2 ** (32 - network.prefix) }, (_, i) => network.base + BigInt(i));
    fc.assert(fc.property(smallNetwork, smallNetwork, octet, (a, b, last) => {
      const address = parseIpAddress(`10.0.0.${last}`)!;
      expect(networkContains(a, address)).toBe(addressesOf(a).includes(address.value));
      expect(networksOverlap(a, b)).toBe(addressesOf(a).some((value) => addressesOf(b).includes(value)));
    }), { numRuns: 200 });
  });

  test('an IPv4 network never contains or overlaps an IPv6 one', () => {
    expect(networkContains(parseCidr('0.0.0.0/0')!, parseIpAddress('::a')!)).toBe(false);
    expect(networksOverlap(parseCidr('0.0.0.0/0')!, parseCidr('::/0')!)).toBe(false);
  });
});
