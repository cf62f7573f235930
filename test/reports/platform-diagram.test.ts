import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, Testing } from 'cdk8s';
import { parse as parseYaml } from 'yaml';
import {
  CameraInventory, GpuRequest, LayeredApp, ModelRepository, MonitoringMode, Scaling, StreamSelection, VideoAnalyticsPlatform,
} from '../../lib';
import { PlatformDiagram } from '../../lib/reports/platform-diagram';
import { DETECTIONS_PER_POOL, buildBenchPlatform, shapeFor } from '../../bench/platform';
import { REFERENCE_CAMERAS, buildReferencePlatform } from '../../main';
import { KubeObject, findObject, testApp } from '../_helpers';
import { Flowchart, mermaidBlock, parseFlowchart } from '../_mermaid';

/** Every object of the app, as it synthesizes them. */
function synthesized(app: App): KubeObject[] {
  return app.charts.flatMap((chart) => Testing.synth(chart)) as KubeObject[];
}

/** The node whose label starts with `firstLine`: its id and its label's lines. */
function node(chart: Flowchart, firstLine: string): { id: string; lines: string[] } {
  const found = [...chart.nodes].filter(([, label]) => label.split('\n')[0] === firstLine);
  if (found.length !== 1) throw new Error(`expected one node '${firstLine}', found ${found.length} among: ${[...chart.nodes.values()].map((l) => l.split('\n')[0]).join('; ')}`);
  return { id: found[0][0], lines: found[0][1].split('\n') };
}

/** Edge labels from one node (or subgraph) to another. */
function edges(chart: Flowchart, from: string, to: string): string[] {
  return chart.edges.filter((e) => e.from === from && e.to === to).map((e) => `${e.dotted ? 'dotted ' : ''}${e.label}`);
}

/** Replicas of a Deployment as the objects state them: its HPA's or ScaledObject's range, or spec.replicas. */
function replicasOf(objects: readonly KubeObject[], deployment: KubeObject): string {
  const targets = (o: KubeObject) => o.metadata.namespace === deployment.metadata.namespace && o.spec.scaleTargetRef.name === deployment.metadata.name;
  const hpa = objects.find((o) => o.kind === 'HorizontalPodAutoscaler' && targets(o));
  if (hpa) return `${hpa.spec.minReplicas}..${hpa.spec.maxReplicas}`;
  const scaled = objects.find((o) => o.kind === 'ScaledObject' && targets(o));
  if (scaled) return `${scaled.spec.minReplicaCount}..${scaled.spec.maxReplicaCount}`;
  return `${deployment.spec.replicas}..${deployment.spec.replicas}`;
}

function gpusPerWorker(deployment: KubeObject): number {
  return deployment.spec.template.spec.containers.reduce((n: number, c: KubeObject) => n + Number(c.resources.limits['nvidia.com/gpu'] ?? 0), 0);
}

/** The cameras of an analysis service's camera list (its ConfigMap's cameras.json). */
function camerasOf(objects: readonly KubeObject[], name: string, namespace: string): KubeObject[] {
  return JSON.parse(findObject(objects, 'ConfigMap', name, namespace).data['cameras.json']);
}

describe('the Mermaid reader the tests rely on', () => {
  test.each([
    ['an unquoted label', 'flowchart LR\n  a[text]\n'],
    ['a quote inside a label', 'flowchart LR\n  a["say "hi""]\n'],
    ['a # that starts no entity code', 'flowchart LR\n  a["#1 camera"]\n'],
    ['an id defined twice', 'flowchart LR\n  a["one"]\n  a["two"]\n'],
    ['an edge to an undefined id', 'flowchart LR\n  a["one"]\n  a -->|"x"| b\n'],
    ['an edge without a quoted label', 'flowchart LR\n  a["one"]\n  b["two"]\n  a --> b\n'],
    ['a keyword as id', 'flowchart LR\n  end["one"]\n'],
    ['an unclosed subgraph', 'flowchart LR\n  subgraph s["S"]\n  a["one"]\n'],
  ])('refuses %s', (_name, text) => {
    expect(() => parseFlowchart(text)).toThrow();
  });

  test('reads nodes, subgraphs, edges and entity codes', () => {
    const chart = parseFlowchart('flowchart LR\n  subgraph s["S"]\n    a["one<br/>#quot;two#quot; #35;3"]\n  end\n  b["b"]\n  b -.->|"x"| s\n');
    expect(chart.nodes.get('a')).toBe('one\n"two" #3');
    expect(chart.subgraphs.get('s')).toEqual({ title: 'S', members: ['a'] });
    expect(chart.edges).toEqual([{ from: 'b', to: 's', label: 'x', dotted: true }]);
  });
});

