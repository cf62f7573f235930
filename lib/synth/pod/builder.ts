import { ApiObjectMetadata, Lazy } from 'cdk8s';
import { k8s } from '../../core/cdk8s-plus';
import { Construct, IConstruct } from 'constructs';
import { configChecksum } from '../../core/config-checksum';
import { propError } from '../../core/errors';
import { Connections } from '../connections';
import { KubeDaemonSet, KubeDeployment, KubeServiceAccount, KubeStatefulSet } from '../kube-objects';
import { requireSizedEmptyDirs, withEphemeralStorage } from './ephemeral-storage';
import { ScopeSettings, repositoryPath } from './scope-settings';
import { restrictedContainerSecurityContext, restrictedPodSecurityContext } from './security';
import { spreadOf } from '../../core/spread';

/**
 * Every pod template and every image the library writes goes through this module: it is where a
 * scope's settings (mirror, pull secrets, priority tier) and the platform's guarantees (restricted
 * security context, no API token unless needed, pinned pull policy, config checksum) are applied,
 * so that they hold for every pod by construction rather than where someone remembered them.
 */

/** Which PriorityClass of the scope a pod gets; the tiers preempt in this order. */
export enum PriorityTier {
  /** The platform's own services (registry, monitoring, GPU daemons): without them nothing pulls or alerts. */
  PLATFORM = 'platform',
  /** Camera stream ingest: losing it loses every detection on its cameras. */
  INGEST = 'ingest',
  /** Analysis services and inference pools. */
  ANALYSIS = 'analysis',
  /** Batch work on spare capacity. */
  BATCH = 'batch',
}

/** Pod annotation holding the hash of the pod's configuration: a change rolls the pods. */
export const CONFIG_CHECKSUM_ANNOTATION = 'video-analytics.io/config-checksum';

/**
 * Workload annotation saying why one replica is enough: the only way a Deployment or StatefulSet
 * is exempt from the single-point-of-failure policy (which wants every workload to survive the
 * loss or drain of any one node).
 */
export const SINGLE_REPLICA_REASON_ANNOTATION = 'video-analytics.io/single-replica-reason';

/** A ServiceAccount made by {@link newServiceAccount}, and whether its pods get its token. */
export interface PodServiceAccount {
  readonly name: string;
  /** Why the pods read the Kubernetes API; undefined when they do not, and get no token. */
  readonly readsApiBecause?: string;
}

/** Options of {@link newServiceAccount}. */
export interface ServiceAccountOptions {
  readonly metadata: ApiObjectMetadata & { readonly name: string };
  /**
   * Why the pods call the Kubernetes API: only then is the token mounted into them.
   * @default - the pods get no token
   */
  readonly readsApiBecause?: string;
}

/**
 * A ServiceAccount whose token is never mounted by default: a pod gets it only through the pod
 * builder, and only when the account says why it reads the API.
 */
export function newServiceAccount(scope: Construct, id: string, options: ServiceAccountOptions): PodServiceAccount {
  new KubeServiceAccount(scope, id, { metadata: options.metadata, automountServiceAccountToken: false });
  return { name: options.metadata.name, readsApiBecause: options.readsApiBecause };
}

/**
 * An exception to the restricted Pod Security profile, named where it is made with its reason.
 * Such pods must live in a namespace labelled privileged.
 */
export interface PrivilegeException {
  /** Why the pod cannot run restricted, e.g. 'reads GPU devices of the host'. */
  readonly reason: string;
  /**
   * The pod's security context instead of the restricted one.
   * @default - none
   */
  readonly podSecurityContext?: k8s.PodSecurityContext;
  /** The security context of every container instead of the restricted one. */
  readonly containerSecurityContext: k8s.SecurityContext;
}

/** A container as its construct describes it; image pull and security are the builder's. */
export interface ContainerOptions extends Omit<k8s.Container, 'imagePullPolicy' | 'securityContext' | 'resources'> {
  /** The image as the construct names it; rewritten to the scope's mirror. */
  readonly image: string;
  /**
   * Requests and limits: every container declares both, for CPU and memory, and for
   * `ephemeral-storage` (logs and the writable layer) unless the builder's default fits: each part
   * not stated is 64Mi requested and 512Mi limit, the limit raised by the size of the disk-backed
   * emptyDirs the container is the first to mount (the first container is charged with those
   * only init containers mount).
   */
  readonly resources: k8s.ResourceRequirements;
}

