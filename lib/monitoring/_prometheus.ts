import { Duration } from 'cdk8s';
import { k8s } from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { RuleGroup } from '../alert-rules';
import { ComponentIdentity, selectorLabels, standardLabels } from '../_labels';
import { restrictedContainerSecurityContext, restrictedPodSecurityContext } from '../_pod-security';
import { goRuntimeEnv, toResourceRequirements } from '../_resources';
import { ScrapeTarget } from '../scrape-target';
import { checksum, escapeRegex, lazy, promDuration, sanitizeLabelName, wholeMebibytes } from './_format';
import { toConfigYaml } from '../_config-yaml';
import { addComponentPolicy, addresses, podsHere, podsIn, tcp } from './_network';
import { KUBELET_JOB } from './_platform-rules';
import { ruleFile, ruleFileName } from './_rules';
import { MonitoringSettings, PROMETHEUS_IMAGE, SERVICE_ACCOUNT_DIR, componentIdentity } from './_settings';
import { ConfigMapObject } from '../_config-map';
import { KubeClusterRole, KubeClusterRoleBinding, KubeService, KubeServiceAccount, KubeStatefulSet } from '../_kube-objects';

/** A scrape target plus the few knobs that only the bundle's own exporters need. */
export interface ScrapeJob extends ScrapeTarget {
  /** The exporter's own `namespace`, `pod` and `container` labels describe other objects and must win. */
  readonly honorLabels?: boolean;
  /** Label series with the node name as `instance`, as node-exporter alerts and dashboards expect. */
  readonly instanceIsNode?: boolean;
  /** The pods use the host network: NetworkPolicies see them as node addresses, not as pods. */
  readonly hostNetwork?: boolean;
}

