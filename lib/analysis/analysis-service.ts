import { Duration, Size } from 'cdk8s';
import { ContainerResources, Cpu, k8s } from '../core/cdk8s-plus';
import { Construct } from 'constructs';
import { StreamSelection } from '../cameras/stream-selection';
import { SourceCamera, StreamSource } from '../cameras/stream-source';
import { propError, requireComponentName, requireDnsLabel, requireInteger } from '../core/errors';
import { imageTag, requirePinnedImage } from '../core/images';
import { IInferenceEndpoint, InferenceEndpoint } from '../inference/inference-endpoint';
import { AlertSeverity, IRuleSource, RuleGroup, runbookUrl } from '../monitoring/alert-rules';
import { IScrapeTarget, ScrapeTarget } from '../monitoring/scrape-target';
import { IPrometheusClient, PrometheusEndpoint, PrometheusLink, newScaledObject } from '../synth/autoscaler';
import { ConfigMapObject } from '../synth/config-map';
import { NotConfigDataError, toConfigYaml } from '../synth/config-yaml';
import { Connections, IConnectable } from '../synth/connections';
import { KubeHorizontalPodAutoscalerV2, KubeService } from '../synth/kube-objects';
import { PodOptions, PodServiceAccount, PriorityTier, newDeployment, singleReplicaChosenBy } from '../synth/pod/builder';
import { ComponentPods, httpProbe, servicePort, surgeBeforeStopping } from '../synth/pod/component-pods';
import { FullResources, checkResources, mergeResources, toResourceRequirements } from '../synth/pod/resources';
import { ScopedPodProps, resolveScopedPodProps } from '../synth/pod/scope-settings';
import { Scaling, ScalingKind } from '../synth/scaling';
import { promqlSyntaxError } from '../synth/validation/_promql-rules';

/** Where the container finds its inputs: part of the public contract (docs/constructs.md, "The container contract"). */
export const ANALYSIS_CONFIG_DIR = '/etc/video-analytics';
/** Paths the kubelet probes on the service's HTTP port. */
export interface HealthPaths {
  /**
   * Ready to take streams.
   * @default '/healthz/ready'
   */
  readonly readiness?: string;
  /**
   * Alive; failing restarts the container.
   * @default '/healthz/live'
   */
  readonly liveness?: string;
  /**
   * Started, probed until it first succeeds (for slow model or pipeline start-up).
   * @default - the readiness path
   */
  readonly startup?: string;
}

/** Props of {@link AnalysisService}. */
export interface AnalysisServiceProps extends ScopedPodProps {
  /** Namespace of every object the service creates. */
  readonly namespace: string;
  /** The detection image, pinned by tag or digest (`latest` and untagged images are refused). */
  readonly image: string;
  /** Which camera streams the service analyses. */
  readonly streams: StreamSelection;
  /**
   * Name of the detection type and prefix of every object, e.g. `safety-helmet`. A DNS-1035 label of at most 50 characters.
   * @default - the construct id
   */
  readonly name?: string;
  /**
   * Most streams one replica analyses; sets the least number of replicas.
   * @default 4
   */
  readonly streamsPerReplica?: number;
  /**
   * The inference pool the service calls.
   * @default - none: the service runs its models itself
   */
  readonly inference?: IInferenceEndpoint;
  /**
   * Free-form settings of the detection, mounted as `settings.yaml`; a change rolls the pods.
   * @default - an empty settings file
   */
  readonly settings?: { readonly [key: string]: unknown };
  /**
   * CPU and memory of the container; fields left out keep their default.
   * @default - requests 500m CPU and 512Mi memory, limits 2 CPU and 1Gi memory
   */
  readonly resources?: ContainerResources;
  /**
   * HTTP port of the container: health checks and Prometheus metrics.
   * @default 8080
   */
  readonly port?: number;
  /**
   * Health check paths on `port`.
   * @default - see HealthPaths
   */
  readonly healthPaths?: HealthPaths;
  /**
   * Path of the Prometheus metrics on `port`.
   * @default '/metrics'
   */
  readonly metricsPath?: string;
  /**
   * Fewest replicas; at least enough for every selected stream at `streamsPerReplica`.
   * @default - max(2, ceil(selected cameras / streamsPerReplica))
   */
  readonly minReplicas?: number;
  /**
   * Most replicas an autoscaler may run. Only for `Scaling.cpu` and `Scaling.prometheus`.
   * @default - twice minReplicas
   */
  readonly maxReplicas?: number;
  /**
   * How the replica count is decided.
   * @default - Scaling.fixed(minReplicas)
   */
  readonly scaling?: Scaling;
  /**
   * Time the container gets to finish its frames after SIGTERM.
   * @default Duration.seconds(30)
   */
  readonly terminationGracePeriod?: Duration;
}

