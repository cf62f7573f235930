/**
 * Shard placement by bounded-load consistent hashing on a ring (Mirrokni, Thorup and
 * Zadimoghaddam, "Consistent Hashing with Bounded Loads", 2018).
 *
 * Chosen over rendezvous hashing, whose cost grows with cameras × shards: the shard count
 * follows the camera count, so that cost is quadratic, and 10,000 cameras took seconds.
 */

/**
 * Virtual points each shard owns on the ring.
 *
 * A shard's share of the ring is the sum of the arcs ending at its points, so its relative
 * spread is about `1 / sqrt(V)`: 10% at V = 100. At the platform's mean of 8 cameras per shard
 * the Poisson spread of the camera count alone is 35% (2.83 cameras), so V only needs to keep
 * the ring's share of the spread small. Measured with 10,000 and 100,000 cameras, 8 per shard
 * and capacity 16: the standard deviation of the unbounded load is 3.8 cameras at V = 10,
 * 3.2 at V = 25, 3.05 at V = 50, 2.97 at V = 100 and 2.95 at V = 200, and cameras off their
 * first choice are 0.9-1.1%, 0.25-0.33%, 0.18-0.19%, 0.05-0.13% and 0.09-0.11%. Time is linear
 * in V because hashing and sorting the points is most of the work (12.5 points per camera at
 * V = 100), so V = 100 is where more points stop buying balance.
 *
 * Changing V moves most cameras, like any change to the hash.
 */
export const VIRTUAL_POINTS_PER_SHARD = 100;

/**
 * Splits camera ids into `shardCount` shards of at most `capacity` cameras with bounded-load
 * consistent hashing on a ring.
 *
 * The ring has 2^53 positions. Each shard owns {@link VIRTUAL_POINTS_PER_SHARD} points on it,
 * at the hash of `${shard}#${v}` for `v` in `0..V-1`; each camera sits at the hash of its id.
 * Cameras are placed one by one in {@link placementOrder} (by ring position, ties by id), and
 * each walks clockwise from its position, wrapping past the top, to the first point whose
 * shard still has room. A point at exactly the camera's position counts as met; points at
 * equal positions are met in the order of (shard, v). The shard of the first point met is
 * the camera's first choice ({@link rankShards}`[0]`).
 *
 * The hash is MurmurHash3 (x86, 32-bit) of the UTF-8 bytes of the string, once with seed
 * `0x9e3779b9` for the 32 high bits of the position and once with seed `0x85ebca6b` for the
 * 21 low bits (its top 21 bits). It uses only 32-bit integer arithmetic, which ECMAScript
 * defines exactly, and positions are integers below 2^53, which doubles hold exactly.
 *
 * Cost: one hash per camera and per virtual point, bucket sorts (linear for hashed positions),
 * a merge of the two sorted lists, and a union-find that lets walks skip the points of full
 * shards instead of stepping over them again. Time is O(cameras + shardCount × V), apart from
 * the small union-find factor on walks that overflow.
 *
 * Guarantees, for a fixed `shardCount` and `capacity`:
 * - every camera is in exactly one shard and no shard holds more than `capacity` cameras;
 * - the result depends only on the set of ids, not on their order, and is identical on every
 *   platform and Node version;
 * - a camera sits in its first-choice shard unless that shard was already full when the
 *   camera's turn came.
 *
 * Stability when the camera set changes by one camera X (added or removed), comparing the
 * assignment with X to the one without it. A camera's place in {@link placementOrder} and its
 * walk depend only on its own id, and its shard only on its walk and on which shards are
 * full when its turn comes. Cameras before X therefore see identical fill levels and stay.
 * After X's turn the fill levels differ by exactly one camera, in one shard. Hence:
 * - no other camera moves if the shard holding X is below `capacity` in the assignment that
 *   contains X, since then no later camera finds a different set of full shards. It also
 *   holds whenever every camera of that assignment sits in its first-choice shard, in
 *   particular whenever no shard is full;
 * - otherwise other cameras can move, but only cameras that come after X in
 *   {@link placementOrder}, and only one shard changes size (by one): each camera that moves
 *   hands the one-camera difference on to the next shard of its walk.
 *
 * No amount of total spare room (`shardCount * capacity - cameraIds.length`) short of
 * `capacity >= cameraIds.length` guarantees stability by itself, because hashing can give many
 * cameras the same first choice. Size `capacity` with headroom above the mean load
 * `cameraIds.length / shardCount` so that shards are rarely full; at a mean of 8 and a capacity
 * of 16, about 0.1% of cameras miss their first choice.
 *
 * Stability when `shardCount` grows by one: the old points keep their positions and the new
 * shard's points are added, so a camera's first choice changes exactly when its walk now meets
 * a point of the new shard first. If neither assignment has a full shard, those are exactly the
 * cameras that move, and all move to the new shard: on average 1/(shardCount + 1) of the
 * cameras, with a relative spread of about 1/sqrt(V) from the luck of the new points. With full
 * shards the load bound can pass the change on, as with an added camera, and move more.
 *
 * @param cameraIds unique camera ids.
 * @param shardCount number of shards, an integer >= 1.
 * @param capacity most cameras one shard may hold, an integer >= 1;
 *   `shardCount * capacity` must be at least `cameraIds.length`.
 * @returns for each shard index `0..shardCount-1`, its camera ids sorted.
 * @throws Error when an argument breaks the rules above or ids repeat.
 */
