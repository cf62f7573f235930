import * as fc from 'fast-check';
import { formatIpv6, hostCidrs, ipv4CidrBlocks, networkContains, networkSize, networksOverlap, parseCidr, parseIpAddress } from '../../lib/core/network';


describe('hostCidrs', () => {
  test('exactly the hosts: IPv4 blocks, then each IPv6 address in canonical text; a name means any address', () => {
    expect(hostCidrs(['10.0.0.5', '[FD00::0B]', '10.0.0.4', '2001:db8::1', 'fd00::b'])).toEqual(['10.0.0.4/31', '2001:db8::1/128', 'fd00::b/128']);
    expect(hostCidrs(['10.0.0.4', 'camera.example'])).toEqual(['0.0.0.0/0', '::/0']);
    expect(hostCidrs([])).toEqual([]);
  });
});

describe('formatIpv6', () => {
  test('writes the canonical text: lower case, no leading zeros, the longest zero run (the first of equals) as ::', () => {
    const canonical = (address: string): string => formatIpv6(parseIpAddress(address)!.value);
    expect(canonical('FD00:0000:0000:0000:0000:0000:0000:000B')).toBe('fd00::b');
    expect(canonical('2001:db8:0:0:1:0:0:1')).toBe('2001:db8::1:0:0:1');
    expect(canonical('2001:db8:0:1:1:1:1:1')).toBe('2001:db8:0:1:1:1:1:1');
    expect(canonical('::')).toBe('::');
    expect(canonical('::1')).toBe('::1');
    expect(canonical('1::')).toBe('1::');
  });

  test('reads back as the same address, for any address', () => {
    fc.assert(fc.property(fc.bigInt({ min: 0n, max: (1n << 128n) - 1n }), (value) => {
      const text = formatIpv6(value);
      expect(parseIpAddress(text)).toEqual({ family: 6, value });
      expect(text).toBe(text.toLowerCase());
      expect(text.split('::').length).toBeLessThanOrEqual(2);
    }), { numRuns: 500 });
  });
});

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

