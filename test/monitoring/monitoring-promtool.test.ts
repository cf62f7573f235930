import * as fs from 'fs';
import * as path from 'path';
import { Testing, Yaml } from 'cdk8s';
import { Construct } from 'constructs';
import { parse as parseYaml } from 'yaml';
import { buildBenchPlatform } from '../../bench/platform';
import { LayeredApp } from '../../lib/synth/layered-app';
import { buildReferencePlatform } from '../../main';
import { IRuleSource, IScrapeTarget, ManifestValidator, RuleGroup, ScrapeTarget } from '../../lib';
import { formatViolation } from '../../lib/synth/validation/violation';
import { MonitoringBundle, Receiver } from '../../lib';

import { GpuInventory, GpuWorkerPool, ModelRepository } from '../../lib';
import { ingestRuleGroups } from '../../lib/ingest/rules';
import { KubeObject, findObject, synthValid, testApp, testChart } from '../_helpers';
import { inTempDir, promtool, standIn } from '../_promtool';

const FIXTURES = path.join(__dirname, '..', 'promtool');

/** A component of the platform: offers its metrics and owns its rules, as StreamIngest does. */
class Component extends Construct implements IScrapeTarget, IRuleSource {
  constructor(scope: Construct, id: string, private readonly target: ScrapeTarget, private readonly rules: (target: ScrapeTarget) => RuleGroup[]) {
    super(scope, id);
  }

  public toScrapeTarget(): ScrapeTarget {
    return this.target;
  }

  public toRuleGroups(): RuleGroup[] {
    return this.rules(this.target);
  }
}

function target(jobName: string, namespace: string, port: number): ScrapeTarget {
  return { jobName, namespace, podSelector: { 'app.kubernetes.io/instance': jobName }, portName: 'metrics', port };
}

/** The files the standalone Prometheus mounts, taken from the synthesized ConfigMaps. */
interface PrometheusFiles {
  readonly config: string;
  readonly rules: Record<string, string>;
}

function prometheusFiles(): PrometheusFiles {
  const chart = testChart();
  const bundle = new MonitoringBundle(chart, 'monitoring', { receivers: [Receiver.webhook('ops', { url: 'https://alerts.example.com/hook' })] });
  bundle.watch(new Component(chart, 'ingest', target('ingest', 'video-analytics', 9998), (t) => ingestRuleGroups(t, {
    cameras: [
      { id: 'cam-a', url: 'rtsp://10.0.0.1/live', labels: { site: 'north-gate' } },
      { id: 'cam-b', url: 'rtsp://10.0.0.2/live', labels: { site: 'loading-dock' } },
      { id: 'cam-c', url: 'rtsp://10.0.0.3/live', labels: { site: 'loading-dock' } },
      { id: 'cam-e', url: 'rtsp://10.0.0.5/live', labels: { site: 'warehouse' } },
    ],
  })));
  bundle.watch(new Component(chart, 'edge-ingest', target('edge-ingest', 'edge', 9998), (t) => ingestRuleGroups(t)));
  // The real pool: its InferenceQueueGrowing is the one the platform ships.
  bundle.watch(new GpuWorkerPool(chart, 'yolo', {
    namespace: 'video-analytics', inventory: new GpuInventory(chart, 'gpus', { nodes: 2 }),
    modelRepository: ModelRepository.fromImage('registry.example.com/models/yolo:1.0.0', '/models'), minWorkers: 1, maxWorkers: 2,
  }));
  return filesOf(synthValid(chart));
}

function filesOf(objects: KubeObject[]): PrometheusFiles {
  return {
    config: findObject(objects, 'ConfigMap', 'prometheus-config').data['prometheus.yml'],
    rules: findObject(objects, 'ConfigMap', 'prometheus-rules').data,
  };
}

/** The reference platform of main.ts with the bundle as one more layer, as main.ts will add it. */
function referencePlatformFiles(): PrometheusFiles {
  // The reference platform carries its own MonitoringBundle.
  const app = testApp();
  buildReferencePlatform(app);
  const objects = app.charts.flatMap((chart) => Testing.synth(chart) as KubeObject[]);
  expect(ManifestValidator.validateObjects(objects).violations.map(formatViolation)).toEqual([]);
  return filesOf(objects);
}

const files = prometheusFiles();

