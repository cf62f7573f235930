import * as fs from 'fs';
import * as path from 'path';
import { ApiObject, App, Chart } from 'cdk8s';
import { CameraInventory, CameraSpec, CentralPrometheus, GpuSharing, Receiver, VideoAnalyticsFleet, VideoAnalyticsFleetProps } from '../../../lib';
import { HELMET, SITES, YOLO, buildFleet, fleetProps, tempDir } from './_fleet';

// Every input the fleet refuses, with its whole message: the construct, the prop, the value, the
// rule and the fix. None of these writes anything: the output folder is never created.

const NOWHERE = path.join('never-written');
const props = (overrides: Partial<VideoAnalyticsFleetProps> = {}): VideoAnalyticsFleetProps => fleetProps(NOWHERE, overrides);
const csv = (...rows: string[]): readonly CameraSpec[] => CameraInventory.fromCsv(['id,url,site', ...rows].join('\n')).cameras;
const ONE_PER_SITE = csv('n-1,rtsp://10.0.0.1/s,north', 's-1,rtsp://10.0.0.2/s,south', 'e-1,rtsp://10.0.0.3/s,east');
const HEAD = "VideoAnalyticsFleet 'video-analytics': ";
const WEBHOOK = Receiver.webhook('ops', { url: 'https://alerts.example.internal/hook' });

afterAll(() => expect(fs.existsSync(NOWHERE)).toBe(false));

