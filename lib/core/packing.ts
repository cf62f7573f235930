/**
 * The items in order, cut into runs whose sizes add up to at most `limit`: a new run starts when
 * the next item would not fit. An item bigger than `limit` gets a run of its own (callers that
 * cannot take that refuse it). Deterministic: the same items give the same runs.
 */
export function packInOrder<T>(items: readonly T[], sizeOf: (item: T) => number, limit: number): T[][] {
  const runs: T[][] = [];
  let size = Infinity;
  for (const item of items) {
    const itemSize = sizeOf(item);
    if (size + itemSize > limit) {
      runs.push([]);
      size = 0;
    }
    runs[runs.length - 1].push(item);
    size += itemSize;
  }
  return runs;
}
