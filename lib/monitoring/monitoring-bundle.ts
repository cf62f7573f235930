import { Duration, Size, SizeRoundingBehavior } from 'cdk8s';
import { ContainerResources, Cpu } from '../core/cdk8s-plus';
import { Construct } from 'constructs';
import { IRuleSource, RuleGroup, isRuleSource } from './alert-rules';
import { propError } from '../core/errors';
import { isCidr } from '../core/network';
import { isPrometheusClient } from '../synth/autoscaler';
import { isConnectable, namespacePeer, podsPeer, tcpPort } from '../synth/connections';
import { FullResources, checkResources, cpuMillis, mergeResources } from '../synth/pod/resources';
import { resolveScopedPodProps } from '../synth/pod/scope-settings';
import { AlertmanagerCluster } from './_alertmanager';
import { wholeMebibytes, wholeMillis } from './_format';
import { GrafanaServer } from './_grafana';
import { KubeStateMetrics } from './_kube-state-metrics';
import { NodeExporter } from './_node-exporter';
import { addDashboardConfigMap, addPodMonitor, addPrometheusRule } from './_operator';
import { KUBELET_JOB, platformRuleGroups } from './_platform-rules';
import { CADVISOR_JOB, PROMETHEUS_PORT, PrometheusServer, RuleFile, ScrapeJob, ruleFileSizeProblem, toRuleFile } from './_prometheus';
import { Problem, ruleGroupProblems, withRunbookBase } from './_rules';
import { ComponentResources, MonitoringSettings, serviceHost } from './_settings';
import { describeSource, scrapeTargetProblems } from './_targets';
import { AlertRoute, NULL_RECEIVER, Receiver, SecretKey } from './receiver';
import { FleetCentralOptions, RemoteWriteOptions } from './fleet-monitoring';
import { addFleetLinks, centralRemoteWriteUrl, resolveFleetSettings } from './_fleet';
import { centralRuleGroups, siteRuleGroup } from './_fleet-rules';
import { PlatformNamespace, PodSecurityLevel } from '../platform/platform-namespace';
import { IScrapeTarget, ScrapeTarget } from './scrape-target';
import { dns1123Label, dns1123Subdomain, labelValue, qualifiedName, secretDataKey } from '../core/names';

export { Receiver } from './receiver';
export type { AlertRoute, EmailReceiverOptions, SecretKey, WebhookReceiverOptions } from './receiver';
export {
  ALERTMANAGER_IMAGE, GRAFANA_IMAGE, KUBE_STATE_METRICS_IMAGE, NODE_EXPORTER_IMAGE, PROMETHEUS_IMAGE,
} from './_settings';
export { GRAFANA_DASHBOARD_LABEL } from './_operator';
export { isRuleSource } from './alert-rules';
export type { FleetCentralOptions, RemoteWriteOptions } from './fleet-monitoring';

/** Who runs Prometheus, Alertmanager and Grafana. */
export enum MonitoringMode {
  /**
   * The bundle runs its own Prometheus, Alertmanager, Grafana, kube-state-metrics and
   * node-exporter: plain K3s ships no Prometheus operator.
   */
  STANDALONE = 'standalone',
  /**
   * A Prometheus operator stack (such as kube-prometheus-stack) already runs: the bundle emits
   * PodMonitors, PrometheusRules and a dashboard ConfigMap for it, and no workloads of its own.
   */
  OPERATOR = 'operator',
}

