// A StreamIngest and an AnalysisService beside an existing kube-prometheus-stack: a MonitoringBundle
// in operator mode writes PodMonitors, PrometheusRules and a dashboard ConfigMap for what it
// watches, and runs no Prometheus of its own.
import { Chart } from 'cdk8s';
import {
  AnalysisService, LayeredApp, MonitoringBundle, MonitoringMode, PlatformNamespace, PlatformPolicies, Scaling, StreamIngest,
  StreamSelection,
} from 'cdk8s-video-analytics';

// LayeredApp, not cdk8s's App: dist/ gets nothing but manifests. cdk8s-cli asks the App for
// construct metadata whenever cdk8s.yaml declares a validation plugin, and App would write it to
// dist/construct-metadata.json, which `kubectl apply -f dist/` or Argo CD would read as a manifest.
const app = new LayeredApp();
const chart = new Chart(app, 'video-analytics', { disableResourceNameHashes: true });
new PlatformNamespace(chart, 'namespace', { name: 'video-analytics' });

const ingest = new StreamIngest(chart, 'ingest', {
  namespace: 'video-analytics',
  cameras: [
    { id: 'lobby-1', url: 'rtsp://10.30.0.11:554/live' },
    { id: 'lobby-2', url: 'rtsp://10.30.0.12:554/live' },
  ],
});

// Scaled by KEDA (already in the cluster) on a Prometheus query; which Prometheus is not said
// here: the bundle that watches the service hands it the operator's.
const people = new AnalysisService(chart, 'people-count', {
  namespace: 'video-analytics',
  image: 'registry.example.internal/detections/people-count:1.4.0',
  streams: StreamSelection.all(ingest),
  scaling: Scaling.prometheus({ query: 'sum(rate(video_analytics_frames_total{service="people-count"}[2m]))', threshold: 50 }),
  maxReplicas: 4,
});

const monitoring = new MonitoringBundle(chart, 'monitoring', {
  mode: MonitoringMode.OPERATOR,
  // Where kube-prometheus-stack runs: its Prometheus is admitted from this namespace.
  namespace: 'monitoring',
  // kube-prometheus-stack selects PodMonitors and PrometheusRules by its Helm release label.
  operatorSelectorLabels: { release: 'kube-prometheus-stack' },
  // The operator's Prometheus Service, for KEDA's triggers.
  prometheusUrl: 'http://kube-prometheus-stack-prometheus.monitoring.svc.cluster.local:9090',
});
// Each watch is a link: a PodMonitor, the target's alert rules, its metrics port opened to the
// monitoring namespace, and (for the service) the Prometheus its ScaledObject queries.
monitoring.watch(ingest);
monitoring.watch(people);

PlatformPolicies.enforce(app);
app.synth();
