import { Duration } from 'cdk8s';
import { k8s } from '../core/cdk8s-plus';
import { Construct } from 'constructs';
import { RuleGroup } from './alert-rules';
import { goRuntimeEnv, toResourceRequirements } from '../synth/pod/resources';
import { READINESS, addClusterReader, addService, monitoringPods } from './_component';
import { ScrapeTarget } from './scrape-target';
import { escapeRegex, lazy, promDuration, sanitizeLabelName, wholeMebibytes } from './_format';
import { toConfigYaml } from '../synth/config-yaml';
import { KUBELET_JOB } from './_platform-rules';
import { Problem, configMapEntryBytes, ruleFile, ruleFileName } from './_rules';
import { MonitoringSettings, PROMETHEUS_IMAGE, SERVICE_ACCOUNT_DIR } from './_settings';
import { compare } from './_targets';
import { ConfigMapObject } from '../synth/config-map';
import { Connections, addressPeers, namespacePeer } from '../synth/connections';
import { ContainerOptions, PodServiceAccount, PriorityTier, newStatefulSet, singleReplicaChosenBy } from '../synth/pod/builder';
import { ComponentPods, httpProbe } from '../synth/pod/component-pods';
import { MAX_DATA_BYTES } from '../synth/validation/_size-rules';
import { externalLabelsConfig, fleetArgs, remoteWriteConfig, remoteWriteSecretVolumes } from './_fleet';
import { spreadOf } from '../core/spread';

/** A scrape target plus the few knobs that only the bundle's own exporters need. */
export interface ScrapeJob extends ScrapeTarget {
  /** The exporter's own `namespace`, `pod` and `container` labels describe other objects and must win. */
  readonly honorLabels?: boolean;
  /** Label series with the node name as `instance`, as node-exporter alerts and dashboards expect. */
  readonly instanceIsNode?: boolean;
  /** The pods use the host network: NetworkPolicies see them as node addresses, not as pods. */
  readonly hostNetwork?: boolean;
}

export const PROMETHEUS_PORT = 9090;
/** The kubelet's HTTPS port on every node; it serves its own metrics and cAdvisor's. */
const KUBELET_PORT = 10250;
/** The API server: K3s listens on 6443 on server nodes; in-cluster clients dial the `kubernetes` Service on 443. */
const API_SERVER_PORTS = [443, 6443];
export const CADVISOR_JOB = 'cadvisor';
const DEFAULT_TIMEOUT_MILLIS = 10_000;
const CONFIG_DIR = '/etc/prometheus/config';
const RULES_DIR = '/etc/prometheus/rules';
const RULES_CONFIG_MAP = 'prometheus-rules';
/**
 * How much YAML the rule files of one ConfigMap take at most (see {@link configMapEntryBytes}),
 * leaving 32 KiB for the rest of the object: every rule ConfigMap stays under 512 KiB of YAML,
 * half the 1 MiB the API server stores, whatever the number of cameras. Packed up to 1 MiB of
 * data, they took 1.16 MB of YAML each at 10,000 cameras. A single file bigger than this gets a
 * ConfigMap of its own (up to the 1 MiB a ConfigMap holds).
 */
export const RULE_CONFIG_MAP_BYTES = 480 * 1024;
const DATA_DIR = '/prometheus';
/** The StatefulSet's governing Service: headless, it gives each replica a DNS name of its own. */
const PROMETHEUS_HEADLESS_SERVICE = 'prometheus-headless';
/**
 * The external label that tells the replicas of the HA pair apart wherever their data leaves
 * Prometheus (remote write, federation). Its value is the pod's name, expanded by Prometheus
 * from the environment (`--enable-feature=expand-external-labels`).
 */
const REPLICA_LABEL = 'replica';
const POD_NAME_ENV = 'POD_NAME';
/**
 * Why a fleet's central Prometheus runs alone: every remote write lands on one replica of those
 * behind its Service, so each replica would hold part of each site's series and alert that the
 * rest went silent.
 */