/** Props of {@link MonitoringBundle}. */
export interface MonitoringBundleProps {
  /**
   * Whether to run a monitoring stack or feed an existing Prometheus operator.
   * @default MonitoringMode.STANDALONE
   */
  readonly mode?: MonitoringMode;
  /**
   * Namespace of the monitoring stack; in operator mode, the namespace of the operator's stack,
   * where the PodMonitors, PrometheusRules and dashboard ConfigMap go. Created (restricted, default
   * deny) in standalone mode only. Components passed to {@link MonitoringBundle.watch} admit its
   * Prometheus in their NetworkPolicies.
   * @default 'monitoring'
   */
  readonly namespace?: string;
  /**
   * Namespace of node-exporter, labelled privileged because it needs the host's network,
   * processes and filesystems. Standalone mode only.
   * @default 'monitoring-host'
   */
  readonly hostNamespace?: string;
  /**
   * Where alerts go. At least one in standalone mode: without a receiver, alerts reach nobody.
   * @default - none; required in standalone mode
   */
  readonly receivers?: readonly Receiver[];
  /**
   * Routes that send matching alerts to a receiver other than `defaultReceiver`, tried in order.
   * @default - every alert goes to `defaultReceiver`
   * @see https://prometheus.io/docs/alerting/latest/configuration/#route
   */
  readonly routes?: readonly AlertRoute[];
  /**
   * The receiver of every alert that no route claims.
   * @default - the first of `receivers`
   */
  readonly defaultReceiver?: string;
  /**
   * The receiver of the always-firing Watchdog alert: point it at a dead man's switch outside the
   * cluster (healthchecks.io, an incident tool's heartbeat), which pages when Watchdog stops.
   * @default - Watchdog is dropped, and a dead cluster stays silent
   */
  readonly watchdogReceiver?: string;
  /**
   * How long Prometheus keeps samples.
   * @default Duration.days(15)
   */
  readonly retention?: Duration;
  /**
   * Size of the volume of each Prometheus replica.
   * @default Size.gibibytes(10)
   */
  readonly storageSize?: Size;
  /**
   * The most the time series database may occupy; the oldest data goes first. local-path
   * volumes do not enforce their size, so this is what keeps Prometheus off a full disk.
   * @default - 80% of `storageSize`, leaving room for the write-ahead log
   */
  readonly retentionSize?: Size;
  /**
   * StorageClass of Prometheus's volumes.
   * @default 'local-path' - K3s's built-in provisioner
   */
  readonly storageClassName?: string;
  /**
   * How often targets are scraped unless a target says otherwise.
   * @default Duration.seconds(30)
   */
  readonly scrapeInterval?: Duration;
  /**
   * How often rules are evaluated unless a group says otherwise.
   * @default Duration.seconds(30)
   */
  readonly evaluationInterval?: Duration;
  /**
   * Prometheus replicas: two or more are an HA pair, identical but for their `replica` external
   * label, on different nodes, each with its own volume, each scraping everything and alerting,
   * so that the loss or drain of one node leaves Prometheus answering queries (Grafana, KEDA)
   * and sending alerts. 1 is the opt-out for a one-node site, where a second replica would share
   * the only node: it halves Prometheus's CPU, memory and disk, and costs every restart, upgrade
   * or drain of Prometheus a gap in data and alerting, and the loss of its node all of
   * Prometheus until the node returns. A fleet's central Prometheus (`fleetCentral`) runs one
   * replica, and refuses more: each site's remote writes would land on one replica or the other,
   * and each replica would alert that the share it missed went silent.
   * @default 2; 1 with `fleetCentral`
   */
  readonly prometheusReplicas?: number;
  /**
   * Alertmanager replicas. Two or more, on different nodes, form a gossip cluster that keeps
   * silences and the notification log through restarts, drains and the loss of a node. 1 is the
   * opt-out for a one-node site: silences then live only as long as the pod.
   * @default 2
   */
  readonly alertmanagerReplicas?: number;
  /**
   * Grafana replicas. Two or more, on different nodes, keep the dashboards up through the loss
   * or drain of a node; each client keeps to one replica, which holds its login session (a
   * replica's database is its own). 1 is the opt-out for a one-node site: Grafana is then
   * down while it restarts or moves.
   * @default 2
   */
  readonly grafanaReplicas?: number;
  /**
   * Grafana's admin user name.
   * @default 'admin'
   */
  readonly grafanaAdminUser?: string;
  /**
   * The Secret key holding Grafana's admin password, in the monitoring namespace. Create it before
   * syncing: `kubectl -n monitoring create secret generic grafana-admin --from-literal=admin-password=...`.
   * @default { secretName: 'grafana-admin', key: 'admin-password' }
   */
  readonly grafanaAdminPassword?: SecretKey;
  /**
   * Namespaces whose pods may open Grafana (port 3000).
   * @default ['kube-system'] - K3s's Traefik ingress controller
   */
  readonly grafanaIngressNamespaces?: readonly string[];
  /**
   * Namespaces whose pods may query Prometheus, besides Grafana.
   * @default ['keda'] - the KEDA operator, which evaluates the Prometheus triggers of autoscaled workloads
   */
  readonly queryNamespaces?: readonly string[];
  /**
   * Address ranges of the nodes, where Prometheus reaches kubelets (10250), node-exporter (9100,
   * host network) and the API server (443, 6443), and kube-state-metrics reaches the API server.
   * @default ['0.0.0.0/0'] - any address, on those ports only
   */
  readonly nodeNetworks?: readonly string[];
  /**
   * Whether Prometheus verifies kubelet certificates against the cluster CA. K3s signs them with
   * it; turn this off only for kubelets that serve self-signed certificates.
   * @default true
   */
  readonly verifyKubeletTls?: boolean;
  /**
   * Whether to add the platform alerts (crash loops, nodes, disks, volumes, targets, Watchdog).
   * @default - true in standalone mode; false in operator mode, whose stack ships the same alerts
   */
  readonly platformRules?: boolean;
  /**
   * Where the runbooks of the library's alerts live for your team: a page with one section per
   * alert, anchored by the alert name in lower case, such as a copy of the library's
   * `docs/runbooks.md` in your wiki or repository. Every alert whose `runbookUrl` comes from
   * `runbookUrl(alertName)` links to `<runbookBaseUrl>#<alertname>` instead; alerts with runbook
   * links of their own keep them. Applies in both modes.
   * @default - the library's `docs/runbooks.md` (`RUNBOOK_BASE_URL`)
   */
  readonly runbookBaseUrl?: string;
  /**
   * Labels on PodMonitors, PrometheusRules and the dashboard ConfigMap, to match the operator's
   * selectors (kube-prometheus-stack selects `release: <release name>` by default).
   * @default - only the standard labels
   */
  readonly operatorSelectorLabels?: { readonly [key: string]: string };
  /**
   * The cluster's DNS domain.
   * @default - the scope's (ScopeSettings), else 'cluster.local'
   */
  readonly clusterDomain?: string;
  /**
   * The in-cluster URL of the operator stack's Prometheus, which the KEDA triggers of watched
   * autoscaled components query, e.g. `http://kube-prometheus-stack-prometheus.monitoring.svc.cluster.local:9090`.
   * Operator mode only: in standalone mode the bundle's own Prometheus is used.
   * @default - none: autoscaled targets must then name their Prometheus themselves
   */
  readonly prometheusUrl?: string;
  /**
   * CPU and memory of each Prometheus replica; fields left out keep their default.
   * @default - requests 200m CPU and 512Mi memory, limits 1 CPU and 1Gi memory
   */
  readonly prometheusResources?: ContainerResources;
  /**
   * CPU and memory of each Alertmanager replica.
   * @default - requests 10m CPU and 32Mi memory, limits 100m CPU and 128Mi memory
   */
  readonly alertmanagerResources?: ContainerResources;
  /**
   * CPU and memory of each Grafana replica.
   * @default - requests 50m CPU and 128Mi memory, limits 500m CPU and 384Mi memory
   */
  readonly grafanaResources?: ContainerResources;
  /**
   * CPU and memory of kube-state-metrics.
   * @default - requests 20m CPU and 64Mi memory, limits 200m CPU and 192Mi memory
   */
  readonly kubeStateMetricsResources?: ContainerResources;
  /**
   * CPU and memory of node-exporter, on each node.
   * @default - requests 10m CPU and 32Mi memory, limits 200m CPU and 64Mi memory
   */
  readonly nodeExporterResources?: ContainerResources;
  /**
   * Labels every series, alert and remote-written sample of this bundle's Prometheus carries
   * (Prometheus's `global.external_labels`), e.g. `{ site: 'depot-7' }`: what tells this site's
   * series from another's at a central Prometheus. Prometheus adds them where a series or alert
   * lacks the label: one that has it keeps its own value (a camera's `site` column, for one).
   * Standalone mode only.
   * @default - none (the HA `replica` label only)
   * @see https://prometheus.io/docs/prometheus/latest/configuration/configuration/#configuration-file
   */
  readonly externalLabels?: { readonly [name: string]: string };
  /**
   * Send a subset of this site's series to a central Prometheus: the site-level recording rules
   * (`site:…`, recorded once this is set), `ALERTS` and `up`; alerting stays local, so the site
   * pages with its WAN link down. Needs `externalLabels`. Standalone mode only.
   * @default - nothing is sent
   */
  readonly remoteWrite?: RemoteWriteOptions;
  /**
   * Make this bundle's Prometheus the fleet's central one: it receives the sites' remote writes
   * through the `prometheus-remote-write` LoadBalancer Service at {@link MonitoringBundle.remoteWriteUrl},
   * alerts when a site stops reporting or runs out of GPU headroom, and Grafana gets a fleet
   * dashboard. Standalone mode only.
   * @default - not central
   */
  readonly fleetCentral?: FleetCentralOptions;
}

