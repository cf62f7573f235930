import * as fc from 'fast-check';
import { assignShards, placementOrder, rankShards, shardCountFor } from '../lib/_rendezvous';

const NUM_RUNS = 200;

/** Any non-empty strings: the hash must not care what ids look like. */
const cameraIdArb = fc.string({ minLength: 1, maxLength: 12 });
const cameraIdsArb = (minLength: number, maxLength: number): fc.Arbitrary<string[]> =>
  fc.uniqueArray(cameraIdArb, { minLength, maxLength });
const shardCountArb = fc.integer({ min: 1, max: 8 });
/** Capacity above the minimum that fits every camera; 0 means shards are as tight as possible. */
const slackArb = (max: number): fc.Arbitrary<number> => fc.integer({ min: 0, max });

function tightestCapacity(cameraCount: number, shardCount: number): number {
  return Math.max(1, Math.ceil(cameraCount / shardCount));
}

function shardByCamera(shards: readonly string[][]): Map<string, number> {
  const byCamera = new Map<string, number>();
  shards.forEach((members, shard) => members.forEach((id) => byCamera.set(id, shard)));
  return byCamera;
}

/** Cameras present in both assignments whose shard differs. */
function movedCameras(before: readonly string[][], after: readonly string[][]): string[] {
  const was = shardByCamera(before);
  const now = shardByCamera(after);
  return [...was.keys()].filter((id) => now.has(id) && now.get(id) !== was.get(id)).sort();
}

function sizeOfShardHolding(shards: readonly string[][], id: string): number {
  const shard = shards.find((members) => members.includes(id));
  if (shard === undefined) {
    throw new Error(`test: '${id}' is in no shard`);
  }
  return shard.length;
}

function sizeChanges(smaller: readonly string[][], larger: readonly string[][]): number[] {
  return larger.map((members, shard) => members.length - smaller[shard].length).filter((delta) => delta !== 0);
}

/** Checks the guarantee that holds even when shards are full. */
function expectOnlyLaterCamerasMoved(
  smaller: readonly string[][],
  larger: readonly string[][],
  changed: string,
  largerIds: readonly string[],
): void {
  const order = placementOrder(largerIds, larger.length);
  const changedAt = order.indexOf(changed);
  for (const id of movedCameras(smaller, larger)) {
    expect(order.indexOf(id)).toBeGreaterThan(changedAt);
  }
  expect(sizeChanges(smaller, larger)).toEqual([1]);
}

const withoutIndex = <T>(items: readonly T[], index: number): T[] => items.filter((_, i) => i !== index);

describe('assignShards: examples', () => {
  test('pins the exact assignment so a hash change cannot slip through', () => {
    const ids = ['cam-a', 'cam-b', 'cam-c', 'cam-d', 'cam-e', 'cam-f'];
    expect(assignShards(ids, 3, 6)).toEqual([['cam-d'], ['cam-b', 'cam-f'], ['cam-a', 'cam-c', 'cam-e']]);
    expect(rankShards('cam-1', 5)).toEqual([3, 1, 2, 0, 4]);
    expect(placementOrder(['cam-a', 'cam-b', 'cam-c'], 3)).toEqual(['cam-b', 'cam-a', 'cam-c']);
  });

  test('a full first-choice shard sends the camera to its next choice', () => {
    const ids = ['cam-a', 'cam-b', 'cam-c', 'cam-d', 'cam-e', 'cam-f'];
    // cam-e, cam-a and cam-c (placed in that order) all rank shard 2 first; it holds two, so cam-c takes
    // its second choice, shard 1, which then has no room left for cam-f.
    expect(placementOrder(ids, 3)).toEqual(['cam-e', 'cam-b', 'cam-a', 'cam-d', 'cam-c', 'cam-f']);
    expect(['cam-e', 'cam-a', 'cam-c'].map((id) => rankShards(id, 3))).toEqual([[2, 0, 1], [2, 1, 0], [2, 1, 0]]);
    expect(rankShards('cam-f', 3)).toEqual([1, 2, 0]);
    expect(assignShards(ids, 3, 2)).toEqual([['cam-d', 'cam-f'], ['cam-b', 'cam-c'], ['cam-a', 'cam-e']]);
  });

  test('no cameras still yields one empty list per shard', () => {
    expect(assignShards([], 3, 1)).toEqual([[], [], []]);
  });

  test('one shard takes every camera', () => {
    expect(assignShards(['cam-b', 'cam-a'], 1, 2)).toEqual([['cam-a', 'cam-b']]);
  });

  test('adding a shard to 5,000 cameras moves about 1/11 of them, all to the new shard', () => {
    const ids = Array.from({ length: 5_000 }, (_, i) => `cam-${i}`);
    const before = assignShards(ids, 10, ids.length);
    const after = assignShards(ids, 11, ids.length);
    const moved = movedCameras(before, after);
    expect(moved.length / ids.length).toBeGreaterThan(0.08);
    expect(moved.length / ids.length).toBeLessThan(0.1);
    expect(moved.every((id) => after[10].includes(id))).toBe(true);
  });

  test('a full shard can make an added camera move another one, which is why capacity needs headroom', () => {
    const ids = ['cam-a', 'cam-b', 'cam-c', 'cam-d', 'cam-e', 'cam-f'];
    const capacity = 4;
    const before = assignShards(ids, 2, capacity);
    const disruptive = Array.from({ length: 100 }, (_, i) => `new-${i}`).find(
      (extra) => movedCameras(before, assignShards([...ids, extra], 2, capacity)).length > 0,
    );
    expect(disruptive).toBeDefined();
    const after = assignShards([...ids, disruptive as string], 2, capacity);
    expect(sizeOfShardHolding(after, disruptive as string)).toBe(capacity);
  });
});

