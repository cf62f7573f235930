import * as fc from 'fast-check';
import { assignShards, placementOrder, rankShards, shardCountFor, VIRTUAL_POINTS_PER_SHARD } from '../../lib/ingest/shard-assignment';

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
  const order = placementOrder(largerIds);
  const changedAt = order.indexOf(changed);
  for (const id of movedCameras(smaller, larger)) {
    expect(order.indexOf(id)).toBeGreaterThan(changedAt);
  }
  expect(sizeChanges(smaller, larger)).toEqual([1]);
}

const withoutIndex = <T>(items: readonly T[], index: number): T[] => items.filter((_, i) => i !== index);

/**
 * The placement assignShards promises, done the slow and obvious way: cameras in placement
 * order, each on the first shard of its full ranking that has room. Comparing against it checks
 * the shortcuts assignShards takes (merging sorted lists, skipping full shards' points).
 */
function naiveAssignment(ids: readonly string[], shardCount: number, capacity: number): string[][] {
  const shards: string[][] = Array.from({ length: shardCount }, () => []);
  for (const id of placementOrder(ids)) {
    const shard = rankShards(id, shardCount).find((candidate) => shards[candidate].length < capacity);
    if (shard === undefined) {
      throw new Error(`test: no room for '${id}'`);
    }
    shards[shard].push(id);
  }
  return shards.map((members) => members.sort());
}

