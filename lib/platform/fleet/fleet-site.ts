import { AnalysisService } from '../../analysis/analysis-service';
import { CameraSpec } from '../../cameras/camera-inventory';
import { propError } from '../../core/errors';
import { GpuWorkerPool } from '../../inference/gpu-worker-pool';
import { LayeredApp } from '../../synth/layered-app';
import { FleetSiteApplication } from '../gitops/argo-cd-application-set';
import { K3sClusterProps } from '../k3s/k3s-cluster';
import { InferencePoolOptions, VideoAnalyticsPlatform, VideoAnalyticsPlatformProps } from '../video-analytics-platform';
import { FleetSiteSettings, definedKeys } from './fleet-settings';
import { FleetDetection, FleetDetectionOptions, FleetInferencePool } from './fleet-workloads';

/** A site's extras, run once its platform holds the fleet's pools and detections. */
export type FleetSiteHook = (platform: VideoAnalyticsPlatform, site: FleetSite) => void;

/** The rollout wave of a site's Argo CD Application: `'canary'`, or a wave number. */
export type FleetSiteWave = FleetSiteApplication['wave'];

/** One site of a {@link VideoAnalyticsFleet}: a K3s cluster of its own, its cameras, and its overrides of the fleet's settings. */
export interface FleetSiteProps extends FleetSiteSettings {
  /**
   * The site's name, a DNS-1123 label: it names the site's folders (`dist/<name>`,
   * `cluster/<name>`), its platform, its Argo CD Application and the `site` label of its series.
   */
  readonly name: string;
  /**
   * The site's K3s nodes and registration address; the fleet's `cluster` settings apply where it
   * leaves them out. Its GPU nodes (GPU agents, and servers with GPUs) are the site's GPU inventory.
   */
  readonly cluster: K3sClusterProps;
  /**
   * Cameras of the site from a file of its own (`CameraInventory.fromFile('north.csv').cameras`),
   * after the rows of the fleet's `cameras` that name the site. A `site` label, where a camera has
   * one, must name this site.
   * @default - only the fleet's cameras that name the site
   */
  readonly cameras?: readonly CameraSpec[];
  /**
   * Name of the site's cluster as registered in Argo CD (the `name` of its cluster Secret).
   * @default - the site's name
   */
  readonly argoCdCluster?: string;
  /**
   * When Argo CD rolls a change out to the site: `'canary'` sites first, then the numbered waves in
   * order, each after the previous one is healthy.
   * @default 1
   */
  readonly wave?: FleetSiteWave;
}

/** What a site needs from its fleet. @internal */
export interface FleetOwner {
  /** The fleet's name, for error messages. */
  readonly fleetName: string;
  /** Builds every site of the fleet, once. */
  build(): void;
  /** Throws once the sites are built: a later declaration would be lost. */
  refuseAfterBuild(method: string, subject: string): void;
  /** Throws for a pool or detection of another fleet. */
  requireOwned(method: string, handle: FleetInferencePool | FleetDetection): void;
}

/** A site once built. @internal */
export interface BuiltSite {
  readonly app: LayeredApp;
  readonly platform: VideoAnalyticsPlatform;
  readonly platformProps: VideoAnalyticsPlatformProps;
  readonly pools: ReadonlyMap<FleetInferencePool, GpuWorkerPool>;
  readonly detections: ReadonlyMap<FleetDetection, AnalysisService>;
}

const SKIP = Symbol('skip');
type Override<T> = Partial<T> | typeof SKIP;

/**
 * A site of a fleet, from `fleet.site(name)` or `fleet.sites`: declares the site's overrides of
 * the fleet's pools and detections and its extras, and after the fleet is built (by
 * `fleet.synth()`, or by reading `platform`) gives its platform and the parts it holds.
 *
 * @example
 * const north = fleet.site('north');
 * north.overrideDetection(helmet, { maxReplicas: 6 });
 * north.skipDetection(smoke);
 * north.extend((platform) => platform.addDetection('queue', { image: 'detections/queue:1.2.0' }));
 */
export class FleetSite {
  /** The site's name. */
  public readonly name: string;
  /** The site's props, as declared. */
  public readonly props: FleetSiteProps;
  /** Position of the site in the fleet's `sites`. */
  public readonly index: number;

  private readonly poolOverrides = new Map<FleetInferencePool, Override<InferencePoolOptions>>();
  private readonly detectionOverrides = new Map<FleetDetection, Override<FleetDetectionOptions>>();
  private readonly hooks: FleetSiteHook[] = [];
  private built?: BuiltSite;

  /**
   * Made by {@link VideoAnalyticsFleet} for each of its sites.
   * @internal
   */
  constructor(private readonly owner: FleetOwner, props: FleetSiteProps, index: number) {
    this.name = props.name;
    this.props = props;
    this.index = index;
  }

