import { ApiObjectMetadata } from 'cdk8s';
import { k8s } from '../core/cdk8s-plus';
import { Construct } from 'constructs';
import { propError } from '../core/errors';
import { labelValue, qualifiedName } from '../core/names';
import { KubeNetworkPolicy } from './kube-objects';
import { spreadOf } from '../core/spread';

/** Prefix of the label a link puts on a client's pods: `video-analytics.io/client-of-<server>`. */
const CLIENT_LABEL_PREFIX = 'video-analytics.io/client-of-';
/** Prefix of the label a link puts on a server's pods: `video-analytics.io/<relation>-<client>`. */
const SERVER_LABEL_PREFIX = 'video-analytics.io/';

export function tcpPort(port: number): k8s.NetworkPolicyPort {
  return { protocol: 'TCP', port: k8s.IntOrString.fromNumber(port) };
}

/** A UDP port, for the rules links do not cover (their ports are TCP), such as Alertmanager's gossip. */
export function udpPort(port: number): k8s.NetworkPolicyPort {
  return { protocol: 'UDP', port: k8s.IntOrString.fromNumber(port) };
}

/** Address ranges (or single addresses as /32) as NetworkPolicy peers: cameras, nodes, or anywhere. */
export function addressPeers(cidrs: readonly string[]): k8s.NetworkPolicyPeer[] {
  return cidrs.map((cidr) => ({ ipBlock: { cidr } }));
}

/** Every pod of a namespace, by the label the API server sets on every namespace. */
export function namespacePeer(namespace: string): k8s.NetworkPolicyPeer {
  return { namespaceSelector: namespaceSelector(namespace) };
}

/** Pods selected by labels, in `namespace`; a NetworkPolicy peer without a namespaceSelector means its own namespace. */
export function podsPeer(podSelector: { readonly [key: string]: string }, namespace: string, policyNamespace: string): k8s.NetworkPolicyPeer {
  const pods = { podSelector: { matchLabels: { ...podSelector } } };
  return namespace === policyNamespace ? pods : spreadOf(pods, { namespaceSelector: namespaceSelector(namespace) });
}

function namespaceSelector(namespace: string): k8s.LabelSelector {
  return { matchLabels: { 'kubernetes.io/metadata.name': namespace } };
}

/** Options of {@link Connections.allowFrom}. */
export interface AllowFromOptions {
  /**
   * Admit the client by a label the link puts on its pods rather than by the client's own
   * selector: one peer per client namespace however many clients there are, for servers with many
   * clients (an ingest read by every detection).
   * @default false - the client's pod selector
   */
  readonly byClientLabel?: boolean;
  /**
   * Let the client out to this group by a label the link puts on this group's pods rather than
   * by this group's selector: one egress peer per server namespace and port set, however many
   * servers the client reaches (Prometheus and its scrape targets). The option names the
   * relation; the label is `video-analytics.io/<relation>-<client name>: <client namespace>.<ports>`,
   * e.g. `video-analytics.io/scraped-by-prometheus: monitoring.9998`. It names the client, its
   * namespace and the ports, so the client's peer matches exactly the pods linked to it on those
   * ports. Where the label cannot be relied on, the client reaches this group by its selector
   * instead (the same flows, one rule): a group none of whose pods were built through
   * {@link Connections.labelPods} (whoever builds them would not add the label), one already
   * labelled for the same client with another namespace or port set, or a label too long. A
   * link the client already has by this group's selector, on the same ports, is left as it is.
   * @default - the client reaches this group by its pod selector, one egress rule per server
   */
  readonly byServerLabel?: string;
}

/** Who a {@link Connections} belongs to. */
export interface ConnectionsOptions {
  /** The construct class that owns the group, for error messages, e.g. `StreamIngest`. */
  readonly ownerKind: string;
  /** Name of the group (the component's name): servers name their client label after it. */
  readonly name: string;
  /** Namespace of the group's pods. */
  readonly namespace: string;
  /** The stable labels that select exactly the group's pods. */
  readonly podSelector: { readonly [key: string]: string };
}

