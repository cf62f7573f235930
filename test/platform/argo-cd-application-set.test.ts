import { Testing } from 'cdk8s';
import { parse } from 'yaml';
import { ArgoCdApplication, ArgoCdApplicationSet, ArgoCdApplicationSetProps, FleetSiteApplication, ManifestValidator } from '../../lib';
import { compileAtRunTime } from '../../lib/synth/validation/_schema-rules';
import { formatViolation } from '../../lib/synth/validation/violation';
import { KubeObject, findObject, synthValid, testChart } from '../_helpers';

const REPO = 'https://git.example.internal/platform/fleet.git';
const HELMET = { kind: 'Deployment', namespace: 'video-analytics', name: 'helmet' };
const TRITON = { kind: 'Deployment', namespace: 'video-analytics', name: 'triton' };

/** Eight sites given out of order: two canaries, waves 1 and 3 (no wave 2), two autoscaled sites. */
const FLEET: FleetSiteApplication[] = [
  { site: 'gate-7', cluster: 'k3s-gate-7', path: 'dist/gate-7', wave: 3 },
  { site: 'depot-north', cluster: 'k3s-depot-north', path: 'dist/depot-north', wave: 1, autoscaled: [TRITON, HELMET] },
  { site: 'station-a', cluster: 'k3s-station-a', path: 'dist/station-a', wave: 'canary' },
  { site: 'depot-south', cluster: 'k3s-depot-south', path: 'dist/depot-south', wave: 1 },
  { site: 'gate-2', cluster: 'k3s-gate-2', path: 'dist/gate-2', wave: 3 },
  { site: 'station-b', cluster: 'k3s-station-b', path: 'dist/station-b', wave: 'canary', autoscaled: [HELMET] },
  { site: 'depot-east', cluster: 'k3s-depot-east', path: 'dist/depot-east', wave: 1 },
  { site: 'gate-1', cluster: 'k3s-gate-1', path: 'dist/gate-1', wave: 3 },
];

function synthSet(props: Partial<ArgoCdApplicationSetProps> = {}): KubeObject {
  const chart = testChart();
  new ArgoCdApplicationSet(chart, 'fleet', { repoUrl: REPO, sites: FLEET, ...props });
  const objects = synthValid(chart);
  expect(objects.map((o) => o.kind)).toEqual(['ApplicationSet']);
  return findObject(objects, 'ApplicationSet', props.name ?? 'video-analytics-fleet', props.namespace ?? 'argocd');
}

// ---- What the ApplicationSet controller makes of it, as far as this template needs ----

type Params = Record<string, unknown>;

/**
 * Go template substitution for the actions this template uses, `{{.key}}` and `{{ toJson .key }}`,
 * with `missingkey=error`; any other action fails the test rather than pass unread.
 */
function renderGoTemplate(text: string, params: Params): string {
  return text.replace(/{{(.*?)}}/g, (_match, action: string) => {
    const found = /^\s*(toJson\s+)?\.([A-Za-z0-9_]+)\s*$/.exec(action);
    if (!found) throw new Error(`template action not understood by this test: {{${action}}}`);
    if (!(found[2] in params)) throw new Error(`map has no entry for key "${found[2]}" (missingkey=error)`);
    const value = params[found[2]];
    return found[1] ? JSON.stringify(value) : String(value);
  });
}

function renderStrings(node: unknown, params: Params): unknown {
  if (typeof node === 'string') return renderGoTemplate(node, params);
  if (Array.isArray(node)) return node.map((item) => renderStrings(item, params));
  if (node !== null && typeof node === 'object') {
    return Object.fromEntries(Object.entries(node).map(([key, value]) => [key, renderStrings(value, params)]));
  }
  return node;
}

/** A strategic merge patch of an Application: maps merge, lists (ignoreDifferences has no merge key) are replaced. */
function mergePatch(target: unknown, patch: unknown): unknown {
  if (patch === null || typeof patch !== 'object' || Array.isArray(patch) || target === null || typeof target !== 'object' || Array.isArray(target)) return patch;
  const merged: Record<string, unknown> = { ...(target as Record<string, unknown>) };
  for (const [key, value] of Object.entries(patch)) merged[key] = mergePatch(merged[key], value);
  return merged;
}

