import { Duration, Size } from 'cdk8s';
import { ContainerResources, Cpu, EphemeralStorageResources, k8s } from '../core/cdk8s-plus';
import { Construct } from 'constructs';
import { propError, requireComponentName, requireDnsLabel, requireInteger } from '../core/errors';
import { imageTag, requirePinnedImage } from '../core/images';
import { labelValue } from '../core/names';
import { memoryBytes } from '../core/quantity';
import { AlertRule, AlertSeverity, IRuleSource, RuleGroup, runbookUrl } from '../monitoring/alert-rules';
import { IScrapeTarget, ScrapeTarget } from '../monitoring/scrape-target';
import { IPrometheusClient, PrometheusEndpoint, PrometheusLink, PrometheusTrigger, newScaledObject } from '../synth/autoscaler';
import { Connections, IConnectable } from '../synth/connections';
import { KubeService } from '../synth/kube-objects';
import { ContainerOptions, PodOptions, PodServiceAccount, PriorityTier, newDeployment, singleReplicaChosenBy } from '../synth/pod/builder';
import { ComponentPods, httpProbe } from '../synth/pod/component-pods';
import { DEFAULT_EPHEMERAL_STORAGE, FullResources, SizeRange, checkResources, mergeResources } from '../synth/pod/resources';
import { ScopedPodProps, resolveScopedPodProps } from '../synth/pod/scope-settings';
import { Scaling, ScalingKind } from '../synth/scaling';
import { promqlSyntaxError } from '../synth/validation/_promql-rules';
import { slicesPerWorker } from './gpu-capacity';
import { GpuDemand, GpuInventory, GpuRequest, IGpuConsumer } from './gpu-inventory';
import { NVIDIA_RUNTIME_CLASS, gpuNodeAffinity, gpuTolerations, resourcesWithGpus } from './gpu-scheduling';
import { IInferenceEndpoint, InferenceEndpoint } from './inference-endpoint';
import { ScalingSignal } from './inference-scaling';
import { ModelRepository, ModelRepositoryBinding } from './model-repository';
import { spreadOf } from '../core/spread';

/** Triton Inference Server, pinned: a new release is a reviewed change of this line, never a surprise. */
export const TRITON_IMAGE = 'nvcr.io/nvidia/tritonserver:24.08-py3';

const CONTAINER = 'inference-server';
const MODELS_PATH = '/models';

/** Props of {@link GpuWorkerPool}. */
export interface GpuWorkerPoolProps extends ScopedPodProps {
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
   * CPU, memory and ephemeral storage of each server container; fields left out keep their
   * default. GPUs come from `gpusPerWorker`. Ephemeral storage covers the pod's emptyDirs (the
   * model copy of `ModelRepository.fromImage` and 1Gi of /tmp) in its request and its limit, so
   * that the scheduler counts the models; a value below them is refused.
   * @default - requests 1 CPU, 2Gi memory and 64Mi plus the emptyDirs of ephemeral storage; limits 4 CPU, 8Gi memory and 512Mi plus the emptyDirs of ephemeral storage
   */
  readonly resources?: ContainerResources;
  /**
   * What the autoscaler watches, when `maxWorkers` is above `minWorkers`: `Scaling.queueSize`,
   * `Scaling.gpuUtilization` (or their `InferenceScaling` names) or `Scaling.prometheus` for a query of your own.
   * @default Scaling.queueSize({ target: 4 })
   */
  readonly scaling?: Scaling;
  /**
   * The Prometheus KEDA queries for the scaling signal.
   * @default - the Prometheus of the MonitoringBundle that watches the pool
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
}

const DEFAULT_RESOURCES: FullResources = {
  cpu: { request: Cpu.units(1), limit: Cpu.units(4) },
  memory: { request: Size.gibibytes(2), limit: Size.gibibytes(8) },
};
/** Triton and its backends write scratch files here; the root filesystem stays read-only. */
const TMP_VOLUME: k8s.Volume = { name: 'tmp', emptyDir: { sizeLimit: k8s.Quantity.fromString('1Gi') } };
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
 * it reserves in the {@link GpuInventory}. Its NetworkPolicy admits the clients that called
 * `allowClient` and the monitoring that watches it, and lets nothing out: models are local.
 */
export class GpuWorkerPool extends Construct implements IScrapeTarget, IInferenceEndpoint, IRuleSource, IGpuConsumer, IConnectable, IPrometheusClient {
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
  /** What the autoscaler watches (used only when `maxWorkers` is above `minWorkers`). */
  public readonly scaling: Scaling;
  /** The network links of the workers: their clients and the monitoring that scrapes them. */
  public readonly connections: Connections;

