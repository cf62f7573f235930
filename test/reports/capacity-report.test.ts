import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ApiObject, App, Chart, Lazy } from 'cdk8s';
import {
  AnalysisService, CameraSpec, GpuInventory, GpuRequest, GpuWorkerPool, ModelRepository, Scaling, StreamIngest, StreamSelection,
} from '../../lib';
import { CapacityReport, CapacityReportData } from '../../lib/reports/capacity-report';
import { ConfigMapObject } from '../../lib/synth/config-map';
import { cpuMillis, isQuantity, memoryBytes } from '../../lib/core/quantity';
import { APP_NAMESPACE, buildReferencePlatform } from '../../main';
import { testApp } from '../_helpers';

const Mi = 2 ** 20;
const Gi = 2 ** 30;

function namespace(data: CapacityReportData, name: string) {
  const found = data.namespaces.find((n) => n.namespace === name);
  if (!found) throw new Error(`no namespace '${name}' among ${data.namespaces.map((n) => n.namespace).join(', ')}`);
  return found;
}

function workload(data: CapacityReportData, kind: string, name: string) {
  const found = data.workloads.filter((w) => w.kind === kind && w.name === name);
  if (found.length !== 1) throw new Error(`expected one ${kind} '${name}', found ${found.length}`);
  return found[0];
}

describe('Kubernetes quantities', () => {
  test.each<[string | number, number]>([
    ['100m', 100], ['1', 1000], ['0.5', 500], ['1.1', 1100], ['2.5', 2500], ['.25', 250],
    ['1e3', 1_000_000], ['250000u', 250], ['0.0001', 1], [2, 2000], [0.25, 250],
  ])('CPU %p is %p millicores', (quantity, millis) => {
    expect(cpuMillis(quantity)).toBe(millis);
  });

  test.each<[string | number, number]>([
    ['128Mi', 128 * Mi], ['1Gi', Gi], ['512Ki', 512 * 1024], ['1.5Gi', 1.5 * Gi], ['0.5Ki', 512],
    ['1000', 1000], [1024, 1024], ['1k', 1000], ['1M', 1_000_000], ['2G', 2e9], ['1e6', 1e6], ['1E', 1e18], ['100m', 1],
  ])('memory %p is %p bytes', (quantity, bytes) => {
    expect(memoryBytes(quantity)).toBe(bytes);
  });

  test.each(['', 'abc', '1Mb', '1.2.3', 'Mi', '1 Gi', '1e', '1e999999999', '0x10'])('refuses %p', (quantity) => {
    expect(isQuantity(quantity)).toBe(false);
    expect(() => cpuMillis(quantity)).toThrow(/is not a Kubernetes quantity/);
    expect(() => memoryBytes(quantity)).toThrow(/is not a Kubernetes quantity/);
  });
});

