import { Duration, Size } from 'cdk8s';
import { ContainerResources, Cpu, k8s } from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { NotConfigDataError, toConfigYaml } from '../synth/config-yaml';
import { ScaledObject, ScaledObjectSpecFallbackBehavior } from '../../imports/keda.sh';
import { AlertSeverity, IRuleSource, RuleGroup, runbookUrl } from '../monitoring/alert-rules';
import { propError, requireInteger } from '../core/errors';
import { configChecksum } from '../core/config-checksum';
import { imageTag, requirePinnedImage } from '../core/images';
import { namespacePeer, podsPeer, tcpPort } from '../core/network';
import { INFERENCE_CLIENT_LABEL, IInferenceEndpoint, InferenceEndpoint } from '../inference/inference-endpoint';
import { ComponentIdentity, selectorLabels, standardLabels } from '../core/labels';
import { restrictedContainerSecurityContext, restrictedPodSecurityContext } from '../synth/pod/security';
import { FullResources, checkResources, mergeResources, toResourceRequirements } from '../synth/pod/resources';
import { RegistrySettings } from '../platform/registry-settings';
import { Scaling, ScalingKind } from '../synth/scaling';
import { IScrapeTarget, ScrapeTarget } from '../monitoring/scrape-target';
import { IStreamSource, SourceCamera, StreamSource } from '../cameras/stream-source';
import { promqlSyntaxError } from '../synth/validation/_promql-rules';
import { dns1035Label, dns1123Label } from '../core/names';
import { ConfigMapObject } from '../synth/config-map';
import { KubeDeployment, KubeHorizontalPodAutoscalerV2, KubeNetworkPolicy, KubePodDisruptionBudget, KubeService, KubeServiceAccount } from '../synth/kube-objects';

/** Where the container finds its inputs: part of the public contract, see the README. */
export const ANALYSIS_CONFIG_DIR = '/etc/video-analytics';
/** Pod annotation holding the hash of cameras and settings: a change rolls the pods. */
export const ANALYSIS_CHECKSUM_ANNOTATION = 'video-analytics.io/config-checksum';
/** The standalone MonitoringBundle's Prometheus, which KEDA queries by default. */
export const DEFAULT_PROMETHEUS_ADDRESS = 'http://prometheus.monitoring.svc:9090';

/** Cameras by label key and value, per camera list: built once per stream source, in its order. */
const labelIndexes = new WeakMap<readonly SourceCamera[], Map<string, Map<string, SourceCamera[]>>>();

function labelled(cameras: readonly SourceCamera[], [key, value]: [string, string]): readonly SourceCamera[] {
  let index = labelIndexes.get(cameras);
  if (index === undefined) {
    index = new Map();
    for (const camera of cameras) {
      for (const [k, v] of Object.entries(camera.spec.labels ?? {})) {
        const byValue = index.get(k) ?? index.set(k, new Map()).get(k)!;
        (byValue.get(v) ?? byValue.set(v, []).get(v)!).push(camera);
      }
    }
    labelIndexes.set(cameras, index);
  }
  return index.get(key)?.get(value) ?? [];
}

/**
 * Which cameras of a stream source an analysis service analyses: `StreamSelection.all(ingest)`,
 * `StreamSelection.cameras(ingest, ['cam-1', 'cam-2'])` or `StreamSelection.withLabels(ingest, { site: 'warehouse' })`.
 */
export class StreamSelection {
  /** Every camera of the source. */
  public static all(source: IStreamSource): StreamSelection {
    return new StreamSelection(source, (cameras) => cameras, 'all cameras');
  }

  /** The cameras with these ids; an id the source does not have is refused. */
  public static cameras(source: IStreamSource, cameraIds: readonly string[]): StreamSelection {
    const wanted = new Set(cameraIds);
    return new StreamSelection(source, (cameras) => cameras.filter((camera) => wanted.has(camera.spec.id)), `cameras ${cameraIds.join(', ')}`, cameraIds);
  }

