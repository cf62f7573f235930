/** An IPv4 CIDR with octets up to 255 and a prefix up to 32, or an IPv6 CIDR: the API server refuses other ipBlocks. */
export function isCidr(cidr: string): boolean {
  const v4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(cidr);
  if (v4) return v4.slice(1, 5).every((octet) => Number(octet) <= 255) && Number(v4[5]) <= 32;
  const v6 = /^[0-9a-fA-F:]+\/(\d{1,3})$/.exec(cidr);
  return v6 !== null && cidr.split('::').length <= 2 && Number(v6[1]) <= 128;
}

/** An IP address or a CIDR, as MediaMTX and ipBlocks accept them. */
export function isAddressOrCidr(value: string): boolean {
  return isCidr(value) || isCidr(`${value}/${value.includes(':') ? 128 : 32}`);
}

/** An IPv4 or IPv6 network: its family, first address as a number, and prefix length. */
export interface IpNetwork {
  readonly family: 4 | 6;
  readonly base: bigint;
  readonly prefix: number;
}

/** Parses an IPv4 address (dotted quad) or an IPv6 address (with at most one `::`); undefined otherwise. */
export function parseIpAddress(address: string): { family: 4 | 6; value: bigint } | undefined {
  const v4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(address);
  if (v4) {
    const octets = v4.slice(1).map(Number);
    if (octets.some((octet) => octet > 255)) return undefined;
    return { family: 4, value: octets.reduce((sum, octet) => (sum << 8n) + BigInt(octet), 0n) };
  }
  const halves = address.split('::');
  if (halves.length > 2 || !/^[0-9a-fA-F:]+$/.test(address)) return undefined;
  const groupsOf = (half: string): string[] => (half === '' ? [] : half.split(':'));
  const head = groupsOf(halves[0]);
  const tail = halves.length === 2 ? groupsOf(halves[1]) : [];
  const missing = 8 - head.length - tail.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return undefined;
  const groups = [...head, ...Array<string>(halves.length === 2 ? missing : 0).fill('0'), ...tail];
  if (groups.some((group) => !/^[0-9a-fA-F]{1,4}$/.test(group))) return undefined;
  return { family: 6, value: groups.reduce((sum, group) => (sum << 16n) + BigInt(parseInt(group, 16)), 0n) };
}

/** Parses `address/prefix` into the network it names (host bits cleared); undefined if it is not a CIDR. */
export function parseCidr(cidr: string): IpNetwork | undefined {
  const match = /^([^/]+)\/(\d{1,3})$/.exec(cidr);
  const address = match ? parseIpAddress(match[1]) : undefined;
  if (!match || !address) return undefined;
  const prefix = Number(match[2]);
  const bits = address.family === 4 ? 32 : 128;
  if (prefix > bits) return undefined;
  const hostBits = BigInt(bits - prefix);
  return { family: address.family, base: (address.value >> hostBits) << hostBits, prefix };
}

/** The number of addresses in a network. */
export function networkSize(network: IpNetwork): bigint {
  return 1n << BigInt((network.family === 4 ? 32 : 128) - network.prefix);
}

/** Whether `value` (an address of the same family) lies inside `network`. */
export function networkContains(network: IpNetwork, address: { family: 4 | 6; value: bigint }): boolean {
  return address.family === network.family && address.value >= network.base && address.value < network.base + networkSize(network);
}

/** Whether two networks share any address. */
export function networksOverlap(a: IpNetwork, b: IpNetwork): boolean {
  return a.family === b.family && a.base < b.base + networkSize(b) && b.base < a.base + networkSize(a);
}

/**
 * An IPv6 address in its canonical text (RFC 5952): lower-case hex groups without leading zeros,
 * the longest run of two or more zero groups (the first of equals) written `::`. The API server
 * keeps ipBlocks as written, so one address always reads the same.
 */