/** A pod as its construct describes it. */
export interface PodOptions extends Omit<k8s.PodSpec,
'containers' | 'initContainers' | 'serviceAccount' | 'serviceAccountName' | 'automountServiceAccountToken' | 'imagePullSecrets' | 'priorityClassName' | 'securityContext' | 'enableServiceLinks'> {
  /** The account the pods run as. */
  readonly serviceAccount: PodServiceAccount;
  /** The tier whose PriorityClass the pods get, from the scope's settings. */
  readonly tier: PriorityTier;
  /**
   * A PriorityClass that overrides the tier's.
   * @default - the tier's PriorityClass in the scope, or none
   */
  readonly priorityClassName?: string;
  /**
   * Changes to the restricted pod security context that the restricted profile still allows
   * (such as `fsGroupChangePolicy`).
   * @default - the restricted context as it is
   */
  readonly podSecurityContext?: k8s.PodSecurityContext;
  /**
   * Run outside the restricted profile, saying why.
   * @default - restricted
   */
  readonly privileged?: PrivilegeException;
  /**
   * The pod's volumes; every emptyDir must have a `sizeLimit`.
   * @default - none
   */
  readonly volumes?: k8s.Volume[];
  /** The pod's containers. */
  readonly containers: readonly ContainerOptions[];
  /**
   * Containers that run to completion before the others start.
   * @default - none
   */
  readonly initContainers?: readonly ContainerOptions[];
}

/** File name to text. */
export type ConfigFiles = { readonly [key: string]: string };

/** A pod template as its construct describes it. */
export interface PodTemplateOptions {
  /** Labels of the pods: the workload's selector labels at least. */
  readonly labels: { readonly [key: string]: string };
  /**
   * Annotations of the pods.
   * @default - only the config checksum, if any
   */
  readonly annotations?: { readonly [key: string]: string };
  /**
   * The configuration the pods read (file name to text), or a function that gives it once every
   * construct is added: its checksum rolls the pods when it changes.
   * @default - no checksum annotation
   */
  readonly config?: ConfigFiles | (() => ConfigFiles);
  /**
   * The network links of the pods, which may need labels on them (a client's admission label).
   * @default - no link labels
   */
  readonly connections?: Connections;
  /** The pod. */
  readonly spec: PodOptions;
}

/** The image as pods under `scope` pull it: rewritten to the scope's mirror, if any. */
export function scopedImage(scope: IConstruct, image: string): string {
  const mirror = ScopeSettings.of(scope).mirror;
  return mirror ? `${mirror}/${repositoryPath(image)}` : image;
}

/** The imagePullSecrets of pods under `scope`. */
export function scopedPullSecrets(scope: IConstruct): k8s.LocalObjectReference[] | undefined {
  const secrets = ScopeSettings.of(scope).imagePullSecrets ?? [];
  return secrets.length > 0 ? secrets.map((name) => ({ name })) : undefined;
}

/** The PriorityClass of `tier` under `scope`, unless `override` names one. */
export function scopedPriorityClass(scope: IConstruct, tier: PriorityTier, override?: string): string | undefined {
  return override ?? ScopeSettings.of(scope).priorityClasses?.[tier];
}

/**
 * A pod spec with the scope's settings and the platform's guarantees applied.
 * @throws if an emptyDir has no sizeLimit, or a container's ephemeral-storage request is above its limit
 */
export function buildPodSpec(scope: IConstruct, options: PodOptions): k8s.PodSpec {
  const { serviceAccount, tier, priorityClassName, podSecurityContext, privileged, containers: stated, initContainers: statedInit, ...rest } = options;
  requireSizedEmptyDirs(scope, rest.volumes);
  const { containers, initContainers } = withEphemeralStorage(scope, stated, statedInit ?? [], rest.volumes);
  const container = (c: ContainerOptions): k8s.Container => spreadOf(c, {
    image: scopedImage(scope, c.image),
    // Pinned tags never move: pulling again on every start only adds a registry dependency.
    imagePullPolicy: 'IfNotPresent',
    securityContext: privileged ? privileged.containerSecurityContext : restrictedContainerSecurityContext(),
  });
  return spreadOf(rest, {
    serviceAccountName: serviceAccount.name,
    automountServiceAccountToken: serviceAccount.readsApiBecause !== undefined,
    enableServiceLinks: false,
    imagePullSecrets: scopedPullSecrets(scope),
    priorityClassName: scopedPriorityClass(scope, tier, priorityClassName),
    securityContext: privileged ? privileged.podSecurityContext : spreadOf(restrictedPodSecurityContext(), podSecurityContext),
    initContainers: initContainers.length > 0 ? initContainers.map(container) : undefined,
    containers: containers.map(container),
  });
}

