import * as fs from 'fs';
import * as path from 'path';
import { App, Chart } from 'cdk8s';
import { Construct } from 'constructs';
import { propError } from '../core/errors';
import { AnalysisService, AnalysisServiceProps } from '../analysis/analysis-service';
import { StreamSelection } from '../cameras/stream-selection';
import { CameraSpec } from '../cameras/camera-inventory';
import { ArgoCdApplication, ArgoCdApplicationProps, AutoscaledWorkload } from './gitops/argo-cd-application';
import { LayerChart } from './gitops/layer-chart';
import { GpuInventory, GpuInventoryProps } from '../inference/gpu-inventory';
import { GpuNodeSupport, GpuNodeSupportProps } from '../inference/gpu-node-support';
import { GpuWorkerPool, GpuWorkerPoolProps } from '../inference/gpu-worker-pool';
import { K3sCluster, K3sClusterProps } from './k3s/k3s-cluster';
import { K3sUpgradePlans, K3sUpgradePlansProps } from './k3s/k3s-upgrade-plans';
import { KedaInstallation } from './k3s/keda-installation';
import { DeschedulerInstallation, DeschedulerInstallationProps } from './k3s/descheduler-installation';
import { MonitoringBundle, MonitoringBundleProps } from '../monitoring/monitoring-bundle';
import { PlatformNamespace } from './platform-namespace';
import { PlatformPriorities } from './platform-priorities';
import { serializeManifests } from '../synth/layered-app';
import { PlatformPolicies } from '../synth/policy/platform-policies';
import { PrivateRegistry, PrivateRegistryProps } from './private-registry';
import { RegistrySettingsProps } from './registry-settings';
import { ScopeSettings, checkRegistrySettings } from '../synth/pod/scope-settings';
import { ScalingKind } from '../synth/scaling';
import { StreamIngest, StreamIngestProps } from '../ingest/stream-ingest';

/**
 * Refuses an App that will write `construct-metadata.json` into `dist/`, where Argo CD would apply
 * it as a manifest. cdk8s-cli turns recording on (through the environment variable
 * `CDK8S_RECORD_CONSTRUCT_METADATA`) whenever `cdk8s.yaml` has validations; App keeps the
 * setting in a field TypeScript calls private, which is what it reads when it synthesizes.
 */
function refuseConstructMetadata(app: App, id: string): void {
  if ((app as unknown as { readonly recordConstructMetadata?: boolean }).recordConstructMetadata !== true) return;
  throw propError('VideoAnalyticsPlatform', id, 'app', 'an App that records construct metadata',
    'an App that writes nothing but Kubernetes objects into its output folder (App would add construct-metadata.json, which Argo CD would apply as a manifest; '
    + 'cdk8s-cli turns recording on through CDK8S_RECORD_CONSTRUCT_METADATA when cdk8s.yaml has validations)',
    'Create it with new App({ recordConstructMetadata: false }), or use LayeredApp, which never records it.');
}

/** The layers of the platform, in the order they are applied (their Argo CD sync waves). */
export enum PlatformLayer {
  /** Namespaces and PriorityClasses. */
  BASE = 0,
  /** KEDA (its CRDs must exist before any ScaledObject), the descheduler and the K3s upgrade plans. */
  OPERATIONS = 1,
  /** NVIDIA device plugin and dcgm-exporter. */
  GPU = 2,
  /** The in-cluster image registry. */
  REGISTRY = 3,
  /** Prometheus, Alertmanager, Grafana and exporters. */
  MONITORING = 4,
  /** Camera stream ingest. */
  INGEST = 5,
  /** GPU inference pools. */
  INFERENCE = 6,
  /** Analysis services. */
  ANALYSIS = 7,
}

/** GPU nodes of the platform: the inventory and how the device plugin runs. */
export interface PlatformGpuOptions extends GpuInventoryProps, Omit<GpuNodeSupportProps, 'inventory'> {}

