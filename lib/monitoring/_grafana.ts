import { k8s } from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { goRuntimeEnv, toResourceRequirements } from '../synth/pod/resources';
import { addService, healthProbes, monitoringPods } from './_component';
import { DASHBOARD_FILE, platformDashboard } from './_dashboard';
import { promDuration } from './_format';
import { toConfigYaml } from '../synth/config-yaml';
import { PROMETHEUS_PORT, ScrapeJob } from './_prometheus';
import { GRAFANA_IMAGE, MonitoringSettings, serviceHost } from './_settings';
import { ConfigMapObject } from '../synth/config-map';
import { Connections, IConnectable, namespacePeer, tcpPort } from '../synth/connections';
import { ContainerOptions, PodServiceAccount, PriorityTier, newDeployment } from '../synth/pod/builder';
import { ComponentPods } from '../synth/pod/component-pods';

export const GRAFANA_PORT = 3000;
const DASHBOARDS_DIR = '/etc/grafana/dashboards';

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
 * Grafana, one replica: its state is provisioned from ConfigMaps (datasource, dashboards) and
 * its database is an emptyDir, so a restart loses nothing that is not in code, and a second
 * replica would only add a second, diverging database.
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
    const dashboards = { [DASHBOARD_FILE]: platformDashboard() };
    new ConfigMapObject(this, 'provisioning', { metadata: this.pods.metadata('grafana-provisioning'), data: provisioning });
    new ConfigMapObject(this, 'dashboards', { metadata: this.pods.metadata('grafana-dashboards'), data: dashboards });
    const serviceAccount = this.pods.addServiceAccount(this);
    addService(this, 'service', this.pods, [{ name: 'http', port: GRAFANA_PORT }]);
    this.addDeployment({ ...provisioning, ...dashboards }, serviceAccount);
    this.addNetworkPolicy(prometheus);
  }

  public get scrapeJob(): ScrapeJob {
    return { jobName: 'grafana', namespace: this.pods.namespace, podSelector: this.pods.selector, portName: 'http', port: GRAFANA_PORT };
  }

  private addDeployment(config: Record<string, string>, serviceAccount: PodServiceAccount): void {
    newDeployment(this, 'deployment', {
      metadata: this.pods.metadata(),
      spec: {
        replicas: 1,
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
