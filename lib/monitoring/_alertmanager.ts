import { k8s } from '../core/cdk8s-plus';
import { Construct } from 'constructs';
import { goRuntimeEnv, toResourceRequirements } from '../synth/pod/resources';
import { NamedPort, addService, healthProbes, monitoringPods } from './_component';
import { matcher, promDuration } from './_format';
import { toConfigYaml } from '../synth/config-yaml';
import { ScrapeJob } from './_prometheus';
import { ALERTMANAGER_IMAGE, MonitoringSettings, serviceHost } from './_settings';
import { AlertRoute, NULL_RECEIVER, Receiver, SecretKey } from './receiver';
import { ConfigMapObject } from '../synth/config-map';
import { Connections, IConnectable, addressPeers, podsPeer, tcpPort, udpPort } from '../synth/connections';
import { ContainerOptions, PodServiceAccount, PriorityTier, newStatefulSet, singleReplicaChosenBy } from '../synth/pod/builder';
import { ComponentPods } from '../synth/pod/component-pods';

export const ALERTMANAGER_PORT = 9093;
/** Gossip between replicas: silences and the notification log, over TCP and UDP. */
const CLUSTER_PORT = 9094;
const CONFIG_DIR = '/etc/alertmanager/config';
const SECRETS_DIR = '/etc/alertmanager/secrets';
const CLUSTER_SERVICE = 'alertmanager-cluster';

/** Where a Secret key is mounted in the Alertmanager pod. */
function secretPath(secret: SecretKey): string {
  return `${SECRETS_DIR}/${secret.secretName}/${secret.key}`;
}

function webhookConfig(receiver: Receiver): Record<string, unknown> {
  const options = receiver.webhookOptions!;
  return {
    url: options.url,
    url_file: options.urlSecret ? secretPath(options.urlSecret) : undefined,
    send_resolved: options.sendResolved ?? true,
    http_config: options.bearerTokenSecret
      ? { authorization: { type: 'Bearer', credentials_file: secretPath(options.bearerTokenSecret) } }
      : undefined,
  };
}

function emailConfig(receiver: Receiver): Record<string, unknown> {
  const options = receiver.emailOptions!;
  return {
    to: options.to,
    from: options.from,
    smarthost: options.smarthost,
    auth_username: options.authUsername,
    auth_password_file: options.authPasswordSecret ? secretPath(options.authPasswordSecret) : undefined,
    require_tls: options.requireTls ?? true,
    send_resolved: options.sendResolved ?? true,
  };
}

function receiverConfig(receiver: Receiver): Record<string, unknown> {
  return receiver.webhookOptions
    ? { name: receiver.name, webhook_configs: [webhookConfig(receiver)] }
    : { name: receiver.name, email_configs: [emailConfig(receiver)] };
}

function routeConfig(route: AlertRoute): Record<string, unknown> {
  return {
    receiver: route.receiver,
    matchers: Object.keys(route.matchers).sort().map((label) => matcher(label, route.matchers[label])),
    continue: route.continue ? true : undefined,
    repeat_interval: route.repeatInterval ? promDuration(route.repeatInterval) : undefined,
  };
}

/**
 * Watchdog first, so that the heartbeat only ever reaches the dead man's switch; then the
 * never-paged `severity: none`; then the user's routes; the rest goes to the default receiver.
 * Secrets appear only as `*_file` paths: the file holds no credential.
 */
export function alertmanagerConfig(settings: MonitoringSettings): Record<string, unknown> {
  return {
    global: { resolve_timeout: '5m' },
    route: {
      receiver: settings.defaultReceiver,
      group_by: ['alertname', 'namespace'],
      group_wait: '30s',
      group_interval: '5m',
      repeat_interval: '4h',
      routes: [
        { receiver: settings.watchdogReceiver ?? NULL_RECEIVER, matchers: ['alertname="Watchdog"'], group_wait: '0s', repeat_interval: '5m' },
        { receiver: NULL_RECEIVER, matchers: ['severity="none"'] },
        ...settings.routes.map(routeConfig),
      ],
    },
    // A critical alert already pages: its warning twin would only repeat the news.
    inhibit_rules: [{ source_matchers: ['severity="critical"'], target_matchers: ['severity="warning"'], equal: ['alertname', 'namespace'] }],
    receivers: [{ name: NULL_RECEIVER }, ...settings.receivers.map(receiverConfig)],
  };
}