describe('PlatformDiagram of the reference platform', () => {
  const app = testApp();
  const { detections, pool } = buildReferencePlatform(app);
  const objects = synthesized(app);
  const diagram = PlatformDiagram.of(app);
  const chart = parseFlowchart(diagram.toMermaid());
  const ns = 'video-analytics';

  test('is valid Mermaid in a Markdown mermaid block', () => {
    const markdown = diagram.toMarkdown();
    expect(parseFlowchart(mermaidBlock(markdown))).toEqual(chart);
    expect(markdown).toMatchSnapshot();
  });

  test('shows each site with its cameras, as the camera inventory labels them, feeding the ingest', () => {
    const cameras = CameraInventory.fromFile(REFERENCE_CAMERAS).cameras;
    const ingest = node(chart, `ingest (${ns})`);
    for (const site of ['loading-dock', 'north-gate', 'warehouse']) {
      const count = cameras.filter((c) => c.labels?.site === site).length;
      const siteNode = node(chart, site);
      expect(siteNode.lines).toEqual([site, `${count} cameras`]);
      expect(edges(chart, siteNode.id, ingest.id)).toEqual([`${count} cameras`]);
    }
  });

  test('shows the ingest shards and their replicas as the objects have them', () => {
    const shards = objects.filter((o) => o.kind === 'Deployment' && /^ingest-shard-\d+$/.test(o.metadata.name));
    const replicas = new Set(shards.map((s) => s.spec.replicas));
    expect(replicas.size).toBe(1);
    const paths = shards.flatMap((s) => Object.keys(parseYaml(findObject(objects, 'ConfigMap', s.metadata.name, ns).data['mediamtx.yml']).paths));
    expect(node(chart, `ingest (${ns})`).lines).toEqual([`ingest (${ns})`, `${shards.length} shards × ${[...replicas][0]} replicas`, `${paths.length} cameras`]);
    expect(shards.length).toBe(6);
  });

  test('shows each detection with its replicas min..max, the cameras it reads and the pool it calls', () => {
    const ingest = node(chart, `ingest (${ns})`);
    const poolNode = node(chart, `yolo (${ns})`);
    expect(detections).toHaveLength(3);
    for (const detection of detections) {
      const deployment = findObject(objects, 'Deployment', detection.name, ns);
      const detectionNode = node(chart, `${detection.name} (${ns})`);
      expect(detectionNode.lines).toEqual([`${detection.name} (${ns})`, `replicas ${replicasOf(objects, deployment)}`]);
      expect(edges(chart, ingest.id, detectionNode.id)).toEqual([`${camerasOf(objects, detection.name, ns).length} cameras`]);
      expect(edges(chart, detectionNode.id, poolNode.id)).toEqual(['inference']);
    }
    expect(node(chart, `smoke (${ns})`).lines[1]).toBe('replicas 2..3');
  });

  test('shows the pool with its workers and GPU request, on the GPU nodes the inventory declares', () => {
    const deployment = findObject(objects, 'Deployment', pool.name, ns);
    const workers = replicasOf(objects, deployment);
    const perWorker = gpusPerWorker(deployment);
    const poolNode = node(chart, `yolo (${ns})`);
    expect(poolNode.lines).toEqual([`yolo (${ns})`, `workers ${workers}`, `${perWorker} × nvidia.com/gpu per worker (0.5 GPU)`]);
    // The capacity the inventory declares, as its alert rule states it.
    const rules = parseYaml(findObject(objects, 'ConfigMap', 'prometheus-rules', 'monitoring').data['gpu-nodes.rules.yaml']);
    const capacity = rules.groups[0].rules.find((r: KubeObject) => r.alert === 'GpuCapacityBelowInventory').expr.match(/< (\d+)$/)[1];
    const gpuNode = node(chart, '2 GPU nodes');
    expect(gpuNode.lines).toEqual(['2 GPU nodes', '1 GPU each, time-sliced 4 ways', `${capacity} × nvidia.com/gpu`]);
    expect(edges(chart, poolNode.id, gpuNode.id)).toEqual([`up to ${Number(workers.split('..')[1]) * perWorker} × nvidia.com/gpu`]);
  });

  test('shows Prometheus with its replicas and what it scrapes', () => {
    const prometheus = findObject(objects, 'StatefulSet', 'prometheus', 'monitoring');
    const jobs = parseYaml(findObject(objects, 'ConfigMap', 'prometheus-config', 'monitoring').data['prometheus.yml']).scrape_configs.map((j: KubeObject) => j.job_name);
    const promNode = node(chart, `Prometheus × ${prometheus.spec.replicas} (monitoring)`);
    expect(promNode.lines[1]).toBe(`${jobs.length} scrape jobs`);
    expect(promNode.lines[2]).toBe('also: alertmanager, cadvisor, grafana, kube-state-metrics, kubelet, node-exporter, prometheus');
    expect(edges(chart, promNode.id, node(chart, `ingest (${ns})`).id)).toEqual(['dotted scrapes']);
    expect(edges(chart, promNode.id, 'analysisLayer')).toEqual(['dotted scrapes all 3']);
    expect(chart.subgraphs.get('analysisLayer')!.members).toHaveLength(3);
    expect(edges(chart, promNode.id, node(chart, `yolo (${ns})`).id)).toEqual(['dotted scrapes']);
    expect(edges(chart, promNode.id, node(chart, '2 GPU nodes').id)).toEqual(['dotted scrapes']);
  });

  test('states the figures as data too', () => {
    const data = diagram.toJson();
    expect(data.ingests).toEqual([{ namespace: ns, name: 'ingest', shards: 6, replicasPerShard: { min: 2, max: 2 }, cameras: 48 }]);
    expect(data.pools).toEqual([{ namespace: ns, name: 'yolo', workers: { min: 2, max: 4 }, gpusPerWorker: 2, gpuNodes: 0 }]);
    expect(data.gpuNodes).toEqual([{ inventory: '02-video-analytics-gpu/gpus', nodes: 2, gpusPerNode: 1, slicesPerGpu: 4 }]);
  });
});