  /** The cameras whose labels include all of these. */
  public static withLabels(source: IStreamSource, labels: { readonly [key: string]: string }): StreamSelection {
    const entries = Object.entries(labels);
    const matches = (camera: SourceCamera): boolean => entries.every(([k, v]) => camera.spec.labels?.[k] === v);
    // Through the label index: filtering every camera for every service is quadratic at city scale.
    const select = (cameras: readonly SourceCamera[]): readonly SourceCamera[] => (entries.length === 0 ? cameras : labelled(cameras, entries[0]).filter(matches));
    return new StreamSelection(source, select, `cameras labelled ${entries.map(([k, v]) => `${k}=${v}`).join(',')}`);
  }

  private constructor(
    private readonly source: IStreamSource,
    private readonly select: (cameras: readonly SourceCamera[]) => readonly SourceCamera[],
    /** How the selection was made, for error messages. */
    public readonly description: string,
    private readonly requiredIds: readonly string[] = [],
  ) {}

  /** The source and the selected cameras; throws in the owner's error style if the selection is wrong. */
  public resolve(owner: string, id: string): { source: StreamSource; cameras: readonly SourceCamera[] } {
    const source = this.source.toStreamSource();
    // Only selections by id need the set: building it for every service of a large platform is quadratic.
    const known = new Set(this.requiredIds.length > 0 ? source.cameras.map((c) => c.spec.id) : []);
    const unknown = this.requiredIds.filter((cameraId) => !known.has(cameraId));
    if (unknown.length > 0) {
      throw propError(owner, id, 'streams', unknown.join(', '), `cameras of stream source '${source.name}'`, `Use ids from its inventory, such as ${[...known].slice(0, 3).join(', ')}.`);
    }
    const cameras = this.select(source.cameras);
    if (cameras.length === 0) {
      throw propError(owner, id, 'streams', this.description, `a selection of at least one camera of stream source '${source.name}'`, 'Select cameras that exist.');
    }
    return { source, cameras };
  }
}

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
export interface AnalysisServiceProps {
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
   * PriorityClass of the pods.
   * @default - the cluster's default priority
   */
  readonly priorityClassName?: string;
  /**
   * Time the container gets to finish its frames after SIGTERM.
   * @default Duration.seconds(30)
   */
  readonly terminationGracePeriod?: Duration;
  /**
   * Namespace of the Prometheus that scrapes the service.
   * @default 'monitoring'
   */
  readonly monitoringNamespace?: string;
  /**
   * The cluster's DNS domain.
   * @default 'cluster.local'
   */
  readonly clusterDomain?: string;
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
 * load. The streams a replica analyses are decided by the container from the contract in the
 * README: every replica gets the selected cameras and takes its rendezvous share among its peers.
 */
export class AnalysisService extends Construct implements IScrapeTarget, IRuleSource {
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

  private readonly identity: ComponentIdentity;
  private readonly resolved: Resolved;

  /** The stream source the service reads, with every camera of it (`cameraIds` are the ones analysed). */
  public get streamSource(): StreamSource {
    return this.resolved.source;
  }

