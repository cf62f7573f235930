import { ApiObject, Yaml } from 'cdk8s';
import { buildBenchPlatform } from '../bench/platform';
import { LayeredApp } from '../lib/synth/layered-app';
import { RULE_CONFIG_MAP_BYTES } from '../lib/monitoring/_prometheus';

// What the API server is asked to store, object by object, for a platform big enough that two
// kinds of its objects outgrew half a megabyte before they were capped: the Prometheus rule
// ConfigMaps (packed to 1 MiB of data, 1.1 MB of YAML each) and the NetworkPolicy that let
// Prometheus out to its targets (one rule per target, 586 KiB here). The ingest's camera egress
// (one entry per camera) took 365 KiB here and passed 512 KiB near 10,000 cameras. The figures at
// 10,000 and 50,000 cameras are the bench's: bench/object-sizes.ts.

const CAMERAS = 7000;
const LIMIT = 512 * 1024;

describe(`the bench platform at ${CAMERAS.toLocaleString('en-US')} cameras`, () => {
  const app = new LayeredApp({ outdir: '/nonexistent', recordConstructMetadata: false });
  const shape = buildBenchPlatform(app, CAMERAS);
  const objects = app.charts.flatMap((chart) => chart.node.findAll().filter((c): c is ApiObject => c instanceof ApiObject)).map((o) => o.toJson());
  const sizes = objects.map((o) => ({ name: `${o.kind} ${o.metadata.namespace ?? ''}/${o.metadata.name}`, bytes: Buffer.byteLength(Yaml.stringify(o)) }));
  const sizeOf = (name: string): number => sizes.find((s) => s.name === name)!.bytes;

  test('every object takes at most 512 KiB of YAML', () => {
    expect(sizes.length).toBeGreaterThan(CAMERAS);
    expect(sizes.filter((s) => s.bytes > LIMIT)).toEqual([]);
  });

  test('the rules, 3.4 MB of YAML here, are spread over ConfigMaps of at most 480 KiB of files each', () => {
    const ruleMaps = sizes.filter((s) => /^ConfigMap monitoring\/prometheus-rules(-\d+)?$/.test(s.name));
    expect(ruleMaps.reduce((sum, s) => sum + s.bytes, 0)).toBeGreaterThan(6 * RULE_CONFIG_MAP_BYTES);
    for (const map of ruleMaps) expect(map.bytes).toBeLessThanOrEqual(RULE_CONFIG_MAP_BYTES + 4096);
  });

  test('the two policies that grew with the platform take a few KiB, whatever its size', () => {
    // Prometheus scrapes over 1,500 targets here, and the ingest pulls from 7,000 addresses.
    expect(shape.detections + shape.pools).toBeGreaterThan(1500);
    expect(sizeOf('NetworkPolicy monitoring/prometheus')).toBeLessThan(8 * 1024);
    expect(sizeOf('NetworkPolicy video-analytics/ingest')).toBeLessThan(8 * 1024);
  });
});