/**
 * Alertmanager as a StatefulSet, for the stable pod names its peers dial. Two replicas by
 * default, never two on one node while another node has none, each told of every peer
 * (`--cluster.peer`): silences and the record of sent notifications live in memory and an
 * emptyDir, and gossip between replicas is what keeps them through a rolling update, a node
 * drain or the loss of a node (a local-path volume would pin Alertmanager to one node, the
 * opposite of what alerting needs). Every Prometheus replica sends every alert to every
 * Alertmanager replica; the cluster notifies once.
 */
export class AlertmanagerCluster extends Construct implements IConnectable {
  /** Alerts in from Prometheus, gossip between replicas, notifications out. */
  public readonly connections: Connections;
  private readonly pods: ComponentPods;

  constructor(scope: Construct, id: string, private readonly settings: MonitoringSettings, prometheus: Connections) {
    super(scope, id);
    this.pods = monitoringPods(settings, 'alertmanager', ALERTMANAGER_IMAGE);
    this.connections = this.pods.connections;
    const files = { 'alertmanager.yml': toConfigYaml(alertmanagerConfig(settings)) };
    new ConfigMapObject(this, 'config', { metadata: this.pods.metadata('alertmanager-config'), data: files });
    const serviceAccount = this.pods.addServiceAccount(this);
    this.addServices();
    this.addStatefulSet(files, serviceAccount);
    // Two or more replicas: a drain takes one at a time, so the gossiped state always survives.
    if (this.clustered) this.pods.addDisruptionBudget(this);
    this.addNetworkPolicy(prometheus);
  }

  /** What Prometheus scrapes, and sends alerts to. */
  public get scrapeJob(): ScrapeJob {
    return { jobName: 'alertmanager', namespace: this.pods.namespace, podSelector: this.pods.selector, portName: 'web', port: ALERTMANAGER_PORT };
  }

  private get clustered(): boolean {
    return this.settings.alertmanagerReplicas > 1;
  }

  private addServices(): void {
    addService(this, 'service', this.pods, [{ name: 'web', port: ALERTMANAGER_PORT }]);
    // Gives each replica a DNS name before it is ready: peers must find each other to become ready.
    const mesh: NamedPort[] = [{ name: 'mesh-tcp', port: CLUSTER_PORT }, { name: 'mesh-udp', port: CLUSTER_PORT, protocol: 'UDP' }];
    addService(this, 'cluster-service', this.pods, mesh, { name: CLUSTER_SERVICE, spec: { clusterIp: 'None', publishNotReadyAddresses: true } });
  }

  /** One volume per Secret, holding only the keys the receivers read. */
  private secretVolumes(): Array<{ volume: k8s.Volume; mount: k8s.VolumeMount }> {
    const keysBySecret = new Map<string, Set<string>>();
    for (const secret of this.settings.receivers.flatMap((receiver) => receiver.secretKeys)) {
      keysBySecret.set(secret.secretName, (keysBySecret.get(secret.secretName) ?? new Set()).add(secret.key));
    }
    return [...keysBySecret.keys()].sort().map((secretName, i) => {
      const name = `secret-${i}`;
      return {
        volume: { name, secret: { secretName, items: [...keysBySecret.get(secretName)!].sort().map((key) => ({ key, path: key })), defaultMode: 0o440 } },
        mount: { name, mountPath: `${SECRETS_DIR}/${secretName}`, readOnly: true },
      };
    });
  }