const CENTRAL_SINGLE_REPLICA_REASON = "the fleet's central Prometheus: remote writes through one Service would spread each site's series over the replicas, and each would miss the others' share; sites keep about two hours in their write-ahead log and resend after a restart";

/**
 * The kubelet's registry on K3s also holds the metrics of the API server, scheduler and
 * controller manager that run in the same process: keeping only the kubelet's own avoids
 * storing them once per node.
 */
const KUBELET_METRICS = 'kubelet_.+|volume_manager_total_volumes|storage_operation_.+|process_(cpu_seconds_total|resident_memory_bytes|start_time_seconds)|go_goroutines';
/** The cAdvisor series that dashboards and capacity questions use; the rest costs memory on a small node. */
const CADVISOR_METRICS = 'container_cpu_usage_seconds_total|container_cpu_cfs_(throttled_)?periods_total|container_memory_working_set_bytes|container_memory_rss|container_oom_events_total|container_network_(receive|transmit)_bytes_total|container_fs_(reads|writes)_bytes_total|machine_cpu_cores|machine_memory_bytes';

/**
 * The Prometheus configuration file: a scrape config per scrape target (jobs of the same shape
 * merged, see {@link sameShapeGroups}), plus the kubelet and cAdvisor of every node.
 */
export function prometheusConfig(settings: MonitoringSettings, jobs: readonly ScrapeJob[], alertmanager: ScrapeTarget): Record<string, unknown> {
  const timeoutMillis = Math.min(DEFAULT_TIMEOUT_MILLIS, settings.scrapeInterval.toMilliseconds());
  return {
    global: {
      scrape_interval: promDuration(settings.scrapeInterval),
      scrape_timeout: promDuration(Duration.millis(timeoutMillis)),
      evaluation_interval: promDuration(settings.evaluationInterval),
      external_labels: externalLabelsConfig(settings, `\${${POD_NAME_ENV}}`),
    },
    rule_files: [`${RULES_DIR}/*.rules.yaml`],
    alerting: {
      // Both replicas evaluate the same rules on the same series: without their replica label
      // their alerts are identical, and Alertmanager sends each once.
      alert_relabel_configs: [{ action: 'labeldrop', regex: REPLICA_LABEL }],
      alertmanagers: [{
        api_version: 'v2',
        // Every replica gets every alert: Alertmanager deduplicates among its peers.
        kubernetes_sd_configs: [{ role: 'pod', namespaces: { names: [alertmanager.namespace] } }],
        relabel_configs: keepPods(alertmanager),
      }],
    },
    scrape_configs: [
      ...podScrapeConfigs([...jobs].sort((a, b) => compare(a.jobName, b.jobName)), timeoutMillis),
      nodeJob(settings, KUBELET_JOB, '/metrics', KUBELET_METRICS),
      nodeJob(settings, CADVISOR_JOB, '/metrics/cadvisor', CADVISOR_METRICS),
    ].sort((a, b) => (a.job_name < b.job_name ? -1 : 1)),
    remote_write: remoteWriteConfig(settings),
  };
}

/** Keeps the pods of one target: its namespace is the discovery's, its labels and port name are kept here. */
function keepPods(target: ScrapeTarget): Array<Record<string, unknown>> {
  return [
    ...Object.keys(target.podSelector).sort().map((key) => ({
      source_labels: [podLabel(key)],
      regex: escapeRegex(target.podSelector[key]),
      action: 'keep',
    })),
    { source_labels: ['__meta_kubernetes_pod_container_port_name'], regex: escapeRegex(target.portName), action: 'keep' },
    { source_labels: ['__meta_kubernetes_pod_phase'], regex: 'Pending|Succeeded|Failed', action: 'drop' },
  ];
}

function podJob(job: ScrapeJob, defaultTimeoutMillis: number): { job_name: string } & Record<string, unknown> {
  return {
    job_name: job.jobName,
    ...scrapeSettings(job, defaultTimeoutMillis),
    relabel_configs: [...keepPods(job), ...targetLabels(job)],
  };
}