export function assignShards(cameraIds: readonly string[], shardCount: number, capacity: number): string[][] {
  requireIntegerAtLeast('assignShards', 'shardCount', shardCount, 1);
  requireIntegerAtLeast('assignShards', 'capacity', capacity, 1);
  requireRoomForAll(cameraIds.length, shardCount, capacity);
  requireUniqueIds(cameraIds);

  const shards = placeCameras(camerasInPlacementOrder(cameraIds), buildRing(shardCount), capacity);
  return shards.map((members) => members.sort());
}

/**
 * Number of shards needed to hold `cameraCount` cameras at
 * `camerasPerShard` each: `ceil(cameraCount / camerasPerShard)`, at least 1.
 *
 * Pass a `capacity` larger than `camerasPerShard` to {@link assignShards}
 * to keep the headroom its stability guarantee relies on.
 *
 * @param cameraCount number of cameras, an integer >= 0.
 * @param camerasPerShard target cameras per shard, an integer >= 1.
 */
export function shardCountFor(cameraCount: number, camerasPerShard: number): number {
  requireIntegerAtLeast('shardCountFor', 'cameraCount', cameraCount, 0);
  requireIntegerAtLeast('shardCountFor', 'camerasPerShard', camerasPerShard, 1);
  return Math.max(1, Math.ceil(cameraCount / camerasPerShard));
}

/**
 * Shard indexes `0..shardCount-1` in the order `cameraId`'s clockwise walk meets them, first
 * choice first: {@link assignShards} gives the camera the first of them with room. Growing
 * `shardCount` never reorders the existing shards, because it only adds points.
 *
 * Builds the whole ring, so it costs as much as a small assignment: meant for inspection and
 * tests, not for loops over many cameras.
 *
 * @param cameraId any string.
 * @param shardCount number of shards, an integer >= 1.
 */
export function rankShards(cameraId: string, shardCount: number): number[] {
  requireIntegerAtLeast('rankShards', 'shardCount', shardCount, 1);
  const ring = buildRing(shardCount);
  const start = firstPointAtOrAfter(ring, positionOf(cameraId), 0);
  const seen = new Set<number>();
  for (let step = 0; step < ring.owners.length && seen.size < shardCount; step++) {
    seen.add(ring.owners[(start + step) % ring.owners.length]);
  }
  return [...seen];
}