/** The Applications the ApplicationSet generates, one per list element, in element order. */
function generatedApplications(appSet: KubeObject): KubeObject[] {
  expect(appSet.spec.goTemplate).toBe(true);
  expect(appSet.spec.goTemplateOptions).toEqual(['missingkey=error']);
  expect(appSet.spec.generators).toHaveLength(1);
  return appSet.spec.generators[0].list.elements.map((element: Params) => {
    const rendered = renderStrings(appSet.spec.template, element) as KubeObject;
    const patched = appSet.spec.templatePatch === undefined ? rendered
      : mergePatch(rendered, parse(renderGoTemplate(appSet.spec.templatePatch, element))) as KubeObject;
    return { apiVersion: 'argoproj.io/v1alpha1', kind: 'Application', ...patched, metadata: { ...patched.metadata, namespace: appSet.metadata.namespace } };
  });
}

type Expression = { key: string; operator: string; values?: string[] };

/** RollingSync's selection: every expression must hold; `In` and `NotIn` compare the label's value. */
function selects(expressions: readonly Expression[], labels: Record<string, string>): boolean {
  return expressions.every(({ key, operator, values = [] }) => {
    switch (operator) {
      case 'In': return key in labels && values.includes(labels[key]);
      case 'NotIn': return !(key in labels) || !values.includes(labels[key]);
      default: throw new Error(`operator ${operator} not understood by this test`);
    }
  });
}

function names(applications: readonly KubeObject[]): string[] {
  return applications.map((a) => a.metadata.name).sort();
}

function applicationNamed(applications: readonly KubeObject[], name: string): KubeObject {
  return findObject(applications, 'Application', name);
}

// ---- Tests ----

