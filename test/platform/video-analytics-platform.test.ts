import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, Testing } from 'cdk8s';
import { parse as parseYaml } from 'yaml';
import { CameraSpec, GpuRequest, ModelRepository, PlatformPolicies, Receiver, SYNC_WAVE_ANNOTATION, Scaling, VideoAnalyticsPlatform, VideoAnalyticsPlatformProps } from '../../lib';
import { formatFinding } from '../../lib/synth/policy/policy-finding';
import { KubeObject, findObject, testApp } from '../_helpers';

const CAMERAS: CameraSpec[] = Array.from({ length: 8 }, (_, i) => ({ id: `cam-${i}`, url: `rtsp://10.0.0.${i + 10}/live`, labels: { site: 'yard' } }));
const MONITORING = { receivers: [Receiver.webhook('ops', { url: 'https://alerts.example.internal/hook' })] };

function build(props: Partial<VideoAnalyticsPlatformProps> = {}, extend: (p: VideoAnalyticsPlatform) => void = () => undefined) {
  const app = testApp();
  const platform = new VideoAnalyticsPlatform(app, 'va', { cameras: CAMERAS, monitoring: MONITORING, ...props });
  extend(platform);
  const byChart = new Map(app.charts.map((c) => [c.node.id, Testing.synth(c) as KubeObject[]]));
  return { app, platform, byChart, objects: [...byChart.values()].flat() };
}