/**
 * The order in which {@link assignShards} places cameras: clockwise by ring position, ties
 * broken by id.
 *
 * A camera's position depends only on its own id, which is what keeps a change to one camera
 * from disturbing the cameras before it. Unlike the walk, the order does not depend on the
 * number of shards either.
 *
 * @param cameraIds camera ids, in any order.
 */
export function placementOrder(cameraIds: readonly string[]): string[] {
  return camerasInPlacementOrder(cameraIds).ids;
}

/** Every virtual point in clockwise order, with the shard that owns it. */
interface Ring {
  readonly shardCount: number;
  readonly positions: Float64Array;
  readonly owners: Uint32Array;
}

/** Cameras in placement order, with their ring positions. */
interface OrderedCameras {
  readonly ids: string[];
  readonly positions: Float64Array;
}

/** Ring positions in clockwise order, each with the index it had before sorting. */
interface SortedPositions {
  readonly positions: Float64Array;
  readonly indexes: Uint32Array;
}

function buildRing(shardCount: number): Ring {
  // Point i is (shard, v) = (floor(i / V), i % V). Equal positions keep that order, which puts
  // a new shard's points after old points at the same position.
  const sorted = sortByPosition(virtualPointPositions(shardCount));
  const owners = sorted.indexes;
  for (let i = 0; i < owners.length; i++) {
    owners[i] = Math.floor(owners[i] / VIRTUAL_POINTS_PER_SHARD);
  }
  return { shardCount, positions: sorted.positions, owners };
}

/** UTF-8 of `${v}` for every v, spelled once rather than once per shard. */
const VIRTUAL_POINT_SUFFIXES: readonly Uint8Array[] = Array.from({ length: VIRTUAL_POINTS_PER_SHARD }, (_, v) =>
  new TextEncoder().encode(`${v}`),
);

/**
 * The position of `${shard}#${v}` for every point. The bytes of `v` are copied after the
 * shard's prefix rather than spelled into a new string: per point, that would cost as much as
 * hashing.
 */
function virtualPointPositions(shardCount: number): Float64Array {
  const positions = new Float64Array(shardCount * VIRTUAL_POINTS_PER_SHARD);
  for (let shard = 0; shard < shardCount; shard++) {
    const prefixLength = encodeUtf8(`${shard}#`);
    reserveScratch(prefixLength + MAX_SUFFIX_LENGTH);
    for (let v = 0; v < VIRTUAL_POINTS_PER_SHARD; v++) {
      const suffix = VIRTUAL_POINT_SUFFIXES[v];
      for (let i = 0; i < suffix.length; i++) {
        utf8Scratch[prefixLength + i] = suffix[i];
      }
      positions[shard * VIRTUAL_POINTS_PER_SHARD + v] = positionOfBytes(prefixLength + suffix.length);
    }
  }
  return positions;
}

const MAX_SUFFIX_LENGTH = Math.max(...VIRTUAL_POINT_SUFFIXES.map((suffix) => suffix.length));

function camerasInPlacementOrder(cameraIds: readonly string[]): OrderedCameras {
  const unsorted = new Float64Array(cameraIds.length);
  for (let i = 0; i < cameraIds.length; i++) {
    unsorted[i] = positionOf(cameraIds[i]);
  }
  const sorted = sortByPosition(unsorted);
  const ids = new Array<string>(cameraIds.length);
  for (let i = 0; i < ids.length; i++) {
    ids[i] = cameraIds[sorted.indexes[i]];
  }
  sortEqualPositionsById(ids, sorted.positions);
  return { ids, positions: sorted.positions };
}

/**
 * The sort leaves cameras at one position in input order; sorting those runs by id removes
 * the last trace of the input order. Such runs need a 53-bit collision, so this is almost
 * always a single pass that finds nothing to do.
 */
