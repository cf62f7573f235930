import { Duration, Size, SizeRoundingBehavior } from 'cdk8s';
import { ContainerResources, Cpu, k8s } from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { ScaledObject, ScaledObjectSpecFallbackBehavior } from '../../imports/keda.sh';
import { propError, requireDnsLabel, requireInteger } from '../core/errors';
import { slicesPerWorker } from './gpu-capacity';
import { NVIDIA_RUNTIME_CLASS, gpuNodeAffinity, gpuTolerations, resourcesWithGpus } from './gpu-scheduling';
import { imageTag, requirePinnedImage } from '../core/images';
import { ComponentIdentity, selectorLabels, standardLabels } from '../core/labels';
import { namespacePeer, tcpPort } from '../core/network';
import { restrictedContainerSecurityContext, restrictedPodSecurityContext } from '../synth/pod/security';
import { FullResources, checkResources, mergeResources, toResourceRequirements } from '../synth/pod/resources';
import { AlertRule, AlertSeverity, IRuleSource, RuleGroup, runbookUrl } from '../monitoring/alert-rules';
import { DEFAULT_PROMETHEUS_ADDRESS } from '../analysis/analysis-service';
import { GpuDemand, GpuInventory, GpuRequest, IGpuConsumer } from './gpu-inventory';
import { IInferenceEndpoint, INFERENCE_CLIENT_LABEL, InferenceEndpoint } from './inference-endpoint';
import { RegistrySettings } from '../platform/registry-settings';
import { IScrapeTarget, ScrapeTarget } from '../monitoring/scrape-target';
import { dns1035Label, dns1123Subdomain, labelValue } from '../core/names';
import { KubeDeployment, KubeNetworkPolicy, KubePersistentVolumeClaim, KubePodDisruptionBudget, KubeService, KubeServiceAccount } from '../synth/kube-objects';

/** Triton Inference Server, pinned: a new release is a reviewed change of this line, never a surprise. */
export const TRITON_IMAGE = 'nvcr.io/nvidia/tritonserver:24.08-py3';

const CONTAINER = 'inference-server';
const MODELS_VOLUME = 'models';
const MODELS_PATH = '/models';
/**
 * Where the loader sees the volume: not `/models`, which model images commonly use and a mount
 * would hide. A path of the image at or below it cannot be copied.
 */
const LOADER_TARGET = '/load-models-target';
/** Loader images are copied with `cp`, so anything with coreutils or busybox works. */
const LOADER_RESOURCES: FullResources = {
  cpu: { request: Cpu.millis(100), limit: Cpu.units(1) },
  memory: { request: Size.mebibytes(64), limit: Size.mebibytes(256) },
};

/** Access modes a new model volume can have. */
export enum ModelVolumeAccessMode {
  /** Mounted by pods on one node: workers on other nodes cannot start. local-path supports only this. */
  READ_WRITE_ONCE = 'ReadWriteOnce',
  /** Mounted by pods on any number of nodes; needs a storage class that supports it (NFS, Longhorn, ...). */
  READ_WRITE_MANY = 'ReadWriteMany',
}

/** Options of {@link ModelRepository.newVolume}. */
export interface NewModelVolumeOptions {
  /**
   * StorageClass of the claim.
   * @default 'local-path' - the K3s default
   */
  readonly storageClassName?: string;
  /**
   * Access mode of the claim.
   * @default ModelVolumeAccessMode.READ_WRITE_ONCE
   */
  readonly accessMode?: ModelVolumeAccessMode;
}

/** Options of {@link ModelRepository.fromImage}. */
export interface ModelImageOptions {
  /**
   * Most disk the copied models may take on the node; a pod that exceeds it is evicted.
   * @default - no limit
   */
  readonly sizeLimit?: Size;
}

/** Where a worker pool is, for {@link ModelRepository.bind}. */
export interface ModelRepositoryBindOptions {
  /** Construct id of the pool, for error messages. */
  readonly poolId: string;
  /** Name of the pool. */
  readonly poolName: string;
  /** Namespace of the pool. */
  readonly namespace: string;
  /** Labels for objects the repository creates. */
  readonly labels: { readonly [key: string]: string };
  /** The most workers that mount the repository at once. */
  readonly maxWorkers: number;
  /** How many nodes those workers may spread over. */
  readonly nodes: number;
}

/** What a model repository adds to each worker pod. */
export interface ModelRepositoryBinding {
  /** The volume named `models`, mounted read-only at `/models` in the server container. */
  readonly volume: k8s.Volume;
  /** Containers that fill the volume before the server starts. */
  readonly initContainers: k8s.Container[];
}

/**
 * Where Triton finds its models: mounted read-only at `/models` in every worker. Triton never
 * writes to its repository, so no worker can damage the models of another.
 */
export class ModelRepository {
  /**
   * A new PersistentVolumeClaim `<pool>-models`. Fill it from a helper pod that mounts the claim.
   * A ReadWriteOnce volume (all that local-path offers) holds one node's workers only: a pool that
   * may run several workers on several GPU nodes needs a ReadWriteMany storage class.
   */
  public static newVolume(size: Size, options: NewModelVolumeOptions = {}): ModelRepository {
    return new ModelRepository((scope, bind) => bindNewVolume(scope, bind, size, options));
  }

