import { Construct } from 'constructs';
import {
  ApplicationSet,
  ApplicationSetSpecStrategyRollingSyncSteps,
  ApplicationSetSpecStrategyRollingSyncStepsMaxUpdate,
} from '../../../imports/argoproj.io';
import { propError } from '../../core/errors';
import { platformLabels } from '../../core/labels';
import { dns1123Label, dns1123Subdomain } from '../../core/names';
import { AutoscaledWorkload, IgnoredDifference, ignoreAutoscaledReplicas, sharedSyncPolicy } from './argo-cd-application';

const CONSTRUCT = 'ArgoCdApplicationSet';
/** The files cdk8s writes, and nothing else that may sit beside them. */
const DEFAULT_INCLUDE = '*.k8s.yaml';
/** On every generated Application: the site it applies. */
const SITE_LABEL = 'video-analytics.io/site';
/** On every generated Application: `canary` or `wave-<n>`, what the rollout steps select. */
const WAVE_LABEL = 'video-analytics.io/rollout-wave';
const CANARY = 'canary';
/** Argo CD's label tracking puts an Application's name in a label value. */
const MAX_APPLICATION_NAME = 63;

/** One site of a fleet: the Application that applies its folder of manifests to its cluster. */
export interface FleetSiteApplication {
  /** Site name (DNS label); the Application is named `<applicationPrefix>-<site>`. */
  readonly site: string;
  /** Name of the destination cluster as registered in Argo CD (the cluster Secret's `name`). */
  readonly cluster: string;
  /** Folder of the site's manifests in the repository, e.g. `dist/<site>`. */
  readonly path: string;
  /**
   * Rollout wave: `'canary'` or a number >= 1. Canaries sync first, then the numbered waves in
   * ascending order. Numbers need not be consecutive: a wave without sites has no step, so
   * emptying wave 2 leaves wave 3 as it is.
   */
  readonly wave: 'canary' | number;
  /**
   * Workloads of the site whose replicas an autoscaler owns (`ignoreDifferences` on `/spec/replicas`).
   * @default - none
   */
  readonly autoscaled?: readonly AutoscaledWorkload[];
}

/** Props of {@link ArgoCdApplicationSet}. */
export interface ArgoCdApplicationSetProps {
  /** Git repository holding every site's folder. */
  readonly repoUrl: string;
  /**
   * Branch, tag or commit to follow.
   * @default 'main'
   */
  readonly targetRevision?: string;
  /**
   * Glob of the files in a site's folder Argo CD applies (`spec.source.directory.include`).
   * @default '*.k8s.yaml' - the files cdk8s writes
   */
  readonly include?: string;
  /**
   * Name of the ApplicationSet.
   * @default 'video-analytics-fleet'
   */
  readonly name?: string;
  /**
   * Start of every generated Application's name, `<applicationPrefix>-<site>`.
   * @default 'video-analytics'
   */
  readonly applicationPrefix?: string;
  /**
   * Namespace Argo CD runs in.
   * @default 'argocd'
   */
  readonly namespace?: string;
  /**
   * Argo CD project of the generated Applications.
   * @default 'default'
   */
  readonly project?: string;
  /**
   * The sites, one Application each. A fleet of more than one site needs at least one canary, and
   * no more canaries than `maxUpdatePercent` of all sites (at least one): canaries sync all at once.
   */
  readonly sites: readonly FleetSiteApplication[];
  /**
   * At most this percentage of a numbered wave's sites syncs at once (rounded down, at least one).
   * @default 25
   * @see https://argo-cd.readthedocs.io/en/stable/operator-manual/applicationset/Progressive-Syncs/
   */
  readonly maxUpdatePercent?: number;
}

/** What the list generator hands the template for one site. */
interface SiteElement {
  readonly site: string;
  readonly cluster: string;
  readonly path: string;
  readonly wave: string;
  readonly ignoreDifferences?: IgnoredDifference[];
}

