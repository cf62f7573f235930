import * as path from 'path';
import { App, Chart } from 'cdk8s';
import {
  AnalysisService, CameraInventory, GpuInventory, GpuNodeSupport, GpuRequest, GpuSharing, GpuWorkerPool, ModelRepository,
  MonitoringBundle, PlatformNamespace, PlatformPolicies, PlatformPriorities, Receiver, StreamIngest, StreamSelection,
} from './lib';

/** The namespace every application component of the reference platform lives in. */
export const APP_NAMESPACE = 'video-analytics';
/** The reference camera inventory: 48 cameras over 3 sites. */
export const REFERENCE_CAMERAS = path.join(__dirname, 'reference', 'cameras.csv');
/** The team's private registry, where detection and model images are published. */
export const REFERENCE_REGISTRY = 'registry.video-analytics.internal:5000';

/** The charts of the reference platform, one per layer, and the constructs other layers use. */
export interface ReferencePlatform {
  readonly charts: readonly Chart[];
  readonly streamIngest: StreamIngest;
  readonly gpus: GpuInventory;
  readonly pool: GpuWorkerPool;
  readonly detections: readonly AnalysisService[];
}

function layer(app: App, name: string, ...dependencies: Chart[]): Chart {
  const chart = new Chart(app, `video-analytics-${name}`, { disableResourceNameHashes: true });
  dependencies.forEach((d) => chart.addDependency(d));
  return chart;
}

/**
 * The reference platform: what `npm run synth` writes to `dist/`. It grows with each construct
 * of the library and doubles as the end-to-end example of how they compose.
 */
export function buildReferencePlatform(app: App): ReferencePlatform {
  const base = layer(app, 'base');
  new PlatformNamespace(base, 'AppNamespace', { name: APP_NAMESPACE });
  new PlatformPriorities(base, 'Priorities');

  // Two GPU agents with one GPU each, time-sliced four ways.
  const gpu = layer(app, 'gpu', base);
  const gpus = new GpuInventory(gpu, 'Gpus', { nodes: 2, gpusPerNode: 1, sharing: GpuSharing.timeSlicing({ replicas: 4 }) });
  new GpuNodeSupport(gpu, 'GpuNodeSupport', { inventory: gpus });

  const ingest = layer(app, 'ingest', base);
  const streamIngest = new StreamIngest(ingest, 'ingest', {
    namespace: APP_NAMESPACE,
    cameras: CameraInventory.fromFile(REFERENCE_CAMERAS).cameras,
    priorityClassName: PlatformPriorities.INGEST,
  });

  const inference = layer(app, 'inference', gpu);
  const pool = new GpuWorkerPool(inference, 'yolo', {
    namespace: APP_NAMESPACE,
    inventory: gpus,
    modelRepository: ModelRepository.fromImage(`${REFERENCE_REGISTRY}/models/yolo:1.0.0`, '/models'),
    gpusPerWorker: GpuRequest.shared({ share: 0.5 }),
    minWorkers: 2,
    maxWorkers: 4,
    priorityClassName: PlatformPriorities.ANALYSIS,
  });

  // Three detection types share one GPU pool, each on the cameras it is for.
  const analysis = layer(app, 'analysis', ingest, inference);
  const detection = (name: string, streams: StreamSelection, streamsPerReplica: number): AnalysisService =>
    new AnalysisService(analysis, name, {
      namespace: APP_NAMESPACE,
      image: `${REFERENCE_REGISTRY}/detections/${name}:1.0.0`,
      streams,
      streamsPerReplica,
      inference: pool,
      priorityClassName: PlatformPriorities.ANALYSIS,
    });
  const detections = [
    detection('safety-helmet', StreamSelection.withLabels(streamIngest, { site: 'warehouse' }), 8),
    detection('intrusion', StreamSelection.withLabels(streamIngest, { site: 'north-gate' }), 8),
    detection('smoke', StreamSelection.all(streamIngest), 16),
  ];

  // Monitoring finds every layer's scrape targets and rules when the app is synthesized.
  const monitoring = layer(app, 'monitoring', base, gpu, ingest, inference, analysis);
  new MonitoringBundle(monitoring, 'monitoring', {
    receivers: [Receiver.webhook('ops', { urlSecret: { secretName: 'alert-webhook', key: 'url' } })],
  });

  // Synthesis fails on any policy finding: a Service that selects nothing, a budget that blocks
  // drains, a pod below the restricted profile, GPU demand above the inventory, ...
  PlatformPolicies.enforce(app, { gpuCapacity: gpus.capacity });
  return { charts: [base, gpu, ingest, inference, analysis, monitoring], streamIngest, gpus, pool, detections };
}

if (require.main === module) {
  // No construct-metadata.json in dist/: Argo CD would read it as a manifest.
  const app = new App({ recordConstructMetadata: false });
  buildReferencePlatform(app);
  app.synth();
}
