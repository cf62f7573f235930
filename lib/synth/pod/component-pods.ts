import { ApiObjectMetadata } from 'cdk8s';
import { k8s } from '../../core/cdk8s-plus';
import { Construct } from 'constructs';
import { ComponentIdentity, selectorLabels, standardLabels } from '../../core/labels';
import { Connections } from '../connections';
import { KubePodDisruptionBudget } from '../kube-objects';
import { PodServiceAccount, newServiceAccount } from './builder';
import { spreadOf } from '../../core/spread';

/** Options of {@link ComponentPods}. */
export interface ComponentPodsOptions {
  /** The construct class that owns the pods, for error messages, e.g. `StreamIngest`. */
  readonly ownerKind: string;
  /** Labels of the component; its selector labels select exactly its pods. */
  readonly identity: ComponentIdentity;
  /** Namespace of the pods and of every object around them. */
  readonly namespace: string;
  /**
   * Name of the objects around the pods (ServiceAccount, budget, policy) and of the component in its links.
   * @default - the identity's name
   */
  readonly name?: string;
}

/** Options of {@link ComponentPods.addDisruptionBudget}. */
export interface DisruptionBudgetOptions {
  /**
   * Name of the budget.
   * @default - the component's name
   */
  readonly name?: string;
  /**
   * The pods it guards: a subset of the component (one ingest shard) or all of it.
   * @default - every pod of the component
   */
  readonly selector?: { readonly [key: string]: string };
  /**
   * Labels besides the component's.
   * @default - none
   */
  readonly labels?: { readonly [key: string]: string };
}

/** Options of {@link ComponentPods.spreadOverNodes}. */
export interface SpreadOptions {
  /**
   * The pods spread: a subset of the component (one ingest shard) or all of it.
   * @default - every pod of the component
   */
  readonly selector?: { readonly [key: string]: string };
  /**
   * Whether two of the pods may share a node while another eligible node has none.
   * @default false - never: losing a node then loses at most one replica
   */
  readonly soft?: boolean;
  /**
   * Also spread (softly) over zones, for clusters that label them.
   * @default true
   */
  readonly zones?: boolean;
  /**
   * Count only the nodes the pods may run on (their node affinity), so that nodes they cannot
   * use do not block scheduling: GPU pools among CPU-only nodes.
   * @default false
   */
  readonly honorNodeAffinity?: boolean;
}

/**
 * The pods of one component and what every component puts around them, made one way: the
 * labels, the ServiceAccount, a PodDisruptionBudget that lets drains proceed one pod at a time,
 * the spread over nodes, and the NetworkPolicy of its links.
 */
export class ComponentPods {
  /** The recommended labels of every object of the component. */
  public readonly labels: { readonly [key: string]: string };
  /** The stable labels that select exactly its pods. */
  public readonly selector: { readonly [key: string]: string };
  /** The network links of the pods. */
  public readonly connections: Connections;
  /** Namespace of the pods. */
  public readonly namespace: string;
  /** Name of the objects around the pods. */
  public readonly name: string;

  constructor(options: ComponentPodsOptions) {
    this.labels = standardLabels(options.identity);
    this.selector = selectorLabels(options.identity);
    this.namespace = options.namespace;
    this.name = options.name ?? options.identity.name;
    this.connections = new Connections({ ownerKind: options.ownerKind, name: this.name, namespace: this.namespace, podSelector: this.selector });
  }

  /** Name, namespace and labels of an object of the component. */
  public metadata(name: string = this.name): ApiObjectMetadata & { readonly name: string } {
    return { name, namespace: this.namespace, labels: { ...this.labels } };
  }

  /**
   * The component's ServiceAccount, named after it.
   * @param readsApiBecause why the pods call the Kubernetes API: only then is its token mounted
   */
  public addServiceAccount(scope: Construct, id = 'service-account', readsApiBecause?: string): PodServiceAccount {
    return newServiceAccount(scope, id, { metadata: this.metadata(), readsApiBecause });
  }

  /**
   * At most one pod of the component down at a time, whatever the count: a drain always proceeds,
   * one pod after the other, and never waits forever (a budget of zero would block node upgrades).
   */
  public addDisruptionBudget(scope: Construct, id = 'disruption-budget', options: DisruptionBudgetOptions = {}): k8s.KubePodDisruptionBudget {
    return new KubePodDisruptionBudget(scope, id, {
      metadata: spreadOf(this.metadata(options.name), { labels: spreadOf(this.labels, options.labels) }),
      spec: { maxUnavailable: k8s.IntOrString.fromNumber(1), selector: { matchLabels: { ...options.selector ?? this.selector } } },
    });
  }

  /** The NetworkPolicy that allows exactly the component's links. */
  public addNetworkPolicy(scope: Construct, id = 'network-policy'): k8s.KubeNetworkPolicy {
    return this.connections.addPolicy(scope, id, this.metadata());
  }

  /** Topology spread constraints that keep replicas on different nodes (and zones). */
  public spreadOverNodes(options: SpreadOptions = {}): k8s.TopologySpreadConstraint[] {
    const labelSelector = { matchLabels: { ...options.selector ?? this.selector } };
    const policies = options.honorNodeAffinity ? { nodeAffinityPolicy: 'Honor', nodeTaintsPolicy: 'Honor' } : { nodeTaintsPolicy: 'Honor' };
    const spread = (topologyKey: string, soft: boolean): k8s.TopologySpreadConstraint =>
      ({ maxSkew: 1, topologyKey, whenUnsatisfiable: soft ? 'ScheduleAnyway' : 'DoNotSchedule', labelSelector, ...policies });
    return [
      spread('kubernetes.io/hostname', options.soft ?? false),
      ...(options.zones ?? true ? [spread('topology.kubernetes.io/zone', true)] : []),
    ];
  }
}

/** Timing of a probe. */
export interface ProbeTiming {
  readonly periodSeconds: number;
  readonly timeoutSeconds: number;
  /**
   * Failures in a row before the probe counts as failed.
   * @default - the kubelet's, 3
   */
  readonly failureThreshold?: number;
  /**
   * Seconds before the first probe.
   * @default - none
   */
  readonly initialDelaySeconds?: number;
}

/** An HTTP GET probe on a named container port. */
export function httpProbe(path: string, port: string, timing: ProbeTiming, scheme?: 'HTTPS'): k8s.Probe {
  return { httpGet: { path, port: k8s.IntOrString.fromString(port), ...(scheme ? { scheme } : {}) }, ...timing };
}

/** A Service port that forwards to the container port of the same name, over TCP. */
export function servicePort(name: string, port: number): k8s.ServicePort {
  return { name, port, targetPort: k8s.IntOrString.fromString(name), protocol: 'TCP' };
}

/** A rolling update that starts the new pod before it stops an old one: never fewer ready replicas than wanted. */
export function surgeBeforeStopping(): k8s.DeploymentStrategy {
  return { type: 'RollingUpdate', rollingUpdate: { maxSurge: k8s.IntOrString.fromNumber(1), maxUnavailable: k8s.IntOrString.fromNumber(0) } };
}