  private addStatefulSet(config: Record<string, string>, serviceAccount: PodServiceAccount): void {
    const settings = this.settings;
    const secrets = this.secretVolumes();
    newStatefulSet(this, 'statefulset', {
      metadata: this.pods.metadata(),
      singleReplicaReason: singleReplicaChosenBy('alertmanagerReplicas', settings.alertmanagerReplicas),
      spec: {
        replicas: settings.alertmanagerReplicas,
        serviceName: CLUSTER_SERVICE,
        // Peers start together: an ordered start would wait for a first replica that waits for its peers.
        podManagementPolicy: 'Parallel',
        selector: { matchLabels: { ...this.pods.selector } },
        updateStrategy: { type: 'RollingUpdate' },
        template: {
          labels: this.pods.labels,
          connections: this.connections,
          config,
          spec: {
            serviceAccount,
            tier: PriorityTier.PLATFORM,
            terminationGracePeriodSeconds: 30,
            // Apart wherever there is another node: losing one never takes both. On a one-node
            // cluster that node is the only place to be, and both replicas run there.
            topologySpreadConstraints: this.clustered ? this.pods.spreadOverNodes({ zones: false }) : undefined,
            containers: [this.container(secrets.map((s) => s.mount))],
            volumes: [
              { name: 'config', configMap: { name: 'alertmanager-config' } },
              { name: 'data', emptyDir: { sizeLimit: k8s.Quantity.fromString('256Mi') } },
              ...secrets.map((s) => s.volume),
            ],
          },
        },
      },
    });
  }

  private clusterArgs(): string[] {
    if (!this.clustered) return ['--cluster.listen-address='];
    const peers = Array.from({ length: this.settings.alertmanagerReplicas }, (_, i) =>
      `--cluster.peer=alertmanager-${i}.${serviceHost(this.settings, CLUSTER_SERVICE)}:${CLUSTER_PORT}`);
    return [`--cluster.listen-address=:${CLUSTER_PORT}`, `--cluster.advertise-address=$(POD_IP):${CLUSTER_PORT}`, ...peers];
  }

  private container(secretMounts: k8s.VolumeMount[]): ContainerOptions {
    return {
      name: 'alertmanager',
      image: ALERTMANAGER_IMAGE,
      args: [
        `--config.file=${CONFIG_DIR}/alertmanager.yml`,
        '--storage.path=/alertmanager',
        `--web.listen-address=:${ALERTMANAGER_PORT}`,
        ...this.clusterArgs(),
      ],
      env: [{ name: 'POD_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } }, ...goRuntimeEnv('alertmanager')],
      ports: [
        { name: 'web', containerPort: ALERTMANAGER_PORT, protocol: 'TCP' },
        { name: 'mesh-tcp', containerPort: CLUSTER_PORT, protocol: 'TCP' },
        { name: 'mesh-udp', containerPort: CLUSTER_PORT, protocol: 'UDP' },
      ],
      ...healthProbes('web', { ready: '/-/ready', live: '/-/healthy' }, 10),
      resources: toResourceRequirements(this.settings.resources.alertmanager),
      volumeMounts: [
        { name: 'config', mountPath: CONFIG_DIR, readOnly: true },
        { name: 'data', mountPath: '/alertmanager' },
        ...secretMounts,
      ],
    };
  }

  /** Alerts in from Prometheus; notifications out to the receivers' ports, wherever they are. */
  private addNetworkPolicy(prometheus: Connections): void {
    const connections = this.connections;
    connections.allowFrom(prometheus, [ALERTMANAGER_PORT]);
    const peers = [podsPeer(connections.podSelector, connections.namespace, connections.namespace)];
    const gossipPorts = [tcpPort(CLUSTER_PORT), udpPort(CLUSTER_PORT)];
    if (this.clustered) connections.addIngress({ from: peers, ports: gossipPorts });
    const receiverPorts = [...new Set(this.settings.receivers.map((receiver) => receiver.port))].sort((a, b) => a - b);
    if (receiverPorts.length > 0) connections.allowToPeers(addressPeers(['0.0.0.0/0']), receiverPorts);
    if (this.clustered) connections.addEgress({ to: peers, ports: gossipPorts });
    this.pods.addNetworkPolicy(this);
  }
}
