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