/** The platform's image registry settings, with an optional in-cluster registry. */
export interface PlatformRegistryOptions extends RegistrySettingsProps {
  /**
   * Run an in-cluster registry (in namespace `registry` unless it names another).
   * @default - no in-cluster registry
   */
  readonly inCluster?: PlatformInClusterRegistryOptions;
}

/** The in-cluster registry of the platform. */
export interface PlatformInClusterRegistryOptions extends Omit<PrivateRegistryProps, 'namespace'> {
  /**
   * Namespace of the registry, created by the platform.
   * @default 'registry'
   */
  readonly namespace?: string;
}

/** Props of {@link VideoAnalyticsPlatform}. */
export interface VideoAnalyticsPlatformProps {
  /** The cameras to ingest. */
  readonly cameras: readonly CameraSpec[];
  /**
   * Namespace of the application components (ingest, inference, analysis) that do not name their own.
   * @default 'video-analytics'
   */
  readonly namespace?: string;
  /**
   * Ingest settings other than the cameras; with a `namespace` of its own, the ingest lives there.
   * @default - StreamIngest's defaults in `namespace`, with the ingest PriorityClass
   */
  readonly ingest?: PlatformIngestOptions;
  /**
   * GPU nodes. Without them the platform has no GPU layer and no inference pools.
   * @default - no GPU nodes
   */
  readonly gpu?: PlatformGpuOptions;
  /** Monitoring: at least the alert receivers. */
  readonly monitoring: MonitoringBundleProps;
  /**
   * Where images are pulled from.
   * @default - from where their references point, with no pull secrets
   */
  readonly registry?: PlatformRegistryOptions;
  /**
   * Automated K3s upgrades (needs the system-upgrade-controller).
   * @default - no upgrade plans
   */
  readonly upgrades?: K3sUpgradePlansProps;
  /**
   * The descheduler, which brings the spread back after rolling drains; `{ enabled: false }` for
   * a single-node site, where there is nothing to spread over.
   * @default - enabled, with DeschedulerInstallation's defaults
   */
  readonly descheduler?: PlatformDeschedulerOptions;
  /**
   * The K3s nodes, for their `config.yaml` files written beside `dist/`.
   * @default - no node files
   */
  readonly cluster?: K3sClusterProps;
  /**
   * The Argo CD Application that applies `dist/`, written to `bootstrap/` beside it. It applies
   * only the app's manifests (`include` defaults to `*` and the app's `outputFileExtension`).
   * @default - no bootstrap manifest
   */
  readonly gitops?: Omit<ArgoCdApplicationProps, 'autoscaled'>;
  /**
   * Fail synthesis on any PlatformPolicies finding (under a {@link LayeredApp}, checked once, on
   * the JSON written).
   * @default true
   */
  readonly enforcePolicies?: boolean;
}

/** The platform's descheduler. */
export interface PlatformDeschedulerOptions extends DeschedulerInstallationProps {
  /**
   * Whether to run it.
   * @default true
   */
  readonly enabled?: boolean;
}

/** The platform's ingest: StreamIngest's props but the cameras, which the platform declares. */
export interface PlatformIngestOptions extends Omit<StreamIngestProps, 'namespace' | 'cameras'> {
  /**
   * Namespace of the ingest, created by the platform.
   * @default - the platform's namespace
   */
  readonly namespace?: string;
}

/** Props of {@link VideoAnalyticsPlatform.addDetection}. */
export interface DetectionOptions extends Omit<AnalysisServiceProps, 'namespace' | 'streams'> {
  /**
   * Which cameras the detection analyses.
   * @default - every camera of the platform
   */
  readonly streams?: StreamSelection;
  /**
   * Namespace of the detection, created by the platform.
   * @default - the platform's namespace
   */
  readonly namespace?: string;
}

