import * as fs from 'fs';
import * as path from 'path';
import * as fc from 'fast-check';
import { Duration } from 'cdk8s';
import { parse as parseYaml } from 'yaml';
import { MonitoringBundle, MonitoringBundleProps, MonitoringMode, PlatformPolicies, Receiver } from '../../lib';
import { promqlSyntaxError } from '../../lib/synth/validation/_promql-rules';
import { KubeObject, findObject, synthValid, testChart } from '../_helpers';
import { NetworkModel } from '../_network-policy-evaluator';
import { appWithNamespaces, caseCounter, expectValidAndCompliant, namesProp, thrownMessage } from '../_properties';
import { inTempDir, promtool, standIn } from '../_promtool';

const OPS = Receiver.webhook('ops', { url: 'https://alerts.example.com/hook' });
const TOKEN = { secretName: 'fleet-remote-write', key: 'token' };
const SITE: MonitoringBundleProps = {
  externalLabels: { site: 'depot-7' },
  remoteWrite: { url: 'https://203.0.113.10:8443/api/v1/write', bearerTokenSecret: TOKEN },
};
const CENTRAL: MonitoringBundleProps = {
  externalLabels: { site: 'hq' },
  fleetCentral: { sites: ['depot-7', 'gate'], remoteWriteFrom: ['198.51.100.0/24', '203.0.113.7/32'] },
};

function synthBundle(props: MonitoringBundleProps): { bundle: MonitoringBundle; objects: KubeObject[] } {
  const chart = testChart();
  const bundle = new MonitoringBundle(chart, 'monitoring', { receivers: [OPS], ...props });
  return { bundle, objects: synthValid(chart) };
}

function configText(objects: KubeObject[]): string {
  return findObject(objects, 'ConfigMap', 'prometheus-config').data['prometheus.yml'];
}

function prometheusConfig(objects: KubeObject[]): any {
  return parseYaml(configText(objects));
}

function ruleFiles(objects: KubeObject[]): Record<string, string> {
  return findObject(objects, 'ConfigMap', 'prometheus-rules').data;
}

function rules(objects: KubeObject[], file: string): any[] {
  return parseYaml(ruleFiles(objects)[file]).groups[0].rules;
}

/** Every rule ConfigMap: `prometheus-rules`, then `prometheus-rules-1`, ... */
function ruleConfigMaps(objects: KubeObject[]): KubeObject[] {
  return objects.filter((o) => o.kind === 'ConfigMap' && /^prometheus-rules(-\d+)?$/.test(o.metadata.name));
}

function prometheusPod(objects: KubeObject[]): any {
  return findObject(objects, 'StatefulSet', 'prometheus').spec.template.spec;
}

/** The error a bundle with these props is refused with. */
function refusal(props: MonitoringBundleProps): string {
  return thrownMessage(() => new MonitoringBundle(testChart(), 'monitoring', { receivers: [OPS], ...props }));
}

