import { PlatformPriorities } from '../../lib';
import { findObject, synthValid, testChart } from '../_helpers';

describe('PlatformPriorities', () => {
  test('platform above ingest above analysis above batch; batch never preempts; none is the global default', () => {
    const chart = testChart();
    new PlatformPriorities(chart, 'priorities');
    const objects = synthValid(chart);
    expect(objects).toMatchSnapshot();
    const platform = findObject(objects, 'PriorityClass', PlatformPriorities.PLATFORM);
    const ingest = findObject(objects, 'PriorityClass', PlatformPriorities.INGEST);
    const analysis = findObject(objects, 'PriorityClass', PlatformPriorities.ANALYSIS);
    const batch = findObject(objects, 'PriorityClass', PlatformPriorities.BATCH);
    expect(platform.value).toBeGreaterThan(ingest.value);
    expect(ingest.value).toBeGreaterThan(analysis.value);
    expect(analysis.value).toBeGreaterThan(batch.value);
    expect(batch.preemptionPolicy).toBe('Never');
    for (const pc of [platform, ingest, analysis, batch]) {
      expect(pc.globalDefault).toBe(false);
      // Below the cluster's own system classes: the platform never outranks the node's agents.
      expect(pc.value).toBeLessThan(1000000000);
    }
  });

  test('CLASS_NAMES names each tier\'s class, as ScopeSettings takes them', () => {
    expect(PlatformPriorities.CLASS_NAMES).toEqual({
      platform: PlatformPriorities.PLATFORM, ingest: PlatformPriorities.INGEST, analysis: PlatformPriorities.ANALYSIS, batch: PlatformPriorities.BATCH,
    });
  });
});