/** Props of {@link VideoAnalyticsPlatform.addInferencePool}. */
export interface InferencePoolOptions extends Omit<GpuWorkerPoolProps, 'namespace' | 'inventory'> {
  /**
   * Namespace of the pool, created by the platform.
   * @default - the platform's namespace
   */
  readonly namespace?: string;
}

/**
 * The whole video-analysis platform for a K3s HA cluster, one chart per layer: files in `dist/`
 * come out in apply order, each object carries the matching Argo CD sync wave, and the node-level
 * files (K3s `config.yaml` per node, `registries.yaml`) and the Argo CD bootstrap are written
 * beside `dist/` by {@link writeSupportFiles}.
 *
 * @example
 * const platform = new VideoAnalyticsPlatform(app, 'video-analytics', { cameras, monitoring: { receivers } });
 * const pool = platform.addInferencePool('yolo', { modelRepository, gpusPerWorker: GpuRequest.whole(1) });
 * platform.addDetection('smoke', { image: 'detections/smoke:2.0.1', inference: pool });
 */
export class VideoAnalyticsPlatform extends Construct {
  /** Namespace of the application components. */
  public readonly namespace: string;
  /** The stream ingest. */
  public readonly ingest: StreamIngest;
  /** The monitoring bundle. */
  public readonly monitoring: MonitoringBundle;
  /** The GPU inventory, if the platform has GPU nodes. */
  public readonly gpus?: GpuInventory;
  /** The K3s node configuration, if nodes were declared. */
  public readonly cluster?: K3sCluster;

  private readonly charts = new Map<PlatformLayer, LayerChart>();
  private readonly pools: GpuWorkerPool[] = [];
  private readonly detections: AnalysisService[] = [];
  private readonly namespaces = new Set<string>();
  private synthesized = false;
  private keda?: KedaInstallation;

  constructor(private readonly app: App, id: string, private readonly props: VideoAnalyticsPlatformProps) {
    super(app, id);
    refuseConstructMetadata(app, id);
    this.namespace = props.namespace ?? 'video-analytics';
    // Checked now, not when bootstrap/ is written after dist/: a bad URL must stop the synth before any file.
    if (props.gitops) new ArgoCdApplication(new Chart(new App(), 'check'), 'application', this.applicationProps([]));
    // A validation that adds nothing: it marks the moment after which additions would be lost.
    this.node.addValidation({ validate: () => { this.synthesized = true; return []; } });
    if (props.registry) checkRegistrySettings('RegistrySettings', props.registry);

    // Namespaces whose pods need host access: the node files exempt them from cluster-wide `restricted` admission.
    const privilegedNamespaces: string[] = [];
    const base = this.layer(PlatformLayer.BASE);
    this.requireNamespace(this.namespace);
    new PlatformPriorities(base, 'priorities');
    const upgrades = props.upgrades ? new K3sUpgradePlans(this.layer(PlatformLayer.OPERATIONS), 'upgrades', props.upgrades) : undefined;
    const { enabled: deschedule = true, ...descheduler } = props.descheduler ?? {};
    if (deschedule) new DeschedulerInstallation(this.layer(PlatformLayer.OPERATIONS), 'descheduler', descheduler);
    this.monitoring = new MonitoringBundle(this.layer(PlatformLayer.MONITORING), 'monitoring', props.monitoring);
    if (props.gpu) {
      const gpu = this.layer(PlatformLayer.GPU);
      const { nodes, gpusPerNode, sharing, nodeSelector, ...nodeSupport } = props.gpu;
      this.gpus = new GpuInventory(gpu, 'gpus', { nodes, gpusPerNode, sharing, nodeSelector });
      const gpuNodeSupport = new GpuNodeSupport(gpu, 'gpu-node-support', { ...nodeSupport, inventory: this.gpus });
      this.monitoring.watch(gpuNodeSupport);
      privilegedNamespaces.push(gpuNodeSupport.namespace);
    }
    if (props.registry?.inCluster) {
      const registry = this.layer(PlatformLayer.REGISTRY);
      const { namespace = 'registry', ...registryProps } = props.registry.inCluster;
      new PlatformNamespace(registry, 'namespace', { name: namespace });
      new PrivateRegistry(registry, 'registry', { ...registryProps, namespace });
    }
    const { namespace: ingestNamespace = this.namespace, ...ingestProps } = props.ingest ?? {};
    this.requireNamespace(ingestNamespace);
    this.ingest = new StreamIngest(this.layer(PlatformLayer.INGEST), 'ingest', { ...ingestProps, namespace: ingestNamespace, cameras: props.cameras });
    this.monitoring.watch(this.ingest);
    if (upgrades) privilegedNamespaces.push(upgrades.namespace);
    if (this.monitoring.hostNamespace) privilegedNamespaces.push(this.monitoring.hostNamespace);
    this.cluster = props.cluster ? new K3sCluster({
      ...props.cluster,
      k3sVersion: props.cluster.k3sVersion ?? props.upgrades?.version,
      privilegedNamespaces: [...new Set([...props.cluster.privilegedNamespaces ?? [], ...privilegedNamespaces])],
    }) : undefined;
    // GPU capacity is the inventory's own check, node by node: the policies' sum would report it twice.
    if (props.enforcePolicies ?? true) PlatformPolicies.enforce(app);
  }

