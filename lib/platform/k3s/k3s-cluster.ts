import { toConfigYaml } from '../../synth/config-yaml';
import { networkContains, networkSize, networksOverlap, parseCidr, parseIpAddress } from '../../core/network';
import { GPU_PRESENT_LABEL } from '../../inference/gpu-inventory';
import { dns1123Label, dns1123Subdomain, labelValue } from '../../core/names';
import { EtcdSnapshotOptions, s3Note, snapshotProblem, snapshotSettings } from './etcd-snapshots';
import { HARDENING_FILES, K3S_HARDENING_PATHS, hardenedApiServerArgs, hardenedKubeletArgs, hardeningFiles } from './k3s-hardening';
import { hasEmbeddedRegistry, hasPodSecurityConfigV1, parseK3sRelease } from './k3s-version';
import { FullReservation, KubeletReservations, ResolvedReservations, evictionArg, reservationArg, reservationProblem, resolveReservations } from './kubelet-reservations';

/** A K3s server (control-plane) node. */
export interface K3sServer {
  /** Node name, a DNS-1123 label. */
  readonly name: string;
  /** IP address or DNS name other nodes reach it on. */
  readonly address: string;
  /**
   * Physical NVIDIA GPUs of the server, for a single-node site where the one server is also the
   * GPU node: it gets the GPU node labels the pools select, but not the GPU taint, since every
   * other pod must run there too.
   * @default - no GPUs
   */
  readonly gpus?: number;
  /**
   * The GPU product, as GPU Feature Discovery labels it (`nvidia.com/gpu.product`).
   * @default - no product label
   */
  readonly product?: string;
}

/** A K3s agent with NVIDIA GPUs. */
export interface K3sGpuAgent {
  /** Node name, a DNS-1123 label. */
  readonly name: string;
  /** IP address or DNS name. */
  readonly address: string;
  /** Physical GPUs in the node. */
  readonly gpus: number;
  /**
   * The GPU product, as GPU Feature Discovery labels it (`nvidia.com/gpu.product`).
   * @default - no product label
   */
  readonly product?: string;
}

