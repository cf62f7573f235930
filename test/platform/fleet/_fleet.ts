import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { parseAllDocuments } from 'yaml';
import {
  CameraInventory, CentralPrometheus, DetectionOptions, FleetDetection, FleetInferencePool, FleetSiteProps, GpuRequest, GpuSharing, InferencePoolOptions, K3sClusterProps, LayeredApp,
  ModelRepository, Receiver, Scaling, StreamSelection, VideoAnalyticsFleet, VideoAnalyticsFleetProps, VideoAnalyticsPlatform, VideoAnalyticsPlatformProps,
} from '../../../lib';
import { KubeObject } from '../../_helpers';

// A fleet of three sites: north (the canary, and the central Prometheus), south (its own
// namespace, a detection overridden) and east (its own namespace, no GPUs: the pool and the
// detection that calls it skipped, a CPU detection of its own added by a hook).

export const REGISTRY = 'registry.example.internal:5000';
export const CENTRAL_ADDRESS = 'prometheus.north.example.internal';
export const REMOTE_WRITE_FROM = ['10.20.0.0/16', '10.30.0.0/16'];

/** The fleet's inventory: a `site` column, and a `zone` column the helmet detection selects on. */
export function inventoryCsv(extraRows: readonly string[] = []): string {
  const rows = ['id,url,site,zone'];
  const add = (site: string, count: number, subnet: number): void => {
    for (let i = 1; i <= count; i++) rows.push(`${site}-${String(i).padStart(2, '0')},rtsp://10.${subnet}.1.${i}:554/stream1,${site},${i % 2 === 0 ? 'yard' : 'hall'}`);
  };
  add('north', 12, 10);
  add('south', 20, 20);
  add('east', 6, 30);
  return [...rows, ...extraRows].join('\n') + '\n';
}

function cluster(subnet: number, gpuAgents: number): K3sClusterProps {
  return {
    servers: [1, 2, 3].map((n) => ({ name: `server-${n}`, address: `10.${subnet}.0.${10 + n}` })),
    gpuAgents: Array.from({ length: gpuAgents }, (_, i) => ({ name: `gpu-${i + 1}`, address: `10.${subnet}.0.${21 + i}`, gpus: 1 })),
    apiEndpoint: `k3s.${subnet}.example.internal`,
  };
}

export const SITES: readonly FleetSiteProps[] = [
  { name: 'north', cluster: cluster(10, 2), wave: 'canary' },
  { name: 'south', cluster: cluster(20, 2), namespace: 'va-south', argoCdCluster: 'south-k3s' },
  { name: 'east', cluster: cluster(30, 0), namespace: 'va-east', wave: 2 },
];

export const YOLO: InferencePoolOptions = {
  modelRepository: ModelRepository.fromImage(`${REGISTRY}/models/yolo:1.0.0`, '/models'),
  gpusPerWorker: GpuRequest.shared({ share: 0.5 }),
  minWorkers: 2,
  maxWorkers: 4,
};
/** Detection options that read the same for the fleet and for a site alone. */
type PlainDetection = Omit<DetectionOptions, 'streams' | 'inference'>;
export const HELMET: PlainDetection = { image: `${REGISTRY}/detections/helmet:1.4.2`, streamsPerReplica: 8 };
export const HELMET_LABELS = { zone: 'yard' };
export const SOUTH_HELMET: Partial<PlainDetection> = { minReplicas: 3 };
export const SMOKE: PlainDetection = { image: `${REGISTRY}/detections/smoke:2.0.1`, streamsPerReplica: 12, scaling: Scaling.cpu(70), maxReplicas: 4 };
export const QUEUE: PlainDetection = { image: `${REGISTRY}/detections/queue:1.2.0` };