describe('assignShards: properties', () => {
  test('places every camera in exactly one shard, each shard sorted', () => {
    fc.assert(
      fc.property(cameraIdsArb(0, 60), shardCountArb, slackArb(3), (ids, shardCount, slack) => {
        const shards = assignShards(ids, shardCount, tightestCapacity(ids.length, shardCount) + slack);
        expect(shards).toHaveLength(shardCount);
        expect(shards.flat().sort()).toEqual([...ids].sort());
        shards.forEach((members) => expect(members).toEqual([...members].sort()));
      }),
      { numRuns: NUM_RUNS },
    );
  });

  test('never puts more than capacity cameras in a shard', () => {
    fc.assert(
      fc.property(cameraIdsArb(0, 60), shardCountArb, slackArb(3), (ids, shardCount, slack) => {
        const capacity = tightestCapacity(ids.length, shardCount) + slack;
        assignShards(ids, shardCount, capacity).forEach((members) =>
          expect(members.length).toBeLessThanOrEqual(capacity),
        );
      }),
      { numRuns: NUM_RUNS },
    );
  });

  test('keeps each camera on its first choice unless that shard is full', () => {
    fc.assert(
      fc.property(cameraIdsArb(0, 60), shardCountArb, slackArb(3), (ids, shardCount, slack) => {
        const capacity = tightestCapacity(ids.length, shardCount) + slack;
        const shards = assignShards(ids, shardCount, capacity);
        shardByCamera(shards).forEach((shard, id) => {
          const firstChoice = rankShards(id, shardCount)[0];
          expect(shard === firstChoice || shards[firstChoice].length === capacity).toBe(true);
        });
      }),
      { numRuns: NUM_RUNS },
    );
  });

  test('does not depend on input order', () => {
    const idsAndPermutation = cameraIdsArb(0, 60).chain((ids) =>
      fc.tuple(fc.constant(ids), fc.shuffledSubarray(ids, { minLength: ids.length, maxLength: ids.length })),
    );
    fc.assert(
      fc.property(idsAndPermutation, shardCountArb, slackArb(2), ([ids, permuted], shardCount, slack) => {
        const capacity = tightestCapacity(ids.length, shardCount) + slack;
        expect(assignShards(permuted, shardCount, capacity)).toEqual(assignShards(ids, shardCount, capacity));
      }),
      { numRuns: NUM_RUNS },
    );
  });

  test('returns the same assignment on every call', () => {
    fc.assert(
      fc.property(cameraIdsArb(0, 60), shardCountArb, slackArb(3), (ids, shardCount, slack) => {
        const capacity = tightestCapacity(ids.length, shardCount) + slack;
        expect(assignShards(ids, shardCount, capacity)).toEqual(assignShards([...ids], shardCount, capacity));
      }),
      { numRuns: NUM_RUNS },
    );
  });

  test('adding a camera moves no other camera when its shard is below capacity', () => {
    fc.assert(
      fc.property(cameraIdsArb(0, 60), cameraIdArb, shardCountArb, slackArb(6), (ids, extra, shardCount, slack) => {
        fc.pre(!ids.includes(extra));
        const capacity = tightestCapacity(ids.length + 1, shardCount) + slack;
        const before = assignShards(ids, shardCount, capacity);
        const after = assignShards([...ids, extra], shardCount, capacity);
        fc.pre(sizeOfShardHolding(after, extra) < capacity);
        expect(movedCameras(before, after)).toEqual([]);
      }),
      { numRuns: NUM_RUNS },
    );
  });

  test('removing a camera moves no other camera when its shard was below capacity', () => {
    fc.assert(
      fc.property(cameraIdsArb(1, 60), fc.nat(), shardCountArb, slackArb(6), (ids, pick, shardCount, slack) => {
        const removed = ids[pick % ids.length];
        const capacity = tightestCapacity(ids.length, shardCount) + slack;
        const before = assignShards(ids, shardCount, capacity);
        fc.pre(sizeOfShardHolding(before, removed) < capacity);
        const after = assignShards(withoutIndex(ids, pick % ids.length), shardCount, capacity);
        expect(movedCameras(before, after)).toEqual([]);
      }),
      { numRuns: NUM_RUNS },
    );
  });

  test('adding or removing a camera moves no other camera when every camera sits on its first choice', () => {
    fc.assert(
      fc.property(cameraIdsArb(1, 60), fc.nat(), shardCountArb, slackArb(10), (ids, pick, shardCount, slack) => {
        const capacity = tightestCapacity(ids.length, shardCount) + slack;
        const larger = assignShards(ids, shardCount, capacity);
        fc.pre(ids.every((id) => larger[rankShards(id, shardCount)[0]].includes(id)));
        const smaller = assignShards(withoutIndex(ids, pick % ids.length), shardCount, capacity);
        expect(movedCameras(smaller, larger)).toEqual([]);
      }),
      { numRuns: NUM_RUNS },
    );
  });

  test('adding a camera to full shards moves only cameras placed after it, and resizes one shard', () => {
    fc.assert(
      fc.property(cameraIdsArb(0, 60), cameraIdArb, shardCountArb, slackArb(1), (ids, extra, shardCount, slack) => {
        fc.pre(!ids.includes(extra));
        const larger = [...ids, extra];
        const capacity = tightestCapacity(larger.length, shardCount) + slack;
        const before = assignShards(ids, shardCount, capacity);
        const after = assignShards(larger, shardCount, capacity);
        expectOnlyLaterCamerasMoved(before, after, extra, larger);
      }),
      { numRuns: NUM_RUNS },
    );
  });

  test('removing a camera from full shards moves only cameras placed after it, and resizes one shard', () => {
    fc.assert(
      fc.property(cameraIdsArb(1, 60), fc.nat(), shardCountArb, slackArb(1), (ids, pick, shardCount, slack) => {
        const removed = ids[pick % ids.length];
        const capacity = tightestCapacity(ids.length, shardCount) + slack;
        const before = assignShards(ids, shardCount, capacity);
        const after = assignShards(withoutIndex(ids, pick % ids.length), shardCount, capacity);
        expectOnlyLaterCamerasMoved(after, before, removed, ids);
      }),
      { numRuns: NUM_RUNS },
    );
  });

  test('adding a shard moves about 1/N of the cameras, all to the new shard', () => {
    fc.assert(
      fc.property(cameraIdsArb(0, 120), fc.integer({ min: 1, max: 10 }), (ids, shardCount) => {
        // Room for everyone everywhere: this isolates the hashing from the load bound.
        const capacity = ids.length + 1;
        const before = assignShards(ids, shardCount, capacity);
        const after = assignShards(ids, shardCount + 1, capacity);
        const moved = movedCameras(before, after);
        const expected = ids.length / (shardCount + 1);
        // Five standard deviations (Poisson-like) plus a little: a false alarm is far below one in a million.
        expect(moved.length).toBeLessThanOrEqual(expected + 5 * Math.sqrt(expected) + 3);
        expect(moved).toEqual(after[shardCount].filter((id) => ids.includes(id)));
      }),
      { numRuns: NUM_RUNS },
    );
  });

  test('adding a shard moves only the cameras that rank it first when no shard is full', () => {
    fc.assert(
      fc.property(cameraIdsArb(0, 60), shardCountArb, slackArb(8), (ids, shardCount, slack) => {
        const capacity = tightestCapacity(ids.length, shardCount) + slack;
        const before = assignShards(ids, shardCount, capacity);
        const after = assignShards(ids, shardCount + 1, capacity);
        fc.pre([...before, ...after].every((members) => members.length < capacity));
        const rankNewShardFirst = ids.filter((id) => rankShards(id, shardCount + 1)[0] === shardCount).sort();
        expect(movedCameras(before, after)).toEqual(rankNewShardFirst);
      }),
      { numRuns: NUM_RUNS },
    );
  });
});

