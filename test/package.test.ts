import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

const ROOT = path.join(__dirname, '..');
const PACKAGE_SOURCES = ['package.json', 'tsconfig.json', 'tsconfig.build.json', 'README.md', 'LICENSE', 'CHANGELOG.md', 'lib', 'imports'];

function installedVersion(name: string): string {
  return JSON.parse(fs.readFileSync(path.join(ROOT, 'node_modules', name, 'package.json'), 'utf8')).version;
}

function npm(args: string[], cwd: string): string {
  return execFileSync('npm', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, npm_config_update_notifier: 'false' } });
}

/**
 * Builds and packs a copy of the package, so the working tree never holds compiled files, then
 * installs the tarball in a fresh consumer project the way a user would.
 */
describe('the npm package', () => {
  let work: string;
  let tarball: string;
  let files: string[];

  beforeAll(() => {
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'package-test-'));
    const copy = path.join(work, 'package');
    fs.mkdirSync(copy);
    for (const entry of PACKAGE_SOURCES) fs.cpSync(path.join(ROOT, entry), path.join(copy, entry), { recursive: true });
    fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(copy, 'node_modules'));
    const [packed] = JSON.parse(npm(['pack', '--json', '--pack-destination', work], copy));
    tarball = path.join(work, packed.filename);
    files = packed.files.map((f: { path: string }) => f.path).sort();
  }, 240_000);

  afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

  test('holds only compiled JS, type declarations, schemas, README, LICENSE and CHANGELOG', () => {
    const unexpected = files.filter((f) => !/\.(js|d\.ts)$/.test(f) && !['README.md', 'LICENSE', 'CHANGELOG.md', 'package.json', 'imports/crd-schemas.json', 'lib/synth/validation/k8s-schema.json'].includes(f));
    expect(unexpected).toEqual([]);
    expect(files.filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))).toEqual([]);
    expect(files).toEqual(expect.arrayContaining(['lib/index.js', 'lib/index.d.ts', 'lib/ingest/stream-ingest.js', 'imports/keda.sh.js', 'README.md', 'LICENSE', 'CHANGELOG.md']));
    expect(files.some((f) => f.startsWith('test/') || f.startsWith('dist/') || f.startsWith('reference/'))).toBe(false);
  });

  test('installs into a consumer project and synthesizes a valid app', () => {
    const consumer = path.join(work, 'consumer');
    fs.mkdirSync(consumer);
    fs.writeFileSync(path.join(consumer, 'package.json'), JSON.stringify({ name: 'consumer', version: '1.0.0', private: true }));
    const peers = ['cdk8s', 'cdk8s-plus-27', 'constructs'].map((name) => `${name}@${installedVersion(name)}`);
    npm(['install', '--no-audit', '--no-fund', '--prefer-offline', '--omit=optional', tarball, ...peers], consumer);
    fs.writeFileSync(path.join(consumer, 'app.js'), `
      const { App, Chart } = require('cdk8s');
      const va = require('cdk8s-video-analytics');
      const app = new App({ outdir: 'out', recordConstructMetadata: false });
      // The consumer's own settings for every pod, and each part in a namespace of its own.
      va.ScopeSettings.apply(app, { mirror: 'mirror.example.internal:5000', imagePullSecrets: ['pull'] });
      const chart = new Chart(app, 'edge', { disableResourceNameHashes: true });
      for (const name of ['cameras', 'detections']) new va.PlatformNamespace(chart, name, { name });
      const ingest = new va.StreamIngest(chart, 'ingest', { namespace: 'cameras', cameras: [{ id: 'gate-1', url: 'rtsp://10.1.0.10/live' }] });
      const smoke = new va.AnalysisService(chart, 'smoke', {
        namespace: 'detections', image: 'detectors/smoke:2.0.1', streams: va.StreamSelection.all(ingest),
        scaling: va.Scaling.prometheus({ query: 'sum(rate(video_analytics_frames_total[2m]))', threshold: 50 }),
      });
      const monitoring = new va.MonitoringBundle(chart, 'monitoring', { receivers: [va.Receiver.webhook('ops', { urlSecret: { secretName: 'hook', key: 'url' } })] });
      monitoring.watch(ingest);
      monitoring.watch(smoke);
      va.PlatformPolicies.enforce(app);
      app.synth();
      const result = va.ManifestValidator.validateFiles(['out/edge.k8s.yaml']);
      va.ManifestValidator.assertValid(result);
      const objects = require('yaml').parseAllDocuments(require('fs').readFileSync('out/edge.k8s.yaml', 'utf8')).map((d) => d.toJSON());
      const find = (kind, name) => objects.find((o) => o.kind === kind && o.metadata.name === name);
      console.log(JSON.stringify({
        objects: result.objectCount,
        image: find('Deployment', 'smoke').spec.template.spec.containers[0].image,
        prometheusImage: find('StatefulSet', 'prometheus').spec.template.spec.containers[0].image,
        kedaAddress: find('ScaledObject', 'smoke').spec.triggers[0].metadata.serverAddress,
        ingestPeers: find('NetworkPolicy', 'ingest').spec.ingress.flatMap((rule) => rule.from),
      }));
    `);
    const output = JSON.parse(execFileSync('node', ['app.js'], { cwd: consumer, encoding: 'utf8' }));
    expect(output.objects).toBeGreaterThan(40);
    expect(output.image).toBe('mirror.example.internal:5000/detectors/smoke:2.0.1');
    expect(output.prometheusImage).toBe('mirror.example.internal:5000/prometheus/prometheus:v2.53.2');
    expect(output.kedaAddress).toBe('http://prometheus.monitoring.svc.cluster.local:9090');
    expect(output.ingestPeers).toEqual(expect.arrayContaining([
      { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'detections' } }, podSelector: { matchLabels: { 'video-analytics.io/client-of-ingest': 'cameras' } } },
    ]));
  }, 240_000);
});