  /**
   * A claim that already holds the models, e.g. on NFS. With workers on several nodes it must be
   * ReadWriteMany or ReadOnlyMany.
   */
  public static existingClaim(claimName: string): ModelRepository {
    return new ModelRepository((_scope, bind) => {
      const problem = dns1123Subdomain(claimName);
      if (problem) throw propError('GpuWorkerPool', bind.poolId, 'modelRepository.claimName', claimName, `a DNS-1123 subdomain (${problem})`, 'Use the name of an existing PersistentVolumeClaim.');
      return { volume: { name: MODELS_VOLUME, persistentVolumeClaim: { claimName, readOnly: true } }, initContainers: [] };
    });
  }

  /**
   * Models baked into an image: an init container copies `path` of that image into an emptyDir
   * at each worker start. Versioned like code, needs no shared storage; the image needs `cp`.
   * @param image the image holding the models, pinned by tag or digest
   * @param path absolute path of the model repository inside that image
   */
  public static fromImage(image: string, path: string, options: ModelImageOptions = {}): ModelRepository {
    return new ModelRepository((scope, bind) => bindImage(scope, bind, image, path, options));
  }

  private constructor(private readonly binder: (scope: Construct, options: ModelRepositoryBindOptions) => ModelRepositoryBinding) {}

  /** Called by the pool: creates what the repository needs in `scope` and says what each pod adds. */
  public bind(scope: Construct, options: ModelRepositoryBindOptions): ModelRepositoryBinding {
    return this.binder(scope, options);
  }
}

function bindNewVolume(scope: Construct, bind: ModelRepositoryBindOptions, size: Size, options: NewModelVolumeOptions): ModelRepositoryBinding {
  const accessMode = options.accessMode ?? ModelVolumeAccessMode.READ_WRITE_ONCE;
  const storageClassName = options.storageClassName ?? 'local-path';
  if (accessMode === ModelVolumeAccessMode.READ_WRITE_ONCE && bind.maxWorkers > 1 && bind.nodes > 1) {
    throw propError('GpuWorkerPool', bind.poolId, 'modelRepository', `a new ReadWriteOnce volume on ${storageClassName}`,
      `mountable on every node its ${bind.maxWorkers} workers spread over (${bind.nodes} GPU nodes)`,
      'Use ModelRepository.fromImage(), an existing ReadWriteMany claim, newVolume() with ModelVolumeAccessMode.READ_WRITE_MANY on a storage class that offers it, or maxWorkers 1.');
  }
  // Not toMebibytes(): its default rounding throws on sizes such as 1500Ki instead of naming the prop.
  if (!(size.toKibibytes({ rounding: SizeRoundingBehavior.NONE }) >= 1024)) {
    throw propError('GpuWorkerPool', bind.poolId, 'modelRepository.size', size.asString(), 'at least 1Mi', 'Size the volume for the models it holds.');
  }
  const classProblem = dns1123Subdomain(storageClassName);
  if (classProblem) {
    throw propError('GpuWorkerPool', bind.poolId, 'modelRepository.storageClassName', storageClassName, `a StorageClass name (${classProblem})`, 'Use a StorageClass of the cluster, such as local-path.');
  }
  const claimName = `${bind.poolName}-models`;
  new KubePersistentVolumeClaim(scope, 'models', {
    metadata: { name: claimName, namespace: bind.namespace, labels: { ...bind.labels } },
    spec: {
      storageClassName,
      accessModes: [accessMode],
      volumeMode: 'Filesystem',
      resources: { requests: { storage: k8s.Quantity.fromString(size.asString()) } },
    },
  });
  return { volume: { name: MODELS_VOLUME, persistentVolumeClaim: { claimName, readOnly: true } }, initContainers: [] };
}

function bindImage(scope: Construct, bind: ModelRepositoryBindOptions, image: string, path: string, options: ModelImageOptions): ModelRepositoryBinding {
  const source = path.replace(/\/+$/, '');
  if (!path.startsWith('/') || source === '' || source === LOADER_TARGET || source.startsWith(`${LOADER_TARGET}/`)) {
    throw propError('GpuWorkerPool', bind.poolId, 'modelRepository.path', path, `an absolute path below / and outside ${LOADER_TARGET}`, "Give the folder that holds the models inside the image, e.g. '/models'.");
  }
  requirePinnedImage('GpuWorkerPool', bind.poolId, 'modelRepository.image', image);
  const sizeLimit = options.sizeLimit ? k8s.Quantity.fromString(options.sizeLimit.asString()) : undefined;
  return {
    volume: { name: MODELS_VOLUME, emptyDir: { sizeLimit } },
    initContainers: [{
      name: 'load-models',
      image: RegistrySettings.image(scope, image),
      imagePullPolicy: 'IfNotPresent',
      // `-R` rather than `-a`: the copy belongs to the non-root pod user, who cannot keep the image's owners.
      command: ['cp', '-R', `${source}/.`, `${LOADER_TARGET}/`],
      resources: toResourceRequirements(LOADER_RESOURCES),
      securityContext: restrictedContainerSecurityContext(),
      volumeMounts: [{ name: MODELS_VOLUME, mountPath: LOADER_TARGET }],
    }],
  };
}

