import { k8s } from '../core/cdk8s-plus';
import { Construct } from 'constructs';
import { goRuntimeEnv, toResourceRequirements } from '../synth/pod/resources';
import { addService, healthProbes, monitoringPods } from './_component';
import { DASHBOARD_FILE, platformDashboard } from './_dashboard';
import { FLEET_DASHBOARD_FILE, fleetDashboard } from './_fleet-dashboard';
import { promDuration } from './_format';
import { toConfigYaml } from '../synth/config-yaml';
import { PROMETHEUS_PORT, ScrapeJob } from './_prometheus';
import { GRAFANA_IMAGE, MonitoringSettings, serviceHost } from './_settings';
import { ConfigMapObject } from '../synth/config-map';
import { Connections, IConnectable, namespacePeer, tcpPort } from '../synth/connections';
import { ContainerOptions, PodServiceAccount, PriorityTier, newDeployment, singleReplicaChosenBy } from '../synth/pod/builder';
import { ComponentPods } from '../synth/pod/component-pods';

export const GRAFANA_PORT = 3000;
const DASHBOARDS_DIR = '/etc/grafana/dashboards';
/**
 * Traefik (K3s's ingress controller) routes to the pods directly, past the Service's
 * `sessionAffinity`: these Service annotations make it pin each browser to one pod by a cookie.
 */
const TRAEFIK_STICKY_SESSION = {
  'traefik.ingress.kubernetes.io/service.sticky.cookie': 'true',
  'traefik.ingress.kubernetes.io/service.sticky.cookie.httponly': 'true',
};

function provisioningFiles(settings: MonitoringSettings): Record<string, string> {
  return {
    'datasources.yaml': toConfigYaml({
      apiVersion: 1,
      datasources: [{
        name: 'Prometheus',
        uid: 'prometheus',
        type: 'prometheus',
        access: 'proxy',
        url: `http://${serviceHost(settings, 'prometheus')}:${PROMETHEUS_PORT}`,
        isDefault: true,
        editable: false,
        jsonData: { timeInterval: promDuration(settings.scrapeInterval) },
      }],
    }),
    'dashboards.yaml': toConfigYaml({
      apiVersion: 1,
      providers: [{
        name: 'video-analytics',
        folder: 'Video analytics',
        type: 'file',
        // The dashboards live in code: edits in the UI would be lost at the next restart.
        disableDeletion: true,
        allowUiUpdates: false,
        options: { path: DASHBOARDS_DIR },
      }],
    }),
  };
}

/**
 * Grafana, two replicas by default (`grafanaReplicas`), never two on one node while another
 * has none, with a disruption budget: losing or draining a node leaves one that answers. What
 * it shows is provisioned (the datasource and dashboards from ConfigMaps, the admin user from a
 * Secret), so every replica serves the same, and a restart loses nothing that is in code.
 *
 * Its database is SQLite in an emptyDir, one per replica, and holds the login sessions: a
 * session opened on one replica is unknown to the other, which would send the user back to the
 * login page on every other request. So each client keeps to one replica: by client IP for
 * clients of the Service's address (`sessionAffinity: ClientIP`), and by a cookie for Traefik,
 * which balances over the pods itself and reads the Service's sticky-cookie annotation. When
 * that replica goes, its users log in again on the other. Users, folders or dashboards made in
 * the UI live in one replica's database until its next restart, as with one replica: keep them
 * in code. (A shared PostgreSQL or MySQL database, through Grafana's `GF_DATABASE_*` settings,
 * would share sessions too, at the cost of one more stateful component to run.)
 */
export class GrafanaServer extends Construct implements IConnectable {
  /** Users in, queries out to Prometheus. */
  public readonly connections: Connections;
  private readonly pods: ComponentPods;

  constructor(scope: Construct, id: string, private readonly settings: MonitoringSettings, prometheus: Connections) {
    super(scope, id);
    this.pods = monitoringPods(settings, 'grafana', GRAFANA_IMAGE);
    this.connections = this.pods.connections;
    const provisioning = provisioningFiles(settings);
    const dashboards = {
      [DASHBOARD_FILE]: platformDashboard(),
      ...(settings.fleetCentral ? { [FLEET_DASHBOARD_FILE]: fleetDashboard() } : {}),
    };
    new ConfigMapObject(this, 'provisioning', { metadata: this.pods.metadata('grafana-provisioning'), data: provisioning });
    new ConfigMapObject(this, 'dashboards', { metadata: this.pods.metadata('grafana-dashboards'), data: dashboards });
    const serviceAccount = this.pods.addServiceAccount(this);
    this.addService();
    this.addDeployment({ ...provisioning, ...dashboards }, serviceAccount);
    if (this.replicated) this.pods.addDisruptionBudget(this);
    this.addNetworkPolicy(prometheus);
  }

