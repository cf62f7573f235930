import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ApiObject, App, Chart } from 'cdk8s';
import { parseAllDocuments } from 'yaml';
import { LayeredApp } from '../../lib/synth/layered-app';
import { buildReferencePlatform } from '../../main';

// `kubectl apply -f dist/` creates the files in name order and the objects of a file in file
// order: a pod template that refers to a ServiceAccount, ConfigMap, Secret or claim that comes
// later starts pods that fail (or run without it) until the rest arrives.

type Json = { [key: string]: any };

/** One file of the output: its name and its objects in file order. */
interface OutputFile {
  readonly name: string;
  readonly objects: readonly Json[];
}

/** An object a pod template refers to, and where in the template. */
interface Reference {
  readonly kind: 'ServiceAccount' | 'ConfigMap' | 'Secret' | 'PersistentVolumeClaim';
  readonly name: string;
  readonly via: string;
}

/**
 * Secrets the user creates by hand, never in Git (credentials, keys): the reference platform
 * refers to them by name only. `namespace/name`.
 */
const EXPECTED_EXTERNAL_SECRETS: readonly string[] = [
  // The pull secret of the team's registry, in every namespace whose pods pull from it.
  'gpu-system/registry-pull',
  'monitoring/registry-pull',
  'monitoring-host/registry-pull',
  'video-analytics/registry-pull',
  // The registry's certificate and users.
  'registry/registry-htpasswd',
  'registry/registry-tls',
  // Alerting and dashboards.
  'monitoring/alert-webhook',
  'monitoring/grafana-admin',
  // Camera credentials, from the inventory's `credentials.secretName`.
  'video-analytics/warehouse-cameras',
];

const TEMPLATE_PATHS: Record<string, readonly string[]> = {
  Deployment: ['spec', 'template', 'spec'],
  StatefulSet: ['spec', 'template', 'spec'],
  DaemonSet: ['spec', 'template', 'spec'],
  ReplicaSet: ['spec', 'template', 'spec'],
  Job: ['spec', 'template', 'spec'],
  CronJob: ['spec', 'jobTemplate', 'spec', 'template', 'spec'],
  Pod: ['spec'],
};

/** Every ServiceAccount, ConfigMap, Secret and claim a pod spec refers to. */
function referencesOf(spec: Json): Reference[] {
  const refs: Reference[] = [];
  const add = (kind: Reference['kind'], name: unknown, via: string) => { if (typeof name === 'string') refs.push({ kind, name, via }); };
  add('ServiceAccount', spec.serviceAccountName ?? spec.serviceAccount, 'serviceAccountName');
  for (const secret of spec.imagePullSecrets ?? []) add('Secret', secret.name, 'imagePullSecrets');
  for (const volume of spec.volumes ?? []) {
    const via = `volume '${volume.name}'`;
    add('ConfigMap', volume.configMap?.name, via);
    add('Secret', volume.secret?.secretName, via);
    add('PersistentVolumeClaim', volume.persistentVolumeClaim?.claimName, via);
    add('Secret', volume.csi?.nodePublishSecretRef?.name, via);
    for (const source of volume.projected?.sources ?? []) {
      add('ConfigMap', source.configMap?.name, `${via} (projected)`);
      add('Secret', source.secret?.name, `${via} (projected)`);
    }
  }
  for (const container of [...spec.initContainers ?? [], ...spec.containers ?? [], ...spec.ephemeralContainers ?? []]) {
    const via = `container '${container.name}'`;
    for (const from of container.envFrom ?? []) {
      add('ConfigMap', from.configMapRef?.name, `${via} envFrom`);
      add('Secret', from.secretRef?.name, `${via} envFrom`);
    }
    for (const env of container.env ?? []) {
      add('ConfigMap', env.valueFrom?.configMapKeyRef?.name, `${via} env ${env.name}`);
      add('Secret', env.valueFrom?.secretKeyRef?.name, `${via} env ${env.name}`);
    }
  }
  return refs;
}

function keyOf(kind: string, namespace: string, name: string): string {
  return `${kind} ${namespace}/${name}`;
}