  constructor(scope: Construct, id: string, props: AnalysisServiceProps) {
    super(scope, id);
    this.resolved = resolve(id, props);
    this.name = this.resolved.name;
    this.namespace = props.namespace;
    this.cameraIds = this.resolved.cameras.map((c) => c.spec.id);
    this.scaling = this.resolved.scaling;
    this.minReplicas = this.resolved.minReplicas;
    this.maxReplicas = this.resolved.maxReplicas;
    this.identity = { name: this.name, instance: this.name, component: 'analysis', version: imageTag(props.image) };

    const data = {
      'cameras.json': camerasFile(this.resolved.cameras),
      'settings.yaml': settingsFile(id, props.settings ?? {}),
    };
    const labels = standardLabels(this.identity);
    const selector = selectorLabels(this.identity);
    const meta = { namespace: this.namespace, labels };

    new KubeServiceAccount(this, 'service-account', { metadata: { name: this.name, ...meta }, automountServiceAccountToken: false });
    new ConfigMapObject(this, 'config', { metadata: { name: this.name, ...meta }, data });
    new KubeService(this, 'service', {
      metadata: { name: this.name, ...meta },
      spec: { selector, ports: [{ name: 'http', port: this.resolved.port, targetPort: k8s.IntOrString.fromString('http'), protocol: 'TCP' }] },
    });
    // The ready replicas, as DNS records: how each replica finds its peers to take its share of streams.
    new KubeService(this, 'peers', {
      metadata: { name: `${this.name}-peers`, ...meta },
      spec: { clusterIp: 'None', publishNotReadyAddresses: false, selector, ports: [{ name: 'http', port: this.resolved.port, targetPort: k8s.IntOrString.fromString('http'), protocol: 'TCP' }] },
    });
    new KubeDeployment(this, 'deployment', {
      metadata: { name: this.name, ...meta },
      spec: {
        // An autoscaler owns the count: a replicas field here would make Argo CD and the autoscaler fight.
        replicas: this.scaling.isAutoscaled ? undefined : this.minReplicas,
        revisionHistoryLimit: 3,
        selector: { matchLabels: selector },
        strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: k8s.IntOrString.fromNumber(1), maxUnavailable: k8s.IntOrString.fromNumber(0) } },
        template: {
          metadata: { labels: { ...labels, ...this.clientLabels() }, annotations: { [ANALYSIS_CHECKSUM_ANNOTATION]: configChecksum(data) } },
          spec: this.podSpec(props, selector),
        },
      },
    });
    new KubePodDisruptionBudget(this, 'disruption-budget', {
      metadata: { name: this.name, ...meta },
      spec: { maxUnavailable: k8s.IntOrString.fromNumber(1), selector: { matchLabels: selector } },
    });
    this.addAutoscaler(meta);
    this.addNetworkPolicy(meta, selector, props.monitoringNamespace ?? 'monitoring');
  }

  /** The service's metrics on its HTTP port. */
  public toScrapeTarget(): ScrapeTarget {
    return {
      jobName: this.name,
      namespace: this.namespace,
      podSelector: selectorLabels(this.identity),
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

  private clientLabels(): Record<string, string> {
    return {
      [this.resolved.source.readerLabel]: 'true',
      ...(this.resolved.inference ? { [INFERENCE_CLIENT_LABEL]: 'true' } : {}),
    };
  }

  private podSpec(props: AnalysisServiceProps, selector: Record<string, string>): k8s.PodSpec {
    const { port, health } = this.resolved;
    return {
      serviceAccountName: this.name,
      automountServiceAccountToken: false,
      enableServiceLinks: false,
      imagePullSecrets: RegistrySettings.pullSecrets(this),
      priorityClassName: props.priorityClassName,
      securityContext: restrictedPodSecurityContext(),
      terminationGracePeriodSeconds: (props.terminationGracePeriod ?? Duration.seconds(30)).toSeconds(),
      topologySpreadConstraints: [
        { maxSkew: 1, topologyKey: 'kubernetes.io/hostname', whenUnsatisfiable: 'DoNotSchedule', labelSelector: { matchLabels: selector }, nodeTaintsPolicy: 'Honor' },
        { maxSkew: 1, topologyKey: 'topology.kubernetes.io/zone', whenUnsatisfiable: 'ScheduleAnyway', labelSelector: { matchLabels: selector }, nodeTaintsPolicy: 'Honor' },
      ],
      containers: [{
        name: CONTAINER,
        image: RegistrySettings.image(this, props.image),
        imagePullPolicy: 'IfNotPresent',
        env: this.contractEnv(props.clusterDomain ?? 'cluster.local'),
        ports: [{ name: 'http', containerPort: port, protocol: 'TCP' }],
        startupProbe: { httpGet: { path: health.startup, port: k8s.IntOrString.fromString('http') }, periodSeconds: 5, failureThreshold: 60, timeoutSeconds: 3 },
        readinessProbe: { httpGet: { path: health.readiness, port: k8s.IntOrString.fromString('http') }, periodSeconds: 10, failureThreshold: 3, timeoutSeconds: 3 },
        livenessProbe: { httpGet: { path: health.liveness, port: k8s.IntOrString.fromString('http') }, periodSeconds: 20, failureThreshold: 3, timeoutSeconds: 3 },
        resources: toResourceRequirements(this.resolved.resources),
        securityContext: restrictedContainerSecurityContext(),
        volumeMounts: [{ name: 'config', mountPath: ANALYSIS_CONFIG_DIR, readOnly: true }, { name: 'tmp', mountPath: '/tmp' }],
      }],
      volumes: [
        { name: 'config', configMap: { name: this.name } },
        { name: 'tmp', emptyDir: { sizeLimit: k8s.Quantity.fromString('256Mi') } },
      ],
    };
  }

  /** The environment half of the container contract (the README lists it). */
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

  private addAutoscaler(meta: { namespace: string; labels: Record<string, string> }): void {
    const target = { apiVersion: 'apps/v1', kind: 'Deployment', name: this.name };
    if (this.scaling.kind === ScalingKind.CPU) {
      new KubeHorizontalPodAutoscalerV2(this, 'autoscaler', {
        metadata: { name: this.name, ...meta },
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
      new ScaledObject(this, 'autoscaler', {
        metadata: { name: this.name, ...meta },
        spec: {
          scaleTargetRef: target,
          minReplicaCount: this.minReplicas,
          maxReplicaCount: this.maxReplicas,
          pollingInterval: 30,
          // Prometheus unreachable or the query empty: keep at least the replicas running now.
          fallback: { failureThreshold: 3, replicas: this.minReplicas, behavior: ScaledObjectSpecFallbackBehavior.CURRENT_REPLICAS_IF_HIGHER },
          advanced: { horizontalPodAutoscalerConfig: { behavior: scalingBehavior() } },
          triggers: [{
            type: 'prometheus',
            metadata: {
              serverAddress: trigger.serverAddress ?? DEFAULT_PROMETHEUS_ADDRESS,
              query: trigger.query,
              threshold: String(trigger.threshold),
              ...(trigger.activationThreshold !== undefined ? { activationThreshold: String(trigger.activationThreshold) } : {}),
              // An empty result is an error (and triggers the fallback), not a zero that scales down.
              ignoreNullValues: 'false',
            },
          }],
        },
      });
    }
  }

  private addNetworkPolicy(meta: { namespace: string; labels: Record<string, string> }, selector: Record<string, string>, monitoringNamespace: string): void {
    const { source, inference, port } = this.resolved;
    new KubeNetworkPolicy(this, 'network-policy', {
      metadata: { name: this.name, ...meta },
      spec: {
        podSelector: { matchLabels: selector },
        policyTypes: ['Ingress', 'Egress'],
        ingress: [{ from: [namespacePeer(monitoringNamespace)], ports: [tcpPort(port)] }],
        egress: [
          { to: [podsPeer(source.podSelector, source.namespace, this.namespace)], ports: [tcpPort(source.port)] },
          ...(inference ? [{ to: [podsPeer(inference.podSelector, inference.namespace, this.namespace)], ports: [tcpPort(inference.httpPort), tcpPort(inference.grpcPort)] }] : []),
        ],
      },
    });
  }
}

function resolve(id: string, props: AnalysisServiceProps): Resolved {
  const name = props.name ?? id;
  const nameProblem = dns1035Label(name) ?? (name.length > MAX_NAME_LENGTH ? `must be no more than ${MAX_NAME_LENGTH} characters` : undefined);
  if (nameProblem) {
    throw propError('AnalysisService', id, props.name === undefined ? 'name (from the construct id)' : 'name', name, `a DNS-1035 label of at most ${MAX_NAME_LENGTH} characters (${nameProblem})`, "Pass a 'name' such as 'safety-helmet'.");
  }
  const namespaceProblem = dns1123Label(props.namespace);
  if (namespaceProblem) throw propError('AnalysisService', id, 'namespace', props.namespace, `a DNS-1123 label (${namespaceProblem})`, 'Use the name of an existing namespace.');
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
