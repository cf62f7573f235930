// An AnalysisService in one namespace reading a StreamIngest in another: the link is declared once
// (by the service, for the ingest of its `streams`) and yields both NetworkPolicy rules, RTSP in
// on the ingest's side and RTSP out on the service's, across the namespaces.
import { Chart } from 'cdk8s';
import { AnalysisService, LayeredApp, PlatformNamespace, PlatformPolicies, Scaling, StreamIngest, StreamSelection } from 'cdk8s-video-analytics';

// LayeredApp, not cdk8s's App: dist/ gets nothing but manifests. cdk8s-cli asks the App for
// construct metadata whenever cdk8s.yaml declares a validation plugin, and App would write it to
// dist/construct-metadata.json, which `kubectl apply -f dist/` or Argo CD would read as a manifest.
const app = new LayeredApp();
const chart = new Chart(app, 'video-analytics', { disableResourceNameHashes: true });

// Cameras and detections are run by different teams, so each gets a namespace (default deny).
new PlatformNamespace(chart, 'cameras', { name: 'cameras' });
new PlatformNamespace(chart, 'detections', { name: 'detections' });

const ingest = new StreamIngest(chart, 'ingest', {
  namespace: 'cameras',
  cameras: [
    { id: 'yard-1', url: 'rtsp://10.40.0.11:554/live', labels: { zone: 'yard' } },
    { id: 'yard-2', url: 'rtsp://10.40.0.12:554/live', labels: { zone: 'yard' } },
    { id: 'office-1', url: 'rtsp://10.40.0.21:554/live', labels: { zone: 'office' } },
  ],
});

new AnalysisService(chart, 'forklift', {
  namespace: 'detections',
  image: 'registry.example.internal/detections/forklift:2.1.0',
  // Only the yard cameras: their in-cluster stream URLs go into the service's cameras.json.
  streams: StreamSelection.withLabels(ingest, { zone: 'yard' }),
  // CPU scaling needs only the metrics-server K3s ships: no Prometheus, no KEDA.
  scaling: Scaling.cpu(70),
  maxReplicas: 4,
  // Free-form settings of the detector, mounted as settings.yaml; a change rolls the pods.
  settings: { confidence: 0.6, classes: ['forklift', 'person'] },
});

PlatformPolicies.enforce(app);
app.synth();