describe('ArgoCdApplicationSet', () => {
  test('writes one ApplicationSet, labelled as the platform, that the validator accepts against its CRD', () => {
    const appSet = synthSet();
    expect(appSet.apiVersion).toBe('argoproj.io/v1alpha1');
    expect(appSet.metadata.labels).toEqual({ 'app.kubernetes.io/part-of': 'video-analytics', 'app.kubernetes.io/managed-by': 'cdk8s-video-analytics' });
    expect(appSet.spec.syncPolicy).toEqual({ preserveResourcesOnDeletion: true });
    expect(appSet).toMatchSnapshot();
  });

  test('generates one valid Application per site: its cluster by name, its folder, its labels', () => {
    const applications = generatedApplications(synthSet());
    expect(ManifestValidator.validateObjects(applications).violations.map(formatViolation)).toEqual([]);
    expect(names(applications)).toEqual(FLEET.map((s) => `video-analytics-${s.site}`).sort());
    const depot = applicationNamed(applications, 'video-analytics-depot-north');
    expect(depot.metadata.labels).toEqual({
      'app.kubernetes.io/part-of': 'video-analytics',
      'app.kubernetes.io/managed-by': 'cdk8s-video-analytics',
      'video-analytics.io/site': 'depot-north',
      'video-analytics.io/rollout-wave': 'wave-1',
    });
    expect(depot.spec.destination).toEqual({ name: 'k3s-depot-north' });
    expect(depot.spec.project).toBe('default');
    expect(depot.spec.source).toEqual({ repoURL: REPO, targetRevision: 'main', path: 'dist/depot-north', directory: { include: '*.k8s.yaml' } });
    expect(applicationNamed(applications, 'video-analytics-station-a').metadata.labels['video-analytics.io/rollout-wave']).toBe('canary');
  });

  test('leaves syncing to the rollout steps: no automated sync, the sync options and retries of ArgoCdApplication', () => {
    const chart = testChart();
    new ArgoCdApplication(chart, 'single', { repoUrl: REPO });
    const single = findObject(Testing.synth(chart), 'Application', 'video-analytics');
    for (const application of generatedApplications(synthSet())) {
      expect(application.spec.syncPolicy.automated).toBeUndefined();
      expect(application.spec.syncPolicy.syncOptions).toEqual(single.spec.syncPolicy.syncOptions);
      expect(application.spec.syncPolicy.retry).toEqual(single.spec.syncPolicy.retry);
    }
    expect(single.spec.syncPolicy.syncOptions).toContain('ServerSideApply=true');
  });

  test("ignores replica counts only of each site's own autoscaled workloads", () => {
    const applications = generatedApplications(synthSet());
    const replicas = (name: string): KubeObject => ({ group: 'apps', kind: 'Deployment', namespace: 'video-analytics', name, jsonPointers: ['/spec/replicas'] });
    expect(applicationNamed(applications, 'video-analytics-depot-north').spec.ignoreDifferences).toEqual([replicas('helmet'), replicas('triton')]);
    expect(applicationNamed(applications, 'video-analytics-station-b').spec.ignoreDifferences).toEqual([replicas('helmet')]);
    expect(applicationNamed(applications, 'video-analytics-gate-1').spec.ignoreDifferences).toEqual([]);
  });

  test('writes no templatePatch when no site has autoscaled workloads', () => {
    const appSet = synthSet({ sites: FLEET.map(({ autoscaled: _none, ...site }) => site) });
    expect(appSet.spec.templatePatch).toBeUndefined();
    expect(appSet.spec.generators[0].list.elements.every((e: Params) => !('ignoreDifferences' in e))).toBe(true);
    expect(generatedApplications(appSet).every((a) => a.spec.ignoreDifferences === undefined)).toBe(true);
  });

  test('rolls out the canaries together, then each wave in order, a share of the wave at a time', () => {
    const appSet = synthSet({ maxUpdatePercent: 34 });
    expect(appSet.spec.strategy.type).toBe('RollingSync');
    const steps = appSet.spec.strategy.rollingSync.steps as Array<{ matchExpressions: Expression[]; maxUpdate: string }>;
    expect(steps.map((s) => s.maxUpdate)).toEqual(['100%', '34%', '34%']);
    const applications = generatedApplications(appSet);
    const selected = steps.map((step) => names(applications.filter((a) => selects(step.matchExpressions, a.metadata.labels))));
    expect(selected).toEqual([
      ['video-analytics-station-a', 'video-analytics-station-b'],
      ['video-analytics-depot-east', 'video-analytics-depot-north', 'video-analytics-depot-south'],
      ['video-analytics-gate-1', 'video-analytics-gate-2', 'video-analytics-gate-7'],
    ]);
    // Each Application in exactly one step: none left to a manual sync, none synced twice.
    expect(selected.flat().sort()).toEqual(names(applications));
  });

  test('lists the sites in rollout order, by name within a wave, whatever order they come in', () => {
    const elements = synthSet().spec.generators[0].list.elements as Params[];
    expect(elements.map((e) => `${e.wave} ${e.site}`)).toEqual([
      'canary station-a', 'canary station-b',
      'wave-1 depot-east', 'wave-1 depot-north', 'wave-1 depot-south',
      'wave-3 gate-1', 'wave-3 gate-2', 'wave-3 gate-7',
    ]);
    expect(synthSet({ sites: [...FLEET].reverse() })).toEqual(synthSet());
  });

  test('names, namespaces, project, revision and file glob come from the props', () => {
    const appSet = synthSet({
      name: 'cameras-fleet', namespace: 'gitops', project: 'video', applicationPrefix: 'va', targetRevision: 'release-2', include: '*.yaml',
      sites: [{ site: 'solo', cluster: 'solo', path: 'sites/solo', wave: 2 }],
    });
    expect(appSet.metadata).toMatchObject({ name: 'cameras-fleet', namespace: 'gitops' });
    const [application] = generatedApplications(appSet);
    expect(application.metadata).toMatchObject({ name: 'va-solo', namespace: 'gitops' });
    expect(application.spec.project).toBe('video');
    expect(application.spec.source).toEqual({ repoURL: REPO, targetRevision: 'release-2', path: 'sites/solo', directory: { include: '*.yaml' } });
    expect(appSet.spec.strategy.rollingSync.steps).toEqual([
      { matchExpressions: [{ key: 'video-analytics.io/rollout-wave', operator: 'In', values: ['wave-2'] }], maxUpdate: '25%' },
    ]);
  });
});