/**
 * One Argo CD ApplicationSet for a fleet: an Application per site, applying the site's folder
 * (`*.k8s.yaml` only) to the site's cluster, rolled out by progressive sync (`RollingSync`):
 * the canaries first, then each numbered wave, at most `maxUpdatePercent` of a wave at a time,
 * each step waiting until the previous one is Healthy.
 *
 * The generated Applications have no automated sync: the ApplicationSet controller syncs them step
 * by step, which requires progressive syncs to be enabled on it. Deleting the ApplicationSet, or
 * removing a site, deletes Applications but leaves the sites' workloads running
 * (`preserveResourcesOnDeletion`). Like `ArgoCdApplication`, it is applied once by hand.
 */
export class ArgoCdApplicationSet extends Construct {
  constructor(scope: Construct, id: string, props: ArgoCdApplicationSetProps) {
    super(scope, id);
    validateProps(id, props);
    const maxUpdatePercent = props.maxUpdatePercent ?? 25;
    validateSites(id, props, maxUpdatePercent);
    const prefix = props.applicationPrefix ?? 'video-analytics';
    const sites = [...props.sites].sort(rolloutOrder);
    const autoscaling = sites.some((s) => (s.autoscaled ?? []).length > 0);
    new ApplicationSet(this, 'application-set', {
      metadata: { name: props.name ?? 'video-analytics-fleet', namespace: props.namespace ?? 'argocd', labels: platformLabels() },
      spec: {
        goTemplate: true,
        goTemplateOptions: ['missingkey=error'],
        generators: [{ list: { elements: sites.map((s) => siteElement(s, autoscaling)) } }],
        template: {
          metadata: {
            name: `${prefix}-{{.site}}`,
            labels: { ...platformLabels(), [SITE_LABEL]: '{{.site}}', [WAVE_LABEL]: '{{.wave}}' },
          },
          spec: {
            project: props.project ?? 'default',
            source: {
              repoUrl: props.repoUrl,
              targetRevision: props.targetRevision ?? 'main',
              path: '{{.path}}',
              directory: { include: props.include ?? DEFAULT_INCLUDE },
            },
            destination: { name: '{{.cluster}}' },
            // No `automated`: the steps below decide when each Application syncs. The cost, in
            // Argo CD 3.5: a sync they trigger does not prune (docs/operations.md says how to).
            syncPolicy: sharedSyncPolicy(),
          },
        },
        // Lists can only come from a patch: the template's Go templates fill in strings only.
        templatePatch: autoscaling ? 'spec:\n  ignoreDifferences: {{ toJson .ignoreDifferences }}\n' : undefined,
        strategy: { type: 'RollingSync', rollingSync: { steps: rolloutSteps(sites, maxUpdatePercent) } },
        syncPolicy: { preserveResourcesOnDeletion: true },
      },
    });
  }
}

function waveLabel(wave: 'canary' | number): string {
  return wave === CANARY ? CANARY : `wave-${wave}`;
}

/** Canaries first, then the waves in ascending order; by site name within a wave. */
function rolloutOrder(a: FleetSiteApplication, b: FleetSiteApplication): number {
  const rank = (wave: 'canary' | number): number => (wave === CANARY ? 0 : wave);
  // Code-point order, the same on every machine whatever its locale data.
  return rank(a.wave) - rank(b.wave) || (a.site < b.site ? -1 : a.site > b.site ? 1 : 0);
}

/** `ignoreDifferences` is on every element once the patch reads it, since a missing key is an error. */
function siteElement(site: FleetSiteApplication, autoscaling: boolean): SiteElement {
  return {
    site: site.site,
    cluster: site.cluster,
    path: site.path,
    wave: waveLabel(site.wave),
    ...(autoscaling ? { ignoreDifferences: ignoreAutoscaledReplicas(site.autoscaled ?? []) } : {}),
  };
}