  private readonly pods: ComponentPods;
  private readonly settings: Settings;
  private readonly prometheus: PrometheusLink;

  constructor(scope: Construct, id: string, props: GpuWorkerPoolProps) {
    super(scope, id);
    this.settings = resolveSettings(this, id, props);
    this.name = this.settings.name;
    this.namespace = props.namespace;
    this.minWorkers = this.settings.minWorkers;
    this.maxWorkers = this.settings.maxWorkers;
    this.slicesPerWorker = this.settings.slicesPerWorker;
    this.scaling = this.settings.scaling;
    this.host = `${this.name}.${this.namespace}.svc.${this.settings.clusterDomain}`;
    this.pods = new ComponentPods({
      ownerKind: 'GpuWorkerPool',
      identity: { name: 'inference-server', instance: this.name, component: 'gpu-worker-pool', version: imageTag(this.settings.image) },
      namespace: this.namespace,
      name: this.name,
    });
    this.connections = this.pods.connections;
    this.prometheus = prometheusLink(id, props.prometheusAddress, this.scaling);
    // A fixed pool queries nothing: only an autoscaled one needs to know where Prometheus is.
    if (this.isAutoscaled) this.node.addValidation({ validate: () => this.prometheus.problems() });

    const models = props.modelRepository.bind(this, {
      poolId: id, poolName: this.name, namespace: this.namespace, labels: this.pods.labels,
      maxWorkers: this.maxWorkers, nodes: props.inventory.nodes,
    });
    const serviceAccount = this.pods.addServiceAccount(this);
    const resources = serverResources(id, this.settings.resources, [models.volume, TMP_VOLUME], props.resources?.ephemeralStorage);
    this.addService();
    this.addDeployment(models, resources, props.inventory, serviceAccount);
    if (this.isAutoscaled) this.addScaledObject();
    this.pods.addDisruptionBudget(this);
    this.pods.addNetworkPolicy(this);
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
      podSelector: this.pods.selector,
      portName: 'metrics',
      port: this.settings.metricsPort,
      path: '/metrics',
      interval: Duration.seconds(15),
    };
  }

  /** The pool's Service; a client passes its NetworkPolicy once it is linked with {@link allowClient}. */
  public toInferenceEndpoint(): InferenceEndpoint {
    return {
      name: this.name,
      namespace: this.namespace,
      host: this.host,
      httpPort: this.settings.httpPort,
      grpcPort: this.settings.grpcPort,
    };
  }

  /** Lets `client`'s pods call the HTTP and gRPC ports, from any namespace. */
  public allowClient(client: IConnectable): void {
    // By a label on the clients: one peer per client namespace, however many detections call the pool.
    this.connections.allowFrom(client.connections, [this.settings.httpPort, this.settings.grpcPort], { byClientLabel: true });
  }

  /** The KEDA trigger queries the Prometheus of the monitoring that scrapes the pool, unless `prometheusAddress` names one. */
  public usePrometheus(endpoint: PrometheusEndpoint): void {
    if (this.isAutoscaled) this.prometheus.use(endpoint);
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
    const target = this.scaling.queueSizeOptions?.target ?? DEFAULT_QUEUE_TARGET;
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

  private addService(): void {
    new KubeService(this, 'service', {
      metadata: this.pods.metadata(),
      spec: {
        type: 'ClusterIP',
        selector: { ...this.pods.selector },
        ports: this.namedPorts().map(({ name, port }) => ({ name, port, targetPort: k8s.IntOrString.fromString(name), protocol: 'TCP' })),
      },
    });
  }

  /** The server's ports by the names the Service, the probes and the scrape target refer to. */
  private namedPorts(): ReadonlyArray<{ readonly name: string; readonly port: number }> {
    const { httpPort, grpcPort, metricsPort } = this.settings;
    return [{ name: 'http', port: httpPort }, { name: 'grpc', port: grpcPort }, { name: 'metrics', port: metricsPort }];
  }

  private addDeployment(models: ModelRepositoryBinding, resources: FullResources, inventory: GpuInventory, serviceAccount: PodServiceAccount): void {
    newDeployment(this, 'deployment', {
      metadata: this.pods.metadata(),
      singleReplicaReason: singleReplicaChosenBy('minWorkers', this.minWorkers) ?? singleGpuNode(inventory),
      spec: {
        // KEDA owns the replica count of an autoscaled pool: a `replicas` here would fight it on every sync.
        replicas: this.isAutoscaled ? undefined : this.minWorkers,
        revisionHistoryLimit: 3,
        selector: { matchLabels: { ...this.pods.selector } },
        // No surge: a surge worker needs a free GPU, which a fully reserved inventory does not have,
        // so every rollout would stall. One worker at a time is replaced instead.
        strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: k8s.IntOrString.fromNumber(0), maxUnavailable: k8s.IntOrString.fromNumber(1) } },
        template: { labels: this.pods.labels, connections: this.connections, spec: this.podSpec(models, resources, inventory, serviceAccount) },
      },
    });
  }

  private podSpec(models: ModelRepositoryBinding, resources: FullResources, inventory: GpuInventory, serviceAccount: PodServiceAccount): PodOptions {
    return {
      serviceAccount,
      tier: PriorityTier.ANALYSIS,
      priorityClassName: this.settings.priorityClassName,
      runtimeClassName: NVIDIA_RUNTIME_CLASS,
      terminationGracePeriodSeconds: 30,
      affinity: gpuNodeAffinity(inventory.nodeSelector, this.settings.gpuProduct),
      tolerations: gpuTolerations(),
      // No GPU node holds two workers while another eligible GPU node holds none, counting only
      // the GPU nodes: CPU-only nodes must not block scheduling.
      topologySpreadConstraints: this.pods.spreadOverNodes({ honorNodeAffinity: true }),
      initContainers: models.initContainers,
      containers: [this.serverContainer(models.volume.name, resources)],
      volumes: [models.volume, TMP_VOLUME],
    };
  }

  private serverContainer(modelsVolume: string, resources: FullResources): ContainerOptions {
    return {
      name: CONTAINER,
      image: this.settings.image,
      args: [...this.settings.args],
      // uid 65534 has no writable home; the Python and PyTorch backends cache under $HOME.
      env: [{ name: 'HOME', value: '/tmp' }],
      ports: this.namedPorts().map(({ name, port }) => ({ name, containerPort: port, protocol: 'TCP' })),
      // Loading models takes minutes: liveness and readiness wait until the server first reports ready.
      startupProbe: httpProbe('/v2/health/ready', 'http', { periodSeconds: PROBE_PERIOD_SECONDS, timeoutSeconds: 5, failureThreshold: this.settings.startupFailureThreshold }),
      readinessProbe: httpProbe('/v2/health/ready', 'http', { periodSeconds: PROBE_PERIOD_SECONDS, timeoutSeconds: 5, failureThreshold: 3 }),
      livenessProbe: httpProbe('/v2/health/live', 'http', { periodSeconds: 20, timeoutSeconds: 5, failureThreshold: 3 }),
      resources: resourcesWithGpus(resources, this.slicesPerWorker),
      volumeMounts: [
        { name: modelsVolume, mountPath: MODELS_PATH, readOnly: true },
        { name: 'tmp', mountPath: '/tmp' },
      ],
    };
  }

  private addScaledObject(): void {
    newScaledObject(this, 'scaled-object', {
      metadata: this.pods.metadata(),
      deployment: this.name,
      minReplicas: this.minWorkers,
      maxReplicas: this.maxWorkers,
      pollingIntervalSeconds: 15,
      behavior: {
        // A new worker loads models for minutes: a spike shorter than that is not worth a GPU.
        scaleUp: { stabilizationWindowSeconds: 60, selectPolicy: 'Max', policies: [{ type: 'Pods', value: 2, periodSeconds: 60 }] },
        // Bringing a worker back costs the same minutes: give GPUs back slowly.
        scaleDown: { stabilizationWindowSeconds: 600, selectPolicy: 'Max', policies: [{ type: 'Pods', value: 1, periodSeconds: 300 }] },
      },
      trigger: this.scalingTrigger(),
      prometheus: this.prometheus,
    });
  }

  /** One element, as KEDA needs: the pool's total, which KEDA divides by the per-worker target. */
  private scalingTrigger(): PrometheusTrigger {
    const { queueSizeOptions: queue, gpuUtilizationOptions: gpu, prometheusOptions: custom } = this.scaling;
    if (queue) {
      return { name: 'queue-size', metricType: 'AverageValue', query: `sum(${ScalingSignal.QUEUE_SIZE}{${this.seriesSelector}})`, threshold: queue.target };
    }
    if (gpu) {
      // dcgm-exporter labels a GPU with the pod that uses it; a scrape without honor_labels renames
      // those labels to exported_*, so both forms are matched.
      const pods = podNamePattern(this.name);
      const metric = ScalingSignal.GPU_UTILIZATION;
      const query = `sum(${metric}{namespace="${this.namespace}",pod=~"${pods}"} or ${metric}{exported_namespace="${this.namespace}",exported_pod=~"${pods}"})`;
      return { name: 'gpu-utilization', metricType: 'AverageValue', query, threshold: gpu.targetPercent };
    }
    return { name: 'prometheus-query', metricType: 'AverageValue', query: custom!.query, threshold: custom!.threshold, activationThreshold: custom!.activationThreshold };
  }
}

