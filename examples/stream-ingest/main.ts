// StreamIngest alone, in a cluster that already runs everything else: a namespace of its own and
// three cameras declared in code. Readers elsewhere are admitted with `ingest.allowReader(...)`
// (an AnalysisService does it itself; see ../analysis-service).
import { Chart } from 'cdk8s';
import { LayeredApp, PlatformNamespace, PlatformPolicies, StreamIngest } from 'cdk8s-video-analytics';

// LayeredApp, not cdk8s's App: dist/ gets nothing but manifests. cdk8s-cli asks the App for
// construct metadata whenever cdk8s.yaml declares a validation plugin, and App would write it to
// dist/construct-metadata.json, which `kubectl apply -f dist/` or Argo CD would read as a manifest.
const app = new LayeredApp();
const chart = new Chart(app, 'cameras', { disableResourceNameHashes: true });

// Pod Security `restricted`, default deny, DNS egress: the ingest's own NetworkPolicy opens the rest.
new PlatformNamespace(chart, 'namespace', { name: 'cameras' });

const ingest = new StreamIngest(chart, 'ingest', {
  namespace: 'cameras',
  cameras: [
    // Addresses, not host names: with every camera given by IPv4 address the egress policy
    // names exactly those addresses, not just the RTSP ports.
    { id: 'gate-1', url: 'rtsp://10.20.0.11:554/stream1', labels: { site: 'gate' } },
    { id: 'gate-2', url: 'rtsp://10.20.0.12:554/stream1', labels: { site: 'gate' } },
    // Credentials stay in a Secret (keys `username` and `password`), never in the URL or the ConfigMap.
    { id: 'dock-1', url: 'rtsp://10.20.0.21:554/live', labels: { site: 'dock' }, credentials: { secretName: 'dock-cameras' } },
  ],
});

// Each camera's in-cluster address, for whatever reads the streams.
for (const shard of ingest.shards) console.error(`${shard.name}: ${shard.cameraIds.map((id) => ingest.streamUrl(id)).join(' ')}`);

// The platform policies (restricted pods, resources, network coverage, no single point of failure)
// make synthesis fail on any finding; VideoAnalyticsPlatform turns them on itself.
PlatformPolicies.enforce(app);
app.synth();