function namespaceOf(object: Json): string {
  return object.metadata?.namespace ?? 'default';
}

/**
 * Walks the files in apply order and names every reference of a pod template to an object that
 * comes later (in its file or a later one), that nothing defines, or that is listed as made by hand
 * but is defined after all; and every listed hand-made Secret no pod refers to.
 */
function applyOrderProblems(files: readonly OutputFile[], externalSecrets: readonly string[]): string[] {
  const position = new Map<string, { file: number; index: number }>();
  files.forEach((file, fileIndex) => file.objects.forEach((object, index) => {
    const key = keyOf(object.kind, namespaceOf(object), object.metadata?.name);
    if (!position.has(key)) position.set(key, { file: fileIndex, index });
  }));
  const external = new Set(externalSecrets.map((s) => keyOf('Secret', s.split('/')[0], s.split('/')[1])));
  const usedExternal = new Set<string>();
  const problems: string[] = [];
  files.forEach((file, fileIndex) => file.objects.forEach((object, index) => {
    const templatePath = TEMPLATE_PATHS[object.kind];
    const spec = templatePath?.reduce<Json | undefined>((node, key) => node?.[key], object);
    if (spec === undefined) return;
    const namespace = namespaceOf(object);
    const who = `${file.name}: ${object.kind} ${namespace}/${object.metadata?.name}`;
    for (const ref of referencesOf(spec)) {
      const key = keyOf(ref.kind, namespace, ref.name);
      const defined = position.get(key);
      if (external.has(key)) {
        usedExternal.add(key);
        if (defined) problems.push(`${key} is listed as created by hand, never in Git, but ${files[defined.file].name} defines it`);
      } else if (defined === undefined) {
        problems.push(`${who} refers to ${key} (${ref.via}), which no file defines: define it, or list it as created by hand`);
      } else if (defined.file > fileIndex) {
        problems.push(`${who} refers to ${key} (${ref.via}), which comes later, in ${files[defined.file].name}`);
      } else if (defined.file === fileIndex && defined.index > index) {
        problems.push(`${who} refers to ${key} (${ref.via}), which comes later in the same file`);
      }
    }
  }));
  for (const key of external) if (!usedExternal.has(key)) problems.push(`${key} is listed as created by hand, but no pod refers to it`);
  return [...new Set(problems)];
}

/** The files an app writes, in name order (kubectl's), and their objects in file order. */
function writtenFiles(app: App): OutputFile[] {
  app.synth();
  try {
    return fs.readdirSync(app.outdir).filter((f) => f.endsWith('.k8s.yaml')).sort().map((name) => ({
      name,
      objects: parseAllDocuments(fs.readFileSync(path.join(app.outdir, name), 'utf8')).map((doc) => doc.toJS()).filter((o) => o),
    }));
  } finally {
    fs.rmSync(app.outdir, { recursive: true, force: true });
  }
}

function outdir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'apply-order-'));
}

describe('apply order of the reference platform', () => {
  // As `npm run synth` writes dist/.
  const app = new LayeredApp({ outdir: outdir(), recordConstructMetadata: false });
  buildReferencePlatform(app);
  const files = writtenFiles(app);

  test('every pod template comes after the accounts, configuration, secrets and claims it refers to', () => {
    expect(files.length).toBeGreaterThan(5);
    expect(applyOrderProblems(files, EXPECTED_EXTERNAL_SECRETS)).toEqual([]);
  });

  test('the Secrets made by hand are not in the output', () => {
    const secrets = files.flatMap((f) => f.objects).filter((o) => o.kind === 'Secret').map((o) => `${namespaceOf(o)}/${o.metadata.name}`);
    expect(secrets.filter((s) => EXPECTED_EXTERNAL_SECRETS.includes(s))).toEqual([]);
  });
});