describe('assignShards: refusals', () => {
  test.each([
    [0, 1, /^assignShards: 'shardCount' \(0\) must be an integer >= 1$/],
    [-2, 1, /'shardCount' \(-2\) must be an integer >= 1/],
    [1.5, 1, /'shardCount' \(1\.5\) must be an integer >= 1/],
    [Number.NaN, 1, /'shardCount' \(NaN\) must be an integer >= 1/],
    [1, 0, /^assignShards: 'capacity' \(0\) must be an integer >= 1$/],
    [1, 2.5, /'capacity' \(2\.5\) must be an integer >= 1/],
  ])('refuses shardCount %p with capacity %p', (shardCount, capacity, message) => {
    expect(() => assignShards(['cam-1'], shardCount, capacity)).toThrow(message);
  });

  test('refuses shards too small for all cameras, naming the capacity needed', () => {
    expect(() => assignShards(['a', 'b', 'c', 'd', 'e'], 2, 2)).toThrow(
      /^assignShards: 'capacity' \(2\) must be at least 3 so that 2 shard\(s\) can hold 5 cameras\. Raise capacity or shardCount$/,
    );
  });

  test('refuses duplicate ids, naming the id', () => {
    expect(() => assignShards(['cam-1', 'cam-2', 'cam-1'], 2, 3)).toThrow(
      /^assignShards: 'cameraIds' \(cam-1\) must not repeat an id\. Remove the duplicate$/,
    );
  });

  test('refuses too little room whatever the inputs', () => {
    fc.assert(
      fc.property(cameraIdsArb(2, 40), shardCountArb, (ids, shardCount) => {
        const capacity = Math.ceil(ids.length / shardCount) - 1;
        fc.pre(capacity >= 1);
        expect(() => assignShards(ids, shardCount, capacity)).toThrow(/'capacity' .* must be at least/);
      }),
      { numRuns: NUM_RUNS },
    );
  });
});

