import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { COMPILED_VALIDATORS_FILES } from '../scripts/generate-validators';

const ROOT = path.join(__dirname, '..');
/** The generated validators are committed JavaScript: the only `.js` files that belong beside the sources. */
const COMMITTED_JAVASCRIPT = fs.readdirSync(path.join(ROOT, 'lib', 'synth', 'validation'))
  .filter((file) => COMPILED_VALIDATORS_FILES.test(file) || file === '_format-validators.js')
  .map((file) => `lib/synth/validation/${file}`).sort();
/** Files the validator loads at run time, which the package must hold beside the compiled code. */
const RUNTIME_ASSETS = ['build/lib/synth/validation/k8s-schema.json', 'build/imports/crd-schemas.json', ...COMMITTED_JAVASCRIPT.map((file) => `build/${file}`)];

function installedVersion(name: string): string {
  return JSON.parse(fs.readFileSync(path.join(ROOT, 'node_modules', name, 'package.json'), 'utf8')).version;
}

function npm(args: string[], cwd: string): string {
  return execFileSync('npm', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, npm_config_update_notifier: 'false' } });
}

/**
 * What `git status` reports (ignored files, such as build/, left out) where a build or a pack
 * could write: beside the sources (lib/, imports/), the repository root (a tarball, build info,
 * compiled main.js) and build/ should it stop being ignored. Other folders are left out so that
 * someone editing docs in the same work tree while the test runs does not fail it.
 */
function workTreeStatus(): string[] {
  const pathspecs = ['lib', 'imports', 'build', ':(glob)*'];
  return execFileSync('git', ['status', '--porcelain', '--untracked-files=all', '--', ...pathspecs], { cwd: ROOT, encoding: 'utf8' })
    .split('\n').filter(Boolean).sort();
}

/** Every file under `dir` (relative to the repository), recursively. */
function filesUnder(dir: string): string[] {
  return (fs.readdirSync(path.join(ROOT, dir), { recursive: true, withFileTypes: true }) as fs.Dirent[])
    .filter((entry) => entry.isFile())
    .map((entry) => path.relative(ROOT, path.join(entry.parentPath, entry.name)).split(path.sep).join('/'))
    .sort();
}

/** Compiled output sitting beside the TypeScript sources, where jest, ts-node and require would load it instead of the sources. */
function compiledBesideSources(): string[] {
  return [...filesUnder('lib'), ...filesUnder('imports')].filter((f) => f.endsWith('.js') || f.endsWith('.d.ts'));
}

/**
 * Packs the repository itself, as `npm pack` / `npm publish` do (prepack builds into build/), then
 * installs the tarball in a fresh consumer project the way a user would.
 */
