import * as path from 'path';
import { App, Chart } from 'cdk8s';
import { AnalysisService } from '../../analysis/analysis-service';
import { CameraSpec } from '../../cameras/camera-inventory';
import { propError } from '../../core/errors';
import { dns1123Label } from '../../core/names';
import { GpuWorkerPool } from '../../inference/gpu-worker-pool';
import { MonitoringBundleProps } from '../../monitoring/monitoring-bundle';
import { FleetCapacityReport } from '../../reports/fleet-capacity-report';
import { validateBeforeWriting } from '../../reports/validation-report';
import { StreamSelection } from '../../cameras/stream-selection';
import { ArgoCdApplicationSet, ArgoCdApplicationSetProps, FleetSiteApplication } from '../gitops/argo-cd-application-set';
import { LayeredApp, serializeManifests } from '../../synth/layered-app';
import { InferencePoolOptions, VideoAnalyticsPlatform } from '../video-analytics-platform';
import { CentralPrometheus } from './central-prometheus';
import { assignCameras } from './fleet-cameras';
import { FleetOutput, siteManifests } from './fleet-output';
import { FleetClusterSettings, FleetSettings } from './fleet-settings';
import { BuiltSite, FleetOwner, FleetSite, FleetSiteProps } from './fleet-site';
import { FleetDetection, FleetDetectionOptions, FleetInferencePool } from './fleet-workloads';
import { resolvePlatformProps } from './site-props';

/** The fleet's Argo CD ApplicationSet: where the repository is, and how the rollout proceeds. */
export interface FleetGitOpsOptions extends Omit<ArgoCdApplicationSetProps, 'sites'> {
  /**
   * Folder of the fleet's output in the Git repository: each site's manifests are in `<path>/<site>`.
   * @default - the output folder relative to the working directory, such as `dist`
   */
  readonly path?: string;
}

/** Props of {@link VideoAnalyticsFleet}: the sites, and what every site runs unless it says otherwise. */
export interface VideoAnalyticsFleetProps extends FleetSettings {
  /**
   * The fleet's name, in error messages.
   * @default 'video-analytics'
   */
  readonly name?: string;
  /** The sites, each a K3s cluster of its own; at least one, with unique DNS-1123 names. */
  readonly sites: readonly FleetSiteProps[];
  /**
   * One camera inventory for the whole fleet, each camera's site in its `site` label (a `site`
   * column of a CSV inventory). Camera ids are unique across the fleet.
   * @default - every site lists its own cameras
   */
  readonly cameras?: readonly CameraSpec[];
  /** Monitoring of every site: at least the alert receivers. */
  readonly monitoring: MonitoringBundleProps;
  /**
   * K3s settings every site's cluster shares (registry mirror, K3s version, snapshots, networks).
   * @default - K3sCluster's defaults
   */
  readonly cluster?: FleetClusterSettings;
  /**
   * The Argo CD ApplicationSet written to `bootstrap/`: one Application per site, rolled out canary first.
   * @default - no bootstrap manifest
   */
  readonly gitops?: FleetGitOpsOptions;
  /**
   * The central Prometheus every site remote-writes a subset of its series to.
   * @default - none: each site's monitoring stands alone
   */
  readonly central?: CentralPrometheus;
  /**
   * The output folder: each site's manifests go to `<outdir>/<site>`; `cluster/`, `bootstrap/` and
   * `reports/` go beside it.
   * @default - `CDK8S_OUTDIR` (what `cdk8s synth` sets), else `dist`
   */
  readonly outdir?: string;
}

/**
 * A fleet of sites, each a full {@link VideoAnalyticsPlatform} on a K3s cluster of its own, from
 * one program: the fleet's settings, pools and detections hold at every site unless the site
 * overrides them. `synth()` writes each site to `<outdir>/<site>` exactly as the site synthesized
 * alone would be written, the K3s node files to `cluster/<site>/`, one Argo CD ApplicationSet to
 * `bootstrap/` (a canary-first rolling sync over the sites) and `reports/fleet-capacity.md`; it
 * checks every object first and writes nothing if any check fails.
 *
 * It takes the place of the App in `main.ts`, and is not a construct itself: each site is a
 * platform in a {@link LayeredApp} of its own, which is what makes a site's folder the same as
 * the site synthesized alone. The sites are built once, when `synth()` runs or a site's
 * `platform` is first read; pools, detections, overrides and hooks are declared before.
 *
 * @example
 * const fleet = new VideoAnalyticsFleet({ cameras, sites, monitoring: { receivers }, gitops: { repoUrl } });
 * const yolo = fleet.addInferencePool('yolo', { modelRepository, gpusPerWorker: GpuRequest.whole(1) });
 * fleet.addDetection('helmet', { image: 'detections/helmet:1.4.2', inference: yolo });
 * fleet.synth();
 */