describe('assignShards: examples', () => {
  // These pin exact outputs of the current hash, ring and placement order. They are not
  // properties: they exist so that an accidental change to the algorithm (hash, seeds, UTF-8
  // encoding, virtual point keys or count, tie-breaking) fails loudly, because a different
  // assignment re-shards every camera of every deployed platform on its next synth. Change
  // them only together with a deliberate, announced algorithm change.
  test('pins the exact assignment so a hash change cannot slip through', () => {
    const ids = ['cam-a', 'cam-b', 'cam-c', 'cam-d', 'cam-e', 'cam-f'];
    expect(assignShards(ids, 3, 6)).toEqual([['cam-a', 'cam-b', 'cam-e', 'cam-f'], ['cam-d'], ['cam-c']]);
    expect(rankShards('cam-1', 5)).toEqual([3, 0, 1, 2, 4]);
    expect(placementOrder(['cam-a', 'cam-b', 'cam-c'])).toEqual(['cam-a', 'cam-c', 'cam-b']);
  });

  test('pins the UTF-8 hashing of ids beyond ASCII', () => {
    const ids = ['caméra-1', 'камера-2', '摄像头-3', '📷-4', 'lone-\ud800', 'cam-6'];
    expect(placementOrder(ids)).toEqual(['📷-4', 'caméra-1', 'камера-2', 'cam-6', '摄像头-3', 'lone-\ud800']);
    expect(assignShards(ids, 3, 6)).toEqual([['caméra-1', 'lone-\ud800', 'камера-2'], ['摄像头-3'], ['cam-6', '📷-4']]);
    expect(assignShards(ids, 3, 2)).toEqual([['caméra-1', 'камера-2'], ['lone-\ud800', '摄像头-3'], ['cam-6', '📷-4']]);
  });

  test('a full first-choice shard sends the camera to its next choice', () => {
    const ids = ['cam-a', 'cam-b', 'cam-c', 'cam-d', 'cam-e', 'cam-f'];
    // cam-f, cam-a and cam-e (placed in that order) all rank shard 0 first; it holds two, so
    // cam-e takes its second choice, shard 2, which cam-c then fills. cam-b also ranks shard 0
    // first and finds it full, so it takes its next choice, shard 1, next to cam-d.
    expect(placementOrder(ids)).toEqual(['cam-f', 'cam-a', 'cam-e', 'cam-c', 'cam-d', 'cam-b']);
    expect(['cam-f', 'cam-a', 'cam-e'].map((id) => rankShards(id, 3))).toEqual([[0, 2, 1], [0, 2, 1], [0, 2, 1]]);
    expect(['cam-c', 'cam-d', 'cam-b'].map((id) => rankShards(id, 3))).toEqual([[2, 0, 1], [1, 0, 2], [0, 1, 2]]);
    expect(assignShards(ids, 3, 2)).toEqual([['cam-a', 'cam-f'], ['cam-b', 'cam-d'], ['cam-c', 'cam-e']]);
  });

  test('no cameras still yields one empty list per shard', () => {
    expect(assignShards([], 3, 1)).toEqual([[], [], []]);
  });

  test('one shard takes every camera', () => {
    expect(assignShards(['cam-b', 'cam-a'], 1, 2)).toEqual([['cam-a', 'cam-b']]);
  });

  test('10,000 cameras on 1,250 shards at capacity 16: everyone placed once, almost all on their first choice', () => {
    const ids = Array.from({ length: 10_000 }, (_, i) => `cam-${i}`);
    const shards = assignShards(ids, 1_250, 16);
    const placed = shardByCamera(shards);
    expect(shards).toHaveLength(1_250);
    expect(shards.flat()).toHaveLength(ids.length);
    expect(ids.every((id) => placed.has(id))).toBe(true);
    expect(Math.max(...shards.map((members) => members.length))).toBeLessThanOrEqual(16);
    expect(shards.every((members) => members.every((id, i) => i === 0 || members[i - 1] < id))).toBe(true);
    // With room for everyone in every shard nothing is ever full, so each camera lands on its first choice.
    const firstChoice = shardByCamera(assignShards(ids, 1_250, ids.length));
    const overflowed = ids.filter((id) => firstChoice.get(id) !== placed.get(id));
    // The load bound is the exception, not the rule: a mean load of 8 leaves 16 far in the tail.
    expect(overflowed.length / ids.length).toBeLessThan(0.005);
  });

  test('10,000 cameras fill 1,250 shards of 8 exactly, walking past full shards', () => {
    const ids = Array.from({ length: 10_000 }, (_, i) => `cam-${i}`);
    const shards = assignShards(ids, 1_250, 8);
    expect(shards.every((members) => members.length === 8)).toBe(true);
    expect(new Set(shards.flat()).size).toBe(ids.length);
  });

  test('adding a shard to 5,000 cameras moves about 1/11 of them, all to the new shard', () => {
    const ids = Array.from({ length: 5_000 }, (_, i) => `cam-${i}`);
    const before = assignShards(ids, 10, ids.length);
    const after = assignShards(ids, 11, ids.length);
    const moved = movedCameras(before, after);
    // 1/11 = 0.091; the new shard's 100 points give its share a relative spread of about 10%.
    expect(moved.length / ids.length).toBeGreaterThan(0.07);
    expect(moved.length / ids.length).toBeLessThan(0.11);
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

  test('matches placing each camera, in placement order, on the first shard of its ranking with room', () => {
    fc.assert(
      fc.property(cameraIdsArb(0, 60), shardCountArb, slackArb(3), (ids, shardCount, slack) => {
        const capacity = tightestCapacity(ids.length, shardCount) + slack;
        expect(assignShards(ids, shardCount, capacity)).toEqual(naiveAssignment(ids, shardCount, capacity));
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
        const share = 1 / (shardCount + 1);
        const expected = ids.length * share;
        // Cameras fall in the new shard's arcs binomially, and the arcs' total itself varies by
        // about 1/sqrt(V) of the share. Five standard deviations plus a little: a false alarm is
        // far below one in a million.
        const spread = Math.sqrt(expected * (1 - share) + expected ** 2 / VIRTUAL_POINTS_PER_SHARD);
        expect(moved.length).toBeLessThanOrEqual(expected + 5 * spread + 3);
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
      fc.property(cameraIdsArb(0, 40), cameraIdsArb(0, 40), (ids, others) => {
        const subset = placementOrder(ids);
        const inUnion = placementOrder([...new Set([...ids, ...others])]).filter((id) => ids.includes(id));
        expect(inUnion).toEqual(subset);
      }),
      { numRuns: NUM_RUNS },
    );
  });

  test('placement order does not depend on input order', () => {
    const idsAndPermutation = cameraIdsArb(0, 60).chain((ids) =>
      fc.tuple(fc.constant(ids), fc.shuffledSubarray(ids, { minLength: ids.length, maxLength: ids.length })),
    );
    fc.assert(
      fc.property(idsAndPermutation, ([ids, permuted]) => {
        expect(placementOrder(permuted)).toEqual(placementOrder(ids));
      }),
      { numRuns: NUM_RUNS },
    );
  });

  test('refuses a bad shard count', () => {
    expect(() => rankShards('cam-1', 0)).toThrow(/^rankShards: 'shardCount' \(0\) must be an integer >= 1$/);
  });
});
