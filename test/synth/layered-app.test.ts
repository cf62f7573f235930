import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ApiObject, App, AppProps, Chart, Testing, Yaml, YamlOutputType } from 'cdk8s';
import { Construct } from 'constructs';
import { parse as parseYaml } from 'yaml';
import { APPLY_ORDER, ApplyOrderedChart, applyRank, inApplyOrder } from '../../lib/synth/apply-order';
import { LayeredApp, LayeredAppProps, serializeManifests } from '../../lib/synth/layered-app';
import { ManifestValidationPlugin } from '../../lib/synth/validation/cdk8s-plugin';
import { PlatformPolicies } from '../../lib';
import * as policyObjects from '../../lib/synth/policy/_objects';
import { buildReferencePlatform } from '../../main';

type Build = (app: App) => void;

function configMap(scope: Construct, id: string): ApiObject {
  return new ApiObject(scope, id, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: id.toLowerCase() }, data: { id } } as any);
}

function chart(app: Construct, id: string, objects: number): Chart {
  const c = new Chart(app, id, { disableResourceNameHashes: true });
  for (let i = 0; i < objects; i++) configMap(c, `${id}-object-${i}`);
  return c;
}

/** Every file an app writes, by name. */
function synthFiles(app: App): Record<string, string> {
  app.synth();
  const files = Object.fromEntries(fs.readdirSync(app.outdir).sort().map((f) => [f, fs.readFileSync(path.join(app.outdir, f), 'utf8')]));
  fs.rmSync(app.outdir, { recursive: true, force: true });
  return files;
}

function outdir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'layered-app-'));
}

/** What App and LayeredApp write for the same construct tree, and whether LayeredApp left it to App. */
function bothWrite(build: Build, props: AppProps = {}, layeredProps: LayeredAppProps = {}): { app: Record<string, string>; layered: Record<string, string>; leftToApp: boolean } {
  const plain = new App({ ...props, outdir: outdir() });
  build(plain);
  const app = synthFiles(plain);
  const layeredApp = new LayeredApp({ ...props, ...layeredProps, outdir: outdir() });
  build(layeredApp);
  // LayeredApp calls App's synth only for apps it does not cover.
  const appSynth = jest.spyOn(App.prototype, 'synth');
  try {
    return { app, layered: synthFiles(layeredApp), leftToApp: appSynth.mock.calls.length > 0 };
  } finally {
    appSynth.mockRestore();
  }
}

/** Layers created in one order, depending on each other in another, like VideoAnalyticsPlatform's lazily created layers. */
const layers: Build = (app) => {
  const base = chart(app, 'base', 3);
  const analysis = chart(app, 'analysis', 4);
  const ingest = chart(app, 'ingest', 2);
  const operations = chart(app, 'operations', 1);
  for (const higher of [ingest, analysis]) higher.addDependency(base);
  analysis.addDependency(ingest);
  // A layer created late still goes before the ones created earlier that depend on it.
  for (const higher of [ingest, analysis]) higher.addDependency(operations);
  operations.addDependency(base);
  // An unrelated chart and a construct that holds a chart: both are plain layers to App.
  chart(app, 'standalone', 2);
  const group = new Construct(app, 'group');
  chart(group, 'nested-in-construct', 1).addDependency(base);
  // Objects below intermediate constructs.
  configMap(new Construct(analysis, 'service'), 'deep');
};

/** The YAML documents of a file as cdk8s writes it: each document's text, separators left out. */
function documents(text: string): string[] {
  return text.split(/^---\n/m);
}

/** A file's documents moved, unchanged, into apply order. */
function inFileApplyOrder(text: string): string {
  const typed = documents(text).map((doc) => ({ doc, ...parseYaml(doc) }));
  return inApplyOrder(typed).map((t) => t.doc).join('---\n');
}

function isSorted(numbers: readonly number[]): boolean {
  return numbers.every((n, i) => i === 0 || numbers[i - 1] <= n);
}

/** One object of every kind the apply order names, and a custom resource, created in the reverse of apply order. */
const everyKind: Build = (app) => {
  const c = new Chart(app, 'kinds', { disableResourceNameHashes: true });
  const kinds = APPLY_ORDER.flat().concat(['monitoring.coreos.com/PodMonitor']).reverse();
  kinds.forEach((kind, i) => {
    const [group, name] = kind.includes('/') ? kind.split('/') : ['', kind];
    new ApiObject(c, `object-${i}`, { apiVersion: group === '' ? 'v1' : `${group}/v1`, kind: name, metadata: { name: `${name.toLowerCase()}-${i}` } });
  });
};