/** What a scrape config says besides its name and the pods it keeps; the same for jobs of one shape. */
function scrapeSettings(job: ScrapeJob, defaultTimeoutMillis: number): Record<string, unknown> {
  // Prometheus refuses a timeout longer than the interval.
  const shortInterval = job.interval !== undefined && job.interval.toMilliseconds() < defaultTimeoutMillis;
  return {
    scrape_interval: job.interval ? promDuration(job.interval) : undefined,
    scrape_timeout: shortInterval ? promDuration(job.interval!) : undefined,
    metrics_path: job.path ?? '/metrics',
    honor_labels: job.honorLabels ? true : undefined,
    kubernetes_sd_configs: [{ role: 'pod', namespaces: { names: [job.namespace] } }],
  };
}

/** The pod's namespace, name, container and node; an exporter that describes other objects gets none (they would only mislead). */
function targetLabels(job: ScrapeJob): Array<Record<string, unknown>> {
  return job.honorLabels ? [] : [
    { source_labels: ['__meta_kubernetes_namespace'], target_label: 'namespace' },
    { source_labels: ['__meta_kubernetes_pod_name'], target_label: 'pod' },
    { source_labels: ['__meta_kubernetes_pod_container_name'], target_label: 'container' },
    { source_labels: ['__meta_kubernetes_pod_node_name'], target_label: job.instanceIsNode ? 'instance' : 'node' },
  ];
}

function podLabel(key: string): string {
  return `__meta_kubernetes_pod_label_${sanitizeLabelName(key)}`;
}

/** The selector key whose value is the job's name, if any (the first in key order). */
function namingKey(job: ScrapeJob): string | undefined {
  return Object.keys(job.podSelector).sort().find((key) => job.podSelector[key] === job.jobName);
}

/** Jobs of one shape are merged from this many: below it, one scrape config per job reads better. */
export const MERGE_JOBS_FROM = 16;

/** A scrape config per job, or per shape where a shape has {@link MERGE_JOBS_FROM} jobs or more. */
function podScrapeConfigs(jobs: readonly ScrapeJob[], defaultTimeoutMillis: number): Array<{ job_name: string } & Record<string, unknown>> {
  const taken = new Set<string>();
  return sameShapeGroups(jobs).flatMap((group) => {
    if (group.length < MERGE_JOBS_FROM) return group.map((job) => podJob(job, defaultTimeoutMillis));
    const merged = mergedPodJob(group, defaultTimeoutMillis);
    let name = merged.job_name;
    for (let n = 2; taken.has(name); n++) name = `${merged.job_name}-${n}`;
    taken.add(name);
    return [spreadOf(merged, { job_name: name })];
  });
}

/**
 * The jobs, in order, grouped by shape: the same namespace, scrape settings and selector keys, and
 * named after the value of the same selector key. At city scale that is every detection service of
 * a namespace (1,875 jobs at 10,000 cameras): one scrape config per job made `prometheus.yml`
 * 2.7 MB, over the 1 MiB a ConfigMap holds, and had Prometheus relabel every pod once per job.
 */
export function sameShapeGroups(jobs: readonly ScrapeJob[]): ScrapeJob[][] {
  const groups = new Map<string, ScrapeJob[]>();
  for (const job of jobs) {
    const key = namingKey(job);
    const shape = key === undefined ? `\0${job.jobName}` : JSON.stringify([
      key, job.namespace, job.portName, job.path ?? '/metrics', job.interval?.toMilliseconds(), job.honorLabels ?? false,
      job.instanceIsNode ?? false, Object.keys(job.podSelector).sort(),
    ]);
    const group = groups.get(shape);
    if (group === undefined) groups.set(shape, [job]);
    else group.push(job);
  }
  return [...groups.values()];
}

/**
 * One scrape config for jobs of one shape. It keeps exactly the pods some job keeps (the labels
 * all jobs share, then the combination of the others that one job selects), and sets `job` to
 * the naming label's value, which is that job's name: every series keeps the `job` it had.
 */