const DEFAULT_RESOURCES: FullResources = {
  cpu: { request: Cpu.millis(500), limit: Cpu.units(2) },
  memory: { request: Size.mebibytes(512), limit: Size.gibibytes(1) },
};
const MAX_NAME_LENGTH = 50;
const CONTAINER = 'detector';

interface Resolved {
  readonly name: string;
  readonly source: StreamSource;
  readonly cameras: readonly SourceCamera[];
  readonly streamsPerReplica: number;
  readonly minReplicas: number;
  readonly maxReplicas: number;
  readonly scaling: Scaling;
  readonly resources: FullResources;
  readonly port: number;
  readonly health: Required<HealthPaths>;
  readonly metricsPath: string;
  readonly inference?: InferenceEndpoint;
}

/**
 * One detection type (safety helmet, intrusion, smoke, ...) as a highly available service: it
 * reads camera streams from a stream source, sends frames to an inference pool and scales with
 * load. The streams a replica analyses are decided by the container from the contract in
 * docs/constructs.md: every replica gets the selected cameras and takes its rendezvous share among its peers.
 */
export class AnalysisService extends Construct implements IScrapeTarget, IRuleSource, IConnectable, IPrometheusClient {
  /** Name of the detection type and prefix of every object. */
  public readonly name: string;
  /** Namespace of every object. */
  public readonly namespace: string;
  /** Ids of the cameras this service analyses, sorted. */
  public readonly cameraIds: readonly string[];
  /** How the replica count is decided. */
  public readonly scaling: Scaling;
  /** Fewest replicas. */
  public readonly minReplicas: number;
  /** Most replicas (equal to minReplicas for fixed scaling). */
  public readonly maxReplicas: number;
  /** The network links of the service's pods: its streams, its inference pool, monitoring. */
  public readonly connections: Connections;

  private readonly pods: ComponentPods;
  private readonly resolved: Resolved;
  private readonly prometheus?: PrometheusLink;
  private readonly scoped: { clusterDomain: string; priorityClassName?: string };

  /** The stream source the service reads, with every camera of it (`cameraIds` are the ones analysed). */
  public get streamSource(): StreamSource {
    return this.resolved.source;
  }

