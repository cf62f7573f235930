import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { Testing } from 'cdk8s';
import { COMPARED_NODE_FLAGS } from '../../bench/platform';
import { AnalysisService, CameraSpec, MonitoringBundle, Receiver, StreamIngest, StreamSelection } from '../../lib';
import * as configYaml from '../../lib/synth/config-yaml';
import { findObject, testChart } from '../_helpers';

// What the fixes for large platforms (see bench/) must keep: the same output, computed once.

function cameras(count: number): CameraSpec[] {
  return Array.from({ length: count }, (_, i) => ({ id: `cam-${i}`, url: `rtsp://10.0.0.${i + 1}:554/s`, labels: { site: i % 2 === 0 ? 'even' : 'odd' } }));
}

describe('StreamIngest', () => {
  test('builds its stream source once, however many services read it', () => {
    const chart = testChart();
    const ingest = new StreamIngest(chart, 'ingest', { namespace: 'ns', cameras: cameras(4) });
    const first = ingest.toStreamSource();
    expect(ingest.toStreamSource()).toBe(first);
    expect(first.cameras.map((c) => [c.spec.id, c.streamUrl])).toEqual(['cam-0', 'cam-1', 'cam-2', 'cam-3'].map((id) => [id, ingest.streamUrl(id)]));
  });
});

describe('AnalysisService', () => {
  test('selections by label or all cameras need no id check; selections by id still refuse unknown ids', () => {
    const chart = testChart();
    const ingest = new StreamIngest(chart, 'ingest', { namespace: 'ns', cameras: cameras(4) });
    const odd = new AnalysisService(chart, 'odd', { namespace: 'ns', image: 'example/det:1.0.0', streams: StreamSelection.withLabels(ingest, { site: 'odd' }) });
    expect(odd.cameraIds).toEqual(['cam-1', 'cam-3']);
    expect(odd.streamSource).toBe(ingest.toStreamSource());
    expect(() => new AnalysisService(chart, 'bad', { namespace: 'ns', image: 'example/det:1.0.0', streams: StreamSelection.cameras(ingest, ['cam-9']) }))
      .toThrow(/'streams' \(cam-9\) must be cameras of stream source 'ingest'\. Use ids from its inventory, such as cam-0, cam-1, cam-2\./);
  });
});

describe('StreamSelection.withLabels', () => {
  test('selects through the label index exactly the cameras a filter would, in source order', () => {
    const chart = testChart();
    const all = cameras(12).map((c, i) => ({ ...c, labels: { ...c.labels, zone: `z${i % 3}` } }));
    const ingest = new StreamIngest(chart, 'ingest', { namespace: 'ns', cameras: all });
    const select = (labels: Record<string, string>): string[] => StreamSelection.withLabels(ingest, labels).resolve('AnalysisService', 'x').cameras.map((c) => c.spec.id);
    const filtered = (labels: Record<string, string>): string[] => ingest.toStreamSource().cameras
      .filter((c) => Object.entries(labels).every(([k, v]) => c.spec.labels?.[k] === v)).map((c) => c.spec.id);
    const selections: Array<Record<string, string>> = [{ site: 'odd' }, { zone: 'z1' }, { site: 'even', zone: 'z2' }, { zone: 'z0', site: 'odd' }, {}];
    for (const labels of selections) {
      expect(select(labels)).toEqual(filtered(labels));
      expect(select(labels).length).toBeGreaterThan(0);
    }
    expect(() => select({ zone: 'z9' })).toThrow(/'streams' \(cameras labelled zone=z9\) must be a selection of at least one camera/);
  });
});