  /** Adds a GPU inference pool on the platform's GPU nodes, watched by the platform's monitoring. */
  public addInferencePool(id: string, options: InferencePoolOptions): GpuWorkerPool {
    this.refuseAddition('addInferencePool', id, PlatformLayer.INFERENCE, 'inference pool');
    if (!this.gpus) {
      throw new Error(`VideoAnalyticsPlatform '${this.node.id}': 'gpu' (undefined) must be declared before adding inference pool '${id}'. Declare the GPU nodes in the platform props.`);
    }
    const { namespace = this.namespace, ...poolProps } = options;
    this.requireNamespace(namespace);
    const pool = new GpuWorkerPool(this.layer(PlatformLayer.INFERENCE), id, { ...poolProps, namespace, inventory: this.gpus });
    this.monitoring.watch(pool);
    if (pool.isAutoscaled) this.requireKeda();
    this.pools.push(pool);
    return pool;
  }

  /**
   * Adds a detection type: one AnalysisService reading the platform's streams (and calling its
   * `inference` pool), watched by the platform's monitoring.
   */
  public addDetection(id: string, options: DetectionOptions): AnalysisService {
    this.refuseAddition('addDetection', id, PlatformLayer.ANALYSIS, 'detection');
    const { namespace = this.namespace, ...serviceProps } = options;
    this.requireNamespace(namespace);
    const service = new AnalysisService(this.layer(PlatformLayer.ANALYSIS), id, {
      ...serviceProps,
      streams: options.streams ?? StreamSelection.all(this.ingest),
      namespace,
    });
    this.monitoring.watch(service);
    if (service.scaling.kind === ScalingKind.PROMETHEUS) this.requireKeda();
    this.detections.push(service);
    return service;
  }

  /** Workloads whose replica count an autoscaler owns. */
  public get autoscaledWorkloads(): AutoscaledWorkload[] {
    return [
      ...this.pools.filter((p) => p.isAutoscaled).map((p) => ({ kind: 'Deployment', namespace: p.namespace, name: p.name })),
      ...this.detections.filter((d) => d.scaling.isAutoscaled).map((d) => ({ kind: 'Deployment', namespace: d.namespace, name: d.name })),
    ];
  }