  constructor(scope: Construct, id: string, props: AnalysisServiceProps) {
    super(scope, id);
    this.resolved = resolve(id, props);
    this.scoped = resolveScopedPodProps(this, 'AnalysisService', props);
    this.name = this.resolved.name;
    this.namespace = props.namespace;
    this.cameraIds = this.resolved.cameras.map((c) => c.spec.id);
    this.scaling = this.resolved.scaling;
    this.minReplicas = this.resolved.minReplicas;
    this.maxReplicas = this.resolved.maxReplicas;
    const identity = { name: this.name, instance: this.name, component: 'analysis', version: imageTag(props.image) };
    this.pods = new ComponentPods({ ownerKind: 'AnalysisService', identity, namespace: this.namespace });
    this.connections = this.pods.connections;
    props.streams.source.allowReader(this);
    props.inference?.allowClient(this);
    if (this.scaling.kind === ScalingKind.PROMETHEUS) {
      this.prometheus = new PrometheusLink('AnalysisService', id, 'scaling.serverAddress', this.scaling.prometheusOptions!.serverAddress);
      this.node.addValidation({ validate: () => this.prometheus!.problems() });
    }

    const data = {
      'cameras.json': camerasFile(this.resolved.cameras),
      'settings.yaml': settingsFile(id, props.settings ?? {}),
    };
    const { labels, selector } = this.pods;
    const serviceAccount = this.pods.addServiceAccount(this);
    new ConfigMapObject(this, 'config', { metadata: this.pods.metadata(), data });
    new KubeService(this, 'service', { metadata: this.pods.metadata(), spec: { selector: { ...selector }, ports: [servicePort('http', this.resolved.port)] } });
    // The ready replicas, as DNS records: how each replica finds its peers to take its share of streams.
    new KubeService(this, 'peers', {
      metadata: this.pods.metadata(`${this.name}-peers`),
      spec: { clusterIp: 'None', publishNotReadyAddresses: false, selector: { ...selector }, ports: [servicePort('http', this.resolved.port)] },
    });
    newDeployment(this, 'deployment', {
      metadata: this.pods.metadata(),
      singleReplicaReason: singleReplicaChosenBy(this.scaling.kind === ScalingKind.FIXED && props.scaling ? 'scaling (Scaling.fixed)' : 'minReplicas', this.minReplicas),
      spec: {
        // An autoscaler owns the count: a replicas field here would make Argo CD and the autoscaler fight.
        replicas: this.scaling.isAutoscaled ? undefined : this.minReplicas,
        revisionHistoryLimit: 3,
        selector: { matchLabels: { ...selector } },
        strategy: surgeBeforeStopping(),
        template: { labels, connections: this.connections, config: data, spec: this.podSpec(props, serviceAccount) },
      },
    });
    this.pods.addDisruptionBudget(this);
    this.addAutoscaler();
    this.pods.addNetworkPolicy(this);
  }

  /** Its KEDA trigger queries the Prometheus of the monitoring that scrapes it, unless `scaling.serverAddress` names one. */
  public usePrometheus(endpoint: PrometheusEndpoint): void {
    this.prometheus?.use(endpoint);
  }

  /** The service's metrics on its HTTP port. */
  public toScrapeTarget(): ScrapeTarget {
    return {
      jobName: this.name,
      namespace: this.namespace,
      podSelector: this.pods.selector,
      portName: 'http',
      port: this.resolved.port,
      path: this.resolved.metricsPath,
      interval: Duration.seconds(30),
    };
  }

  /** Replicas short of the wanted count, an autoscaler at its ceiling, frames falling behind. */
  public toRuleGroups(): RuleGroup[] {
    const ns = `namespace="${this.namespace}"`;
    const hpa = this.scaling.kind === ScalingKind.PROMETHEUS ? `keda-hpa-${this.name}` : this.name;
    const alerts = [
      {
        alert: 'AnalysisReplicasMismatch',
        expr: `kube_deployment_spec_replicas{${ns},deployment="${this.name}"} != kube_deployment_status_replicas_available{${ns},deployment="${this.name}"}`,
        for: Duration.minutes(15),
        severity: AlertSeverity.WARNING,
        summary: `Analysis service ${this.name} runs fewer replicas than wanted`,
        description: `{{ $value }} replicas of ${this.name} are available, fewer than its spec: some camera streams are not analysed.`,
        runbookUrl: runbookUrl('AnalysisReplicasMismatch'),
      },
      {
        alert: 'AnalysisProcessingLag',
        expr: `max by (camera) (video_analytics_processing_lag_seconds{${ns},job="${this.name}"}) > 5`,
        for: Duration.minutes(10),
        severity: AlertSeverity.WARNING,
        summary: `${this.name} falls behind on camera {{ $labels.camera }}`,
        description: `${this.name} analyses frames of {{ $labels.camera }} {{ $value }} s after capture: detections arrive late.`,
        runbookUrl: runbookUrl('AnalysisProcessingLag'),
      },
    ];
    if (this.scaling.isAutoscaled) {
      alerts.push({
        alert: 'AnalysisAutoscalerMaxedOut',
        expr: `kube_horizontalpodautoscaler_status_current_replicas{${ns},horizontalpodautoscaler="${hpa}"} == kube_horizontalpodautoscaler_spec_max_replicas{${ns},horizontalpodautoscaler="${hpa}"}`,
        for: Duration.minutes(15),
        severity: AlertSeverity.WARNING,
        summary: `${this.name} has run at its maximum replicas for 15 minutes`,
        description: `The autoscaler of ${this.name} cannot add replicas beyond ${this.maxReplicas}: raise maxReplicas or streamsPerReplica capacity.`,
        runbookUrl: runbookUrl('AnalysisAutoscalerMaxedOut'),
      });
    }
    return [{ name: `analysis-${this.name}`, alerts }];
  }