/** One step per wave that has sites, so that every value a step selects is on some Application. */
function rolloutSteps(sites: readonly FleetSiteApplication[], maxUpdatePercent: number): ApplicationSetSpecStrategyRollingSyncSteps[] {
  const waves = [...new Set(sites.map((s) => s.wave))];
  return waves.map((wave) => ({
    matchExpressions: [{ key: WAVE_LABEL, operator: 'In', values: [waveLabel(wave)] }],
    // Canaries are few by the rule in validateSites, and go together so that a wave never starts on a half-tried release.
    maxUpdate: ApplicationSetSpecStrategyRollingSyncStepsMaxUpdate.fromString(wave === CANARY ? '100%' : `${maxUpdatePercent}%`),
  }));
}

function check(id: string, prop: string, value: string, problemOf: (value: string) => string | undefined, what: string, fix: string): void {
  const problem = problemOf(value);
  if (problem) throw propError(CONSTRUCT, id, prop, value, `${what} (${problem})`, fix);
}

/** The ApplicationSet controller reads `{{` anywhere in its template as the start of a Go template. */
function noGoTemplate(value: string): string | undefined {
  return value.includes('{{') ? "must not contain '{{', which starts a Go template" : undefined;
}

function validateProps(id: string, props: ArgoCdApplicationSetProps): void {
  if (!/^(https:\/\/|ssh:\/\/|git@)\S+$/.test(props.repoUrl)) {
    throw propError(CONSTRUCT, id, 'repoUrl', props.repoUrl, 'an https://, ssh:// or git@ Git URL', 'Use the URL Argo CD clones from.');
  }
  check(id, 'repoUrl', props.repoUrl, noGoTemplate, 'a literal URL', 'Use the URL Argo CD clones from.');
  const revision = props.targetRevision ?? 'main';
  check(id, 'targetRevision', revision, (v) => (/^\S+$/.test(v) ? noGoTemplate(v) : 'must not be empty or contain whitespace'),
    'a branch, tag or commit', 'Use the name git shows for it.');
  const include = props.include ?? DEFAULT_INCLUDE;
  check(id, 'include', include, (v) => (/^\S+\.ya?ml$/.test(v) ? noGoTemplate(v) : 'must end in .yaml or .yml, without whitespace'),
    'a glob of YAML file names, such as *.k8s.yaml', 'Match the files cdk8s writes, so that nothing else in a site\'s folder is applied.');
  const asKubectlShowsIt = 'Use the name as kubectl shows it.';
  check(id, 'name', props.name ?? 'video-analytics-fleet', dns1123Subdomain, 'an object name', asKubectlShowsIt);
  check(id, 'namespace', props.namespace ?? 'argocd', dns1123Label, 'a namespace name', asKubectlShowsIt);
  check(id, 'project', props.project ?? 'default', dns1123Subdomain, 'an AppProject name', asKubectlShowsIt);
  check(id, 'applicationPrefix', props.applicationPrefix ?? 'video-analytics', dns1123Label, 'a DNS-1123 label',
    'Use lowercase letters, digits and dashes.');
  const percent = props.maxUpdatePercent;
  if (percent !== undefined && (!Number.isInteger(percent) || percent < 1 || percent > 100)) {
    throw propError(CONSTRUCT, id, 'maxUpdatePercent', percent, 'an integer from 1 to 100',
      'Set the largest share of a wave, in percent, that may sync at once.');
  }
}

function validateSites(id: string, props: ArgoCdApplicationSetProps, maxUpdatePercent: number): void {
  if (props.sites.length === 0) {
    throw propError(CONSTRUCT, id, 'sites', [], 'at least one site', 'Pass every site of the fleet.');
  }
  const prefix = props.applicationPrefix ?? 'video-analytics';
  const firstIndex = { site: new Map<string, number>(), cluster: new Map<string, number>(), path: new Map<string, number>() };
  props.sites.forEach((site, i) => {
    validateSite(id, site, i, prefix);
    const unique = (field: 'site' | 'cluster' | 'path', why: string): void => {
      const earlier = firstIndex[field].get(site[field]);
      if (earlier !== undefined) throw propError(CONSTRUCT, id, `sites[${i}].${field}`, site[field], `unique: sites[${earlier}] has it too`, why);
      firstIndex[field].set(site[field], i);
    };
    unique('site', 'Give every site its own name.');
    unique('cluster', 'Give every site its own cluster: two Applications applying the same objects to one cluster fight over them.');
    unique('path', 'Give every site its own folder: a shared one would apply one site\'s cameras to the other.');
  });
  validateCanaries(id, props.sites, maxUpdatePercent);
}