function sortEqualPositionsById(ids: string[], positions: Float64Array): void {
  let runStart = 0;
  for (let i = 1; i <= ids.length; i++) {
    if (i === ids.length || positions[i] !== positions[runStart]) {
      if (i - runStart > 1) {
        ids.splice(runStart, i - runStart, ...ids.slice(runStart, i).sort(compareAscending));
      }
      runStart = i;
    }
  }
}

/**
 * Average positions per bucket in {@link sortByPosition}: few enough that the insertion sort
 * has little left to do, enough that the bucket counts stay a small share of the memory.
 */
const POSITIONS_PER_BUCKET = 4;

/**
 * Sorts ring positions, equal positions in index order, in expected linear time: hashed
 * positions are uniform, so a bucket pass leaves only a few positions per bucket and an
 * insertion sort finishes the job with about one move per position. Array.prototype.sort
 * would add a log factor, and its tie order would belong to the engine, not to us.
 */
function sortByPosition(unsorted: Float64Array): SortedPositions {
  const count = unsorted.length;
  let bucketBits = 0;
  while (2 ** bucketBits * POSITIONS_PER_BUCKET < count) {
    bucketBits++;
  }
  const bucketWidth = 2 ** (RING_BITS - bucketBits);

  // next[b] ends up as the first free slot of bucket b, filled in index order to keep ties stable.
  const next = new Uint32Array(2 ** bucketBits + 1);
  for (let i = 0; i < count; i++) {
    next[Math.floor(unsorted[i] / bucketWidth) + 1]++;
  }
  for (let bucket = 1; bucket < next.length; bucket++) {
    next[bucket] += next[bucket - 1];
  }
  const positions = new Float64Array(count);
  const indexes = new Uint32Array(count);
  for (let i = 0; i < count; i++) {
    const slot = next[Math.floor(unsorted[i] / bucketWidth)]++;
    positions[slot] = unsorted[i];
    indexes[slot] = i;
  }
  insertionSort(positions, indexes);
  return { positions, indexes };
}

/** Stable: an entry only moves past strictly greater positions. */
function insertionSort(positions: Float64Array, indexes: Uint32Array): void {
  for (let i = 1; i < positions.length; i++) {
    const position = positions[i];
    const index = indexes[i];
    let j = i - 1;
    while (j >= 0 && positions[j] > position) {
      positions[j + 1] = positions[j];
      indexes[j + 1] = indexes[j];
      j--;
    }
    positions[j + 1] = position;
    indexes[j + 1] = index;
  }
}

function placeCameras(cameras: OrderedCameras, ring: Ring, capacity: number): string[][] {
  const shards: string[][] = Array.from({ length: ring.shardCount }, () => []);
  const open = new OpenPoints(ring);
  let firstMet = 0;
  for (let i = 0; i < cameras.ids.length; i++) {
    // Cameras come in ring order, so the first point each one meets only moves clockwise.
    firstMet = firstPointAtOrAfter(ring, cameras.positions[i], firstMet);
    const shard = ring.owners[open.firstOpenFrom(firstMet, cameras.ids[i])];
    shards[shard].push(cameras.ids[i]);
    if (shards[shard].length === capacity) {
      open.closeShard(shard);
    }
  }
  return shards;
}

/** Index of the first point at or after `position`, scanning from `from`; the point count means "wrap to 0". */
function firstPointAtOrAfter(ring: Ring, position: number, from: number): number {
  let point = from;
  while (point < ring.positions.length && ring.positions[point] < position) {
    point++;
  }
  return point;
}

/**
 * The points of shards with room, found through a union-find over ring indexes: a point of a
 * full shard, once walked over, links to a later point, and path halving shortens the links.
 * Without it a camera facing a run of full shards would step over their points one by one,
 * which with tight capacity turns quadratic. Points are closed lazily, when a walk first
 * meets them, so filling a shard costs nothing and only walked-over points are ever touched.
 */
class OpenPoints {
  /** 0 while nothing is known; otherwise an index past `i` with every point in between closed. */
  private readonly links: Uint32Array;
  private readonly full: Uint8Array;