describe('the apply-order check', () => {
  const deployment = (name: string, spec: Json): Json => ({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name, namespace: 'ns' }, spec: { template: { spec } } });
  const object = (kind: string, name: string): Json => ({ apiVersion: 'v1', kind, metadata: { name, namespace: 'ns' } });

  test('finds a reference to an object later in the file, in a later file, or nowhere, wherever the pod refers to it', () => {
    const pod = {
      serviceAccountName: 'web',
      imagePullSecrets: [{ name: 'pull' }],
      volumes: [
        { name: 'config', configMap: { name: 'config' } },
        { name: 'data', persistentVolumeClaim: { claimName: 'data' } },
        { name: 'bundle', projected: { sources: [{ secret: { name: 'tls' } }, { configMap: { name: 'ca' } }] } },
      ],
      initContainers: [{ name: 'init', envFrom: [{ secretRef: { name: 'init-env' } }] }],
      containers: [{ name: 'web', env: [{ name: 'TOKEN', valueFrom: { secretKeyRef: { name: 'token', key: 'token' } } }] }],
    };
    const files: OutputFile[] = [
      { name: '00-first.k8s.yaml', objects: [object('ConfigMap', 'ca'), deployment('web', pod), object('ServiceAccount', 'web'), object('Secret', 'tls')] },
      { name: '01-second.k8s.yaml', objects: [object('ConfigMap', 'config'), object('PersistentVolumeClaim', 'data'), object('Secret', 'init-env')] },
    ];
    expect(applyOrderProblems(files, ['ns/pull'])).toEqual([
      "00-first.k8s.yaml: Deployment ns/web refers to ServiceAccount ns/web (serviceAccountName), which comes later in the same file",
      "00-first.k8s.yaml: Deployment ns/web refers to ConfigMap ns/config (volume 'config'), which comes later, in 01-second.k8s.yaml",
      "00-first.k8s.yaml: Deployment ns/web refers to PersistentVolumeClaim ns/data (volume 'data'), which comes later, in 01-second.k8s.yaml",
      "00-first.k8s.yaml: Deployment ns/web refers to Secret ns/tls (volume 'bundle' (projected)), which comes later in the same file",
      "00-first.k8s.yaml: Deployment ns/web refers to Secret ns/init-env (container 'init' envFrom), which comes later, in 01-second.k8s.yaml",
      "00-first.k8s.yaml: Deployment ns/web refers to Secret ns/token (container 'web' env TOKEN), which no file defines: define it, or list it as created by hand",
    ]);
  });

  test('finds a Secret listed as made by hand that the output defines, or that nothing uses', () => {
    const files: OutputFile[] = [{ name: 'one.k8s.yaml', objects: [object('Secret', 'pull'), deployment('web', { imagePullSecrets: [{ name: 'pull' }] })] }];
    expect(applyOrderProblems(files, ['ns/pull', 'ns/unused'])).toEqual([
      'Secret ns/pull is listed as created by hand, never in Git, but one.k8s.yaml defines it',
      'Secret ns/unused is listed as created by hand, but no pod refers to it',
    ]);
  });

  test('fails on objects written in construct order, and passes once LayeredApp puts them in apply order', () => {
    const build = (app: App) => {
      const chart = new Chart(app, 'web', { disableResourceNameHashes: true });
      new ApiObject(chart, 'deployment', deployment('web', { serviceAccountName: 'web', volumes: [{ name: 'config', configMap: { name: 'web' } }] }) as any);
      new ApiObject(chart, 'config', object('ConfigMap', 'web') as any);
      new ApiObject(chart, 'account', object('ServiceAccount', 'web') as any);
    };
    const plain = new App({ outdir: outdir() });
    build(plain);
    expect(applyOrderProblems(writtenFiles(plain), [])).toEqual([
      'web.k8s.yaml: Deployment ns/web refers to ServiceAccount ns/web (serviceAccountName), which comes later in the same file',
      "web.k8s.yaml: Deployment ns/web refers to ConfigMap ns/web (volume 'config'), which comes later in the same file",
    ]);
    // The Deployment is bare on purpose (no selector): only the order is under test here.
    const layered = new LayeredApp({ outdir: outdir(), validate: false });
    build(layered);
    expect(applyOrderProblems(writtenFiles(layered), [])).toEqual([]);
  });
});