/**
 * The network links of one group of pods (a component's workloads), and the NetworkPolicy that
 * allows exactly them. Links are declared once, on either end, and yield matching rules on both:
 * ingress on the server, egress on the client, right whether or not they share a namespace.
 * Rules may be added until the app is synthesized: the policy reads them then.
 */
export class Connections {
  /** Rules of the group's policy that admit traffic. */
  public readonly ingress: k8s.NetworkPolicyIngressRule[] = [];
  /** Rules of the group's policy that let traffic out. */
  public readonly egress: k8s.NetworkPolicyEgressRule[] = [];
  /** Labels that links add to the group's pods. */
  private readonly podLabels: Record<string, string> = {};
  /** Pod template label maps that get every link label, including those of links declared later. */
  private readonly labelledTemplates: Array<Record<string, string>> = [];
  private readonly clientRules = new Map<string, k8s.NetworkPolicyPeer[]>();
  private readonly serverRules = new Map<string, k8s.NetworkPolicyPeer[]>();
  private readonly seen = new Set<string>();

  /** The construct class that owns the group, for error messages, e.g. `StreamIngest`. */
  public readonly ownerKind: string;
  /** Name of the group: servers name their client label after it. */
  public readonly name: string;
  public readonly namespace: string;
  /** The stable labels that select exactly the group's pods. */
  public readonly podSelector: { readonly [key: string]: string };

  constructor(options: ConnectionsOptions) {
    this.ownerKind = options.ownerKind;
    this.name = options.name;
    this.namespace = options.namespace;
    this.podSelector = options.podSelector;
  }

  /** The group's NetworkPolicy: selects its pods; the namespace's default deny does the rest. */
  public addPolicy(scope: Construct, id: string, metadata: ApiObjectMetadata): k8s.KubeNetworkPolicy {
    return new KubeNetworkPolicy(scope, id, {
      metadata,
      spec: {
        podSelector: { matchLabels: { ...this.podSelector } },
        policyTypes: ['Ingress', 'Egress'],
        ingress: this.ingress,
        egress: this.egress,
      },
    });
  }

  /**
   * Puts the labels that links need on a pod template's label map, now and for every link
   * declared later: the pod builder calls it for every pod of the group.
   */
  public labelPods(templateLabels: Record<string, string>): void {
    Object.assign(templateLabels, this.podLabels);
    this.labelledTemplates.push(templateLabels);
  }

  /** Lets `client`'s pods connect to `ports` of this group: ingress here, egress there. */
  public allowFrom(client: Connections, ports: readonly number[], options: AllowFromOptions = {}): void {
    if (options.byClientLabel) {
      const [key, value] = this.clientLabel();
      const existing = client.podLabels[key];
      if (existing !== undefined && existing !== value) {
        throw propError(client.ownerKind, client.name, 'connections', `${this.ownerKind} '${this.name}' in ${this.namespace}`,
          `a link to one server named '${this.name}', but it also links to one in namespace '${existing}'`, 'Give the two servers different names.');
      }
      client.addPodLabel(key, value);
      this.addClientPeer(ports, client.namespace, { [key]: value });
    } else {
      this.addIngress({ from: [podsPeer(client.podSelector, client.namespace, this.namespace)], ports: ports.map(tcpPort) });
    }
    const bySelector: k8s.NetworkPolicyEgressRule = { to: [podsPeer(this.podSelector, this.namespace, client.namespace)], ports: ports.map(tcpPort) };
    // A link already declared by selector (Prometheus sending alerts to the Alertmanager it scrapes) needs no label.
    const serverLabel = options.byServerLabel === undefined || client.has('egress', bySelector) ? undefined : this.serverLabel(options.byServerLabel, client, ports);
    if (serverLabel) {
      const [key, value] = serverLabel;
      this.addPodLabel(key, value);
      client.addServerPeer(ports, this.namespace, { [key]: value });
    } else {
      client.addEgress(bySelector);
    }
  }

  /** Lets `client`'s pods (in a stack this library does not model, such as an operator's Prometheus) reach `ports`. */
  public allowFromPeer(peer: k8s.NetworkPolicyPeer, ports: readonly number[]): void {
    this.addIngress({ from: [peer], ports: ports.map(tcpPort) });
  }