describe('ApplicationSet objects are checked against the whole CRD schema', () => {
  afterEach(() => compileAtRunTime(false));

  function violations(mutate: (appSet: KubeObject) => void): string[] {
    const appSet = structuredClone(synthSet());
    mutate(appSet);
    return ManifestValidator.validateObjects([appSet]).violations.map(formatViolation);
  }

  test.each<[string, (appSet: KubeObject) => void, RegExp]>([
    ['an unknown field in the template', (a) => { a.spec.template.spec.autoSync = true; }, / spec\.template\.spec\.autoSync: unknown field.*\(unknown-field\)$/],
    ['an unknown field in a step', (a) => { a.spec.strategy.rollingSync.steps[0].pause = true; }, / spec\.strategy\.rollingSync\.steps\[0\]\.pause: unknown field.*\(unknown-field\)$/],
    // A generator kind the typed class leaves out, whose template the compiled validator shares with others.
    ['an unknown field in a matrix generator template', (a) => {
      a.spec.generators.push({ matrix: { generators: [{ clusters: { template: { metadata: {}, spec: { project: 'default', destination: {}, prune: true } } } }] } });
    }, / spec\.generators\[1\]\.matrix\.generators\[0\]\.clusters\.template\.spec\.prune: unknown field.*\(unknown-field\)$/],
    ['a wrong type', (a) => { a.spec.goTemplate = 'true'; }, / spec\.goTemplate: must be of type boolean \(schema\)$/],
  ])('refuses %s, with the verdict of a validator compiled at run time', (_title, mutate, expected) => {
    const ahead = violations(mutate);
    expect(ahead).toEqual([expect.stringMatching(expected)]);
    compileAtRunTime(true);
    expect(violations(mutate)).toEqual(ahead);
  });
});