function mergedPodJob(jobs: readonly ScrapeJob[], defaultTimeoutMillis: number): { job_name: string } & Record<string, unknown> {
  const [first] = jobs;
  const keys = Object.keys(first.podSelector).sort();
  const shared = keys.filter((key) => jobs.every((job) => job.podSelector[key] === first.podSelector[key]));
  const varying = keys.filter((key) => !shared.includes(key));
  // Label values cannot hold ';' (Kubernetes allows letters, digits, '-', '_' and '.'), so a
  // combination joined with it names one job only.
  const combinations = jobs.map((job) => varying.map((key) => escapeRegex(job.podSelector[key])).join(';')).sort();
  return {
    // Not a job label (each series gets its own job's name): the name of the scrape pool, which
    // no single job can take, as job names are DNS labels.
    job_name: [first.namespace, ...shared.map((key) => first.podSelector[key]), first.portName].join('/'),
    ...scrapeSettings(first, defaultTimeoutMillis),
    relabel_configs: [
      ...shared.map((key) => ({ source_labels: [podLabel(key)], regex: escapeRegex(first.podSelector[key]), action: 'keep' })),
      { source_labels: varying.map(podLabel), separator: ';', regex: `(${combinations.join('|')})`, action: 'keep' },
      { source_labels: ['__meta_kubernetes_pod_container_port_name'], regex: escapeRegex(first.portName), action: 'keep' },
      { source_labels: ['__meta_kubernetes_pod_phase'], regex: 'Pending|Succeeded|Failed', action: 'drop' },
      { source_labels: [podLabel(namingKey(first)!)], target_label: 'job' },
      ...targetLabels(first),
    ],
  };
}

/**
 * Scrapes the kubelet on each node directly, authenticated with the service account token: K3s
 * runs kubelets with webhook authentication and authorization, and signs their serving
 * certificates with the cluster's server CA, the CA every service account mount carries. This
 * needs only `nodes/metrics`, where the API server proxy would need `nodes/proxy` (the whole
 * kubelet API, exec included) and put the API server in every scrape.
 */
function nodeJob(settings: MonitoringSettings, jobName: string, path: string, keep: string): { job_name: string } & Record<string, unknown> {
  return {
    job_name: jobName,
    scheme: 'https',
    metrics_path: path,
    // cAdvisor stamps samples with its own collection time, which is stale by the scrape.
    honor_timestamps: jobName === CADVISOR_JOB ? false : undefined,
    authorization: { credentials_file: `${SERVICE_ACCOUNT_DIR}/token` },
    tls_config: settings.verifyKubeletTls ? { ca_file: `${SERVICE_ACCOUNT_DIR}/ca.crt` } : { insecure_skip_verify: true },
    kubernetes_sd_configs: [{ role: 'node' }],
    relabel_configs: [
      { source_labels: ['__meta_kubernetes_node_name'], target_label: 'node' },
      { target_label: 'metrics_path', replacement: path },
    ],
    metric_relabel_configs: [{ source_labels: ['__name__'], regex: keep, action: 'keep' }],
  };
}

/** The nodes' ports Prometheus dials: the API server (discovery) and the kubelet (its and cAdvisor's metrics). */
const NODE_PORTS = [...API_SERVER_PORTS, KUBELET_PORT];

/** A rule file as a ConfigMap holds it, with its size as the API server counts it (UTF-8 bytes). */
export interface RuleFile {
  readonly name: string;
  readonly text: string;
  readonly bytes: number;
  /** What the file adds to the YAML of its ConfigMap: what packing counts. */
  readonly configMapBytes: number;
}

/** The rule file of a group. */
export function toRuleFile(group: RuleGroup): RuleFile {
  const text = ruleFile(group);
  const name = ruleFileName(group);
  return { name, text, bytes: Buffer.byteLength(text, 'utf8'), configMapBytes: configMapEntryBytes(name, text) };
}