/** A pod template with the scope's settings, the platform's guarantees and the config checksum. */
export function buildPodTemplate(scope: IConstruct, options: PodTemplateOptions): k8s.PodTemplateSpec {
  const config = options.config;
  const annotations: Record<string, string> = spreadOf(options.annotations);
  if (config !== undefined) {
    annotations[CONFIG_CHECKSUM_ANNOTATION] = typeof config === 'function'
      ? Lazy.any({ produce: () => configChecksum(config()) }) as unknown as string
      : configChecksum(config);
  }
  const labels = spreadOf(options.labels);
  options.connections?.labelPods(labels);
  return {
    metadata: { labels, annotations: Object.keys(annotations).length > 0 ? annotations : undefined },
    spec: buildPodSpec(scope, options.spec),
  };
}

type WithTemplate<Spec> = Omit<Spec, 'template'> & { readonly template: PodTemplateOptions };

/** Props of the workload functions: the generated props with a pod template the builder makes. */
export interface WorkloadProps<Spec> {
  readonly metadata: ApiObjectMetadata;
  readonly spec: WithTemplate<Spec>;
}

/** Props of the functions for replicated workloads (Deployment, StatefulSet). */
export interface ReplicatedWorkloadProps<Spec> extends WorkloadProps<Spec> {
  /**
   * Why one replica is enough, when the user chose a single one (e.g. 'stateless, rescheduled in
   * seconds'): recorded on the workload as {@link SINGLE_REPLICA_REASON_ANNOTATION}, the only
   * exemption from the single-point-of-failure policy.
   * @default - none: the workload must survive the loss of any one node
   */
  readonly singleReplicaReason?: string;
}

/**
 * The reason recorded when the user's own props ask for a single replica (the defaults never do):
 * an explicit choice, such as a site with one node, is an opt-out the policy must accept and the
 * output must show.
 */
export function singleReplicaChosenBy(prop: string, replicas: number): string | undefined {
  return replicas === 1 ? `'${prop}' is 1 in the construct's props: one replica was chosen, for example for a site with one node` : undefined;
}

/** A Deployment whose pods go through the builder. */
export function newDeployment(scope: Construct, id: string, props: ReplicatedWorkloadProps<k8s.DeploymentSpec>): k8s.KubeDeployment {
  return new KubeDeployment(scope, id, { metadata: workloadMetadata(scope, props), spec: spreadOf(props.spec, { template: buildPodTemplate(scope, props.spec.template) }) });
}

/** A StatefulSet whose pods go through the builder. */
export function newStatefulSet(scope: Construct, id: string, props: ReplicatedWorkloadProps<k8s.StatefulSetSpec>): k8s.KubeStatefulSet {
  return new KubeStatefulSet(scope, id, { metadata: workloadMetadata(scope, props), spec: spreadOf(props.spec, { template: buildPodTemplate(scope, props.spec.template) }) });
}

/** The workload's metadata, with the reason for a single replica when one is given. */
function workloadMetadata<Spec>(scope: IConstruct, props: ReplicatedWorkloadProps<Spec>): ApiObjectMetadata {
  const reason = props.singleReplicaReason;
  if (reason === undefined) return props.metadata;
  if (reason.trim() === '') {
    throw propError(scope.constructor.name, scope.node.path, 'singleReplicaReason', reason, 'a reason',
      'Say why one replica is enough (e.g. \'stateless, rescheduled in seconds\'), or run two replicas.');
  }
  return spreadOf(props.metadata, { annotations: spreadOf(props.metadata.annotations, { [SINGLE_REPLICA_REASON_ANNOTATION]: reason }) });
}

/** A DaemonSet whose pods go through the builder. */
export function newDaemonSet(scope: Construct, id: string, props: WorkloadProps<k8s.DaemonSetSpec>): k8s.KubeDaemonSet {
  return new KubeDaemonSet(scope, id, { metadata: props.metadata, spec: spreadOf(props.spec, { template: buildPodTemplate(scope, props.spec.template) }) });
}