  private podSpec(props: AnalysisServiceProps, serviceAccount: PodServiceAccount): PodOptions {
    const { port, health } = this.resolved;
    return {
      serviceAccount,
      tier: PriorityTier.ANALYSIS,
      priorityClassName: this.scoped.priorityClassName,
      terminationGracePeriodSeconds: (props.terminationGracePeriod ?? Duration.seconds(30)).toSeconds(),
      topologySpreadConstraints: this.pods.spreadOverNodes(),
      containers: [{
        name: CONTAINER,
        image: props.image,
        env: this.contractEnv(this.scoped.clusterDomain),
        ports: [{ name: 'http', containerPort: port, protocol: 'TCP' }],
        startupProbe: httpProbe(health.startup, 'http', { periodSeconds: 5, failureThreshold: 60, timeoutSeconds: 3 }),
        readinessProbe: httpProbe(health.readiness, 'http', { periodSeconds: 10, failureThreshold: 3, timeoutSeconds: 3 }),
        livenessProbe: httpProbe(health.liveness, 'http', { periodSeconds: 20, failureThreshold: 3, timeoutSeconds: 3 }),
        resources: toResourceRequirements(this.resolved.resources),
        volumeMounts: [{ name: 'config', mountPath: ANALYSIS_CONFIG_DIR, readOnly: true }, { name: 'tmp', mountPath: '/tmp' }],
      }],
      volumes: [
        { name: 'config', configMap: { name: this.name } },
        { name: 'tmp', emptyDir: { sizeLimit: k8s.Quantity.fromString('256Mi') } },
      ],
    };
  }

  /** The environment half of the container contract (docs/constructs.md lists it). */
  private contractEnv(clusterDomain: string): k8s.EnvVar[] {
    const { inference, port, streamsPerReplica } = this.resolved;
    return [
      { name: 'DETECTION_TYPE', value: this.name },
      { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
      { name: 'POD_NAMESPACE', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
      { name: 'POD_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
      { name: 'PEERS_SERVICE', value: `${this.name}-peers.${this.namespace}.svc.${clusterDomain}` },
      { name: 'STREAMS_PER_REPLICA', value: String(streamsPerReplica) },
      { name: 'CAMERAS_FILE', value: `${ANALYSIS_CONFIG_DIR}/cameras.json` },
      { name: 'SETTINGS_FILE', value: `${ANALYSIS_CONFIG_DIR}/settings.yaml` },
      { name: 'HTTP_PORT', value: String(port) },
      ...(inference ? [
        { name: 'INFERENCE_HTTP_URL', value: `http://${inference.host}:${inference.httpPort}` },
        { name: 'INFERENCE_GRPC_ADDRESS', value: `${inference.host}:${inference.grpcPort}` },
      ] : []),
    ];
  }

  private addAutoscaler(): void {
    const target = { apiVersion: 'apps/v1', kind: 'Deployment', name: this.name };
    if (this.scaling.kind === ScalingKind.CPU) {
      new KubeHorizontalPodAutoscalerV2(this, 'autoscaler', {
        metadata: this.pods.metadata(),
        spec: {
          scaleTargetRef: target,
          minReplicas: this.minReplicas,
          maxReplicas: this.maxReplicas,
          metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: this.scaling.targetUtilizationPercent } } }],
          behavior: scalingBehavior(),
        },
      });
    } else if (this.scaling.kind === ScalingKind.PROMETHEUS) {
      const trigger = this.scaling.prometheusOptions!;
      newScaledObject(this, 'autoscaler', {
        metadata: this.pods.metadata(),
        deployment: this.name,
        minReplicas: this.minReplicas,
        maxReplicas: this.maxReplicas,
        pollingIntervalSeconds: 30,
        behavior: scalingBehavior(),
        trigger: { query: trigger.query, threshold: trigger.threshold, activationThreshold: trigger.activationThreshold },
        prometheus: this.prometheus!,
      });
    }
  }
}