  constructor(private readonly ring: Ring) {
    // One extra entry, never linked, stands for "past the top of the ring".
    this.links = new Uint32Array(ring.owners.length + 1);
    this.full = new Uint8Array(ring.shardCount);
  }

  /** The first open point clockwise from `point` (the point count means 0), wrapping past the top. */
  firstOpenFrom(point: number, cameraId: string): number {
    const pastTop = this.ring.owners.length;
    let found = this.find(point);
    if (found === pastTop) {
      found = this.find(0);
    }
    if (found === pastTop) {
      // requireRoomForAll makes this unreachable; failing loudly beats silently dropping a camera.
      throw new Error(`assignShards: no shard has room for '${cameraId}'. This is a bug in assignShards`);
    }
    return found;
  }

  closeShard(shard: number): void {
    this.full[shard] = 1;
  }

  private find(point: number): number {
    const pastTop = this.ring.owners.length;
    let current = point;
    while (current < pastTop) {
      let link = this.links[current];
      if (link === 0) {
        if (this.full[this.ring.owners[current]] === 0) {
          return current;
        }
        link = current + 1;
      }
      // Path halving: skip straight to where the next point leads, if it leads anywhere.
      this.links[current] = this.links[link] || link;
      current = link;
    }
    return pastTop;
  }
}

/** The ring has 2^RING_BITS positions: as many as a double holds exactly. */
const RING_BITS = 53;
/** Bits of the position taken from the second hash; the first gives the other 32. */
const LOW_BITS = RING_BITS - 32;
const SEED_HIGH = 0x9e3779b9;
const SEED_LOW = 0x85ebca6b;

function positionOf(text: string): number {
  return positionOfBytes(encodeUtf8(text));
}

/**
 * Ring position of the first `length` bytes of {@link utf8Scratch}:
 * `murmur3(bytes, SEED_HIGH) * 2^21 + (murmur3(bytes, SEED_LOW) >>> 11)`.
 */
function positionOfBytes(length: number): number {
  const [high, low] = murmur3TwoSeeds(utf8Scratch, length, SEED_HIGH, SEED_LOW);
  return high * 2 ** LOW_BITS + (low >>> (32 - LOW_BITS));
}

/**
 * Reused between calls: allocating a buffer per hash would cost more than the hash. Safe
 * because hashing is synchronous and nothing keeps the buffer past one hash.
 */
let utf8Scratch = new Uint8Array(64);

/** Grows {@link utf8Scratch} to at least `byteCount` bytes, keeping what is already written. */
function reserveScratch(byteCount: number): void {
  if (utf8Scratch.length < byteCount) {
    const grown = new Uint8Array(Math.max(byteCount, 2 * utf8Scratch.length));
    grown.set(utf8Scratch);
    utf8Scratch = grown;
  }
}

/**
 * Writes `text` as UTF-8 into {@link utf8Scratch} and returns the byte count. By hand rather than
 * with TextEncoder, which costs an allocation per call, and so that a lone surrogate keeps its
 * own 3-byte form instead of becoming U+FFFD: distinct ids stay distinct byte strings.
 */
function encodeUtf8(text: string): number {
  // At most 3 bytes per UTF-16 unit: a surrogate pair is 2 units and 4 bytes.
  reserveScratch(text.length * 3);
  const bytes = utf8Scratch;
  let length = 0;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit < 0x80) {
      bytes[length++] = unit;
    } else if (unit < 0x800) {
      bytes[length++] = 0xc0 | (unit >>> 6);
      bytes[length++] = 0x80 | (unit & 0x3f);
    } else if (isSurrogatePair(text, i)) {
      const codePoint = 0x10000 + ((unit - 0xd800) << 10) + (text.charCodeAt(++i) - 0xdc00);
      bytes[length++] = 0xf0 | (codePoint >>> 18);
      bytes[length++] = 0x80 | ((codePoint >>> 12) & 0x3f);
      bytes[length++] = 0x80 | ((codePoint >>> 6) & 0x3f);
      bytes[length++] = 0x80 | (codePoint & 0x3f);
    } else {
      bytes[length++] = 0xe0 | (unit >>> 12);
      bytes[length++] = 0x80 | ((unit >>> 6) & 0x3f);
      bytes[length++] = 0x80 | (unit & 0x3f);
    }
  }
  return length;
}