  /**
   * Writes what belongs beside `dist/`, never in it (Argo CD would apply it): `cluster/<node>/config.yaml`
   * and `cluster/registries.yaml` for the K3s nodes, and `bootstrap/argocd-application.yaml`.
   * Call it after `app.synth()`; returns the files written, relative to `dir`.
   * @param dir the folder that holds `dist/`
   */
  public writeSupportFiles(dir: string): string[] {
    if (!this.cluster && !this.props.gitops) {
      throw propError('VideoAnalyticsPlatform', this.node.id, 'cluster, gitops', 'undefined', 'set for writeSupportFiles to have anything to write',
        "Declare the K3s nodes in 'cluster' and the Git repository in 'gitops', or do not call writeSupportFiles.");
    }
    const files: Record<string, string> = {};
    for (const [name, content] of Object.entries(this.cluster?.files() ?? {})) files[path.join('cluster', name)] = content;
    if (this.props.gitops) files[path.join('bootstrap', 'argocd-application.yaml')] = this.bootstrapManifest();
    for (const folder of ['cluster', 'bootstrap']) fs.rmSync(path.join(dir, folder), { recursive: true, force: true });
    for (const [file, content] of Object.entries(files)) {
      fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
      fs.writeFileSync(path.join(dir, file), content);
    }
    return Object.keys(files).sort();
  }

  /** The Argo CD Application that applies `dist/`, as YAML. */
  public bootstrapManifest(): string {
    const bootstrap = new Chart(new App({ outdir: path.join(this.app.outdir, '..', 'bootstrap') }), 'bootstrap', { disableResourceNameHashes: true });
    new ArgoCdApplication(bootstrap, 'application', this.applicationProps(this.autoscaledWorkloads));
    return serializeManifests(bootstrap.toJson());
  }

  /** The bootstrap Application: it applies the app's manifests (`*.k8s.yaml`) and no other file of `dist/`. */
  private applicationProps(autoscaled: AutoscaledWorkload[]): ArgoCdApplicationProps {
    return { include: `*${this.app.outputFileExtension}`, ...this.props.gitops!, autoscaled };
  }

  /** A part added after synthesis would be silently lost, and one with a used id would fail inside cdk8s: both are refused here. */
  private refuseAddition(method: string, id: string, layer: PlatformLayer, what: string): void {
    if (this.synthesized) {
      throw propError('VideoAnalyticsPlatform', this.node.id, method, `'${id}' after synthesis`, 'called before the app is synthesized', `Add every ${what} while building the app, before app.synth().`);
    }
    if (this.charts.get(layer)?.node.tryFindChild(id)) {
      throw propError('VideoAnalyticsPlatform', this.node.id, `${method} id`, id, `unique among the platform's ${what}s`, `Give the second ${what} another id.`);
    }
  }

  /** Each application namespace once, in the base layer: restricted, default deny. */
  private requireNamespace(namespace: string): void {
    if (this.namespaces.has(namespace)) return;
    // The first keeps the id it always had: construct ids are part of the output's stability.
    const id = this.namespaces.size === 0 ? 'namespace' : `namespace-${namespace}`;
    new PlatformNamespace(this.layer(PlatformLayer.BASE), id, { name: namespace });
    this.namespaces.add(namespace);
  }

  private requireKeda(): void {
    this.keda ??= new KedaInstallation(this.layer(PlatformLayer.OPERATIONS), 'keda');
  }

  private layer(layer: PlatformLayer): LayerChart {
    const existing = this.charts.get(layer);
    if (existing) return existing;
    const dependsOn = [...this.charts.entries()].filter(([l]) => l < layer).map(([, c]) => c);
    const chart = new LayerChart(this.app, `${this.node.id}-${PlatformLayer[layer].toLowerCase()}`, { wave: layer, dependsOn });
    // The in-cluster registry cannot pull its own image from itself.
    const registry = layer === PlatformLayer.REGISTRY ? {} : { mirror: this.props.registry?.mirror, imagePullSecrets: this.props.registry?.imagePullSecrets };
    ScopeSettings.apply(chart, { ...registry, priorityClasses: PlatformPriorities.CLASS_NAMES, clusterDomain: this.props.cluster?.clusterDomain });
    this.charts.set(layer, chart);
    return chart;
  }
}