/** The metric a pool scales on. */
export enum ScalingSignal {
  /** Triton's queue of requests waiting for a model instance. */
  QUEUE_SIZE = 'nv_inference_pending_request_count',
  /** GPU utilization in percent, from dcgm-exporter. */
  GPU_UTILIZATION = 'DCGM_FI_DEV_GPU_UTIL',
}

/** Options of {@link InferenceScaling.queueSize}. */
export interface QueueSizeScalingOptions {
  /** Pending requests per worker the autoscaler aims for. */
  readonly target: number;
}

/** Options of {@link InferenceScaling.gpuUtilization}. */
export interface GpuUtilizationScalingOptions {
  /** Average GPU utilization of the workers, in percent, that the autoscaler aims for. */
  readonly targetPercent: number;
}

/** What a pool's KEDA autoscaler watches, through a Prometheus query. */
export class InferenceScaling {
  /**
   * Scale on Triton's queue: workers = ceil(pending requests / target). The direct measure of
   * frames waiting for inference, and available as soon as Triton is scraped.
   */
  public static queueSize(options: QueueSizeScalingOptions): InferenceScaling {
    return new InferenceScaling(ScalingSignal.QUEUE_SIZE, options.target);
  }

  /**
   * Scale on GPU utilization from dcgm-exporter: workers = ceil(sum of the workers' utilization /
   * target). Needs dcgm-exporter (see {@link GpuNodeSupport}) to attribute GPUs to pods.
   */
  public static gpuUtilization(options: GpuUtilizationScalingOptions): InferenceScaling {
    return new InferenceScaling(ScalingSignal.GPU_UTILIZATION, options.targetPercent);
  }

  private constructor(
    /** The metric watched. */
    public readonly signal: ScalingSignal,
    /** The value per worker the autoscaler aims for. */
    public readonly target: number,
  ) {}
}

/** Props of {@link GpuWorkerPool}. */
export interface GpuWorkerPoolProps {
  /** Namespace of every object the pool creates. */
  readonly namespace: string;
  /** The GPUs the pool's workers come from; the pool reserves its peak demand there. */
  readonly inventory: GpuInventory;
  /** Where the workers load their models from. */
  readonly modelRepository: ModelRepository;
  /**
   * Name of every object of the pool and of its Service. A DNS-1035 label of at most 47 characters.
   * @default - the construct id
   */
  readonly name?: string;
  /**
   * GPU for each worker.
   * @default - GpuRequest.whole(1), or one time-slice (GpuRequest.shared({ share: 1 / replicas })) when the inventory time-slices
   */
  readonly gpusPerWorker?: GpuRequest;
  /**
   * Fewest workers, on different GPU nodes when there are enough: two keep inference up while a node drains.
   * @default 2
   */
  readonly minWorkers?: number;
  /**
   * Most workers. Above `minWorkers`, KEDA scales between the two on `scaling`; equal, the pool has a fixed size.
   * @default - minWorkers: a fixed-size pool, no autoscaler
   */
  readonly maxWorkers?: number;
  /**
   * Run only on nodes with this GPU model, by GPU Feature Discovery's `nvidia.com/gpu.product` label, e.g. `NVIDIA-A2`.
   * @default - any GPU node of the inventory
   */
  readonly gpuProduct?: string;
  /**
   * CPU and memory of each server container; fields left out keep their default. GPUs come from `gpusPerWorker`.
   * @default - requests 1 CPU and 2Gi memory, limits 4 CPU and 8Gi memory
   */
  readonly resources?: ContainerResources;
  /**
   * What the autoscaler watches. Only used when `maxWorkers` is above `minWorkers`.
   * @default InferenceScaling.queueSize({ target: 4 })
   */
  readonly scaling?: InferenceScaling;
  /**
   * The Prometheus KEDA queries for the scaling signal.
   * @default DEFAULT_PROMETHEUS_ADDRESS
   */
  readonly prometheusAddress?: string;
  /**
   * The inference server image, pinned by tag or digest; it must serve the KServe v2 protocol and health endpoints.
   * @default TRITON_IMAGE
   */
  readonly image?: string;
  /**
   * Arguments of the server container, the program first (the image's entrypoint runs them).
   * @default - tritonserver with the model repository at /models and the three ports
   */
  readonly args?: readonly string[];
  /**
   * HTTP port (KServe v2 API and health endpoints).
   * @default 8000
   */
  readonly httpPort?: number;
  /**
   * gRPC port.
   * @default 8001
   */
  readonly grpcPort?: number;
  /**
   * Prometheus metrics port.
   * @default 8002
   */
  readonly metricsPort?: number;
  /**
   * How long a worker may take to load its models and report ready before it is restarted.
   * @default Duration.minutes(10)
   */
  readonly modelLoadTimeout?: Duration;
  /**
   * Namespace of the Prometheus that scrapes the pool; the NetworkPolicy admits it to the metrics port.
   * @default 'monitoring'
   */
  readonly monitoringNamespace?: string;
  /**
   * The cluster's DNS domain, used in the endpoint's host name.
   * @default 'cluster.local'
   */
  readonly clusterDomain?: string;
  /**
   * PriorityClass of the workers.
   * @default - the cluster's default priority
   */
  readonly priorityClassName?: string;
}