export function formatIpv6(value: bigint): string {
  const groups = Array.from({ length: 8 }, (_, i) => Number((value >> BigInt(16 * (7 - i))) & 0xffffn));
  let [runStart, runLength] = [-1, 0];
  for (let i = 0; i < 8; i++) {
    let length = 0;
    while (i + length < 8 && groups[i + length] === 0) length++;
    if (length >= 2 && length > runLength) [runStart, runLength] = [i, length];
  }
  const text = (part: number[]): string => part.map((group) => group.toString(16)).join(':');
  return runStart < 0 ? text(groups) : `${text(groups.slice(0, runStart))}::${text(groups.slice(runStart + runLength))}`;
}

const IPV4_ADDRESSES = 2 ** 32;

/**
 * The fewest IPv4 CIDR blocks that hold every one of `addresses` and no other address, in
 * address order: `['10.0.0.4', '10.0.0.5', '10.0.0.6', '10.0.0.7', '10.0.0.9']` gives
 * `['10.0.0.4/30', '10.0.0.9/32']`. The order and duplicates of the input change nothing.
 *
 * Why: a NetworkPolicy with one `/32` per camera grows by about 53 bytes of YAML per camera
 * (522 KiB at 10,000 cameras, past what the API server takes long before 50,000), while
 * cameras numbered in runs take a few blocks. A block never covers an address that is not
 * given, so the policy lets out exactly what the list of addresses did.
 *
 * Each run of consecutive addresses is cut, from its start, into the largest block that starts
 * there (aligned on its size) and does not run past its end; a block never spans a gap, and no
 * fewer blocks can cover a run exactly.
 * @param addresses IPv4 addresses as dotted quads; anything else is a programming error and throws
 */
export function ipv4CidrBlocks(addresses: readonly string[]): string[] {
  const values = [...new Set(addresses.map(ipv4Value))].sort((a, b) => a - b);
  const blocks: string[] = [];
  for (let i = 0; i < values.length;) {
    let end = i;
    while (end + 1 < values.length && values[end + 1] === values[end] + 1) end++;
    blocks.push(...rangeBlocks(values[i], values[end]));
    i = end + 1;
  }
  return blocks;
}

/** The blocks that cover the addresses from `first` to `last` (both included) exactly, largest first at each step. */
function rangeBlocks(first: number, last: number): string[] {
  const blocks: string[] = [];
  for (let start = first; start <= last;) {
    let size = 1;
    // Grow while the doubled block still starts here (aligned) and ends within the range.
    while (size < IPV4_ADDRESSES && start % (size * 2) === 0 && start + size * 2 - 1 <= last) size *= 2;
    blocks.push(`${dottedQuad(start)}/${32 - Math.log2(size)}`);
    start += size;
  }
  return blocks;
}

function ipv4Value(address: string): number {
  const parsed = parseIpAddress(address);
  if (parsed?.family !== 4) throw new Error(`ipv4CidrBlocks: '${address}' is not an IPv4 address`);
  return Number(parsed.value);
}

function dottedQuad(value: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(value / 2 ** shift) % 256).join('.');
}

/** Every IPv4 and every IPv6 address: where a host given by name may be. */
export const ANY_ADDRESS: readonly string[] = ['0.0.0.0/0', '::/0'];

/**
 * The CIDR blocks that hold exactly the addresses of `hosts` (IP addresses, IPv6 with or without
 * the brackets of a URL): the fewest IPv4 blocks ({@link ipv4CidrBlocks}), then each IPv6
 * address as its `/128` in canonical text, in address order. If any host is a name, every IPv4
 * and IPv6 address ({@link ANY_ADDRESS}): a NetworkPolicy matches addresses, never names, and
 * the address a name resolves to is known only at run time, and may change.
 */
export function hostCidrs(hosts: readonly string[]): string[] {
  const addresses = hosts.map((host) => parseIpAddress(host.replace(/^\[(.*)\]$/, '$1')));
  if (addresses.some((address) => address === undefined)) return [...ANY_ADDRESS];
  const ipv4 = hosts.filter((_, i) => addresses[i]!.family === 4);
  const ipv6 = [...new Set(addresses.flatMap((address) => (address!.family === 6 ? [address!.value] : [])))]
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
    .map((value) => `${formatIpv6(value)}/128`);
  return [...ipv4CidrBlocks(ipv4), ...ipv6];
}