/** What is wrong with a rule file no ConfigMap can hold, if it is too big. */
export function ruleFileSizeProblem(group: RuleGroup, file: RuleFile): Problem | undefined {
  if (file.bytes <= MAX_DATA_BYTES) return undefined;
  return {
    prop: `groups.${group.name}`, value: `${file.bytes} bytes`, rule: `a rule file of at most ${MAX_DATA_BYTES} bytes, the data a ConfigMap holds`,
    fix: 'Split the rule group into smaller groups.',
  };
}

/** One ConfigMap of rule files, filled until the next file would not fit. */
interface RuleConfigMap {
  readonly name: string;
  /** The ConfigMap's data: filled as groups arrive, read when the app is synthesized. */
  readonly data: Record<string, string>;
  /** What its files take of its YAML, counted as {@link RuleFile.configMapBytes}. */
  bytes: number;
}

/**
 * Prometheus as an HA pair by default: a StatefulSet of `prometheusReplicas` identical
 * replicas, each on its own `local-path` volume (a directory on one node's disk, which no two
 * replicas could share), never two on one node while another node has none, each scraping
 * every target and evaluating every rule. They differ only in the external label `replica`
 * (the pod's name), which is dropped from the alerts they send: both send every alert to every
 * Alertmanager replica, which sends it once. The `prometheus` Service, which Grafana and KEDA
 * query, selects both, so losing or draining one node leaves a Prometheus that answers and
 * alerts; a disruption budget keeps a drain from taking both. Each replica keeps its own
 * history: the one that was down has a gap for that time, and clients stick to one replica
 * (session affinity by client IP) so that a dashboard does not flip between the two.
 *
 * A replica's volume ties it to its node: if the node is lost, that replica stays Pending until
 * the node returns (or its claim is deleted, losing its history), while the other carries on.
 * With one replica (`prometheusReplicas: 1`, for a one-node site), that is the whole of
 * Prometheus: the Watchdog alert, routed to a dead man's switch outside the cluster, is how a
 * person learns of it.
 *
 * Jobs and rule groups are added as the bundle registers them: `prometheus.yml` is rendered when
 * the app is synthesized; rule files go into `prometheus-rules`, then `prometheus-rules-1`, ...
 * as each fills up (to 480 KiB of YAML, {@link RULE_CONFIG_MAP_BYTES}), in the order the groups arrive.
 */
export class PrometheusServer extends Construct {
  /** The Prometheus pods, whose links the components it talks to need before it exists. */
  public static podsOf(settings: MonitoringSettings): ComponentPods {
    return monitoringPods(settings, 'prometheus', PROMETHEUS_IMAGE);
  }

  /** Scrapes out, queries and alerts in. */
  public readonly connections: Connections;
  private readonly jobs: ScrapeJob[] = [];
  private readonly ruleConfigMaps: RuleConfigMap[] = [];
  private renderedConfig?: Record<string, string>;

  /**
   * @param pods the Prometheus pods, from {@link podsOf}
   * @param alertmanager where alerts go
   * @param hostNetworkPorts ports of exporters on the host network, reached at the nodes' addresses
   */
  constructor(scope: Construct, id: string, private readonly settings: MonitoringSettings, private readonly pods: ComponentPods,
    private readonly alertmanager: ScrapeTarget, hostNetworkPorts: readonly number[]) {
    super(scope, id);
    this.connections = pods.connections;
    this.addConfigMap('config', 'prometheus-config', lazy(() => this.configFiles()));
    this.addRuleConfigMap();
    const serviceAccount = addClusterReader(this, pods, 'Kubernetes discovery of its targets and the kubelet scrape authenticate with its token', [
      { apiGroups: [''], resources: ['nodes', 'nodes/metrics', 'services', 'endpoints', 'pods'], verbs: ['get', 'list', 'watch'] },
      { apiGroups: ['discovery.k8s.io'], resources: ['endpointslices'], verbs: ['get', 'list', 'watch'] },
      { nonResourceUrLs: ['/metrics'], verbs: ['get'] },
    ]);
    this.addServices();
    this.addStatefulSet(serviceAccount);
    if (this.paired) pods.addDisruptionBudget(this);
    for (const namespace of settings.queryNamespaces) this.connections.allowFromPeer(namespacePeer(namespace), [PROMETHEUS_PORT]);
    const nodePorts = [...new Set([...NODE_PORTS, ...hostNetworkPorts])].sort((a, b) => a - b);
    this.connections.allowToPeers(addressPeers(settings.nodeNetworks), nodePorts);
    pods.addNetworkPolicy(this);
  }