describe('VideoAnalyticsFleet refuses', () => {
  test('a fleet without sites', () => {
    expect(() => new VideoAnalyticsFleet(props({ sites: [] }))).toThrow(`${HEAD}'sites' ([]) must be a list of at least one site. `
      + "Declare each site with its name, its K3s cluster and, unless the fleet's cameras name it, its cameras.");
  });

  test('a site name that is not a DNS-1123 label', () => {
    expect(() => new VideoAnalyticsFleet(props({ sites: [SITES[0], { ...SITES[1], name: 'South_Gate' }] }))).toThrow(`${HEAD}'sites[1].name' (South_Gate) must be `
      + "a DNS-1123 label: at most 63 lowercase letters, digits and '-', starting and ending with a letter or digit. "
      + 'Rename the site: its name is a folder, a label value and part of an Argo CD Application name.');
  });

  test('two sites of one name', () => {
    expect(() => new VideoAnalyticsFleet(props({ sites: [...SITES, { ...SITES[1], wave: 3 }] })))
      .toThrow(`${HEAD}'sites[3].name' (south) must be unique among the fleet's sites, but sites[1] already has it. Rename one of the two sites.`);
  });

  test('a camera of no site', () => {
    expect(() => new VideoAnalyticsFleet(props({ cameras: csv('n-1,rtsp://10.0.0.1/s,north', 'x-1,rtsp://10.0.0.2/s,') })))
      .toThrow(`${HEAD}'cameras[1]' (x-1) must be a camera with a 'site' label naming one of the fleet's sites (north, south, east). `
        + "Fill in its site column, or list the camera in its site's own 'cameras'.");
  });

  test('a camera of an undeclared site', () => {
    expect(() => new VideoAnalyticsFleet(props({ cameras: csv('n-1,rtsp://10.0.0.1/s,north', 'w-1,rtsp://10.0.0.2/s,west') })))
      .toThrow(`${HEAD}'cameras[1].labels.site' (west) must be one of the fleet's sites (north, south, east). Declare site 'west' in 'sites', or correct the site of camera 'w-1'.`);
  });

  test('a camera of two sites: the same id in the inventory and in a site file', () => {
    const sites = [SITES[0], { ...SITES[1], cameras: csv('n-1,rtsp://10.0.0.1/s,') }, SITES[2]];
    expect(() => new VideoAnalyticsFleet(props({ cameras: ONE_PER_SITE, sites })))
      .toThrow(`${HEAD}'sites[1].cameras[0]' (n-1) must be a camera of one site, but cameras[0] already puts it at site 'north' and this puts it at site 'south'. `
        + 'Remove one of the two, or give one of the two cameras another id: camera ids are unique across the fleet.');
  });

  test('a camera of two sites: the same id in two site files', () => {
    const sites = [{ ...SITES[0], cameras: csv('cam-1,rtsp://10.0.0.1/s,') }, SITES[1], { ...SITES[2], cameras: csv('cam-1,rtsp://10.0.0.9/s,') }];
    expect(() => new VideoAnalyticsFleet(props({ cameras: csv('s-1,rtsp://10.0.0.2/s,south'), sites })))
      .toThrow(`${HEAD}'sites[2].cameras[0]' (cam-1) must be a camera of one site, but sites[0].cameras[0] already puts it at site 'north' and this puts it at site 'east'. `
        + 'Remove one of the two, or give one of the two cameras another id: camera ids are unique across the fleet.');
  });

  test('a camera listed twice at one site', () => {
    const sites = [SITES[0], { ...SITES[1], cameras: csv('s-1,rtsp://10.0.0.9/s,') }, SITES[2]];
    expect(() => new VideoAnalyticsFleet(props({ cameras: ONE_PER_SITE, sites })))
      .toThrow(`${HEAD}'sites[1].cameras[0]' (s-1) must be listed once, but cameras[1] already lists it at site 'south'. `
        + 'Remove one of the two, or give one of the two cameras another id: camera ids are unique across the fleet.');
  });

  test("a site's own camera labelled with another site", () => {
    const sites = [{ ...SITES[0], cameras: csv('n-1,rtsp://10.0.0.1/s,south') }, SITES[1], SITES[2]];
    expect(() => new VideoAnalyticsFleet(props({ cameras: csv('s-1,rtsp://10.0.0.2/s,south', 'e-1,rtsp://10.0.0.3/s,east'), sites })))
      .toThrow(`${HEAD}'sites[0].cameras[0].labels.site' (south) must be the site whose cameras list it (north): a camera belongs to one site. Move camera 'n-1' to site 'south', or correct its site label.`);
  });

  test('a site without cameras', () => {
    expect(() => new VideoAnalyticsFleet(props({ cameras: csv('n-1,rtsp://10.0.0.1/s,north', 's-1,rtsp://10.0.0.2/s,south') })))
      .toThrow(`${HEAD}'sites[2].cameras' ([]) must be at least one camera for site 'east': no row of the fleet's cameras names it, and it lists none of its own. `
        + "Add cameras with site 'east' to the fleet's cameras, or give the site its own 'cameras'.");
  });

  test('a central site that is not one of the sites', () => {
    expect(() => new VideoAnalyticsFleet(props({ central: CentralPrometheus.site('west', { address: 'prometheus.west.example.internal', remoteWriteFrom: ['10.0.0.0/8'] }) })))
      .toThrow(`${HEAD}'central' (west) must be one of the fleet's sites (north, south, east). Name the site that runs the central Prometheus, or use CentralPrometheus.endpoint for one outside the fleet.`);
  });

  test('an ApplicationSet path it cannot derive from an output folder outside the working directory', () => {
    const outdir = path.join(tempDir('fleet-outside-'), 'dist');
    fs.rmSync(path.dirname(outdir), { recursive: true });
    expect(() => new VideoAnalyticsFleet(props({ outdir, gitops: { repoUrl: 'https://git.example.internal/fleet.git' } })))
      .toThrow(`${HEAD}'gitops.path' (undefined) must be set when the output folder (${outdir}) is not inside the working directory. Set 'gitops.path' to the output folder's path in the Git repository, such as 'dist'.`);
  });

  test('a rollout without a canary, when it is declared (the ApplicationSet checks it before any site is built)', () => {
    expect(() => new VideoAnalyticsFleet(props({ sites: SITES.map((site) => ({ ...site, wave: 1 })) })))
      .toThrow("ArgoCdApplicationSet 'application-set': 'sites[*].wave' ([1]) must be 'canary' for at least one site of a fleet of 3.");
  });

  test('GPU settings at a site without GPU nodes', () => {
    const fleet = new VideoAnalyticsFleet(props({ sites: [SITES[0], SITES[1], { ...SITES[2], gpu: { sharing: GpuSharing.timeSlicing({ replicas: 4 }) } }] }));
    expect(() => fleet.synth()).toThrow(`${HEAD}'sites[2].gpu' ({ sharing }) must be left out at a site without GPU nodes: the cluster of site 'east' declares none. `
      + "Declare the site's GPU agents in its 'cluster', or leave out its 'gpu'.");
  });

  test('GPU nodes with different numbers of GPUs', () => {
    const gpuAgents = [{ name: 'gpu-1', address: '10.10.0.21', gpus: 1 }, { name: 'gpu-2', address: '10.10.0.22', gpus: 2 }];
    const fleet = new VideoAnalyticsFleet(props({ sites: [{ ...SITES[0], cluster: { ...SITES[0].cluster, gpuAgents } }, SITES[1], SITES[2]] }));
    expect(() => fleet.synth()).toThrow(`${HEAD}'sites[0].cluster' (gpu-1: 1, gpu-2: 2) must be GPU nodes with the same number of GPUs each: a GpuInventory counts GPUs per node. `
      + 'Give every GPU node of the site the same number of GPUs.');
  });

  test("a 'site' external label other than the site's name, at a site or for the fleet", () => {
    const atSite = new VideoAnalyticsFleet(props({ sites: [SITES[0], { ...SITES[1], monitoring: { externalLabels: { site: 'other' } } }, SITES[2]] }));
    expect(() => atSite.synth()).toThrow(`${HEAD}'sites[1].monitoring.externalLabels.site' (other) must be the site's name (south): the fleet labels every series of a site with it. Leave it out: the fleet sets it.`);
    const forFleet = new VideoAnalyticsFleet(props({ monitoring: { receivers: [WEBHOOK], externalLabels: { site: 'x', region: 'eu' } } }));
    expect(() => forFleet.synth()).toThrow(`${HEAD}'monitoring.externalLabels.site' (x) must be the site's name (north): the fleet labels every series of a site with it. Leave it out: the fleet sets it.`);
  });

  test('remote write settings of its own beside a central Prometheus, without showing credentials', () => {
    const fleet = new VideoAnalyticsFleet(props({ monitoring: { receivers: [WEBHOOK], remoteWrite: { url: 'https://user:hunter2@metrics.example.internal/write' } } }));
    expect(() => fleet.synth()).toThrow(`${HEAD}'monitoring.remoteWrite' (https://***@metrics.example.internal/write) must be left out when the fleet has a 'central' Prometheus, which sets it for every site. `
      + "Leave out 'remoteWrite', or the fleet's 'central'.");
  });

  test('a central address the sites cannot be pointed at, named with the central site', () => {
    const fleet = new VideoAnalyticsFleet(props({ central: CentralPrometheus.site('north', { address: 'not an address', remoteWriteFrom: ['10.0.0.0/8'] }) }));
    expect(() => fleet.synth()).toThrow("VideoAnalyticsFleet 'video-analytics', site 'north': MonitoringBundle 'monitoring': 'remoteWriteUrl(externalAddress)' (not an address) must be a DNS name or an IP address");
  });

  test('an inference pool at a site without GPU nodes', () => {
    const fleet = new VideoAnalyticsFleet(props());
    fleet.addInferencePool('yolo', YOLO);
    expect(() => fleet.synth()).toThrow(`${HEAD}'sites[2].cluster' (east) must be a cluster with GPU nodes to run inference pool 'yolo'. `
      + "Add GPU agents to the site's cluster, or skip the pool there, and the detections that call it (site.skipInferencePool, site.skipDetection).");
  });

  test('a detection calling a pool its site skips', () => {
    const fleet = new VideoAnalyticsFleet(props());
    const yolo = fleet.addInferencePool('yolo', YOLO);
    fleet.addDetection('helmet', { ...HELMET, inference: yolo });
    fleet.site('east').skipInferencePool(yolo);
    expect(() => fleet.synth()).toThrow(`${HEAD}'sites[2]' (east) must be a site that runs inference pool 'yolo' for detection 'helmet', which calls it, but the site skips the pool. `
      + 'Skip the detection there too (site.skipDetection), or point it at another pool (site.overrideDetection).');
  });

  test('declarations after the sites are built', () => {
    const { fleet, smoke } = buildFleet(props());
    expect(fleet.site('north').platform.node.id).toBe('north');
    expect(() => fleet.addDetection('late', HELMET)).toThrow(`${HEAD}'addDetection' ('late' after the sites were built) must be called before the sites are built `
      + "(by fleet.synth(), or by reading a site's platform). Declare every pool, detection, override and hook first.");
    expect(() => fleet.site('south').skipDetection(smoke)).toThrow(`${HEAD}'skipDetection' ('smoke' at site 'south' after the sites were built) must be called before the sites are built`);
  });

  test('two pools of one id, a pool of another fleet, a site of no such name', () => {
    const fleet = new VideoAnalyticsFleet(props());
    fleet.addInferencePool('yolo', YOLO);
    expect(() => fleet.addInferencePool('yolo', YOLO)).toThrow(`${HEAD}'addInferencePool id' (yolo) must be unique among the fleet's inference pools. Give the second inference pool another id.`);
    const otherPool = new VideoAnalyticsFleet(props()).addInferencePool('yolo', YOLO);
    expect(() => fleet.addDetection('helmet', { ...HELMET, inference: otherPool }))
      .toThrow(`${HEAD}'addDetection' (yolo) must be a pool of this fleet. Pass what this fleet's addInferencePool or addDetection returned.`);
    expect(() => fleet.site('west')).toThrow(`${HEAD}'site' (west) must be one of the fleet's sites (north, south, east). Use the name the site is declared with.`);
  });

  test("a construct's error, with the site it happened at", () => {
    const { fleet, smoke } = buildFleet(props());
    fleet.site('south').overrideDetection(smoke, { image: 'detections/smoke' });
    expect(() => fleet.synth()).toThrow("VideoAnalyticsFleet 'video-analytics', site 'south': AnalysisService 'smoke': 'image' (detections/smoke) must be pinned to a version tag or digest.");
  });
});

describe('VideoAnalyticsFleet writes nothing', () => {
  test('when an object of any site breaks the manifest rules, not even the sites before it', () => {
    const dir = tempDir('fleet-invalid-');
    try {
      const { fleet } = buildFleet(fleetProps(dir));
      fleet.site('east').extend((platform) => {
        const chart = new Chart(platform.node.scope as App, 'east-extras', { disableResourceNameHashes: true });
        new ApiObject(chart, 'typo', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'typo', namespace: 'va-east' }, datta: { a: 'b' } });
      });
      let message = '';
      try {
        fleet.synth();
      } catch (error) {
        message = (error as Error).message;
      }
      expect(message).toMatch(/^VideoAnalyticsFleet 'video-analytics', site 'east': LayeredApp: the objects break the manifest rules, so nothing was written to \S+east\. /);
      expect(message).toContain('- Resource Name: ConfigMap va-east/typo\n    - Locations:\n      > datta');
      expect(fs.readdirSync(dir)).toEqual([]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
