import { Construct } from 'constructs';
import { Application } from '../../../imports/argoproj.io';
import { propError } from '../../core/errors';
import { platformLabels } from '../../core/labels';
import { dns1123Label, dns1123Subdomain } from '../../core/names';

/** The files cdk8s writes, and nothing else that may sit beside them. */
const DEFAULT_INCLUDE = '*.k8s.yaml';

/** The part of a sync policy every Application the library writes shares. */
export interface SharedSyncPolicy {
  readonly syncOptions: string[];
  readonly retry: { limit: number; backoff: { duration: string; factor: number; maxDuration: string } };
}

/**
 * Server-side apply, because large objects exceed the 256 KiB annotation limit of client-side apply;
 * no dry run for kinds whose CRD is missing, because KEDA's CRDs come from a HelmChart that
 * helm-controller installs after the sync starts; retries with backoff until they are there.
 */
export function sharedSyncPolicy(): SharedSyncPolicy {
  return {
    syncOptions: ['ServerSideApply=true', 'RespectIgnoreDifferences=true', 'PruneLast=true', 'SkipDryRunOnMissingResource=true'],
    retry: { limit: 5, backoff: { duration: '10s', factor: 2, maxDuration: '5m' } },
  };
}

/** An `ignoreDifferences` entry. */
export interface IgnoredDifference {
  readonly group: string;
  readonly kind: string;
  readonly namespace: string;
  readonly name: string;
  readonly jsonPointers: string[];
}

/** `ignoreDifferences` entries for replica counts an autoscaler owns, in a stable order. */
export function ignoreAutoscaledReplicas(autoscaled: readonly AutoscaledWorkload[]): IgnoredDifference[] {
  return [...autoscaled]
    .sort((a, b) => `${a.namespace}/${a.name}`.localeCompare(`${b.namespace}/${b.name}`))
    .map((w) => ({ group: 'apps', kind: w.kind, namespace: w.namespace, name: w.name, jsonPointers: ['/spec/replicas'] }));
}

/** A workload whose replica count an autoscaler owns: Argo CD must not reset it. */
export interface AutoscaledWorkload {
  /** Kind, e.g. `Deployment`. */
  readonly kind: string;
  /** Namespace. */
  readonly namespace: string;
  /** Name. */
  readonly name: string;
}

/** Props of {@link ArgoCdApplication}. */
export interface ArgoCdApplicationProps {
  /** Git repository holding `dist/`. */
  readonly repoUrl: string;
  /**
   * Branch, tag or commit to follow.
   * @default 'main'
   */
  readonly targetRevision?: string;
  /**
   * Folder of the manifests in the repository.
   * @default 'dist'
   */
  readonly path?: string;
  /**
   * Glob of the files in `path` Argo CD applies (`spec.source.directory.include`): anything else
   * there, such as a `construct-metadata.json` or a report left in the folder, is never applied.
   * @default '*.k8s.yaml' - the files cdk8s writes
   */
  readonly include?: string;
  /**
   * Name of the Application.
   * @default 'video-analytics'
   */
  readonly name?: string;
  /**
   * Namespace Argo CD runs in.
   * @default 'argocd'
   */
  readonly namespace?: string;
  /**
   * Argo CD project.
   * @default 'default'
   */
  readonly project?: string;
  /**
   * Workloads whose `/spec/replicas` Argo CD ignores, because an autoscaler owns it.
   * @default - none
   */
  readonly autoscaled?: readonly AutoscaledWorkload[];
}

/**
 * The Argo CD Application that applies `dist/` to the cluster it runs in: only its manifests
 * (`*.k8s.yaml`), with automated sync, pruning and self-heal, server-side apply (large objects
 * exceed the 256 KiB annotation limit of client-side apply) and `ignoreDifferences` on replicas an
 * autoscaler owns. It is the bootstrap: applied once by hand, it is not part of `dist/` itself.
 */
export class ArgoCdApplication extends Construct {
  constructor(scope: Construct, id: string, props: ArgoCdApplicationProps) {
    super(scope, id);
    if (!/^(https:\/\/|ssh:\/\/|git@)\S+$/.test(props.repoUrl)) {
      throw new Error(`ArgoCdApplication '${id}': 'repoUrl' (${props.repoUrl}) must be an https://, ssh:// or git@ Git URL. Use the URL Argo CD clones from.`);
    }
    validateNames(id, props);
    const ignoreDifferences = ignoreAutoscaledReplicas(props.autoscaled ?? []);
    new Application(this, 'application', {
      metadata: { name: props.name ?? 'video-analytics', namespace: props.namespace ?? 'argocd', labels: platformLabels() },
      spec: {
        project: props.project ?? 'default',
        source: {
          repoUrl: props.repoUrl,
          targetRevision: props.targetRevision ?? 'main',
          path: props.path ?? 'dist',
          directory: { include: props.include ?? DEFAULT_INCLUDE },
        },
        destination: { server: 'https://kubernetes.default.svc' },
        syncPolicy: { automated: { prune: true, selfHeal: true }, ...sharedSyncPolicy() },
        ignoreDifferences: ignoreDifferences.length > 0 ? ignoreDifferences : undefined,
      },
    });
  }
}

/**
 * Names the API server (name, namespace) or Argo CD (project, ignoreDifferences) would refuse or never
 * match, and a file glob that would apply nothing, or more than manifests.
 */
function validateNames(id: string, props: ArgoCdApplicationProps): void {
  const check = (prop: string, value: string, problemOf: (value: string) => string | undefined, what: string): void => {
    const problem = problemOf(value);
    if (problem) throw propError('ArgoCdApplication', id, prop, value, `${what} (${problem})`, 'Use the name as kubectl shows it.');
  };
  check('name', props.name ?? 'video-analytics', dns1123Subdomain, 'an object name');
  check('namespace', props.namespace ?? 'argocd', dns1123Label, 'a namespace name');
  check('project', props.project ?? 'default', dns1123Subdomain, 'an AppProject name');
  (props.autoscaled ?? []).forEach((workload, i) => {
    check(`autoscaled[${i}].namespace`, workload.namespace, dns1123Label, 'a namespace name');
    check(`autoscaled[${i}].name`, workload.name, dns1123Subdomain, 'an object name');
  });
  const include = props.include ?? DEFAULT_INCLUDE;
  if (!/^\S+\.ya?ml$/.test(include)) {
    throw propError('ArgoCdApplication', id, 'include', include, 'a glob of YAML file names, such as *.k8s.yaml',
      'Match the files cdk8s writes (their outputFileExtension), so that nothing else in the folder is applied.');
  }
}

