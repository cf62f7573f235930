// A GPU inference pool in a K3s cluster that already runs Prometheus and KEDA: the GPU nodes
// declared once (GpuInventory), the NVIDIA device plugin and dcgm-exporter on them
// (GpuNodeSupport), and Triton workers that KEDA scales on the queue size Prometheus reports.
import { Chart } from 'cdk8s';
import {
  GpuInventory, GpuNodeSupport, GpuRequest, GpuSharing, GpuWorkerPool, InferenceScaling, LayeredApp, ModelRepository,
  PlatformNamespace, PlatformPolicies,
} from 'cdk8s-video-analytics';

// LayeredApp, not cdk8s's App: dist/ gets nothing but manifests. cdk8s-cli asks the App for
// construct metadata whenever cdk8s.yaml declares a validation plugin, and App would write it to
// dist/construct-metadata.json, which `kubectl apply -f dist/` or Argo CD would read as a manifest.
const app = new LayeredApp();
const chart = new Chart(app, 'inference', { disableResourceNameHashes: true });
new PlatformNamespace(chart, 'namespace', { name: 'inference' });

// Two GPU nodes with one GPU each, time-sliced two ways: four worker slots. Synthesis fails with a
// node-by-node table if the pool at maxWorkers does not fit.
const gpus = new GpuInventory(chart, 'gpus', { nodes: 2, gpusPerNode: 1, sharing: GpuSharing.timeSlicing({ replicas: 2 }) });

// The device plugin advertises the time slices; K3s ships the `nvidia` RuntimeClass itself.
new GpuNodeSupport(chart, 'gpu-node-support', { inventory: gpus });

const pool = new GpuWorkerPool(chart, 'yolo', {
  namespace: 'inference',
  inventory: gpus,
  // Models baked into an image: versioned like code, and no shared volume to provision.
  modelRepository: ModelRepository.fromImage('registry.example.internal/models/yolo:1.0.0', '/models'),
  gpusPerWorker: GpuRequest.shared({ share: 0.5 }),
  minWorkers: 2, // two nodes: losing one keeps a worker ready
  maxWorkers: 4,
  scaling: InferenceScaling.queueSize({ target: 4 }),
  // No MonitoringBundle watches this pool, so it names the Prometheus KEDA asks; synthesis
  // refuses an autoscaled pool that names none rather than guess an address.
  prometheusAddress: 'http://prometheus-operated.monitoring.svc.cluster.local:9090',
});

// The existing Prometheus must reach Triton's metrics port (8002) for the queue size; without a
// MonitoringBundle nothing is admitted there, so admit its pods by their namespace and label.
pool.connections.allowFromPeer({
  namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } },
  podSelector: { matchLabels: { 'app.kubernetes.io/name': 'prometheus' } },
}, [8002]);

// GPU pods must land on GPU nodes, and the pool at maximum scale must fit the inventory.
PlatformPolicies.enforce(app, { gpuCapacity: gpus.capacity });
app.synth();