interface Settings {
  readonly name: string;
  readonly minWorkers: number;
  readonly maxWorkers: number;
  readonly slicesPerWorker: number;
  readonly gpuProduct?: string;
  readonly resources: FullResources;
  readonly scaling: Scaling;
  readonly image: string;
  readonly args: readonly string[];
  readonly httpPort: number;
  readonly grpcPort: number;
  readonly metricsPort: number;
  readonly startupFailureThreshold: number;
  readonly clusterDomain: string;
  readonly priorityClassName?: string;
}

function resolveSettings(scope: Construct, id: string, props: GpuWorkerPoolProps): Settings {
  const name = requireComponentName('GpuWorkerPool', id, props.name, MAX_NAME_LENGTH, 'yolo');
  requireDnsLabel('GpuWorkerPool', id, 'namespace', props.namespace);
  const minWorkers = props.minWorkers ?? 2;
  requireInteger('GpuWorkerPool', id, 'minWorkers', minWorkers, 1);
  const maxWorkers = props.maxWorkers ?? minWorkers;
  if (!Number.isInteger(maxWorkers) || maxWorkers < minWorkers) {
    throw propError('GpuWorkerPool', id, 'maxWorkers', maxWorkers, `an integer >= minWorkers (${minWorkers})`, "Raise 'maxWorkers', or lower 'minWorkers'.");
  }
  const ports = resolvePorts(id, props);
  // Ephemeral storage depends on the model repository's volume: serverResources adds it once bound.
  const resources = mergeResources(DEFAULT_RESOURCES, { cpu: props.resources?.cpu, memory: props.resources?.memory });
  checkResources('GpuWorkerPool', id, 'resources', resources);
  return {
    name,
    minWorkers,
    maxWorkers,
    slicesPerWorker: resolveSlices(id, props),
    gpuProduct: resolveGpuProduct(id, props.gpuProduct),
    resources,
    scaling: resolveScaling(id, props.scaling),
    image: resolveImage(id, props.image),
    args: resolveArgs(id, props.args, ports),
    ...ports,
    startupFailureThreshold: resolveStartupFailureThreshold(id, props.modelLoadTimeout),
    ...resolveScopedPodProps(scope, 'GpuWorkerPool', props),
  };
}

