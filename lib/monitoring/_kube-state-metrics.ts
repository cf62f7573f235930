import { k8s } from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { ComponentIdentity, selectorLabels, standardLabels } from '../core/labels';
import { goRuntimeEnv, toResourceRequirements } from '../synth/pod/resources';
import { addresses } from './_network';
import { ScrapeJob } from './_prometheus';
import { KUBE_STATE_METRICS_JOB } from './_platform-rules';
import { KUBE_STATE_METRICS_IMAGE, MonitoringSettings, componentIdentity } from './_settings';
import { Connections, IConnectable } from '../synth/connections';
import { KubeClusterRole, KubeClusterRoleBinding } from '../synth/kube-objects';
import { PodServiceAccount, PriorityTier, newDeployment, newServiceAccount } from '../synth/pod/builder';

const METRICS_PORT = 8080;
const TELEMETRY_PORT = 8081;
const API_SERVER_PORTS = [443, 6443];

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

/** kube-state-metrics, one replica: it is stateless and restarts in seconds, and a second one would duplicate every series. */
export class KubeStateMetrics extends Construct implements IConnectable {
  public readonly identity: ComponentIdentity;
  /** Out to the API server; Prometheus's scrape is the bundle's link. */
  public readonly connections: Connections;

  constructor(scope: Construct, id: string, private readonly settings: MonitoringSettings) {
    super(scope, id);
    this.identity = componentIdentity(settings, 'kube-state-metrics', KUBE_STATE_METRICS_IMAGE);
    this.connections = new Connections({ ownerKind: 'MonitoringBundle', name: this.identity.name, namespace: settings.namespace, podSelector: selectorLabels(this.identity) });
    const serviceAccount = this.addRbac();
    this.addDeployment(serviceAccount);
    this.connections.allowToPeers(addresses(settings.nodeNetworks), API_SERVER_PORTS);
    this.connections.addPolicy(this, 'network-policy', { name: this.identity.name, namespace: settings.namespace, labels: standardLabels(this.identity) });
  }

  /** Its metrics describe other objects: their `namespace` and `pod` labels must win over the target's. */
  public get scrapeJob(): ScrapeJob {
    return {
      jobName: KUBE_STATE_METRICS_JOB, namespace: this.settings.namespace, podSelector: selectorLabels(this.identity),
      portName: 'http-metrics', port: METRICS_PORT, honorLabels: true,
    };
  }

  private addRbac(): PodServiceAccount {
    const name = `${this.settings.namespace}-kube-state-metrics`;
    const labels = standardLabels(this.identity);
    const groups = [...new Set(RESOURCES.map((r) => r.group))];
    const serviceAccount = newServiceAccount(this, 'service-account', {
      metadata: { name: 'kube-state-metrics', namespace: this.settings.namespace, labels },
      readsApiBecause: 'it lists and watches the objects whose state it reports, through the API server',
    });
    new KubeClusterRole(this, 'cluster-role', {
      metadata: { name, labels },
      rules: groups.map((group) => ({
        apiGroups: [group],
        resources: RESOURCES.filter((r) => r.group === group).map((r) => r.resource),
        verbs: ['list', 'watch'],
      })),
    });
    new KubeClusterRoleBinding(this, 'cluster-role-binding', {
      metadata: { name, labels },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name },
      subjects: [{ kind: 'ServiceAccount', name: serviceAccount.name, namespace: this.settings.namespace }],
    });
    return serviceAccount;
  }

  private addDeployment(serviceAccount: PodServiceAccount): void {
    const settings = this.settings;
    newDeployment(this, 'deployment', {
      metadata: { name: 'kube-state-metrics', namespace: settings.namespace, labels: standardLabels(this.identity) },
      spec: {
        replicas: 1,
        revisionHistoryLimit: 3,
        selector: { matchLabels: selectorLabels(this.identity) },
        template: {
          labels: standardLabels(this.identity),
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
              livenessProbe: { httpGet: { path: '/livez', port: k8s.IntOrString.fromString('http-metrics') }, initialDelaySeconds: 5, periodSeconds: 20, timeoutSeconds: 5, failureThreshold: 3 },
              readinessProbe: { httpGet: { path: '/readyz', port: k8s.IntOrString.fromString('telemetry') }, initialDelaySeconds: 5, periodSeconds: 10, timeoutSeconds: 5, failureThreshold: 3 },
              resources: toResourceRequirements(settings.resources.kubeStateMetrics),
            }],
          },
        },
      },
    });
  }
}