/** An amount of CPU and memory. */
export interface ResourceAmount {
  readonly cpu: Cpu;
  readonly memory: Size;
}

/** What the bundle asks of the cluster, to size nodes and state in docs/capacity-and-performance.md. */
export interface MonitoringFootprint {
  /** Requests of every pod on a one-node cluster. */
  readonly requests: ResourceAmount;
  /** Limits of every pod on a one-node cluster. */
  readonly limits: ResourceAmount;
  /** What each further node adds: one node-exporter. */
  readonly perAdditionalNode: { readonly requests: ResourceAmount; readonly limits: ResourceAmount };
  /** The size of Prometheus's volumes: one `storageSize` volume per replica. */
  readonly storage: Size;
}

const DEFAULT_RESOURCES: ComponentResources = {
  prometheus: { cpu: { request: Cpu.millis(200), limit: Cpu.units(1) }, memory: { request: Size.mebibytes(512), limit: Size.gibibytes(1) } },
  alertmanager: { cpu: { request: Cpu.millis(10), limit: Cpu.millis(100) }, memory: { request: Size.mebibytes(32), limit: Size.mebibytes(128) } },
  grafana: { cpu: { request: Cpu.millis(50), limit: Cpu.millis(500) }, memory: { request: Size.mebibytes(128), limit: Size.mebibytes(384) } },
  kubeStateMetrics: { cpu: { request: Cpu.millis(20), limit: Cpu.millis(200) }, memory: { request: Size.mebibytes(64), limit: Size.mebibytes(192) } },
  nodeExporter: { cpu: { request: Cpu.millis(10), limit: Cpu.millis(200) }, memory: { request: Size.mebibytes(32), limit: Size.mebibytes(64) } },
};

/**
 * The platform watching itself: scraping, rules, alerts and dashboards for every component.
 *
 * Components are passed to {@link watch}: the bundle scrapes each, loads its rules if it has any
 * ({@link IRuleSource}), lets its Prometheus through the component's NetworkPolicy (a component
 * with `connections`) and points the component's autoscaler at that Prometheus
 * (`IPrometheusClient`). {@link scrape} and {@link addRules} register a target or rules
 * alone, with none of those links. Job names and rule group names are unique: a second owner of
 * one is refused at once, naming both. In operator mode each PodMonitor and PrometheusRule is
 * added as its target or rules are registered.
 *
 * At city scale it stays within what the API server accepts: jobs of one shape (16 or more that
 * differ only in the pods they select, named after one of their pod labels, such as the
 * detection services of a namespace) share one scrape config that keeps each job's pods and
 * `job` label; rule files go to `prometheus-rules` until it holds 480 KiB of YAML (every object
 * stays under 512 KiB, half of what the API server stores), then to `prometheus-rules-1`, `-2`,
 * ..., in the order the groups arrive, mounted together. Prometheus reaches the pods of watched
 * components by one label (`video-analytics.io/scraped-by-prometheus`), so its NetworkPolicy
 * has one egress peer per namespace and metrics port, however many components it scrapes.
 *
 * Replicas: by default no single pod or node takes monitoring down. Replicated components
 * spread hard over nodes (never two on one node while another eligible node has none; on a
 * one-node cluster they share it) and have a PodDisruptionBudget of `maxUnavailable: 1`, so a
 * drain takes one replica at a time:
 * - Prometheus: 2 (`prometheusReplicas`), an HA pair: a StatefulSet whose replicas each have
 *   their own `local-path` volume (a directory on one node's disk, which they could not share),
 *   scrape every target, evaluate every rule and send every alert to every Alertmanager
 *   replica, which sends it once (the replicas differ only in the external label `replica`,
 *   dropped from alerts). Grafana and KEDA query the `prometheus` Service, which selects both;
 *   the headless `prometheus-headless` governs the StatefulSet. A replica whose node is lost
 *   waits for it, pinned by its volume, while the other carries on.
 * - Alertmanager: 2 (`alertmanagerReplicas`), gossiping, so that silences and the record of sent
 *   notifications survive a restart, a drain or a lost node without pinning it to a node's disk.
 * - Grafana: 2 (`grafanaReplicas`), provisioned alike; each client keeps to one replica, which
 *   holds its login session.
 * - kube-state-metrics: 1. It is stateless and restarts on another node in seconds, and its
 *   alerts hold for 15 minutes before firing, so a short gap delays them rather than raising
 *   false ones; a second replica would export every series twice.
 * - node-exporter: one per node, GPU nodes included.
 *
 * The opt-out for a one-node site, where replicas could only share the one node, is
 * `prometheusReplicas: 1, alertmanagerReplicas: 1, grafanaReplicas: 1`: about half the
 * footprint, at the cost of gaps in data, alerting and dashboards whenever a pod restarts, and
 * of everything while the node is down. Route the always-firing Watchdog alert to a dead man's
 * switch outside the cluster (`watchdogReceiver`) to learn of that, in any case.
 *
 * Fleets: each site's bundle labels its series (`externalLabels`, e.g. `{ site: 'depot-7' }`),
 * keeps every alert of its own, so that it pages with its WAN link down, and remote-writes its
 * site-level records (`site:…`: GPU capacity, demand and headroom, cameras, ingest bitrate),
 * `ALERTS` and `up` to a central Prometheus (`remoteWrite`). The centre is either an existing
 * endpoint or one site's bundle with `fleetCentral`, which receives at {@link remoteWriteUrl},
 * alerts when an expected site stops reporting (FleetSiteNotReporting) or runs short of GPUs
 * (FleetSiteGpuHeadroomLow), and adds a fleet dashboard with a `site` selector.
 */