describe('apply order', () => {
  const object = (apiVersion: string, kind: string, name: string) => ({ apiVersion, kind, metadata: { name } });

  test('puts what an object refers to before it, keeping construct order within a step', () => {
    const ordered = inApplyOrder([
      object('monitoring.coreos.com/v1', 'PodMonitor', 'scrape'),
      object('keda.sh/v1alpha1', 'ScaledObject', 'scale'),
      object('policy/v1', 'PodDisruptionBudget', 'budget'),
      object('apps/v1', 'Deployment', 'first'),
      object('v1', 'Service', 'front'),
      object('v1', 'Secret', 'credentials'),
      object('apps/v1', 'DaemonSet', 'second'),
      object('v1', 'ConfigMap', 'config'),
      object('rbac.authorization.k8s.io/v1', 'ClusterRoleBinding', 'binding'),
      object('v1', 'PersistentVolumeClaim', 'claim'),
      object('rbac.authorization.k8s.io/v1', 'ClusterRole', 'role'),
      object('v1', 'ServiceAccount', 'account'),
      object('scheduling.k8s.io/v1', 'PriorityClass', 'priority'),
      object('v1', 'LimitRange', 'limits'),
      object('networking.k8s.io/v1', 'NetworkPolicy', 'policy'),
      object('v1', 'Namespace', 'ns'),
      object('apiextensions.k8s.io/v1', 'CustomResourceDefinition', 'podmonitors'),
    ]);
    expect(ordered.map((o) => o.metadata.name)).toEqual([
      'ns', 'podmonitors', 'policy', 'limits', 'priority', 'account', 'role', 'binding', 'credentials', 'config', 'claim', 'front', 'first', 'second', 'budget', 'scale', 'scrape',
    ]);
  });

  test('tells kinds apart by API group: a kind of the same name in another group is a custom resource, and goes last', () => {
    const ordered = inApplyOrder<{ apiVersion?: string; kind?: string; metadata: { name: string } }>([
      object('serving.knative.dev/v1', 'Service', 'knative'),
      object('apps/v1', 'Deployment', 'web'),
      object('v1', 'Service', 'web'),
      object('example.com/v1', 'Namespace', 'fake'),
      { metadata: { name: 'no-kind' } },
    ]);
    expect(ordered.map((o) => o.metadata.name)).toEqual(['web', 'web', 'knative', 'fake', 'no-kind']);
    expect(ordered[0].kind).toBe('Service');
  });

  test('an ApplyOrderedChart comes out in apply order from App and LayeredApp alike, and Testing.synth returns it so', () => {
    const build: Build = (a) => {
      everyKind(a);
      const ordered = new ApplyOrderedChart(a, 'ordered', { disableResourceNameHashes: true });
      new ApiObject(ordered, 'deployment', { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web' } });
      new ApiObject(ordered, 'account', { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'web' } });
    };
    // One bare object of every kind: an order to check, not manifests to validate.
    const { app, layered, leftToApp } = bothWrite(build, {}, { validate: false });
    expect(leftToApp).toBe(false);
    // App leaves a plain chart in construct order, which LayeredApp puts in apply order.
    const kinds = (text: string) => documents(text).map((d) => parseYaml(d).kind);
    expect(kinds(app['kinds.k8s.yaml'])[0]).toBe('PodMonitor');
    // Created in reverse: each step keeps that construct order.
    expect(kinds(layered['kinds.k8s.yaml'])).toEqual([...APPLY_ORDER.flatMap((step) => [...step].reverse()).map((k) => k.split('/').pop()), 'PodMonitor']);
    expect(layered['kinds.k8s.yaml']).toBe(inFileApplyOrder(app['kinds.k8s.yaml']));
    // The ordered chart is written the same by both.
    expect(kinds(app['ordered.k8s.yaml'])).toEqual(['ServiceAccount', 'Deployment']);
    expect(layered['ordered.k8s.yaml']).toBe(app['ordered.k8s.yaml']);
    const testing = Testing.app();
    build(testing);
    expect(Testing.synth(testing.node.findChild('ordered') as Chart).map((o) => o.kind)).toEqual(['ServiceAccount', 'Deployment']);
    fs.rmSync(testing.outdir, { recursive: true, force: true });
  });

  test('synthYaml is in apply order too', () => {
    const layered = new LayeredApp({ outdir: outdir() });
    everyKind(layered);
    expect(isSorted(documents(layered.synthYaml()).map((d) => applyRank(parseYaml(d))))).toBe(true);
    fs.rmSync(layered.outdir, { recursive: true, force: true });
  });
});

describe('LayeredApp', () => {
  test('writes the same files as App for charts that depend on charts', () => {
    const { app, layered, leftToApp } = bothWrite(layers);
    expect(leftToApp).toBe(false);
    expect(Object.keys(layered)).toEqual([
      '0000-base.k8s.yaml', '0001-operations.k8s.yaml', '0002-ingest.k8s.yaml', '0003-analysis.k8s.yaml',
      '0004-standalone.k8s.yaml', '0005-group-nested-in-construct-c8a8b118.k8s.yaml',
    ]);
    expect(layered).toEqual(app);
  });

  test('writes the reference platform as App does, byte for byte, but for the order of objects within a file', () => {
    const { app, layered, leftToApp } = bothWrite((a) => { buildReferencePlatform(a); }, { recordConstructMetadata: false });
    expect(leftToApp).toBe(false);
    expect(Object.keys(layered).length).toBeGreaterThan(5);
    expect(Object.keys(layered)).toEqual(Object.keys(app));
    for (const [file, text] of Object.entries(layered)) {
      expect({ file, ranks: isSorted(documents(text).map((d) => applyRank(parseYaml(d)))) }).toEqual({ file, ranks: true });
      expect({ file, text }).toEqual({ file, text: inFileApplyOrder(app[file]) });
    }
  });

  test('serializes a file as Yaml.stringify does, byte for byte, without passing the objects as arguments', () => {
    const objects = [{ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'a' }, data: { on: 'yes', mode: '0755' } }, undefined, { kind: 'Namespace' }];
    expect(serializeManifests(objects)).toBe(Yaml.stringify(...objects));
    // Spread as arguments, this many documents overflow the call stack (near 94,000 objects of
    // a platform of 50,000 cameras); undefined documents keep the test fast.
    const many: undefined[] = new Array(500_000).fill(undefined);
    expect(() => Yaml.stringify(...many)).toThrow(RangeError);
    expect(serializeManifests(many)).toBe(many.map(() => '\n').join('---\n'));
  });

  test('names files without numbers, as App does, when no chart depends on another', () => {
    const { app, layered } = bothWrite((a) => { chart(a, 'one', 1); chart(a, 'two', 1); });
    expect(Object.keys(layered)).toEqual(['one.k8s.yaml', 'two.k8s.yaml']);
    expect(layered).toEqual(app);
  });

  test('orders charts as App does, with synthYaml and the charts getter too', () => {
    const plain = Testing.app();
    layers(plain);
    const layered = new LayeredApp({ outdir: plain.outdir });
    layers(layered);
    expect(layered.charts.map((c) => c.node.path)).toEqual(plain.charts.map((c) => c.node.path));
    expect(layered.synthYaml()).toBe(plain.synthYaml());
    fs.rmSync(plain.outdir, { recursive: true, force: true });
  });

  test('adds no dependency between objects: the work stays linear in the number of objects', () => {
    const app = new LayeredApp({ outdir: outdir() });
    const lower = chart(app, 'lower', 200);
    const higher = chart(app, 'higher', 200);
    higher.addDependency(lower);
    synthFiles(app);
    const objectEdges = app.node.findAll().filter((c) => c instanceof ApiObject).reduce((n, c) => n + c.node.dependencies.length, 0);
    expect(objectEdges).toBe(0);
  });

  test('still takes the shortcut after cdk8s derived object dependencies from the chart dependencies', () => {
    const build: Build = (a) => {
      const lower = chart(a, 'lower', 2);
      chart(a, 'higher', 2).addDependency(lower);
      // Testing.synth resolves dependencies the cdk8s way: every object of higher now depends on every object of lower.
      Testing.synth(lower);
    };
    const { app, layered, leftToApp } = bothWrite(build);
    expect(leftToApp).toBe(false);
    expect(layered).toEqual(app);
  });

  test.each<[string, Build, AppProps]>([
    ['a dependency between objects of one chart', (a) => {
      const c = chart(a, 'only', 0);
      const first = configMap(c, 'first');
      const second = configMap(c, 'second');
      first.addDependency(second);
    }, {}],
    ['a dependency of a construct on a construct in another chart', (a) => {
      const lower = chart(a, 'lower', 1);
      const higher = chart(a, 'higher', 1);
      new Construct(higher, 'user').node.addDependency(new Construct(lower, 'target'));
    }, {}],
    ['a chart inside a chart', (a) => {
      const outer = chart(a, 'outer', 1);
      chart(outer, 'inner', 1);
    }, {}],
    ['one file per resource', (a) => { chart(a, 'lower', 2).addDependency(chart(a, 'higher', 1)); }, { yamlOutputType: YamlOutputType.FILE_PER_RESOURCE }],
  ])('leaves %s to App, with the same output', (_name, build, props) => {
    const { app, layered, leftToApp } = bothWrite(build, props);
    expect(leftToApp).toBe(true);
    expect(layered).toEqual(app);
  });

  test('reports a dependency cycle with App\'s error', () => {
    const build: Build = (a) => {
      const one = chart(a, 'one', 1);
      const two = chart(a, 'two', 1);
      one.addDependency(two);
      two.addDependency(one);
    };
    const plain = new App({ outdir: outdir() });
    build(plain);
    const layered = new LayeredApp({ outdir: outdir() });
    build(layered);
    expect(() => plain.synth()).toThrow(/Dependency cycle detected/);
    expect(() => layered.synth()).toThrow(/Dependency cycle detected/);
    for (const a of [plain, layered]) fs.rmSync(a.outdir, { recursive: true, force: true });
  });

  test('fails validation with App\'s message', () => {
    const build: Build = (a) => {
      const c = chart(a, 'one', 1);
      new Construct(c, 'broken').node.addValidation({ validate: () => ['it is broken'] });
    };
    const layered = new LayeredApp({ outdir: outdir() });
    build(layered);
    expect(() => layered.synth()).toThrow('Validation failed with the following errors:\n  [one/broken] it is broken');
    fs.rmSync(layered.outdir, { recursive: true, force: true });
  });

  test('includes objects a validation adds, and validates them', () => {
    let added = 0;
    const build: Build = (a) => {
      const c = chart(a, 'one', 1);
      // Like MonitoringBundle in operator mode: objects created once, when the app is validated.
      c.node.addValidation({
        validate: () => {
          if (c.node.tryFindChild('late') === undefined) configMap(c, 'late').node.addValidation({ validate: () => { added++; return []; } });
          return [];
        },
      });
    };
    const { app, layered, leftToApp } = bothWrite(build);
    expect(leftToApp).toBe(false);
    expect(layered).toEqual(app);
    expect(layered['one.k8s.yaml']).toContain('name: late');
    expect(added).toBeGreaterThan(1);
  });

  test('runs policies once, last, on the JSON it writes, and fails with App\'s message', () => {
    const build: Build = (a) => {
      const c = chart(a, 'one', 2);
      // A late change, as LayerChart's annotation: the policies must see it.
      c.node.addValidation({ validate: () => { (c.node.findChild('one-object-0') as ApiObject).metadata.addLabel('late', 'yes'); return []; } });
      PlatformPolicies.enforce(a);
    };
    const seen: unknown[][] = [];
    const check = jest.spyOn(PlatformPolicies, 'check');
    const toJson = jest.spyOn(ApiObject.prototype, 'toJson');
    const indexed = jest.spyOn(policyObjects, 'indexObjects').mockImplementation((scope, jsonOf) => {
      const objects = scope.node.findAll().filter((c): c is ApiObject => c instanceof ApiObject);
      seen.push(objects.map((o) => jsonOf(o)));
      return [];
    });
    try {
      const layered = new LayeredApp({ outdir: outdir() });
      build(layered);
      const text = layered.synthYaml();
      expect(seen).toHaveLength(1);
      expect(toJson).toHaveBeenCalledTimes(2);
      expect(Yaml.stringify(...seen[0])).toBe(text);
      expect(text).toContain('late: "yes"');
      expect(check).not.toHaveBeenCalled();
      fs.rmSync(layered.outdir, { recursive: true, force: true });

      // Under App the same validation runs in every pass, serializing each object itself.
      seen.length = 0;
      const plain = Testing.app();
      fs.rmSync(plain.outdir, { recursive: true, force: true });
      build(plain);
      plain.synthYaml();
      expect(seen.length).toBeGreaterThan(1);
    } finally {
      for (const spy of [check, toJson, indexed]) spy.mockRestore();
    }

    const failing = new LayeredApp({ outdir: outdir() });
    const c = chart(failing, 'one', 0);
    new ApiObject(c, 'service', { apiVersion: 'v1', kind: 'Service', metadata: { name: 'orphan' }, spec: { selector: { app: 'none' }, ports: [{ port: 80 }] } } as any);
    PlatformPolicies.enforce(failing);
    expect(() => failing.synth()).toThrow(/^Validation failed with the following errors:\n {2}\[\] .*orphan/s);
    fs.rmSync(failing.outdir, { recursive: true, force: true });
  });
});