function resolve(id: string, props: AnalysisServiceProps): Resolved {
  const name = requireComponentName('AnalysisService', id, props.name, MAX_NAME_LENGTH, 'safety-helmet');
  requireDnsLabel('AnalysisService', id, 'namespace', props.namespace);
  requirePinnedImage('AnalysisService', id, 'image', props.image);

  const streamsPerReplica = props.streamsPerReplica ?? 4;
  requireInteger('AnalysisService', id, 'streamsPerReplica', streamsPerReplica, 1);
  const { source, cameras } = props.streams.resolve('AnalysisService', id);
  const needed = Math.ceil(cameras.length / streamsPerReplica);
  const scaling = props.scaling;

  if (scaling && scaling.kind === ScalingKind.FIXED && (props.minReplicas !== undefined || props.maxReplicas !== undefined)) {
    throw propError('AnalysisService', id, props.minReplicas !== undefined ? 'minReplicas' : 'maxReplicas', props.minReplicas ?? props.maxReplicas,
      'left out with Scaling.fixed(n)', 'Remove it, or choose Scaling.cpu() or Scaling.prometheus() to autoscale between minReplicas and maxReplicas.');
  }
  if (!scaling && props.maxReplicas !== undefined) {
    throw propError('AnalysisService', id, 'maxReplicas', props.maxReplicas, 'used with an autoscaling choice', "Add 'scaling: Scaling.cpu(70)' or 'Scaling.prometheus({...})', or remove maxReplicas.");
  }
  const minReplicas = scaling?.replicas ?? props.minReplicas ?? Math.max(2, needed);
  requireInteger('AnalysisService', id, scaling?.kind === ScalingKind.FIXED ? 'scaling (Scaling.fixed)' : 'minReplicas', minReplicas, 1);
  if (minReplicas < needed) {
    throw propError('AnalysisService', id, scaling?.kind === ScalingKind.FIXED ? 'scaling (Scaling.fixed)' : 'minReplicas', minReplicas,
      `at least ${needed} so that ${cameras.length} streams fit at ${streamsPerReplica} per replica`, "Raise it, or raise 'streamsPerReplica'.");
  }
  const maxReplicas = scaling?.isAutoscaled ? props.maxReplicas ?? minReplicas * 2 : minReplicas;
  requireInteger('AnalysisService', id, 'maxReplicas', maxReplicas, 1);
  if (maxReplicas < minReplicas) {
    throw propError('AnalysisService', id, 'minReplicas', minReplicas, `at most maxReplicas (${maxReplicas})`, 'Lower minReplicas or raise maxReplicas.');
  }
  checkScaling(id, scaling);

  const resources = mergeResources(DEFAULT_RESOURCES, props.resources);
  checkResources('AnalysisService', id, 'resources', resources);
  const port = props.port ?? 8080;
  if (!Number.isInteger(port) || port < 1024 || port > 65535) {
    throw propError('AnalysisService', id, 'port', port, 'an integer from 1024 to 65535', 'Non-root containers cannot bind ports below 1024; use 8080.');
  }
  const readiness = props.healthPaths?.readiness ?? '/healthz/ready';
  const health = { readiness, liveness: props.healthPaths?.liveness ?? '/healthz/live', startup: props.healthPaths?.startup ?? readiness };
  for (const [which, path] of Object.entries(health)) {
    if (!path.startsWith('/')) throw propError('AnalysisService', id, `healthPaths.${which}`, path, "an absolute path starting with '/'", "Write it like '/healthz'.");
  }
  return {
    name, source, cameras, streamsPerReplica, minReplicas, maxReplicas,
    scaling: scaling ?? Scaling.fixed(minReplicas),
    resources, port, health,
    metricsPath: props.metricsPath ?? '/metrics',
    inference: props.inference?.toInferenceEndpoint(),
  };
}