describe('the npm package', () => {
  let work: string;
  let tarball: string;
  let files: string[];
  let statusBefore: string[];
  let buildExisted: boolean;

  beforeAll(() => {
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'package-test-'));
    statusBefore = workTreeStatus();
    buildExisted = fs.existsSync(path.join(ROOT, 'build'));
    const [packed] = JSON.parse(npm(['pack', '--json', '--pack-destination', work], ROOT));
    tarball = path.join(work, packed.filename);
    files = packed.files.map((f: { path: string }) => f.path).sort();
  }, 240_000);

  afterAll(() => {
    fs.rmSync(work, { recursive: true, force: true });
    // build/ is ignored; remove it only if this test made it.
    if (!buildExisted) fs.rmSync(path.join(ROOT, 'build'), { recursive: true, force: true });
  });

  test('packing leaves the work tree as it was: nothing new for git, nothing compiled beside the sources', () => {
    // On a clean checkout git status shows nothing, before and after.
    expect(workTreeStatus()).toEqual(statusBefore);
    expect(compiledBesideSources()).toEqual(COMMITTED_JAVASCRIPT);
    expect(fs.existsSync(path.join(ROOT, 'build', 'lib', 'index.js'))).toBe(true);
  });

  test('holds only the compiled JS and type declarations from build/, the schemas the validator loads, README, LICENSE and CHANGELOG', () => {
    const unexpected = files.filter((f) => !/^build\/(lib|imports)\/.*\.(js|d\.ts)$/.test(f) && !RUNTIME_ASSETS.includes(f)
      && !['README.md', 'LICENSE', 'CHANGELOG.md', 'package.json'].includes(f));
    expect(unexpected).toEqual([]);
    expect(files).toEqual(expect.arrayContaining([...RUNTIME_ASSETS, 'build/lib/index.js', 'build/lib/index.d.ts', 'README.md', 'LICENSE', 'CHANGELOG.md']));
    // Every source file, compiled, with its declarations: the layout mirrors the sources.
    const sources = [...filesUnder('lib'), ...filesUnder('imports')].filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'));
    const missing = sources.flatMap((f) => [`build/${f.replace(/\.ts$/, '.js')}`, `build/${f.replace(/\.ts$/, '.d.ts')}`]).filter((f) => !files.includes(f));
    expect(missing).toEqual([]);
    const packageJson = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
    expect([packageJson.main, packageJson.types]).toEqual(['build/lib/index.js', 'build/lib/index.d.ts']);
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
      // A kind nothing was compiled ahead for: the validator reads the shipped CRD schemas to say so.
      const unknown = va.ManifestValidator.validateObjects([{ apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w' } }]);
      const objects = require('yaml').parseAllDocuments(require('fs').readFileSync('out/edge.k8s.yaml', 'utf8')).map((d) => d.toJSON());
      const find = (kind, name) => objects.find((o) => o.kind === kind && o.metadata.name === name);
      const loaded = Object.keys(require.cache).map((f) => require('path').relative(require('path').join(__dirname, 'node_modules', 'cdk8s-video-analytics'), f));
      console.log(JSON.stringify({
        objects: result.objectCount,
        unknownKind: unknown.violations.map((v) => v.rule),
        runtimeAssets: loaded.filter((f) => /(_compiled-validators[a-z0-9.-]*\\.js|_format-validators\\.js|k8s-schema\\.json|crd-schemas\\.json)$/.test(f)).sort(),
        badBase64: va.ManifestValidator.validateObjects([{ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'b' }, binaryData: { a: 'not base64!' } }]).violations.map((v) => v.path + ' ' + v.message),
        image: find('Deployment', 'smoke').spec.template.spec.containers[0].image,
        prometheusImage: find('StatefulSet', 'prometheus').spec.template.spec.containers[0].image,
        kedaAddress: find('ScaledObject', 'smoke').spec.triggers[0].metadata.serverAddress,
        ingestPeers: find('NetworkPolicy', 'ingest').spec.ingress.flatMap((rule) => rule.from),
        codeCache: require('cdk8s-video-analytics/build/lib/synth/validation/_generated-code').generatedModuleLoads().map((l) => l.codeCache),
      }));
    `);
    const output = JSON.parse(execFileSync('node', ['app.js'], { cwd: consumer, encoding: 'utf8' }));
    expect(output.objects).toBeGreaterThan(40);
    expect(output.unknownKind).toEqual(['unknown-kind']);
    // The validators of the groups in use only: the Kubernetes kinds and KEDA's, not Argo CD's or the Prometheus Operator's.
    const validation = 'build/lib/synth/validation';
    expect(output.runtimeAssets).toEqual(['build/imports/crd-schemas.json', ...['_compiled-validators-core.js', '_compiled-validators-keda.sh.js', '_compiled-validators.js', '_format-validators.js', 'k8s-schema.json'].map((file) => `${validation}/${file}`)]);
    // The bundled format checks load the package's base64 format from the installed kubernetes-models.
    expect(output.badBase64).toEqual(['binaryData.a must be a valid byte']);
    expect(output.image).toBe('mirror.example.internal:5000/detectors/smoke:2.0.1');
    expect(output.prometheusImage).toBe('mirror.example.internal:5000/prometheus/prometheus:v2.53.2');
    expect(output.kedaAddress).toBe('http://prometheus.monitoring.svc.cluster.local:9090');
    // The validators' code cache lives in the consumer's node_modules: the second run loads from it.
    expect(output.codeCache).toEqual(['none', 'none', 'none']);
    const again = JSON.parse(execFileSync('node', ['app.js'], { cwd: consumer, encoding: 'utf8' }));
    expect(again.codeCache).toEqual(['used', 'used', 'used']);
    expect({ ...again, codeCache: undefined }).toEqual({ ...output, codeCache: undefined });
    expect(fs.readdirSync(path.join(consumer, 'node_modules', '.cache', 'cdk8s-video-analytics', 'code-cache'))).toHaveLength(3);
    expect(output.ingestPeers).toEqual(expect.arrayContaining([
      { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'detections' } }, podSelector: { matchLabels: { 'video-analytics.io/client-of-ingest': 'cameras' } } },
    ]));
  }, 240_000);
});