describe('ipv4CidrBlocks: the fewest CIDR blocks that cover exactly a set of addresses', () => {
  const BASE = Number(parseIpAddress('10.0.0.0')!.value);
  const address = (value: number): string => [24, 16, 8, 0].map((shift) => Math.floor(value / 2 ** shift) % 256).join('.');
  const valueOf = (text: string): number => Number(parseIpAddress(text)!.value);
  /** A block as first address and size, from the CIDR text; the text must name its network exactly (no host bits set). */
  const blockOf = (cidr: string): { first: number; size: number } => {
    const network = parseCidr(cidr)!;
    expect({ cidr, exact: `${address(Number(network.base))}/${network.prefix}` }).toEqual({ cidr, exact: cidr });
    return { first: Number(network.base), size: Number(networkSize(network)) };
  };
  /** Offsets from 10.0.0.0 in a narrow range that crosses octet boundaries (256, 512). */
  const offsets = fc.uniqueArray(fc.integer({ min: 0, max: 700 }), { maxLength: 120 });

  test('examples: runs become aligned blocks, gaps split them, order and duplicates do not matter', () => {
    expect(ipv4CidrBlocks([])).toEqual([]);
    expect(ipv4CidrBlocks(['10.0.0.9', '10.0.0.7', '10.0.0.5', '10.0.0.4', '10.0.0.6', '10.0.0.9'])).toEqual(['10.0.0.4/30', '10.0.0.9/32']);
    // 1..14: not aligned at either end.
    expect(ipv4CidrBlocks(Array.from({ length: 14 }, (_, i) => `192.168.1.${i + 1}`)))
      .toEqual(['192.168.1.1/32', '192.168.1.2/31', '192.168.1.4/30', '192.168.1.8/30', '192.168.1.12/31', '192.168.1.14/32']);
    expect(ipv4CidrBlocks(Array.from({ length: 65536 }, (_, i) => address(BASE + i)))).toEqual(['10.0.0.0/16']);
    expect(ipv4CidrBlocks(['0.0.0.0', '0.0.0.1', '255.255.255.255', '255.255.255.254'])).toEqual(['0.0.0.0/31', '255.255.255.254/31']);
  });

  test('refuses what is not an IPv4 address', () => {
    expect(() => ipv4CidrBlocks(['10.0.0.1', 'camera.example'])).toThrow(/'camera\.example' is not an IPv4 address/);
    expect(() => ipv4CidrBlocks(['fd00::1'])).toThrow(/not an IPv4 address/);
    expect(() => ipv4CidrBlocks(['10.0.0.256'])).toThrow(/not an IPv4 address/);
  });

  test('covers every given address and no other, checked address by address around the set', () => {
    fc.assert(fc.property(offsets, (given) => {
      const blocks = ipv4CidrBlocks(given.map((o) => address(BASE + o))).map((cidr) => parseCidr(cidr)!);
      const wanted = new Set(given);
      // Every address of the range and 64 on either side: a block that spilled over would cover one of them.
      for (let offset = -64; offset <= 764; offset++) {
        const value = { family: 4 as const, value: BigInt(BASE + offset) };
        const covered = blocks.some((block) => networkContains(block, value));
        if (covered !== wanted.has(offset)) expect({ offset, covered }).toEqual({ offset, covered: wanted.has(offset) });
      }
    }), { numRuns: 200 });
  });

  test('by block arithmetic: aligned, disjoint, in address order, inside the set, and as many addresses as given', () => {
    const anywhere = fc.uniqueArray(fc.integer({ min: 0, max: 2 ** 32 - 1 }), { maxLength: 40 });
    const runs = fc.array(fc.tuple(fc.integer({ min: 0, max: 2 ** 32 - 1 }), fc.integer({ min: 1, max: 3000 })), { maxLength: 4 })
      .map((pairs) => [...new Set(pairs.flatMap(([start, length]) => Array.from({ length }, (_, i) => start + i).filter((v) => v < 2 ** 32)))]);
    fc.assert(fc.property(fc.oneof(anywhere, runs), (values) => {
      const wanted = new Set(values);
      const blocks = ipv4CidrBlocks(values.map(address)).map(blockOf);
      let covered = 0;
      blocks.forEach(({ first, size }, i) => {
        expect(first % size).toBe(0);
        if (i > 0) expect(first).toBeGreaterThanOrEqual(blocks[i - 1].first + blocks[i - 1].size);
        // Inside the set: its first and last address are given, and (with the count below) so is every one between.
        expect(wanted.has(first) && wanted.has(first + size - 1)).toBe(true);
        covered += size;
      });
      // Disjoint blocks of given addresses adding up to the number given cover exactly the set.
      expect(covered).toBe(wanted.size);
    }), { numRuns: 300 });
  });

  test('minimal: no exact cover by aligned blocks has fewer blocks, by trying every set of blocks of an 8-address universe', () => {
    // The 15 aligned blocks of 8 addresses as bit masks; every subset of them that is disjoint gives an exact cover of its union.
    const blocks: number[] = [];
    for (let size = 1; size <= 8; size *= 2) for (let first = 0; first < 8; first += size) blocks.push(((1 << size) - 1) << first);
    const fewest = new Array<number>(256).fill(Infinity);
    for (let chosen = 0; chosen < 1 << blocks.length; chosen++) {
      let union = 0;
      let count = 0;
      let disjoint = true;
      for (let b = 0; b < blocks.length && disjoint; b++) {
        if ((chosen & (1 << b)) === 0) continue;
        disjoint = (union & blocks[b]) === 0;
        union |= blocks[b];
        count++;
      }
      if (disjoint) fewest[union] = Math.min(fewest[union], count);
    }
    // Every subset of the universe, placed at aligned universes across the address space.
    fc.assert(fc.property(fc.integer({ min: 0, max: 2 ** 29 - 1 }), (universe) => {
      for (let set = 0; set < 256; set++) {
        const given = [0, 1, 2, 3, 4, 5, 6, 7].filter((bit) => set & (1 << bit)).map((bit) => address(universe * 8 + bit));
        const count = ipv4CidrBlocks(given).length;
        if (count !== fewest[set]) expect({ set, count }).toEqual({ set, count: fewest[set] });
      }
    }), { numRuns: 20, examples: [[0], [2 ** 29 - 1]] });
  });

  test('minimal on larger universes: as few blocks as splitting every partly given block in halves', () => {
    // The least number of aligned blocks covering exactly a set: 1 for a block wholly given, 0 for one
    // with none, otherwise the two halves' (an aligned block that is not wholly given must be split).
    const fewest = (given: ReadonlySet<number>, first: number, size: number): number => {
      let inside = 0;
      for (let v = first; v < first + size; v++) if (given.has(v)) inside++;
      if (inside === 0 || inside === size) return Math.min(inside, 1);
      return fewest(given, first, size / 2) + fewest(given, first + size / 2, size / 2);
    };
    const scattered = fc.uniqueArray(fc.integer({ min: 0, max: 1023 }), { maxLength: 400 });
    const runs = fc.array(fc.tuple(fc.integer({ min: 0, max: 1023 }), fc.integer({ min: 1, max: 300 })), { maxLength: 5 })
      .map((pairs) => [...new Set(pairs.flatMap(([start, length]) => Array.from({ length }, (_, i) => start + i).filter((v) => v < 1024)))]);
    fc.assert(fc.property(fc.oneof(scattered, runs), (given) => {
      expect(ipv4CidrBlocks(given.map((o) => address(BASE + o))).length).toBe(fewest(new Set(given), 0, 1024));
    }), { numRuns: 200 });
  });

  test('deterministic: the same blocks in address order, whatever the order and repetition of the input', () => {
    fc.assert(fc.property(offsets, fc.integer(), (given, seed) => {
      const addresses = given.map((o) => address(BASE + o));
      const shuffled = [...addresses, ...addresses.slice(0, 5)].sort((a, b) => ((valueOf(a) * 2654435761 + seed) % 97) - ((valueOf(b) * 2654435761 + seed) % 97));
      const blocks = ipv4CidrBlocks(addresses);
      expect(ipv4CidrBlocks(shuffled)).toEqual(blocks);
      const firsts = blocks.map((cidr) => valueOf(cidr.split('/')[0]));
      expect(firsts).toEqual([...firsts].sort((a, b) => a - b));
    }), { numRuns: 100 });
  });
});