const DEFAULT_RESOURCES: FullResources = {
  cpu: { request: Cpu.units(1), limit: Cpu.units(4) },
  memory: { request: Size.gibibytes(2), limit: Size.gibibytes(8) },
};
const DEFAULT_QUEUE_TARGET = 4;
const PROBE_PERIOD_SECONDS = 10;
/**
 * A Deployment's pods are named `<name>-<hash of up to 10>-<5>`, truncated past 63 characters:
 * up to this length the names keep that form, which the pool's PromQL matches exactly.
 */
const MAX_NAME_LENGTH = 47;

/**
 * GPU inference workers: Triton Inference Server by default, on GPU nodes only, one GPU or GPU
 * share each, behind a ClusterIP Service for HTTP, gRPC and metrics. Autoscaled by KEDA on
 * Triton's queue (or GPU utilization) between `minWorkers` and `maxWorkers`, whose peak demand
 * it reserves in the {@link GpuInventory}.
 */
export class GpuWorkerPool extends Construct implements IScrapeTarget, IInferenceEndpoint, IRuleSource, IGpuConsumer {
  /** Name of the pool's objects and Service. */
  public readonly name: string;
  /** Namespace of every object. */
  public readonly namespace: string;
  /** In-cluster DNS name of the Service. */
  public readonly host: string;
  /** Fewest workers. */
  public readonly minWorkers: number;
  /** Most workers. */
  public readonly maxWorkers: number;
  /** Units of `nvidia.com/gpu` in each worker's requests and limits. */
  public readonly slicesPerWorker: number;

  private readonly identity: ComponentIdentity;
  private readonly settings: Settings;

  constructor(scope: Construct, id: string, props: GpuWorkerPoolProps) {
    super(scope, id);
    this.settings = resolveSettings(id, props);
    this.name = this.settings.name;
    this.namespace = props.namespace;
    this.minWorkers = this.settings.minWorkers;
    this.maxWorkers = this.settings.maxWorkers;
    this.slicesPerWorker = this.settings.slicesPerWorker;
    this.host = `${this.name}.${this.namespace}.svc.${this.settings.clusterDomain}`;
    this.identity = { name: 'inference-server', instance: this.name, component: 'gpu-worker-pool', version: imageTag(this.settings.image) };

    const models = props.modelRepository.bind(this, {
      poolId: id, poolName: this.name, namespace: this.namespace, labels: standardLabels(this.identity),
      maxWorkers: this.maxWorkers, nodes: props.inventory.nodes,
    });
    this.addServiceAccount();
    this.addService();
    this.addDeployment(models, props.inventory);
    if (this.isAutoscaled) this.addScaledObject();
    this.addDisruptionBudget();
    this.addNetworkPolicy();
    props.inventory.reserve(this);
  }

  /** Whether KEDA scales the pool (`maxWorkers` above `minWorkers`). */
  public get isAutoscaled(): boolean {
    return this.maxWorkers > this.minWorkers;
  }

  /** The pool's peak GPU demand: every worker it may run. */
  public gpuDemand(): GpuDemand {
    return { consumer: `${this.namespace}/${this.name}`, maxWorkers: this.maxWorkers, slicesPerWorker: this.slicesPerWorker };
  }

  /** Triton metrics on the metrics port of every worker, scraped often: they drive the autoscaler. */
  public toScrapeTarget(): ScrapeTarget {
    return {
      jobName: this.name,
      namespace: this.namespace,
      podSelector: selectorLabels(this.identity),
      portName: 'metrics',
      port: this.settings.metricsPort,
      path: '/metrics',
      interval: Duration.seconds(15),
    };
  }

  /** The pool's Service; clients need the label INFERENCE_CLIENT_LABEL='true' to pass its NetworkPolicy. */
  public toInferenceEndpoint(): InferenceEndpoint {
    return {
      name: this.name,
      namespace: this.namespace,
      host: this.host,
      httpPort: this.settings.httpPort,
      grpcPort: this.settings.grpcPort,
      podSelector: selectorLabels(this.identity),
    };
  }

  /** Inference alerts on Triton's own metrics; GPU health alerts belong to {@link GpuNodeSupport}. */
  public toRuleGroups(): RuleGroup[] {
    return [{ name: `inference-${this.name}`, alerts: [this.queueGrowingAlert(), this.requestsFailingAlert()] }];
  }

  /** Selects the pool's series by the target labels every Kubernetes scrape configuration adds. */
  private get seriesSelector(): string {
    return `namespace="${this.namespace}",pod=~"${podNamePattern(this.name)}"`;
  }