/** Props of {@link K3sCluster}. */
export interface K3sClusterProps {
  /**
   * The servers: 3 or 5 (embedded etcd needs a quorum), or 1 for a single-node edge box, which has
   * no high availability. The first one initializes the cluster.
   */
  readonly servers: readonly K3sServer[];
  /**
   * GPU agents: labelled `nvidia.com/gpu.present=true` and tainted `nvidia.com/gpu=true:NoSchedule`, which GPU pools select and tolerate.
   * @default - none
   */
  readonly gpuAgents?: readonly K3sGpuAgent[];
  /**
   * The fixed registration address: a DNS name, virtual IP or load balancer in front of every
   * server's API (port 6443), in every server's `tls-san`. Agents and joining servers register
   * through it, never through one server's address, so a node that restarts while that server is
   * down still rejoins (docs.k3s.io, datastore/cluster-loadbalancer). The load balancer must send
   * only to servers that answer on 6443.
   */
  readonly apiEndpoint: string;
  /**
   * File on every node that holds the cluster token; the token itself never goes into Git.
   * @default '/etc/rancher/k3s/cluster-token'
   */
  readonly tokenFile?: string;
  /**
   * Pod network: one IPv4 or IPv6 CIDR, apart from `serviceCidr`.
   * @default '10.42.0.0/16'
   */
  readonly clusterCidr?: string;
  /**
   * Service network: one IPv4 or IPv6 CIDR, apart from `clusterCidr`.
   * @default '10.43.0.0/16'
   */
  readonly serviceCidr?: string;
  /**
   * Address of the cluster DNS Service: inside `serviceCidr`, and not its network, first
   * (the `kubernetes` Service's) or broadcast address.
   * @default '10.43.0.10'
   */
  readonly clusterDns?: string;
  /**
   * Cluster DNS domain.
   * @default 'cluster.local'
   */
  readonly clusterDomain?: string;
  /**
   * Packaged components to turn off, e.g. `traefik`, `servicelb`.
   * @default ['traefik'] - the platform serves no HTTP ingress
   */
  readonly disable?: readonly string[];
  /**
   * A registry that mirrors the public registries, for `/etc/rancher/k3s/registries.yaml` on every node.
   * @default - no registries.yaml
   */
  readonly registryMirror?: K3sRegistryMirror;
  /**
   * K3s's embedded registry mirror (Spegel): every node serves the images in its containerd store
   * to the others, so a node pulls what any node already has even with no registry reachable.
   * `embedded-registry: true` on the servers, and every registry it shares listed under `mirrors:`
   * in `registries.yaml` (the public registries and the `registryMirror` host). Nodes must reach
   * each other on TCP 5001 (peer to peer) and 6443. Experimental from K3s v1.26.13, v1.27.10,
   * v1.28.6 and v1.29.1; GA from v1.29.12, v1.30.8 and v1.31.4 (docs.k3s.io, installation/registry-mirror).
   * @default true
   */
  readonly embeddedRegistry?: boolean;
  /**
   * The K3s release the nodes run, e.g. `v1.30.4+k3s1` (the upgrade plans' version): used only to
   * refuse settings that release does not have.
   * @default - unknown: not checked
   */
  readonly k3sVersion?: string;
  /**
   * Scheduled etcd snapshots on every server, with an optional off-site copy in S3.
   * @default - every six hours, 28 kept (a week), compressed, on the servers' disks only
   */
  readonly etcdSnapshots?: EtcdSnapshotOptions;
  /**
   * What every kubelet keeps back from pods for the operating system and K3s, and when it evicts.
   * @default - system 250m/512Mi; K3s 1/1536Mi on servers, 500m/1Gi on agents; eviction at 500Mi memory, 10% disk, 15% image disk, 5% inodes
   */
  readonly kubeletReservations?: KubeletReservations;
  /**
   * K3s's CIS hardening (docs.k3s.io, security/hardening-guide): `protect-kernel-defaults` (the host
   * needs the sysctl file this class writes), a PodSecurity admission configuration that enforces
   * `restricted` on every namespace but `privilegedNamespaces`, API server audit logging (metadata
   * only: no Secret bodies) and idle kubelet streams closed after 5 minutes. The host files are
   * returned by {@link K3sCluster.files} under `hardening/` and must be in place before K3s starts.
   * @default true
   */
  readonly cisHardening?: boolean;
  /**
   * Namespaces exempt from the cluster-wide `restricted` Pod Security level: the ones whose pods
   * need host access (GPU drivers, node exporters, upgrade jobs). `kube-system` is always exempt.
   * Used with `cisHardening` only.
   * @default ['kube-system']
   */
  readonly privilegedNamespaces?: readonly string[];
}

/** A registry every node pulls through. Pull credentials come from the pods' imagePullSecrets, never from this file. */
export interface K3sRegistryMirror {
  /** Host and port of the mirror, e.g. `registry.video-analytics.internal:5000`. */
  readonly host: string;
  /**
   * CA certificate that signed the mirror's TLS certificate, on every node.
   * @default '/etc/rancher/k3s/registry-ca.crt'
   */
  readonly caFile?: string;
  /**
   * Registries whose pulls go through the mirror, under the same repository paths.
   * @default ['docker.io', 'ghcr.io', 'nvcr.io', 'quay.io', 'registry.k8s.io']
   */
  readonly mirrored?: readonly string[];
}

/** The taint GPU agents carry and GPU pools tolerate. */
export const GPU_NODE_TAINT = 'nvidia.com/gpu=true:NoSchedule';

const PACKAGED_COMPONENTS = new Set(['coredns', 'servicelb', 'traefik', 'local-storage', 'metrics-server', 'runtimes']);