describe('MonitoringBundle', () => {
  test('renders prometheus.yml once, however often the app is synthesized, and always the same', () => {
    const chart = testChart();
    new StreamIngest(chart, 'ingest', { namespace: 'ns', cameras: cameras(2) });
    new MonitoringBundle(chart, 'monitoring', { receivers: [Receiver.webhook('ops', { url: 'https://alerts.example.com/hook' })] });
    const render = jest.spyOn(configYaml, 'toConfigYaml');
    try {
      const isPrometheusConfig = (value: unknown): boolean => typeof value === 'object' && value !== null && 'scrape_configs' in value;
      const first = Testing.synth(chart);
      expect(render.mock.calls.filter(([value]) => isPrometheusConfig(value))).toHaveLength(1);
      render.mockClear();
      const second = Testing.synth(chart);
      expect(render.mock.calls.filter(([value]) => isPrometheusConfig(value))).toHaveLength(0);
      expect(findObject(second, 'ConfigMap', 'prometheus-config')).toEqual(findObject(first, 'ConfigMap', 'prometheus-config'));
      expect(findObject(second, 'ConfigMap', 'prometheus-rules')).toEqual(findObject(first, 'ConfigMap', 'prometheus-rules'));
      expect(findObject(second, 'StatefulSet', 'prometheus')).toEqual(findObject(first, 'StatefulSet', 'prometheus'));
    } finally {
      render.mockRestore();
    }
  });
});

describe('the node flags the bench compares', () => {
  test('are the ones the docs give figures for, and this Node.js accepts them (they are V8 flags, which a Node.js release may drop)', () => {
    const docs = fs.readFileSync(path.join(__dirname, '..', '..', 'docs', 'capacity-and-performance.md'), 'utf8');
    // A row of the table of fast and slow runs at 50,000 cameras names them.
    expect(docs).toContain(`| \`${COMPARED_NODE_FLAGS.join(' ')}\` | `);
    const run = spawnSync(process.execPath, [...COMPARED_NODE_FLAGS, '-e', 'process.exit(0)'], { encoding: 'utf8' });
    expect([run.status, run.stderr]).toEqual([0, '']);
  });
});

describe('validating the reference platform', () => {
  /** Top-level `yaml` package: the readers' copy, not cdk8s's own. */
  const READERS_YAML = `${path.sep}node_modules${path.sep}yaml${path.sep}dist${path.sep}`;
  const ROOT = path.join(__dirname, '..', '..');
  const child = `
    const { Testing } = require('cdk8s');
    const { ManifestValidator } = require('./lib');
    const { buildReferencePlatform } = require('./main');
    const app = Testing.app();
    buildReferencePlatform(app);
    const result = ManifestValidator.validateObjects(app.charts.flatMap((chart) => chart.toJson()));
    const loaded = () => Object.keys(require.cache).some((file) => file.includes(${JSON.stringify(READERS_YAML)}) && !file.includes('cdk8s'));
    const before = loaded();
    // Text that can only be decided by writing and reading it back: the readers are loaded now.
    ManifestValidator.validateObjects([{ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, data: { a: 'caf\\u00e9' } }]);
    console.log(JSON.stringify({ objects: result.objectCount, violations: result.violations.length, before, after: loaded() }));
  `;

  test('needs no second copy of the yaml package: every value is decided without reading it back', () => {
    const version = (from: string[]): string => JSON.parse(fs.readFileSync(require.resolve('yaml/package.json', { paths: from }), 'utf8')).version;
    // The premise: the readers' yaml is the version cdk8s writes with (otherwise its schemas must be loaded).
    expect(version([ROOT])).toBe(version([require.resolve('cdk8s')]));
    const run = spawnSync(process.execPath, ['-r', './scripts/register-ts.js', '-e', child], { cwd: ROOT, encoding: 'utf8' });
    expect(run.stderr).toBe('');
    const outcome = JSON.parse(run.stdout.trim().split('\n').pop()!) as { objects: number; violations: number; before: boolean; after: boolean };
    expect(outcome.objects).toBeGreaterThan(100);
    expect(outcome).toEqual({ objects: outcome.objects, violations: 0, before: false, after: true });
  });
});
