import { createHash } from 'crypto';

/**
 * A camera's view of the shards: every shard ranked by the camera's own
 * score for it, best first.
 */
interface Preference {
  readonly id: string;
  readonly ranking: readonly number[];
  readonly topScore: bigint;
}

/**
 * Splits camera ids into `shardCount` shards of at most `capacity` cameras
 * with bounded-load rendezvous (highest-random-weight) hashing.
 *
 * Every camera ranks the shards by a SHA-256 score of `${shard}:${id}`.
 * Cameras are then placed one by one in {@link placementOrder}, each on the
 * best-ranked shard that still has room.
 *
 * Guarantees, for a fixed `shardCount` and `capacity`:
 * - every camera is in exactly one shard and no shard holds more than
 *   `capacity` cameras;
 * - the result depends only on the set of ids, not on their order, and is
 *   identical on every platform and Node version;
 * - a camera sits in its first-choice shard ({@link rankShards}`[0]`) unless
 *   that shard was already full when the camera's turn came.
 *
 * Stability when the camera set changes by one camera X (added or removed),
 * comparing the assignment with X to the one without it:
 * - no other camera moves if the shard holding X is below `capacity` in
 *   the assignment that contains X. It also holds whenever every camera of
 *   that assignment sits in its first-choice shard, in particular whenever
 *   no shard is full;
 * - otherwise other cameras can move, but only cameras that come after X in
 *   {@link placementOrder}, and only one shard changes size (by one).
 *
 * No amount of total spare room (`shardCount * capacity - cameraIds.length`)
 * short of `capacity >= cameraIds.length` guarantees stability by itself,
 * because hashing can give many cameras the same first choice. Size
 * `capacity` with headroom above the mean load
 * `cameraIds.length / shardCount` so that shards are rarely full.
 *
 * Stability when `shardCount` grows by one: if neither assignment has a full
 * shard, the cameras that move are exactly those that rank the new shard
 * first, and they all move to it, which is 1/(shardCount + 1) of the
 * cameras on average.
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

  const shards: string[][] = Array.from({ length: shardCount }, () => []);
  for (const camera of sortForPlacement(cameraIds.map((id) => preferenceOf(id, shardCount)))) {
    shards[firstShardWithRoom(camera, shards, capacity)].push(camera.id);
  }
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
 * Shard indexes `0..shardCount-1` in the order `cameraId` prefers them,
 * best first. Growing `shardCount` never reorders the existing shards.
 *
 * @param cameraId any string.
 * @param shardCount number of shards, an integer >= 1.
 */
export function rankShards(cameraId: string, shardCount: number): number[] {
  requireIntegerAtLeast('rankShards', 'shardCount', shardCount, 1);
  return [...preferenceOf(cameraId, shardCount).ranking];
}

/**
 * The order in which {@link assignShards} places cameras: by the score of
 * each camera's first-choice shard, highest first, ties broken by id.
 *
 * A camera's position depends only on its own id and `shardCount`, which is
 * what keeps a change to one camera from disturbing the cameras before it.
 *
 * @param cameraIds camera ids, in any order.
 * @param shardCount number of shards, an integer >= 1.
 */
export function placementOrder(cameraIds: readonly string[], shardCount: number): string[] {
  requireIntegerAtLeast('placementOrder', 'shardCount', shardCount, 1);
  return sortForPlacement(cameraIds.map((id) => preferenceOf(id, shardCount))).map((camera) => camera.id);
}

/**
 * 64 bits of SHA-256 rather than a JS string hash: the assignment ends up
 * in generated manifests, so it must never change with the runtime.
 */
function score(shard: number, cameraId: string): bigint {
  return createHash('sha256').update(`${shard}:${cameraId}`, 'utf8').digest().readBigUInt64BE(0);
}

function preferenceOf(id: string, shardCount: number): Preference {
  const scored = Array.from({ length: shardCount }, (_, shard) => ({ shard, score: score(shard, id) }));
  // Equal 64-bit scores are practically impossible; the index keeps the order total anyway.
  scored.sort((a, b) => compareDescending(a.score, b.score) || a.shard - b.shard);
  return { id, ranking: scored.map((s) => s.shard), topScore: scored[0].score };
}

function sortForPlacement(cameras: Preference[]): Preference[] {
  return cameras.sort((a, b) => compareDescending(a.topScore, b.topScore) || compareAscending(a.id, b.id));
}

function firstShardWithRoom(camera: Preference, shards: readonly string[][], capacity: number): number {
  const shard = camera.ranking.find((candidate) => shards[candidate].length < capacity);
  if (shard === undefined) {
    // requireRoomForAll makes this unreachable; failing loudly beats silently dropping a camera.
    throw new Error(`assignShards: no shard has room for '${camera.id}'. This is a bug in assignShards`);
  }
  return shard;
}

function compareDescending(a: bigint, b: bigint): number {
  return a > b ? -1 : a < b ? 1 : 0;
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
