import * as fc from 'fast-check';
import { Duration, Size, SizeRoundingBehavior } from 'cdk8s';
import { Construct } from 'constructs';
import { parse as parseYaml } from 'yaml';
import {
  AlertRoute, AlertRule, AlertSeverity, EmailReceiverOptions, IRuleSource, IScrapeTarget, MonitoringBundle, MonitoringBundleProps,
  MonitoringMode, Receiver, RecordingRule, RuleGroup, ScrapeTarget, SecretKey, WebhookReceiverOptions, runbookUrl,
} from '../../lib';
import { KubeObject, findObject, objectsOfKind } from '../_helpers';
import {
  appWithNamespaces, badDnsName, badLabelValue, caseCounter, dnsLabel, expectValidAndCompliant, labelKey, labelValue, namesProp,
  resources, resourcesAboveLimit, thrownMessage,
} from '../_properties';

const RUNS = 30;
const ID = 'monitoring';
const count = caseCounter();

/** A component of the platform: offers its metrics and owns its rules; the bundle watches it. */
class Component extends Construct implements IScrapeTarget, IRuleSource {
  constructor(scope: Construct, id: string, private readonly target: ScrapeTarget | undefined, private readonly groups: RuleGroup[]) {
    super(scope, id);
  }

  public toScrapeTarget(): ScrapeTarget {
    return this.target!;
  }

  public toRuleGroups(): RuleGroup[] {
    return this.groups;
  }
}

/** A rule source that only has rules, registered with addRules(). */
class RulesOnly extends Construct implements IRuleSource {
  constructor(scope: Construct, id: string, private readonly groups: RuleGroup[]) {
    super(scope, id);
  }

  public toRuleGroups(): RuleGroup[] {
    return this.groups;
  }
}

// ---------------------------------------------------------------------------------------------
// Arbitraries
// ---------------------------------------------------------------------------------------------

const BUILT_IN_JOBS = ['alertmanager', 'cadvisor', 'grafana', 'kube-state-metrics', 'kubelet', 'node-exporter', 'prometheus'];
const PLATFORM_GROUPS = ['platform-kubernetes', 'platform-node', 'platform-prometheus'];

const host = fc.oneof(
  fc.tuple(fc.integer({ min: 1, max: 223 }), fc.integer({ min: 0, max: 255 }), fc.integer({ min: 0, max: 255 }), fc.integer({ min: 1, max: 254 })).map((p) => p.join('.')),
  fc.stringMatching(/^[a-z][a-z0-9-]{0,8}[a-z0-9]\.(example\.com|internal)$/),
);
const port = fc.integer({ min: 1, max: 65535 });
const secretKey: fc.Arbitrary<SecretKey> = fc.record({
  secretName: fc.stringMatching(/^[a-z0-9]([a-z0-9-]{0,15}[a-z0-9])?(\.[a-z0-9]{1,6})?$/),
  key: fc.stringMatching(/^[A-Za-z0-9_-][-._A-Za-z0-9]{0,15}$/),
});
const email = fc.tuple(fc.stringMatching(/^[a-z][a-z0-9._+-]{0,10}$/), host).map(([user, domain]) => `${user}@${domain}`);
const receiverName = fc.stringMatching(/^[A-Za-z0-9][-A-Za-z0-9_.]{0,12}$/).filter((name) => name !== 'null');

/**
 * A webhook (by URL or by Secret) or an email receiver, with every option sometimes set. Built
 * at module level: fast-check arbitraries are costly to create, and a chain would create them per case.
 */
const webhookOptions: fc.Arbitrary<WebhookReceiverOptions> = fc.record({
  target: fc.oneof(
    fc.tuple(fc.constantFrom('http', 'https'), host, fc.option(port, { nil: undefined }), fc.stringMatching(/^[a-z0-9/_-]{0,12}$/))
      .map(([scheme, h, p, path]) => ({ url: `${scheme}://${h}${p ? `:${p}` : ''}/${path}` })),
    secretKey.map((urlSecret) => ({ urlSecret })),
  ),
  port: fc.option(port, { nil: undefined }),
  bearerTokenSecret: fc.option(secretKey, { nil: undefined }),
  sendResolved: fc.option(fc.boolean(), { nil: undefined }),
}).map(({ target, ...options }) => ({ ...target, ...options }));
const emailOptions: fc.Arbitrary<EmailReceiverOptions> = fc.record({
  to: fc.array(email, { minLength: 1, maxLength: 3 }).map((to) => to.join(', ')),
  from: email,
  smarthost: fc.tuple(host, port).map(([h, p]) => `${h}:${p}`),
  auth: fc.option(fc.tuple(fc.stringMatching(/^[a-z][a-z0-9@.]{0,10}$/), fc.option(secretKey, { nil: undefined })), { nil: undefined }),
  requireTls: fc.option(fc.boolean(), { nil: undefined }),
  sendResolved: fc.option(fc.boolean(), { nil: undefined }),
}).map(({ auth, ...options }) => ({ ...options, authUsername: auth?.[0], authPasswordSecret: auth?.[1] }));
const receiverOptions = fc.oneof(
  webhookOptions.map((options) => (name: string) => Receiver.webhook(name, options)),
  emailOptions.map((options) => (name: string) => Receiver.email(name, options)),
);