describe('a site that remote-writes to a central Prometheus', () => {
  const { objects } = synthBundle({ ...SITE, externalLabels: { site: 'depot-7', region: 'north' } });

  test('its external labels sit beside the replica label, sorted by name', () => {
    expect(configText(objects)).toContain("  external_labels:\n    region: north\n    replica: '${POD_NAME}'\n    site: depot-7\n");
  });

  test('it sends only its site records, ALERTS and up, over a queue sized for a WAN, with the token read from a mounted file', () => {
    expect(prometheusConfig(objects).remote_write).toEqual([{
      url: 'https://203.0.113.10:8443/api/v1/write',
      name: 'fleet',
      remote_timeout: '30s',
      authorization: { type: 'Bearer', credentials_file: '/etc/prometheus/secrets/fleet-remote-write/token' },
      write_relabel_configs: [{ source_labels: ['__name__'], regex: 'site:.+|ALERTS|up', action: 'keep' }],
      queue_config: {
        capacity: 10000, min_shards: 1, max_shards: 4, max_samples_per_send: 2000, batch_send_deadline: '15s', min_backoff: '1s', max_backoff: '1m',
      },
      metadata_config: { send: false },
    }]);
    const pod = prometheusPod(objects);
    expect(pod.volumes).toContainEqual({
      name: 'remote-write-secret-0', secret: { secretName: 'fleet-remote-write', items: [{ key: 'token', path: 'token' }], defaultMode: 0o440 },
    });
    expect(pod.containers[0].volumeMounts).toContainEqual({ name: 'remote-write-secret-0', mountPath: '/etc/prometheus/secrets/fleet-remote-write', readOnly: true });
    // The receiver flag is the centre's alone.
    expect(pod.containers[0].args).not.toContain('--web.enable-remote-write-receiver');
  });

  test('basic auth names the user and reads the password from a mounted file; extra series join the filter', () => {
    const { objects: basic } = synthBundle({
      externalLabels: { site: 'depot-7' },
      remoteWrite: {
        url: 'https://metrics.example.com/api/v1/write',
        basicAuth: { username: 'depot-7', passwordSecret: { secretName: 'fleet-remote-write', key: 'password' } },
        extraSeries: ['job_name:paths_ready:max', 'nv_inference_.+'],
      },
    });
    const [remoteWrite] = prometheusConfig(basic).remote_write;
    expect(remoteWrite.basic_auth).toEqual({ username: 'depot-7', password_file: '/etc/prometheus/secrets/fleet-remote-write/password' });
    expect(remoteWrite.authorization).toBeUndefined();
    expect(remoteWrite.write_relabel_configs[0].regex).toBe('site:.+|ALERTS|up|job_name:paths_ready:max|nv_inference_.+');
  });

  test('Prometheus may leave for the receiver: its address and port when the URL names an address, anywhere on the port when it names a host', () => {
    const egress = (synthesized: KubeObject[]) => findObject(synthesized, 'NetworkPolicy', 'prometheus', 'monitoring').spec.egress;
    expect(egress(objects)).toContainEqual({ to: [{ ipBlock: { cidr: '203.0.113.10/32' } }], ports: [{ protocol: 'TCP', port: 8443 }] });
    const { objects: named } = synthBundle({ ...SITE, remoteWrite: { url: 'https://metrics.example.com/api/v1/write' } });
    // A name may resolve to an IPv4 or an IPv6 address.
    expect(egress(named)).toContainEqual({ to: [{ ipBlock: { cidr: '0.0.0.0/0' } }, { ipBlock: { cidr: '::/0' } }], ports: [{ protocol: 'TCP', port: 443 }] });
    const { objects: v6 } = synthBundle({ ...SITE, remoteWrite: { url: 'http://[2001:db8::5]:9090/api/v1/write' } });
    expect(egress(v6)).toContainEqual({ to: [{ ipBlock: { cidr: '2001:db8::5/128' } }], ports: [{ protocol: 'TCP', port: 9090 }] });
  });

  test('it records its site-level series, labelled with its external labels, and keeps every alert of its own', () => {
    expect(Object.keys(ruleFiles(objects)).sort()).toEqual([
      'fleet-site.rules.yaml', 'platform-kubernetes.rules.yaml', 'platform-node.rules.yaml', 'platform-prometheus.rules.yaml',
    ]);
    const records = rules(objects, 'fleet-site.rules.yaml');
    expect(records.map((rule) => rule.record)).toEqual([
      'site:gpu_allocatable:sum', 'site:gpu_requested:sum', 'site:gpu_headroom:ratio',
      'site:cameras_expected:count', 'site:cameras_ready:count', 'site:camera_inbound_bytes:rate5m',
    ]);
    for (const rule of records) expect(rule.labels).toEqual({ region: 'north', site: 'depot-7' });
    // A site keeps TargetDown on all its targets: only a centre holds other Prometheus servers' `up`.
    expect(rules(objects, 'platform-prometheus.rules.yaml').find((rule) => rule.alert === 'TargetDown').expr)
      .toBe('100 * (count by (job, namespace) (up == 0) / count by (job, namespace) (up)) > 10');
    expect(objects.filter((o) => o.kind === 'Service' && o.spec.type === 'LoadBalancer')).toEqual([]);
  });

  test('the same labels in another order write the same configuration', () => {
    const { objects: reordered } = synthBundle({ ...SITE, externalLabels: { region: 'north', site: 'depot-7' } });
    expect(configText(reordered)).toBe(configText(objects));
  });
});

