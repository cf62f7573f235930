import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, Testing } from 'cdk8s';
import { parse as parseYaml } from 'yaml';
import { APP_NAMESPACE, buildReferencePlatform } from './main';
import { CapacityReport, ManifestValidator, PlatformDiagram, PlatformPolicies } from './lib';
import { formatFinding } from './lib/synth/policy/policy-finding';
import { formatViolation } from './lib/synth/validation/violation';
import { findObject, testApp } from './test/_helpers';

/** Synthesizes the reference platform the way `npm run synth` does: dist/ plus the files beside it. */
function synthToDirectory(): { dir: string; files: Map<string, Buffer> } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'reference-platform-'));
  const app = new App({ outdir: path.join(dir, 'dist'), recordConstructMetadata: false });
  const { platform } = buildReferencePlatform(app);
  app.synth();
  platform.writeSupportFiles(dir);
  CapacityReport.writeBeside(app, { clusterNodes: 5 });
  PlatformDiagram.writeBeside(app);
  return { dir, files: readTree(dir, ['dist', 'cluster', 'bootstrap', 'reports']) };
}

/** Every file under the given folders of `root`, by relative path. */
function readTree(root: string, folders: string[]): Map<string, Buffer> {
  const files = new Map<string, Buffer>();
  const walk = (relative: string): void => {
    for (const entry of fs.readdirSync(path.join(root, relative), { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const child = path.join(relative, entry.name);
      if (entry.isDirectory()) walk(child);
      else files.set(child, fs.readFileSync(path.join(root, child)));
    }
  };
  folders.filter((f) => fs.existsSync(path.join(root, f))).forEach(walk);
  return files;
}

describe('reference platform', () => {
  const app = testApp();
  const platform = buildReferencePlatform(app);
  const objects = app.charts.flatMap((chart) => Testing.synth(chart));

  test('matches the snapshot, and every object carries its layer\'s sync wave', () => {
    expect(objects).toMatchSnapshot();
    expect(objects.length).toBe(124);
    for (const chart of app.charts) {
      const wave = String(Number(chart.node.id.slice(0, 2)));
      for (const object of Testing.synth(chart)) {
        expect({ object: `${object.kind}/${object.metadata.name}`, wave: object.metadata.annotations?.['argocd.argoproj.io/sync-wave'] })
          .toEqual({ object: `${object.kind}/${object.metadata.name}`, wave });
      }
    }
  });

  test('every object passes the manifest validator', () => {
    const result = ManifestValidator.validateObjects(objects);
    expect(result.objectCount).toBe(objects.length);
    expect(result.violations.map(formatViolation)).toEqual([]);
  });

  test('the platform policies find nothing', () => {
    expect(PlatformPolicies.check(app).map(formatFinding)).toEqual([]);
  });

  test('the application namespace enforces the restricted Pod Security profile and denies by default', () => {
    const ns = findObject(objects, 'Namespace', APP_NAMESPACE);
    expect(ns.metadata.labels['pod-security.kubernetes.io/enforce']).toBe('restricted');
    const deny = findObject(objects, 'NetworkPolicy', 'default-deny', APP_NAMESPACE);
    expect(deny.metadata.namespace).toBe(APP_NAMESPACE);
    expect(deny.spec.policyTypes).toEqual(['Ingress', 'Egress']);
  });

  test('the ingest pulls all 48 reference cameras over 3 sites, each camera in exactly one shard', () => {
    const ingest = platform.platform.ingest;
    const sites = new Set(ingest.cameraSpecs.map((c) => c.labels?.site));
    expect([...sites].sort()).toEqual(['loading-dock', 'north-gate', 'warehouse']);
    const assigned = ingest.shards.flatMap((s) => s.cameraIds);
    expect(assigned.length).toBe(48);
    expect(new Set(assigned).size).toBe(48);
    for (const shard of ingest.shards) {
      expect(findObject(objects, 'Deployment', shard.name).metadata.namespace).toBe(APP_NAMESPACE);
      expect(shard.cameraIds.length).toBeLessThanOrEqual(16);
    }
    // Warehouse cameras need credentials: they come from the Secret, never from dist/.
    const warehouse = ingest.cameraSpecs.filter((c) => c.labels?.site === 'warehouse');
    expect(warehouse.every((c) => c.credentials?.secretName === 'warehouse-cameras')).toBe(true);
  });

  test('three detection types share one GPU pool that fits the GPU inventory', () => {
    expect(platform.detections.map((d) => d.name)).toEqual(['safety-helmet', 'intrusion', 'smoke']);
    for (const detection of platform.detections) {
      const env = findObject(objects, 'Deployment', detection.name).spec.template.spec.containers[0].env;
      expect(env).toContainEqual({ name: 'INFERENCE_GRPC_ADDRESS', value: `${platform.pool.host}:8001` });
      // Never more replicas than the three servers: replicas must not share a node.
      expect(detection.maxReplicas).toBeLessThanOrEqual(3);
    }
    const workers = findObject(objects, 'Deployment', 'yolo');
    expect(workers.spec).not.toHaveProperty('replicas');
    expect(workers.spec.template.spec.runtimeClassName).toBe('nvidia');
    expect(workers.spec.template.spec.containers[0].resources.limits['nvidia.com/gpu']).toBe('2');
    expect(findObject(objects, 'ScaledObject', 'yolo').spec.maxReplicaCount).toBe(4);
    expect(platform.platform.gpus!.capacity).toBe(8);
  });

  test('every alert has severity, summary, description and a runbook section that exists', () => {
    const runbooks = fs.readFileSync(path.join(__dirname, 'docs', 'runbooks.md'), 'utf8');
    const sections = new Set([...runbooks.matchAll(/^## (\w+)$/gm)].map((m) => m[1].toLowerCase()));
    const ruleFiles = objects.filter((o) => o.kind === 'ConfigMap').flatMap((cm) => Object.entries<string>(cm.data ?? {}).filter(([key]) => key.endsWith('.rules.yaml')).map(([, text]) => parseYaml(text)));
    const alerts = ruleFiles.flatMap((file) => file.groups.flatMap((g: any) => g.rules.filter((r: any) => r.alert)));
    expect(alerts.length).toBeGreaterThan(15);
    for (const alert of alerts) {
      expect(Object.keys(alert.labels)).toContain('severity');
      expect(alert.annotations).toEqual(expect.objectContaining({ summary: expect.any(String), description: expect.any(String) }));
      const anchor = new URL(alert.annotations.runbook_url).hash.slice(1);
      expect({ alert: alert.alert, documented: sections.has(anchor) }).toEqual({ alert: alert.alert, documented: true });
    }
  });

  test('object names are explicit: no hash suffixes', () => {
    for (const object of objects) {
      expect(object.metadata.name).not.toMatch(/-c8[0-9a-f]{6,}$/);
    }
  });

  test('synthesizes byte-identical YAML twice', () => {
    const first = synthToDirectory();
    const second = synthToDirectory();
    try {
      expect([...first.files.keys()]).toEqual([...second.files.keys()]);
      expect(first.files.size).toBeGreaterThan(0);
      for (const [name, bytes] of first.files) {
        expect(bytes.equals(second.files.get(name)!)).toBe(true);
      }
    } finally {
      fs.rmSync(first.dir, { recursive: true, force: true });
      fs.rmSync(second.dir, { recursive: true, force: true });
    }
  });

  test('the committed dist/, cluster/, bootstrap/ and reports/ hold exactly what a fresh synth writes, and all of it is valid', () => {
    const fresh = synthToDirectory();
    try {
      const committed = readTree(__dirname, ['dist', 'cluster', 'bootstrap', 'reports']);
      expect([...committed.keys()]).toEqual([...fresh.files.keys()]);
      for (const [name, bytes] of committed) {
        expect({ name, fresh: bytes.equals(fresh.files.get(name)!) }).toEqual({ name, fresh: true });
      }
      const manifests = [...committed.keys()].filter((f) => f.startsWith('dist') || f.startsWith('bootstrap')).map((f) => path.join(__dirname, f));
      const result = ManifestValidator.validateFiles(manifests);
      expect(result.violations.map(formatViolation)).toEqual([]);
      expect(result.objectCount).toBe(objects.length + 1);
    } finally {
      fs.rmSync(fresh.dir, { recursive: true, force: true });
    }
  });
});