export class VideoAnalyticsFleet {
  /** The fleet's name. */
  public readonly name: string;
  /** The output folder. */
  public readonly outdir: string;
  /** The sites, in the order declared. */
  public readonly sites: readonly FleetSite[];

  private readonly pools: FleetInferencePool[] = [];
  private readonly detections: FleetDetection[] = [];
  private readonly cameras: ReadonlyMap<string, readonly CameraSpec[]>;
  private state: 'declaring' | 'building' | 'built' = 'declaring';
  private buildFailure?: unknown;

  constructor(private readonly props: VideoAnalyticsFleetProps) {
    this.name = props.name ?? 'video-analytics';
    this.outdir = props.outdir ?? process.env.CDK8S_OUTDIR ?? 'dist';
    this.checkSiteNames();
    const owner: FleetOwner = {
      fleetName: this.name,
      build: () => this.build(),
      refuseAfterBuild: (method, subject) => this.refuseAfterBuild(method, subject),
      requireOwned: (method, handle) => this.requireOwned(method, handle),
    };
    this.sites = props.sites.map((site, index) => new FleetSite(owner, site, index));
    this.checkCentral();
    this.cameras = assignCameras(this.name, props.cameras, this.sites.map((site) => ({ name: site.name, index: site.index, cameras: site.props.cameras })));
    // Checked now, not when bootstrap/ is written: a bad URL or wave must stop the program before any site is built.
    if (props.gitops) this.applicationSet(new Chart(new App(), 'check'), () => []);
  }

  /** The site of this name. */
  public site(name: string): FleetSite {
    const site = this.sites.find((s) => s.name === name);
    if (site === undefined) {
      throw propError('VideoAnalyticsFleet', this.name, 'site', name, `one of the fleet's sites (${this.sites.map((s) => s.name).join(', ')})`, 'Use the name the site is declared with.');
    }
    return site;
  }

  /** Adds an inference pool every site runs on its own GPU nodes (a site may override or skip it). */
  public addInferencePool(id: string, options: InferencePoolOptions): FleetInferencePool {
    this.refuseAfterBuild('addInferencePool', `'${id}'`);
    this.refuseDuplicate('addInferencePool', id, this.pools, 'inference pool');
    const pool = new FleetInferencePool(id, options);
    this.pools.push(pool);
    return pool;
  }

  /** Adds a detection every site runs on its own cameras (a site may override or skip it). */
  public addDetection(id: string, options: FleetDetectionOptions): FleetDetection {
    this.refuseAfterBuild('addDetection', `'${id}'`);
    this.refuseDuplicate('addDetection', id, this.detections, 'detection');
    if (options.inference) this.requireOwned('addDetection', options.inference);
    const detection = new FleetDetection(id, options);
    this.detections.push(detection);
    return detection;
  }

  /**
   * Builds every site, checks every object of every site and the ApplicationSet, and only then
   * writes them: `<outdir>/<site>/` for each site, `cluster/<site>/` and `bootstrap/` beside the
   * output folder (both replaced), and `reports/fleet-capacity.md`.
   */
  public synth(): void {
    this.build();
    const output = new FleetOutput(this.outdir);
    for (const site of this.sites) output.addSite(site.name, this.inSite(site, () => siteManifests(site.app)));
    for (const site of this.sites) {
      for (const [file, content] of Object.entries(site.platform.cluster?.files() ?? {})) output.addSupportFile(path.join('cluster', site.name, file), content);
    }
    if (this.props.gitops) output.addSupportFile(path.join('bootstrap', 'argocd-applicationset.yaml'), this.applicationSetManifest());
    output.addSupportFile(path.join('reports', 'fleet-capacity.md'), this.capacityReport().toMarkdown());
    output.write(['cluster', 'bootstrap']);
  }

  /** The Argo CD ApplicationSet of the fleet as YAML, checked by ManifestValidator. */
  public applicationSetManifest(): string {
    if (!this.props.gitops) {
      throw propError('VideoAnalyticsFleet', this.name, 'gitops', 'undefined', 'set for the fleet to have an ApplicationSet', "Declare the Git repository in 'gitops'.");
    }
    const chart = new Chart(new App(), 'bootstrap', { disableResourceNameHashes: true });
    this.applicationSet(chart, (site) => site.platform.autoscaledWorkloads);
    const yaml = serializeManifests(chart.toJson());
    const { report } = validateBeforeWriting([{ path: path.join(path.dirname(path.resolve(this.outdir)), 'bootstrap', 'argocd-applicationset.yaml'), yaml }]);
    if (report !== undefined) throw new Error(`VideoAnalyticsFleet '${this.name}': the ApplicationSet breaks the manifest rules, so nothing was written.\n\n${report}`);
    return yaml;
  }