/**
 * CPU and memory, and ephemeral storage for the server's logs plus the pod's disk-backed
 * emptyDirs: in the limit, or the kubelet evicts the pod before an emptyDir is full; and in the
 * request, so that the scheduler only places a worker where the node has disk for its models.
 */
function serverResources(id: string, resources: FullResources, volumes: readonly k8s.Volume[], stated: EphemeralStorageResources | undefined): FullResources {
  // A Memory emptyDir counts against the memory limit instead; the builder refuses one without a sizeLimit.
  const onDisk = volumes.filter((v) => v.emptyDir?.sizeLimit !== undefined && v.emptyDir.medium !== 'Memory');
  const emptyDirs = onDisk.reduce((sum, v) => sum + memoryBytes(v.emptyDir!.sizeLimit!.value), 0);
  const ephemeralStorage: SizeRange = {
    request: stated?.request ?? sizeOfBytes(sizeBytes(DEFAULT_EPHEMERAL_STORAGE.request) + emptyDirs),
    limit: stated?.limit ?? sizeOfBytes(sizeBytes(DEFAULT_EPHEMERAL_STORAGE.limit) + emptyDirs),
  };
  for (const part of ['request', 'limit'] as const) {
    if (sizeBytes(ephemeralStorage[part]) < emptyDirs) {
      throw propError('GpuWorkerPool', id, `resources.ephemeralStorage.${part}`, ephemeralStorage[part].asString(),
        `at least the pod's emptyDirs (${onDisk.map((v) => v.name).join(', ')}), ${sizeOfBytes(emptyDirs).asString()}`,
        `Raise it, or leave it out to get the emptyDirs plus room for the logs${part === 'request' ? ': the scheduler must count the models' : ''}.`);
    }
  }
  const full = spreadOf(resources, { ephemeralStorage });
  checkResources('GpuWorkerPool', id, 'resources', full);
  return full;
}

