import { Testing } from 'cdk8s';
import { LayerChart, PlatformNamespace, SYNC_WAVE_ANNOTATION } from '../../lib';
import { testApp } from '../_helpers';

describe('LayerChart', () => {
  test('every object carries its layer\'s sync wave, in app.synth and Testing.synth alike', () => {
    const app = testApp();
    const base = new LayerChart(app, 'base', { wave: 0 });
    const ingest = new LayerChart(app, 'ingest', { wave: 2, dependsOn: [base] });
    new PlatformNamespace(base, 'ns', { name: 'video-analytics' });
    new PlatformNamespace(ingest, 'other', { name: 'other' });
    const baseObjects = Testing.synth(base);
    expect(baseObjects.length).toBe(3);
    for (const o of baseObjects) expect(o.metadata.annotations[SYNC_WAVE_ANNOTATION]).toBe('0');
    for (const o of Testing.synth(ingest)) expect(o.metadata.annotations[SYNC_WAVE_ANNOTATION]).toBe('2');
    // File names sort in wave order: kubectl apply -f dist/ applies them in that order.
    expect(app.charts.map((c) => c.node.id)).toEqual(['00-base', '02-ingest']);
  });

  test('refuses a wave out of range', () => {
    expect(() => new LayerChart(testApp(), 'x', { wave: 100 })).toThrow(/LayerChart 'x': 'wave' \(100\) must be an integer from 0 to 99/);
  });

  test('refuses a wave lower than a dependency\'s', () => {
    const app = testApp();
    const base = new LayerChart(app, 'base', { wave: 3 });
    expect(() => new LayerChart(app, 'ingest', { wave: 1, dependsOn: [base] })).toThrow(/LayerChart '01-ingest': 'wave' \(1\) must not be lower than the wave of '03-base' \(3\)/);
  });
});