  /** Cameras, shards, detection replicas, GPUs and nodes per site and in total; builds the fleet. */
  public capacityReport(): FleetCapacityReport {
    this.build();
    return FleetCapacityReport.of(this.sites.map((site) => {
      const cluster = site.platformProps.cluster!;
      return { site: site.name, scope: site.app, nodes: cluster.servers.length + (cluster.gpuAgents?.length ?? 0) };
    }));
  }

  private applicationSet(chart: Chart, autoscaled: (site: FleetSite) => FleetSiteApplication['autoscaled']): ArgoCdApplicationSet {
    // Each site's path is derived from `path`, which the ApplicationSet itself does not take.
    const gitops = Object.fromEntries(Object.entries(this.props.gitops!).filter(([key]) => key !== 'path')) as Omit<ArgoCdApplicationSetProps, 'sites'>;
    const base = this.gitopsPath();
    return new ArgoCdApplicationSet(chart, 'application-set', {
      ...gitops,
      sites: this.sites.map((site) => ({ site: site.name, cluster: site.argoCdCluster, path: `${base}/${site.name}`, wave: site.wave, autoscaled: autoscaled(site) })),
    });
  }

  /** Where the output folder is in the Git repository. */
  private gitopsPath(): string {
    const given = this.props.gitops?.path;
    if (given !== undefined) return given.replace(/\/+$/, '');
    const relative = path.relative(process.cwd(), path.resolve(this.outdir));
    if (relative === '' || relative.startsWith('..') || path.isAbsolute(relative)) {
      throw propError('VideoAnalyticsFleet', this.name, 'gitops.path', 'undefined', `set when the output folder (${this.outdir}) is not inside the working directory`,
        "Set 'gitops.path' to the output folder's path in the Git repository, such as 'dist'.");
    }
    return relative.split(path.sep).join('/');
  }

  /** Builds every site once: the central site first, whose monitoring the others remote-write to. */
  private build(): void {
    if (this.buildFailure !== undefined) throw this.buildFailure;
    if (this.state !== 'declaring') return;
    this.state = 'building';
    try {
      const central = this.props.central;
      const centralSite = central?.site === undefined ? undefined : this.site(central.site);
      const others = this.sites.filter((s) => s !== centralSite);
      let remoteWriteUrl: ((address: string) => string) | undefined;
      for (const site of centralSite ? [centralSite, ...others] : this.sites) {
        // The central site's bundle checks the address it is reached by: its errors name that site.
        const wiring = central === undefined ? undefined : site === centralSite
          ? { fleetCentral: central.centralRole(others.map((s) => s.name)) }
          : { remoteWrite: this.inSite(centralSite ?? site, () => central.remoteWrite(remoteWriteUrl)) };
        const built = this.buildSite(site, wiring);
        if (site === centralSite) remoteWriteUrl = (address) => built.platform.monitoring.remoteWriteUrl(address);
      }
      this.state = 'built';
    } catch (error) {
      this.buildFailure = error;
      throw error;
    }
  }

  /** One site: its platform from the resolved props, the fleet's pools and detections it runs, then its hooks. */
  private buildSite(site: FleetSite, central: Pick<MonitoringBundleProps, 'remoteWrite' | 'fleetCentral'> | undefined): BuiltSite {
    const platformProps = resolvePlatformProps({
      fleet: this.name, defaults: this.props, site: { ...site.props, index: site.index }, cameras: this.cameras.get(site.name)!, central,
    });
    const app = new LayeredApp({ outdir: path.join(this.outdir, site.name) });
    const platform = this.inSite(site, () => new VideoAnalyticsPlatform(app, site.name, platformProps));
    const pools = this.addPools(site, platform);
    const detections = this.addDetections(site, platform, pools);
    const built = { app, platform, platformProps, pools, detections };
    this.inSite(site, () => site.attach(built));
    return built;
  }

  private addPools(site: FleetSite, platform: VideoAnalyticsPlatform): Map<FleetInferencePool, GpuWorkerPool> {
    const pools = new Map<FleetInferencePool, GpuWorkerPool>();
    for (const pool of this.pools) {
      const options = site.inferencePoolOptions(pool);
      if (options === undefined) continue;
      if (platform.gpus === undefined) {
        throw propError('VideoAnalyticsFleet', this.name, `sites[${site.index}].cluster`, site.name, `a cluster with GPU nodes to run inference pool '${pool.id}'`,
          "Add GPU agents to the site's cluster, or skip the pool there, and the detections that call it (site.skipInferencePool, site.skipDetection).");
      }
      pools.set(pool, this.inSite(site, () => platform.addInferencePool(pool.id, options)));
    }
    return pools;
  }