  /** Lets the group's pods out to `peers` on `ports` (outside the cluster, or to the API server). */
  public allowToPeers(peers: readonly k8s.NetworkPolicyPeer[], ports: readonly number[]): void {
    this.addEgress({ to: [...peers], ports: ports.map(tcpPort) });
  }

  /** Adds an ingress rule once: declaring the same link twice changes nothing. */
  public addIngress(rule: k8s.NetworkPolicyIngressRule): void {
    if (this.isNew('ingress', rule)) this.ingress.push(rule);
  }

  /** Adds an egress rule once. */
  public addEgress(rule: k8s.NetworkPolicyEgressRule): void {
    if (this.isNew('egress', rule)) this.egress.push(rule);
  }

  private addPodLabel(key: string, value: string): void {
    this.podLabels[key] = value;
    for (const labels of this.labelledTemplates) labels[key] = value;
  }

  /** `video-analytics.io/client-of-<name>: <namespace>`: names the server, so only its own clients pass. */
  private clientLabel(): [string, string] {
    const key = `${CLIENT_LABEL_PREFIX}${this.name}`;
    const problem = qualifiedName(key);
    if (problem) throw propError(this.ownerKind, this.name, 'name', this.name, `short enough for the client label '${key}' (${problem})`, 'Use a shorter name.');
    return [key, this.namespace];
  }

  /**
   * `video-analytics.io/<relation>-<client>: <client namespace>.<ports>` for this group's pods;
   * undefined if no pod template of the group takes link labels, if the pods already carry that
   * key with another value (a same-named client of another namespace, or another port set), or
   * if the key or value would not be a valid label.
   */
  private serverLabel(relation: string, client: Connections, ports: readonly number[]): [string, string] | undefined {
    if (this.labelledTemplates.length === 0) return undefined;
    const key = `${SERVER_LABEL_PREFIX}${relation}-${client.name}`;
    // Namespaces hold no dots: the value reads back as one namespace and its ports.
    const value = [client.namespace, ...ports].join('.');
    if (qualifiedName(key) !== undefined || labelValue(value) !== undefined) return undefined;
    const existing = this.podLabels[key];
    return existing === undefined || existing === value ? [key, value] : undefined;
  }

  /** One egress rule per port set, with one peer per server namespace. */
  private addServerPeer(ports: readonly number[], serverNamespace: string, labels: Record<string, string>): void {
    this.addLabelledPeer('server', ports, podsPeer(labels, serverNamespace, this.namespace));
  }

  /** One ingress rule per port set, with one peer per client namespace. */
  private addClientPeer(ports: readonly number[], clientNamespace: string, labels: Record<string, string>): void {
    this.addLabelledPeer('client', ports, podsPeer(labels, clientNamespace, this.namespace));
  }

  /**
   * Adds `peer` to the rule of its side for `ports`, made on first use: the peers a link label
   * selects share one rule per port set, however many links there are.
   */
  private addLabelledPeer(side: 'client' | 'server', ports: readonly number[], peer: k8s.NetworkPolicyPeer): void {
    const portsKey = ports.join(',');
    const rules = side === 'client' ? this.clientRules : this.serverRules;
    let peers = rules.get(portsKey);
    if (peers === undefined) {
      peers = [];
      rules.set(portsKey, peers);
      if (side === 'client') this.ingress.push({ from: peers, ports: ports.map(tcpPort) });
      else this.egress.push({ to: peers, ports: ports.map(tcpPort) });
    }
    if (this.isNew(`${side} ${portsKey}`, peer)) peers.push(peer);
  }

  private isNew(kind: string, rule: unknown): boolean {
    const key = `${kind} ${JSON.stringify(rule)}`;
    if (this.seen.has(key)) return false;
    this.seen.add(key);
    return true;
  }

  private has(kind: string, rule: unknown): boolean {
    return this.seen.has(`${kind} ${JSON.stringify(rule)}`);
  }
}

/** A component whose pods take part in network links. */
export interface IConnectable {
  /** The links of the component's pods, and its NetworkPolicy. */
  readonly connections: Connections;
}

/** Whether `value` offers its {@link Connections}. */
export function isConnectable(value: unknown): value is IConnectable {
  return typeof value === 'object' && value !== null && (value as Partial<IConnectable>).connections instanceof Connections;
}