  private queueGrowingAlert(): AlertRule {
    const queue = `sum by (namespace) (${ScalingSignal.QUEUE_SIZE}{${this.seriesSelector}})`;
    const target = this.settings.scaling.signal === ScalingSignal.QUEUE_SIZE ? this.settings.scaling.target : DEFAULT_QUEUE_TARGET;
    const limit = this.maxWorkers * target;
    return {
      alert: 'InferenceQueueGrowing',
      expr: `${queue} > ${limit} and deriv(${queue}[15m:1m]) > 0`,
      for: Duration.minutes(10),
      severity: AlertSeverity.WARNING,
      summary: `Inference queue of pool ${this.name} keeps growing.`,
      description: `{{ $value }} requests wait in ${this.namespace}/${this.name}, more than its ${this.maxWorkers} workers are meant to carry (${target} each), and the queue still grows: analysis lags behind the cameras. Add GPU capacity, raise maxWorkers or lighten the models.`,
      runbookUrl: runbookUrl('InferenceQueueGrowing'),
      labels: { pool: this.name },
    };
  }

  private requestsFailingAlert(): AlertRule {
    const rate = (metric: string) => `sum by (namespace) (rate(${metric}{${this.seriesSelector}}[5m]))`;
    const failures = rate('nv_inference_request_failure');
    return {
      alert: 'InferenceRequestsFailing',
      expr: `${failures} / (${rate('nv_inference_request_success')} + ${failures}) > 0.05`,
      for: Duration.minutes(10),
      severity: AlertSeverity.WARNING,
      summary: `More than 5% of inference requests to pool ${this.name} fail.`,
      description: `{{ $value | humanizePercentage }} of the requests to ${this.namespace}/${this.name} fail: detections are missing for the affected cameras. Check the server logs for model errors and GPU memory.`,
      runbookUrl: runbookUrl('InferenceRequestsFailing'),
      labels: { pool: this.name },
    };
  }

  private addServiceAccount(): void {
    new KubeServiceAccount(this, 'service-account', {
      metadata: { name: this.name, namespace: this.namespace, labels: standardLabels(this.identity) },
      automountServiceAccountToken: false,
    });
  }

  private addService(): void {
    const { httpPort, grpcPort, metricsPort } = this.settings;
    new KubeService(this, 'service', {
      metadata: { name: this.name, namespace: this.namespace, labels: standardLabels(this.identity) },
      spec: {
        type: 'ClusterIP',
        selector: selectorLabels(this.identity),
        ports: [
          { name: 'http', port: httpPort, targetPort: k8s.IntOrString.fromString('http'), protocol: 'TCP' },
          { name: 'grpc', port: grpcPort, targetPort: k8s.IntOrString.fromString('grpc'), protocol: 'TCP' },
          { name: 'metrics', port: metricsPort, targetPort: k8s.IntOrString.fromString('metrics'), protocol: 'TCP' },
        ],
      },
    });
  }