function sizeBytes(size: Size): number {
  return memoryBytes(size.asString());
}

/** Whole bytes as a Size in the largest binary unit that holds them exactly, rounded up to KiB. */
function sizeOfBytes(bytes: number): Size {
  if (bytes > 0 && bytes % 2 ** 30 === 0) return Size.gibibytes(bytes / 2 ** 30);
  if (bytes > 0 && bytes % 2 ** 20 === 0) return Size.mebibytes(bytes / 2 ** 20);
  return Size.kibibytes(Math.ceil(bytes / 1024));
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

/** A signal of the pool's workers, or a query of the user's; never a fixed count or CPU. */
function resolveScaling(id: string, scaling: Scaling | undefined): Scaling {
  const resolved = scaling ?? Scaling.queueSize({ target: DEFAULT_QUEUE_TARGET });
  switch (resolved.kind) {
    case ScalingKind.FIXED:
    case ScalingKind.CPU:
      throw propError('GpuWorkerPool', id, 'scaling', describeScaling(resolved),
        'a signal of the pool: Scaling.queueSize, Scaling.gpuUtilization or Scaling.prometheus',
        'Set minWorkers = maxWorkers for a fixed pool; CPU is not what limits a GPU worker.');
    case ScalingKind.QUEUE_SIZE: {
      const target = resolved.queueSizeOptions!.target;
      if (!(target > 0 && Number.isFinite(target))) {
        throw propError('GpuWorkerPool', id, 'scaling.target', target, 'a number above 0', 'Aim for a few pending requests per worker, such as 4.');
      }
      break;
    }
    case ScalingKind.GPU_UTILIZATION: {
      const targetPercent = resolved.gpuUtilizationOptions!.targetPercent;
      if (!(targetPercent > 0 && targetPercent <= 100)) {
        throw propError('GpuWorkerPool', id, 'scaling.targetPercent', targetPercent, 'above 0 and at most 100', 'Aim for a utilization such as 70.');
      }
      break;
    }
    case ScalingKind.PROMETHEUS: {
      const { query, threshold } = resolved.prometheusOptions!;
      const problem = promqlSyntaxError(query);
      if (problem) throw propError('GpuWorkerPool', id, 'scaling.query', query, `valid PromQL (it ${problem})`, 'Check the query with promtool or the Prometheus UI.');
      if (!(threshold > 0 && Number.isFinite(threshold))) {
        throw propError('GpuWorkerPool', id, 'scaling.threshold', threshold, 'a number above 0', 'Set the value of the query one worker carries.');
      }
      break;
    }
  }
  return resolved;
}

function describeScaling(scaling: Scaling): string {
  return scaling.kind === ScalingKind.FIXED ? `Scaling.fixed(${scaling.replicas})` : `Scaling.cpu(${scaling.targetUtilizationPercent})`;
}

/**
 * Where the trigger's query goes: `prometheusAddress`, or the address of a `Scaling.prometheus`
 * (one of them, not two that differ), or else the monitoring that watches the pool.
 */
function prometheusLink(id: string, prometheusAddress: string | undefined, scaling: Scaling): PrometheusLink {
  const serverAddress = scaling.prometheusOptions?.serverAddress;
  if (prometheusAddress !== undefined && serverAddress !== undefined && prometheusAddress !== serverAddress) {
    throw propError('GpuWorkerPool', id, 'scaling.serverAddress', serverAddress, `the pool's 'prometheusAddress' (${prometheusAddress}) or left out`,
      "Name the Prometheus once, in 'prometheusAddress'.");
  }
  return prometheusAddress === undefined && serverAddress !== undefined
    ? new PrometheusLink('GpuWorkerPool', id, 'scaling.serverAddress', serverAddress)
    : new PrometheusLink('GpuWorkerPool', id, 'prometheusAddress', prometheusAddress);
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

/** A pool on an inventory of one GPU node runs there whatever its replicas: the user's declaration, recorded for the node-loss policy. */
function singleGpuNode(inventory: GpuInventory): string | undefined {
  return inventory.nodes === 1 ? `its GpuInventory '${inventory.node.id}' declares one GPU node: every worker runs there, whatever the replica count` : undefined;
}