  public get scrapeJob(): ScrapeJob {
    return { jobName: 'grafana', namespace: this.pods.namespace, podSelector: this.pods.selector, portName: 'http', port: GRAFANA_PORT };
  }

  private get replicated(): boolean {
    return this.settings.grafanaReplicas > 1;
  }

  /** With replicas, each client keeps to the one that holds its login session. */
  private addService(): void {
    const sticky = this.replicated ? { spec: { sessionAffinity: 'ClientIP' }, annotations: TRAEFIK_STICKY_SESSION } : {};
    addService(this, 'service', this.pods, [{ name: 'http', port: GRAFANA_PORT }], sticky);
  }

  private addDeployment(config: Record<string, string>, serviceAccount: PodServiceAccount): void {
    newDeployment(this, 'deployment', {
      metadata: this.pods.metadata(),
      singleReplicaReason: singleReplicaChosenBy('grafanaReplicas', this.settings.grafanaReplicas),
      spec: {
        replicas: this.settings.grafanaReplicas,
        revisionHistoryLimit: 3,
        selector: { matchLabels: { ...this.pods.selector } },
        strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: k8s.IntOrString.fromNumber(1), maxUnavailable: k8s.IntOrString.fromNumber(0) } },
        template: {
          labels: this.pods.labels,
          connections: this.connections,
          config,
          spec: {
            serviceAccount,
            tier: PriorityTier.PLATFORM,
            topologySpreadConstraints: this.replicated ? this.pods.spreadOverNodes({ zones: false }) : undefined,
            containers: [this.container()],
            volumes: [
              {
                name: 'provisioning',
                configMap: {
                  name: 'grafana-provisioning',
                  items: [
                    { key: 'datasources.yaml', path: 'datasources/datasources.yaml' },
                    { key: 'dashboards.yaml', path: 'dashboards/dashboards.yaml' },
                  ],
                },
              },
              { name: 'dashboards', configMap: { name: 'grafana-dashboards' } },
              { name: 'data', emptyDir: { sizeLimit: k8s.Quantity.fromString('512Mi') } },
              { name: 'tmp', emptyDir: { sizeLimit: k8s.Quantity.fromString('64Mi') } },
            ],
          },
        },
      },
    });
  }

  private container(): ContainerOptions {
    const settings = this.settings;
    const env = (name: string, value: string): k8s.EnvVar => ({ name, value });
    return {
      name: 'grafana',
      image: GRAFANA_IMAGE,
      env: [
        env('GF_SECURITY_ADMIN_USER', settings.grafanaAdminUser),
        { name: 'GF_SECURITY_ADMIN_PASSWORD', valueFrom: { secretKeyRef: { name: settings.grafanaAdminPassword.secretName, key: settings.grafanaAdminPassword.key } } },
        env('GF_PATHS_DATA', '/var/lib/grafana'),
        env('GF_PATHS_PLUGINS', '/var/lib/grafana/plugins'),
        env('GF_LOG_MODE', 'console'),
        env('GF_USERS_ALLOW_SIGN_UP', 'false'),
        env('GF_AUTH_ANONYMOUS_ENABLED', 'false'),
        // Edge sites are often offline: no calls home, no update checks.
        env('GF_ANALYTICS_REPORTING_ENABLED', 'false'),
        env('GF_ANALYTICS_CHECK_FOR_UPDATES', 'false'),
        env('GF_ANALYTICS_CHECK_FOR_PLUGIN_UPDATES', 'false'),
        env('GF_NEWS_NEWS_FEED_ENABLED', 'false'),
        ...goRuntimeEnv('grafana'),
      ],
      ports: [{ name: 'http', containerPort: GRAFANA_PORT, protocol: 'TCP' }],
      ...healthProbes('http', { ready: '/api/health', live: '/api/health' }, 30),
      resources: toResourceRequirements(settings.resources.grafana),
      volumeMounts: [
        { name: 'provisioning', mountPath: '/etc/grafana/provisioning', readOnly: true },
        { name: 'dashboards', mountPath: DASHBOARDS_DIR, readOnly: true },
        { name: 'data', mountPath: '/var/lib/grafana' },
        { name: 'tmp', mountPath: '/tmp' },
      ],
    };
  }

  /** Users in through K3s's Traefik (in kube-system); queries out to Prometheus. Prometheus's scrape is the bundle's link. */
  private addNetworkPolicy(prometheus: Connections): void {
    const namespaces = this.settings.grafanaIngressNamespaces;
    if (namespaces.length > 0) this.connections.addIngress({ from: namespaces.map(namespacePeer), ports: [tcpPort(GRAFANA_PORT)] });
    prometheus.allowFrom(this.connections, [PROMETHEUS_PORT]);
    this.pods.addNetworkPolicy(this);
  }
}