  private addDeployment(models: ModelRepositoryBinding, inventory: GpuInventory): void {
    const labels = standardLabels(this.identity);
    new KubeDeployment(this, 'deployment', {
      metadata: { name: this.name, namespace: this.namespace, labels },
      spec: {
        // KEDA owns the replica count of an autoscaled pool: a `replicas` here would fight it on every sync.
        replicas: this.isAutoscaled ? undefined : this.minWorkers,
        revisionHistoryLimit: 3,
        selector: { matchLabels: selectorLabels(this.identity) },
        // No surge: a surge worker needs a free GPU, which a fully reserved inventory does not have,
        // so every rollout would stall. One worker at a time is replaced instead.
        strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: k8s.IntOrString.fromNumber(0), maxUnavailable: k8s.IntOrString.fromNumber(1) } },
        template: {
          metadata: { labels },
          spec: this.podSpec(models, inventory),
        },
      },
    });
  }

  private podSpec(models: ModelRepositoryBinding, inventory: GpuInventory): k8s.PodSpec {
    const selector = { matchLabels: selectorLabels(this.identity) };
    return {
      serviceAccountName: this.name,
      automountServiceAccountToken: false,
      enableServiceLinks: false,
      imagePullSecrets: RegistrySettings.pullSecrets(this),
      runtimeClassName: NVIDIA_RUNTIME_CLASS,
      priorityClassName: this.settings.priorityClassName,
      securityContext: restrictedPodSecurityContext(),
      terminationGracePeriodSeconds: 30,
      affinity: gpuNodeAffinity(inventory.nodeSelector, this.settings.gpuProduct),
      tolerations: gpuTolerations(),
      topologySpreadConstraints: [
        // No GPU node holds two workers while another eligible GPU node holds none; Honor counts
        // only the nodes this pod may use, so CPU-only nodes do not block scheduling.
        { maxSkew: 1, topologyKey: 'kubernetes.io/hostname', whenUnsatisfiable: 'DoNotSchedule', labelSelector: selector, nodeAffinityPolicy: 'Honor', nodeTaintsPolicy: 'Honor' },
        { maxSkew: 1, topologyKey: 'topology.kubernetes.io/zone', whenUnsatisfiable: 'ScheduleAnyway', labelSelector: selector, nodeAffinityPolicy: 'Honor', nodeTaintsPolicy: 'Honor' },
      ],
      initContainers: models.initContainers.length > 0 ? models.initContainers : undefined,
      containers: [this.serverContainer()],
      volumes: [
        models.volume,
        // Triton and its backends write scratch files; the root filesystem stays read-only.
        { name: 'tmp', emptyDir: { sizeLimit: k8s.Quantity.fromString('1Gi') } },
      ],
    };
  }

  private serverContainer(): k8s.Container {
    const { httpPort, grpcPort, metricsPort } = this.settings;
    const ready = { path: '/v2/health/ready', port: k8s.IntOrString.fromString('http') };
    return {
      name: CONTAINER,
      image: RegistrySettings.image(this, this.settings.image),
      imagePullPolicy: 'IfNotPresent',
      args: [...this.settings.args],
      // uid 65534 has no writable home; the Python and PyTorch backends cache under $HOME.
      env: [{ name: 'HOME', value: '/tmp' }],
      ports: [
        { name: 'http', containerPort: httpPort, protocol: 'TCP' },
        { name: 'grpc', containerPort: grpcPort, protocol: 'TCP' },
        { name: 'metrics', containerPort: metricsPort, protocol: 'TCP' },
      ],
      // Loading models takes minutes: liveness and readiness wait until the server first reports ready.
      startupProbe: { httpGet: ready, periodSeconds: PROBE_PERIOD_SECONDS, timeoutSeconds: 5, failureThreshold: this.settings.startupFailureThreshold },
      readinessProbe: { httpGet: ready, periodSeconds: PROBE_PERIOD_SECONDS, timeoutSeconds: 5, failureThreshold: 3 },
      livenessProbe: { httpGet: { path: '/v2/health/live', port: k8s.IntOrString.fromString('http') }, periodSeconds: 20, timeoutSeconds: 5, failureThreshold: 3 },
      resources: resourcesWithGpus(this.settings.resources, this.slicesPerWorker),
      securityContext: restrictedContainerSecurityContext(),
      volumeMounts: [
        { name: MODELS_VOLUME, mountPath: MODELS_PATH, readOnly: true },
        { name: 'tmp', mountPath: '/tmp' },
      ],
    };
  }

  private addScaledObject(): void {
    const { scaling, prometheusAddress } = this.settings;
    new ScaledObject(this, 'scaled-object', {
      metadata: { name: this.name, namespace: this.namespace, labels: standardLabels(this.identity) },
      spec: {
        scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: this.name },
        minReplicaCount: this.minWorkers,
        maxReplicaCount: this.maxWorkers,
        pollingInterval: 15,
        // Prometheus unreachable or the query empty: keep at least the workers running now.
        fallback: { failureThreshold: 3, replicas: this.minWorkers, behavior: ScaledObjectSpecFallbackBehavior.CURRENT_REPLICAS_IF_HIGHER },
        advanced: {
          horizontalPodAutoscalerConfig: {
            behavior: {
              // A new worker loads models for minutes: a spike shorter than that is not worth a GPU.
              scaleUp: { stabilizationWindowSeconds: 60, selectPolicy: 'Max', policies: [{ type: 'Pods', value: 2, periodSeconds: 60 }] },
              // Bringing a worker back costs the same minutes: give GPUs back slowly.
              scaleDown: { stabilizationWindowSeconds: 600, selectPolicy: 'Max', policies: [{ type: 'Pods', value: 1, periodSeconds: 300 }] },
            },
          },
        },
        triggers: [{
          type: 'prometheus',
          name: scaling.signal === ScalingSignal.QUEUE_SIZE ? 'queue-size' : 'gpu-utilization',
          metricType: 'AverageValue',
          metadata: {
            serverAddress: prometheusAddress,
            query: this.scalingQuery(),
            threshold: String(scaling.target),
            // An empty result means Prometheus lost the workers' metrics, not an idle pool: as an
            // error it triggers the fallback instead of counting as zero and scaling down blind.
            ignoreNullValues: 'false',
          },
        }],
      },
    });
  }

  /** One element, as KEDA needs: the pool's total, which KEDA divides by the per-worker target. */
  private scalingQuery(): string {
    if (this.settings.scaling.signal === ScalingSignal.QUEUE_SIZE) {
      return `sum(${ScalingSignal.QUEUE_SIZE}{${this.seriesSelector}})`;
    }
    // dcgm-exporter labels a GPU with the pod that uses it; a scrape without honor_labels renames
    // those labels to exported_*, so both forms are matched.
    const pods = podNamePattern(this.name);
    const metric = ScalingSignal.GPU_UTILIZATION;
    return `sum(${metric}{namespace="${this.namespace}",pod=~"${pods}"} or ${metric}{exported_namespace="${this.namespace}",exported_pod=~"${pods}"})`;
  }

  /** Drains proceed one worker at a time, whatever the count: a budget that blocks drains blocks node upgrades. */
  private addDisruptionBudget(): void {
    new KubePodDisruptionBudget(this, 'disruption-budget', {
      metadata: { name: this.name, namespace: this.namespace, labels: standardLabels(this.identity) },
      spec: { maxUnavailable: k8s.IntOrString.fromNumber(1), selector: { matchLabels: selectorLabels(this.identity) } },
    });
  }

  /** Inference only from labelled clients, metrics only from monitoring, and no egress: models are local. */
  private addNetworkPolicy(): void {
    const { httpPort, grpcPort, metricsPort, monitoringNamespace } = this.settings;
    // Clients in any namespace: analysis services need not share the pool's.
    const clients = { namespaceSelector: {}, podSelector: { matchLabels: { [INFERENCE_CLIENT_LABEL]: 'true' } } };
    new KubeNetworkPolicy(this, 'network-policy', {
      metadata: { name: this.name, namespace: this.namespace, labels: standardLabels(this.identity) },
      spec: {
        podSelector: { matchLabels: selectorLabels(this.identity) },
        policyTypes: ['Ingress', 'Egress'],
        ingress: [
          { from: [clients], ports: [tcpPort(httpPort), tcpPort(grpcPort)] },
          { from: [namespacePeer(monitoringNamespace)], ports: [tcpPort(metricsPort)] },
        ],
      },
    });
  }
}