export class MonitoringBundle extends Construct {
  /** Who runs the monitoring stack. */
  public readonly mode: MonitoringMode;
  /** Namespace of the stack, or of the operator objects. */
  public readonly namespace: string;
  /** The privileged namespace of node-exporter; undefined in operator mode, which runs no pods. */
  public readonly hostNamespace?: string;

  private readonly settings: MonitoringSettings;
  /** Who registered each job name and rule group name, to name both owners of a name. */
  private readonly jobOwners = new Map<string, string>();
  private readonly groupOwners = new Map<string, string>();
  /** What each target and rule source registered: registering one again changes nothing. */
  private readonly scraped = new Map<IScrapeTarget, ScrapeTarget>();
  private readonly ruleSources = new Map<IRuleSource, readonly RuleGroup[]>();
  /** The bundle's own Prometheus, in standalone mode. */
  private prometheus?: PrometheusServer;
  private synthesized = false;

  constructor(scope: Construct, id: string, props: MonitoringBundleProps = {}) {
    super(scope, id);
    this.settings = resolveSettings(this, id, props);
    this.mode = props.mode ?? MonitoringMode.STANDALONE;
    this.namespace = this.settings.namespace;
    this.hostNamespace = this.settings.operator ? undefined : this.settings.hostNamespace;
    if (this.settings.operator) {
      addDashboardConfigMap(this, this.settings);
    } else {
      this.addStack();
    }
    if (this.settings.platformRules) {
      const platformRules = platformRuleGroups({ receivesRemoteWrites: this.settings.fleetCentral !== undefined });
      this.addGroups(this.checkedGroups(platformRules, `MonitoringBundle '${id}' (platform rules)`));
    }
    this.addFleetRules();
    // Adds nothing: it marks the moment the app is synthesized, after which a registration would be lost.
    this.node.addValidation({ validate: () => this.markSynthesized() });
  }

  /**
   * Monitors a component: scrapes it; loads its rules if it owns any ({@link IRuleSource}); if it
   * has `connections` (`IConnectable`), admits the Prometheus pods to its metrics port in
   * its NetworkPolicy (in operator mode, every pod of the operator's namespace) and lets
   * Prometheus out to its pods by the label `video-analytics.io/scraped-by-prometheus:
   * <namespace>.<port>` that the link adds to their pod templates (never to a selector), and
   * otherwise lets Prometheus out to its pods (its own policy must then admit Prometheus); and, if it
   * autoscales on Prometheus (`IPrometheusClient`), gives it the URL of this bundle's
   * Prometheus (in operator mode, `prometheusUrl`, if set). A problem with the target or its
   * rules is refused at once, as is a job or rule group name that is already taken.
   * @returns the scrape target as registered
   */
  public watch(target: IScrapeTarget): ScrapeTarget {
    this.refuseAfterSynthesis('watch');
    const source = describeSource(target, 'a target passed to watch()');
    const known = this.scraped.get(target);
    const job = known ?? this.checkedJob(target.toScrapeTarget(), source);
    const newRules = isRuleSource(target) && !this.ruleSources.has(target) ? target : undefined;
    const groups = newRules?.toRuleGroups() ?? [];
    const rules = this.checkedGroups(groups, source);
    this.usePrometheus(target);
    if (!known) {
      this.scraped.set(target, job);
      this.addJob(job, source);
    }
    if (newRules) {
      this.ruleSources.set(newRules, groups);
      this.addGroups(rules);
    }
    this.linkNetwork(target, job);
    return job;
  }

  /**
   * Scrapes a target, and nothing more: no rules, no network link, no autoscaler. Prefer
   * {@link watch} for the components of the platform.
   * @returns the scrape target as registered
   */
  public scrape(target: IScrapeTarget): ScrapeTarget {
    this.refuseAfterSynthesis('scrape');
    const known = this.scraped.get(target);
    if (known) return known;
    const source = describeSource(target, 'a target passed to scrape()');
    const job = this.checkedJob(target.toScrapeTarget(), source);
    this.scraped.set(target, job);
    this.addJob(job, source);
    return job;
  }

  /**
   * Adds the rule groups of a source, and nothing more. Prefer {@link watch} for the components
   * of the platform, which also scrapes them.
   * @returns the rule groups as registered
   */
  public addRules(source: IRuleSource): readonly RuleGroup[] {
    this.refuseAfterSynthesis('addRules');
    const known = this.ruleSources.get(source);
    if (known) return known;
    const groups = source.toRuleGroups();
    const rules = this.checkedGroups(groups, describeSource(source, 'a source passed to addRules()'));
    this.ruleSources.set(source, groups);
    this.addGroups(rules);
    return groups;
  }