describe('shardCountFor', () => {
  test.each([
    [0, 10, 1],
    [1, 10, 1],
    [10, 10, 1],
    [11, 10, 2],
    [100, 8, 13],
  ])('%p cameras at %p per shard need %p shard(s)', (cameras, perShard, expected) => {
    expect(shardCountFor(cameras, perShard)).toBe(expected);
  });

  test('gives enough shards and no spare one', () => {
    fc.assert(
      fc.property(fc.nat(10_000), fc.integer({ min: 1, max: 500 }), (cameras, perShard) => {
        const shards = shardCountFor(cameras, perShard);
        expect(shards * perShard).toBeGreaterThanOrEqual(cameras);
        expect(shards === 1 || (shards - 1) * perShard < cameras).toBe(true);
      }),
      { numRuns: NUM_RUNS },
    );
  });

  test('refuses bad counts', () => {
    expect(() => shardCountFor(10, 0)).toThrow(/^shardCountFor: 'camerasPerShard' \(0\) must be an integer >= 1$/);
    expect(() => shardCountFor(-1, 5)).toThrow(/^shardCountFor: 'cameraCount' \(-1\) must be an integer >= 0$/);
    expect(() => shardCountFor(2.5, 5)).toThrow(/'cameraCount' \(2\.5\)/);
  });
});

describe('rankShards and placementOrder', () => {
  test('ranking lists every shard once and keeps existing shards in order when one is added', () => {
    fc.assert(
      fc.property(cameraIdArb, shardCountArb, (id, shardCount) => {
        const ranking = rankShards(id, shardCount);
        expect([...ranking].sort((a, b) => a - b)).toEqual(Array.from({ length: shardCount }, (_, i) => i));
        expect(rankShards(id, shardCount + 1).filter((shard) => shard < shardCount)).toEqual(ranking);
      }),
      { numRuns: NUM_RUNS },
    );
  });

  test('placement order does not depend on which other cameras exist', () => {
    fc.assert(
      fc.property(cameraIdsArb(0, 40), cameraIdsArb(0, 40), shardCountArb, (ids, others, shardCount) => {
        const subset = placementOrder(ids, shardCount);
        const inUnion = placementOrder([...new Set([...ids, ...others])], shardCount).filter((id) => ids.includes(id));
        expect(inUnion).toEqual(subset);
      }),
      { numRuns: NUM_RUNS },
    );
  });

  test('refuses a bad shard count', () => {
    expect(() => rankShards('cam-1', 0)).toThrow(/^rankShards: 'shardCount' \(0\) must be an integer >= 1$/);
    expect(() => placementOrder(['cam-1'], 0)).toThrow(/^placementOrder: 'shardCount' \(0\) must be an integer >= 1$/);
  });
});