const promLabelName = fc.stringMatching(/^[a-zA-Z][a-zA-Z0-9_]{0,10}$/);
const duration = (minSeconds: number, maxSeconds: number): fc.Arbitrary<Duration> => fc.oneof(
  fc.integer({ min: minSeconds, max: maxSeconds }).map((s) => Duration.seconds(s)),
  fc.integer({ min: minSeconds * 1000, max: maxSeconds * 1000 }).map((ms) => Duration.millis(ms)),
);

/** The receivers, and the routes and special receivers that refer to them by name. */
const route = fc.record({
  matchers: fc.dictionary(promLabelName, fc.oneof(labelValue, fc.stringMatching(/^[ -~]{0,12}$/)), { minKeys: 1, maxKeys: 3 }),
  continue: fc.option(fc.boolean(), { nil: undefined }),
  repeatInterval: fc.option(duration(1, 86_400), { nil: undefined }),
});
const alerting = fc.uniqueArray(receiverName, { minLength: 1, maxLength: 3 }).chain((names) => fc.record({
  receivers: fc.array(receiverOptions, { minLength: names.length, maxLength: names.length }).map((builds) => builds.map((build, i) => build(names[i]))),
  defaultReceiver: fc.option(fc.constantFrom(...names), { nil: undefined }),
  watchdogReceiver: fc.option(fc.constantFrom(...names), { nil: undefined }),
  routes: fc.option(fc.array(fc.tuple(fc.constantFrom(...names), route).map(([receiver, r]): AlertRoute => ({ receiver, ...r })), { maxLength: 3 }), { nil: undefined }),
}));

const ipv4Cidr = fc.tuple(fc.integer({ min: 0, max: 255 }), fc.integer({ min: 0, max: 255 }), fc.integer({ min: 0, max: 255 }), fc.integer({ min: 0, max: 255 }), fc.integer({ min: 0, max: 32 }))
  .map(([a, b, c, d, prefix]) => `${a}.${b}.${c}.${d}/${prefix}`);
const cidr = fc.oneof(ipv4Cidr, fc.constantFrom('fd00::/8', '2001:db8::/32', '::/0'));

/** Storage, and a retention size that fits in it. */
const storage = fc.integer({ min: 1, max: 102_400 }).chain((storageMib) => fc.record({
  storageSize: fc.constantFrom(storageMib % 1024 === 0 ? Size.gibibytes(storageMib / 1024) : Size.mebibytes(storageMib), Size.mebibytes(storageMib)),
  retentionSize: fc.option(fc.integer({ min: 1, max: storageMib }).map((mib) => Size.mebibytes(mib)), { nil: undefined }),
}));

/** Every standalone prop, each sometimes left to its default. */
const standaloneProps: fc.Arbitrary<MonitoringBundleProps> = fc.tuple(
  fc.uniqueArray(dnsLabel, { minLength: 2, maxLength: 2 }),
  alerting,
  fc.option(storage, { nil: undefined }),
  fc.record({
    retention: fc.option(fc.oneof(fc.integer({ min: 1, max: 90 }).map((d) => Duration.days(d)), duration(1, 86_400)), { nil: undefined }),
    storageClassName: fc.option(fc.constantFrom('local-path', 'longhorn', 'fast.ssd'), { nil: undefined }),
    scrapeInterval: fc.option(duration(1, 300), { nil: undefined }),
    evaluationInterval: fc.option(duration(1, 300), { nil: undefined }),
    prometheusReplicas: fc.option(fc.integer({ min: 1, max: 3 }), { nil: undefined }),
    alertmanagerReplicas: fc.option(fc.integer({ min: 1, max: 3 }), { nil: undefined }),
    grafanaReplicas: fc.option(fc.integer({ min: 1, max: 3 }), { nil: undefined }),
    grafanaAdminUser: fc.option(fc.stringMatching(/^[a-z][a-z0-9_.-]{0,10}$/), { nil: undefined }),
    grafanaAdminPassword: fc.option(secretKey, { nil: undefined }),
    grafanaIngressNamespaces: fc.option(fc.array(dnsLabel, { maxLength: 2 }), { nil: undefined }),
    queryNamespaces: fc.option(fc.array(dnsLabel, { maxLength: 2 }), { nil: undefined }),
    nodeNetworks: fc.option(fc.array(cidr, { minLength: 1, maxLength: 3 }), { nil: undefined }),
    verifyKubeletTls: fc.option(fc.boolean(), { nil: undefined }),
    platformRules: fc.option(fc.boolean(), { nil: undefined }),
    clusterDomain: fc.option(fc.constantFrom('cluster.local', 'edge.internal'), { nil: undefined }),
    prometheusResources: fc.option(resources, { nil: undefined }),
    alertmanagerResources: fc.option(resources, { nil: undefined }),
    grafanaResources: fc.option(resources, { nil: undefined }),
    kubeStateMetricsResources: fc.option(resources, { nil: undefined }),
    nodeExporterResources: fc.option(resources, { nil: undefined }),
  }),
  fc.boolean(),
).map(([[namespace, hostNamespace], alert, sizes, rest, defaultNamespaces]) => ({
  ...(defaultNamespaces ? {} : { namespace, hostNamespace }),
  ...alert,
  ...sizes,
  ...rest,
}));

