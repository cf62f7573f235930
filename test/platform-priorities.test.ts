import { PlatformPriorities } from '../lib';
import { findObject, synthValid, testChart } from './_helpers';

describe('PlatformPriorities', () => {
  test('ingest above analysis above batch; batch never preempts; none is the global default', () => {
    const chart = testChart();
    new PlatformPriorities(chart, 'priorities');
    const objects = synthValid(chart);
    expect(objects).toMatchSnapshot();
    const ingest = findObject(objects, 'PriorityClass', PlatformPriorities.INGEST);
    const analysis = findObject(objects, 'PriorityClass', PlatformPriorities.ANALYSIS);
    const batch = findObject(objects, 'PriorityClass', PlatformPriorities.BATCH);
    expect(ingest.value).toBeGreaterThan(analysis.value);
    expect(analysis.value).toBeGreaterThan(batch.value);
    expect(batch.preemptionPolicy).toBe('Never');
    for (const pc of [ingest, analysis, batch]) {
      expect(pc.globalDefault).toBe(false);
      expect(pc.value).toBeLessThan(1000000000);
    }
  });
});
