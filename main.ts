import * as path from 'path';
import { App, Size } from 'cdk8s';
import {
  AnalysisService, CameraInventory, CapacityReport, GpuRequest, GpuSharing, GpuWorkerPool, ModelRepository, Receiver, Scaling, StreamSelection,
  LayeredApp, PlatformDiagram, VideoAnalyticsPlatform, Weekday,
} from './lib';

/** The namespace every application component of the reference platform lives in. */
export const APP_NAMESPACE = 'video-analytics';
/** The reference camera inventory: 48 cameras over 3 sites. */
export const REFERENCE_CAMERAS = path.join(__dirname, 'reference', 'cameras.csv');
/** The team's private registry, where detection and model images are published and public images mirrored. */
export const REFERENCE_REGISTRY = 'registry.video-analytics.internal:5000';

/** The reference platform and the constructs the tests look at. */
export interface ReferencePlatform {
  readonly platform: VideoAnalyticsPlatform;
  readonly pool: GpuWorkerPool;
  readonly detections: readonly AnalysisService[];
}

/**
 * The reference platform: what `npm run synth` writes to `dist/` (and, beside it, `cluster/` and
 * `bootstrap/`). A K3s HA cluster of three servers and two GPU agents at one edge site, 48 cameras
 * over three sites, one GPU pool shared by three detection types, and the platform's own monitoring.
 */
export function buildReferencePlatform(app: App): ReferencePlatform {
  const platform = new VideoAnalyticsPlatform(app, 'video-analytics', {
    namespace: APP_NAMESPACE,
    cameras: CameraInventory.fromFile(REFERENCE_CAMERAS).cameras,
    // Two GPU agents with one GPU each, time-sliced four ways.
    gpu: { nodes: 2, gpusPerNode: 1, sharing: GpuSharing.timeSlicing({ replicas: 4 }) },
    monitoring: { receivers: [Receiver.webhook('ops', { urlSecret: { secretName: 'alert-webhook', key: 'url' } })] },
    registry: {
      mirror: REFERENCE_REGISTRY,
      imagePullSecrets: ['registry-pull'],
      inCluster: { tlsSecretName: 'registry-tls', htpasswdSecretName: 'registry-htpasswd', storage: Size.gibibytes(200) },
    },
    upgrades: { version: 'v1.30.4+k3s1', window: { days: [Weekday.SATURDAY, Weekday.SUNDAY], startTime: '02:00', endTime: '05:00', timeZone: 'Europe/Berlin' } },
    cluster: {
      servers: [
        { name: 'server-1', address: '10.10.0.11' },
        { name: 'server-2', address: '10.10.0.12' },
        { name: 'server-3', address: '10.10.0.13' },
      ],
      gpuAgents: [
        { name: 'gpu-1', address: '10.10.0.21', gpus: 1 },
        { name: 'gpu-2', address: '10.10.0.22', gpus: 1 },
      ],
      apiEndpoint: 'k3s.video-analytics.internal',
      registryMirror: { host: REFERENCE_REGISTRY },
    },
    gitops: { repoUrl: 'https://git.video-analytics.internal/platform/video-analytics.git' },
  });

  const pool = platform.addInferencePool('yolo', {
    modelRepository: ModelRepository.fromImage(`${REFERENCE_REGISTRY}/models/yolo:1.0.0`, '/models'),
    gpusPerWorker: GpuRequest.shared({ share: 0.5 }),
    minWorkers: 2,
    maxWorkers: 4,
  });

  // Three detection types share the pool, each on the cameras it is for.
  const ingest = platform.ingest;
  const detections = [
    platform.addDetection('safety-helmet', {
      image: `${REFERENCE_REGISTRY}/detections/safety-helmet:1.0.0`, streams: StreamSelection.withLabels(ingest, { site: 'warehouse' }), streamsPerReplica: 8, inference: pool,
    }),
    platform.addDetection('intrusion', {
      image: `${REFERENCE_REGISTRY}/detections/intrusion:1.0.0`, streams: StreamSelection.withLabels(ingest, { site: 'north-gate' }), streamsPerReplica: 8, inference: pool,
    }),
    platform.addDetection('smoke', {
      image: `${REFERENCE_REGISTRY}/detections/smoke:1.0.0`, streamsPerReplica: 24, inference: pool,
      scaling: Scaling.cpu(70), maxReplicas: 3,
    }),
  ];
  return { platform, pool, detections };
}

if (require.main === module) {
  // No construct-metadata.json in dist/: Argo CD would read it as a manifest.
  const app = new LayeredApp({ recordConstructMetadata: false });
  const { platform } = buildReferencePlatform(app);
  app.synth();
  platform.writeSupportFiles(path.dirname(path.resolve(app.outdir)));
  // reports/capacity.md, beside dist/: 3 servers and 2 GPU agents run the per-node DaemonSets.
  CapacityReport.writeBeside(app, { clusterNodes: 5 });
  // reports/platform.md, beside it: the platform as a Mermaid flowchart.
  PlatformDiagram.writeBeside(app);
}
