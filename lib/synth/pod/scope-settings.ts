import { IConstruct } from 'constructs';
import { propError } from '../../core/errors';
import { dns1123Subdomain } from '../../core/names';
import { spreadOf } from '../../core/spread';

/** The PriorityClass of each tier, as a scope's pods get them. */
export interface PriorityClassNames {
  /** The platform's own services: registry, monitoring, GPU daemons. */
  readonly platform: string;
  /** Camera stream ingest. */
  readonly ingest: string;
  /** Analysis services and inference pools. */
  readonly analysis: string;
  /** Batch work on spare capacity. */
  readonly batch: string;
}

/** Settings made once for a scope, which every pod built under it gets. */
export interface ScopeSettingsProps {
  /**
   * Host (and port) of a registry that mirrors every image the platform uses, e.g.
   * `registry.video-analytics.internal:5000`. Images are rewritten to it:
   * `nvcr.io/nvidia/tritonserver:24.08-py3` becomes `<mirror>/nvidia/tritonserver:24.08-py3`,
   * `busybox:1.36.1` becomes `<mirror>/library/busybox:1.36.1`.
   * @default - inherited from the enclosing scope; else images are pulled from where their references point
   */
  readonly mirror?: string;
  /**
   * Secrets of type `kubernetes.io/dockerconfigjson` every pod uses to pull images, in each workload's namespace.
   * @default - inherited from the enclosing scope; else none
   */
  readonly imagePullSecrets?: readonly string[];
  /**
   * The PriorityClass of each tier. Set by {@link PlatformPriorities} for the scope it is made in;
   * a construct's own `priorityClassName` prop still wins.
   * @default - inherited from the enclosing scope; else pods get the cluster's default priority
   */
  readonly priorityClasses?: PriorityClassNames;
  /**
   * The cluster's DNS domain, in every in-cluster host name the library writes.
   * @default - inherited from the enclosing scope; else 'cluster.local'
   */
  readonly clusterDomain?: string;
}

const CONTEXT_KEY = 'cdk8s-video-analytics/scope-settings';
const DEFAULT_CLUSTER_DOMAIN = 'cluster.local';

/**
 * Platform-wide pod settings, set once on a scope (usually the App, the platform or one of its
 * layers) and read by the pod builder for every pod made below it. Settings made on an inner
 * scope override the outer ones field by field. Apply them before the constructs that read them
 * are made: cdk8s context cannot change under existing children.
 */
export class ScopeSettings {
  /** Applies the settings to every construct created under `scope` after this call. */
  public static apply(scope: IConstruct, props: ScopeSettingsProps): void {
    checkRegistrySettings('ScopeSettings', props);
    refuseExistingChildren(scope);
    for (const [tier, name] of Object.entries(props.priorityClasses ?? {})) {
      const problem = dns1123Subdomain(name);
      if (problem) throw propError('ScopeSettings', scope.node.id, `priorityClasses.${tier}`, name, `a PriorityClass name (${problem})`, 'Use the name of a PriorityClass of the cluster.');
    }
    const domainProblem = props.clusterDomain === undefined ? undefined : dns1123Subdomain(props.clusterDomain);
    if (domainProblem) throw propError('ScopeSettings', scope.node.id, 'clusterDomain', props.clusterDomain, `a DNS domain (${domainProblem})`, "Use the cluster's domain, 'cluster.local' on K3s.");
    const inherited = ScopeSettings.of(scope);
    const defined = Object.fromEntries(Object.entries(props).filter(([, value]) => value !== undefined));
    scope.node.setContext(CONTEXT_KEY, spreadOf(inherited, defined));
  }

  /** The settings in force at `scope`. */
  public static of(scope: IConstruct): ScopeSettingsProps {
    return (scope.node.tryGetContext(CONTEXT_KEY) as ScopeSettingsProps | undefined) ?? {};
  }

  /** The cluster DNS domain in force at `scope`. */
  public static clusterDomain(scope: IConstruct): string {
    return ScopeSettings.of(scope).clusterDomain ?? DEFAULT_CLUSTER_DOMAIN;
  }
}

/** cdk8s context cannot change under existing children: say so in the library's words, naming them. */
function refuseExistingChildren(scope: IConstruct): void {
  const children = scope.node.children.map((child) => child.node.id);
  if (children.length > 0) {
    throw propError('ScopeSettings', scope.node.id || 'app', 'scope', `already holds ${children.join(', ')}`,
      'a scope with no constructs under it yet', 'Apply the settings first, then make the constructs they are for.');
  }
}

/** Refuses a mirror that is not a registry host and pull secrets that are not Secret names, in `who`'s words. */
export function checkRegistrySettings(who: string, props: Pick<ScopeSettingsProps, 'mirror' | 'imagePullSecrets'>): void {
  const mirror = props.mirror;
  const port = Number(mirror?.split(':')[1] ?? 1);
  if (mirror !== undefined && (!/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?(:\d{1,5})?$/.test(mirror) || port < 1 || port > 65535)) {
    throw new Error(`${who}: 'mirror' (${mirror}) must be a registry host with an optional port. Write it like 'registry.example.internal:5000'.`);
  }
  (props.imagePullSecrets ?? []).forEach((secret, i) => {
    // A name the API server would refuse is silently useless in imagePullSecrets: pulls just fail.
    const problem = dns1123Subdomain(secret);
    if (problem) throw new Error(`${who}: 'imagePullSecrets[${i}]' (${secret}) must be a Secret name (${problem}). Use the Secret's name as kubectl shows it.`);
  });
}

/** The repository path of an image reference without its registry host, as Docker resolves it. */
export function repositoryPath(image: string): string {
  const [first, ...rest] = image.split('/');
  const firstIsHost = rest.length > 0 && (first.includes('.') || first.includes(':') || first === 'localhost');
  if (firstIsHost) return rest.join('/');
  return rest.length === 0 ? `library/${first}` : image;
}

/** Props of every construct whose pods follow the scope's settings, which these override for it. */
export interface ScopedPodProps {
  /**
   * PriorityClass of the construct's pods.
   * @default - the class of the construct's tier in its scope (ScopeSettings), else the cluster's default priority
   */
  readonly priorityClassName?: string;
  /**
   * The cluster's DNS domain, in the in-cluster host names the construct writes.
   * @default - the scope's (ScopeSettings), else 'cluster.local'
   */
  readonly clusterDomain?: string;
}

/** A construct's {@link ScopedPodProps}, checked, with the cluster domain resolved against its scope. */
export function resolveScopedPodProps(scope: IConstruct, construct: string, props: ScopedPodProps): { clusterDomain: string; priorityClassName?: string } {
  const id = scope.node.id;
  const clusterDomain = props.clusterDomain ?? ScopeSettings.clusterDomain(scope);
  const domainProblem = dns1123Subdomain(clusterDomain);
  if (domainProblem) throw propError(construct, id, 'clusterDomain', clusterDomain, `a DNS domain (${domainProblem})`, "Use the cluster's domain, 'cluster.local' on K3s.");
  const priorityClassName = props.priorityClassName;
  const classProblem = priorityClassName === undefined ? undefined : dns1123Subdomain(priorityClassName);
  if (classProblem) throw propError(construct, id, 'priorityClassName', priorityClassName, `a PriorityClass name (${classProblem})`, 'Use a PriorityClass of the cluster, such as PlatformPriorities.ANALYSIS.');
  return { clusterDomain, priorityClassName };
}