function expectSuccess(run: { status: number; output: string }): void {
  if (run.status !== 0) throw new Error(`promtool failed (exit ${run.status}):\n${run.output}`);
}

function kubernetesDiscoveries(node: unknown): unknown[] {
  if (Array.isArray(node)) return node.flatMap(kubernetesDiscoveries);
  if (node === null || typeof node !== 'object') return [];
  return Object.entries(node).flatMap(([key, value]) => (key === 'kubernetes_sd_configs' ? (value as unknown[]) : kubernetesDiscoveries(value)));
}

/** `promtool check config` on the stand-in, with the rule files where the config expects them. */
function checkConfig(prometheus: PrometheusFiles): void {
  const rules = Object.fromEntries(Object.entries(prometheus.rules).map(([name, text]) => [`etc/prometheus/rules/${name}`, text]));
  const run = inTempDir({
    ...rules,
    'var/run/secrets/kubernetes.io/serviceaccount/token': 'token',
    'var/run/secrets/kubernetes.io/serviceaccount/ca.crt': 'ca',
    'discovery/none.json': '[]',
  }, (dir) => {
    fs.writeFileSync(path.join(dir, 'prometheus.yml'), standIn(prometheus.config, dir));
    return promtool(['check', 'config', 'prometheus.yml'], dir);
  });
  expectSuccess(run);
  expect(run.output).toMatch(new RegExp(`SUCCESS: ${Object.keys(prometheus.rules).length} rule files found`));
}

/** Runs `promtool test rules` on a fixture, next to the generated rule files it names. */
function testRules(fixture: string, content = fs.readFileSync(path.join(FIXTURES, fixture), 'utf8')): { status: number; output: string } {
  const ruleFiles = Object.fromEntries(Object.entries(files.rules).map(([name, text]) => [`rules/${name}`, text]));
  return inTempDir({ ...ruleFiles, [fixture]: content }, (dir) => promtool(['test', 'rules', fixture], dir));
}