describe('CapacityReport of the reference platform', () => {
  const app = testApp();
  buildReferencePlatform(app);
  const report = CapacityReport.of(app);
  const data = report.toJson();

  test('counts 16 cameras at each of the three sites', () => {
    expect(data.sites.map((s) => [s.site, s.cameras])).toEqual([['loading-dock', 16], ['north-gate', 16], ['warehouse', 16]]);
    expect(data.sites.find((s) => s.site === 'warehouse')!.detections).toEqual(['safety-helmet', 'smoke']);
  });

  test('gives each detection its cameras per site, and the replicas of the whole service', () => {
    const smoke = data.siteDetections.filter((d) => d.detection === 'smoke');
    expect(smoke.map((d) => [d.site, d.cameras, d.sitesServed])).toEqual([['loading-dock', 16, 3], ['north-gate', 16, 3], ['warehouse', 16, 3]]);
    const helmet = data.siteDetections.find((d) => d.detection === 'safety-helmet')!;
    expect(helmet).toMatchObject({ site: 'warehouse', cameras: 16, sitesServed: 1, analysisReplicas: { min: 2, max: 2 } });
    // Each site's cameras come from shards of the ingest, never from more shards than there are.
    for (const d of data.siteDetections) expect(d.ingestShards).toBeGreaterThanOrEqual(1);
  });

  test('the GPU pool takes the whole inventory at maximum scale: 8 slices of 8, no headroom; its two workers spread over both nodes', () => {
    const pool = data.inferencePools.find((p) => p.pool === 'yolo')!;
    expect(pool).toMatchObject({ workers: { min: 2, max: 4 }, slicesPerWorker: 2, slices: { min: 4, max: 8 }, gpus: { min: 1, max: 2 }, nodes: { min: 2, max: 2 } });
    expect(data.gpuInventories).toHaveLength(1);
    expect(data.gpuInventories[0]).toMatchObject({ capacitySlices: 8, demandSlices: 8, headroomSlices: 0, headroomPercent: 0, capacityGpus: 2, demandGpus: 2 });
  });

  test('(c) shows the placement synthesis checks: two workers of 0.5 on each node\'s GPU, nothing left out', () => {
    const yolo = (worker: number) => ({ consumer: `${APP_NAMESPACE}/yolo`, worker });
    expect(data.gpuInventories[0].placement).toEqual({
      gpus: [
        { node: 1, gpu: 0, used: 4, free: 0, workers: [yolo(1), yolo(3)] },
        { node: 2, gpu: 0, used: 4, free: 0, workers: [yolo(2), yolo(4)] },
      ],
      unplaced: [],
    });
    const markdown = report.toMarkdown();
    expect(markdown).toContain([
      `### Placement at maximum scale: ${data.gpuInventories[0].inventory}`,
      '',
      "Every consumer's workers at maximum scale, as synthesis places them: a worker's slices on one GPU,",
      "a pool's workers spread over the nodes (no node takes a second worker of a pool while another has none), largest workers first.",
      'Used and free in slices, 4 per GPU. Nodes are numbered: the inventory declares how many, not which.',
      '',
      '| Node | GPU | Used | Free | Workers |',
      '|:---|---:|---:|---:|:---|',
      `| node 1 | 0 | 4 | 0 | ${APP_NAMESPACE}/yolo #1, #3 |`,
      `| node 2 | 0 | 4 | 0 | ${APP_NAMESPACE}/yolo #2, #4 |`,
    ].join('\n'));
    expect(markdown).not.toContain('Not placed');
  });

  test('sums the requests of the application namespace from its workloads', () => {
    // 6 ingest shards × 2 replicas × (100m, 128Mi); safety-helmet and intrusion 2 × (500m, 512Mi);
    // smoke 2 to 3 × (500m, 512Mi) by its HPA; yolo 2 to 4 × (1 CPU, 2Gi) by KEDA (its model
    // loader, 100m and 64Mi, runs before the server and is smaller).
    const ns = namespace(data, APP_NAMESPACE);
    expect(ns.requests.min).toEqual({ cpuMillis: 1200 + 1000 + 1000 + 1000 + 2000, memoryBytes: (1536 + 1024 + 1024 + 1024 + 4096) * Mi });
    expect(ns.requests.max).toEqual({ cpuMillis: 1200 + 1000 + 1000 + 1500 + 4000, memoryBytes: (1536 + 1024 + 1024 + 1536 + 8192) * Mi });
    expect(ns.pods).toEqual({ min: 12 + 2 + 2 + 2 + 2, max: 12 + 2 + 2 + 3 + 4 });
  });

  test('counts the GPU node daemons once per GPU node', () => {
    const devicePlugin = data.workloads.find((w) => w.kind === 'DaemonSet' && w.name === 'nvidia-device-plugin')!;
    expect(devicePlugin.pods).toEqual({ min: 2, max: 2 });
    expect(devicePlugin.countedBy).toMatch(/^GpuInventory .* \(2 nodes\)$/);
  });

  test('renders every table', () => {
    const markdown = report.toMarkdown();
    for (const heading of ['## Sites', '## Detections by site', '## Inference pools', '## GPU inventories', '## Requests and limits per namespace', '## Workloads']) {
      expect(markdown).toContain(heading);
    }
    expect(markdown).toContain('| warehouse | 16 |');
    expect(markdown).toContain('| 8 | 8 | 0 | 0% | 2 / 2 | video-analytics/yolo: 4 workers × 2 = 8 |');
    expect(markdown).toContain(`| ${APP_NAMESPACE} | 20 | 23 | 6.2 | 8.7 | 8.5 GiB | 13 GiB |`);
  });

  test('serializes only the kinds it reads: a ConfigMap, however costly to render, is never asked', () => {
    const app = testApp();
    buildReferencePlatform(app);
    let rendered = 0;
    new ConfigMapObject(new Chart(app, 'extra'), 'costly', {
      metadata: { name: 'costly', namespace: APP_NAMESPACE },
      data: Lazy.any({ produce: () => { rendered++; return { 'a.yaml': 'a: 1\n' }; } }) as unknown as Record<string, string>,
    });
    expect(CapacityReport.of(app).toJson().workloads.length).toBeGreaterThan(10);
    expect(rendered).toBe(0);
  });

  test('is the same text for the same platform, with nothing that changes from run to run', () => {
    const again = testApp();
    buildReferencePlatform(again);
    expect(CapacityReport.of(again).toMarkdown()).toBe(report.toMarkdown());
    expect(report.toMarkdown()).not.toMatch(/\d{4}-\d{2}-\d{2}|\d{2}:\d{2}:\d{2}/);
  });
});