interface Settings {
  readonly name: string;
  readonly minWorkers: number;
  readonly maxWorkers: number;
  readonly slicesPerWorker: number;
  readonly gpuProduct?: string;
  readonly resources: FullResources;
  readonly scaling: InferenceScaling;
  readonly prometheusAddress: string;
  readonly image: string;
  readonly args: readonly string[];
  readonly httpPort: number;
  readonly grpcPort: number;
  readonly metricsPort: number;
  readonly startupFailureThreshold: number;
  readonly monitoringNamespace: string;
  readonly clusterDomain: string;
  readonly priorityClassName?: string;
}

function resolveSettings(id: string, props: GpuWorkerPoolProps): Settings {
  const name = resolveName(id, props);
  requireDnsLabel('GpuWorkerPool', id, 'namespace', props.namespace);
  const minWorkers = props.minWorkers ?? 2;
  requireInteger('GpuWorkerPool', id, 'minWorkers', minWorkers, 1);
  const maxWorkers = props.maxWorkers ?? minWorkers;
  if (!Number.isInteger(maxWorkers) || maxWorkers < minWorkers) {
    throw propError('GpuWorkerPool', id, 'maxWorkers', maxWorkers, `an integer >= minWorkers (${minWorkers})`, "Raise 'maxWorkers', or lower 'minWorkers'.");
  }
  const ports = resolvePorts(id, props);
  const resources = mergeResources(DEFAULT_RESOURCES, props.resources);
  checkResources('GpuWorkerPool', id, 'resources', resources);
  const monitoringNamespace = props.monitoringNamespace ?? 'monitoring';
  requireDnsLabel('GpuWorkerPool', id, 'monitoringNamespace', monitoringNamespace);
  return {
    name,
    minWorkers,
    maxWorkers,
    slicesPerWorker: resolveSlices(id, props),
    gpuProduct: resolveGpuProduct(id, props.gpuProduct),
    resources,
    scaling: resolveScaling(id, props.scaling),
    prometheusAddress: resolvePrometheusAddress(id, props.prometheusAddress),
    image: resolveImage(id, props.image),
    args: resolveArgs(id, props.args, ports),
    ...ports,
    startupFailureThreshold: resolveStartupFailureThreshold(id, props.modelLoadTimeout),
    monitoringNamespace,
    clusterDomain: resolveClusterDomain(id, props.clusterDomain),
    priorityClassName: resolvePriorityClassName(id, props.priorityClassName),
  };
}

function resolveClusterDomain(id: string, clusterDomain: string | undefined): string {
  const resolved = clusterDomain ?? 'cluster.local';
  const problem = dns1123Subdomain(resolved);
  if (problem) throw propError('GpuWorkerPool', id, 'clusterDomain', resolved, `a DNS domain (${problem})`, "Use the cluster's domain, 'cluster.local' on K3s.");
  return resolved;
}

function resolvePriorityClassName(id: string, priorityClassName: string | undefined): string | undefined {
  const problem = priorityClassName === undefined ? undefined : dns1123Subdomain(priorityClassName);
  if (problem) throw propError('GpuWorkerPool', id, 'priorityClassName', priorityClassName, `a PriorityClass name (${problem})`, 'Use a PriorityClass of the cluster, such as PlatformPriorities.ANALYSIS.');
  return priorityClassName;
}

function resolveName(id: string, props: GpuWorkerPoolProps): string {
  const name = props.name ?? id;
  const problem = dns1035Label(name) ?? (name.length > MAX_NAME_LENGTH ? `must be no more than ${MAX_NAME_LENGTH} characters` : undefined);
  if (problem) {
    throw propError('GpuWorkerPool', id, props.name === undefined ? 'name (from the construct id)' : 'name', name,
      `a DNS-1035 label of at most ${MAX_NAME_LENGTH} characters (${problem})`, "Pass a 'name' such as 'yolo'.");
  }
  return name;
}