function validateSite(id: string, site: FleetSiteApplication, i: number, prefix: string): void {
  const prop = `sites[${i}]`;
  check(id, `${prop}.site`, site.site, dns1123Label, 'a DNS-1123 label', 'Use lowercase letters, digits and dashes, at most 63 characters.');
  const application = `${prefix}-${site.site}`;
  if (application.length > MAX_APPLICATION_NAME) {
    throw propError(CONSTRUCT, id, `${prop}.site`, site.site,
      `short enough for the Application name '${application}' to have at most ${MAX_APPLICATION_NAME} characters (it has ${application.length}), since Argo CD's label tracking puts it in a label value`,
      "Shorten the site name or 'applicationPrefix'.");
  }
  check(id, `${prop}.cluster`, site.cluster, (v) => (/^\S+$/.test(v) ? undefined : 'must not be empty or contain whitespace'),
    'the name of a cluster registered in Argo CD', "Use the 'name' of the site's cluster Secret, as `argocd cluster list` shows it.");
  check(id, `${prop}.path`, site.path, folderProblem, 'a folder of the repository, such as dist/<site>',
    "Use '/'-separated names of letters, digits, '.', '_' and '-', relative to the repository root.");
  if (site.wave !== CANARY && !(Number.isInteger(site.wave) && site.wave >= 1)) {
    throw propError(CONSTRUCT, id, `${prop}.wave`, site.wave, "'canary' or an integer >= 1",
      "Mark the sites a release reaches first 'canary', and number the waves after them from 1.");
  }
  (site.autoscaled ?? []).forEach((workload, k) => {
    check(id, `${prop}.autoscaled[${k}].namespace`, workload.namespace, dns1123Label, 'a namespace name', 'Use the name as kubectl shows it.');
    check(id, `${prop}.autoscaled[${k}].name`, workload.name, dns1123Subdomain, 'an object name', 'Use the name as kubectl shows it.');
  });
}

function folderProblem(path: string): string | undefined {
  const segments = path.split('/');
  if (segments.some((s) => !/^[A-Za-z0-9._-]+$/.test(s))) return "must be non-empty names separated by single '/', without a leading or trailing '/'";
  return segments.some((s) => s === '.' || s === '..') ? "must not contain '.' or '..' segments" : undefined;
}

/**
 * A release must reach a chosen few sites, and find them Healthy, before any other; canaries sync
 * all at once, so there are no more of them than a wave's share of the fleet would be.
 */
function validateCanaries(id: string, sites: readonly FleetSiteApplication[], maxUpdatePercent: number): void {
  const canaries = sites.filter((s) => s.wave === CANARY).length;
  const waves = [...new Set(sites.map((s) => s.wave))].sort((a, b) => Number(a) - Number(b));
  if (sites.length > 1 && canaries === 0) {
    throw propError(CONSTRUCT, id, 'sites[*].wave', waves, `'canary' for at least one site of a fleet of ${sites.length}`,
      'Mark the sites a release should reach first, and be Healthy on, before any other site.');
  }
  const allowed = Math.max(1, Math.floor((sites.length * maxUpdatePercent) / 100));
  if (canaries > allowed) {
    throw propError(CONSTRUCT, id, 'sites[*].wave', `${canaries} of ${sites.length} sites 'canary'`,
      `'canary' for at most ${allowed} (maxUpdatePercent ${maxUpdatePercent} of ${sites.length} sites, at least 1), since canaries sync all at once`,
      "Mark fewer sites 'canary', or raise 'maxUpdatePercent'.");
  }
}
