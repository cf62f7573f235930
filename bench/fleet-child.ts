/**
 * One fleet measurement, in a process of its own so that its peak memory is its own: builds a
 * fleet of `sites` sites of `cameras` cameras each (bench/fleet.bench.ts describes it) and runs
 * `fleet.synth()` into a temporary folder: every site built, checked by ManifestValidator and the
 * platform policies, and written with its node files, the ApplicationSet and the capacity report.
 * Prints one JSON line (FleetChildResult) on stdout.
 *
 * Usage: node -r ./scripts/register-ts.js bench/fleet-child.ts <sites> <cameras per site>
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ApiObject } from 'cdk8s';
import {
  CameraSpec, CentralPrometheus, FleetSiteProps, GpuRequest, GpuSharing, ModelRepository, Receiver, Scaling, VideoAnalyticsFleet,
} from '../lib';

const REGISTRY = 'registry.video-analytics.internal:5000';
const ZONES = ['gate', 'yard', 'hall', 'dock'];

/** What a child reports. */
export interface FleetChildResult {
  readonly sites: number;
  readonly camerasPerSite: number;
  /** Kubernetes objects written: every site's and the ApplicationSet. */
  readonly objects: number;
  /** Files written, of every kind. */
  readonly files: number;
  /** Declaring the fleet and building every site's constructs, in milliseconds. */
  readonly buildMs: number;
  /** `fleet.synth()` after the build: serializing, checking and writing, in milliseconds. */
  readonly synthMs: number;
  /** CPU time (user and system) of the build and the synthesis, in milliseconds: what other processes on the machine do not inflate. */
  readonly cpuMs: number;
  /** Peak resident memory, in MiB. */
  readonly peakRssMiB: number;
}

function siteName(index: number): string {
  return `site-${String(index).padStart(3, '0')}`;
}

/** Cameras of one site on a /24 of their own, spread over four zones. */
function siteCameras(site: number, count: number): CameraSpec[] {
  return Array.from({ length: count }, (_, i) => ({
    id: `${siteName(site)}-cam-${String(i).padStart(3, '0')}`,
    url: `rtsp://10.${100 + Math.floor(site / 256)}.${site % 256}.${i + 1}:554/stream1`,
    labels: { site: siteName(site), zone: ZONES[i % ZONES.length] },
  }));
}

/** A site as the reference platform's: three servers, two GPU agents of one GPU each; one canary, two waves. */
function site(index: number): FleetSiteProps {
  const subnet = `172.${16 + Math.floor(index / 256)}.${index % 256}`;
  return {
    name: siteName(index),
    wave: index === 0 ? 'canary' : 1 + (index % 2),
    cluster: {
      servers: [1, 2, 3].map((n) => ({ name: `server-${n}`, address: `${subnet}.${10 + n}` })),
      gpuAgents: [1, 2].map((n) => ({ name: `gpu-${n}`, address: `${subnet}.${20 + n}`, gpus: 1 })),
      apiEndpoint: `k3s.${siteName(index)}.video-analytics.internal`,
    },
  };
}

/**
 * The bench fleet: every site runs the reference platform's composition (one pool of 2 to 4
 * workers on half a GPU, three detections, one of them autoscaled on CPU), remote-writes to the
 * first site's central Prometheus, and is rolled out canary first.
 */
export function buildBenchFleet(sites: number, camerasPerSite: number, outdir: string): VideoAnalyticsFleet {
  const fleet = new VideoAnalyticsFleet({
    cameras: Array.from({ length: sites }, (_, i) => siteCameras(i, camerasPerSite)).flat(),
    sites: Array.from({ length: sites }, (_, i) => site(i)),
    gpu: { sharing: GpuSharing.timeSlicing({ replicas: 2 }) },
    monitoring: { receivers: [Receiver.webhook('ops', { urlSecret: { secretName: 'alert-webhook', key: 'url' } })] },
    registry: { mirror: REGISTRY, imagePullSecrets: ['registry-pull'] },
    upgrades: { version: 'v1.30.4+k3s1' },
    cluster: { registryMirror: { host: REGISTRY } },
    gitops: { repoUrl: 'https://git.video-analytics.internal/platform/fleet.git', path: 'dist' },
    central: sites > 1 ? CentralPrometheus.site(siteName(0), { address: 'prometheus.site-000.video-analytics.internal', remoteWriteFrom: ['172.16.0.0/12'] }) : undefined,
    outdir,
  });
  const yolo = fleet.addInferencePool('yolo', {
    modelRepository: ModelRepository.fromImage(`${REGISTRY}/models/yolo:1.0.0`, '/models'),
    gpusPerWorker: GpuRequest.shared({ share: 0.5 }),
    minWorkers: 2,
    maxWorkers: 4,
  });
  fleet.addDetection('safety-helmet', { image: `${REGISTRY}/detections/safety-helmet:1.0.0`, cameraLabels: { zone: 'yard' }, streamsPerReplica: 8, inference: yolo });
  fleet.addDetection('intrusion', { image: `${REGISTRY}/detections/intrusion:1.0.0`, cameraLabels: { zone: 'gate' }, streamsPerReplica: 8, inference: yolo });
  fleet.addDetection('smoke', { image: `${REGISTRY}/detections/smoke:1.0.0`, streamsPerReplica: 24, inference: yolo, scaling: Scaling.cpu(70), maxReplicas: 8 });
  return fleet;
}

function countFiles(dir: string): number {
  return fs.readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((file) => fs.statSync(path.join(dir, file)).isFile()).length;
}

/** Builds and synthesizes one fleet into a temporary folder, removed afterwards. */
function measure(sites: number, camerasPerSite: number): FleetChildResult {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fleet-bench-'));
  try {
    const cpuStart = process.cpuUsage();
    const start = performance.now();
    const fleet = buildBenchFleet(sites, camerasPerSite, path.join(dir, 'dist'));
    for (const s of fleet.sites) void s.platform;
    const built = performance.now();
    fleet.synth();
    const synthMs = performance.now() - built;
    const cpu = process.cpuUsage(cpuStart);
    const objects = fleet.sites.reduce((n, s) => n + s.app.node.findAll().filter((c) => c instanceof ApiObject).length, 0) + 1;
    return { sites, camerasPerSite, objects, files: countFiles(dir), buildMs: built - start, synthMs, cpuMs: (cpu.user + cpu.system) / 1000, peakRssMiB: process.resourceUsage().maxRSS / 1024 };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function main(): void {
  const sites = Number(process.argv[2]);
  const camerasPerSite = Number(process.argv[3] ?? 100);
  // Warm-up: a fleet of two sites through every code path, so the timed run measures compiled code.
  measure(2, 16);
  process.stdout.write(`${JSON.stringify(measure(sites, camerasPerSite))}\n`);
}

if (require.main === module) main();
