import { App } from 'cdk8s';
import {
  AnalysisService, CameraSpec, GpuInventory, GpuNodeSupport, GpuRequest, GpuSharing, GpuWorkerPool, LayerChart, ModelRepository,
  MonitoringBundle, PlatformNamespace, PlatformPolicies, PlatformPriorities, Receiver, ScopeSettings, StreamIngest, StreamSelection,
} from '../lib';

/** Cameras per site, as in the reference platform (48 cameras over 3 sites). */
export const CAMERAS_PER_SITE = 16;
/** Detection types per site: each site runs its own three services, as the reference runs three. */
export const DETECTIONS_PER_SITE = 3;
/** Detection services per GPU pool: a pool of 2 to 4 workers carries about six services. */
export const DETECTIONS_PER_POOL = 6;

/**
 * Node flags the bench runs every size with a second time, beside node's defaults:
 * `--heap-growing-percent=100` makes V8 collect when the heap reaches twice the live data instead
 * of up to four times. It halved the peak at 50,000 cameras before the library built its objects
 * with shared hidden classes. Now every run is fast with or without it, and it took 3 % to 18 %
 * more time there in four bench runs (docs/capacity-and-performance.md): the bench keeps it to show that
 * the figures do not hang on how the collector is tuned. The docs do not recommend it.
 */
export const COMPARED_NODE_FLAGS: readonly string[] = ['--heap-growing-percent=100'];

const NAMESPACE = 'video-analytics';
const REGISTRY = 'registry.video-analytics.internal:5000';
const DETECTION_TYPES = ['safety-helmet', 'intrusion', 'smoke'] as const;

/** How big a bench platform is, derived from its camera count. */
export interface PlatformShape {
  readonly cameras: number;
  readonly sites: number;
  readonly detections: number;
  readonly pools: number;
  readonly gpuNodes: number;
}

export function shapeFor(cameras: number): PlatformShape {
  const sites = Math.ceil(cameras / CAMERAS_PER_SITE);
  const detections = sites * DETECTIONS_PER_SITE;
  const pools = Math.ceil(detections / DETECTIONS_PER_POOL);
  // Each pool peaks at 4 workers × half a GPU: two GPU nodes of one GPU each, as in the reference.
  return { cameras, sites, detections, pools, gpuNodes: pools * 2 };
}

function siteName(index: number): string {
  return `site-${String(index).padStart(4, '0')}`;
}

/** Cameras on distinct IPv4 addresses, `CAMERAS_PER_SITE` per site. */
export function benchCameras(count: number): CameraSpec[] {
  return Array.from({ length: count }, (_, i) => ({
    id: `cam-${String(i).padStart(5, '0')}`,
    url: `rtsp://10.${100 + Math.floor(i / 65536)}.${Math.floor(i / 256) % 256}.${i % 256}:554/stream1`,
    labels: { site: siteName(Math.floor(i / CAMERAS_PER_SITE)) },
  }));
}

function layer(app: App, name: string, wave: number, ...dependsOn: LayerChart[]): LayerChart {
  return new LayerChart(app, `video-analytics-${name}`, { wave, dependsOn });
}

/**
 * The reference platform's composition at any scale, from the library's constructs: one LayerChart
 * per layer, each depending on the layers below it, the reference settings (shards of 16 cameras,
 * 8 streams per analysis replica, pools of 2 to 4 workers on half a time-sliced GPU), monitoring
 * and the platform policies, with every count derived from `cameras`.
 */
export function buildBenchPlatform(app: App, cameras: number): PlatformShape {
  const shape = shapeFor(cameras);
  // Every pod of every layer gets its tier's PriorityClass, as under VideoAnalyticsPlatform.
  ScopeSettings.apply(app, { priorityClasses: PlatformPriorities.CLASS_NAMES });
  const base = layer(app, 'base', 0);
  new PlatformNamespace(base, 'AppNamespace', { name: NAMESPACE });
  new PlatformPriorities(base, 'Priorities');

  const gpu = layer(app, 'gpu', 1, base);
  const gpus = new GpuInventory(gpu, 'Gpus', { nodes: shape.gpuNodes, gpusPerNode: 1, sharing: GpuSharing.timeSlicing({ replicas: 4 }) });
  const gpuNodeSupport = new GpuNodeSupport(gpu, 'GpuNodeSupport', { inventory: gpus });

  const ingestChart = layer(app, 'ingest', 2, base);
  const ingest = new StreamIngest(ingestChart, 'ingest', {
    namespace: NAMESPACE,
    cameras: benchCameras(cameras),
  });

  const inference = layer(app, 'inference', 3, gpu);
  const pools = Array.from({ length: shape.pools }, (_, i) => new GpuWorkerPool(inference, `yolo-${i}`, {
    namespace: NAMESPACE,
    inventory: gpus,
    modelRepository: ModelRepository.fromImage(`${REGISTRY}/models/yolo:1.0.0`, '/models'),
    gpusPerWorker: GpuRequest.shared({ share: 0.5 }),
    minWorkers: 2,
    maxWorkers: 4,
  }));

  const analysis = layer(app, 'analysis', 4, ingestChart, inference);
  const detections: AnalysisService[] = [];
  for (let site = 0; site < shape.sites; site++) {
    DETECTION_TYPES.forEach((type, t) => {
      const index = site * DETECTIONS_PER_SITE + t;
      detections.push(new AnalysisService(analysis, `${type}-${site}`, {
        namespace: NAMESPACE,
        image: `${REGISTRY}/detections/${type}:1.0.0`,
        streams: StreamSelection.withLabels(ingest, { site: siteName(site) }),
        streamsPerReplica: 8,
        inference: pools[Math.floor(index / DETECTIONS_PER_POOL)],
      }));
    });
  }

  const monitoring = layer(app, 'monitoring', 5, base, gpu, ingestChart, inference, analysis);
  const bundle = new MonitoringBundle(monitoring, 'monitoring', {
    receivers: [Receiver.webhook('ops', { urlSecret: { secretName: 'alert-webhook', key: 'url' } })],
  });
  for (const target of [gpuNodeSupport, ingest, ...pools, ...detections]) bundle.watch(target);
  PlatformPolicies.enforce(app);
  return shape;
}
