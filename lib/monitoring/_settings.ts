import { Duration, Size } from 'cdk8s';
import { FullResources } from '../synth/pod/resources';
import { AlertRoute, Receiver, SecretKey } from './receiver';

/** Every prop of the bundle, resolved to its value or default and validated. */
export interface MonitoringSettings {
  /** Construct id, for errors. */
  readonly id: string;
  readonly operator: boolean;
  readonly namespace: string;
  readonly hostNamespace: string;
  readonly clusterDomain: string;
  readonly scrapeInterval: Duration;
  readonly evaluationInterval: Duration;
  readonly retention: Duration;
  readonly retentionSize: Size;
  readonly storageSize: Size;
  readonly storageClassName: string;
  readonly receivers: readonly Receiver[];
  readonly routes: readonly AlertRoute[];
  readonly defaultReceiver: string;
  readonly watchdogReceiver?: string;
  readonly prometheusReplicas: number;
  readonly alertmanagerReplicas: number;
  readonly grafanaReplicas: number;
  readonly grafanaAdminUser: string;
  readonly grafanaAdminPassword: SecretKey;
  readonly grafanaIngressNamespaces: readonly string[];
  readonly queryNamespaces: readonly string[];
  readonly nodeNetworks: readonly string[];
  readonly verifyKubeletTls: boolean;
  readonly platformRules: boolean;
  /** Replaces the library's runbook page in alert links, when set. */
  readonly runbookBaseUrl?: string;
  readonly operatorSelectorLabels: Readonly<Record<string, string>>;
  /** The operator stack's Prometheus, for the KEDA triggers of watched targets; operator mode only. */
  readonly prometheusUrl?: string;
  readonly resources: ComponentResources;
  /** Labels of every series, alert and remote-written sample, besides `replica`; sorted by name. */
  readonly externalLabels: Readonly<Record<string, string>>;
  /** Where the site's fleet series go, when they go anywhere. */
  readonly remoteWrite?: RemoteWriteSettings;
  /** The fleet's central role, when this Prometheus has it. */
  readonly fleetCentral?: FleetCentralSettings;
}

/** `remoteWrite`, checked, with the address and port the NetworkPolicy lets Prometheus out to. */
export interface RemoteWriteSettings {
  readonly url: string;
  /** The URL's host: a name, or an IP address (IPv6 without brackets). */
  readonly host: string;
  readonly port: number;
  readonly bearerTokenSecret?: SecretKey;
  readonly basicAuth?: { readonly username: string; readonly passwordSecret: SecretKey };
  readonly extraSeries: readonly string[];
}

/** `fleetCentral`, checked, its defaults applied. */
export interface FleetCentralSettings {
  readonly sites: readonly string[];
  readonly remoteWriteFrom: readonly string[];
  readonly gpuHeadroomThreshold: number;
  readonly silenceThreshold: Duration;
}

export interface ComponentResources {
  readonly prometheus: FullResources;
  readonly alertmanager: FullResources;
  readonly grafana: FullResources;
  readonly kubeStateMetrics: FullResources;
  readonly nodeExporter: FullResources;
}

/** Pinned images: a new release is a reviewed change of one line, never a surprise. */
export const PROMETHEUS_IMAGE = 'quay.io/prometheus/prometheus:v2.53.2';
export const ALERTMANAGER_IMAGE = 'quay.io/prometheus/alertmanager:v0.27.0';
export const KUBE_STATE_METRICS_IMAGE = 'registry.k8s.io/kube-state-metrics/kube-state-metrics:v2.13.0';
export const NODE_EXPORTER_IMAGE = 'quay.io/prometheus/node-exporter:v1.8.2';
export const GRAFANA_IMAGE = 'grafana/grafana:11.2.0';

/** In-cluster DNS name of a Service of the bundle. */
export function serviceHost(settings: MonitoringSettings, service: string): string {
  return `${service}.${settings.namespace}.svc.${settings.clusterDomain}`;
}

/** Where the service account token and cluster CA are mounted in every pod that has them. */
export const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';