function resolveSlices(id: string, props: GpuWorkerPoolProps): number {
  const sharing = props.inventory.sharing;
  const request = props.gpusPerWorker ?? (sharing.isTimeSliced ? GpuRequest.shared({ share: 1 / sharing.replicas }) : GpuRequest.whole(1));
  const result = slicesPerWorker(request, props.inventory);
  if ('rule' in result) throw propError('GpuWorkerPool', id, 'gpusPerWorker', request.toString(), result.rule, result.fix);
  return result.slices;
}

function resolveGpuProduct(id: string, gpuProduct: string | undefined): string | undefined {
  const problem = gpuProduct === undefined ? undefined : gpuProduct === '' ? 'must not be empty' : labelValue(gpuProduct);
  if (problem) throw propError('GpuWorkerPool', id, 'gpuProduct', gpuProduct, `a node label value (${problem})`, "Use the value of the node's nvidia.com/gpu.product label, e.g. 'NVIDIA-A2'.");
  return gpuProduct;
}

function resolveScaling(id: string, scaling: InferenceScaling | undefined): InferenceScaling {
  const resolved = scaling ?? InferenceScaling.queueSize({ target: DEFAULT_QUEUE_TARGET });
  if (resolved.signal === ScalingSignal.GPU_UTILIZATION && !(resolved.target > 0 && resolved.target <= 100)) {
    throw propError('GpuWorkerPool', id, 'scaling.targetPercent', resolved.target, 'above 0 and at most 100', 'Aim for a utilization such as 70.');
  }
  if (resolved.signal === ScalingSignal.QUEUE_SIZE && !(resolved.target > 0 && Number.isFinite(resolved.target))) {
    throw propError('GpuWorkerPool', id, 'scaling.target', resolved.target, 'a number above 0', 'Aim for a few pending requests per worker, such as 4.');
  }
  return resolved;
}

function resolvePrometheusAddress(id: string, address: string | undefined): string {
  const resolved = address ?? DEFAULT_PROMETHEUS_ADDRESS;
  if (!/^https?:\/\/[^\s/]+(\/\S*)?$/.test(resolved)) {
    throw propError('GpuWorkerPool', id, 'prometheusAddress', resolved, 'an http or https URL', `Write it like '${DEFAULT_PROMETHEUS_ADDRESS}'.`);
  }
  return resolved;
}

function resolveImage(id: string, image: string | undefined): string {
  const resolved = image ?? TRITON_IMAGE;
  requirePinnedImage('GpuWorkerPool', id, 'image', resolved);
  return resolved;
}

function resolvePorts(id: string, props: GpuWorkerPoolProps): { httpPort: number; grpcPort: number; metricsPort: number } {
  const ports = { httpPort: props.httpPort ?? 8000, grpcPort: props.grpcPort ?? 8001, metricsPort: props.metricsPort ?? 8002 };
  for (const [prop, port] of Object.entries(ports)) {
    if (!Number.isInteger(port) || port < 1024 || port > 65535) {
      throw propError('GpuWorkerPool', id, prop, port, 'a port number from 1024 to 65535', `Triton runs as non-root with every capability dropped and cannot bind lower ports; leave '${prop}' out to use the default.`);
    }
  }
  if (new Set(Object.values(ports)).size !== 3) {
    throw propError('GpuWorkerPool', id, 'httpPort, grpcPort, metricsPort', Object.values(ports), 'three different ports', 'Give each its own port.');
  }
  return ports;
}

function resolveArgs(id: string, args: readonly string[] | undefined, ports: { httpPort: number; grpcPort: number; metricsPort: number }): readonly string[] {
  if (args !== undefined && args.length === 0) {
    throw propError('GpuWorkerPool', id, 'args', '[]', 'a program and its arguments', "Leave 'args' out to run tritonserver.");
  }
  return args ?? [
    'tritonserver',
    `--model-repository=${MODELS_PATH}`,
    `--http-port=${ports.httpPort}`,
    `--grpc-port=${ports.grpcPort}`,
    `--metrics-port=${ports.metricsPort}`,
  ];
}

function resolveStartupFailureThreshold(id: string, timeout: Duration | undefined): number {
  // integral: false, or a timeout such as 10.5 seconds throws from cdk8s instead of being rounded up.
  const seconds = (timeout ?? Duration.minutes(10)).toSeconds({ integral: false });
  if (seconds < PROBE_PERIOD_SECONDS) {
    throw propError('GpuWorkerPool', id, 'modelLoadTimeout', `${seconds}s`, `at least ${PROBE_PERIOD_SECONDS} seconds`, 'Allow the time the largest model takes to load.');
  }
  return Math.ceil(seconds / PROBE_PERIOD_SECONDS);
}


/** Exactly the pods of Deployment `name`: `<name>-<pod-template-hash>-<suffix>`, not those of `<name>-other`. */
function podNamePattern(name: string): string {
  return `${name}-[a-z0-9]+-[a-z0-9]{5}`;
}