  private addDetections(site: FleetSite, platform: VideoAnalyticsPlatform, pools: ReadonlyMap<FleetInferencePool, GpuWorkerPool>): Map<FleetDetection, AnalysisService> {
    const detections = new Map<FleetDetection, AnalysisService>();
    for (const detection of this.detections) {
      const options = site.detectionOptions(detection);
      if (options === undefined) continue;
      const { cameraLabels, inference, ...serviceOptions } = options;
      const pool = inference && pools.get(inference);
      if (inference && pool === undefined) {
        throw propError('VideoAnalyticsFleet', this.name, `sites[${site.index}]`, site.name, `a site that runs inference pool '${inference.id}' for detection '${detection.id}', which calls it, but the site skips the pool`,
          'Skip the detection there too (site.skipDetection), or point it at another pool (site.overrideDetection).');
      }
      detections.set(detection, this.inSite(site, () => platform.addDetection(detection.id, {
        ...serviceOptions,
        ...(cameraLabels === undefined ? {} : { streams: StreamSelection.withLabels(platform.ingest, cameraLabels) }),
        ...(pool === undefined ? {} : { inference: pool }),
      })));
    }
    return detections;
  }

  /** Runs a step of a site's build or synthesis; its errors name the site, which the library's constructs cannot. */
  private inSite<T>(site: FleetSite, step: () => T): T {
    try {
      return step();
    } catch (error) {
      if (!(error instanceof Error) || error.message.startsWith(`VideoAnalyticsFleet '${this.name}'`)) throw error;
      throw new Error(`VideoAnalyticsFleet '${this.name}', site '${site.name}': ${error.message}`, { cause: error });
    }
  }

  private checkSiteNames(): void {
    const { sites } = this.props;
    if (sites.length === 0) {
      throw propError('VideoAnalyticsFleet', this.name, 'sites', '[]', 'a list of at least one site', 'Declare each site with its name, its K3s cluster and, unless the fleet\'s cameras name it, its cameras.');
    }
    sites.forEach((site, i) => {
      const problem = dns1123Label(site.name);
      if (problem) {
        throw propError('VideoAnalyticsFleet', this.name, `sites[${i}].name`, site.name, "a DNS-1123 label: at most 63 lowercase letters, digits and '-', starting and ending with a letter or digit",
          'Rename the site: its name is a folder, a label value and part of an Argo CD Application name.');
      }
      const first = sites.findIndex((other) => other.name === site.name);
      if (first < i) throw propError('VideoAnalyticsFleet', this.name, `sites[${i}].name`, site.name, `unique among the fleet's sites, but sites[${first}] already has it`, 'Rename one of the two sites.');
    });
  }

  private checkCentral(): void {
    const centralSite = this.props.central?.site;
    if (centralSite !== undefined && !this.sites.some((site) => site.name === centralSite)) {
      throw propError('VideoAnalyticsFleet', this.name, 'central', centralSite, `one of the fleet's sites (${this.sites.map((s) => s.name).join(', ')})`,
        'Name the site that runs the central Prometheus, or use CentralPrometheus.endpoint for one outside the fleet.');
    }
  }

  private refuseAfterBuild(method: string, subject: string): void {
    if (this.state === 'declaring') return;
    throw propError('VideoAnalyticsFleet', this.name, method, `${subject} after the sites were built`, 'called before the sites are built (by fleet.synth(), or by reading a site\'s platform)',
      'Declare every pool, detection, override and hook first.');
  }

  private refuseDuplicate(method: string, id: string, existing: ReadonlyArray<{ readonly id: string }>, what: string): void {
    if (existing.some((part) => part.id === id)) {
      throw propError('VideoAnalyticsFleet', this.name, `${method} id`, id, `unique among the fleet's ${what}s`, `Give the second ${what} another id.`);
    }
  }

  private requireOwned(method: string, handle: FleetInferencePool | FleetDetection): void {
    const owned = handle instanceof FleetInferencePool ? this.pools.includes(handle) : this.detections.includes(handle);
    if (!owned) {
      throw propError('VideoAnalyticsFleet', this.name, method, handle.id, `a ${handle instanceof FleetInferencePool ? 'pool' : 'detection'} of this fleet`, 'Pass what this fleet\'s addInferencePool or addDetection returned.');
    }
  }
}
