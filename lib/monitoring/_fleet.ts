import { Duration } from 'cdk8s';
import { k8s } from '../core/cdk8s-plus';
import { Construct } from 'constructs';
import { hostCidrs, isCidr, parseIpAddress } from '../core/network';
import { dns1123Subdomain, secretDataKey } from '../core/names';
import { findUrlSecret } from '../core/url-secrets';
import { addressPeers, podsPeer, tcpPort } from '../synth/connections';
import { ComponentPods } from '../synth/pod/component-pods';
import { addService } from './_component';
import { wholeMillis } from './_format';
import { FleetCentralSettings, MonitoringSettings, RemoteWriteSettings } from './_settings';
import { FleetCentralOptions, RemoteWriteOptions } from './fleet-monitoring';
import { SecretKey } from './receiver';

/** Reports a bad prop in the bundle's error style, and never returns. */
export type Fail = (prop: string, value: unknown, rule: string, fix: string) => never;

/** The HA pair's own external label; see `_prometheus.ts`. */
const REPLICA_LABEL = 'replica';
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
/** Where the remote write's Secret keys are mounted in the Prometheus pods. */
const SECRETS_DIR = '/etc/prometheus/secrets';
/** The LoadBalancer Service the sites remote-write through. */
export const REMOTE_WRITE_SERVICE = 'prometheus-remote-write';
/**
 * K3s's ServiceLB runs the pods that serve a LoadBalancer Service (`svclb-<service>-…`) in
 * kube-system (unless K3s runs with `--servicelb-namespace`), labelled with the Service's name and
 * namespace. They masquerade what they forward: Prometheus sees their address, not the site's.
 */
const SERVICELB_NAMESPACE = 'kube-system';
const SERVICELB_SERVICE_LABEL = 'svccontroller.k3s.cattle.io/svcname';
const SERVICELB_NAMESPACE_LABEL = 'svccontroller.k3s.cattle.io/svcnamespace';

/** The new props, resolved. */
export interface FleetSettings {
  readonly externalLabels: Readonly<Record<string, string>>;
  readonly remoteWrite?: RemoteWriteSettings;
  readonly fleetCentral?: FleetCentralSettings;
}

/** Checks `externalLabels`, `remoteWrite` and `fleetCentral`, and applies their defaults. */
export function resolveFleetSettings(fail: Fail, props: {
  readonly externalLabels?: { readonly [name: string]: string };
  readonly remoteWrite?: RemoteWriteOptions;
  readonly fleetCentral?: FleetCentralOptions;
}): FleetSettings {
  const externalLabels = checkExternalLabels(fail, props.externalLabels ?? {});
  if (props.remoteWrite && Object.keys(externalLabels).length === 0) {
    fail('externalLabels', '{}', "at least one label when 'remoteWrite' is set",
      "Label the site, e.g. { site: 'depot-7' }: without it the receiver cannot tell this site's series from another's, and refuses them as duplicates.");
  }
  const remoteWrite = props.remoteWrite && checkRemoteWrite(fail, props.remoteWrite);
  const fleetCentral = props.fleetCentral && checkFleetCentral(fail, props.fleetCentral, externalLabels);
  return { externalLabels, remoteWrite, fleetCentral };
}

function checkExternalLabels(fail: Fail, labels: { readonly [name: string]: string }): Record<string, string> {
  const names = Object.keys(labels).sort();
  for (const name of names) {
    if (name === REPLICA_LABEL) {
      fail(`externalLabels.${name}`, labels[name], `a name other than '${REPLICA_LABEL}', which the bundle sets to each replica's pod name`, 'Leave it out: the HA pair labels itself.');
    }
    if (!LABEL_NAME.test(name) || name.startsWith('__')) {
      fail('externalLabels', name, 'Prometheus label names: letters, digits and underscores, not starting with a digit or __', "Name it like 'site'.");
    }
    const value = labels[name];
    if (typeof value !== 'string' || value === '' || /[\u0000-\u001f\u007f]/.test(value)) {
      fail(`externalLabels.${name}`, value, 'a non-empty text without control characters (an empty value would drop the label)', "Give the site's name, e.g. 'depot-7'.");
    }
  }
  return Object.fromEntries(names.map((name) => [name, labels[name]]));
}