/** Six cameras, each in a shard of its own: site a has four, site b two. */
function cameras(): CameraSpec[] {
  return ['a-1', 'a-2', 'a-3', 'a-4', 'b-1', 'b-2'].map((id, i) => ({ id, url: `rtsp://10.0.0.${i + 1}:554/stream`, labels: { site: id[0] } }));
}

function container(name: string, requests: object | undefined, limits: object | undefined, extra: object = {}): object {
  return { name, image: 'example/app:1.0.0', resources: { ...(requests && { requests }), ...(limits && { limits }) }, ...extra };
}

function workloadObject(kind: string, name: string, spec: object, podSpec: object): object {
  return { apiVersion: kind === 'Job' ? 'batch/v1' : 'apps/v1', kind, metadata: { name, namespace: 'raw' }, spec: { ...spec, selector: { matchLabels: { app: name } }, template: { metadata: { labels: { app: name } }, spec: podSpec } } };
}

/** A small platform whose every figure is computed by hand in the tests below. */
function smallPlatform(): App {
  const app = testApp();
  const chart = new Chart(app, 'small', { disableResourceNameHashes: true });
  const ingest = new StreamIngest(chart, 'ingest', { namespace: 'ns', cameras: cameras(), camerasPerShard: 1, shards: 6 });
  new AnalysisService(chart, 'det-a', { namespace: 'ns', image: 'example/det:1.0.0', streams: StreamSelection.withLabels(ingest, { site: 'a' }), streamsPerReplica: 2 });
  new AnalysisService(chart, 'det-all', { namespace: 'ns', image: 'example/det:1.0.0', streams: StreamSelection.all(ingest), streamsPerReplica: 4, scaling: Scaling.cpu(70) });
  const gpus = new GpuInventory(chart, 'gpus', { nodes: 3, gpusPerNode: 2 });
  new GpuWorkerPool(chart, 'pool', {
    namespace: 'ns', inventory: gpus, modelRepository: ModelRepository.fromImage('example/models:1.0.0', '/models'),
    gpusPerWorker: GpuRequest.whole(2), minWorkers: 1, maxWorkers: 2, prometheusAddress: 'http://prometheus.monitoring.svc.cluster.local:9090',
  });

  const objects: Record<string, object> = {
    'init-heavy': workloadObject('Deployment', 'init-heavy', { replicas: 3 }, {
      initContainers: [container('migrate', { cpu: '2', memory: '1Gi' }, { cpu: '2', memory: '1Gi' })],
      containers: [container('a', { cpu: '250m', memory: '256Mi' }, { cpu: '500m', memory: '512Mi' }), container('b', { cpu: '250m', memory: '128Mi' }, { cpu: '500m', memory: '256Mi' })],
    }),
    'db': workloadObject('StatefulSet', 'db', { replicas: 2, serviceName: 'db' }, { containers: [container('db', { cpu: '0.5', memory: '1.5Gi' }, { cpu: '1', memory: '2Gi' })] }),
    'auto': workloadObject('Deployment', 'auto', {}, { containers: [container('auto', { cpu: '100m', memory: '100Mi' }, { cpu: '200m', memory: '200Mi' })] }),
    'auto-hpa': { apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler', metadata: { name: 'auto', namespace: 'raw' }, spec: { scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'auto' }, minReplicas: 1, maxReplicas: 5 } },
    'everywhere': workloadObject('DaemonSet', 'everywhere', {}, { containers: [container('agent', { cpu: '10m', memory: '10Mi' }, { cpu: '20m', memory: '20Mi' })] }),
    'gpu-only': workloadObject('DaemonSet', 'gpu-only', {}, {
      nodeSelector: { 'nvidia.com/gpu.present': 'true' },
      containers: [container('agent', { cpu: '50m', memory: '64Mi' }, { cpu: '100m', memory: '128Mi' })],
    }),
    'sidecar': workloadObject('Deployment', 'sidecar', { replicas: 1 }, {
      initContainers: [
        container('proxy', { cpu: '100m', memory: '100Mi' }, { cpu: '100m', memory: '100Mi' }, { restartPolicy: 'Always' }),
        container('setup', { cpu: '1', memory: '50Mi' }, { cpu: '1', memory: '50Mi' }),
      ],
      containers: [container('app', { cpu: '200m', memory: '200Mi' }, { cpu: '200m', memory: '200Mi' })],
    }),
    'kata': { apiVersion: 'node.k8s.io/v1', kind: 'RuntimeClass', metadata: { name: 'kata' }, handler: 'kata', overhead: { podFixed: { cpu: '250m', memory: '120Mi' } } },
    'with-overhead': workloadObject('Deployment', 'with-overhead', { replicas: 2 }, {
      runtimeClassName: 'kata', containers: [container('app', { cpu: '1', memory: '1Gi' }, { cpu: '1', memory: '1Gi' })],
    }),
    'migrate': workloadObject('Job', 'migrate', {}, { restartPolicy: 'Never', containers: [container('migrate', { cpu: '4', memory: '4Gi' }, { cpu: '4', memory: '4Gi' })] }),
    'no-limits': workloadObject('Deployment', 'no-limits', { replicas: 1 }, { containers: [container('app', { cpu: '100m', memory: '64Mi' }, undefined)] }),
    'limits-only': workloadObject('Deployment', 'limits-only', { replicas: 1 }, { containers: [container('app', undefined, { cpu: '300m', memory: '300Mi' })] }),
  };
  for (const [id, object] of Object.entries(objects)) new ApiObject(chart, id, object as any);
  return app;
}

describe('CapacityReport of a small platform, computed by hand', () => {
  const app = smallPlatform();
  const data = CapacityReport.of(app).toJson();

  test('sites: cameras, and the shards they are pulled by (one camera per shard here)', () => {
    expect(data.sites).toEqual([
      { site: 'a', cameras: 4, ingestShards: 4, detections: ['det-a', 'det-all'] },
      { site: 'b', cameras: 2, ingestShards: 2, detections: ['det-all'] },
    ]);
  });

  test('detections per site: det-a needs ceil(4 / 2) = 2 replicas; det-all 2 to 4 under its HPA', () => {
    expect(data.siteDetections).toEqual([
      { site: 'a', detection: 'det-a', namespace: 'ns', cameras: 4, ingestShards: 4, analysisReplicas: { min: 2, max: 2 }, sitesServed: 1 },
      { site: 'a', detection: 'det-all', namespace: 'ns', cameras: 4, ingestShards: 4, analysisReplicas: { min: 2, max: 4 }, sitesServed: 2 },
      { site: 'b', detection: 'det-all', namespace: 'ns', cameras: 2, ingestShards: 2, analysisReplicas: { min: 2, max: 4 }, sitesServed: 2 },
    ]);
  });

  test('pool: 1 to 2 workers of 2 whole GPUs; a 2-GPU node holds one worker', () => {
    expect(data.inferencePools).toEqual([{
      pool: 'pool', namespace: 'ns', inventory: 'small/gpus', workers: { min: 1, max: 2 }, slicesPerWorker: 2,
      slices: { min: 2, max: 4 }, gpus: { min: 2, max: 4 }, nodes: { min: 1, max: 2 },
    }]);
  });

  test('inventory: 3 nodes × 2 GPUs = 6 against a peak of 4, headroom 2 (33.3%); each worker on both GPUs of a node of its own', () => {
    const worker = (n: number) => [{ consumer: 'ns/pool', worker: n }];
    expect(data.gpuInventories).toEqual([{
      inventory: 'small/gpus', nodes: 3, gpusPerNode: 2, slicesPerGpu: 1, capacitySlices: 6, demandSlices: 4, headroomSlices: 2,
      headroomPercent: 33.3, capacityGpus: 6, demandGpus: 4, consumers: ['ns/pool: 2 workers × 2 = 4'],
      placement: {
        gpus: [
          { node: 1, gpu: 0, used: 1, free: 0, workers: worker(1) },
          { node: 1, gpu: 1, used: 1, free: 0, workers: worker(1) },
          { node: 2, gpu: 0, used: 1, free: 0, workers: worker(2) },
          { node: 2, gpu: 1, used: 1, free: 0, workers: worker(2) },
          { node: 3, gpu: 0, used: 0, free: 1, workers: [] },
          { node: 3, gpu: 1, used: 0, free: 1, workers: [] },
        ],
        unplaced: [],
      },
    }]);
  });

  test('the library namespace: ingest, two services and the pool', () => {
    // ingest 6 shards × 2 × (100m, 128Mi); det-a 2 × (500m, 512Mi); det-all 2..4 × (500m, 512Mi);
    // pool 1..2 × (1 CPU, 2Gi): its model loader (100m, 64Mi) runs first and is smaller.
    const ns = namespace(data, 'ns');
    expect(ns.pods).toEqual({ min: 12 + 2 + 2 + 1, max: 12 + 2 + 4 + 2 });
    expect(ns.requests).toEqual({
      min: { cpuMillis: 1200 + 1000 + 1000 + 1000, memoryBytes: (1536 + 1024 + 1024 + 2048) * Mi },
      max: { cpuMillis: 1200 + 1000 + 2000 + 2000, memoryBytes: (1536 + 1024 + 2048 + 4096) * Mi },
    });
    expect(ns.limits).toEqual({
      min: { cpuMillis: 12000 + 4000 + 4000 + 4000, memoryBytes: (6144 + 2048 + 2048 + 8192) * Mi },
      max: { cpuMillis: 12000 + 4000 + 8000 + 8000, memoryBytes: (6144 + 2048 + 4096 + 16384) * Mi },
    });
  });

  test('per pod, the largest init container counts against the sum of the others', () => {
    expect(workload(data, 'Deployment', 'init-heavy').perPod).toEqual({
      requests: { cpuMillis: 2000, memoryBytes: 1024 * Mi }, // max(2, 0.25 + 0.25), max(1Gi, 256Mi + 128Mi)
      limits: { cpuMillis: 2000, memoryBytes: 1024 * Mi }, // max(2, 0.5 + 0.5), max(1Gi, 512Mi + 256Mi)
    });
  });

  test('a sidecar keeps running beside the init containers after it and the app', () => {
    // Init phase: proxy (100m) + setup (1) = 1.1 CPU; running: proxy + app = 300m. Memory: max(100 + 50, 100 + 200) = 300Mi.
    expect(workload(data, 'Deployment', 'sidecar').perPod.requests).toEqual({ cpuMillis: 1100, memoryBytes: 300 * Mi });
  });

  test('RuntimeClass overhead comes on top of the pod', () => {
    expect(workload(data, 'Deployment', 'with-overhead').perPod.requests).toEqual({ cpuMillis: 1250, memoryBytes: 1144 * Mi });
  });

  test('a missing request is the limit; a missing limit counts 0 and is noted', () => {
    expect(workload(data, 'Deployment', 'limits-only').perPod.requests).toEqual({ cpuMillis: 300, memoryBytes: 300 * Mi });
    expect(workload(data, 'Deployment', 'no-limits').perPod.limits).toEqual({ cpuMillis: 0, memoryBytes: 0 });
    expect(data.notes).toContain("Deployment raw/no-limits: container 'app' has no CPU or memory limit, counted as 0 (its pods may use a whole node).");
  });

  test('pod counts: replicas, the HPA over a Deployment without replicas, GPU nodes, per node; Jobs are left out', () => {
    expect(workload(data, 'StatefulSet', 'db')).toMatchObject({ pods: { min: 2, max: 2 }, countedBy: 'spec.replicas' });
    expect(workload(data, 'Deployment', 'auto')).toMatchObject({ pods: { min: 1, max: 5 }, countedBy: 'HorizontalPodAutoscaler auto' });
    expect(workload(data, 'DaemonSet', 'gpu-only')).toMatchObject({ pods: { min: 3, max: 3 }, countedBy: 'GpuInventory small/gpus (3 nodes)' });
    expect(workload(data, 'DaemonSet', 'everywhere').pods).toBeUndefined();
    expect(data.workloads.some((w) => w.kind === 'Job')).toBe(false);
    expect(data.notes).toContain('Job raw/migrate is not counted: Jobs run to completion.');
  });

  test('namespace totals: every workload of the namespace by hand', () => {
    // Requests per pod × pods: init-heavy 3 × (2000m, 1024Mi); db 2 × (500m, 1536Mi); auto 1..5 × (100m, 100Mi);
    // gpu-only 3 × (50m, 64Mi); sidecar 1 × (1100m, 300Mi); with-overhead 2 × (1250m, 1144Mi);
    // no-limits 1 × (100m, 64Mi); limits-only 1 × (300m, 300Mi). `everywhere` is per node.
    const raw = namespace(data, 'raw');
    expect(raw.pods).toEqual({ min: 3 + 2 + 1 + 3 + 1 + 2 + 1 + 1, max: 3 + 2 + 5 + 3 + 1 + 2 + 1 + 1 });
    expect(raw.requests).toEqual({
      min: { cpuMillis: 6000 + 1000 + 100 + 150 + 1100 + 2500 + 100 + 300, memoryBytes: (3072 + 3072 + 100 + 192 + 300 + 2288 + 64 + 300) * Mi },
      max: { cpuMillis: 6000 + 1000 + 500 + 150 + 1100 + 2500 + 100 + 300, memoryBytes: (3072 + 3072 + 500 + 192 + 300 + 2288 + 64 + 300) * Mi },
    });
    expect(raw.limits).toEqual({
      min: { cpuMillis: 6000 + 2000 + 200 + 300 + 1100 + 2500 + 0 + 300, memoryBytes: (3072 + 4096 + 200 + 384 + 300 + 2288 + 0 + 300) * Mi },
      max: { cpuMillis: 6000 + 2000 + 1000 + 300 + 1100 + 2500 + 0 + 300, memoryBytes: (3072 + 4096 + 1000 + 384 + 300 + 2288 + 0 + 300) * Mi },
    });
    expect(raw.perNode).toEqual({ requests: { cpuMillis: 10, memoryBytes: 10 * Mi }, limits: { cpuMillis: 20, memoryBytes: 20 * Mi } });
  });

  test('with the cluster size known, node-wide DaemonSets count once per node', () => {
    const sized = CapacityReport.of(smallPlatform(), { clusterNodes: 4 }).toJson();
    expect(workload(sized, 'DaemonSet', 'everywhere')).toMatchObject({ pods: { min: 4, max: 4 }, countedBy: 'every node (4)' });
    expect(namespace(sized, 'raw').perNode.requests).toEqual({ cpuMillis: 0, memoryBytes: 0 });
  });

  test('the total is the sum of the namespaces', () => {
    const ns = namespace(data, 'ns');
    const raw = namespace(data, 'raw');
    expect(data.total.requests.max.cpuMillis).toBe(ns.requests.max.cpuMillis + raw.requests.max.cpuMillis);
    expect(data.total.limits.min.memoryBytes).toBe(ns.limits.min.memoryBytes + raw.limits.min.memoryBytes);
  });

  test('Markdown', () => {
    const markdown = CapacityReport.of(app).toMarkdown();
    expect(markdown).toMatchSnapshot();
    expect(markdown).toContain('| a | 4 | 4 | det-a, det-all |');
    expect(markdown).toContain('| pool | ns | small/gpus | 1 | 2 | 2 | 4 | 4 | 2 |');
    expect(markdown).toContain('| small/gpus | 3 | 2 | 1 | 6 | 4 | 2 | 33.3% | 4 / 6 | ns/pool: 2 workers × 2 = 4 |');
    expect(markdown).toContain('Used and free in whole GPUs.');
    expect(markdown).toContain('| node 1 | 1 | 1 | 0 | ns/pool #1 |\n| node 2 | 0 | 1 | 0 | ns/pool #2 |');
    expect(markdown).toContain('| node 3 | 1 | 0 | 1 | — |');
    expect(markdown).toContain('| raw | 14 | 18 | 11.25 | 11.65 | 9388 MiB | 9788 MiB | 12.4 | 13.2 | 10640 MiB | 11440 MiB | requests 0.01 CPU, 10 MiB; limits 0.02 CPU, 20 MiB |');
    expect(markdown).toContain('| raw | DaemonSet | everywhere | per node | every node (count unknown) | 0.01 | 10 MiB | 0.02 | 20 MiB |');
  });
});

describe('CapacityReport errors', () => {
  test('refuses a cluster size that is not a whole number of nodes', () => {
    expect(() => CapacityReport.of(testApp(), { clusterNodes: 0 })).toThrow(/'clusterNodes' \(0\) must be an integer >= 1/);
  });

  test('names the object and field of a quantity it cannot read', () => {
    const app = testApp();
    const chart = new Chart(app, 'bad');
    new ApiObject(chart, 'web', workloadObject('Deployment', 'web', { replicas: 1 }, { containers: [container('web', { cpu: 'lots', memory: '1Gi' }, { cpu: '1', memory: '1Gi' })] }) as any);
    expect(() => CapacityReport.of(app).toJson()).toThrow(/Deployment raw\/web container 'web' requests.cpu \(lots\) must be a Kubernetes quantity/);
  });

  test('a placement that leaves workers out (synthesis would refuse it) lists them below the table', () => {
    const app = testApp();
    const chart = new Chart(app, 'gpu');
    const gpus = new GpuInventory(chart, 'gpus', { nodes: 2 });
    new GpuWorkerPool(chart, 'pool', { namespace: 'ns', inventory: gpus, modelRepository: ModelRepository.existingClaim('models'), minWorkers: 3 });
    const markdown = CapacityReport.of(app).toMarkdown();
    expect(markdown).toContain('| node 2 | 0 | 1 | 0 | ns/pool #2 |\n\n- Not placed: 1 of the 3 workers of ns/pool (1 GPU each).');
  });

  test('an empty scope gives empty tables, not an error', () => {
    const markdown = CapacityReport.of(testApp()).toMarkdown();
    expect(markdown).toContain('_No analysis services._');
    expect(markdown).toContain('_No GPU inventories._');
  });
});

describe('writing the report', () => {
  let dir: string;
  beforeEach(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'capacity-report-')); });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('writeBeside puts reports/capacity.md next to the output folder, never in it', () => {
    const app = smallPlatform();
    const file = CapacityReport.writeBeside(app, { outdir: path.join(dir, 'dist') });
    expect(file).toBe(path.join(dir, 'reports', 'capacity.md'));
    expect(fs.readFileSync(file, 'utf8')).toBe(CapacityReport.of(app).toMarkdown());
    expect(fs.existsSync(path.join(dir, 'dist'))).toBe(false);
  });

  test("writeBeside defaults to the app's outdir and takes another file name", () => {
    const app = new App({ outdir: path.join(dir, 'out', 'dist') });
    const file = CapacityReport.writeBeside(app, { fileName: 'capacity.md' });
    expect(file).toBe(path.join(dir, 'out', 'capacity.md'));
    expect(fs.readFileSync(file, 'utf8')).toContain('# Capacity report');
  });

  test('writeMarkdown writes the report of any scope to any file, creating its folder', () => {
    const app = smallPlatform();
    const file = CapacityReport.of(app, { clusterNodes: 4 }).writeMarkdown(path.join(dir, 'a', 'b', 'report.md'));
    expect(fs.readFileSync(file, 'utf8')).toBe(CapacityReport.of(app, { clusterNodes: 4 }).toMarkdown());
  });
});
