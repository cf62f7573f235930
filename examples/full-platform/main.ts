// The whole platform from a camera inventory: `npx cdk8s synth` writes dist/ (what Argo CD
// applies), cluster/ (the K3s node files) and bootstrap/ (the Argo CD Application).
import {
  CameraInventory, GpuRequest, GpuSharing, LayeredApp, ModelRepository, Receiver, StreamSelection, VideoAnalyticsPlatform,
} from 'cdk8s-video-analytics';

// LayeredApp, not cdk8s's App: one file per layer, objects in apply order, and nothing else in dist/
// (App would add construct-metadata.json there, which Argo CD would apply as a manifest).
const app = new LayeredApp();

const platform = new VideoAnalyticsPlatform(app, 'video-analytics', {
  cameras: CameraInventory.fromFile('cameras.csv').cameras, // id,url,...; other columns are labels
  // Two GPU agents with one GPU each, time-sliced two ways: four worker slots.
  gpu: { nodes: 2, gpusPerNode: 1, sharing: GpuSharing.timeSlicing({ replicas: 2 }) },
  monitoring: { receivers: [Receiver.webhook('ops', { urlSecret: { secretName: 'alert-webhook', key: 'url' } })] },
  // The K3s nodes: three servers (embedded etcd, HA) and the two GPU agents.
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
    apiEndpoint: 'k3s.example.internal',
  },
  // The Git repository Argo CD applies dist/ from.
  gitops: { repoUrl: 'https://git.example.internal/platform/video-analytics.git' },
});

// One Triton pool, autoscaled by KEDA on its queue size, shared by the detections.
const pool = platform.addInferencePool('yolo', {
  modelRepository: ModelRepository.fromImage('registry.example.internal/models/yolo:1.0.0', '/models'),
  gpusPerWorker: GpuRequest.shared({ share: 0.5 }),
  minWorkers: 2,
  maxWorkers: 4,
});
platform.addDetection('intrusion', {
  image: 'registry.example.internal/detections/intrusion:1.0.0',
  streams: StreamSelection.withLabels(platform.ingest, { site: 'gate' }),
  inference: pool,
});
platform.addDetection('smoke', { image: 'registry.example.internal/detections/smoke:1.0.0', inference: pool }); // every camera

app.synth();                       // dist/: validated, policy-checked YAML, one file per layer
platform.writeSupportFiles('.');   // cluster/ and bootstrap/, beside dist/