  /**
   * Prometheus's in-cluster URL, for Grafana datasources and KEDA triggers: the bundle's own in
   * standalone mode, `prometheusUrl` (if set) in operator mode.
   */
  public get prometheusUrl(): string | undefined {
    return this.settings.operator ? this.settings.prometheusUrl : `http://${serviceHost(this.settings, 'prometheus')}:${PROMETHEUS_PORT}`;
  }

  /**
   * The URL the fleet's sites remote-write to (their `remoteWrite.url`), when this bundle's
   * Prometheus is the fleet's central one: plain http to the `prometheus-remote-write`
   * LoadBalancer Service, which K3s's ServiceLB opens on every node. The sites reach it across
   * their WAN: keep that path private (a VPN), or put a TLS proxy in front and give the sites its
   * https URL instead.
   * @param externalAddress the DNS name or IP address the sites reach this cluster's nodes by
   */
  public remoteWriteUrl(externalAddress: string): string {
    if (!this.settings.fleetCentral) {
      throw this.error({ prop: 'fleetCentral', value: undefined, rule: 'set for remoteWriteUrl(), which only a central Prometheus has', fix: "Call it on the bundle with 'fleetCentral', or give the sites the receiver's own URL." });
    }
    const fail = (prop: string, value: unknown, rule: string, fix: string): never => {
      throw this.error({ prop, value, rule, fix });
    };
    return centralRemoteWriteUrl(fail, externalAddress, PROMETHEUS_PORT);
  }

  /** CPU and memory requested and allowed by the bundle's pods; all zero in operator mode. */
  public get footprint(): MonitoringFootprint {
    const r = this.settings.resources;
    const s = this.settings;
    const times = (count: number, resources: FullResources): FullResources[] => Array.from({ length: count }, () => resources);
    const perNode = s.operator ? [] : [r.nodeExporter];
    const clusterWide = s.operator ? [] : [...times(s.prometheusReplicas, r.prometheus), ...times(s.alertmanagerReplicas, r.alertmanager),
      ...times(s.grafanaReplicas, r.grafana), r.kubeStateMetrics, ...perNode];
    return {
      requests: total(clusterWide, 'request'),
      limits: total(clusterWide, 'limit'),
      perAdditionalNode: { requests: total(perNode, 'request'), limits: total(perNode, 'limit') },
      storage: s.operator ? Size.gibibytes(0) : multiplied(s.storageSize, s.prometheusReplicas),
    };
  }

  private addStack(): void {
    const settings = this.settings;
    new PlatformNamespace(this, 'namespace', { name: settings.namespace, podSecurity: PodSecurityLevel.RESTRICTED });
    // node-exporter needs hostNetwork, hostPID and hostPath: only a privileged namespace admits them.
    new PlatformNamespace(this, 'host-namespace', { name: settings.hostNamespace, podSecurity: PodSecurityLevel.PRIVILEGED });

    const prometheusPods = PrometheusServer.podsOf(settings);
    const alertmanager = new AlertmanagerCluster(this, 'alertmanager', settings, prometheusPods.connections);
    const grafana = new GrafanaServer(this, 'grafana', settings, prometheusPods.connections);
    const kubeStateMetrics = new KubeStateMetrics(this, 'kube-state-metrics', settings);
    const nodeExporter = new NodeExporter(this, 'node-exporter', settings);
    const prometheus = new PrometheusServer(this, 'prometheus', settings, prometheusPods, alertmanager.scrapeJob, [nodeExporter.scrapeJob.port]);
    this.prometheus = prometheus;
    addFleetLinks(this, settings, prometheusPods, PROMETHEUS_PORT);

    const builtIn = `MonitoringBundle '${this.node.id}' (built-in)`;
    // The kubelet and cAdvisor jobs scrape nodes, not pods: they only take their names.
    for (const jobName of [KUBELET_JOB, CADVISOR_JOB]) this.jobOwners.set(jobName, builtIn);
    for (const component of [prometheus, alertmanager, grafana, kubeStateMetrics, nodeExporter]) {
      this.addJob(component.scrapeJob, builtIn);
      this.linkNetwork(component, component.scrapeJob);
    }
  }

  /** A site's records for the centre, once it sends them or is the centre; the centre's alerts on the sites. */
  private addFleetRules(): void {
    const { remoteWrite, fleetCentral, externalLabels } = this.settings;
    const groups = [
      ...(remoteWrite || fleetCentral ? [siteRuleGroup(externalLabels)] : []),
      ...(fleetCentral ? centralRuleGroups(fleetCentral) : []),
    ];
    if (groups.length > 0) this.addGroups(this.checkedGroups(groups, `MonitoringBundle '${this.node.id}' (fleet rules)`));
  }

  /** The target as Prometheus and the API server would take it, under a job name nobody else uses. */
  private checkedJob(job: ScrapeTarget, source: string): ScrapeTarget {
    const problem = scrapeTargetProblems(job)[0];
    if (problem) throw this.error(problem);
    const owner = this.jobOwners.get(job.jobName);
    if (owner !== undefined) {
      throw this.error({ prop: 'jobName', value: job.jobName, rule: `unique in the platform, but ${owner} and ${source} both use it`, fix: 'Rename the job of one of them.' });
    }
    return job;
  }