function isSurrogatePair(text: string, index: number): boolean {
  const high = text.charCodeAt(index);
  const low = text.charCodeAt(index + 1);
  return high >= 0xd800 && high <= 0xdbff && low >= 0xdc00 && low <= 0xdfff;
}

/**
 * MurmurHash3 x86_32 of `bytes[0..length)` under two seeds: a published hash with test vectors,
 * so another language can reproduce the assignment, and fast in JS because Math.imul keeps every
 * step in exact 32-bit arithmetic. Both hashes are computed in one pass because scrambling a
 * block does not depend on the seed; only the running states differ.
 */
function murmur3TwoSeeds(bytes: Uint8Array, length: number, seedA: number, seedB: number): [number, number] {
  let hashA = seedA | 0;
  let hashB = seedB | 0;
  const blocksEnd = length & ~3;
  for (let i = 0; i < blocksEnd; i += 4) {
    const block = scrambleBlock(bytes[i] | (bytes[i + 1] << 8) | (bytes[i + 2] << 16) | (bytes[i + 3] << 24));
    hashA = mixBlock(hashA, block);
    hashB = mixBlock(hashB, block);
  }
  if (blocksEnd < length) {
    let tail = 0;
    for (let i = length - 1; i >= blocksEnd; i--) {
      tail = (tail << 8) | bytes[i];
    }
    const block = scrambleBlock(tail);
    hashA ^= block;
    hashB ^= block;
  }
  return [finalMix(hashA ^ length) >>> 0, finalMix(hashB ^ length) >>> 0];
}

function mixBlock(hash: number, scrambledBlock: number): number {
  return (Math.imul(rotateLeft(hash ^ scrambledBlock, 13), 5) + 0xe6546b64) | 0;
}

function scrambleBlock(block: number): number {
  return Math.imul(rotateLeft(Math.imul(block, 0xcc9e2d51), 15), 0x1b873593);
}

/** MurmurHash3's fmix32: makes every input bit affect every output bit. */
function finalMix(value: number): number {
  let hash = value;
  hash ^= hash >>> 16;
  hash = Math.imul(hash, 0x85ebca6b);
  hash ^= hash >>> 13;
  hash = Math.imul(hash, 0xc2b2ae35);
  hash ^= hash >>> 16;
  return hash;
}

function rotateLeft(value: number, bits: number): number {
  return (value << bits) | (value >>> (32 - bits));
}

function compareAscending(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function requireIntegerAtLeast(owner: string, prop: string, value: number, min: number): void {
  if (!Number.isInteger(value) || value < min) {
    throw new Error(`${owner}: '${prop}' (${value}) must be an integer >= ${min}`);
  }
}

function requireRoomForAll(cameraCount: number, shardCount: number, capacity: number): void {
  if (shardCount * capacity < cameraCount) {
    const needed = Math.ceil(cameraCount / shardCount);
    throw new Error(
      `assignShards: 'capacity' (${capacity}) must be at least ${needed} so that ${shardCount} shard(s) ` +
        `can hold ${cameraCount} cameras. Raise capacity or shardCount`,
    );
  }
}

function requireUniqueIds(cameraIds: readonly string[]): void {
  const seen = new Set<string>();
  for (const id of cameraIds) {
    if (seen.has(id)) {
      throw new Error(`assignShards: 'cameraIds' (${id}) must not repeat an id. Remove the duplicate`);
    }
    seen.add(id);
  }
}