describe('LayeredApp writes only valid manifests', () => {
  /** Two charts, the second with an object the API server would refuse: a field ConfigMap does not have. */
  const withInvalidObject: Build = (a) => {
    const one = chart(a, 'one', 2);
    const two = chart(a, 'two', 1);
    new ApiObject(new Construct(two, 'service'), 'broken', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'broken' }, data: { a: 'b' }, spec: { replicas: 2 } } as any);
    two.addDependency(one);
  };

  function written(dir: string): string[] {
    return fs.existsSync(dir) ? fs.readdirSync(dir) : [];
  }

  test('an invalid object fails synth with the validation report, and no file is written', () => {
    const dir = outdir();
    try {
      const layered = new LayeredApp({ outdir: dir });
      withInvalidObject(layered);
      expect(() => layered.synth()).toThrow(/^LayeredApp: the objects break the manifest rules, so nothing was written to .*\n\nValidation Report \(ManifestValidationPlugin@in-process\)\n/);
      expect(() => layered.synth()).toThrow(new RegExp([
        'unknown-field \\(1 occurrences\\)', '', '  Occurrences:', '',
        '    - Construct Path: two/service/broken',
        `    - Manifest Path: ${path.join(dir, '0001-two.k8s.yaml').replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`,
        '    - Resource Name: ConfigMap broken',
        '    - Locations:', '      > spec',
      ].join('\n')));
      expect(written(dir)).toEqual([]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('creates no output folder when the objects are invalid', () => {
    const dir = path.join(outdir(), 'dist');
    const layered = new LayeredApp({ outdir: dir });
    withInvalidObject(layered);
    expect(() => layered.synth()).toThrow(/unknown-field/);
    expect(fs.existsSync(dir)).toBe(false);
    fs.rmSync(path.dirname(dir), { recursive: true, force: true });
  });

  test('checks the objects before App writes them, for apps the shortcut leaves to App', () => {
    const dir = outdir();
    const layered = new LayeredApp({ outdir: dir, yamlOutputType: YamlOutputType.FILE_PER_RESOURCE });
    withInvalidObject(layered);
    expect(() => layered.synth()).toThrow(/- Construct Path: two\/service\/broken\n/);
    expect(written(dir)).toEqual([]);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('reports what cdk8s synth prints for the validation plugin, with each construct path', async () => {
    const dir = outdir();
    try {
      const checked = new LayeredApp({ outdir: dir });
      withInvalidObject(checked);
      const message = (() => {
        try {
          checked.synth();
          return '';
        } catch (error) {
          return (error as Error).message;
        }
      })();
      // The same app, written unchecked, then validated the way cdk8s-cli runs the plugin.
      const unchecked = new LayeredApp({ outdir: dir, validate: false });
      withInvalidObject(unchecked);
      unchecked.synth();
      const manifests = fs.readdirSync(dir).sort().map((f) => path.join(dir, f));
      // cdk8s-cli's own report class, through the one entry point its package exports.
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { ValidationContext } = require('cdk8s-cli/plugins');
      const context = new ValidationContext(manifests, 'ManifestValidationPlugin', 'in-process', { 'ConfigMap broken': { path: 'two/service/broken' } }, false);
      await new ManifestValidationPlugin().validate(context);
      const printed = String(context.report.toString()).replace(/\x1b\[[0-9;]*m/g, '');
      expect(message.split('\n\n').slice(1).join('\n\n')).toBe(printed);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('synthFiles returns the checked files, with their object counts, and writes nothing; writeFiles writes them', () => {
    const dir = path.join(outdir(), 'dist');
    try {
      const layered = new LayeredApp({ outdir: dir });
      layers(layered);
      const files = layered.synthFiles()!;
      expect(fs.existsSync(dir)).toBe(false);
      expect(files.map((f) => [path.basename(f.path), f.validatedObjects])).toEqual([
        ['0000-base.k8s.yaml', 3], ['0001-operations.k8s.yaml', 1], ['0002-ingest.k8s.yaml', 2], ['0003-analysis.k8s.yaml', 5],
        ['0004-standalone.k8s.yaml', 2], ['0005-group-nested-in-construct-c8a8b118.k8s.yaml', 1],
      ]);
      LayeredApp.writeFiles(files);
      expect(files.map((f) => fs.readFileSync(f.path, 'utf8'))).toEqual(files.map((f) => f.yaml));
      expect(fs.readdirSync(dir)).toHaveLength(files.length);
      const unchecked = new LayeredApp({ outdir: dir, validate: false });
      layers(unchecked);
      expect(unchecked.synthFiles()!.map((f) => f.validatedObjects)).toEqual(files.map(() => undefined));
    } finally {
      fs.rmSync(path.dirname(dir), { recursive: true, force: true });
    }
  });

  test('synth() writes, file by file through a staging folder, the very bytes synthFiles() returns, and leaves no staging folder', () => {
    const root = outdir();
    try {
      const dir = path.join(root, 'dist');
      const layered = new LayeredApp({ outdir: dir });
      layers(layered);
      layered.synth();
      const again = new LayeredApp({ outdir: dir });
      layers(again);
      const files = again.synthFiles()!;
      expect(fs.readdirSync(dir).sort()).toEqual(files.map((f) => path.basename(f.path)).sort());
      for (const file of files) expect(fs.readFileSync(file.path, 'utf8')).toBe(file.yaml);
      expect(fs.readdirSync(root)).toEqual(['dist']);

      const failing = new LayeredApp({ outdir: dir });
      withInvalidObject(failing);
      expect(() => failing.synth()).toThrow(/unknown-field/);
      // The earlier files are as they were, and the failed synth's staging folder is gone.
      for (const file of files) expect(fs.readFileSync(file.path, 'utf8')).toBe(file.yaml);
      expect(fs.readdirSync(root)).toEqual(['dist']);
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });

  test('validate: false writes the objects as they are, for the validation plugin to check', () => {
    const layered = new LayeredApp({ outdir: outdir(), validate: false });
    withInvalidObject(layered);
    expect(Object.keys(synthFiles(layered))).toEqual(['0000-one.k8s.yaml', '0001-two.k8s.yaml']);
  });

  test('never records construct metadata, even when cdk8s-cli asks for it through the environment', () => {
    const previous = process.env.CDK8S_RECORD_CONSTRUCT_METADATA;
    process.env.CDK8S_RECORD_CONSTRUCT_METADATA = 'true';
    try {
      const build: Build = (a) => { chart(a, 'one', 1); };
      const plain = new App({ outdir: outdir() });
      build(plain);
      expect(Object.keys(synthFiles(plain))).toEqual(['construct-metadata.json', 'one.k8s.yaml']);
      const layered = new LayeredApp({ outdir: outdir() });
      build(layered);
      expect(Object.keys(synthFiles(layered))).toEqual(['one.k8s.yaml']);
    } finally {
      if (previous === undefined) delete process.env.CDK8S_RECORD_CONSTRUCT_METADATA;
      else process.env.CDK8S_RECORD_CONSTRUCT_METADATA = previous;
    }
    expect(() => new LayeredApp({ outdir: 'unused', recordConstructMetadata: true }))
      .toThrow(/^LayeredApp: 'recordConstructMetadata' \(true\) must be false or left out\. .*use cdk8s's App if you need construct-metadata\.json/);
  });
});
