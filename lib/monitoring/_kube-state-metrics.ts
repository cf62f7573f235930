import { k8s } from '../core/cdk8s-plus';
import { Construct } from 'constructs';
import { goRuntimeEnv, toResourceRequirements } from '../synth/pod/resources';
import { addClusterReader, monitoringPods } from './_component';
import { ScrapeJob } from './_prometheus';
import { KUBE_STATE_METRICS_JOB } from './_platform-rules';
import { KUBE_STATE_METRICS_IMAGE, MonitoringSettings } from './_settings';
import { Connections, IConnectable, addressPeers } from '../synth/connections';
import { PodServiceAccount, PriorityTier, newDeployment } from '../synth/pod/builder';
import { ComponentPods, httpProbe } from '../synth/pod/component-pods';

const METRICS_PORT = 8080;
const TELEMETRY_PORT = 8081;
const API_SERVER_PORTS = [443, 6443];
/** Why one replica is enough; see the class. */
const SINGLE_REPLICA_REASON = 'stateless: rescheduled on another node in seconds, and its alerts hold for 15 minutes; a second replica would export every series twice';

/**
 * The objects whose state the rules and dashboard read, and nothing more: each resource kind
 * costs memory in kube-state-metrics and in Prometheus, and RBAC follows this list exactly.
 */
const RESOURCES: ReadonlyArray<{ group: string; resource: string }> = [
  { group: '', resource: 'namespaces' },
  { group: '', resource: 'nodes' },
  { group: '', resource: 'persistentvolumeclaims' },
  { group: '', resource: 'persistentvolumes' },
  { group: '', resource: 'pods' },
  { group: 'apps', resource: 'daemonsets' },
  { group: 'apps', resource: 'deployments' },
  { group: 'apps', resource: 'replicasets' },
  { group: 'apps', resource: 'statefulsets' },
  { group: 'autoscaling', resource: 'horizontalpodautoscalers' },
  { group: 'batch', resource: 'jobs' },
  { group: 'policy', resource: 'poddisruptionbudgets' },
];

/** List and watch of {@link RESOURCES}, one rule per API group. */
function readRules(): k8s.PolicyRule[] {
  const groups = [...new Set(RESOURCES.map((r) => r.group))];
  return groups.map((group) => ({
    apiGroups: [group],
    resources: RESOURCES.filter((r) => r.group === group).map((r) => r.resource),
    verbs: ['list', 'watch'],
  }));
}

/**
 * kube-state-metrics, one replica on purpose. It is stateless (everything it reports it reads
 * again from the API server), so when its node is lost or drained the Deployment starts it on
 * another node within seconds, with no volume to wait for. Its alerts tolerate that gap: those
 * built on its series must hold for 15 minutes before they fire, so a gap of seconds delays an
 * alert rather than raising a false one. A second replica would not fill the gap for free: it
 * would export every series a second time, and every rule that counts or sums them would count
 * twice. The workload says so in its single-replica reason, its exemption from the
 * single-point-of-failure policy.
 */
export class KubeStateMetrics extends Construct implements IConnectable {
  /** Out to the API server; Prometheus's scrape is the bundle's link. */
  public readonly connections: Connections;
  private readonly pods: ComponentPods;

  constructor(scope: Construct, id: string, private readonly settings: MonitoringSettings) {
    super(scope, id);
    this.pods = monitoringPods(settings, 'kube-state-metrics', KUBE_STATE_METRICS_IMAGE);
    this.connections = this.pods.connections;
    const serviceAccount = addClusterReader(this, this.pods, 'it lists and watches the objects whose state it reports, through the API server', readRules());
    this.addDeployment(serviceAccount);
    this.connections.allowToPeers(addressPeers(settings.nodeNetworks), API_SERVER_PORTS);
    this.pods.addNetworkPolicy(this);
  }

  /** Its metrics describe other objects: their `namespace` and `pod` labels must win over the target's. */
  public get scrapeJob(): ScrapeJob {
    return {
      jobName: KUBE_STATE_METRICS_JOB, namespace: this.pods.namespace, podSelector: this.pods.selector,
      portName: 'http-metrics', port: METRICS_PORT, honorLabels: true,
    };
  }

  private addDeployment(serviceAccount: PodServiceAccount): void {
    const settings = this.settings;
    newDeployment(this, 'deployment', {
      metadata: this.pods.metadata(),
      singleReplicaReason: SINGLE_REPLICA_REASON,
      spec: {
        replicas: 1,
        revisionHistoryLimit: 3,
        selector: { matchLabels: { ...this.pods.selector } },
        template: {
          labels: this.pods.labels,
          connections: this.connections,
          spec: {
            serviceAccount,
            tier: PriorityTier.PLATFORM,
            containers: [{
              name: 'kube-state-metrics',
              image: KUBE_STATE_METRICS_IMAGE,
              args: [
                `--port=${METRICS_PORT}`,
                `--telemetry-port=${TELEMETRY_PORT}`,
                `--resources=${RESOURCES.map((r) => r.resource).sort().join(',')}`,
              ],
              env: goRuntimeEnv('kube-state-metrics'),
              ports: [
                { name: 'http-metrics', containerPort: METRICS_PORT, protocol: 'TCP' },
                { name: 'telemetry', containerPort: TELEMETRY_PORT, protocol: 'TCP' },
              ],
              livenessProbe: httpProbe('/livez', 'http-metrics', { initialDelaySeconds: 5, periodSeconds: 20, timeoutSeconds: 5, failureThreshold: 3 }),
              readinessProbe: httpProbe('/readyz', 'telemetry', { initialDelaySeconds: 5, periodSeconds: 10, timeoutSeconds: 5, failureThreshold: 3 }),
              resources: toResourceRequirements(settings.resources.kubeStateMetrics),
            }],
          },
        },
      },
    });
  }
}
