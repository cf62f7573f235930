import * as fc from 'fast-check';
import { packInOrder } from '../../lib/core/packing';

describe('packInOrder', () => {
  test('keeps the order, keeps every item, and stays under the limit except for items too big alone', () => {
    fc.assert(fc.property(fc.array(fc.integer({ min: 0, max: 120 }), { maxLength: 40 }), fc.integer({ min: 1, max: 100 }), (sizes, limit) => {
      const runs = packInOrder(sizes, (size) => size, limit);
      expect(runs.flat()).toEqual(sizes);
      for (const run of runs) {
        const total = run.reduce((sum, size) => sum + size, 0);
        expect(run.length).toBeGreaterThan(0);
        if (run.length > 1) expect(total).toBeLessThanOrEqual(limit);
      }
      // Greedy: a run ends only because the next item would not have fitted.
      runs.slice(1).forEach((run, i) => {
        expect(runs[i].reduce((sum, size) => sum + size, 0) + run[0]).toBeGreaterThan(limit);
      });
    }), { numRuns: 200 });
  });

  test('starts a new run exactly at the limit', () => {
    expect(packInOrder([4, 6, 1, 10, 11], (n) => n, 10)).toEqual([[4, 6], [1], [10], [11]]);
  });
});