describe('ArgoCdApplicationSet refuses', () => {
  const site = (name: string, wave: FleetSiteApplication['wave'], extra: Partial<FleetSiteApplication> = {}): FleetSiteApplication =>
    ({ site: name, cluster: `k3s-${name}`, path: `dist/${name}`, wave, ...extra });
  const pair = [site('a', 'canary'), site('b', 1)];

  test.each<[string, Partial<ArgoCdApplicationSetProps>, string]>([
    ['a URL Argo CD cannot clone', { repoUrl: 'git.example.internal/fleet' },
      "ArgoCdApplicationSet 'fleet': 'repoUrl' (git.example.internal/fleet) must be an https://, ssh:// or git@ Git URL. Use the URL Argo CD clones from."],
    ['a URL the controller would read as a Go template', { repoUrl: 'https://git.example.internal/{{.site}}.git' },
      "ArgoCdApplicationSet 'fleet': 'repoUrl' (https://git.example.internal/{{.site}}.git) must be a literal URL (must not contain '{{', which starts a Go template). Use the URL Argo CD clones from."],
    ['an empty revision', { targetRevision: '' },
      "ArgoCdApplicationSet 'fleet': 'targetRevision' () must be a branch, tag or commit (must not be empty or contain whitespace). Use the name git shows for it."],
    ['a glob of files that are not YAML', { include: '*' },
      "ArgoCdApplicationSet 'fleet': 'include' (*) must be a glob of YAML file names, such as *.k8s.yaml (must end in .yaml or .yml, without whitespace). Match the files cdk8s writes, so that nothing else in a site's folder is applied."],
    ['an ApplicationSet name the API server refuses', { name: 'Fleet' },
      "ArgoCdApplicationSet 'fleet': 'name' (Fleet) must be an object name (must be a DNS-1123 subdomain: lowercase letters, digits, '-' and '.', starting and ending with a letter or digit). Use the name as kubectl shows it."],
    ['an Argo CD namespace the API server refuses', { namespace: 'Argo_CD' },
      "ArgoCdApplicationSet 'fleet': 'namespace' (Argo_CD) must be a namespace name (must be a DNS-1123 label: lowercase letters, digits and '-', starting and ending with a letter or digit). Use the name as kubectl shows it."],
    ['an AppProject name the API server refuses', { project: 'Video' },
      "ArgoCdApplicationSet 'fleet': 'project' (Video) must be an AppProject name (must be a DNS-1123 subdomain: lowercase letters, digits, '-' and '.', starting and ending with a letter or digit). Use the name as kubectl shows it."],
    ['an Application prefix that is no DNS label', { applicationPrefix: 'va.' },
      "ArgoCdApplicationSet 'fleet': 'applicationPrefix' (va.) must be a DNS-1123 label (must be a DNS-1123 label: lowercase letters, digits and '-', starting and ending with a letter or digit). Use lowercase letters, digits and dashes."],
    ['a share of 0 percent', { maxUpdatePercent: 0 },
      "ArgoCdApplicationSet 'fleet': 'maxUpdatePercent' (0) must be an integer from 1 to 100. Set the largest share of a wave, in percent, that may sync at once."],
    ['a share above 100 percent', { maxUpdatePercent: 101 },
      "ArgoCdApplicationSet 'fleet': 'maxUpdatePercent' (101) must be an integer from 1 to 100. Set the largest share of a wave, in percent, that may sync at once."],
    ['a fractional share', { maxUpdatePercent: 12.5 },
      "ArgoCdApplicationSet 'fleet': 'maxUpdatePercent' (12.5) must be an integer from 1 to 100. Set the largest share of a wave, in percent, that may sync at once."],
    ['no sites', { sites: [] },
      "ArgoCdApplicationSet 'fleet': 'sites' ([]) must be at least one site. Pass every site of the fleet."],
    ['a site name that is no DNS label', { sites: [site('a', 'canary'), { ...site('b', 1), site: 'Depot_B' }] },
      "ArgoCdApplicationSet 'fleet': 'sites[1].site' (Depot_B) must be a DNS-1123 label (must be a DNS-1123 label: lowercase letters, digits and '-', starting and ending with a letter or digit). Use lowercase letters, digits and dashes, at most 63 characters."],
    ['a site whose Application name would be too long', { sites: [site('s'.repeat(48), 'canary')] },
      `ArgoCdApplicationSet 'fleet': 'sites[0].site' (${'s'.repeat(48)}) must be short enough for the Application name 'video-analytics-${'s'.repeat(48)}' to have at most 63 characters (it has 64), since Argo CD's label tracking puts it in a label value. Shorten the site name or 'applicationPrefix'.`],
    ['two sites of one name', { sites: [...pair, { ...site('c', 1), site: 'a' }] },
      "ArgoCdApplicationSet 'fleet': 'sites[2].site' (a) must be unique: sites[0] has it too. Give every site its own name."],
    ['two sites on one cluster', { sites: [...pair, { ...site('c', 1), cluster: 'k3s-b' }] },
      "ArgoCdApplicationSet 'fleet': 'sites[2].cluster' (k3s-b) must be unique: sites[1] has it too. Give every site its own cluster: two Applications applying the same objects to one cluster fight over them."],
    ['two sites of one folder', { sites: [...pair, { ...site('c', 1), path: 'dist/a' }] },
      "ArgoCdApplicationSet 'fleet': 'sites[2].path' (dist/a) must be unique: sites[0] has it too. Give every site its own folder: a shared one would apply one site's cameras to the other."],
    ['a cluster name with whitespace', { sites: [{ ...site('a', 'canary'), cluster: 'k3s a' }] },
      "ArgoCdApplicationSet 'fleet': 'sites[0].cluster' (k3s a) must be the name of a cluster registered in Argo CD (must not be empty or contain whitespace). Use the 'name' of the site's cluster Secret, as `argocd cluster list` shows it."],
    ['an absolute folder', { sites: [{ ...site('a', 'canary'), path: '/dist/a' }] },
      "ArgoCdApplicationSet 'fleet': 'sites[0].path' (/dist/a) must be a folder of the repository, such as dist/<site> (must be non-empty names separated by single '/', without a leading or trailing '/'). Use '/'-separated names of letters, digits, '.', '_' and '-', relative to the repository root."],
    ['a folder outside the repository', { sites: [{ ...site('a', 'canary'), path: 'dist/../../a' }] },
      "ArgoCdApplicationSet 'fleet': 'sites[0].path' (dist/../../a) must be a folder of the repository, such as dist/<site> (must not contain '.' or '..' segments). Use '/'-separated names of letters, digits, '.', '_' and '-', relative to the repository root."],
    ['wave 0', { sites: [site('a', 'canary'), site('b', 0)] },
      "ArgoCdApplicationSet 'fleet': 'sites[1].wave' (0) must be 'canary' or an integer >= 1. Mark the sites a release reaches first 'canary', and number the waves after them from 1."],
    ['a fractional wave', { sites: [site('a', 'canary'), site('b', 1.5)] },
      "ArgoCdApplicationSet 'fleet': 'sites[1].wave' (1.5) must be 'canary' or an integer >= 1. Mark the sites a release reaches first 'canary', and number the waves after them from 1."],
    ['a wave name other than canary', { sites: [site('a', 'canary'), site('b', 'first' as never)] },
      "ArgoCdApplicationSet 'fleet': 'sites[1].wave' (first) must be 'canary' or an integer >= 1. Mark the sites a release reaches first 'canary', and number the waves after them from 1."],
    ['an autoscaled workload no ignoreDifferences entry could match', { sites: [site('a', 'canary', { autoscaled: [{ kind: 'Deployment', namespace: 'va', name: 'Helmet' }] })] },
      "ArgoCdApplicationSet 'fleet': 'sites[0].autoscaled[0].name' (Helmet) must be an object name (must be a DNS-1123 subdomain: lowercase letters, digits, '-' and '.', starting and ending with a letter or digit). Use the name as kubectl shows it."],
    ['a fleet without a canary', { sites: [site('a', 2), site('b', 1)] },
      "ArgoCdApplicationSet 'fleet': 'sites[*].wave' ([1,2]) must be 'canary' for at least one site of a fleet of 2. Mark the sites a release should reach first, and be Healthy on, before any other site."],
    ['more canaries than a wave would sync at once', { sites: [site('a', 'canary'), site('b', 'canary'), site('c', 1), site('d', 1), site('e', 1)] },
      "ArgoCdApplicationSet 'fleet': 'sites[*].wave' (2 of 5 sites 'canary') must be 'canary' for at most 1 (maxUpdatePercent 25 of 5 sites, at least 1), since canaries sync all at once. Mark fewer sites 'canary', or raise 'maxUpdatePercent'."],
  ])('%s', (_title, props, message) => {
    expect(() => new ArgoCdApplicationSet(testChart(), 'fleet', { repoUrl: REPO, sites: pair, ...props })).toThrow(new Error(message));
  });

  test('accepts a single site without a canary, and as many canaries as the share allows', () => {
    expect(() => new ArgoCdApplicationSet(testChart(), 'fleet', { repoUrl: REPO, sites: [site('a', 1)] })).not.toThrow();
    const eight = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'].map((n, i) => site(n, i < 2 ? 'canary' : 1));
    expect(() => new ArgoCdApplicationSet(testChart(), 'fleet', { repoUrl: REPO, sites: eight })).not.toThrow();
    expect(() => new ArgoCdApplicationSet(testChart(), 'fleet', { repoUrl: REPO, sites: eight.slice(0, 7) })).toThrow(/at most 1 \(maxUpdatePercent 25 of 7 sites/);
  });
});
