import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ManifestValidationPlugin, PluginValidationContext } from '../../lib';

interface RecordedViolation { ruleName: string; recommendation: string; fix: string; violatingResources: Array<{ resourceName: string; locations: readonly string[]; manifestPath: string }> }

function fakeContext(manifests: string[]) {
  const recorded = { violations: [] as RecordedViolation[], status: '', metadata: {} as Record<string, string> };
  const context: PluginValidationContext = {
    manifests,
    report: {
      addViolation: (v) => { recorded.violations.push(v); },
      submit: (status, metadata) => { recorded.status = status; recorded.metadata = metadata ?? {}; },
    },
  };
  return { context, recorded };
}

describe('ManifestValidationPlugin', () => {
  let dir: string;
  beforeEach(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'plugin-test-')); });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('reports each broken rule with the object, the path and the manifest file', async () => {
    const file = path.join(dir, 'bad.k8s.yaml');
    fs.writeFileSync(file, [
      'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: Video\n',
      'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n  namespace: a\ndata:\n  enabled: on\n',
    ].join('---\n'));
    const { context, recorded } = fakeContext([file]);

    await new ManifestValidationPlugin().validate(context);

    expect(recorded.status).toBe('failure');
    expect(recorded.metadata).toEqual({ objects: '2', violations: '2' });
    const name = recorded.violations.find((v) => v.ruleName === 'name')!;
    expect(name.violatingResources).toEqual([{ resourceName: 'Namespace Video', locations: ['metadata.name'], manifestPath: file }]);
    expect(name.recommendation).toMatch(/'Video' must be a DNS-1123 label/);
    const yaml = recorded.violations.find((v) => v.ruleName === 'yaml-1.1')!;
    expect(yaml.violatingResources[0]).toEqual(expect.objectContaining({ resourceName: 'ConfigMap a/c', locations: ['data.enabled'] }));
    expect(yaml.fix).toMatch(/Quote the value/);
  });

  test('passes valid manifests', async () => {
    const file = path.join(dir, 'good.k8s.yaml');
    fs.writeFileSync(file, 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: video\n');
    const { context, recorded } = fakeContext([file]);
    await new ManifestValidationPlugin().validate(context);
    expect(recorded).toEqual({ violations: [], status: 'success', metadata: { objects: '1', violations: '0' } });
  });

  test('cdk8s synth itself fails on an invalid object, through cdk8s.yaml', () => {
    const root = path.join(__dirname, '..', '..');
    const result = spawnSync('npx', ['cdk8s', 'synth', '--app', 'npx ts-node --transpile-only test/fixtures/invalid-app.ts', '--output', dir], {
      cwd: root,
      encoding: 'utf8',
      env: { ...process.env, CDK8S_CHECK_UPGRADE: 'false' },
    });
    expect(result.status).toBe(2);
    expect(result.stdout).toMatch(/unknown-field/);
    expect(result.stdout).toMatch(/Deployment video-analytics\/typo: spec\.replica/);
  }, 60_000);
});