describe('VideoAnalyticsPlatform', () => {
  test('one chart per layer, named and annotated in apply order', () => {
    const { byChart, app } = build({ gpu: { nodes: 1 } }, (p) => {
      const pool = p.addInferencePool('yolo', { modelRepository: ModelRepository.existingClaim('models'), gpusPerWorker: GpuRequest.whole(1), minWorkers: 1, maxWorkers: 1 });
      p.addDetection('smoke', { image: 'detections/smoke:2.0.1', inference: pool });
    });
    expect([...byChart.keys()].sort()).toEqual(['00-va-base', '01-va-operations', '02-va-gpu', '04-va-monitoring', '05-va-ingest', '06-va-inference', '07-va-analysis']);
    for (const [chart, objects] of byChart) {
      const wave = String(Number(chart.slice(0, 2)));
      for (const o of objects) expect({ object: `${o.kind}/${o.metadata.name}`, wave: o.metadata.annotations?.[SYNC_WAVE_ANNOTATION] }).toEqual({ object: `${o.kind}/${o.metadata.name}`, wave });
    }
    expect(PlatformPolicies.check(app).map(formatFinding)).toEqual([]);
  });

  test('KEDA is installed, before the workloads it scales, only when something scales with it', () => {
    const kedaCharts = (objects: KubeObject[]) => objects.filter((o) => o.kind === 'HelmChart' && o.metadata.name === 'keda');
    expect(kedaCharts(build().objects)).toEqual([]);
    const cpu = build({}, (p) => p.addDetection('smoke', { image: 'detections/smoke:2.0.1', scaling: Scaling.cpu(70) }));
    expect(kedaCharts(cpu.objects)).toEqual([]);
    const keda = build({}, (p) => p.addDetection('smoke', { image: 'detections/smoke:2.0.1', scaling: Scaling.prometheus({ query: 'sum(up)', threshold: 1 }) }));
    expect(findObject(keda.byChart.get('01-va-operations')!, 'HelmChart', 'keda').spec.chart).toBe('keda');
  });

  test('the descheduler runs by default, in the operations layer, and can be switched off for a single-node site', () => {
    expect(findObject(build().byChart.get('01-va-operations')!, 'HelmChart', 'descheduler', 'kube-system').spec.chart).toBe('descheduler');
    expect(build({ descheduler: { enabled: false } }).objects.filter((o) => o.kind === 'HelmChart')).toEqual([]);
    const hourly = build({ descheduler: { schedule: '0 * * * *' } }).objects.find((o) => o.kind === 'HelmChart' && o.metadata.name === 'descheduler')!;
    expect(parseYaml(hourly.spec.valuesContent).schedule).toBe('0 * * * *');
  });

  test('registry settings reach every layer but the in-cluster registry itself', () => {
    const { objects } = build({ registry: { mirror: 'mirror.example.internal:5000', imagePullSecrets: ['pull'], inCluster: { tlsSecretName: 'tls', htpasswdSecretName: 'auth' } } });
    const ingest = findObject(objects, 'Deployment', 'ingest-shard-0').spec.template.spec;
    expect(ingest.containers[0].image).toBe('mirror.example.internal:5000/bluenviron/mediamtx:1.19.3');
    expect(ingest.imagePullSecrets).toEqual([{ name: 'pull' }]);
    const registry = findObject(objects, 'Deployment', 'registry').spec.template.spec;
    expect(registry.containers[0].image).toBe('registry:2.8.3');
    expect(registry).not.toHaveProperty('imagePullSecrets');
  });

  test('a custom monitoring namespace reaches every NetworkPolicy that admits Prometheus', () => {
    const { objects } = build({ monitoring: { ...MONITORING, namespace: 'observability' } }, (p) => p.addDetection('smoke', { image: 'detections/smoke:2.0.1' }));
    for (const name of ['ingest', 'smoke']) {
      const ingress = findObject(objects, 'NetworkPolicy', name, 'video-analytics').spec.ingress;
      expect(JSON.stringify(ingress)).toContain('"kubernetes.io/metadata.name":"observability"');
      expect(JSON.stringify(ingress)).not.toContain('"kubernetes.io/metadata.name":"monitoring"');
    }
  });

  test('writes node files and the Argo CD bootstrap beside dist/, never in it', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'platform-'));
    try {
      const app = new App({ outdir: path.join(dir, 'dist'), recordConstructMetadata: false });
      const platform = new VideoAnalyticsPlatform(app, 'va', {
        cameras: CAMERAS, monitoring: MONITORING,
        cluster: { servers: ['a', 'b', 'c'].map((n, i) => ({ name: `server-${n}`, address: `10.1.0.${i + 1}` })), apiEndpoint: 'k3s.example.internal' },
        gitops: { repoUrl: 'https://git.example.internal/va.git' },
      });
      platform.addDetection('smoke', { image: 'detections/smoke:2.0.1', scaling: Scaling.cpu(70) });
      app.synth();
      const written = platform.writeSupportFiles(dir);
      expect(written).toEqual([
        'bootstrap/argocd-application.yaml', 'cluster/hardening/90-kubelet.conf', 'cluster/hardening/audit.yaml', 'cluster/hardening/psa.yaml',
        'cluster/registries.yaml', 'cluster/server-a/config.yaml', 'cluster/server-b/config.yaml', 'cluster/server-c/config.yaml',
      ]);
      // The platform's privileged namespace is exempt from the cluster-wide restricted admission; its own are not.
      const admission = parseYaml(fs.readFileSync(path.join(dir, 'cluster', 'hardening', 'psa.yaml'), 'utf8'));
      const exempt = admission.plugins[0].configuration.exemptions.namespaces;
      expect(exempt).toEqual(expect.arrayContaining(['kube-system', 'monitoring-host']));
      expect(exempt).not.toContain('video-analytics');
      expect(fs.readdirSync(path.join(dir, 'dist')).every((f) => f.endsWith('.k8s.yaml'))).toBe(true);
      const application = parseYaml(fs.readFileSync(path.join(dir, 'bootstrap', 'argocd-application.yaml'), 'utf8'));
      expect(application.spec.ignoreDifferences).toEqual([{ group: 'apps', kind: 'Deployment', namespace: 'video-analytics', name: 'smoke', jsonPointers: ['/spec/replicas'] }]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('refuses an inference pool without GPU nodes', () => {
    expect(() => build({}, (p) => p.addInferencePool('yolo', { modelRepository: ModelRepository.existingClaim('m') })))
      .toThrow(/VideoAnalyticsPlatform 'va': 'gpu' \(undefined\) must be declared before adding inference pool 'yolo'/);
  });

  test('refuses a part added after synthesis, which would be lost without a word', () => {
    const app = new App({ outdir: fs.mkdtempSync(path.join(os.tmpdir(), 'platform-')), recordConstructMetadata: false });
    try {
      const platform = new VideoAnalyticsPlatform(app, 'va', { cameras: CAMERAS, monitoring: MONITORING });
      app.synth();
      expect(() => platform.addDetection('smoke', { image: 'detections/smoke:2.0.1' }))
        .toThrow(/VideoAnalyticsPlatform 'va': 'addDetection' \('smoke' after synthesis\) must be called before the app is synthesized\. Add every detection while building the app/);
    } finally {
      fs.rmSync(app.outdir, { recursive: true, force: true });
    }
  });

  test('refuses a second detection with the same id, naming the method and the id', () => {
    expect(() => build({}, (p) => {
      p.addDetection('intrusion', { image: 'detections/intrusion:1.0.0' });
      p.addDetection('intrusion', { image: 'detections/intrusion:1.1.0' });
    })).toThrow(/VideoAnalyticsPlatform 'va': 'addDetection id' \(intrusion\) must be unique among the platform's detections\. Give the second detection another id\./);
  });

  test('checks the Git repository when the platform is made, before anything is written', () => {
    expect(() => build({ gitops: { repoUrl: 'git.example.internal/va.git' } }))
      .toThrow(/ArgoCdApplication 'application': 'repoUrl' \(git\.example\.internal\/va\.git\) must be an https:\/\/, ssh:\/\/ or git@ Git URL/);
  });

  test('writeSupportFiles with nothing to write says so', () => {
    expect(() => build().platform.writeSupportFiles(os.tmpdir()))
      .toThrow(/'cluster, gitops' \(undefined\) must be set for writeSupportFiles to have anything to write/);
  });
});
