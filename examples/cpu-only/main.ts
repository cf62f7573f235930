// A CPU-only site: no GPU nodes, so no GPU layer and no inference pools; each detection runs its
// models itself, on CPU, and scales on its own CPU use.
import * as path from 'path';
import { Cpu } from 'cdk8s-plus-27';
import { LayeredApp, Receiver, Scaling, StreamSelection, VideoAnalyticsPlatform } from 'cdk8s-video-analytics';

// LayeredApp, not cdk8s's App: dist/ gets nothing but manifests. cdk8s-cli asks the App for
// construct metadata whenever cdk8s.yaml declares a validation plugin, and App would write it to
// dist/construct-metadata.json, which `kubectl apply -f dist/` or Argo CD would read as a manifest.
const app = new LayeredApp();

const platform = new VideoAnalyticsPlatform(app, 'video-analytics', {
  cameras: [
    { id: 'car-park-1', url: 'rtsp://10.50.0.11:554/live', labels: { area: 'car-park' } },
    { id: 'car-park-2', url: 'rtsp://10.50.0.12:554/live', labels: { area: 'car-park' } },
    { id: 'entrance-1', url: 'rtsp://10.50.0.21:554/live', labels: { area: 'entrance' } },
  ],
  // No `gpu`: the platform leaves out the NVIDIA device plugin and dcgm-exporter, and
  // addInferencePool() would refuse to add a pool.
  monitoring: { receivers: [Receiver.webhook('ops', { urlSecret: { secretName: 'alert-webhook', key: 'url' } })] },
  // A three-server HA cluster: the default two replicas of everything are spread over its nodes.
  cluster: {
    servers: [
      { name: 'server-1', address: '10.50.1.11' },
      { name: 'server-2', address: '10.50.1.12' },
      { name: 'server-3', address: '10.50.1.13' },
    ],
    apiEndpoint: 'k3s.site.internal',
  },
});

// No `inference`: the detector image carries its own (CPU) models. More CPU than the default,
// since inference now runs in the container.
platform.addDetection('plates', {
  image: 'registry.example.internal/detections/plates-cpu:3.0.2',
  streams: StreamSelection.withLabels(platform.ingest, { area: 'car-park' }),
  resources: { cpu: { request: Cpu.units(1), limit: Cpu.units(4) } },
  // An HPA on CPU needs only the metrics-server K3s ships: no KEDA, no Prometheus query.
  scaling: Scaling.cpu(70),
  maxReplicas: 6,
});
platform.addDetection('tailgating', {
  image: 'registry.example.internal/detections/tailgating-cpu:1.2.0',
  streams: StreamSelection.withLabels(platform.ingest, { area: 'entrance' }),
});

app.synth();
// cluster/<server>/config.yaml for each node, beside dist/ (never in it: Argo CD applies dist/).
platform.writeSupportFiles(path.dirname(path.resolve(app.outdir)));
