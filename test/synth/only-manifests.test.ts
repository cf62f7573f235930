import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App } from 'cdk8s';
import { parse as parseYaml } from 'yaml';
import { ArgoCdApplication, LayeredApp, Receiver, VideoAnalyticsPlatform, VideoAnalyticsPlatformProps } from '../../lib';
import { findObject, synthValid, testChart } from '../_helpers';

// Argo CD applies every file it is pointed at: nothing but Kubernetes objects may land in dist/,
// and the bootstrap Application takes only the manifests from it, should anything else get there.

const PROPS: VideoAnalyticsPlatformProps = {
  cameras: [{ id: 'gate-1', url: 'rtsp://10.1.0.10/live' }],
  monitoring: { receivers: [Receiver.webhook('ops', { urlSecret: { secretName: 'hook', key: 'url' } })] },
  gitops: { repoUrl: 'https://git.example.internal/va.git' },
};

/** Runs `body` with cdk8s-cli's switch for construct metadata set, as `cdk8s synth` sets it when cdk8s.yaml has validations. */
function asCdk8sCliWithValidations<T>(body: () => T): T {
  const previous = process.env.CDK8S_RECORD_CONSTRUCT_METADATA;
  process.env.CDK8S_RECORD_CONSTRUCT_METADATA = 'true';
  try {
    return body();
  } finally {
    if (previous === undefined) delete process.env.CDK8S_RECORD_CONSTRUCT_METADATA;
    else process.env.CDK8S_RECORD_CONSTRUCT_METADATA = previous;
  }
}

describe('VideoAnalyticsPlatform refuses an App that would write construct metadata into dist/', () => {
  const refusal = /^VideoAnalyticsPlatform 'va': 'app' \(an App that records construct metadata\) must be an App that writes nothing but Kubernetes objects .*construct-metadata\.json.*CDK8S_RECORD_CONSTRUCT_METADATA.*\. Create it with new App\(\{ recordConstructMetadata: false \}\), or use LayeredApp, which never records it\.$/;

  test('when the App asks for it', () => {
    expect(() => new VideoAnalyticsPlatform(new App({ outdir: 'unused', recordConstructMetadata: true }), 'va', PROPS)).toThrow(refusal);
  });

  test('when cdk8s-cli turns it on through the environment', () => {
    asCdk8sCliWithValidations(() => {
      expect(() => new VideoAnalyticsPlatform(new App({ outdir: 'unused' }), 'va', PROPS)).toThrow(refusal);
      // The fix the message names.
      expect(() => new VideoAnalyticsPlatform(new App({ outdir: 'unused', recordConstructMetadata: false }), 'va', PROPS)).not.toThrow();
    });
  });

  test('a LayeredApp under cdk8s-cli writes nothing but manifests', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'only-manifests-'));
    try {
      asCdk8sCliWithValidations(() => {
        const app = new LayeredApp({ outdir: path.join(dir, 'dist') });
        new VideoAnalyticsPlatform(app, 'va', PROPS);
        app.synth();
      });
      const written = fs.readdirSync(path.join(dir, 'dist'));
      expect(written.length).toBeGreaterThan(3);
      expect(written.filter((f) => !f.endsWith('.k8s.yaml'))).toEqual([]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('the bootstrap Application applies only the manifests of dist/', () => {
  const bootstrap = (app: App, props: Partial<VideoAnalyticsPlatformProps> = {}) =>
    parseYaml(new VideoAnalyticsPlatform(app, 'va', { ...PROPS, ...props }).bootstrapManifest());

  test('*.k8s.yaml, the files cdk8s writes', () => {
    expect(bootstrap(new LayeredApp({ outdir: 'unused' })).spec.source).toEqual({
      repoURL: 'https://git.example.internal/va.git', targetRevision: 'main', path: 'dist', directory: { include: '*.k8s.yaml' },
    });
  });

  test("the app's own file extension, or the glob the platform is given", () => {
    expect(bootstrap(new LayeredApp({ outdir: 'unused', outputFileExtension: '.yaml' })).spec.source.directory).toEqual({ include: '*.yaml' });
    expect(bootstrap(new LayeredApp({ outdir: 'unused' }), { gitops: { ...PROPS.gitops!, include: 'platform-*.k8s.yaml' } }).spec.source.directory)
      .toEqual({ include: 'platform-*.k8s.yaml' });
  });

  test('ArgoCdApplication takes *.k8s.yaml by default, and refuses a glob that would apply other files', () => {
    const chart = testChart();
    new ArgoCdApplication(chart, 'app', { repoUrl: 'https://git.example.internal/va.git' });
    expect(findObject(synthValid(chart), 'Application', 'video-analytics').spec.source.directory).toEqual({ include: '*.k8s.yaml' });
    for (const include of ['*', '*.json', '*.k8s.yaml.bak', 'a b.yaml', '']) {
      expect(() => new ArgoCdApplication(testChart(), 'app', { repoUrl: 'https://git.example.internal/va.git', include }))
        .toThrow(/^ArgoCdApplication 'app': 'include' \(.*\) must be a glob of YAML file names, such as \*\.k8s\.yaml\. Match the files cdk8s writes/);
    }
  });
});