function checkScaling(id: string, scaling: Scaling | undefined): void {
  if (scaling?.kind === ScalingKind.QUEUE_SIZE || scaling?.kind === ScalingKind.GPU_UTILIZATION) {
    throw propError('AnalysisService', id, 'scaling', `Scaling.${scaling.kind === ScalingKind.QUEUE_SIZE ? 'queueSize' : 'gpuUtilization'}`,
      "Scaling.fixed, Scaling.cpu or Scaling.prometheus: the queue and GPU signals are an inference pool's", "Scale the pool on them, and the detection on CPU or a query of its own.");
  }
  if (scaling?.kind === ScalingKind.CPU) {
    const target = scaling.targetUtilizationPercent!;
    if (!Number.isInteger(target) || target < 1 || target > 100) {
      throw propError('AnalysisService', id, 'scaling (Scaling.cpu)', target, 'an integer percentage from 1 to 100', 'Use a target such as 70.');
    }
  }
  const prometheus = scaling?.prometheusOptions;
  if (prometheus) {
    const problem = promqlSyntaxError(prometheus.query);
    if (problem) throw propError('AnalysisService', id, 'scaling.query', prometheus.query, `valid PromQL (it ${problem})`, 'Check the query with promtool or the Prometheus UI.');
    if (!(prometheus.threshold > 0)) throw propError('AnalysisService', id, 'scaling.threshold', prometheus.threshold, 'a number above 0', 'Set the load one replica handles.');
  }
}




/** `cameras.json`: the file half of the container contract. */
function camerasFile(cameras: readonly SourceCamera[]): string {
  return JSON.stringify(cameras.map((c) => ({ id: c.spec.id, streamUrl: c.streamUrl, labels: c.spec.labels ?? {} })), null, 2) + '\n';
}


/** Up fast when frames pile up; down slowly, since a scale-down moves streams between replicas. */
function scalingBehavior(): k8s.HorizontalPodAutoscalerBehaviorV2 {
  return {
    scaleUp: { stabilizationWindowSeconds: 0, selectPolicy: 'Max', policies: [{ type: 'Pods', value: 4, periodSeconds: 60 }, { type: 'Percent', value: 100, periodSeconds: 60 }] },
    scaleDown: { stabilizationWindowSeconds: 300, selectPolicy: 'Min', policies: [{ type: 'Percent', value: 50, periodSeconds: 60 }] },
  };
}

/** `settings.yaml`; a value YAML cannot carry as data is refused, naming where it is. */
function settingsFile(id: string, settings: { readonly [key: string]: unknown }): string {
  try {
    return toConfigYaml(settings);
  } catch (error) {
    if (!(error instanceof NotConfigDataError)) throw error;
    throw propError('AnalysisService', id, ['settings', ...error.path].join('.'), String(error.value), error.rule,
      'Give plain data; write a date as an ISO string.');
  }
}