const operatorProps: fc.Arbitrary<MonitoringBundleProps> = fc.record({
  mode: fc.constant(MonitoringMode.OPERATOR),
  namespace: fc.option(dnsLabel, { nil: undefined }),
  operatorSelectorLabels: fc.option(fc.dictionary(labelKey, labelValue, { maxKeys: 2 }), { nil: undefined }),
  platformRules: fc.option(fc.boolean(), { nil: undefined }),
  clusterDomain: fc.option(fc.constantFrom('cluster.local', 'edge.internal'), { nil: undefined }),
});

/** A scrape target, but for its job name: pods selected by 1-3 labels, a named port, sometimes a path and an interval. */
const scrapeTargetRest = fc.record({
  namespace: dnsLabel,
  podSelector: fc.dictionary(labelKey, labelValue, { minKeys: 1, maxKeys: 3 }),
  portName: fc.stringMatching(/^[a-z]([a-z0-9-]{0,12}[a-z0-9])?$/).filter((name) => !name.includes('--')),
  port,
  path: fc.option(fc.constantFrom('/metrics', '/v2/metrics', '/stats/prometheus'), { nil: undefined }),
  interval: fc.option(duration(1, 120), { nil: undefined }),
});

const PROMQL = [
  'up == 0', 'sum by (namespace) (rate(http_requests_total{code=~"5.."}[5m])) > 1', 'absent(up{job="ingest"})',
  'histogram_quantile(0.99, sum by (le) (rate(latency_seconds_bucket[5m]))) > 0.5', 'max_over_time(queue_depth[10m]) >= 100',
];