  /** The site's Argo CD cluster name. */
  public get argoCdCluster(): string {
    return this.props.argoCdCluster ?? this.name;
  }

  /** The site's rollout wave. */
  public get wave(): FleetSiteWave {
    return this.props.wave ?? 1;
  }

  /** Gives the site other options for a pool of the fleet: each key given (not undefined) replaces the fleet's. */
  public overrideInferencePool(pool: FleetInferencePool, options: Partial<InferencePoolOptions>): void {
    this.declare('overrideInferencePool', pool, this.poolOverrides, options);
  }

  /** The site does not run this pool of the fleet (nor may any detection there call it). */
  public skipInferencePool(pool: FleetInferencePool): void {
    this.declare('skipInferencePool', pool, this.poolOverrides, SKIP);
  }

  /** Gives the site other options for a detection of the fleet: each key given (not undefined) replaces the fleet's. */
  public overrideDetection(detection: FleetDetection, options: Partial<FleetDetectionOptions>): void {
    this.declare('overrideDetection', detection, this.detectionOverrides, options);
  }

  /** The site does not run this detection of the fleet. */
  public skipDetection(detection: FleetDetection): void {
    this.declare('skipDetection', detection, this.detectionOverrides, SKIP);
  }

  /** Adds extras to the site's platform, once it holds the fleet's pools and detections. */
  public extend(hook: FleetSiteHook): void {
    this.owner.refuseAfterBuild('extend', `a hook of site '${this.name}'`);
    this.hooks.push(hook);
  }

  /** The site's platform; builds the fleet, after which nothing more can be declared. */
  public get platform(): VideoAnalyticsPlatform {
    return this.builtSite().platform;
  }

  /** The props the site's platform was built with: the same platform, synthesized alone, writes the same files. */
  public get platformProps(): VideoAnalyticsPlatformProps {
    return this.builtSite().platformProps;
  }

  /** The app that synthesizes the site into `<outdir>/<site>`. */
  public get app(): LayeredApp {
    return this.builtSite().app;
  }

  /** The site's instance of a pool of the fleet. */
  public inferencePool(pool: FleetInferencePool): GpuWorkerPool {
    return this.builtPart('inferencePool', pool, this.builtSite().pools);
  }

  /** The site's instance of a detection of the fleet. */
  public detection(detection: FleetDetection): AnalysisService {
    return this.builtPart('detection', detection, this.builtSite().detections);
  }

  /** The site's options of a pool of the fleet; undefined if it skips it. @internal */
  public inferencePoolOptions(pool: FleetInferencePool): InferencePoolOptions | undefined {
    return overridden(pool.options, this.poolOverrides.get(pool));
  }

  /** The site's options of a detection of the fleet; undefined if it skips it. @internal */
  public detectionOptions(detection: FleetDetection): FleetDetectionOptions | undefined {
    return overridden(detection.options, this.detectionOverrides.get(detection));
  }

  /** Records the built site and runs its hooks. @internal */
  public attach(built: BuiltSite): void {
    this.built = built;
    for (const hook of this.hooks) hook(built.platform, this);
  }

  private declare<H extends FleetInferencePool | FleetDetection, T>(method: string, handle: H, overrides: Map<H, Override<T>>, override: Override<T>): void {
    this.owner.refuseAfterBuild(method, `'${handle.id}' at site '${this.name}'`);
    this.owner.requireOwned(method, handle);
    const previous = overrides.get(handle);
    overrides.set(handle, override === SKIP || previous === undefined || previous === SKIP ? override : { ...previous, ...definedKeys(override) });
  }

  private builtSite(): BuiltSite {
    this.owner.build();
    if (this.built === undefined) {
      throw new Error(`VideoAnalyticsFleet '${this.owner.fleetName}': site '${this.name}' is not built yet: a hook of an earlier site must not read it. Read it after fleet.synth().`);
    }
    return this.built;
  }

  private builtPart<H extends FleetInferencePool | FleetDetection, P>(method: string, handle: H, parts: ReadonlyMap<H, P>): P {
    this.owner.requireOwned(method, handle);
    const part = parts.get(handle);
    if (part === undefined) {
      throw propError('FleetSite', this.name, method, handle.id, 'a part the site runs, but the site skips it', `Read it at a site that runs '${handle.id}'.`);
    }
    return part;
  }
}

/** The fleet's options with a site's override merged over them; undefined when the site skips the part. */
function overridden<T>(options: T, override: Override<T> | undefined): T | undefined {
  if (override === SKIP) return undefined;
  return override === undefined ? options : { ...options, ...definedKeys(override) };
}