/**
 * The node-level K3s configuration of an HA cluster: one `config.yaml` per node for
 * `/etc/rancher/k3s/config.yaml`, `registries.yaml`, and the host files of the CIS hardening.
 * Nodes register through the fixed `apiEndpoint`; servers take scheduled etcd snapshots; every
 * kubelet keeps resources back for the system and K3s. These are not Kubernetes objects, so they
 * are written beside `dist/`, never in it (Argo CD would try to apply them); docs/operations.md
 * says where each goes.
 */
export class K3sCluster {
  private readonly props: Required<Omit<K3sClusterProps, 'gpuAgents' | 'registryMirror' | 'k3sVersion' | 'etcdSnapshots' | 'kubeletReservations'>> & {
    gpuAgents: readonly K3sGpuAgent[];
    registryMirror?: K3sRegistryMirror;
    etcdSnapshots: EtcdSnapshotOptions;
    reservations: ResolvedReservations;
  };

  constructor(props: K3sClusterProps) {
    validate(props);
    this.props = {
      servers: props.servers,
      gpuAgents: props.gpuAgents ?? [],
      apiEndpoint: props.apiEndpoint,
      tokenFile: props.tokenFile ?? '/etc/rancher/k3s/cluster-token',
      clusterCidr: props.clusterCidr ?? '10.42.0.0/16',
      serviceCidr: props.serviceCidr ?? '10.43.0.0/16',
      clusterDns: props.clusterDns ?? '10.43.0.10',
      clusterDomain: props.clusterDomain ?? 'cluster.local',
      disable: props.disable ?? ['traefik'],
      registryMirror: props.registryMirror,
      embeddedRegistry: props.embeddedRegistry ?? true,
      etcdSnapshots: props.etcdSnapshots ?? {},
      reservations: resolveReservations(props.kubeletReservations),
      cisHardening: props.cisHardening ?? true,
      privilegedNamespaces: [...new Set(['kube-system', ...(props.privilegedNamespaces ?? [])])].sort(),
    };
  }

  /** Total GPUs of the GPU agents and of servers that are GPU nodes too. */
  public get totalGpus(): number {
    return [...this.props.gpuAgents, ...this.props.servers].reduce((sum, node) => sum + (node.gpus ?? 0), 0);
  }

  /** The GPU agents. */
  public get gpuAgents(): readonly K3sGpuAgent[] {
    return this.props.gpuAgents;
  }

  /**
   * File name (relative to the output folder) → content: `<node>/config.yaml` for each node,
   * `registries.yaml` for every node, and with `cisHardening` the host files under `hardening/`.
   * Each file's first line says where it goes on the nodes.
   */
  public files(): Record<string, string> {
    const files: Record<string, string> = {};
    const hardening = this.props.cisHardening;
    const serverNotes = [
      ...(hardening ? [serverHardeningNote()] : []),
      ...[s3Note(this.props.etcdSnapshots)].filter((note): note is string => note !== undefined),
    ];
    this.props.servers.forEach((server, i) => {
      files[`${server.name}/config.yaml`] = render(this.serverConfig(server, i === 0), serverNotes);
    });
    for (const agent of this.props.gpuAgents) {
      files[`${agent.name}/config.yaml`] = render(this.gpuAgentConfig(agent), hardening ? [agentHardeningNote()] : []);
    }
    if (this.props.registryMirror || this.props.embeddedRegistry) {
      files['registries.yaml'] = `# Generated by cdk8s-video-analytics: copy to /etc/rancher/k3s/registries.yaml on every node, then restart k3s.\n${toConfigYaml(registries(this.props.registryMirror, this.props.embeddedRegistry))}`;
    }
    if (this.props.cisHardening) Object.assign(files, hardeningFiles(this.props.privilegedNamespaces));
    return files;
  }

