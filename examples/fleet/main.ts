// A fleet of three K3s sites from one camera inventory: `npx cdk8s synth` writes dist/<site>/ (what
// Argo CD applies to each site's cluster), cluster/<site>/ (each site's K3s node files), bootstrap/
// (one ApplicationSet: the canary site first, then the others) and reports/fleet-capacity.md.
import {
  CameraInventory, CentralPrometheus, GpuRequest, GpuSharing, K3sClusterProps, ModelRepository, Receiver, Scaling, VideoAnalyticsFleet,
} from 'cdk8s-video-analytics';

const REGISTRY = 'registry.example.internal';

/** A site's K3s HA cluster: three servers and `gpuAgents` GPU agents of one GPU each, on its own network. */
function cluster(site: string, network: string, gpuAgents: number): K3sClusterProps {
  return {
    servers: [1, 2, 3].map((n) => ({ name: `server-${n}`, address: `${network}.0.${10 + n}` })),
    gpuAgents: Array.from({ length: gpuAgents }, (_, i) => ({ name: `gpu-${i + 1}`, address: `${network}.0.${21 + i}`, gpus: 1 })),
    apiEndpoint: `k3s.${site}.example.internal`,
  };
}

// No App here: each site is a LayeredApp of its own, writing dist/<site>/ exactly as the site alone
// would, and nothing but manifests (no construct-metadata.json, which Argo CD would apply).
const fleet = new VideoAnalyticsFleet({
  cameras: CameraInventory.fromFile('cameras.csv').cameras, // the `site` column places each camera
  sites: [
    // A release reaches depot-north first; Argo CD goes on to the others once it is Healthy.
    { name: 'depot-north', cluster: cluster('depot-north', '10.10', 2), wave: 'canary' },
    { name: 'depot-south', cluster: cluster('depot-south', '10.20', 2) },
    // A gate with no GPU nodes, in a namespace of its own.
    { name: 'gate-east', cluster: cluster('gate-east', '10.30', 0), namespace: 'gate-analytics' },
  ],
  // Fleet-wide settings: every site gets them unless it overrides them.
  gpu: { sharing: GpuSharing.timeSlicing({ replicas: 2 }) },
  monitoring: { receivers: [Receiver.webhook('ops', { urlSecret: { secretName: 'alert-webhook', key: 'url' } })] },
  registry: { mirror: REGISTRY, imagePullSecrets: ['registry-pull'] },
  upgrades: { version: 'v1.30.4+k3s1' },
  cluster: { registryMirror: { host: REGISTRY } },
  // depot-north runs the central Prometheus; the others remote-write their site-level series to it.
  central: CentralPrometheus.site('depot-north', { address: 'metrics.depot-north.example.internal', remoteWriteFrom: ['10.20.0.0/16', '10.30.0.0/16'] }),
  gitops: { repoUrl: 'https://git.example.internal/platform/fleet.git' },
});

// One Triton pool per GPU site, autoscaled by KEDA, and two detections every site runs.
const yolo = fleet.addInferencePool('yolo', {
  modelRepository: ModelRepository.fromImage(`${REGISTRY}/models/yolo:1.0.0`, '/models'),
  gpusPerWorker: GpuRequest.shared({ share: 0.5 }),
  minWorkers: 2,
  maxWorkers: 4,
});
const helmet = fleet.addDetection('safety-helmet', {
  image: `${REGISTRY}/detections/safety-helmet:1.0.0`, cameraLabels: { zone: 'yard' }, inference: yolo,
});
fleet.addDetection('smoke', { image: `${REGISTRY}/detections/smoke:1.0.0`, streamsPerReplica: 8, scaling: Scaling.cpu(70), maxReplicas: 4 });

// The gate has no GPUs: no pool there, nor the detection that calls it, and one CPU detection of its own.
const gate = fleet.site('gate-east');
gate.skipInferencePool(yolo);
gate.skipDetection(helmet);
gate.extend((platform) => { platform.addDetection('tailgating', { image: `${REGISTRY}/detections/tailgating:1.0.0` }); });

fleet.synth(); // checks every object of every site first; writes nothing if any check fails