describe('the central Prometheus of a fleet', () => {
  const { bundle, objects } = synthBundle(CENTRAL);

  test('one replica receives remote writes, and says why it runs alone', () => {
    const statefulSet = findObject(objects, 'StatefulSet', 'prometheus');
    expect(statefulSet.spec.replicas).toBe(1);
    expect(statefulSet.metadata.annotations['video-analytics.io/single-replica-reason']).toMatch(/^the fleet's central Prometheus: remote writes through one Service/);
    expect(statefulSet.spec.template.spec.containers[0].args).toContain('--web.enable-remote-write-receiver');
    expect(prometheusConfig(objects).remote_write).toBeUndefined();
    // The reason is the single-point-of-failure policy's exemption: it finds nothing.
    const chart = testChart();
    new MonitoringBundle(chart, 'monitoring', { receivers: [OPS], ...CENTRAL });
    expect(PlatformPolicies.check(chart).map((finding) => finding.message)).toEqual([]);
  });

  test('a LoadBalancer Service, which ServiceLB serves only to the sites\' addresses, leads to Prometheus', () => {
    const service = findObject(objects, 'Service', 'prometheus-remote-write', 'monitoring');
    expect(service.spec).toEqual({
      type: 'LoadBalancer',
      loadBalancerSourceRanges: ['198.51.100.0/24', '203.0.113.7/32'],
      selector: findObject(objects, 'StatefulSet', 'prometheus').spec.selector.matchLabels,
      ports: [{ name: 'web', port: 9090, targetPort: 'web', protocol: 'TCP' }],
    });
    expect(bundle.remoteWriteUrl('metrics.example.com')).toBe('http://metrics.example.com:9090/api/v1/write');
    expect(bundle.remoteWriteUrl('192.0.2.4')).toBe('http://192.0.2.4:9090/api/v1/write');
    expect(bundle.remoteWriteUrl('2001:db8::1')).toBe('http://[2001:db8::1]:9090/api/v1/write');
  });

  test('its NetworkPolicy admits the sites\' addresses and ServiceLB\'s pods of that Service, which masquerade them, and no other pod', () => {
    expect(findObject(objects, 'NetworkPolicy', 'prometheus', 'monitoring').spec.ingress).toContainEqual({
      from: [
        { ipBlock: { cidr: '198.51.100.0/24' } },
        { ipBlock: { cidr: '203.0.113.7/32' } },
        {
          podSelector: { matchLabels: { 'svccontroller.k3s.cattle.io/svcname': 'prometheus-remote-write', 'svccontroller.k3s.cattle.io/svcnamespace': 'monitoring' } },
          namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' } },
        },
      ],
      ports: [{ protocol: 'TCP', port: 9090 }],
    });
    const daemonSet = (name: string, labels: Record<string, string>): KubeObject => ({
      apiVersion: 'apps/v1', kind: 'DaemonSet', metadata: { name, namespace: 'kube-system' },
      spec: { template: { metadata: { labels }, spec: { containers: [{ name: 'lb', ports: [{ containerPort: 9090 }] }] } } },
    });
    const model = new NetworkModel([
      ...objects,
      daemonSet('svclb-prometheus-remote-write-1a2b3c4d', { 'app': 'svclb-prometheus-remote-write-1a2b3c4d', 'svccontroller.k3s.cattle.io/svcname': 'prometheus-remote-write', 'svccontroller.k3s.cattle.io/svcnamespace': 'monitoring' }),
      daemonSet('svclb-traefik-5e6f7a8b', { 'app': 'svclb-traefik-5e6f7a8b', 'svccontroller.k3s.cattle.io/svcname': 'traefik', 'svccontroller.k3s.cattle.io/svcnamespace': 'kube-system' }),
    ]);
    const prometheus = model.group('monitoring', 'prometheus');
    expect(model.allows({ from: model.group('kube-system', 'svclb-prometheus-remote-write-1a2b3c4d'), to: prometheus, port: 9090 })).toBe(true);
    expect(model.allows({ from: model.group('kube-system', 'svclb-traefik-5e6f7a8b'), to: prometheus, port: 9090 })).toBe(false);
  });

  test('it alerts on each expected site\'s silence and on every site\'s GPU headroom; its TargetDown reads its own targets only', () => {
    const alerts = rules(objects, 'fleet-central.rules.yaml');
    expect(alerts.map((rule) => [rule.alert, rule.expr, rule.for, rule.labels.severity])).toEqual([
      ['FleetSiteNotReporting', 'absent_over_time(up{site="depot-7"}[10m])', undefined, 'critical'],
      ['FleetSiteNotReporting', 'absent_over_time(up{site="gate"}[10m])', undefined, 'critical'],
      ['FleetSiteGpuHeadroomLow', 'max by (site) (site:gpu_headroom:ratio{site!=""}) < 0.1', '15m', 'warning'],
    ]);
    for (const rule of alerts) expect(rule.annotations.runbook_url).toBe(`https://github.com/cdk8s-video-analytics/cdk8s-video-analytics/blob/main/docs/runbooks.md#${rule.alert.toLowerCase()}`);
    // The centre records its own cluster like any site.
    expect(rules(objects, 'fleet-site.rules.yaml').every((rule) => rule.labels.site === 'hq')).toBe(true);
    expect(rules(objects, 'platform-prometheus.rules.yaml').find((rule) => rule.alert === 'TargetDown').expr)
      .toBe('100 * (count by (job, namespace) (up{replica=""} == 0) / count by (job, namespace) (up{replica=""})) > 10');
  });

  test('thresholds and silence are the props\', runbook links follow runbookBaseUrl', () => {
    const { objects: tuned } = synthBundle({
      ...CENTRAL, runbookBaseUrl: 'https://wiki.example.com/runbooks',
      fleetCentral: { ...CENTRAL.fleetCentral!, gpuHeadroomThreshold: 0.25, silenceThreshold: Duration.minutes(30) },
    });
    const alerts = rules(tuned, 'fleet-central.rules.yaml');
    expect(alerts[0].expr).toBe('absent_over_time(up{site="depot-7"}[30m])');
    expect(alerts[0].annotations.description).toContain('for 30m:');
    expect(alerts[2].expr).toBe('max by (site) (site:gpu_headroom:ratio{site!=""}) < 0.25');
    expect(alerts[2].annotations.description).toContain('less than the 25% the fleet keeps');
    expect(alerts.map((rule) => rule.annotations.runbook_url)).toEqual([
      'https://wiki.example.com/runbooks#fleetsitenotreporting', 'https://wiki.example.com/runbooks#fleetsitenotreporting', 'https://wiki.example.com/runbooks#fleetsitegpuheadroomlow',
    ]);
  });

  test('a fleet of 1,200 sites spreads its silence alerts over rule groups of 500 sites, each file far from the 1 MiB a ConfigMap holds', () => {
    const sites = Array.from({ length: 1200 }, (_, i) => `site-${i}`);
    const { objects: large } = synthBundle({ fleetCentral: { sites, remoteWriteFrom: ['10.0.0.0/8'] } });
    const files = Object.assign({}, ...ruleConfigMaps(large).map((configMap) => configMap.data));
    const groups = ['fleet-central', 'fleet-central-2', 'fleet-central-3'];
    const alerted = groups.flatMap((name) => parseYaml(files[`${name}.rules.yaml`]).groups[0].rules)
      .filter((rule: any) => rule.alert === 'FleetSiteNotReporting').map((rule: any) => rule.expr);
    expect(alerted).toEqual(sites.map((site) => `absent_over_time(up{site="${site}"}[10m])`));
    for (const name of groups) expect(Buffer.byteLength(files[`${name}.rules.yaml`])).toBeLessThan(512 * 1024);
    expect(parseYaml(files['fleet-central.rules.yaml']).groups[0].rules.filter((rule: any) => rule.alert === 'FleetSiteGpuHeadroomLow')).toHaveLength(1);
  });

  test('Grafana gets a fleet dashboard with a site selector, every query of it valid PromQL', () => {
    const dashboards = findObject(objects, 'ConfigMap', 'grafana-dashboards').data;
    expect(Object.keys(dashboards).sort()).toEqual(['video-analytics-fleet.json', 'video-analytics.json']);
    const fleet = JSON.parse(dashboards['video-analytics-fleet.json']);
    expect(fleet.uid).toBe('video-analytics-fleet');
    const site = fleet.templating.list.find((variable: any) => variable.name === 'site');
    expect(site).toMatchObject({ type: 'query', query: 'label_values(up, site)', multi: true, includeAll: true, allValue: '.*' });
    const exprs: string[] = fleet.panels.flatMap((panel: any) => panel.targets.map((target: any) => target.expr));
    expect(exprs.length).toBeGreaterThanOrEqual(8);
    for (const expr of exprs) {
      expect(expr).toContain('site=~"$site"');
      expect({ expr, problem: promqlSyntaxError(expr.split('$site').join('.*')) }).toEqual({ expr, problem: undefined });
    }
    expect(fleet.panels.map((panel: any) => panel.title)).toEqual(expect.arrayContaining(['GPU headroom per site', 'Alerts firing per site', 'Cameras ready per site', 'Targets up per site']));
    // Only the centre shows the fleet.
    expect(Object.keys(findObject(synthBundle(SITE).objects, 'ConfigMap', 'grafana-dashboards').data)).toEqual(['video-analytics.json']);
  });

  test('Alertmanager is configured as without the fleet', () => {
    const plain = synthBundle({}).objects;
    for (const fleetObjects of [objects, synthBundle(SITE).objects]) {
      expect(findObject(fleetObjects, 'ConfigMap', 'alertmanager-config').data).toEqual(findObject(plain, 'ConfigMap', 'alertmanager-config').data);
    }
  });
});

describe('the fleet props refuse what would not work', () => {
  test.each<[string, MonitoringBundleProps, RegExp]>([
    ['the replica label', { externalLabels: { replica: 'a' } },
      /^MonitoringBundle 'monitoring': 'externalLabels\.replica' \(a\) must be a name other than 'replica', which the bundle sets to each replica's pod name\. Leave it out/],
    ['an invalid label name', { externalLabels: { 'site-name': 'a' } }, /'externalLabels' \(site-name\) must be Prometheus label names/],
    ['an empty label value', { externalLabels: { site: '' } }, /'externalLabels\.site' \(\) must be a non-empty text/],
    ['a remote write without external labels', { remoteWrite: { url: 'https://metrics.example.com/api/v1/write' } },
      /'externalLabels' \(\{\}\) must be at least one label when 'remoteWrite' is set\. Label the site/],
    ['a URL that is not http', { ...SITE, remoteWrite: { url: 'ftp://metrics.example.com/write' } }, /'remoteWrite\.url' \(ftp:\/\/metrics\.example\.com\/write\) must be an http or https URL/],
    ['two kinds of credentials', { ...SITE, remoteWrite: { ...SITE.remoteWrite!, basicAuth: { username: 'u', passwordSecret: TOKEN } } },
      /'remoteWrite\.basicAuth' \(u\) must be left out when 'bearerTokenSecret' is set/],
    ['credentials over http', { ...SITE, remoteWrite: { url: 'http://203.0.113.10/api/v1/write', bearerTokenSecret: TOKEN } },
      /'remoteWrite\.url' \(http:\/\/203\.0\.113\.10\/api\/v1\/write\) must be an https URL when credentials are sent/],
    ['a bad Secret name', { ...SITE, remoteWrite: { url: 'https://m.example.com/w', bearerTokenSecret: { secretName: 'Fleet', key: 'token' } } },
      /'remoteWrite\.bearerTokenSecret\.secretName' \(Fleet\) must be a Secret name/],
    ['a series pattern RE2 refuses', { ...SITE, remoteWrite: { url: 'https://m.example.com/w', extraSeries: ['(?!up).*'] } },
      /'remoteWrite\.extraSeries\[0\]' \(\(\?!up\)\.\*\) must be a regular expression over metric names that RE2 accepts/],
    ['the centre\'s own site among the sites', { ...CENTRAL, fleetCentral: { ...CENTRAL.fleetCentral!, sites: ['depot-7', 'hq'] } },
      /'fleetCentral\.sites' \(hq\) must be the sites that remote-write here, not this bundle's own site/],
    ['a site listed twice', { fleetCentral: { sites: ['gate', 'gate'], remoteWriteFrom: ['10.0.0.0/8'] } }, /'fleetCentral\.sites' \(gate\) must be sites listed once each/],
    ['no sites', { fleetCentral: { sites: [], remoteWriteFrom: ['10.0.0.0/8'] } }, /'fleetCentral\.sites' \(\[\]\) must be at least one site/],
    ['no source addresses', { fleetCentral: { sites: ['gate'], remoteWriteFrom: [] } }, /'fleetCentral\.remoteWriteFrom' \(\[\]\) must be at least one CIDR/],
    ['a source that is no CIDR', { fleetCentral: { sites: ['gate'], remoteWriteFrom: ['10.0.0.1'] } }, /'fleetCentral\.remoteWriteFrom' \(10\.0\.0\.1\) must be a CIDR/],
    ['a headroom of 1', { fleetCentral: { sites: ['gate'], remoteWriteFrom: ['10.0.0.0/8'], gpuHeadroomThreshold: 1 } },
      /'fleetCentral\.gpuHeadroomThreshold' \(1\) must be a fraction from 0 to below 1/],
    ['a silence under a minute', { fleetCentral: { sites: ['gate'], remoteWriteFrom: ['10.0.0.0/8'], silenceThreshold: Duration.seconds(30) } },
      /'fleetCentral\.silenceThreshold' \(30000 ms\) must be whole seconds, at least one minute/],
    ['an HA pair at the centre', { ...CENTRAL, prometheusReplicas: 2 },
      /'prometheusReplicas' \(2\) must be 1 with 'fleetCentral': the sites' remote writes reach one replica or the other/],
  ])('%s', (_, props, message) => {
    expect(refusal(props)).toMatch(message);
  });

  test('a URL with credentials is refused with the credentials masked', () => {
    const message = refusal({ ...SITE, remoteWrite: { url: 'https://depot:hunter2@metrics.example.com/api/v1/write' } });
    expect(message).toMatch(/^MonitoringBundle 'monitoring': 'remoteWrite\.url' \(https:\/\/\*\*\*@metrics\.example\.com\/api\/v1\/write\) must be free of credentials/);
    expect(message).not.toContain('hunter2');
  });

  test('operator mode refuses them: the operator\'s Prometheus is configured elsewhere', () => {
    for (const props of [SITE, CENTRAL]) {
      expect(thrownMessage(() => new MonitoringBundle(testChart(), 'monitoring', { mode: MonitoringMode.OPERATOR, ...props })))
        .toMatch(/^MonitoringBundle 'monitoring': '(externalLabels|remoteWrite|fleetCentral)' \(set\) must be left out in operator mode/);
    }
  });

  test('remoteWriteUrl is the centre\'s, at a host name or address', () => {
    const site = new MonitoringBundle(testChart(), 'monitoring', { receivers: [OPS], ...SITE });
    expect(thrownMessage(() => site.remoteWriteUrl('metrics.example.com')))
      .toMatch(/^MonitoringBundle 'monitoring': 'fleetCentral' \(undefined\) must be set for remoteWriteUrl\(\), which only a central Prometheus has/);
    const central = new MonitoringBundle(testChart(), 'monitoring', { receivers: [OPS], ...CENTRAL });
    expect(thrownMessage(() => central.remoteWriteUrl('https://metrics.example.com')))
      .toMatch(/'remoteWriteUrl\(externalAddress\)' \(https:\/\/metrics\.example\.com\) must be a DNS name or an IP address, without scheme or port/);
  });
});

function expectSuccess(run: { status: number; output: string }): void {
  if (run.status !== 0) throw new Error(`promtool failed (exit ${run.status}):\n${run.output}`);
}

/** `promtool check config` on a bundle's configuration, its rule files and Secret files where the pod has them. */
function checkConfig(objects: KubeObject[], secretFiles: readonly string[]): { status: number; output: string } {
  const files = ruleFiles(objects);
  return inTempDir({
    ...Object.fromEntries(Object.entries(files).map(([name, text]) => [`etc/prometheus/rules/${name}`, text])),
    ...Object.fromEntries(secretFiles.map((file) => [file, 'not-a-real-credential'])),
    'var/run/secrets/kubernetes.io/serviceaccount/token': 'token',
    'var/run/secrets/kubernetes.io/serviceaccount/ca.crt': 'ca',
    'discovery/none.json': '[]',
  }, (dir) => {
    const config = configText(objects).split('${POD_NAME}').join('prometheus-0');
    fs.writeFileSync(path.join(dir, 'prometheus.yml'), standIn(config, dir));
    return promtool(['check', 'config', 'prometheus.yml'], dir);
  });
}

describe('fleet monitoring proofs with promtool', () => {
  const site = synthBundle(SITE).objects;
  const central = synthBundle(CENTRAL).objects;

  test('a site\'s configuration, its remote write included, and the centre\'s pass promtool check config', () => {
    const run = checkConfig(site, ['etc/prometheus/secrets/fleet-remote-write/token']);
    expectSuccess(run);
    expect(run.output).toMatch(/SUCCESS: 4 rule files found/);
    const basic = synthBundle({ ...SITE, remoteWrite: { url: 'https://m.example.com/w', basicAuth: { username: 'u', passwordSecret: { secretName: 'fleet', key: 'password' } } } }).objects;
    expectSuccess(checkConfig(basic, ['etc/prometheus/secrets/fleet/password']));
    expectSuccess(checkConfig(central, []));
  });

  test('promtool notices a write filter it cannot compile: the check above can fail', () => {
    const broken = site.map((object) => (object.kind === 'ConfigMap' && object.metadata.name === 'prometheus-config'
      ? { ...object, data: { 'prometheus.yml': configText(site).replace('regex: site:.+|ALERTS|up', 'regex: site:.+|ALERTS|up(') } }
      : object));
    const run = checkConfig(broken, ['etc/prometheus/secrets/fleet-remote-write/token']);
    expect(run.status).not.toBe(0);
    expect(run.output).toMatch(/missing closing \)/);
  });

  test('the fleet rule files pass promtool check rules', () => {
    const files = { 'fleet-site.rules.yaml': ruleFiles(site)['fleet-site.rules.yaml'], 'fleet-central.rules.yaml': ruleFiles(central)['fleet-central.rules.yaml'] };
    expectSuccess(inTempDir(files, (dir) => promtool(['check', 'rules', ...Object.keys(files)], dir)));
  });

  /** `promtool test rules` on the fixture, beside a site's and the centre's fleet rule files. */
  function testRules(fixture: string): { status: number; output: string } {
    return inTempDir({
      'rules/site/fleet-site.rules.yaml': ruleFiles(site)['fleet-site.rules.yaml'],
      'rules/central/fleet-central.rules.yaml': ruleFiles(central)['fleet-central.rules.yaml'],
      'fleet.test.yaml': fixture,
    }, (dir) => promtool(['test', 'rules', 'fleet.test.yaml'], dir));
  }

  const FIXTURE = fs.readFileSync(path.join(__dirname, 'fleet-rules.promtool.yaml'), 'utf8');

  test('promtool test rules: FleetSiteNotReporting, the site records and FleetSiteGpuHeadroomLow fire and record as they should', () => {
    const run = testRules(FIXTURE);
    expectSuccess(run);
    expect(run.output).toMatch(/SUCCESS/);
  });

  test('the unit tests can fail: a silent site expected to be quiet is reported', () => {
    const wrong = FIXTURE.replace('      - eval_time: 14m\n        alertname: FleetSiteNotReporting\n        exp_alerts: []',
      '      - eval_time: 14m\n        alertname: FleetSiteNotReporting\n        exp_alerts: [{ exp_labels: { severity: critical, site: gate } }]');
    expect(wrong).not.toBe(FIXTURE);
    const run = testRules(wrong);
    expect(run.status).not.toBe(0);
    expect(run.output).toMatch(/alertname: FleetSiteNotReporting, time: 14m/);
  });
});

test('docs/runbooks.md has a section for each fleet alert', () => {
  const runbooks = fs.readFileSync(path.join(__dirname, '..', '..', 'docs', 'runbooks.md'), 'utf8');
  expect(runbooks).toMatch(/^## FleetSiteNotReporting$/m);
  expect(runbooks).toMatch(/^## FleetSiteGpuHeadroomLow$/m);
});

describe('fleet props, for any values', () => {
  const tried = caseCounter();
  const labelName = fc.stringMatching(/^[a-z_][a-z0-9_]{0,15}$/).filter((name) => name !== 'replica' && !name.startsWith('__'));
  const labelValue = fc.stringMatching(/^[a-z0-9][a-z0-9.-]{0,20}$/);
  const labels = fc.dictionary(labelName, labelValue, { minKeys: 1, maxKeys: 4 });
  const cidr = fc.tuple(fc.integer({ min: 1, max: 223 }), fc.integer({ min: 0, max: 255 }), fc.integer({ min: 8, max: 32 })).map(([a, b, prefix]) => `${a}.${b}.0.0/${prefix}`);

  test('a site or a centre with valid props is valid, compliant, and writes its labels sorted beside the replica\'s', () => {
    fc.assert(fc.property(labels, fc.boolean(), fc.uniqueArray(labelValue, { minLength: 1, maxLength: 5 }), fc.array(cidr, { minLength: 1, maxLength: 3 }),
      (externalLabels, central, sites, remoteWriteFrom) => {
        tried('MonitoringBundle fleet valid');
        const { app, chart } = appWithNamespaces();
        const others = sites.filter((site) => site !== externalLabels.site);
        const fleet: MonitoringBundleProps = central && others.length > 0
          ? { externalLabels, fleetCentral: { sites: others, remoteWriteFrom } }
          : { externalLabels, remoteWrite: { url: 'https://metrics.example.com/api/v1/write', bearerTokenSecret: TOKEN } };
        new MonitoringBundle(chart, 'monitoring', { receivers: [OPS], ...fleet });
        const objects = expectValidAndCompliant(app);
        const written = prometheusConfig(objects).global.external_labels;
        expect(Object.keys(written)).toEqual(Object.keys({ ...externalLabels, replica: '' }).sort());
        expect(written).toEqual({ ...externalLabels, replica: '${POD_NAME}' });
      }), { numRuns: 15 });
  });

  test('an external label name Prometheus refuses is refused, naming the prop', () => {
    fc.assert(fc.property(fc.stringMatching(/^([0-9]|__|[a-z]*[-. ])[a-z0-9-. ]{0,10}$/), labelValue, (name, value) => {
      tried('MonitoringBundle fleet invalid');
      expect(refusal({ externalLabels: { [name]: value } })).toMatch(namesProp('MonitoringBundle', 'monitoring', 'externalLabels'));
    }), { numRuns: 30 });
  });
});