  /** Settings that must be the same on every server, or the cluster misbehaves. */
  private sharedServerSettings(): Record<string, unknown> {
    const p = this.props;
    return {
      'token-file': p.tokenFile,
      'tls-san': [p.apiEndpoint],
      'cluster-cidr': p.clusterCidr,
      'service-cidr': p.serviceCidr,
      'cluster-dns': p.clusterDns,
      'cluster-domain': p.clusterDomain,
      disable: [...p.disable],
      'secrets-encryption': true,
      'write-kubeconfig-mode': '0600',
      ...(p.embeddedRegistry ? { 'embedded-registry': true } : {}),
      ...(p.cisHardening ? { 'protect-kernel-defaults': true, 'kube-apiserver-arg': hardenedApiServerArgs() } : {}),
      'kubelet-arg': this.kubeletArgs(p.reservations.serverKubeReserved),
      ...snapshotSettings(p.etcdSnapshots),
    };
  }

  private serverConfig(server: K3sServer, first: boolean): Record<string, unknown> {
    // Joining servers register through the fixed address, like agents: server-1 may be the one that is down.
    const join = first ? { 'cluster-init': true } : { server: this.registrationUrl() };
    const gpuLabels = server.gpus ? { 'node-label': gpuNodeLabels(server.gpus, server.product) } : {};
    return { ...join, 'node-name': server.name, ...nodeIp(server.address), ...gpuLabels, ...this.sharedServerSettings() };
  }

  private gpuAgentConfig(agent: K3sGpuAgent): Record<string, unknown> {
    const labels = gpuNodeLabels(agent.gpus, agent.product);
    return {
      server: this.registrationUrl(),
      'token-file': this.props.tokenFile,
      'node-name': agent.name,
      ...nodeIp(agent.address),
      'node-label': labels,
      'node-taint': [GPU_NODE_TAINT],
      ...(this.props.cisHardening ? { 'protect-kernel-defaults': true } : {}),
      'kubelet-arg': this.kubeletArgs(this.props.reservations.agentKubeReserved),
    };
  }

  private registrationUrl(): string {
    return `https://${this.props.apiEndpoint}:6443`;
  }

  private kubeletArgs(kubeReserved: FullReservation): string[] {
    const r = this.props.reservations;
    return [
      reservationArg('system-reserved', r.systemReserved),
      reservationArg('kube-reserved', kubeReserved),
      evictionArg(r.evictionHard),
      ...(this.props.cisHardening ? hardenedKubeletArgs() : []),
    ];
  }
}

/** K3s's `node-ip` takes an IP address only; a node given by DNS name keeps K3s's own choice. */
function nodeIp(address: string): Record<string, string> {
  return /^\d{1,3}(\.\d{1,3}){3}$/.test(address) ? { 'node-ip': address } : {};
}

const PUBLIC_REGISTRIES = ['docker.io', 'ghcr.io', 'nvcr.io', 'quay.io', 'registry.k8s.io'];

/**
 * `registries.yaml`: the registries pulled through `mirror` get it as their endpoint; with the
 * embedded registry every public registry and the mirror itself are listed too, since only a
 * listed registry is shared between the nodes (an entry with no endpoint is enough).
 */
function registries(mirror: K3sRegistryMirror | undefined, embeddedRegistry: boolean): Record<string, unknown> {
  const mirrored = new Set(mirror ? (mirror.mirrored ?? PUBLIC_REGISTRIES) : []);
  const shared = embeddedRegistry ? [...PUBLIC_REGISTRIES, ...(mirror ? [mirror.host] : [])] : [];
  const listed = [...new Set([...mirrored, ...shared])].sort();
  const endpoint = mirror ? [`https://${mirror.host}`] : [];
  return {
    mirrors: Object.fromEntries(listed.map((registry) => [registry, mirrored.has(registry) ? { endpoint } : {}])),
    ...(mirror ? { configs: { [mirror.host]: { tls: { ca_file: mirror.caFile ?? '/etc/rancher/k3s/registry-ca.crt' } } } } : {}),
  };
}

function serverHardeningNote(): string {
  const paths = K3S_HARDENING_PATHS;
  return `Before K3s starts: ${paths.admissionConfig} and ${paths.auditPolicy} in place (from ${HARDENING_FILES.admissionConfig}, ${HARDENING_FILES.auditPolicy}), ${paths.sysctl} applied.`;
}

