import * as fs from 'fs';
import * as path from 'path';
import { Testing } from 'cdk8s';
import { parse as parseYaml } from 'yaml';
import { CameraInventory, CentralPrometheus, ManifestValidator, VideoAnalyticsFleet } from '../../../lib';
import { formatViolation } from '../../../lib/synth/validation/violation';
import { KubeObject, findObject, objectsOfKind } from '../../_helpers';
import {
  CENTRAL_ADDRESS, REMOTE_WRITE_FROM, ReferenceFleet, SITES, buildFleet, filesUnder, fleetProps, folderBytes, inventoryCsv, objectsUnder, synthAlone, tempDir,
} from './_fleet';

const SITE_NAMESPACES = { north: 'video-analytics', south: 'va-south', east: 'va-east' };
const SITE_NAMES = Object.keys(SITE_NAMESPACES);

const tempDirs: string[] = [];
function newTempDir(prefix: string): string {
  const dir = tempDir(prefix);
  tempDirs.push(dir);
  return dir;
}
afterAll(() => { for (const dir of tempDirs) fs.rmSync(dir, { recursive: true, force: true }); });

/** The reference fleet, synthesized once into a temporary folder. */
let dir: string;
let reference: ReferenceFleet;
let fleet: VideoAnalyticsFleet;
beforeAll(() => {
  dir = newTempDir('fleet-');
  reference = buildFleet(fleetProps(dir));
  fleet = reference.fleet;
  fleet.synth();
});

const parsed = new Map<string, KubeObject[]>();
const siteObjects = (site: string): KubeObject[] => parsed.get(site) ?? parsed.set(site, objectsUnder(path.join(dir, 'dist', site))).get(site)!;

function prometheusConfig(objects: readonly KubeObject[]): any {
  return parseYaml(findObject(objects, 'ConfigMap', 'prometheus-config', 'monitoring').data['prometheus.yml']);
}