  /** What Prometheus scrapes of itself. */
  public get scrapeJob(): ScrapeJob {
    return { jobName: 'prometheus', namespace: this.pods.namespace, podSelector: this.pods.selector, portName: 'web', port: PROMETHEUS_PORT };
  }

  /** Scrapes one more job; `prometheus.yml` is rendered again at the next synthesis. */
  public addJob(job: ScrapeJob): void {
    this.jobs.push(job);
    this.renderedConfig = undefined;
  }

  /**
   * Adds a rule file to the last rule ConfigMap, or to a new one when it would take that one past
   * {@link RULE_CONFIG_MAP_BYTES}; a file that big alone goes into the last one if it is empty.
   */
  public addRuleFile(file: RuleFile): void {
    let target = this.ruleConfigMaps[this.ruleConfigMaps.length - 1];
    if (target.bytes > 0 && target.bytes + file.configMapBytes > RULE_CONFIG_MAP_BYTES) target = this.addRuleConfigMap();
    target.data[file.name] = file.text;
    target.bytes += file.configMapBytes;
  }

  /** `prometheus.yml`, as mounted in the pod. */
  public configFiles(): Record<string, string> {
    // Rendered once per set of jobs: every synthesis pass reads it twice (the ConfigMap and the pod's checksum).
    this.renderedConfig ??= { 'prometheus.yml': toConfigYaml(prometheusConfig(this.settings, this.jobs, this.alertmanager)) };
    return { ...this.renderedConfig };
  }

  /** One `<group>.rules.yaml` per rule group, as mounted in the pod. */
  public ruleFiles(): Record<string, string> {
    return Object.assign({}, ...this.ruleConfigMaps.map((configMap) => configMap.data));
  }

  private get paired(): boolean {
    return this.settings.prometheusReplicas > 1;
  }

  /**
   * `prometheus`, which clients query, and the headless `prometheus-headless` that governs the
   * StatefulSet and names each replica (`prometheus-0.prometheus-headless...`), for queries to one.
   */
  private addServices(): void {
    const web = [{ name: 'web', port: PROMETHEUS_PORT }];
    // The replicas' histories differ where one was down: a client keeps to one replica until it goes.
    addService(this, 'service', this.pods, web, { spec: this.paired ? { sessionAffinity: 'ClientIP' } : undefined });
    addService(this, 'headless-service', this.pods, web, { name: PROMETHEUS_HEADLESS_SERVICE, spec: { clusterIp: 'None' } });
  }

  /** `prometheus-rules`, then `prometheus-rules-1`, `-2`, ... */
  private addRuleConfigMap(): RuleConfigMap {
    const index = this.ruleConfigMaps.length;
    const configMap: RuleConfigMap = { name: index === 0 ? RULES_CONFIG_MAP : `${RULES_CONFIG_MAP}-${index}`, data: {}, bytes: 0 };
    this.addConfigMap(index === 0 ? 'rules' : `rules-${index}`, configMap.name, configMap.data);
    this.ruleConfigMaps.push(configMap);
    return configMap;
  }

  /** One ConfigMap volume while the rules fit in one; otherwise a projected volume of all of them, in one folder. */
  private rulesVolume(): k8s.Volume {
    const names = this.ruleConfigMaps.map((configMap) => configMap.name);
    return names.length <= 1
      ? { name: 'rules', configMap: { name: RULES_CONFIG_MAP } }
      : { name: 'rules', projected: { sources: names.map((name) => ({ configMap: { name } })) } };
  }

  private addConfigMap(id: string, name: string, data: Record<string, string>): void {
    new ConfigMapObject(this, id, { metadata: this.pods.metadata(name), data });
  }