function agentHardeningNote(): string {
  return `Before K3s starts: ${K3S_HARDENING_PATHS.sysctl} in place (from ${HARDENING_FILES.sysctl}) and applied.`;
}

function render(config: Record<string, unknown>, notes: readonly string[]): string {
  const header = ['Generated by cdk8s-video-analytics: copy to /etc/rancher/k3s/config.yaml on this node.', ...notes];
  return `${header.map((line) => `# ${line}`).join('\n')}\n${toConfigYaml(config)}`;
}

/** What GPU pools select: the labels a GPU agent, or a server that is one, carries. */
function gpuNodeLabels(gpus: number, product: string | undefined): string[] {
  return [`${GPU_PRESENT_LABEL}=true`, `nvidia.com/gpu.count=${gpus}`, ...(product ? [`nvidia.com/gpu.product=${product}`] : [])];
}

function fail(prop: string, value: unknown, rule: string, fix: string): never {
  throw new Error(`K3sCluster: '${prop}' (${typeof value === 'string' ? value : JSON.stringify(value)}) must be ${rule}. ${fix}`);
}

function validate(props: K3sClusterProps): void {
  const count = props.servers.length;
  if (count % 2 === 0) fail('servers', `${count} servers`, 'an odd number: 3 or 5 for high availability, or 1 for a single-node site', 'Embedded etcd needs a quorum of servers: an even number adds a server it must wait for and no tolerance.');
  const names = new Set<string>();
  const nodes = [
    ...props.servers.map((node, i) => ({ node, at: `servers[${i}]` })),
    ...(props.gpuAgents ?? []).map((node, i) => ({ node, at: `gpuAgents[${i}]` })),
  ];
  for (const { node, at } of nodes) {
    if (dns1123Label(node.name)) fail(`${at}.name`, node.name, 'a DNS-1123 label', 'Use lowercase letters, digits and dashes.');
    if (names.has(node.name)) fail(`${at}.name`, node.name, 'unique among the nodes', 'Rename one of the nodes.');
    names.add(node.name);
    if (!isHost(node.address)) fail(`${at}.address`, node.address, 'a DNS name or an IPv4 address', 'Use the address other nodes reach it on.');
  }
  const gpuNodes = [
    ...(props.gpuAgents ?? []).map((node) => ({ node, at: `gpuAgents.${node.name}`, gpus: node.gpus })),
    ...props.servers.filter((node) => node.gpus !== undefined || node.product !== undefined).map((node) => ({ node, at: `servers.${node.name}`, gpus: node.gpus })),
  ];
  for (const { node, at, gpus } of gpuNodes) {
    if (!Number.isInteger(gpus) || gpus! < 1) fail(`${at}.gpus`, gpus, 'an integer >= 1', 'Give the number of physical GPUs in the node.');
    // The product becomes a node label: K3s refuses to start a node with an invalid one.
    const productProblem = node.product === undefined ? undefined : labelValue(node.product);
    if (productProblem) fail(`${at}.product`, node.product, `a node label value (${productProblem})`, "Use GPU Feature Discovery's spelling, e.g. 'NVIDIA-L4'.");
  }
  if (!isHost(props.apiEndpoint)) {
    fail('apiEndpoint', props.apiEndpoint, 'a DNS name or an IPv4 address', 'Use the load balancer in front of the servers.');
  }
  for (const component of props.disable ?? []) {
    if (!PACKAGED_COMPONENTS.has(component)) fail('disable', component, `one of ${[...PACKAGED_COMPONENTS].join(', ')}`, 'Name a component K3s packages.');
  }
  validateNetworks(props);
  validateOperations(props);
}