/** A group, but for its name: PascalCase alerts and level:metric:operations recordings, all with valid PromQL. */
const alertRule: fc.Arbitrary<AlertRule> = fc.record({
  alert: fc.stringMatching(/^[A-Z][A-Za-z0-9]{0,20}$/),
  expr: fc.constantFrom(...PROMQL),
  for: fc.option(duration(1, 3600), { nil: undefined }),
  severity: fc.constantFrom(...Object.values(AlertSeverity)),
  // Colons, quotes and '#' test the quoting of the rule files.
  summary: fc.stringMatching(/^[A-Za-z][A-Za-z0-9 .,:'"#()-]{0,30}$/),
  description: fc.stringMatching(/^[A-Za-z][A-Za-z0-9 .,:'"#()-]{0,60}$/),
  labels: fc.option(fc.dictionary(promLabelName.filter((l) => l !== 'severity'), labelValue, { maxKeys: 2 }), { nil: undefined }),
}).map((a) => ({ ...a, runbookUrl: runbookUrl(a.alert) }));
const recordingRule: fc.Arbitrary<RecordingRule> = fc.record({
  record: fc.tuple(promLabelName, promLabelName, promLabelName).map((parts) => parts.join(':')),
  expr: fc.constantFrom(...PROMQL.map((e) => e.replace(/ (==|>|>=) .*$/, ''))),
  labels: fc.option(fc.dictionary(promLabelName, labelValue, { maxKeys: 2 }), { nil: undefined }),
});
const ruleGroupRest = fc.record({
  alerts: fc.array(alertRule, { minLength: 1, maxLength: 3 }),
  recordings: fc.option(fc.array(recordingRule, { maxLength: 2 }), { nil: undefined }),
  interval: fc.option(duration(1, 300), { nil: undefined }),
});

const groupName = fc.oneof(dnsLabel, fc.tuple(dnsLabel, dnsLabel).map(([a, b]) => `${a}.${b}`));

/** Up to 4 targets and up to 4 rule groups with unique names, each registered as a construct or as a plain object. */
const registrations = (reservedJobs: readonly string[], reservedGroups: readonly string[]) => fc.record({
  targets: fc.uniqueArray(fc.tuple(dnsLabel.filter((j) => !reservedJobs.includes(j)), scrapeTargetRest, fc.boolean()), { maxLength: 4, selector: ([job]) => job })
    .map((drawn) => drawn.map(([jobName, rest, asConstruct]): [ScrapeTarget, boolean] => [{ jobName, ...rest }, asConstruct])),
  groups: fc.uniqueArray(fc.tuple(groupName.filter((g) => !reservedGroups.includes(g)), ruleGroupRest, fc.boolean()), { maxLength: 4, selector: ([name]) => name })
    .map((drawn) => drawn.map(([name, rest, asConstruct]): [RuleGroup, boolean] => [{ name, ...rest }, asConstruct])),
});

/** Registers the targets and groups, half as constructs passed to watch() and addRules(), half as plain objects passed to scrape() and addRules(). */
function register(scope: Construct, bundle: MonitoringBundle, targets: ReadonlyArray<[ScrapeTarget, boolean]>, groups: ReadonlyArray<[RuleGroup, boolean]>): void {
  targets.forEach(([target, asConstruct], i) => {
    if (asConstruct) bundle.watch(new Component(scope, `target-${i}`, target, []));
    else bundle.scrape({ toScrapeTarget: () => target });
  });
  groups.forEach(([group, asConstruct], i) => {
    if (asConstruct) bundle.addRules(new RulesOnly(scope, `rules-${i}`, [group]));
    else bundle.addRules({ toRuleGroups: () => [group] });
  });
}

function configFile(objects: KubeObject[], name: string, namespace: string, key: string): any {
  return parseYaml(findObject(objects, 'ConfigMap', name, namespace).data[key]);
}

// ---------------------------------------------------------------------------------------------
// Valid props
// ---------------------------------------------------------------------------------------------

describe('property: random valid props synthesize valid, compliant objects', () => {
  test('MonitoringBundle, standalone, with random scrape targets and rule sources', () => {
    fc.assert(fc.property(standaloneProps, registrations(BUILT_IN_JOBS, PLATFORM_GROUPS), (props, { targets, groups }) => {
      count('MonitoringBundle standalone valid');
      const { app, chart } = appWithNamespaces();
      const bundle = new MonitoringBundle(chart, ID, props);
      register(chart, bundle, targets, groups);
      // Compliant with the single-point-of-failure policy too: replicated, or saying why one is enough.
      const objects = expectValidAndCompliant(app);

      const ns = bundle.namespace;
      const prometheus = configFile(objects, 'prometheus-config', ns, 'prometheus.yml');
      expect(prometheus.scrape_configs.map((job: any) => job.job_name))
        .toEqual([...BUILT_IN_JOBS, ...targets.map(([t]) => t.jobName)].sort());
      const ruleFiles = Object.keys(findObject(objects, 'ConfigMap', 'prometheus-rules', ns).data ?? {}).sort();
      const platform = (props.platformRules ?? true) ? PLATFORM_GROUPS : [];
      expect(ruleFiles).toEqual([...platform, ...groups.map(([g]) => g.name)].map((name) => `${name}.rules.yaml`).sort());
      const alertmanager = configFile(objects, 'alertmanager-config', ns, 'alertmanager.yml');
      expect(alertmanager.receivers.map((r: any) => r.name).sort()).toEqual([...props.receivers!.map((r) => r.name), 'null'].sort());
      expect(alertmanager.route.receiver).toBe(props.defaultReceiver ?? props.receivers![0].name);
      // Each replicated component: its count, and with two or more a hard spread over nodes and a budget of one.
      const budgets = objectsOfKind(objects, 'PodDisruptionBudget').map((b) => b.metadata.name);
      for (const [kind, name, replicas] of [
        ['StatefulSet', 'prometheus', props.prometheusReplicas], ['StatefulSet', 'alertmanager', props.alertmanagerReplicas], ['Deployment', 'grafana', props.grafanaReplicas],
      ] as const) {
        const workload = findObject(objects, kind, name, ns);
        const count = replicas ?? 2;
        const spread = (workload.spec.template.spec.topologySpreadConstraints ?? []).map((c: any) => `${c.topologyKey}:${c.whenUnsatisfiable}`);
        expect({ name, replicas: workload.spec.replicas, spread, budget: budgets.includes(name) })
          .toEqual({ name, replicas: count, spread: count > 1 ? ['kubernetes.io/hostname:DoNotSchedule'] : [], budget: count > 1 });
      }
      expect(findObject(objects, 'StatefulSet', 'prometheus', ns).spec.serviceName).toBe('prometheus-headless');
      expect(findObject(objects, 'Service', 'prometheus-headless', ns).spec.clusterIP).toBe('None');
      expect(prometheus.global.external_labels).toEqual({ replica: '${POD_NAME}' });
      expect(bundle.footprint.storage.toMebibytes({ rounding: SizeRoundingBehavior.NONE }))
        .toBeCloseTo((props.storageSize ?? Size.gibibytes(10)).toMebibytes({ rounding: SizeRoundingBehavior.NONE }) * (props.prometheusReplicas ?? 2));
    }), { numRuns: RUNS });
  });

  test('MonitoringBundle, operator mode, with random scrape targets and rule sources', () => {
    fc.assert(fc.property(operatorProps, registrations([], PLATFORM_GROUPS), (props, { targets, groups }) => {
      count('MonitoringBundle operator valid');
      // The operator's stack owns its namespace; the app declares it as the platform would.
      const { app, chart } = appWithNamespaces(props.namespace ?? 'monitoring');
      const bundle = new MonitoringBundle(chart, ID, props);
      register(chart, bundle, targets, groups);
      const objects = expectValidAndCompliant(app);

      expect(objectsOfKind(objects, 'PodMonitor').map((m) => m.metadata.name).sort()).toEqual(targets.map(([t]) => t.jobName).sort());
      const platform = props.platformRules ? PLATFORM_GROUPS : [];
      expect(objectsOfKind(objects, 'PrometheusRule').map((r) => r.metadata.name).sort()).toEqual([...platform, ...groups.map(([g]) => g.name)].sort());
      for (const object of [...objectsOfKind(objects, 'PodMonitor'), ...objectsOfKind(objects, 'PrometheusRule')]) {
        expect(object.metadata.namespace).toBe(bundle.namespace);
        expect(object.metadata.labels).toEqual(expect.objectContaining(props.operatorSelectorLabels ?? {}));
      }
      expect(bundle.footprint.storage.toMebibytes()).toBe(0);
    }), { numRuns: RUNS });
  });
});

// ---------------------------------------------------------------------------------------------
// Invalid props
// ---------------------------------------------------------------------------------------------

interface Invalid<P> {
  readonly prop: string;
  readonly props: Partial<P>;
}

const OPS = Receiver.webhook('ops', { url: 'https://alerts.example.com/hook' });

/**
 * A webhook URL holding a credential, and the credential: in the user info, or as the value of a
 * query or path parameter named like one (in any case, within a longer name, sometimes with
 * characters that separate other parameters).
 */
const credentialUrl: fc.Arbitrary<{ url: string; secret: string }> = fc.tuple(
  host,
  fc.stringMatching(/^[A-Za-z0-9]{12,20}$/),
  fc.constantFrom('password', 'pass', 'pwd', 'token', 'key', 'secret', 'auth', 'credential'),
  fc.constantFrom('', 'api_', 'X-', 'client-'),
  fc.constantFrom((s: string) => s, (s: string) => s.toUpperCase(), (s: string) => s[0].toUpperCase() + s.slice(1)),
  fc.constantFrom('query', 'path', 'matrix', 'userinfo'),
  fc.constantFrom('', ';x', '/y'),
).map(([h, secret, word, prefix, casing, where, tail]) => {
  const name = `${prefix}${casing(word)}`;
  const url = {
    query: `https://${h}/hook?team=ops&${name}=${secret}${tail.replace('/', '%2F')}`,
    path: `https://${h}/${name}=${secret}/hook`,
    matrix: `https://${h}/hook;${name}=${secret}`,
    userinfo: `https://bot:${secret}@${h}/hook`,
  }[where]!;
  return { url, secret };
});
const belowOneSecond = fc.oneof(fc.integer({ min: 0, max: 999 }).map((ms) => Duration.millis(ms)), fc.double({ min: 1000.01, max: 5000, noInteger: true, noNaN: true }).map((ms) => Duration.millis(ms)));

describe('property: random invalid props throw an error that names the prop', () => {
  test('MonitoringBundle', () => {
    const invalid: fc.Arbitrary<Invalid<MonitoringBundleProps>> = fc.oneof(
      badDnsName.map((namespace) => ({ prop: 'namespace', props: { namespace } })),
      badDnsName.map((hostNamespace) => ({ prop: 'hostNamespace', props: { hostNamespace } })),
      dnsLabel.map((namespace) => ({ prop: 'hostNamespace', props: { namespace, hostNamespace: namespace } })),
      fc.integer({ min: 0, max: 1023 }).map((kib) => ({ prop: 'storageSize', props: { storageSize: Size.kibibytes(kib) } })),
      fc.integer({ min: 1, max: 100 }).chain((gib) => fc.integer({ min: gib * 1024 + 1, max: gib * 2048 })
        .map((mib) => ({ prop: 'retentionSize', props: { storageSize: Size.gibibytes(gib), retentionSize: Size.mebibytes(mib) } }))),
      fc.integer({ min: 0, max: 1023 }).map((kib) => ({ prop: 'retentionSize', props: { retentionSize: Size.kibibytes(kib) } })),
      fc.constant({ prop: 'retention', props: { retention: Duration.millis(0) } }),
      fc.tuple(fc.constantFrom('scrapeInterval', 'evaluationInterval'), belowOneSecond).map(([prop, d]) => ({ prop, props: { [prop]: d } })),
      fc.constant({ prop: 'receivers', props: { receivers: [] } }),
      fc.constant({ prop: 'receivers', props: { receivers: [OPS, Receiver.email('ops', { to: 'a@example.com', from: 'b@example.com', smarthost: 'smtp.example.com:587' })] } }),
      receiverName.filter((n) => n !== 'ops').map((name) => ({ prop: 'defaultReceiver', props: { defaultReceiver: name } })),
      receiverName.filter((n) => n !== 'ops').map((name) => ({ prop: 'watchdogReceiver', props: { watchdogReceiver: name } })),
      receiverName.filter((n) => n !== 'ops').map((name) => ({ prop: 'routes[0].receiver', props: { routes: [{ receiver: name, matchers: { severity: 'critical' } }] } })),
      fc.constant({ prop: 'routes[0].matchers', props: { routes: [{ receiver: 'ops', matchers: {} }] } }),
      fc.constantFrom('1abc', 'has-dash', 'has.dot', 'ü').map((label) => ({ prop: 'routes[0].matchers', props: { routes: [{ receiver: 'ops', matchers: { [label]: 'x' } }] } })),
      belowOneSecond.map((repeatInterval) => ({ prop: 'routes[0].repeatInterval', props: { routes: [{ receiver: 'ops', matchers: { severity: 'warning' }, repeatInterval }] } })),
      fc.tuple(fc.constantFrom('prometheusReplicas', 'alertmanagerReplicas', 'grafanaReplicas'), fc.oneof(fc.integer({ max: 0 }), fc.double({ min: 0.01, max: 5, noInteger: true, noNaN: true })))
        .map(([prop, n]) => ({ prop, props: { [prop]: n } })),
      badDnsName.map((secretName) => ({ prop: 'grafanaAdminPassword.secretName', props: { grafanaAdminPassword: { secretName, key: 'password' } } })),
      fc.constantFrom('', 'a b', 'a/b').map((key) => ({ prop: 'grafanaAdminPassword.key', props: { grafanaAdminPassword: { secretName: 'grafana', key } } })),
      fc.constantFrom('', ' ', '\t').map((grafanaAdminUser) => ({ prop: 'grafanaAdminUser', props: { grafanaAdminUser } })),
      badDnsName.map((ns) => ({ prop: 'grafanaIngressNamespaces', props: { grafanaIngressNamespaces: ['kube-system', ns] } })),
      badDnsName.map((ns) => ({ prop: 'queryNamespaces', props: { queryNamespaces: [ns] } })),
      fc.oneof(fc.constant([] as string[]), fc.constantFrom('10.0.0.0', '10.0.0.0/33', '256.1.1.1/8', '999.1.1.1/99', 'fd00::/129', 'not-a-cidr').map((c) => [c]))
        .map((nodeNetworks) => ({ prop: 'nodeNetworks', props: { nodeNetworks } })),
      badDnsName.map((storageClassName) => ({ prop: 'storageClassName', props: { storageClassName } })),
      fc.constantFrom('Cluster.Local', 'has space', '-edge').map((clusterDomain) => ({ prop: 'clusterDomain', props: { clusterDomain } })),
      fc.tuple(labelKey, badLabelValue).map(([key, value]) => ({ prop: 'operatorSelectorLabels', props: { operatorSelectorLabels: { [key]: value } } })),
      fc.constantFrom<keyof MonitoringBundleProps>('prometheusResources', 'alertmanagerResources', 'grafanaResources', 'kubeStateMetricsResources', 'nodeExporterResources')
        .chain((prop) => resourcesAboveLimit(prop).map(({ prop: path, value }) => ({ prop: path, props: { [prop]: value } }))),
      // Standalone-only props refused in operator mode, where they would silently do nothing.
      fc.constantFrom<[keyof MonitoringBundleProps, unknown]>(
        ['receivers', [OPS]], ['retention', Duration.days(1)], ['storageSize', Size.gibibytes(1)], ['alertmanagerReplicas', 1], ['prometheusReplicas', 1], ['grafanaReplicas', 2],
        ['nodeNetworks', ['10.0.0.0/8']], ['hostNamespace', 'host'], ['grafanaAdminUser', 'root'], ['verifyKubeletTls', false],
      ).map(([prop, value]) => ({ prop, props: { mode: MonitoringMode.OPERATOR, receivers: undefined, [prop]: value } })),
    );
    fc.assert(fc.property(invalid, ({ prop, props }) => {
      count('MonitoringBundle invalid');
      const { chart } = appWithNamespaces();
      expect(() => new MonitoringBundle(chart, ID, { receivers: [OPS], ...props })).toThrow(namesProp('MonitoringBundle', ID, prop));
    }), { numRuns: RUNS });
  });

  test('Receiver (webhook and email)', () => {
    const mail = { to: 'oncall@example.com', from: 'alerts@example.com', smarthost: 'smtp.example.com:587' };
    const invalid: fc.Arbitrary<{ name: string; prop: string; build: (name: string) => Receiver }> = fc.oneof(
      fc.oneof(fc.constantFrom('null', '', '-x', '.x', 'a b', 'a/b', 'ü')).map((name) => ({ name, prop: 'name', build: (n: string) => Receiver.webhook(n, { url: 'https://x.example.com/' }) })),
      fc.constant({ name: 'hook', prop: 'url', build: (n: string) => Receiver.webhook(n, {}) }),
      fc.constant({ name: 'hook', prop: 'url', build: (n: string) => Receiver.webhook(n, { url: 'https://a.example.com/', urlSecret: { secretName: 's', key: 'k' } }) }),
      fc.constantFrom('alerts.example.com/hook', 'ftp://alerts.example.com/', 'https://user:pw@alerts.example.com/', 'https://token@alerts.example.com/x', 'http://')
        .map((url) => ({ name: 'hook', prop: 'url', build: (n: string) => Receiver.webhook(n, { url }) })),
      credentialUrl.map(({ url }) => ({ name: 'hook', prop: 'url', build: (n: string) => Receiver.webhook(n, { url }) })),
      fc.oneof(fc.integer({ max: 0 }), fc.integer({ min: 65536 }), fc.double({ min: 1.5, max: 100, noInteger: true, noNaN: true }))
        .map((p) => ({ name: 'hook', prop: 'port', build: (n: string) => Receiver.webhook(n, { url: 'https://a.example.com/', port: p }) })),
      badDnsName.map((secretName) => ({ name: 'hook', prop: 'urlSecret.secretName', build: (n: string) => Receiver.webhook(n, { urlSecret: { secretName, key: 'url' } }) })),
      fc.constantFrom('', 'a b', 'a/b', '.', '..', '..data').map((key) => ({ name: 'hook', prop: 'bearerTokenSecret.key', build: (n: string) => Receiver.webhook(n, { url: 'https://a.example.com/', bearerTokenSecret: { secretName: 'tokens', key } }) })),
      fc.constantFrom('', 'oncall', 'a@b@c', 'a@example.com,', 'a b@example.com').map((to) => ({ name: 'mail', prop: 'to', build: (n: string) => Receiver.email(n, { ...mail, to }) })),
      fc.constantFrom('', 'alerts', 'a@b, c@d').map((from) => ({ name: 'mail', prop: 'from', build: (n: string) => Receiver.email(n, { ...mail, from }) })),
      fc.constantFrom('smtp.example.com', 'smtp.example.com:', 'smtp://smtp.example.com:25', 'smtp.example.com:0', 'smtp.example.com:99999', ':587')
        .map((smarthost) => ({ name: 'mail', prop: 'smarthost', build: (n: string) => Receiver.email(n, { ...mail, smarthost }) })),
      fc.constant({ name: 'mail', prop: 'authUsername', build: (n: string) => Receiver.email(n, { ...mail, authPasswordSecret: { secretName: 'smtp', key: 'password' } }) }),
      badDnsName.map((secretName) => ({ name: 'mail', prop: 'authPasswordSecret.secretName', build: (n: string) => Receiver.email(n, { ...mail, authUsername: 'u', authPasswordSecret: { secretName, key: 'password' } }) })),
    );
    fc.assert(fc.property(invalid, ({ name, prop, build }) => {
      count('Receiver invalid');
      expect(() => build(name)).toThrow(namesProp('Receiver', name, prop));
    }), { numRuns: RUNS });
  });

  test('Receiver: a webhook URL with a credential in it is refused, and the message never holds the credential', () => {
    fc.assert(fc.property(credentialUrl, ({ url, secret }) => {
      count('Receiver credential URL');
      const message = thrownMessage(() => Receiver.webhook('hook', { url }));
      expect(message).toMatch(namesProp('Receiver', 'hook', 'url'));
      expect(message).toMatch(/'urlSecret'/);
      expect(message).not.toContain(secret);
    }), { numRuns: RUNS });
  });

  test('MonitoringBundle: invalid scrape targets and rule groups, refused at once by watch(), scrape() and addRules()', () => {
    const base: ScrapeTarget = { jobName: 'detector', namespace: 'video-analytics', podSelector: { app: 'detector' }, portName: 'metrics', port: 9100 };
    const alert = { alert: 'DetectorDown', expr: 'up == 0', severity: AlertSeverity.WARNING, summary: 's', description: 'd', runbookUrl: runbookUrl('DetectorDown') };
    const badTarget: fc.Arbitrary<Invalid<ScrapeTarget>> = fc.oneof(
      badDnsName.map((jobName) => ({ prop: 'jobName', props: { jobName } })),
      badDnsName.map((namespace) => ({ prop: 'targets.detector.namespace', props: { namespace } })),
      fc.constant({ prop: 'targets.detector.podSelector', props: { podSelector: {} } }),
      badLabelValue.map((value) => ({ prop: 'targets.detector.podSelector', props: { podSelector: { app: value } } })),
      fc.constantFrom('', 'Metrics', 'a--b', '1234', 'much-too-long-port-name').map((portName) => ({ prop: 'targets.detector.portName', props: { portName } })),
      fc.oneof(fc.integer({ max: 0 }), fc.integer({ min: 65536 })).map((p) => ({ prop: 'targets.detector.port', props: { port: p } })),
      fc.constantFrom('metrics', '', 'http://x/metrics').map((path) => ({ prop: 'targets.detector.path', props: { path } })),
      belowOneSecond.map((interval) => ({ prop: 'targets.detector.interval', props: { interval } })),
    );
    const badGroup: fc.Arbitrary<Invalid<RuleGroup>> = fc.oneof(
      badDnsName.map((name) => ({ prop: 'groups[].name', props: { name } })),
      fc.constant({ prop: 'groups.detector', props: { alerts: [] } }),
      belowOneSecond.map((interval) => ({ prop: 'groups.detector.interval', props: { interval } })),
      fc.constantFrom('detectorDown', 'Detector-Down', '', '1Down').map((name) => ({ prop: 'groups.detector.alerts[0].alert', props: { alerts: [{ ...alert, alert: name }] } })),
      fc.constantFrom('sum(', 'up ==', '{}', '', 'rate(x[5m]').map((expr) => ({ prop: 'groups.detector.alerts[0].expr', props: { alerts: [{ ...alert, expr }] } })),
      fc.constantFrom<'summary' | 'description' | 'runbookUrl'>('summary', 'description', 'runbookUrl')
        .map((field) => ({ prop: `groups.detector.alerts[0].${field}`, props: { alerts: [{ ...alert, [field]: ' ' }] } })),
      fc.constant({ prop: 'groups.detector.alerts[0].runbookUrl', props: { alerts: [{ ...alert, runbookUrl: 'docs/runbooks.md' }] } }),
      belowOneSecond.map((d) => ({ prop: 'groups.detector.alerts[0].for', props: { alerts: [{ ...alert, for: d }] } })),
      fc.constantFrom('__name', '1x', 'has-dash').map((label) => ({ prop: 'groups.detector.alerts[0].labels', props: { alerts: [{ ...alert, labels: { [label]: 'x' } }] } })),
      fc.constantFrom('detector_up', 'a:b', ':b:c', 'a:b:c-d').map((record) => ({ prop: 'groups.detector.recordings[0].record', props: { recordings: [{ record, expr: 'up' }] } })),
    );
    const invalid = fc.tuple(fc.oneof(
      badTarget.map(({ prop, props }) => ({ prop, target: { ...base, ...props }, group: undefined })),
      badGroup.map(({ prop, props }) => ({ prop, target: undefined, group: { name: 'detector', alerts: [alert], ...props } })),
    ), fc.boolean());
    fc.assert(fc.property(invalid, ([{ prop, target, group }, registered]) => {
      count('MonitoringBundle registration invalid');
      const { chart } = appWithNamespaces();
      const bundle = new MonitoringBundle(chart, ID, { receivers: [OPS] });
      const register = registered
        ? (): unknown => (target ? bundle.scrape({ toScrapeTarget: () => target }) : bundle.addRules({ toRuleGroups: () => [group!] }))
        // A watched component: its target, or a valid target and its rules.
        : (): unknown => bundle.watch(new Component(chart, 'detector', target ?? base, group ? [group] : []));
      expect(register).toThrow(namesProp('MonitoringBundle', ID, prop));
      // Nothing of a refused component is registered.
      expect(JSON.stringify(chart.toJson())).not.toMatch(/detector/);
    }), { numRuns: RUNS });
  });

  test('MonitoringBundle: duplicate job or group names are refused at once, naming both sources', () => {
    // A name taken by the bundle itself, or by two components of the app.
    const duplicate = fc.oneof(
      fc.constantFrom(...BUILT_IN_JOBS).map((job) => ({ prop: 'jobName', jobs: [job], groups: [] as string[] })),
      dnsLabel.filter((job) => !BUILT_IN_JOBS.includes(job)).map((job) => ({ prop: 'jobName', jobs: [job, job], groups: [] as string[] })),
      fc.constantFrom(...PLATFORM_GROUPS).map((group) => ({ prop: 'groups[].name', jobs: [] as string[], groups: [group] })),
      groupName.filter((group) => !PLATFORM_GROUPS.includes(group)).map((group) => ({ prop: 'groups[].name', jobs: [] as string[], groups: [group, group] })),
    );
    const alert = { alert: 'Down', expr: 'up == 0', severity: AlertSeverity.WARNING, summary: 's', description: 'd', runbookUrl: runbookUrl('Down') };
    fc.assert(fc.property(duplicate, ({ prop, jobs, groups }) => {
      count('MonitoringBundle duplicate invalid');
      const { chart } = appWithNamespaces();
      const bundle = new MonitoringBundle(chart, ID, { receivers: [OPS] });
      const registrations = [
        ...jobs.map((jobName, i) => () => bundle.watch(new Component(chart, `target-${i}`, { jobName, namespace: 'video-analytics', podSelector: { app: jobName }, portName: 'metrics', port: 9100 }, []))),
        ...groups.map((name, i) => () => bundle.addRules(new RulesOnly(chart, `rules-${i}`, [{ name, alerts: [alert] }]))),
      ];
      // Every registration but the last is accepted; the last takes a name already used.
      registrations.slice(0, -1).forEach((registration) => registration());
      const message = thrownMessage(registrations[registrations.length - 1]);
      expect(message).toMatch(namesProp('MonitoringBundle', ID, prop));
      expect(message).toMatch(/but .+ and '[^']+' both use it/);
    }), { numRuns: RUNS });
  });
});
