// A single-node K3s edge box: one server that is also the GPU node, the whole platform on it. On one
// node a second replica adds no availability, only load, so every count the platform would set to 2
// is set to 1 here, explicitly: the single-point-of-failure policy accepts a 1 it was given (each
// such workload says why in its `video-analytics.io/single-replica-reason` annotation) and refuses
// one it was not.
import * as path from 'path';
import { GpuRequest, LayeredApp, ModelRepository, Receiver, VideoAnalyticsPlatform } from 'cdk8s-video-analytics';

// LayeredApp, not cdk8s's App: dist/ gets nothing but manifests. cdk8s-cli asks the App for
// construct metadata whenever cdk8s.yaml declares a validation plugin, and App would write it to
// dist/construct-metadata.json, which `kubectl apply -f dist/` or Argo CD would read as a manifest.
const app = new LayeredApp();

const platform = new VideoAnalyticsPlatform(app, 'edge', {
  cameras: [
    { id: 'door-1', url: 'rtsp://192.168.1.21:554/live' },
    { id: 'door-2', url: 'rtsp://192.168.1.22:554/live' },
    { id: 'till-1', url: 'rtsp://192.168.1.31:554/live' },
  ],
  ingest: { replicasPerShard: 1 },
  // One GPU in the box, not shared: the inventory the pool is placed on.
  gpu: { nodes: 1, gpusPerNode: 1 },
  monitoring: {
    receivers: [Receiver.webhook('ops', { urlSecret: { secretName: 'alert-webhook', key: 'url' } })],
    prometheusReplicas: 1,
    alertmanagerReplicas: 1,
    grafanaReplicas: 1,
  },
  // Nothing to spread pods back over after a drain.
  descheduler: { enabled: false },
  // One server, no HA (embedded etcd of one member, still snapshotted); `gpus: 1` labels it a GPU
  // node but does not taint it, since the rest of the platform runs there too.
  cluster: {
    servers: [{ name: 'edge-1', address: '192.168.1.10', gpus: 1 }],
    apiEndpoint: 'edge-1.store.internal',
  },
});

// One worker on the one GPU: a fixed pool (no maxWorkers), so no KEDA either.
const pool = platform.addInferencePool('yolo', {
  modelRepository: ModelRepository.fromImage('registry.example.internal/models/yolo:1.0.0', '/models'),
  gpusPerWorker: GpuRequest.whole(1),
  minWorkers: 1,
});
platform.addDetection('intrusion', {
  image: 'registry.example.internal/detections/intrusion:1.0.0',
  inference: pool,
  minReplicas: 1,
});

app.synth();
// cluster/edge-1/config.yaml and the hardening files, beside dist/ (never in it: Argo CD applies dist/).
platform.writeSupportFiles(path.dirname(path.resolve(app.outdir)));