  private addStatefulSet(serviceAccount: PodServiceAccount): void {
    const settings = this.settings;
    newStatefulSet(this, 'statefulset', {
      metadata: this.pods.metadata(),
      singleReplicaReason: settings.fleetCentral && settings.prometheusReplicas === 1 ? CENTRAL_SINGLE_REPLICA_REASON : singleReplicaChosenBy('prometheusReplicas', settings.prometheusReplicas),
      spec: {
        replicas: settings.prometheusReplicas,
        serviceName: PROMETHEUS_HEADLESS_SERVICE,
        // The replicas are independent: one whose node is lost must not hold back the other's (re)start.
        podManagementPolicy: 'Parallel',
        selector: { matchLabels: { ...this.pods.selector } },
        updateStrategy: { type: 'RollingUpdate' },
        template: {
          labels: this.pods.labels,
          connections: this.connections,
          // Known once every target and rule is registered: the checksum is computed at synthesis.
          config: () => ({ ...this.configFiles(), ...this.ruleFiles() }),
          spec: {
            serviceAccount,
            tier: PriorityTier.PLATFORM,
            podSecurityContext: { fsGroupChangePolicy: 'OnRootMismatch' },
            // Time to finish writing the head block; a cut-off shutdown means a long WAL replay.
            terminationGracePeriodSeconds: 120,
            // Never two on one node while another has none: losing a node loses at most one replica.
            topologySpreadConstraints: this.paired ? this.pods.spreadOverNodes({ zones: false }) : undefined,
            containers: [this.container()],
            volumes: [
              { name: 'config', configMap: { name: 'prometheus-config' } },
              // A second rule ConfigMap may come with the next rule group: the volume's shape is decided at synthesis.
              lazy(() => this.rulesVolume()),
              ...remoteWriteSecretVolumes(settings).map((secret) => secret.volume),
            ],
          },
        },
        volumeClaimTemplates: [{
          metadata: { name: 'data', labels: { ...this.pods.labels } },
          spec: {
            accessModes: ['ReadWriteOnce'],
            storageClassName: settings.storageClassName,
            resources: { requests: { storage: k8s.Quantity.fromString(settings.storageSize.asString()) } },
          },
        }],
      },
    });
  }

  private container(): ContainerOptions {
    const settings = this.settings;
    return {
      name: 'prometheus',
      image: PROMETHEUS_IMAGE,
      args: [
        `--config.file=${CONFIG_DIR}/prometheus.yml`,
        `--storage.tsdb.path=${DATA_DIR}`,
        `--storage.tsdb.retention.time=${promDuration(settings.retention)}`,
        // Prometheus reads MB as MiB. local-path does not enforce a claim's size: this limit is what does.
        `--storage.tsdb.retention.size=${wholeMebibytes(settings.retentionSize)}MB`,
        `--web.listen-address=:${PROMETHEUS_PORT}`,
        // Fills the `replica` external label from the pod's name.
        '--enable-feature=expand-external-labels',
        ...fleetArgs(settings),
      ],
      env: [{ name: POD_NAME_ENV, valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } }, ...goRuntimeEnv('prometheus')],
      ports: [{ name: 'web', containerPort: PROMETHEUS_PORT, protocol: 'TCP' }],
      // Replaying the write-ahead log after a restart takes minutes on a full disk.
      startupProbe: httpProbe('/-/ready', 'web', { ...READINESS, failureThreshold: 60 }),
      readinessProbe: httpProbe('/-/ready', 'web', READINESS),
      livenessProbe: httpProbe('/-/healthy', 'web', { periodSeconds: 30, timeoutSeconds: 5, failureThreshold: 4 }),
      resources: toResourceRequirements(settings.resources.prometheus),
      volumeMounts: [
        { name: 'config', mountPath: CONFIG_DIR, readOnly: true },
        { name: 'rules', mountPath: RULES_DIR, readOnly: true },
        { name: 'data', mountPath: DATA_DIR },
        ...remoteWriteSecretVolumes(settings).map((secret) => secret.mount),
      ],
    };
  }
}