describe('VideoAnalyticsFleet', () => {
  test('writes each site to its own folder, in its own namespaces, with its node files beside dist/', () => {
    expect(fs.readdirSync(path.join(dir, 'dist')).sort()).toEqual(['east', 'north', 'south']);
    expect(filesUnder(path.join(dir, 'dist', 'east'))).toEqual(['00-east-base.k8s.yaml', '01-east-operations.k8s.yaml', '04-east-monitoring.k8s.yaml', '05-east-ingest.k8s.yaml', '07-east-analysis.k8s.yaml']);
    for (const [site, namespace] of Object.entries(SITE_NAMESPACES)) {
      const objects = siteObjects(site);
      expect(findObject(objects, 'Namespace', namespace).metadata.name).toBe(namespace);
      expect(findObject(objects, 'Deployment', 'ingest-shard-0', namespace).spec.template.spec.containers[0].image).toMatch(/^registry\.example\.internal:5000\//);
      expect(findObject(objects, 'Deployment', 'smoke', namespace).spec.template.spec.imagePullSecrets).toEqual([{ name: 'registry-pull' }]);
      // The fleet's ApplicationSet applies the folders: no site has an Application of its own.
      expect(objectsOfKind(objects, 'Application')).toEqual([]);
    }
    // East has no GPU nodes: it skips the pool and the detection that calls it, and adds one of its own.
    expect(objectsOfKind(siteObjects('east'), 'Deployment').map((d) => d.metadata.name).sort()).toEqual(['grafana', 'ingest-shard-0', 'kube-state-metrics', 'queue', 'smoke']);
    expect(findObject(siteObjects('south'), 'Deployment', 'yolo', 'va-south').spec.template.spec.containers[0].resources.limits['nvidia.com/gpu']).toBe('1');
    expect(filesUnder(path.join(dir, 'cluster')).filter((file) => file.endsWith('config.yaml'))).toEqual([
      'east/server-1/config.yaml', 'east/server-2/config.yaml', 'east/server-3/config.yaml',
      'north/gpu-1/config.yaml', 'north/gpu-2/config.yaml', 'north/server-1/config.yaml', 'north/server-2/config.yaml', 'north/server-3/config.yaml',
      'south/gpu-1/config.yaml', 'south/gpu-2/config.yaml', 'south/server-1/config.yaml', 'south/server-2/config.yaml', 'south/server-3/config.yaml',
    ]);
    expect(parseYaml(fs.readFileSync(path.join(dir, 'cluster', 'south', 'server-2', 'config.yaml'), 'utf8'))['tls-san']).toEqual(['k3s.20.example.internal']);
    expect(filesUnder(path.join(dir, 'bootstrap'))).toEqual(['argocd-applicationset.yaml']);
    expect(filesUnder(path.join(dir, 'reports'))).toEqual(['fleet-capacity.md']);
  });

  test("a site's platform props: the fleet's settings, the site's over them, its GPU nodes, its label and the central wiring", () => {
    const given = fleetProps(dir);
    const south = SITES.find((site) => site.name === 'south')!;
    expect(fleet.site('south').platformProps).toEqual({
      cameras: given.cameras!.filter((camera) => camera.labels?.site === 'south'),
      namespace: 'va-south',
      gpu: { sharing: given.gpu!.sharing, nodes: 2, gpusPerNode: 1 },
      monitoring: { ...given.monitoring, externalLabels: { site: 'south' }, remoteWrite: { url: 'http://prometheus.north.example.internal:9090/api/v1/write' } },
      registry: given.registry,
      upgrades: given.upgrades,
      cluster: { ...south.cluster, ...given.cluster },
    });
    expect(fleet.site('east').platformProps.gpu).toBeUndefined();
  });

  test.each(SITE_NAMES)("site '%s' is byte for byte what the site synthesized alone writes", (site) => {
    const alone = newTempDir(`fleet-alone-${site}-`);
    synthAlone(site, fleet.site(site).platformProps, alone);
    const expected = folderBytes(path.join(alone, site));
    const actual = folderBytes(path.join(dir, 'dist', site));
    expect(expected.size).toBeGreaterThanOrEqual(5);
    expect([...actual.keys()]).toEqual([...expected.keys()]);
    for (const [file, bytes] of expected) expect({ file, same: actual.get(file)!.equals(bytes) }).toEqual({ file, same: true });
  });

  test("changing one site's cameras changes that site's folder and no other file", () => {
    const other = newTempDir('fleet-changed-');
    const cameras = CameraInventory.fromCsv(inventoryCsv(['south-21,rtsp://10.20.1.21:554/stream1,south,yard']), 'cameras.csv').cameras;
    buildFleet(fleetProps(other, { cameras })).fleet.synth();
    const before = folderBytes(dir);
    const after = folderBytes(other);
    expect([...after.keys()]).toEqual([...before.keys()]);
    const changed = [...after].filter(([file, bytes]) => !bytes.equals(before.get(file)!)).map(([file]) => file);
    expect(changed.filter((file) => !file.startsWith('dist/south/'))).toEqual(['reports/fleet-capacity.md']);
    expect(changed).toContain('dist/south/05-south-ingest.k8s.yaml');
  });

  test('every object of every site and the ApplicationSet is valid', () => {
    const files = [...filesUnder(path.join(dir, 'dist')).map((file) => path.join(dir, 'dist', file)), path.join(dir, 'bootstrap', 'argocd-applicationset.yaml')];
    const result = ManifestValidator.validateFiles(files);
    expect(result.violations.map(formatViolation)).toEqual([]);
    expect(result.objectCount).toBe(SITE_NAMES.reduce((n, site) => n + siteObjects(site).length, 0) + 1);
    expect(filesUnder(path.join(dir, 'dist')).every((file) => file.endsWith('.k8s.yaml'))).toBe(true);
  });

  test("every site's series carry its name in the 'site' external label", () => {
    for (const site of SITE_NAMES) {
      expect(prometheusConfig(siteObjects(site)).global.external_labels.site).toBe(site);
      expect(fleet.site(site).platformProps.monitoring.externalLabels).toEqual({ site });
    }
  });

  test('the other sites remote-write to the central site, which admits them and alerts on each', () => {
    const url = fleet.site('north').platform.monitoring.remoteWriteUrl(CENTRAL_ADDRESS);
    expect(url).toBe('http://prometheus.north.example.internal:9090/api/v1/write');
    for (const site of ['south', 'east']) expect(prometheusConfig(siteObjects(site)).remote_write.map((w: any) => w.url)).toEqual([url]);
    const north = siteObjects('north');
    expect(prometheusConfig(north).remote_write).toBeUndefined();
    expect(fleet.site('north').platformProps.monitoring.fleetCentral).toEqual({ sites: ['south', 'east'], remoteWriteFrom: REMOTE_WRITE_FROM });
    expect(findObject(north, 'Service', 'prometheus-remote-write', 'monitoring').spec.loadBalancerSourceRanges).toEqual(REMOTE_WRITE_FROM);
    const centralRules = parseYaml(findObject(north, 'ConfigMap', 'prometheus-rules', 'monitoring').data['fleet-central.rules.yaml']);
    const notReporting = centralRules.groups.flatMap((g: any) => g.rules).filter((r: any) => r.alert === 'FleetSiteNotReporting').map((r: any) => r.expr);
    expect(notReporting).toEqual(['absent_over_time(up{site="south"}[10m])', 'absent_over_time(up{site="east"}[10m])']);
  });

  test('with an existing endpoint, every site remote-writes to it and none is central', () => {
    const remoteWrite = { url: 'https://metrics.example.internal/api/v1/write', bearerTokenSecret: { secretName: 'remote-write', key: 'token' } };
    const endpointFleet = buildFleet(fleetProps(newTempDir('fleet-endpoint-'), { central: CentralPrometheus.endpoint(remoteWrite) })).fleet;
    for (const site of endpointFleet.sites) {
      expect(site.platformProps.monitoring).toMatchObject({ externalLabels: { site: site.name }, remoteWrite });
      expect(site.platformProps.monitoring.fleetCentral).toBeUndefined();
      const monitoring = site.app.charts.find((chart) => chart.node.id.endsWith('-monitoring'))!;
      const config = prometheusConfig(Testing.synth(monitoring) as KubeObject[]);
      expect(config.remote_write.map((w: any) => [w.url, w.authorization?.credentials_file !== undefined])).toEqual([[remoteWrite.url, true]]);
    }
  });

  test('the ApplicationSet has one Application per site: its cluster, its folder, its wave and its autoscaled workloads', () => {
    const applicationSet = parseYaml(fs.readFileSync(path.join(dir, 'bootstrap', 'argocd-applicationset.yaml'), 'utf8'));
    expect(applicationSet.kind).toBe('ApplicationSet');
    const elements = applicationSet.spec.generators[0].list.elements;
    const summary = Object.fromEntries(elements.map((e: any) => [e.site, { cluster: e.cluster, path: e.path, wave: e.wave, ignored: e.ignoreDifferences.map((d: any) => `${d.namespace}/${d.name}`) }]));
    expect(summary).toEqual({
      north: { cluster: 'north', path: 'fleet/dist/north', wave: 'canary', ignored: ['video-analytics/smoke', 'video-analytics/yolo'] },
      south: { cluster: 'south-k3s', path: 'fleet/dist/south', wave: 'wave-1', ignored: ['va-south/smoke', 'va-south/yolo'] },
      east: { cluster: 'east', path: 'fleet/dist/east', wave: 'wave-2', ignored: ['va-east/smoke'] },
    });
    for (const site of fleet.sites) {
      const element = elements.find((e: any) => e.site === site.name);
      expect(element.ignoreDifferences.map((d: any) => `${d.kind} ${d.namespace}/${d.name}`).sort())
        .toEqual(site.platform.autoscaledWorkloads.map((w) => `${w.kind} ${w.namespace}/${w.name}`).sort());
    }
    expect(applicationSet.spec.strategy.rollingSync.steps.map((s: any) => s.matchExpressions[0].values)).toEqual([['canary'], ['wave-1'], ['wave-2']]);
  });

  test('the ApplicationSet path defaults to the output folder relative to the working directory', () => {
    const relative = buildFleet(fleetProps(dir, { outdir: path.join('fleet-out', 'dist'), gitops: { repoUrl: 'https://git.example.internal/platform/fleet.git' } })).fleet;
    const elements = parseYaml(relative.applicationSetManifest()).spec.generators[0].list.elements;
    expect(elements.map((e: any) => e.path)).toEqual(['fleet-out/dist/north', 'fleet-out/dist/south', 'fleet-out/dist/east']);
    expect(fs.existsSync(path.join(process.cwd(), 'fleet-out'))).toBe(false);
  });

  test("a site gives its instances of the fleet's parts, and refuses one it skips", () => {
    const { helmet, yolo } = reference;
    expect(fleet.site('south').detection(helmet).minReplicas).toBe(3);
    expect(fleet.site('north').detection(helmet).minReplicas).toBe(2);
    expect(fleet.site('north').inferencePool(yolo).namespace).toBe('video-analytics');
    expect(() => fleet.site('east').inferencePool(yolo)).toThrow("FleetSite 'east': 'inferencePool' (yolo) must be a part the site runs, but the site skips it. Read it at a site that runs 'yolo'.");
  });
});