describe('monitoring proofs with promtool', () => {
  test('the generated prometheus.yml passes promtool check config, rule files included', () => {
    checkConfig(files);
  });

  test('each replica of the HA pair, its replica label expanded from its pod name as Prometheus does, passes promtool with a label of its own', () => {
    const config = parseYaml(files.config);
    // Written once for every replica: Prometheus expands it at start (--enable-feature=expand-external-labels).
    expect(config.global.external_labels).toEqual({ replica: '${POD_NAME}' });
    const labels = ['prometheus-0', 'prometheus-1'].map((pod) => {
      const expanded = files.config.split('${POD_NAME}').join(pod);
      checkConfig({ config: expanded, rules: files.rules });
      return parseYaml(expanded).global.external_labels.replica;
    });
    expect(labels).toEqual(['prometheus-0', 'prometheus-1']);
    // The label is dropped from alerts, which are then the same from both replicas.
    expect(config.alerting.alert_relabel_configs).toEqual([{ action: 'labeldrop', regex: 'replica' }]);
  });

  test('the Kubernetes discovery blocks promtool cannot parse here have the documented shape', () => {
    const discoveries = kubernetesDiscoveries(parseYaml(files.config));
    expect(discoveries.length).toBeGreaterThan(0);
    for (const discovery of discoveries) {
      expect([
        { role: 'node' },
        { role: 'pod', namespaces: { names: [expect.stringMatching(/^[a-z0-9-]+$/)] } },
      ]).toContainEqual(discovery);
    }
  });

  test('every rule file passes promtool check rules', () => {
    const names = Object.keys(files.rules);
    expect(names).toEqual(['edge-ingest-streams.rules.yaml', 'inference-yolo.rules.yaml', 'ingest-streams.rules.yaml',
      'platform-kubernetes.rules.yaml', 'platform-node.rules.yaml', 'platform-prometheus.rules.yaml']);
    expectSuccess(inTempDir(files.rules, (dir) => promtool(['check', 'rules', ...names], dir)));
  });

  test.each([
    ['platform.test.yaml', 'KubePodCrashLooping, TargetDown, NodeFilesystemSpaceFillingUp, Watchdog'],
    ['ingest.test.yaml', 'CameraStreamDown, CameraPacketLoss, IngestShardNotReady'],
    ['edge-ingest.test.yaml', 'CameraStreamDown without a camera list'],
    ['inference.test.yaml', "InferenceQueueGrowing (GpuWorkerPool's)"],
  ])('promtool test rules %s: %s fire on the series that should trigger them, and only on those', (fixture) => {
    const run = testRules(fixture);
    expectSuccess(run);
    expect(run.output).toMatch(/SUCCESS/);
  });

  test('the reference platform with the bundle: every object valid, its config and every rule accepted by promtool', () => {
    const reference = referencePlatformFiles();
    expect(Object.keys(reference.rules)).toEqual(expect.arrayContaining(['gpu-nodes.rules.yaml', 'platform-kubernetes.rules.yaml']));
    checkConfig(reference);
    expectSuccess(inTempDir(reference.rules, (dir) => promtool(['check', 'rules', ...Object.keys(reference.rules)], dir)));
  });

  test('at 3,000 cameras: rules spread over ConfigMaps under 512 KiB of YAML, jobs of one shape merged, and promtool accepts it all', () => {
    const app = new LayeredApp({ outdir: 'unused', recordConstructMetadata: false });
    buildBenchPlatform(app, 3000);
    app.synthYaml();
    const monitoring = app.charts.find((chart) => chart.node.id.endsWith('video-analytics-monitoring'))!.toJson() as KubeObject[];
    // Every object of the monitoring layer is valid: the size rule keeps each ConfigMap's data under 1 MiB.
    expect(ManifestValidator.validateObjects(monitoring).violations.map(formatViolation)).toEqual([]);

    const ruleMaps = monitoring.filter((o) => o.kind === 'ConfigMap' && /^prometheus-rules(-\d+)?$/.test(o.metadata.name));
    expect(ruleMaps.length).toBeGreaterThan(2);
    expect(ruleMaps.map((o) => o.metadata.name)).toEqual(ruleMaps.map((_, i) => (i === 0 ? 'prometheus-rules' : `prometheus-rules-${i}`)));
    for (const map of ruleMaps) expect({ map: map.metadata.name, small: Buffer.byteLength(Yaml.stringify(map)) <= 512 * 1024 }).toEqual({ map: map.metadata.name, small: true });
    const statefulSet = findObject(monitoring, 'StatefulSet', 'prometheus');
    expect(statefulSet.spec.template.spec.volumes.find((v: KubeObject) => v.name === 'rules').projected.sources)
      .toEqual(ruleMaps.map((o) => ({ configMap: { name: o.metadata.name } })));
    const rules: Record<string, string> = Object.assign({}, ...ruleMaps.map((o) => o.data));
    // The 3,000 camera series do not fit in one rule file: the overflow goes to a group of its own.
    expect(Object.keys(rules)).toEqual(expect.arrayContaining(['ingest-streams.rules.yaml', 'ingest-streams-cameras-1.rules.yaml']));

    const config = findObject(monitoring, 'ConfigMap', 'prometheus-config').data['prometheus.yml'];
    const jobNames = (parseYaml(config).scrape_configs as KubeObject[]).map((job) => job.job_name);
    expect(jobNames).toEqual(expect.arrayContaining(['video-analytics/analysis/http', 'video-analytics/gpu-worker-pool/inference-server/metrics']));
    expect(jobNames.length).toBeLessThan(20);
    checkConfig({ config, rules });
    expectSuccess(inTempDir(rules, (dir) => promtool(['check', 'rules', ...Object.keys(rules)], dir)));
  });

  test('the unit tests can fail: an alert expected on healthy series is reported', () => {
    const wrong = fs.readFileSync(path.join(FIXTURES, 'ingest.test.yaml'), 'utf8').replace('- eval_time: 1m\n        alertname: CameraStreamDown\n        exp_alerts: []',
      '- eval_time: 1m\n        alertname: CameraStreamDown\n        exp_alerts: [{ exp_labels: { name: cam-a } }]');
    const run = testRules('ingest.test.yaml', wrong);
    expect(run.status).not.toBe(0);
    expect(run.output).toMatch(/alertname: CameraStreamDown, time: 1m/);
  });

  test('a missing promtool fails the proofs and says how to install it', () => {
    expect(() => promtool(['--version'], undefined, { PATH: '/nonexistent' }))
      .toThrow(/apt-get install -y --no-install-recommends prometheus/);
  });
});