export function fleetProps(dir: string, overrides: Partial<VideoAnalyticsFleetProps> = {}): VideoAnalyticsFleetProps {
  return {
    cameras: CameraInventory.fromCsv(inventoryCsv(), 'cameras.csv').cameras,
    sites: SITES,
    gpu: { sharing: GpuSharing.timeSlicing({ replicas: 2 }) },
    monitoring: { receivers: [Receiver.webhook('ops', { urlSecret: { secretName: 'alert-webhook', key: 'url' } })] },
    registry: { mirror: REGISTRY, imagePullSecrets: ['registry-pull'] },
    upgrades: { version: 'v1.30.4+k3s1' },
    cluster: { registryMirror: { host: REGISTRY } },
    gitops: { repoUrl: 'https://git.example.internal/platform/fleet.git', path: 'fleet/dist' },
    central: CentralPrometheus.site('north', { address: CENTRAL_ADDRESS, remoteWriteFrom: REMOTE_WRITE_FROM }),
    outdir: path.join(dir, 'dist'),
    ...overrides,
  };
}

/** The reference fleet and the handles of its parts. */
export interface ReferenceFleet {
  readonly fleet: VideoAnalyticsFleet;
  readonly yolo: FleetInferencePool;
  readonly helmet: FleetDetection;
  readonly smoke: FleetDetection;
}

/** The reference fleet: its pools, detections, overrides and hooks. */
export function buildFleet(props: VideoAnalyticsFleetProps): ReferenceFleet {
  const fleet = new VideoAnalyticsFleet(props);
  const yolo = fleet.addInferencePool('yolo', YOLO);
  const helmet = fleet.addDetection('helmet', { ...HELMET, cameraLabels: HELMET_LABELS, inference: yolo });
  const smoke = fleet.addDetection('smoke', SMOKE);
  fleet.site('south').overrideDetection(helmet, SOUTH_HELMET);
  const east = fleet.site('east');
  east.skipInferencePool(yolo);
  east.skipDetection(helmet);
  east.extend((platform) => { platform.addDetection('queue', QUEUE); });
  return { fleet, yolo, helmet, smoke };
}

/**
 * What a team would write for one site on its own: the site's platform from the same props, its
 * pools and detections added by hand, synthesized by a LayeredApp of its own into `<dir>/<site>`.
 */
export const ALONE: Record<string, (platform: VideoAnalyticsPlatform) => void> = {
  north: (p) => {
    const yolo = p.addInferencePool('yolo', YOLO);
    p.addDetection('helmet', { ...HELMET, streams: StreamSelection.withLabels(p.ingest, HELMET_LABELS), inference: yolo });
    p.addDetection('smoke', SMOKE);
  },
  south: (p) => {
    const yolo = p.addInferencePool('yolo', YOLO);
    p.addDetection('helmet', { ...HELMET, ...SOUTH_HELMET, streams: StreamSelection.withLabels(p.ingest, HELMET_LABELS), inference: yolo });
    p.addDetection('smoke', SMOKE);
  },
  east: (p) => {
    p.addDetection('smoke', SMOKE);
    p.addDetection('queue', QUEUE);
  },
};

export function synthAlone(site: string, props: VideoAnalyticsPlatformProps, dir: string): void {
  const app = new LayeredApp({ outdir: path.join(dir, site) });
  ALONE[site](new VideoAnalyticsPlatform(app, site, props));
  app.synth();
}

export function tempDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** Every file under `dir`, relative to it, sorted. */
export function filesUnder(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((file) => fs.statSync(path.join(dir, file)).isFile())
    .map((file) => file.split(path.sep).join('/'))
    .sort();
}

/** The files of a folder and their bytes. */
export function folderBytes(dir: string): Map<string, Buffer> {
  return new Map(filesUnder(dir).map((file) => [file, fs.readFileSync(path.join(dir, file))]));
}

/** Every object of the YAML files under `dir`. */
export function objectsUnder(dir: string): KubeObject[] {
  return filesUnder(dir).filter((file) => file.endsWith('.yaml'))
    .flatMap((file) => parseAllDocuments(fs.readFileSync(path.join(dir, file), 'utf8')).map((doc) => doc.toJS() as KubeObject));
}