/** Snapshots, kubelet reservations, hardening and the embedded registry, against each other and the K3s release. */
function validateOperations(props: K3sClusterProps): void {
  const snapshots = snapshotProblem(props.etcdSnapshots);
  if (snapshots) fail(...snapshots);
  const reservations = reservationProblem(props.kubeletReservations);
  if (reservations) fail(...reservations);
  for (const namespace of props.privilegedNamespaces ?? []) {
    const problem = dns1123Label(namespace);
    if (problem) fail('privilegedNamespaces', namespace, `a namespace name (${problem})`, 'Name the namespaces whose pods need host access, e.g. gpu-system.');
  }
  if (props.k3sVersion === undefined) return;
  const release = parseK3sRelease(props.k3sVersion);
  if (!release) fail('k3sVersion', props.k3sVersion, 'a K3s release such as v1.30.4+k3s1', 'Give the release the nodes run, as the upgrade plans name it.');
  if ((props.embeddedRegistry ?? true) && !hasEmbeddedRegistry(release)) {
    fail('embeddedRegistry', `true with K3s ${props.k3sVersion}`, 'used with K3s v1.26.13, v1.27.10, v1.28.6, v1.29.1 or later',
      'Upgrade K3s (it is GA from v1.29.12, v1.30.8, v1.31.4), or set embeddedRegistry: false.');
  }
  if ((props.cisHardening ?? true) && !hasPodSecurityConfigV1(release)) {
    fail('cisHardening', `true with K3s ${props.k3sVersion}`, 'used with K3s v1.25 or later',
      'Its PodSecurity admission configuration needs Kubernetes 1.25: upgrade K3s, or set cisHardening: false.');
  }
}

/**
 * The pod and Service networks and the cluster DNS address: K3s refuses to start, or starts with
 * broken DNS, when they are malformed, overlap, or the DNS address lies outside the Service network.
 */
function validateNetworks(props: K3sClusterProps): void {
  const clusterCidr = props.clusterCidr ?? '10.42.0.0/16';
  const serviceCidr = props.serviceCidr ?? '10.43.0.0/16';
  const clusterDns = props.clusterDns ?? '10.43.0.10';
  const pods = parseCidr(clusterCidr);
  if (!pods) fail('clusterCidr', clusterCidr, 'a CIDR, e.g. 10.42.0.0/16', 'Give the pod network as address/prefix.');
  const services = parseCidr(serviceCidr);
  if (!services) fail('serviceCidr', serviceCidr, 'a CIDR, e.g. 10.43.0.0/16', 'Give the Service network as address/prefix.');
  if (networksOverlap(pods, services)) {
    fail('serviceCidr', serviceCidr, `apart from clusterCidr (${clusterCidr})`, 'Pods and Services need networks of their own; pick ranges that do not overlap.');
  }
  const dns = parseIpAddress(clusterDns);
  if (!dns || !networkContains(services, dns)) {
    fail('clusterDns', clusterDns, `an address inside serviceCidr (${serviceCidr})`, 'CoreDNS gets its Service address from that network, e.g. its tenth address.');
  }
  // The network (and IPv4 broadcast) address is never allocated, and the API server gives the
  // first address to the `kubernetes` Service.
  const last = services.base + networkSize(services) - 1n;
  if (dns.value <= services.base + 1n || (services.family === 4 && dns.value === last)) {
    fail('clusterDns', clusterDns, `an assignable address of serviceCidr (${serviceCidr}) other than its first`, 'The `kubernetes` Service takes the first address; use another, e.g. the tenth.');
  }
  const domain = props.clusterDomain ?? 'cluster.local';
  if (dns1123Subdomain(domain)) fail('clusterDomain', domain, 'a DNS-1123 subdomain', "Use lowercase labels separated by dots, e.g. 'cluster.local'.");
}

/** An IPv4 address, or a DNS name that cannot be mistaken for a broken one (`10.0.0`). */
function isHost(value: string): boolean {
  const ipv4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(value);
  if (ipv4) return ipv4.slice(1).every((octet) => Number(octet) <= 255);
  return dns1123Subdomain(value) === undefined && !/^[\d.]+$/.test(value);
}