  /**
   * The groups as Prometheus would load them, under names nobody else uses, with the runbook
   * links moved to `runbookBaseUrl`; in standalone mode with their rule files, each small enough
   * for a ConfigMap.
   */
  private checkedGroups(groups: readonly RuleGroup[], source: string): CheckedGroup[] {
    const base = this.settings.runbookBaseUrl;
    const taken = new Map<string, string>();
    return groups.map((group) => {
      const problem = ruleGroupProblems(group)[0];
      if (problem) throw this.error(problem);
      const owner = this.groupOwners.get(group.name) ?? taken.get(group.name);
      if (owner !== undefined) {
        throw this.error({ prop: 'groups[].name', value: group.name, rule: `unique in the platform, but ${owner} and ${source} both use it`, fix: 'Rename one of the rule groups.' });
      }
      taken.set(group.name, source);
      const linked = base === undefined ? group : withRunbookBase(group, base);
      const file = this.prometheus ? toRuleFile(linked) : undefined;
      const tooBig = file && ruleFileSizeProblem(linked, file);
      if (tooBig) throw this.error(tooBig);
      return { group: linked, file, source };
    });
  }

  private addJob(job: ScrapeJob, source: string): void {
    this.jobOwners.set(job.jobName, source);
    if (this.prometheus) this.prometheus.addJob(job);
    else addPodMonitor(this, this.settings, job);
  }

  private addGroups(groups: readonly CheckedGroup[]): void {
    for (const { group, file, source } of groups) {
      this.groupOwners.set(group.name, source);
      if (this.prometheus) this.prometheus.addRuleFile(file!);
      else addPrometheusRule(this, this.settings, group);
    }
  }

  /**
   * Lets Prometheus reach the target's metrics port; host-network exporters are reached at the
   * nodes. A target with `connections` is reached by the label `video-analytics.io/scraped-by-prometheus:
   * <namespace>.<port>` the link puts on its pods: Prometheus's policy then has one peer per
   * target namespace and port, not one rule per target (835 KiB of YAML at 10,000 cameras).
   */
  private linkNetwork(target: unknown, job: ScrapeJob): void {
    if (job.hostNetwork) return;
    if (isConnectable(target)) {
      if (this.prometheus) target.connections.allowFrom(this.prometheus.connections, [job.port], { byServerLabel: SCRAPED_BY });
      // The operator's Prometheus is not modelled here: every pod of its namespace is admitted.
      else target.connections.allowFromPeer(namespacePeer(this.namespace), [job.port]);
    } else if (this.prometheus) {
      // The target's policy is not the bundle's to change: it must admit Prometheus itself.
      this.prometheus.connections.addEgress({ to: [podsPeer(job.podSelector, job.namespace, this.namespace)], ports: [tcpPort(job.port)] });
    }
  }

  /** Points the target's KEDA triggers at this bundle's Prometheus, when there is one to point at. */
  private usePrometheus(target: unknown): void {
    const url = this.prometheusUrl;
    if (isPrometheusClient(target) && url !== undefined) target.usePrometheus({ url, owner: `MonitoringBundle '${this.node.id}'` });
  }

  private markSynthesized(): string[] {
    this.synthesized = true;
    return [];
  }

  private refuseAfterSynthesis(method: string): void {
    if (this.synthesized) {
      throw propError('MonitoringBundle', this.node.id, method, 'after synthesis', 'called before the app is synthesized', 'Watch targets and register rules while building the app.');
    }
  }

  private error(problem: Problem): Error {
    return propError('MonitoringBundle', this.node.id, problem.prop, problem.value, problem.rule, problem.fix);
  }
}

/** The relation the label on scraped pods names: `video-analytics.io/scraped-by-prometheus`. */
const SCRAPED_BY = 'scraped-by';

/** A rule group ready to register, its runbook links moved; its rule file in standalone mode. */
interface CheckedGroup {
  readonly group: RuleGroup;
  readonly file?: RuleFile;
  /** Who registers it, for the error that names both owners of a name. */
  readonly source: string;
}

function total(resources: readonly FullResources[], field: 'request' | 'limit'): ResourceAmount {
  const millis = resources.reduce((sum, r) => sum + cpuMillis(r.cpu[field]), 0);
  const kibibytes = resources.reduce((sum, r) => sum + r.memory[field].toKibibytes(), 0);
  return { cpu: Cpu.millis(millis), memory: Size.mebibytes(kibibytes / 1024) };
}

/** `count` times a size, in the largest unit that is exact. */
function multiplied(size: Size, count: number): Size {
  if (count === 1) return size;
  const kib = size.toKibibytes({ rounding: SizeRoundingBehavior.NONE }) * count;
  if (kib % (1024 * 1024) === 0) return Size.gibibytes(kib / (1024 * 1024));
  return kib % 1024 === 0 ? Size.mebibytes(kib / 1024) : Size.kibibytes(kib);
}

/** Props only the bundle's own stack reads: in operator mode they would silently do nothing. */
const STANDALONE_ONLY: ReadonlyArray<keyof MonitoringBundleProps> = [
  'hostNamespace', 'receivers', 'routes', 'defaultReceiver', 'watchdogReceiver', 'retention', 'storageSize', 'retentionSize',
  'storageClassName', 'scrapeInterval', 'evaluationInterval', 'prometheusReplicas', 'alertmanagerReplicas', 'grafanaReplicas',
  'grafanaAdminUser', 'grafanaAdminPassword',
  'grafanaIngressNamespaces', 'queryNamespaces', 'nodeNetworks', 'verifyKubeletTls', 'prometheusResources', 'alertmanagerResources',
  'grafanaResources', 'kubeStateMetricsResources', 'nodeExporterResources', 'externalLabels', 'remoteWrite', 'fleetCentral',
];