describe('PlatformDiagram of other compositions', () => {
  test('each part in a namespace of its own, under an operator\'s Prometheus', () => {
    const app = testApp();
    const platform = new VideoAnalyticsPlatform(app, 'va', {
      cameras: CameraInventory.fromFile(REFERENCE_CAMERAS).cameras,
      ingest: { namespace: 'cams' },
      gpu: { nodes: 3, gpusPerNode: 2 },
      monitoring: { mode: MonitoringMode.OPERATOR, namespace: 'observability', prometheusUrl: 'http://prometheus-operated.observability.svc:9090' },
      descheduler: { enabled: false },
    });
    const pool = platform.addInferencePool('detector', {
      namespace: 'infer', modelRepository: ModelRepository.fromImage('models/yolo:1.0.0', '/models'), gpusPerWorker: GpuRequest.whole(1), minWorkers: 2, maxWorkers: 5,
    });
    platform.addDetection('intrusion', {
      namespace: 'detect', image: 'detections/intrusion:1.0.0', streams: StreamSelection.withLabels(platform.ingest, { site: 'north-gate' }), inference: pool,
    });
    platform.addDetection('smoke', { namespace: 'detect', image: 'detections/smoke:1.0.0', streamsPerReplica: 24, scaling: Scaling.cpu(70), maxReplicas: 4 });
    const objects = synthesized(app);
    const markdown = PlatformDiagram.of(app).toMarkdown();
    const chart = parseFlowchart(mermaidBlock(markdown));
    expect(markdown).toMatchSnapshot();

    const ingest = node(chart, 'ingest (cams)');
    const shards = objects.filter((o) => o.kind === 'Deployment' && o.metadata.namespace === 'cams');
    expect(ingest.lines[1]).toBe(`${shards.length} shards × 2 replicas`);
    const intrusion = node(chart, 'intrusion (detect)');
    const smoke = node(chart, 'smoke (detect)');
    expect(smoke.lines[1]).toBe(`replicas ${replicasOf(objects, findObject(objects, 'Deployment', 'smoke', 'detect'))}`);
    // Links across namespaces, from the NetworkPolicies: smoke reads every camera and calls no pool.
    expect(edges(chart, ingest.id, intrusion.id)).toEqual([`${camerasOf(objects, 'intrusion', 'detect').length} cameras`]);
    expect(edges(chart, ingest.id, smoke.id)).toEqual(['48 cameras']);
    const poolNode = node(chart, 'detector (infer)');
    expect(poolNode.lines).toEqual(['detector (infer)', 'workers 2..5', '1 × nvidia.com/gpu per worker']);
    expect(edges(chart, intrusion.id, poolNode.id)).toEqual(['inference']);
    expect(chart.edges.filter((e) => e.from === smoke.id)).toEqual([]);
    const gpuNode = node(chart, '3 GPU nodes');
    expect(gpuNode.lines).toEqual(['3 GPU nodes', '2 GPUs each', '6 × nvidia.com/gpu']);
    expect(edges(chart, poolNode.id, gpuNode.id)).toEqual(['up to 5 × nvidia.com/gpu']);
    // No Prometheus among the objects: the operator's, which the PodMonitors feed.
    const podMonitors = objects.filter((o) => o.kind === 'PodMonitor');
    expect(podMonitors.length).toBeGreaterThan(0);
    const prometheus = node(chart, 'Prometheus of the operator (observability)');
    expect(prometheus.lines[1]).toBe(`${podMonitors.length} PodMonitors`);
    expect(edges(chart, prometheus.id, 'analysisLayer')).toEqual(['dotted scrapes all 2']);
    expect(edges(chart, prometheus.id, ingest.id)).toEqual(['dotted scrapes']);
    expect(edges(chart, prometheus.id, gpuNode.id)).toEqual(['dotted scrapes']);
  });

  test('the bench platform at small scale: every site, detection and pool, each detection on its pool', () => {
    const app = new LayeredApp({ outdir: 'unused' });
    const shape = shapeFor(48);
    buildBenchPlatform(app, shape.cameras);
    const objects = synthesized(app);
    const chart = parseFlowchart(PlatformDiagram.of(app).toMermaid());
    expect([...chart.nodes.keys()].filter((id) => id.startsWith('site'))).toHaveLength(shape.sites);
    expect(chart.subgraphs.get('analysisLayer')!.members).toHaveLength(shape.detections);
    expect(chart.subgraphs.get('inferenceLayer')!.members).toHaveLength(shape.pools);
    expect(node(chart, `${shape.gpuNodes} GPU nodes`).lines[2]).toBe(`${shape.gpuNodes * 4} × nvidia.com/gpu`);
    const analysis = objects.filter((o) => o.kind === 'Deployment' && o.metadata.labels['app.kubernetes.io/component'] === 'analysis');
    expect(analysis).toHaveLength(shape.detections);
    for (const deployment of analysis) {
      const { name, namespace } = deployment.metadata;
      // The pool a detection calls, as its container's environment names it.
      const url = deployment.spec.template.spec.containers[0].env.find((e: KubeObject) => e.name === 'INFERENCE_HTTP_URL').value;
      const poolName = new URL(url).hostname.split('.')[0];
      const detectionNode = node(chart, `${name} (${namespace})`);
      expect(detectionNode.lines[1]).toBe(`replicas ${replicasOf(objects, deployment)}`);
      expect(edges(chart, detectionNode.id, node(chart, `${poolName} (${namespace})`).id)).toEqual(['inference']);
      expect(edges(chart, node(chart, `ingest (${namespace})`).id, detectionNode.id)).toEqual([`${camerasOf(objects, name, namespace).length} cameras`]);
    }
    const perPool = analysis.length / shape.pools;
    expect(perPool).toBeLessThanOrEqual(DETECTIONS_PER_POOL);
  });
});

describe('PlatformDiagram.writeBeside', () => {
  test('writes reports/platform.md beside the output folder, never in it', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'platform-diagram-'));
    try {
      const app = new LayeredApp({ outdir: path.join(dir, 'dist') });
      buildReferencePlatform(app);
      app.synth();
      const file = PlatformDiagram.writeBeside(app);
      expect(file).toBe(path.join(dir, 'reports', 'platform.md'));
      expect(parseFlowchart(mermaidBlock(fs.readFileSync(file, 'utf8'))).nodes.size).toBeGreaterThan(5);
      expect(fs.readdirSync(path.join(dir, 'dist')).every((f) => f.endsWith('.k8s.yaml'))).toBe(true);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('refuses a GPU node count that is not a whole number', () => {
    expect(() => PlatformDiagram.of(testApp(), { gpuNodes: 0 })).toThrow(/^PlatformDiagram: 'gpuNodes' \(0\) must be an integer >= 1\./);
  });
});