function checkRemoteWrite(fail: Fail, options: RemoteWriteOptions): RemoteWriteSettings {
  const url = options.url ?? '';
  // Credentials first: whatever else is wrong with the URL, it must not be written into a ConfigMap.
  const secret = findUrlSecret(url);
  if (secret) {
    fail('remoteWrite.url', secret.masked,
      'free of credentials: no user name or password, and no query or path parameter named like password, pass, pwd, token, key, secret, auth or credential',
      "The URL is written into a ConfigMap: give the token as 'bearerTokenSecret', or the password as 'basicAuth.passwordSecret' (read from mounted files).");
  }
  let parsed: URL | undefined;
  try {
    parsed = new URL(url);
  } catch {
    parsed = undefined;
  }
  if (!parsed || (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') || parsed.hostname === '') {
    fail('remoteWrite.url', url, 'an http or https URL', "Write it like 'https://metrics.example.com/api/v1/write'.");
  }
  const https = parsed.protocol === 'https:';
  if (options.bearerTokenSecret && options.basicAuth) {
    fail('remoteWrite.basicAuth', options.basicAuth.username, "left out when 'bearerTokenSecret' is set: Prometheus sends one Authorization header", 'Keep the one the receiver expects.');
  }
  if (options.bearerTokenSecret) checkSecretKey(fail, 'remoteWrite.bearerTokenSecret', options.bearerTokenSecret);
  if (options.basicAuth) {
    const username = options.basicAuth.username;
    if (typeof username !== 'string' || username.trim() === '' || /[\u0000-\u001f\u007f]/.test(username)) {
      fail('remoteWrite.basicAuth.username', username, 'a user name', "Give the receiver's user, e.g. 'depot-7'.");
    }
    checkSecretKey(fail, 'remoteWrite.basicAuth.passwordSecret', options.basicAuth.passwordSecret);
  }
  if ((options.bearerTokenSecret || options.basicAuth) && !https) {
    fail('remoteWrite.url', url, "an https URL when credentials are sent: over http anyone on the path reads them", 'Use the https endpoint of the receiver.');
  }
  const extraSeries = [...options.extraSeries ?? []];
  extraSeries.forEach((pattern, i) => checkSeriesPattern(fail, `remoteWrite.extraSeries[${i}]`, pattern));
  const host = parsed.hostname.replace(/^\[(.*)\]$/, '$1');
  const port = Number(parsed.port || (https ? 443 : 80));
  return {
    url,
    host,
    port,
    bearerTokenSecret: options.bearerTokenSecret,
    basicAuth: options.basicAuth && { username: options.basicAuth.username, passwordSecret: options.basicAuth.passwordSecret },
    extraSeries,
  };
}

function checkSecretKey(fail: Fail, prop: string, secret: SecretKey | undefined): void {
  const nameProblem = dns1123Subdomain(secret?.secretName ?? '');
  if (nameProblem) fail(`${prop}.secretName`, secret?.secretName, `a Secret name (${nameProblem})`, 'Use the name of a Secret in the monitoring namespace.');
  const keyProblem = secretDataKey(secret?.key ?? '');
  if (keyProblem) fail(`${prop}.key`, secret?.key, `a Secret data key (${keyProblem})`, 'Use the key under which the Secret stores the value.');
}

/** A metric name pattern Prometheus's RE2 takes: no empty pattern, lookaround or back-reference. */
function checkSeriesPattern(fail: Fail, prop: string, pattern: string): void {
  let compiles = typeof pattern === 'string' && pattern !== '';
  try {
    if (compiles) new RegExp(`^(?:${pattern})$`);
  } catch {
    compiles = false;
  }
  if (!compiles || /\(\?<?[=!]|\\[1-9]/.test(pattern)) {
    fail(prop, pattern, 'a regular expression over metric names that RE2 accepts (no lookaround, no back-references)', "Write it like 'job_name:paths_ready:max' or 'nv_inference_.+'.");
  }
}

function checkFleetCentral(fail: Fail, options: FleetCentralOptions, externalLabels: Readonly<Record<string, string>>): FleetCentralSettings {
  const sites = [...options.sites ?? []];
  if (sites.length === 0) fail('fleetCentral.sites', '[]', 'at least one site', "List the 'site' labels of the sites that remote-write here.");
  sites.forEach((site, i) => {
    if (typeof site !== 'string' || site === '' || /[\u0000-\u001f\u007f]/.test(site)) {
      fail(`fleetCentral.sites[${i}]`, site, 'a site name: a non-empty text without control characters', "Give the site's 'site' external label, e.g. 'depot-7'.");
    }
    if (sites.indexOf(site) !== i) fail('fleetCentral.sites', site, 'sites listed once each', 'Remove the duplicate.');
  });
  const ownSite = externalLabels.site;
  if (ownSite !== undefined && sites.includes(ownSite)) {
    fail('fleetCentral.sites', ownSite, "the sites that remote-write here, not this bundle's own site ('externalLabels.site')",
      'Leave it out: its series are local, never remote-written, so it would always look silent; its own Watchdog and alerts cover it.');
  }
  const remoteWriteFrom = [...options.remoteWriteFrom ?? []];
  if (remoteWriteFrom.length === 0) fail('fleetCentral.remoteWriteFrom', '[]', 'at least one CIDR', "List the sites' egress addresses, e.g. ['203.0.113.0/24'].");
  const badCidr = remoteWriteFrom.find((cidr) => !isCidr(cidr));
  if (badCidr !== undefined) fail('fleetCentral.remoteWriteFrom', badCidr, 'a CIDR', "Write it like '203.0.113.7/32'.");
  const gpuHeadroomThreshold = options.gpuHeadroomThreshold ?? 0.1;
  if (!(Number.isFinite(gpuHeadroomThreshold) && gpuHeadroomThreshold >= 0 && gpuHeadroomThreshold < 1)) {
    fail('fleetCentral.gpuHeadroomThreshold', gpuHeadroomThreshold, 'a fraction from 0 to below 1', 'Write 0.1 to keep a tenth of the GPUs free.');
  }
  const silenceThreshold = options.silenceThreshold ?? Duration.minutes(10);
  const millis = wholeMillis(silenceThreshold);
  if (!(millis >= 60_000 && millis % 1000 === 0)) {
    fail('fleetCentral.silenceThreshold', `${silenceThreshold.toMilliseconds({ integral: false })} ms`,
      'whole seconds, at least one minute: remote write batches and retries take tens of seconds', 'Write it like Duration.minutes(10).');
  }
  return { sites, remoteWriteFrom, gpuHeadroomThreshold, silenceThreshold };
}

/** `global.external_labels`: the user's labels and the replica's, sorted by name. */
export function externalLabelsConfig(settings: MonitoringSettings, replicaValue: string): Record<string, string> {
  const labels: Record<string, string> = { ...settings.externalLabels, [REPLICA_LABEL]: replicaValue };
  return Object.fromEntries(Object.keys(labels).sort().map((name) => [name, labels[name]]));
}

/**
 * The series a site sends: its site-level recording rules (`site:…`, small and few, written for the
 * centre), `ALERTS` and `up`, plus `extraSeries`. Not every recording rule: the per-camera ones
 * (`job_name:…`) would cost the WAN four series per camera, and at a central site with cameras
 * of its own they would meet its CameraStreamDown rule, which joins cameras on namespace and name.
 */
export function sentSeriesRegex(remoteWrite: RemoteWriteSettings): string {
  return ['site:.+', 'ALERTS', 'up', ...remoteWrite.extraSeries].join('|');
}

/** Where a Secret key is mounted in the Prometheus pods. */
function secretPath(secret: SecretKey): string {
  return `${SECRETS_DIR}/${secret.secretName}/${secret.key}`;
}

/** The `remote_write` section, or nothing without `remoteWrite`. Credentials appear only as file paths. */
export function remoteWriteConfig(settings: MonitoringSettings): Array<Record<string, unknown>> | undefined {
  const remoteWrite = settings.remoteWrite;
  if (!remoteWrite) return undefined;
  return [{
    url: remoteWrite.url,
    name: 'fleet',
    remote_timeout: '30s',
    authorization: remoteWrite.bearerTokenSecret ? { type: 'Bearer', credentials_file: secretPath(remoteWrite.bearerTokenSecret) } : undefined,
    basic_auth: remoteWrite.basicAuth
      ? { username: remoteWrite.basicAuth.username, password_file: secretPath(remoteWrite.basicAuth.passwordSecret) }
      : undefined,
    write_relabel_configs: [{ source_labels: ['__name__'], regex: sentSeriesRegex(remoteWrite), action: 'keep' }],
    // A WAN link: a few connections carrying large batches, backing off up to a minute while the
    // link is down. The write-ahead log keeps about two hours to resend once it is back.
    queue_config: {
      capacity: 10000,
      min_shards: 1,
      max_shards: 4,
      max_samples_per_send: 2000,
      batch_send_deadline: '15s',
      min_backoff: '1s',
      max_backoff: '1m',
    },
    // Metadata of every metric, sent each minute whatever the filter keeps: WAN bandwidth for nothing.
    metadata_config: { send: false },
  }];
}

/** The Secret keys the remote write reads, one volume per Secret with only those keys. */
export function remoteWriteSecretVolumes(settings: MonitoringSettings): Array<{ volume: k8s.Volume; mount: k8s.VolumeMount }> {
  const remoteWrite = settings.remoteWrite;
  const keys = [remoteWrite?.bearerTokenSecret, remoteWrite?.basicAuth?.passwordSecret].filter((key): key is SecretKey => key !== undefined);
  const keysBySecret = new Map<string, Set<string>>();
  for (const key of keys) keysBySecret.set(key.secretName, (keysBySecret.get(key.secretName) ?? new Set()).add(key.key));
  return [...keysBySecret.keys()].sort().map((secretName, i) => {
    const name = `remote-write-secret-${i}`;
    return {
      volume: { name, secret: { secretName, items: [...keysBySecret.get(secretName)!].sort().map((key) => ({ key, path: key })), defaultMode: 0o440 } },
      mount: { name, mountPath: `${SECRETS_DIR}/${secretName}`, readOnly: true },
    };
  });
}

/** Prometheus's flags for the fleet: the remote-write receiver at the centre. */
export function fleetArgs(settings: MonitoringSettings): string[] {
  return settings.fleetCentral ? ['--web.enable-remote-write-receiver'] : [];
}

/**
 * The network links of the fleet: out to the receiver of the remote write; at the centre, in from
 * the sites, through a LoadBalancer Service that K3s's ServiceLB serves on every node.
 */
export function addFleetLinks(scope: Construct, settings: MonitoringSettings, prometheus: ComponentPods, port: number): void {
  const remoteWrite = settings.remoteWrite;
  // The receiver's address; by name, anywhere, on the receiver's port alone.
  if (remoteWrite) prometheus.connections.allowToPeers(addressPeers(hostCidrs([remoteWrite.host])), [remoteWrite.port]);
  const central = settings.fleetCentral;
  if (!central) return;
  addService(scope, 'remote-write-service', prometheus, [{ name: 'web', port }], {
    name: REMOTE_WRITE_SERVICE,
    // ServiceLB forwards only these sources (klipper-lb's iptables rules); other load balancers honour it too.
    spec: { type: 'LoadBalancer', loadBalancerSourceRanges: [...central.remoteWriteFrom] },
  });
  const serviceLb = podsPeer({ [SERVICELB_SERVICE_LABEL]: REMOTE_WRITE_SERVICE, [SERVICELB_NAMESPACE_LABEL]: settings.namespace }, SERVICELB_NAMESPACE, settings.namespace);
  // The sites' own addresses for load balancers that keep them; ServiceLB's pods for ServiceLB, which hides them.
  prometheus.connections.addIngress({ from: [...addressPeers(central.remoteWriteFrom), serviceLb], ports: [tcpPort(port)] });
}


/** The URL sites remote-write to, at the address they reach the centre's LoadBalancer by. */
export function centralRemoteWriteUrl(fail: Fail, externalAddress: string, port: number): string {
  const address = externalAddress ?? '';
  const ip = parseIpAddress(address);
  if (!ip && dns1123Subdomain(address)) {
    fail('remoteWriteUrl(externalAddress)', address, 'a DNS name or an IP address, without scheme or port', "Give the name or address the sites reach this cluster's nodes by, e.g. 'metrics.example.com'.");
  }
  const host = ip?.family === 6 ? `[${address}]` : address;
  return `http://${host}:${port}/api/v1/write`;
}
