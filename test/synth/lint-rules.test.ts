import * as path from 'path';
import { ESLint } from 'eslint';

// The one pod path holds only while nothing else can make a workload: the lint rule is what keeps it.
describe('the lint rule that keeps workloads on the one pod path', () => {
  // The project's own config, passed in: ESLint's loader imports it dynamically, which jest's VM refuses.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const eslint = new ESLint({ cwd: path.join(__dirname, '..', '..'), overrideConfigFile: true, overrideConfig: require('../../eslint.config.js') });
  const messagesFor = async (code: string, file: string): Promise<string[]> =>
    (await eslint.lintText(code, { filePath: path.join(__dirname, '..', '..', file) }))[0].messages.map((m) => m.message);

  test('refuses the generated workload classes in a construct, imported or through k8s', async () => {
    const imported = await messagesFor("import { KubeDeployment } from '../synth/kube-objects';\nexport const D = KubeDeployment;\n", 'lib/ingest/example.ts');
    expect(imported).toEqual([expect.stringMatching(/KubeDeployment.*Make workloads and service accounts through lib\/synth\/pod\/builder\.ts/)]);
    const generated = await messagesFor("import { k8s } from 'cdk8s-plus-27';\nexport const D = k8s.KubeStatefulSet;\n", 'lib/monitoring/example.ts');
    expect(generated).toEqual([expect.stringMatching(/never with the generated k8s classes/)]);
    const account = await messagesFor("import { k8s } from 'cdk8s-plus-27';\nexport const S = k8s.KubeServiceAccount;\n", 'lib/platform/example.ts');
    expect(account).toHaveLength(1);
  });

  test('allows them in the builder\'s layer, and allows other generated classes anywhere', async () => {
    expect(await messagesFor("import { KubeDeployment } from '../kube-objects';\nexport const D = KubeDeployment;\n", 'lib/synth/pod/example.ts')).toEqual([]);
    expect(await messagesFor("import { KubeService } from '../synth/kube-objects';\nexport const S = KubeService;\n", 'lib/ingest/example.ts')).toEqual([]);
  });
});

describe('the lint rule that keeps per-object code on spreadOf', () => {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const eslint = new ESLint({ cwd: path.join(__dirname, '..', '..'), overrideConfigFile: true, overrideConfig: require('../../eslint.config.js') });
  const messagesFor = async (code: string, file: string): Promise<string[]> =>
    (await eslint.lintText(code, { filePath: path.join(__dirname, '..', '..', file) }))[0].messages.map((m) => m.message);
  const SPREAD_FIRST = /Build it with spreadOf \(lib\/core\/spread\.ts\)/;

  test('refuses a literal that starts with a spread and has more after it where code runs per object, beside the one-pod-path rule', async () => {
    for (const file of ['lib/synth/example.ts', 'lib/synth/pod/example.ts', 'lib/core/example.ts', 'lib/ingest/example.ts', 'lib/inference/example.ts', 'lib/analysis/example.ts', 'lib/cameras/example.ts']) {
      expect(await messagesFor('export const f = (a: object): object => ({ ...a, b: 1 });\n', file)).toEqual([expect.stringMatching(SPREAD_FIRST)]);
      expect(await messagesFor('export const f = (a: object, b: object): object => ({ ...a, ...b });\n', file)).toEqual([expect.stringMatching(SPREAD_FIRST)]);
    }
    // The one-pod-path rule still holds where both apply.
    const both = await messagesFor("import { k8s } from '../core/cdk8s-plus';\nexport const D = k8s.KubeDeployment;\nexport const f = (a: object): object => ({ ...a, b: 1 });\n", 'lib/ingest/example.ts');
    expect(both).toEqual([expect.stringMatching(/never with the generated k8s classes/), expect.stringMatching(SPREAD_FIRST)]);
  });

  test('allows a spread alone, a spread after other keys, and code that runs once per platform', async () => {
    expect(await messagesFor('export const f = (a: object): object => ({ ...a });\n', 'lib/synth/example.ts')).toEqual([]);
    expect(await messagesFor('export const f = (a: object): object => ({ b: 1, ...a });\n', 'lib/synth/example.ts')).toEqual([]);
    expect(await messagesFor('export const f = (a: object): object => ({ ...a, b: 1 });\n', 'lib/platform/example.ts')).toEqual([]);
  });
});