function resolveSettings(scope: Construct, id: string, props: MonitoringBundleProps): MonitoringSettings {
  const fail = (prop: string, value: unknown, rule: string, fix: string): never => {
    throw propError('MonitoringBundle', id, prop, value, rule, fix);
  };
  const operator = props.mode === MonitoringMode.OPERATOR;
  if (operator) {
    const misplaced = STANDALONE_ONLY.find((prop) => props[prop] !== undefined);
    if (misplaced) fail(misplaced, 'set', 'left out in operator mode, where the operator\'s stack does not read it', `Configure it in the operator's stack, or use MonitoringMode.STANDALONE.`);
  }
  const namespace = props.namespace ?? 'monitoring';
  const hostNamespace = props.hostNamespace ?? 'monitoring-host';
  for (const [prop, value] of [['namespace', namespace], ['hostNamespace', hostNamespace]] as const) {
    const problem = dns1123Label(value);
    if (problem) fail(prop, value, `a DNS-1123 label (${problem})`, 'Use lowercase letters, digits and dashes.');
  }
  if (!operator && hostNamespace === namespace) fail('hostNamespace', hostNamespace, `different from 'namespace'`, 'node-exporter needs a privileged namespace of its own.');

  const storageSize = props.storageSize ?? Size.gibibytes(10);
  const storageMib = wholeMebibytes(storageSize);
  if (!(storageMib >= 1)) fail('storageSize', storageSize.asString(), 'a size of at least 1Mi', 'Write it like Size.gibibytes(10).');
  const retentionSize = props.retentionSize ?? Size.mebibytes(Math.max(1, Math.floor(storageMib * 0.8)));
  const retentionMib = wholeMebibytes(retentionSize);
  if (!(retentionMib >= 1)) fail('retentionSize', retentionSize.asString(), 'a size of at least 1Mi', 'Write it like Size.gibibytes(8).');
  if (retentionMib > storageMib) fail('retentionSize', retentionSize.asString(), `at most 'storageSize' (${storageSize.asString()})`, 'Keep it below the volume size, leaving room for the write-ahead log.');
  const storageClassName = props.storageClassName ?? 'local-path';
  const classProblem = dns1123Subdomain(storageClassName);
  if (classProblem) fail('storageClassName', storageClassName, `a StorageClass name (${classProblem})`, 'Use a StorageClass of the cluster, such as local-path.');
  const retention = checkDuration(fail, 'retention', props.retention ?? Duration.days(15), 1);
  const scrapeInterval = checkDuration(fail, 'scrapeInterval', props.scrapeInterval ?? Duration.seconds(30), 1000);
  const evaluationInterval = checkDuration(fail, 'evaluationInterval', props.evaluationInterval ?? Duration.seconds(30), 1000);

  const receivers = props.receivers ?? [];
  const names = receivers.map((r) => r.name);
  const duplicate = names.find((name, i) => names.indexOf(name) !== i);
  if (duplicate) fail('receivers', duplicate, 'receivers with unique names', 'Rename one of them.');
  if (!operator && receivers.length === 0) {
    fail('receivers', '[]', 'at least one receiver in standalone mode', 'Add Receiver.email(...) or Receiver.webhook(...): without one, alerts reach nobody.');
  }
  const knownReceiver = (prop: string, name: string | undefined): void => {
    if (name !== undefined && name !== NULL_RECEIVER && !names.includes(name)) fail(prop, name, `the name of one of 'receivers' (${names.join(', ')})`, 'Add the receiver or correct the name.');
  };
  const defaultReceiver = props.defaultReceiver ?? names[0] ?? NULL_RECEIVER;
  knownReceiver('defaultReceiver', props.defaultReceiver);
  knownReceiver('watchdogReceiver', props.watchdogReceiver);
  (props.routes ?? []).forEach((route, i) => {
    knownReceiver(`routes[${i}].receiver`, route.receiver);
    const labels = Object.keys(route.matchers ?? {});
    if (labels.length === 0) fail(`routes[${i}].matchers`, '{}', 'at least one label to match', "Match e.g. { severity: 'critical' }.");
    const bad = labels.find((label) => !/^[a-zA-Z_][a-zA-Z0-9_]*$/.test(label));
    if (bad) fail(`routes[${i}].matchers`, bad, 'Prometheus label names', 'Use letters, digits and underscores.');
    if (route.repeatInterval) checkDuration(fail, `routes[${i}].repeatInterval`, route.repeatInterval, 1000);
  });

  const fleet = resolveFleetSettings(fail, props);
  const prometheusReplicas = checkReplicas(fail, 'prometheusReplicas', props.prometheusReplicas ?? (fleet.fleetCentral ? 1 : undefined), 'Use 2 for an HA pair, or 1 on a one-node site.');
  if (fleet.fleetCentral && prometheusReplicas > 1) {
    fail('prometheusReplicas', prometheusReplicas, "1 with 'fleetCentral': the sites' remote writes reach one replica or the other, so each replica would hold part of every site's series and alert that the rest went silent",
      'Leave it out: the central Prometheus runs one replica, and the sites resend what they hold (about two hours) after it restarts.');
  }
  const alertmanagerReplicas = checkReplicas(fail, 'alertmanagerReplicas', props.alertmanagerReplicas, 'Use 2 to keep silences through restarts and lost nodes, or 1 on a one-node site.');
  const grafanaReplicas = checkReplicas(fail, 'grafanaReplicas', props.grafanaReplicas, 'Use 2 to keep the dashboards up through a lost node, or 1 on a one-node site.');
  const grafanaAdminPassword = props.grafanaAdminPassword ?? { secretName: 'grafana-admin', key: 'admin-password' };
  const secretProblem = dns1123Subdomain(grafanaAdminPassword.secretName ?? '');
  if (secretProblem) fail('grafanaAdminPassword.secretName', grafanaAdminPassword.secretName, `a Secret name (${secretProblem})`, 'Use the name of a Secret in the monitoring namespace.');
  const keyProblem = secretDataKey(grafanaAdminPassword.key ?? '');
  if (keyProblem) fail('grafanaAdminPassword.key', grafanaAdminPassword.key, `a Secret data key (${keyProblem})`, 'Use the key under which the Secret stores the password.');
  const grafanaAdminUser = props.grafanaAdminUser ?? 'admin';
  if (grafanaAdminUser.trim() === '') fail('grafanaAdminUser', grafanaAdminUser, 'a user name', "Use e.g. 'admin'.");

  const grafanaIngressNamespaces = checkNamespaces(fail, 'grafanaIngressNamespaces', props.grafanaIngressNamespaces ?? ['kube-system']);
  const queryNamespaces = checkNamespaces(fail, 'queryNamespaces', props.queryNamespaces ?? ['keda']);
  const nodeNetworks = props.nodeNetworks ?? ['0.0.0.0/0'];
  if (nodeNetworks.length === 0) fail('nodeNetworks', '[]', 'at least one CIDR', "Use ['0.0.0.0/0'] or the nodes' subnet.");
  const badNetwork = nodeNetworks.find((cidr) => !isCidr(cidr));
  if (badNetwork) fail('nodeNetworks', badNetwork, 'a CIDR', "Write it like '192.168.1.0/24'.");

  const operatorSelectorLabels = { ...props.operatorSelectorLabels };
  for (const [key, value] of Object.entries(operatorSelectorLabels)) {
    const problem = qualifiedName(key) ?? labelValue(value);
    if (problem) fail(`operatorSelectorLabels.${key}`, value, `a valid label (${problem})`, "Use the labels your operator selects, e.g. { release: 'kube-prometheus-stack' }.");
  }
  const { clusterDomain } = resolveScopedPodProps(scope, 'MonitoringBundle', { clusterDomain: props.clusterDomain });
  const prometheusUrl = props.prometheusUrl;
  if (prometheusUrl !== undefined && !operator) {
    fail('prometheusUrl', prometheusUrl, 'left out in standalone mode, where the bundle runs its own Prometheus', 'Leave it out, or use MonitoringMode.OPERATOR.');
  }
  if (prometheusUrl !== undefined && !/^https?:\/\/[^\s/]+(\/\S*)?$/.test(prometheusUrl)) {
    fail('prometheusUrl', prometheusUrl, 'an http or https URL', "Give the Service of the operator's Prometheus, e.g. 'http://kube-prometheus-stack-prometheus.monitoring.svc.cluster.local:9090'.");
  }
  const runbookBaseUrl = props.runbookBaseUrl;
  if (runbookBaseUrl !== undefined && !/^https?:\/\/[^\s#]+$/.test(runbookBaseUrl)) {
    fail('runbookBaseUrl', runbookBaseUrl, 'an http or https URL without a #fragment', "Give the page's URL, e.g. 'https://wiki.example.com/video-analytics/runbooks'; each alert adds its own #anchor.");
  }

  return {
    id,
    operator,
    namespace,
    hostNamespace,
    clusterDomain,
    scrapeInterval,
    evaluationInterval,
    retention,
    retentionSize,
    storageSize,
    storageClassName,
    receivers,
    routes: props.routes ?? [],
    defaultReceiver,
    watchdogReceiver: props.watchdogReceiver,
    prometheusReplicas,
    alertmanagerReplicas,
    grafanaReplicas,
    grafanaAdminUser,
    grafanaAdminPassword,
    grafanaIngressNamespaces,
    queryNamespaces,
    nodeNetworks,
    verifyKubeletTls: props.verifyKubeletTls ?? true,
    platformRules: props.platformRules ?? !operator,
    runbookBaseUrl,
    operatorSelectorLabels,
    prometheusUrl,
    resources: resolveResources(id, props),
    ...fleet,
  };
}

type Fail = (prop: string, value: unknown, rule: string, fix: string) => never;


/** A duration Prometheus can write: finite, whole milliseconds, and at least `minMillis`. */
function checkDuration(fail: Fail, prop: string, duration: Duration, minMillis: number): Duration {
  const millis = wholeMillis(duration);
  if (!(millis >= minMillis)) {
    const rule = minMillis >= 1000 ? 'a whole number of milliseconds, at least one second' : 'a positive whole number of milliseconds';
    fail(prop, `${duration.toMilliseconds({ integral: false })} ms`, rule, 'Write it like Duration.days(15) or Duration.seconds(30).');
  }
  return duration;
}

/** A replica count: a whole number of at least one, 2 unless given. */
function checkReplicas(fail: Fail, prop: string, replicas: number | undefined, fix: string): number {
  const count = replicas ?? 2;
  if (!Number.isInteger(count) || count < 1) fail(prop, count, 'an integer >= 1', fix);
  return count;
}

function checkNamespaces(fail: Fail, prop: string, namespaces: readonly string[]): readonly string[] {
  for (const namespace of namespaces) {
    const problem = dns1123Label(namespace);
    if (problem) fail(prop, namespace, `namespace names (${problem})`, 'Use names of existing namespaces.');
  }
  return namespaces;
}

function resolveResources(id: string, props: MonitoringBundleProps): ComponentResources {
  const resolve = (prop: keyof MonitoringBundleProps, defaults: FullResources, overrides: ContainerResources | undefined): FullResources => {
    const merged = mergeResources(defaults, overrides);
    checkResources('MonitoringBundle', id, prop, merged);
    return merged;
  };
  return {
    prometheus: resolve('prometheusResources', DEFAULT_RESOURCES.prometheus, props.prometheusResources),
    alertmanager: resolve('alertmanagerResources', DEFAULT_RESOURCES.alertmanager, props.alertmanagerResources),
    grafana: resolve('grafanaResources', DEFAULT_RESOURCES.grafana, props.grafanaResources),
    kubeStateMetrics: resolve('kubeStateMetricsResources', DEFAULT_RESOURCES.kubeStateMetrics, props.kubeStateMetricsResources),
    nodeExporter: resolve('nodeExporterResources', DEFAULT_RESOURCES.nodeExporter, props.nodeExporterResources),
  };
}