/** What the bundle found in the app at synthesis: every job and rule group, sorted by name. */
export interface Collected {
  readonly jobs: readonly ScrapeJob[];
  readonly groups: readonly RuleGroup[];
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
const DATA_DIR = '/prometheus';

/**
 * The kubelet's registry on K3s also holds the metrics of the API server, scheduler and
 * controller manager that run in the same process: keeping only the kubelet's own avoids
 * storing them once per node.
 */
const KUBELET_METRICS = 'kubelet_.+|volume_manager_total_volumes|storage_operation_.+|process_(cpu_seconds_total|resident_memory_bytes|start_time_seconds)|go_goroutines';
/** The cAdvisor series that dashboards and capacity questions use; the rest costs memory on a small node. */
const CADVISOR_METRICS = 'container_cpu_usage_seconds_total|container_cpu_cfs_(throttled_)?periods_total|container_memory_working_set_bytes|container_memory_rss|container_oom_events_total|container_network_(receive|transmit)_bytes_total|container_fs_(reads|writes)_bytes_total|machine_cpu_cores|machine_memory_bytes';

/** The Prometheus configuration file: one job per scrape target, plus the kubelet and cAdvisor of every node. */
export function prometheusConfig(settings: MonitoringSettings, collected: Collected, alertmanager: ScrapeTarget): Record<string, unknown> {
  const timeoutMillis = Math.min(DEFAULT_TIMEOUT_MILLIS, settings.scrapeInterval.toMilliseconds());
  return {
    global: {
      scrape_interval: promDuration(settings.scrapeInterval),
      scrape_timeout: promDuration(Duration.millis(timeoutMillis)),
      evaluation_interval: promDuration(settings.evaluationInterval),
    },
    rule_files: [`${RULES_DIR}/*.rules.yaml`],
    alerting: {
      alertmanagers: [{
        api_version: 'v2',
        // Every replica gets every alert: Alertmanager deduplicates among its peers.
        kubernetes_sd_configs: [{ role: 'pod', namespaces: { names: [alertmanager.namespace] } }],
        relabel_configs: keepPods(alertmanager),
      }],
    },
    scrape_configs: [
      ...collected.jobs.map((job) => podJob(job, timeoutMillis)),
      nodeJob(settings, KUBELET_JOB, '/metrics', KUBELET_METRICS),
      nodeJob(settings, CADVISOR_JOB, '/metrics/cadvisor', CADVISOR_METRICS),
    ].sort((a, b) => (a.job_name < b.job_name ? -1 : 1)),
  };
}

/** Keeps the pods of one target: its namespace is the discovery's, its labels and port name are kept here. */
function keepPods(target: ScrapeTarget): Array<Record<string, unknown>> {
  return [
    ...Object.keys(target.podSelector).sort().map((key) => ({
      source_labels: [`__meta_kubernetes_pod_label_${sanitizeLabelName(key)}`],
      regex: escapeRegex(target.podSelector[key]),
      action: 'keep',
    })),
    { source_labels: ['__meta_kubernetes_pod_container_port_name'], regex: escapeRegex(target.portName), action: 'keep' },
    { source_labels: ['__meta_kubernetes_pod_phase'], regex: 'Pending|Succeeded|Failed', action: 'drop' },
  ];
}

function podJob(job: ScrapeJob, defaultTimeoutMillis: number): { job_name: string } & Record<string, unknown> {
  // Prometheus refuses a timeout longer than the interval.
  const shortInterval = job.interval !== undefined && job.interval.toMilliseconds() < defaultTimeoutMillis;
  // An exporter that describes other objects gets no pod labels: they would only mislead, and churn when it moves.
  const targetLabels = job.honorLabels ? [] : [
    { source_labels: ['__meta_kubernetes_namespace'], target_label: 'namespace' },
    { source_labels: ['__meta_kubernetes_pod_name'], target_label: 'pod' },
    { source_labels: ['__meta_kubernetes_pod_container_name'], target_label: 'container' },
    { source_labels: ['__meta_kubernetes_pod_node_name'], target_label: job.instanceIsNode ? 'instance' : 'node' },
  ];
  return {
    job_name: job.jobName,
    scrape_interval: job.interval ? promDuration(job.interval) : undefined,
    scrape_timeout: shortInterval ? promDuration(job.interval!) : undefined,
    metrics_path: job.path ?? '/metrics',
    honor_labels: job.honorLabels ? true : undefined,
    kubernetes_sd_configs: [{ role: 'pod', namespaces: { names: [job.namespace] } }],
    relabel_configs: [...keepPods(job), ...targetLabels],
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

/** Peers the Prometheus pods may reach: each target's pods on its port, the kubelets and the API server. */
function scrapeEgress(settings: MonitoringSettings, jobs: readonly ScrapeJob[]): k8s.NetworkPolicyEgressRule[] {
  const toTargets = jobs.filter((job) => !job.hostNetwork).map((job): k8s.NetworkPolicyEgressRule => ({
    to: [job.namespace === settings.namespace ? podsHere(job.podSelector) : podsIn(job.namespace, job.podSelector)],
    ports: [tcp(job.port)],
  }));
  const unique = new Map(toTargets.map((rule) => [JSON.stringify(rule), rule]));
  const nodePorts = new Set([...API_SERVER_PORTS, KUBELET_PORT, ...jobs.filter((job) => job.hostNetwork).map((job) => job.port)]);
  return [
    ...unique.values(),
    { to: addresses(settings.nodeNetworks), ports: [...nodePorts].sort((a, b) => a - b).map(tcp) },
  ];
}

/**
 * Prometheus as a single-replica StatefulSet on a `local-path` volume. One replica on purpose:
 * a local-path volume is a directory on one node's disk, so a second replica could not share
 * it, would double the scrape and memory load on a small edge node, and would only send the
 * same alerts twice. If that node is lost, Prometheus stays Pending until the node returns (or
 * its claim is deleted, losing history); the Watchdog alert, routed to a dead man's switch
 * outside the cluster, is how a person learns of it.
 */
export class PrometheusServer extends Construct {
  public readonly identity: ComponentIdentity;
  private renderedConfig?: Record<string, string>;
  private renderedRules?: Record<string, string>;

  constructor(scope: Construct, id: string, private readonly settings: MonitoringSettings,
    private readonly collected: () => Collected, private readonly alertmanager: ScrapeTarget, private readonly clients: ComponentIdentity[]) {
    super(scope, id);
    this.identity = PrometheusServer.identityOf(settings);
    this.addConfigMap('config', 'prometheus-config', lazy(() => this.configFiles()));
    this.addConfigMap('rules', 'prometheus-rules', lazy(() => this.ruleFiles()));
    this.addRbac();
    this.addService();
    this.addStatefulSet(lazy(() => checksum({ ...this.configFiles(), ...this.ruleFiles() })));
    this.addNetworkPolicy();
  }

  /** `prometheus.yml`, as mounted in the pod. */
  public configFiles(): Record<string, string> {
    // Rendered once: every synthesis pass reads it twice (the ConfigMap and the pod's checksum),
    // and what it is made of is fixed once the bundle has collected its targets.
    this.renderedConfig ??= { 'prometheus.yml': toConfigYaml(prometheusConfig(this.settings, this.collected(), this.alertmanager)) };
    return { ...this.renderedConfig };
  }

  /** One `<group>.rules.yaml` per rule group, as mounted in the pod. */
  public ruleFiles(): Record<string, string> {
    this.renderedRules ??= Object.fromEntries(this.collected().groups.map((group) => [ruleFileName(group), ruleFile(group)]));
    return { ...this.renderedRules };
  }

  /** Its identity, which the components it talks to need before it exists. */
  public static identityOf(settings: MonitoringSettings): ComponentIdentity {
    return componentIdentity(settings, 'prometheus', PROMETHEUS_IMAGE);
  }

  /** What Prometheus scrapes of itself. */
  public get scrapeJob(): ScrapeJob {
    return { jobName: 'prometheus', namespace: this.settings.namespace, podSelector: selectorLabels(this.identity), portName: 'web', port: PROMETHEUS_PORT };
  }

  private addConfigMap(id: string, name: string, data: Record<string, string>): void {
    new ConfigMapObject(this, id, { metadata: { name, namespace: this.settings.namespace, labels: standardLabels(this.identity) }, data });
  }

  /** Read-only discovery of what it scrapes, and the kubelet's metrics: nothing else. */
  private addRbac(): void {
    const name = `${this.settings.namespace}-prometheus`;
    const labels = standardLabels(this.identity);
    new KubeServiceAccount(this, 'service-account', {
      metadata: { name: 'prometheus', namespace: this.settings.namespace, labels },
      automountServiceAccountToken: false,
    });
    new KubeClusterRole(this, 'cluster-role', {
      metadata: { name, labels },
      rules: [
        { apiGroups: [''], resources: ['nodes', 'nodes/metrics', 'services', 'endpoints', 'pods'], verbs: ['get', 'list', 'watch'] },
        { apiGroups: ['discovery.k8s.io'], resources: ['endpointslices'], verbs: ['get', 'list', 'watch'] },
        { nonResourceUrLs: ['/metrics'], verbs: ['get'] },
      ],
    });
    new KubeClusterRoleBinding(this, 'cluster-role-binding', {
      metadata: { name, labels },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name },
      subjects: [{ kind: 'ServiceAccount', name: 'prometheus', namespace: this.settings.namespace }],
    });
  }

  private addService(): void {
    new KubeService(this, 'service', {
      metadata: { name: 'prometheus', namespace: this.settings.namespace, labels: standardLabels(this.identity) },
      spec: {
        selector: selectorLabels(this.identity),
        ports: [{ name: 'web', port: PROMETHEUS_PORT, targetPort: k8s.IntOrString.fromString('web'), protocol: 'TCP' }],
      },
    });
  }

  private addStatefulSet(configChecksum: string): void {
    const settings = this.settings;
    new KubeStatefulSet(this, 'statefulset', {
      metadata: { name: 'prometheus', namespace: settings.namespace, labels: standardLabels(this.identity) },
      spec: {
        replicas: 1,
        serviceName: 'prometheus',
        selector: { matchLabels: selectorLabels(this.identity) },
        updateStrategy: { type: 'RollingUpdate' },
        template: {
          metadata: { labels: standardLabels(this.identity), annotations: { 'video-analytics.io/config-checksum': configChecksum } },
          spec: {
            serviceAccountName: 'prometheus',
            // Kubernetes discovery and the kubelet scrape authenticate with this token.
            automountServiceAccountToken: true,
            enableServiceLinks: false,
            securityContext: { ...restrictedPodSecurityContext(), fsGroupChangePolicy: 'OnRootMismatch' },
            // Time to finish writing the head block; a cut-off shutdown means a long WAL replay.
            terminationGracePeriodSeconds: 120,
            containers: [this.container()],
            volumes: [
              { name: 'config', configMap: { name: 'prometheus-config' } },
              { name: 'rules', configMap: { name: 'prometheus-rules' } },
            ],
          },
        },
        volumeClaimTemplates: [{
          metadata: { name: 'data', labels: standardLabels(this.identity) },
          spec: {
            accessModes: ['ReadWriteOnce'],
            storageClassName: settings.storageClassName,
            resources: { requests: { storage: k8s.Quantity.fromString(settings.storageSize.asString()) } },
          },
        }],
      },
    });
  }

  private container(): k8s.Container {
    const settings = this.settings;
    return {
      name: 'prometheus',
      image: PROMETHEUS_IMAGE,
      imagePullPolicy: 'IfNotPresent',
      args: [
        `--config.file=${CONFIG_DIR}/prometheus.yml`,
        `--storage.tsdb.path=${DATA_DIR}`,
        `--storage.tsdb.retention.time=${promDuration(settings.retention)}`,
        // Prometheus reads MB as MiB. local-path does not enforce a claim's size: this limit is what does.
        `--storage.tsdb.retention.size=${wholeMebibytes(settings.retentionSize)}MB`,
        `--web.listen-address=:${PROMETHEUS_PORT}`,
      ],
      env: goRuntimeEnv('prometheus'),
      ports: [{ name: 'web', containerPort: PROMETHEUS_PORT, protocol: 'TCP' }],
      // Replaying the write-ahead log after a restart takes minutes on a full disk.
      startupProbe: { httpGet: { path: '/-/ready', port: k8s.IntOrString.fromString('web') }, periodSeconds: 10, timeoutSeconds: 3, failureThreshold: 60 },
      readinessProbe: { httpGet: { path: '/-/ready', port: k8s.IntOrString.fromString('web') }, periodSeconds: 10, timeoutSeconds: 3, failureThreshold: 3 },
      livenessProbe: { httpGet: { path: '/-/healthy', port: k8s.IntOrString.fromString('web') }, periodSeconds: 30, timeoutSeconds: 5, failureThreshold: 4 },
      resources: toResourceRequirements(settings.resources.prometheus),
      securityContext: restrictedContainerSecurityContext(),
      volumeMounts: [
        { name: 'config', mountPath: CONFIG_DIR, readOnly: true },
        { name: 'rules', mountPath: RULES_DIR, readOnly: true },
        { name: 'data', mountPath: DATA_DIR },
      ],
    };
  }

  private addNetworkPolicy(): void {
    const settings = this.settings;
    addComponentPolicy(this, settings.namespace, this.identity, {
      ingress: [{
        from: [
          ...this.clients.map((client) => podsHere(selectorLabels(client))),
          ...settings.queryNamespaces.map((namespace) => podsIn(namespace)),
        ],
        ports: [tcp(PROMETHEUS_PORT)],
      }],
      egress: lazy(() => scrapeEgress(settings, this.collected().jobs)),
    });
  }
}
