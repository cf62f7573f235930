import { ApiObject, Chart, Duration, Size, Testing, Yaml } from 'cdk8s';
import { Cpu } from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { parse as parseYaml } from 'yaml';
import {
  AlertSeverity, Connections, IConnectable, IPrometheusClient, IRuleSource, IScrapeTarget, PlatformNamespace, PlatformPolicies, PrometheusEndpoint,
  RuleGroup, ScopeSettings, ScrapeTarget, StreamIngest, runbookUrl,
} from '../../lib';
import { MonitoringBundle, MonitoringBundleProps, MonitoringMode, Receiver, isRuleSource } from '../../lib/monitoring/monitoring-bundle';
import { CAMERA_INFO_RECORD, ingestRuleGroups } from '../../lib/ingest/rules';
import { PrometheusLink } from '../../lib/synth/autoscaler';
import { MAX_DATA_BYTES } from '../../lib/synth/validation/_size-rules';
import { RULE_CONFIG_MAP_BYTES } from '../../lib/monitoring/_prometheus';
import { KubeObject, findObject, objectsOfKind, synthValid, testApp, testChart } from '../_helpers';
import { NetworkModel } from '../_network-policy-evaluator';
import { thrownMessage } from '../_properties';

const OPS = Receiver.webhook('ops', { url: 'https://alerts.example.com/hook' });
const NS = 'video-analytics';

/** A component of the platform: offers its metrics and owns its rules. */
class Component extends Construct implements IScrapeTarget, IRuleSource {
  constructor(scope: Construct, id: string, private readonly target: ScrapeTarget, private readonly groups: RuleGroup[] = []) {
    super(scope, id);
  }

  public toScrapeTarget(): ScrapeTarget {
    return this.target;
  }

  public toRuleGroups(): RuleGroup[] {
    return this.groups;
  }
}

function target(jobName: string, overrides: Partial<ScrapeTarget> = {}): ScrapeTarget {
  return { jobName, namespace: NS, podSelector: { 'app.kubernetes.io/name': jobName }, portName: 'metrics', port: 9400, ...overrides };
}

function group(name: string, expr = 'up == 0'): RuleGroup {
  return {
    name,
    alerts: [{ alert: 'SomethingDown', expr, severity: AlertSeverity.WARNING, summary: 's', description: 'd', runbookUrl: runbookUrl('SomethingDown') }],
  };
}

function synthBundle(props: MonitoringBundleProps = {}, add?: (scope: Construct, bundle: MonitoringBundle) => void): { bundle: MonitoringBundle; objects: KubeObject[] } {
  const chart = testChart();
  const bundle = new MonitoringBundle(chart, 'monitoring', { receivers: [OPS], ...props });
  add?.(chart, bundle);
  return { bundle, objects: synthValid(chart) };
}

function prometheusConfig(objects: KubeObject[]): any {
  return parseYaml(findObject(objects, 'ConfigMap', 'prometheus-config').data['prometheus.yml']);
}

function alertmanagerConfig(objects: KubeObject[]): any {
  return parseYaml(findObject(objects, 'ConfigMap', 'alertmanager-config').data['alertmanager.yml']);
}

function job(objects: KubeObject[], name: string): any {
  return prometheusConfig(objects).scrape_configs.find((j: any) => j.job_name === name);
}

function podSpec(objects: KubeObject[], kind: string, name: string): any {
  return findObject(objects, kind, name).spec.template.spec;
}

const WORKLOADS: Array<[string, string]> = [
  ['StatefulSet', 'prometheus'], ['StatefulSet', 'alertmanager'], ['Deployment', 'grafana'], ['Deployment', 'kube-state-metrics'], ['DaemonSet', 'node-exporter'],
];

describe('MonitoringBundle, standalone', () => {
  test('snapshot: a namespace, Prometheus, Alertmanager, Grafana, kube-state-metrics and node-exporter', () => {
    const { objects } = synthBundle({}, (scope, bundle) => bundle.watch(new Component(scope, 'dcgm', target('dcgm-exporter'))));
    expect(objects).toMatchSnapshot();
    expect(WORKLOADS.map(([kind, name]) => findObject(objects, kind, name).metadata.namespace))
      .toEqual(['monitoring', 'monitoring', 'monitoring', 'monitoring', 'monitoring-host']);
    expect(findObject(objects, 'Namespace', 'monitoring').metadata.labels['pod-security.kubernetes.io/enforce']).toBe('restricted');
    // node-exporter needs host access, which only a privileged namespace admits.
    expect(findObject(objects, 'Namespace', 'monitoring-host').metadata.labels['pod-security.kubernetes.io/enforce']).toBe('privileged');
  });

  test('Prometheus is an HA pair: two replicas of a StatefulSet, each on its own local-path volume, with retention by time and size', () => {
    const { objects } = synthBundle({ retention: Duration.days(7), storageSize: Size.gibibytes(20) });
    const statefulSet = findObject(objects, 'StatefulSet', 'prometheus');
    expect(statefulSet.spec.replicas).toBe(2);
    // Independent replicas: one whose node is lost does not hold back the other.
    expect(statefulSet.spec.podManagementPolicy).toBe('Parallel');
    // One claim per replica, from the template: no claim that every replica mounts.
    expect(statefulSet.spec.template.spec.volumes.filter((v: any) => v.persistentVolumeClaim)).toEqual([]);
    expect(statefulSet.spec.volumeClaimTemplates).toEqual([expect.objectContaining({
      spec: { accessModes: ['ReadWriteOnce'], storageClassName: 'local-path', resources: { requests: { storage: '20Gi' } } },
    })]);
    const [container] = statefulSet.spec.template.spec.containers;
    expect(container.image).toBe('quay.io/prometheus/prometheus:v2.53.2');
    expect(container.args).toEqual(expect.arrayContaining(['--storage.tsdb.retention.time=7d', '--storage.tsdb.retention.size=16384MB']));
    expect(container.startupProbe.httpGet).toEqual({ path: '/-/ready', port: 'web' });
    expect(statefulSet.spec.template.spec.automountServiceAccountToken).toBe(true);
  });

  test('the Prometheus replicas: on different nodes, a disruption budget, a headless governing Service and a queried one that selects both', () => {
    const { objects } = synthBundle();
    const statefulSet = findObject(objects, 'StatefulSet', 'prometheus');
    const pods = statefulSet.spec.selector.matchLabels;
    expect(statefulSet.spec.template.spec.topologySpreadConstraints).toEqual([{
      maxSkew: 1, topologyKey: 'kubernetes.io/hostname', whenUnsatisfiable: 'DoNotSchedule', labelSelector: { matchLabels: pods }, nodeTaintsPolicy: 'Honor',
    }]);
    expect(findObject(objects, 'PodDisruptionBudget', 'prometheus').spec).toEqual({ maxUnavailable: 1, selector: { matchLabels: pods } });

    // The governing Service is headless: each replica gets its own DNS name.
    expect(statefulSet.spec.serviceName).toBe('prometheus-headless');
    const headless = findObject(objects, 'Service', 'prometheus-headless').spec;
    expect(headless).toEqual({ clusterIP: 'None', selector: pods, ports: [{ name: 'web', port: 9090, targetPort: 'web', protocol: 'TCP' }] });
    // Grafana and KEDA query `prometheus`, a ClusterIP Service over both replicas, each client kept to one.
    const queried = findObject(objects, 'Service', 'prometheus').spec;
    expect(queried).toEqual({ sessionAffinity: 'ClientIP', selector: pods, ports: [{ name: 'web', port: 9090, targetPort: 'web', protocol: 'TCP' }] });
    expect(parseYaml(findObject(objects, 'ConfigMap', 'grafana-provisioning').data['datasources.yaml']).datasources[0].url)
      .toBe('http://prometheus.monitoring.svc.cluster.local:9090');
    // Each replica scrapes the other (the `prometheus` job), and Grafana queries both.
    const model = new NetworkModel(objects);
    const prometheus = model.group('monitoring', 'prometheus');
    expect(model.allows({ from: prometheus, to: prometheus, port: 9090 })).toBe(true);
    expect(model.allows({ from: model.group('monitoring', 'grafana'), to: prometheus, port: 9090 })).toBe(true);
  });

  test('the Prometheus replicas differ only in their replica external label, the pod name, which their alerts leave out', () => {
    const { objects } = synthBundle();
    const statefulSet = findObject(objects, 'StatefulSet', 'prometheus');
    const [container] = statefulSet.spec.template.spec.containers;
    expect(container.args).toContain('--enable-feature=expand-external-labels');
    expect(container.env).toContainEqual({ name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } });
    const config = prometheusConfig(objects);
    expect(config.global.external_labels).toEqual({ replica: '${POD_NAME}' });
    // As Prometheus expands it in each pod of the StatefulSet: one value per replica.
    const podNames = Array.from({ length: statefulSet.spec.replicas }, (_, i) => `${statefulSet.metadata.name}-${i}`);
    const replicaLabels = podNames.map((pod) => config.global.external_labels.replica.replace('${POD_NAME}', pod));
    expect(replicaLabels).toEqual(['prometheus-0', 'prometheus-1']);
    // Without it the two replicas' alerts are identical, and Alertmanager sends each once.
    expect(config.alerting.alert_relabel_configs).toEqual([{ action: 'labeldrop', regex: 'replica' }]);
    // Every replica sends to every Alertmanager pod, found by discovery.
    expect(config.alerting.alertmanagers).toEqual([expect.objectContaining({ kubernetes_sd_configs: [{ role: 'pod', namespaces: { names: ['monitoring'] } }] })]);
  });

  test('Grafana: two replicas on different nodes, a disruption budget, and each client kept to the replica that holds its session', () => {
    const { objects } = synthBundle();
    const deployment = findObject(objects, 'Deployment', 'grafana');
    const pods = deployment.spec.selector.matchLabels;
    expect(deployment.spec.replicas).toBe(2);
    expect(deployment.spec.template.spec.topologySpreadConstraints).toEqual([{
      maxSkew: 1, topologyKey: 'kubernetes.io/hostname', whenUnsatisfiable: 'DoNotSchedule', labelSelector: { matchLabels: pods }, nodeTaintsPolicy: 'Honor',
    }]);
    expect(findObject(objects, 'PodDisruptionBudget', 'grafana').spec).toEqual({ maxUnavailable: 1, selector: { matchLabels: pods } });
    // Each replica's database is its own emptyDir: provisioned alike, sessions not shared.
    expect(deployment.spec.template.spec.volumes).toContainEqual({ name: 'data', emptyDir: { sizeLimit: '512Mi' } });
    const service = findObject(objects, 'Service', 'grafana');
    expect(service.spec.sessionAffinity).toBe('ClientIP');
    // Traefik balances over the pods itself: it keeps a browser on one by a cookie.
    expect(service.metadata.annotations).toEqual({
      'traefik.ingress.kubernetes.io/service.sticky.cookie': 'true', 'traefik.ingress.kubernetes.io/service.sticky.cookie.httponly': 'true',
    });
  });

  test('kube-state-metrics runs alone and says why', () => {
    const deployment = findObject(synthBundle().objects, 'Deployment', 'kube-state-metrics');
    expect(deployment.spec.replicas).toBe(1);
    expect(deployment.metadata.annotations['video-analytics.io/single-replica-reason']).toMatch(/^stateless: rescheduled on another node in seconds/);
  });

  test('with defaults, no monitoring workload is a single point of failure, kube-state-metrics excepted with its reason', () => {
    const chart = testChart();
    new MonitoringBundle(chart, 'monitoring', { receivers: [OPS] });
    expect(PlatformPolicies.check(chart).map((f) => f.message)).toEqual([]);
  });

  test('the one-node opt-outs: one replica each, no spread, no disruption budget, each saying why; the policies pass', () => {
    const chart = testChart();
    new MonitoringBundle(chart, 'monitoring', { receivers: [OPS], prometheusReplicas: 1, alertmanagerReplicas: 1, grafanaReplicas: 1 });
    const objects = synthValid(chart);
    for (const [kind, name] of WORKLOADS.filter(([kind]) => kind !== 'DaemonSet')) {
      const workload = findObject(objects, kind, name);
      expect({ name, replicas: workload.spec.replicas, spread: workload.spec.template.spec.topologySpreadConstraints })
        .toEqual({ name, replicas: 1, spread: undefined });
      expect(workload.metadata.annotations['video-analytics.io/single-replica-reason']).toEqual(expect.any(String));
    }
    // No budget at all: none can block a drain.
    expect(objectsOfKind(objects, 'PodDisruptionBudget')).toEqual([]);
    // The same reason every construct records for a single replica its props ask for, naming the prop.
    for (const [kind, name, prop] of [['StatefulSet', 'prometheus', 'prometheusReplicas'], ['StatefulSet', 'alertmanager', 'alertmanagerReplicas'], ['Deployment', 'grafana', 'grafanaReplicas']]) {
      expect(findObject(objects, kind, name).metadata.annotations['video-analytics.io/single-replica-reason']).toMatch(new RegExp(`^'${prop}' is 1 in the construct's props`));
    }
    // The headless Service governs the StatefulSet whatever the count; nothing is sticky with one replica.
    expect(findObject(objects, 'StatefulSet', 'prometheus').spec.serviceName).toBe('prometheus-headless');
    expect(findObject(objects, 'Service', 'prometheus').spec.sessionAffinity).toBeUndefined();
    expect(findObject(objects, 'Service', 'grafana').metadata.annotations).toBeUndefined();
    expect(PlatformPolicies.check(chart).map((f) => f.message)).toEqual([]);
  });

  test('least-privilege RBAC for discovery and the kubelet metrics', () => {
    const { objects } = synthBundle();
    expect(findObject(objects, 'ClusterRole', 'monitoring-prometheus').rules).toEqual([
      { apiGroups: [''], resources: ['nodes', 'nodes/metrics', 'services', 'endpoints', 'pods'], verbs: ['get', 'list', 'watch'] },
      { apiGroups: ['discovery.k8s.io'], resources: ['endpointslices'], verbs: ['get', 'list', 'watch'] },
      { nonResourceURLs: ['/metrics'], verbs: ['get'] },
    ]);
    expect(findObject(objects, 'ClusterRoleBinding', 'monitoring-prometheus').subjects).toEqual([{ kind: 'ServiceAccount', name: 'prometheus', namespace: 'monitoring' }]);
    const ksmVerbs = findObject(objects, 'ClusterRole', 'monitoring-kube-state-metrics').rules.flatMap((r: any) => r.verbs);
    expect(new Set(ksmVerbs)).toEqual(new Set(['list', 'watch']));
  });

  test('prometheus.yml: one sorted job per target, kept by namespace, pod labels and port name', () => {
    const { objects } = synthBundle({}, (scope, bundle) => bundle.watch(new Component(scope, 'dcgm', target('dcgm-exporter', { interval: Duration.seconds(15) }))));
    const config = prometheusConfig(objects);
    expect(config.scrape_configs.map((j: any) => j.job_name)).toEqual([
      'alertmanager', 'cadvisor', 'dcgm-exporter', 'grafana', 'kube-state-metrics', 'kubelet', 'node-exporter', 'prometheus',
    ]);
    expect(job(objects, 'dcgm-exporter')).toEqual(expect.objectContaining({
      scrape_interval: '15s',
      metrics_path: '/metrics',
      kubernetes_sd_configs: [{ role: 'pod', namespaces: { names: [NS] } }],
    }));
    expect(job(objects, 'dcgm-exporter').relabel_configs.slice(0, 2)).toEqual([
      { source_labels: ['__meta_kubernetes_pod_label_app_kubernetes_io_name'], regex: 'dcgm-exporter', action: 'keep' },
      { source_labels: ['__meta_kubernetes_pod_container_port_name'], regex: 'metrics', action: 'keep' },
    ]);
    expect(config.rule_files).toEqual(['/etc/prometheus/rules/*.rules.yaml']);
    expect(config.alerting.alertmanagers[0].kubernetes_sd_configs).toEqual([{ role: 'pod', namespaces: { names: ['monitoring'] } }]);
    expect(job(objects, 'kube-state-metrics').honor_labels).toBe(true);
  });

  test('kubelet and cAdvisor are scraped on each node with the token; nothing that lives inside the k3s process', () => {
    const { objects } = synthBundle();
    for (const [name, path] of [['kubelet', '/metrics'], ['cadvisor', '/metrics/cadvisor']]) {
      expect(job(objects, name)).toEqual(expect.objectContaining({
        scheme: 'https',
        metrics_path: path,
        authorization: { credentials_file: '/var/run/secrets/kubernetes.io/serviceaccount/token' },
        tls_config: { ca_file: '/var/run/secrets/kubernetes.io/serviceaccount/ca.crt' },
        kubernetes_sd_configs: [{ role: 'node' }],
      }));
    }
    const config = findObject(objects, 'ConfigMap', 'prometheus-config').data['prometheus.yml'];
    expect(config).not.toMatch(/scheduler|controller-manager|kube-proxy|etcd|apiserver/);
    expect(job(synthBundle({ verifyKubeletTls: false }).objects, 'kubelet').tls_config).toEqual({ insecure_skip_verify: true });
  });

  test('watch() scrapes a component and loads its rules; a component in the app that is not watched is left alone', () => {
    const chart = testChart();
    const bundle = new MonitoringBundle(chart, 'monitoring', { receivers: [OPS] });
    bundle.watch(new StreamIngest(chart, 'ingest', { namespace: NS, cameras: [{ id: 'cam-1', url: 'rtsp://10.0.0.1/live' }] }));
    bundle.watch(new Component(chart, 'triton', target('triton'), [group('triton-inference')]));
    new Component(chart, 'unwatched', target('unwatched'), [group('unwatched-rules')]);
    const objects = synthValid(chart);
    expect(job(objects, 'ingest').relabel_configs.slice(0, 4).map((r: any) => r.regex)).toEqual(['stream-ingest', 'ingest', 'mediamtx', 'metrics']);
    expect(job(objects, 'triton')).toBeDefined();
    const ruleFiles = Object.keys(findObject(objects, 'ConfigMap', 'prometheus-rules').data);
    expect(ruleFiles).toEqual(expect.arrayContaining([
      'platform-kubernetes.rules.yaml', 'platform-node.rules.yaml', 'platform-prometheus.rules.yaml', 'triton-inference.rules.yaml', 'ingest-streams.rules.yaml',
    ]));
    // Nothing is found in the tree: what is not passed to watch() is not scraped.
    expect(job(objects, 'unwatched')).toBeUndefined();
    expect(ruleFiles).not.toContain('unwatched-rules.rules.yaml');
    expect(findObject(objects, 'ConfigMap', 'prometheus-config').data['prometheus.yml']).not.toContain('unwatched');
  });

  test('scrape() and addRules() register what is not a construct, and return what they registered', () => {
    const { objects } = synthBundle({}, (_scope, bundle) => {
      expect(bundle.scrape({ toScrapeTarget: () => target('external') })).toEqual(target('external'));
      expect(bundle.addRules({ toRuleGroups: () => [group('external-rules')] })).toEqual([group('external-rules')]);
    });
    expect(job(objects, 'external')).toBeDefined();
    const rules = parseYaml(findObject(objects, 'ConfigMap', 'prometheus-rules').data['external-rules.rules.yaml']);
    expect(rules.groups[0].rules[0]).toEqual({
      alert: 'SomethingDown', expr: 'up == 0', labels: { severity: 'warning' },
      annotations: { summary: 's', description: 'd', runbook_url: runbookUrl('SomethingDown') },
    });
  });

  test('a target registered twice is scraped once, its rules loaded once', () => {
    const { objects } = synthBundle({}, (scope, bundle) => {
      const dcgm = new Component(scope, 'dcgm', target('dcgm-exporter'), [group('dcgm')]);
      expect(bundle.scrape(dcgm)).toEqual(target('dcgm-exporter'));
      expect(bundle.watch(dcgm)).toEqual(target('dcgm-exporter'));
      bundle.watch(dcgm);
      bundle.addRules(dcgm);
    });
    expect(prometheusConfig(objects).scrape_configs.filter((j: any) => j.job_name === 'dcgm-exporter')).toHaveLength(1);
    expect(Object.keys(findObject(objects, 'ConfigMap', 'prometheus-rules').data)).toContain('dcgm.rules.yaml');
  });

  test('rule files over 480 KiB of YAML in all go to further ConfigMaps, mounted together in the rules folder', () => {
    const groupOf = (n: number): RuleGroup => ({
      name: `cameras-${n}`,
      recordings: Array.from({ length: 1500 }, (_, i) => ({ record: 'job:camera:info', expr: 'vector(1)', labels: { name: `camera-${n}-${i}`, site: 'x'.repeat(80) } })),
    });
    const { objects } = synthBundle({}, (_scope, bundle) => bundle.addRules({ toRuleGroups: () => [1, 2, 3, 4].map(groupOf) }));
    const maps = objectsOfKind(objects, 'ConfigMap').filter((o) => o.metadata.name.startsWith('prometheus-rules'));
    // About 345 KiB of YAML each: the first joins the platform rules, each of the others needs a ConfigMap of its own.
    expect(maps.map((o) => o.metadata.name)).toEqual(['prometheus-rules', 'prometheus-rules-1', 'prometheus-rules-2', 'prometheus-rules-3']);
    for (const map of maps) expect(Buffer.byteLength(Yaml.stringify(map))).toBeLessThanOrEqual(512 * 1024);
    // Every rule file is in exactly one of them, and the pod sees them all in one folder.
    const files = maps.flatMap((o) => Object.keys(o.data));
    expect(files).toEqual(expect.arrayContaining(['cameras-1.rules.yaml', 'cameras-2.rules.yaml', 'cameras-3.rules.yaml', 'cameras-4.rules.yaml']));
    expect(new Set(files).size).toBe(files.length);
    const volume = podSpec(objects, 'StatefulSet', 'prometheus').volumes.find((v: any) => v.name === 'rules');
    expect(volume).toEqual({ name: 'rules', projected: { sources: maps.map((o) => ({ configMap: { name: o.metadata.name } })) } });
    // While they fit in one, a plain ConfigMap volume, as before.
    expect(podSpec(synthBundle().objects, 'StatefulSet', 'prometheus').volumes.find((v: any) => v.name === 'rules'))
      .toEqual({ name: 'rules', configMap: { name: 'prometheus-rules' } });
  });

  test('a changed target rolls Prometheus through its config checksum', () => {
    const checksumOf = (objects: KubeObject[]) => findObject(objects, 'StatefulSet', 'prometheus').spec.template.metadata.annotations['video-analytics.io/config-checksum'];
    const before = checksumOf(synthBundle().objects);
    const after = checksumOf(synthBundle({}, (scope, bundle) => bundle.watch(new Component(scope, 'dcgm', target('dcgm-exporter')))).objects);
    expect(after).not.toBe(before);
    expect(checksumOf(synthBundle().objects)).toBe(before);
  });

  test('Alertmanager: two gossiping replicas on different nodes with a disruption budget; one replica runs alone', () => {
    const { objects } = synthBundle();
    const statefulSet = findObject(objects, 'StatefulSet', 'alertmanager');
    expect(statefulSet.spec.replicas).toBe(2);
    expect(statefulSet.spec.template.spec.topologySpreadConstraints).toEqual([{
      maxSkew: 1, topologyKey: 'kubernetes.io/hostname', whenUnsatisfiable: 'DoNotSchedule', labelSelector: { matchLabels: statefulSet.spec.selector.matchLabels }, nodeTaintsPolicy: 'Honor',
    }]);
    expect(statefulSet.spec.template.spec.containers[0].args).toEqual(expect.arrayContaining([
      '--cluster.listen-address=:9094',
      '--cluster.peer=alertmanager-0.alertmanager-cluster.monitoring.svc.cluster.local:9094',
      '--cluster.peer=alertmanager-1.alertmanager-cluster.monitoring.svc.cluster.local:9094',
    ]));
    expect(findObject(objects, 'PodDisruptionBudget', 'alertmanager').spec.maxUnavailable).toBe(1);

    const single = synthBundle({ alertmanagerReplicas: 1 }).objects;
    expect(findObject(single, 'StatefulSet', 'alertmanager').spec.template.spec.containers[0].args).toContain('--cluster.listen-address=');
    expect(findObject(single, 'StatefulSet', 'alertmanager').spec.template.spec.topologySpreadConstraints).toBeUndefined();
    expect(objectsOfKind(single, 'PodDisruptionBudget').map((b) => b.metadata.name)).not.toContain('alertmanager');
  });

  test('routes: Watchdog to the dead man\'s switch, severity none to nobody, then the user\'s routes', () => {
    const oncall = Receiver.email('oncall', { to: 'oncall@example.com', from: 'alerts@example.com', smarthost: 'smtp.example.com:587' });
    const deadman = Receiver.webhook('deadman', { urlSecret: { secretName: 'deadman', key: 'url' } });
    const { objects } = synthBundle({
      receivers: [OPS, oncall, deadman],
      watchdogReceiver: 'deadman',
      routes: [{ receiver: 'oncall', matchers: { severity: 'critical' }, repeatInterval: Duration.hours(1) }],
    });
    const config = alertmanagerConfig(objects);
    expect(config.route.receiver).toBe('ops');
    expect(config.route.routes).toEqual([
      { receiver: 'deadman', matchers: ['alertname="Watchdog"'], group_wait: '0s', repeat_interval: '5m' },
      { receiver: 'null', matchers: ['severity="none"'] },
      { receiver: 'oncall', matchers: ['severity="critical"'], repeat_interval: '1h' },
    ]);
    expect(config.receivers.map((r: any) => r.name)).toEqual(['null', 'ops', 'oncall', 'deadman']);
  });

  test('secrets reach Alertmanager as mounted files, never through a ConfigMap', () => {
    const email = Receiver.email('oncall', {
      to: 'oncall@example.com', from: 'alerts@example.com', smarthost: 'smtp.example.com:587',
      authUsername: 'alerts', authPasswordSecret: { secretName: 'smtp', key: 'password' },
    });
    const hook = Receiver.webhook('chat', { urlSecret: { secretName: 'chat-hook', key: 'url' }, bearerTokenSecret: { secretName: 'chat-hook', key: 'token' } });
    const { objects } = synthBundle({ receivers: [email, hook] });
    const [emailConfig] = alertmanagerConfig(objects).receivers[1].email_configs;
    expect(emailConfig).toEqual({
      to: 'oncall@example.com', from: 'alerts@example.com', smarthost: 'smtp.example.com:587', auth_username: 'alerts',
      auth_password_file: '/etc/alertmanager/secrets/smtp/password', require_tls: true, send_resolved: true,
    });
    expect(alertmanagerConfig(objects).receivers[2].webhook_configs[0]).toEqual({
      url_file: '/etc/alertmanager/secrets/chat-hook/url', send_resolved: true,
      http_config: { authorization: { type: 'Bearer', credentials_file: '/etc/alertmanager/secrets/chat-hook/token' } },
    });
    const pod = podSpec(objects, 'StatefulSet', 'alertmanager');
    expect(pod.volumes).toEqual(expect.arrayContaining([
      { name: 'secret-0', secret: { secretName: 'chat-hook', items: [{ key: 'token', path: 'token' }, { key: 'url', path: 'url' }], defaultMode: 288 } },
      { name: 'secret-1', secret: { secretName: 'smtp', items: [{ key: 'password', path: 'password' }], defaultMode: 288 } },
    ]));
    expect(objectsOfKind(objects, 'Secret')).toEqual([]);
    // Notifications may leave only towards the receivers' ports.
    expect(findObject(objects, 'NetworkPolicy', 'alertmanager').spec.egress[0]).toEqual({
      to: [{ ipBlock: { cidr: '0.0.0.0/0' } }], ports: [{ protocol: 'TCP', port: 443 }, { protocol: 'TCP', port: 587 }],
    });
  });

  test('Grafana: provisioned datasource and platform dashboard, admin password from a Secret', () => {
    const { objects } = synthBundle({ grafanaAdminPassword: { secretName: 'grafana', key: 'password' } });
    const [container] = podSpec(objects, 'Deployment', 'grafana').containers;
    expect(container.image).toBe('grafana/grafana:11.2.0');
    expect(container.env).toEqual(expect.arrayContaining([
      { name: 'GF_SECURITY_ADMIN_USER', value: 'admin' },
      { name: 'GF_SECURITY_ADMIN_PASSWORD', valueFrom: { secretKeyRef: { name: 'grafana', key: 'password' } } },
    ]));
    const provisioning = findObject(objects, 'ConfigMap', 'grafana-provisioning').data;
    expect(parseYaml(provisioning['datasources.yaml']).datasources[0]).toEqual(expect.objectContaining({
      type: 'prometheus', uid: 'prometheus', url: 'http://prometheus.monitoring.svc.cluster.local:9090', isDefault: true,
    }));
    const dashboard = JSON.parse(findObject(objects, 'ConfigMap', 'grafana-dashboards').data['video-analytics.json']);
    expect(dashboard.panels.map((p: any) => p.title)).toEqual([
      'Camera streams ready per site', 'Cameras without a ready stream', 'Ingest bitrate per site',
      'Ingest frames in error', 'Analysis throughput', 'Analysis latency',
      'GPU utilization', 'GPU memory used', 'Container restarts (last hour)',
    ]);
    expect(dashboard.panels[0].targets[0].expr).toContain(CAMERA_INFO_RECORD);
  });

  test('node-exporter: on every node, with host access, in the privileged namespace', () => {
    const { objects } = synthBundle();
    const daemonSet = findObject(objects, 'DaemonSet', 'node-exporter');
    const pod = daemonSet.spec.template.spec;
    expect(daemonSet.metadata.namespace).toBe('monitoring-host');
    expect(pod).toEqual(expect.objectContaining({ hostNetwork: true, hostPID: true, tolerations: [{ operator: 'Exists' }], automountServiceAccountToken: false }));
    expect(pod.containers[0].image).toBe('quay.io/prometheus/node-exporter:v1.8.2');
    expect(pod.containers[0].securityContext).toEqual({ runAsNonRoot: true, allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } });
    expect(job(objects, 'node-exporter').kubernetes_sd_configs).toEqual([{ role: 'pod', namespaces: { names: ['monitoring-host'] } }]);
  });

  test('every pod is sized, probed and hardened; only Prometheus and kube-state-metrics get a token', () => {
    const { objects } = synthBundle();
    for (const [kind, name] of WORKLOADS) {
      const pod = podSpec(objects, kind, name);
      for (const container of pod.containers) {
        expect(Object.keys(container.resources.requests)).toEqual(expect.arrayContaining(['cpu', 'memory']));
        expect(Object.keys(container.resources.limits)).toEqual(expect.arrayContaining(['cpu', 'memory']));
        expect(container.readinessProbe).toBeDefined();
        expect(container.livenessProbe).toBeDefined();
        expect(container.securityContext).toEqual(expect.objectContaining({ runAsNonRoot: true, allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } }));
        expect(container.imagePullPolicy).toBe('IfNotPresent');
      }
      expect(pod.automountServiceAccountToken).toBe(name === 'prometheus' || name === 'kube-state-metrics');
    }
    expect(findObject(objects, 'ServiceAccount', 'prometheus').automountServiceAccountToken).toBe(false);
  });

  test('network policies: Prometheus reaches its targets and the kubelets; Grafana and Alertmanager only what they need', () => {
    // A target without connections: Prometheus gets out to it; the target's own policy must admit Prometheus.
    const { objects } = synthBundle({}, (scope, bundle) => bundle.watch(new Component(scope, 'dcgm', target('dcgm-exporter', { namespace: 'gpu' }))));
    const prometheus = findObject(objects, 'NetworkPolicy', 'prometheus').spec;
    expect(prometheus.egress).toContainEqual({
      to: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'gpu' } }, podSelector: { matchLabels: { 'app.kubernetes.io/name': 'dcgm-exporter' } } }],
      ports: [{ protocol: 'TCP', port: 9400 }],
    });
    expect(prometheus.egress).toContainEqual({
      to: [{ ipBlock: { cidr: '0.0.0.0/0' } }],
      ports: [443, 6443, 9100, 10250].map((port) => ({ protocol: 'TCP', port })),
    });
    expect(prometheus.ingress).toContainEqual({ from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'keda' } } }], ports: [{ protocol: 'TCP', port: 9090 }] });
    // scrape() registers the job only: no network link.
    const scrapedOnly = findObject(synthBundle({}, (_scope, bundle) => bundle.scrape({ toScrapeTarget: () => target('external', { namespace: 'gpu', port: 9500 }) })).objects, 'NetworkPolicy', 'prometheus');
    expect(JSON.stringify(scrapedOnly.spec.egress)).not.toContain('9500');
    const grafana = findObject(objects, 'NetworkPolicy', 'grafana').spec;
    expect(grafana.egress).toEqual([{ to: [{ podSelector: { matchLabels: findObject(objects, 'StatefulSet', 'prometheus').spec.selector.matchLabels } }], ports: [{ protocol: 'TCP', port: 9090 }] }]);
    const alertmanager = findObject(objects, 'NetworkPolicy', 'alertmanager').spec;
    expect(alertmanager.ingress[0]).toEqual({ from: [{ podSelector: { matchLabels: findObject(objects, 'StatefulSet', 'prometheus').spec.selector.matchLabels } }], ports: [{ protocol: 'TCP', port: 9093 }] });
    expect(findObject(objects, 'NetworkPolicy', 'default-deny', 'monitoring').spec.policyTypes).toEqual(['Ingress', 'Egress']);
  });

  test('the footprint adds up every pod, every replica counted; resources can be overridden per component', () => {
    const { bundle } = synthBundle();
    // Prometheus 2 x 200m, 512Mi; Alertmanager 2 x 10m, 32Mi; Grafana 2 x 50m, 128Mi; kube-state-metrics 20m, 64Mi; node-exporter 10m, 32Mi.
    expect(bundle.footprint.requests).toEqual({ cpu: Cpu.millis(550), memory: Size.mebibytes(1440) });
    expect(bundle.footprint.limits).toEqual({ cpu: Cpu.millis(3600), memory: Size.mebibytes(3328) });
    expect(bundle.footprint.perAdditionalNode).toEqual({
      requests: { cpu: Cpu.millis(10), memory: Size.mebibytes(32) }, limits: { cpu: Cpu.millis(200), memory: Size.mebibytes(64) },
    });
    // One volume per Prometheus replica.
    expect(bundle.footprint.storage).toEqual(Size.gibibytes(20));
    const bigger = synthBundle({ prometheusResources: { memory: { limit: Size.gibibytes(2) } } });
    expect(podSpec(bigger.objects, 'StatefulSet', 'prometheus').containers[0].resources.limits.memory).toBe('2Gi');
    expect(bigger.bundle.footprint.limits.memory).toEqual(Size.mebibytes(5376));
    // The one-node opt-out: one Prometheus, Alertmanager and Grafana.
    const small = synthBundle({ prometheusReplicas: 1, alertmanagerReplicas: 1, grafanaReplicas: 1 }).bundle.footprint;
    expect(small.requests).toEqual({ cpu: Cpu.millis(290), memory: Size.mebibytes(768) });
    expect(small.limits).toEqual({ cpu: Cpu.millis(2000), memory: Size.mebibytes(1792) });
    expect(small.storage).toEqual(Size.gibibytes(10));
    expect(synthBundle({ prometheusReplicas: 3, storageSize: Size.mebibytes(1500) }).bundle.footprint.storage).toEqual(Size.mebibytes(4500));
    expect(bundleUrl()).toBe('http://prometheus.monitoring.svc.cluster.local:9090');
  });

  test('runbookBaseUrl moves the links of the library\'s runbooks, anchors kept, and leaves other links alone', () => {
    const own: RuleGroup = { name: 'own', alerts: [{ ...group('own').alerts![0], alert: 'OwnDown', runbookUrl: 'https://runbooks.example.com/own-down' }] };
    const { objects } = synthBundle({ runbookBaseUrl: 'https://wiki.example.com/video/runbooks' }, (scope, bundle) => {
      bundle.addRules({ toRuleGroups: () => [group('library-linked'), own] });
      bundle.watch(new Component(scope, 'ingest', target('ingest')));
    });
    const rules = findObject(objects, 'ConfigMap', 'prometheus-rules').data;
    const links = Object.values(rules).flatMap((file) => (parseYaml(file as string).groups as any[]))
      .flatMap((g) => g.rules).filter((r: any) => r.alert).map((r: any) => [r.alert, r.annotations.runbook_url]);
    expect(links.length).toBeGreaterThan(10);
    for (const [alert, link] of links) {
      expect({ alert, link }).toEqual({ alert, link: alert === 'OwnDown' ? 'https://runbooks.example.com/own-down' : `https://wiki.example.com/video/runbooks#${alert.toLowerCase()}` });
    }
    // Without the prop, the library's page.
    const defaults = findObject(synthBundle().objects, 'ConfigMap', 'prometheus-rules').data;
    expect(Object.values(defaults).join('')).toContain(runbookUrl('Watchdog'));
  });

  describe('refuses', () => {
    test.each<[string, MonitoringBundleProps, RegExp]>([
      ['a retention that is not a number', { retention: Duration.days(NaN) }, /MonitoringBundle 'monitoring': 'retention' \(NaN ms\) must be a positive whole number of milliseconds/],
      ['a zero retention', { retention: Duration.days(0) }, /'retention' \(0 ms\) must be a positive whole number of milliseconds/],
      ['a zero storage size', { storageSize: Size.gibibytes(0) }, /'storageSize' \(0Gi\) must be a size of at least 1Mi/],
      ['a retention size that is not a number', { retentionSize: Size.gibibytes(NaN) }, /'retentionSize' \(NaNGi\) must be a size of at least 1Mi/],
      ['a retention size above the volume', { retentionSize: Size.gibibytes(12) }, /'retentionSize' \(12Gi\) must be at most 'storageSize' \(10Gi\)/],
      ['a sub-second scrape interval', { scrapeInterval: Duration.millis(500) }, /'scrapeInterval' \(500 ms\) must be a whole number of milliseconds, at least one second/],
      ['no receiver', { receivers: [] }, /'receivers' \(\[\]\) must be at least one receiver in standalone mode\. Add Receiver\.email/],
      ['a route to an unknown receiver', { routes: [{ receiver: 'pager', matchers: { severity: 'critical' } }] }, /'routes\[0\]\.receiver' \(pager\) must be the name of one of 'receivers' \(ops\)/],
      ['a route that matches everything', { routes: [{ receiver: 'ops', matchers: {} }] }, /'routes\[0\]\.matchers' \(\{\}\) must be at least one label to match/],
      ['an unknown Watchdog receiver', { watchdogReceiver: 'deadman' }, /'watchdogReceiver' \(deadman\) must be the name of one of 'receivers'/],
      ['a request above its limit', { grafanaResources: { cpu: { request: Cpu.units(2) } } }, /'grafanaResources\.cpu\.request' \(2\) must be at most the CPU limit \(500m\)/],
      ['one namespace for everything', { hostNamespace: 'monitoring' }, /'hostNamespace' \(monitoring\) must be different from 'namespace'/],
      ['zero Alertmanager replicas', { alertmanagerReplicas: 0 }, /'alertmanagerReplicas' \(0\) must be an integer >= 1/],
      ['zero Prometheus replicas', { prometheusReplicas: 0 }, /'prometheusReplicas' \(0\) must be an integer >= 1\. Use 2 for an HA pair, or 1 on a one-node site\./],
      ['a fractional number of Grafana replicas', { grafanaReplicas: 1.5 }, /'grafanaReplicas' \(1\.5\) must be an integer >= 1/],
      ['a runbook page that is not a URL', { runbookBaseUrl: 'wiki/runbooks' }, /'runbookBaseUrl' \(wiki\/runbooks\) must be an http or https URL without a #fragment/],
      ['a runbook page with an anchor of its own', { runbookBaseUrl: 'https://wiki.example.com/runbooks#top' }, /'runbookBaseUrl' \(https:\/\/wiki\.example\.com\/runbooks#top\) must be an http or https URL without a #fragment/],
    ])('%s', (_title, props, message) => {
      expect(() => synthBundle(props)).toThrow(message);
    });

    test.each<[string, () => Receiver, RegExp]>([
      ['an email receiver without a smarthost', () => Receiver.email('oncall', { to: 'a@example.com', from: 'b@example.com' } as any), /Receiver 'oncall': 'smarthost' \(undefined\) must be a host and port such as 'smtp\.example\.com:587'/],
      ['an email receiver without a recipient', () => Receiver.email('oncall', { from: 'b@example.com', smarthost: 'smtp:25' } as any), /Receiver 'oncall': 'to' \(undefined\) must be one or more email addresses/],
      ['a password without a user', () => Receiver.email('oncall', { to: 'a@example.com', from: 'b@example.com', smarthost: 'smtp:25', authPasswordSecret: { secretName: 's', key: 'p' } }), /'authUsername' \(undefined\) must be set when 'authPasswordSecret' is/],
      ['a webhook without a URL', () => Receiver.webhook('ops', {}), /Receiver 'ops': 'url' \(undefined\) must be given exactly once: either 'url' or 'urlSecret'/],
      ['a webhook with both URLs', () => Receiver.webhook('ops', { url: 'https://a.example.com', urlSecret: { secretName: 's', key: 'u' } }), /must be given exactly once/],
      ['a webhook URL with a password', () => Receiver.webhook('ops', { url: 'https://user:hunter2@a.example.com/x' }), /'url' \(https:\/\/\*\*\*@a\.example\.com\/x\) must be free of credentials/],
      ['a non-HTTP webhook', () => Receiver.webhook('ops', { url: 'ftp://a.example.com' }), /must be an http or https URL/],
      ['a bad Secret name', () => Receiver.webhook('ops', { urlSecret: { secretName: 'Hook_URL', key: 'url' } }), /'urlSecret\.secretName' \(Hook_URL\) must be a Secret name/],
      ['the reserved name', () => Receiver.webhook('null', { url: 'https://a.example.com' }), /Receiver 'null': 'name' \(null\) must be letters, digits/],
    ])('%s', (_title, build, message) => {
      expect(build).toThrow(message);
    });

    test('a password in a webhook URL is never echoed', () => {
      expect(() => Receiver.webhook('ops', { url: 'https://user:hunter2@a.example.com/x' })).toThrow(/^((?!hunter2).)*$/s);
    });

    test.each<[string, string, string]>([
      ['a token in the query', 'https://hooks.example.com/alert?token=s3cr3t-val&team=ops', 'https://hooks.example.com/alert?token=***&team=ops'],
      ['an API key, in another case and within a longer name', 'https://hooks.example.com/alert?team=ops&X-API-KEY=s3cr3t-val', 'https://hooks.example.com/alert?team=ops&X-API-KEY=***'],
      ['a percent-encoded name', 'https://hooks.example.com/alert?api%5Fkey=s3cr3t-val', 'https://hooks.example.com/alert?api%5Fkey=***'],
      ['a password as a path parameter', 'https://hooks.example.com/alert;Password=s3cr3t-val/x', 'https://hooks.example.com/alert;Password=***/x'],
      ['an auth segment of the path', 'https://hooks.example.com/auth=s3cr3t-val/alert', 'https://hooks.example.com/auth=***/alert'],
      ['a secret holding separators, masked whole', 'https://hooks.example.com/alert?client_secret=s3cr3t-val;s3cr3t-val/s3cr3t-val&x=1', 'https://hooks.example.com/alert?client_secret=***&x=1'],
      ['credentials and a pwd together', 'https://bot:s3cr3t-val@hooks.example.com/alert?pwd=s3cr3t-val', 'https://***@hooks.example.com/alert?pwd=***'],
      ['a credential parameter in a URL without a scheme', 'hooks.example.com/alert?credential=s3cr3t-val', 'hooks.example.com/alert?credential=***'],
    ])('a webhook URL with %s: refused, the value masked and never echoed, with the Secret-based alternative', (_title, url, shown) => {
      const message = thrownMessage(() => Receiver.webhook('ops', { url }));
      expect(message.startsWith(`Receiver 'ops': 'url' (${shown}) must be `)).toBe(true);
      expect(message).not.toContain('s3cr3t');
      expect(message).toMatch(/'urlSecret'/);
    });

    test('the refusal of a credential names the Secret-based alternative', () => {
      expect(() => Receiver.webhook('ops', { url: 'https://hooks.example.com/alert?token=abc' }))
        .toThrow(/^Receiver 'ops': 'url' \(https:\/\/hooks\.example\.com\/alert\?token=\*\*\*\) must be free of credentials: no user name or password, and no query or path parameter named like password, pass, pwd, token, key, secret, auth or credential\. .*put it in a Secret and give it as 'urlSecret'/);
      // Given both ways, the URL is still shown masked.
      expect(thrownMessage(() => Receiver.webhook('ops', { url: 'https://hooks.example.com/?token=hunter2', urlSecret: { secretName: 'hook', key: 'url' } }))).not.toContain('hunter2');
      // Without a value, or under names that are no credential, the URL is accepted.
      expect(Receiver.webhook('ops', { url: 'https://hooks.example.com/alert?token=&team=ops&channel=video' }).webhookOptions?.url).toBeDefined();
      expect(Receiver.webhook('ops', { urlSecret: { secretName: 'hook', key: 'url' } }).secretKeys).toEqual([{ secretName: 'hook', key: 'url' }]);
    });

    test('a rule whose expression does not parse, given to addRules()', () => {
      const chart = testChart();
      const bundle = new MonitoringBundle(chart, 'monitoring', { receivers: [OPS] });
      expect(() => bundle.addRules({ toRuleGroups: () => [group('broken', 'rate(up[5m]')] }))
        .toThrow(/MonitoringBundle 'monitoring': 'groups\.broken\.alerts\[0\]\.expr' \(rate\(up\[5m\]\) must be valid PromQL \(does not parse as PromQL: syntax error/);
    });

    test('a rule whose expression does not parse, on a watched component, at once and registering nothing', () => {
      const chart = testChart();
      const bundle = new MonitoringBundle(chart, 'monitoring', { receivers: [OPS] });
      const dcgm = new Component(chart, 'dcgm', target('dcgm-exporter'), [group('dcgm', 'sum(')]);
      expect(() => bundle.watch(dcgm)).toThrow(/^MonitoringBundle 'monitoring': 'groups\.dcgm\.alerts\[0\]\.expr' \(sum\(\) must be valid PromQL/);
      expect(job(synthValid(chart), 'dcgm-exporter')).toBeUndefined();
    });

    test('badly named rules', () => {
      const chart = testChart();
      const bundle = new MonitoringBundle(chart, 'monitoring', { receivers: [OPS] });
      const badAlert: RuleGroup = { name: 'g', alerts: [{ ...group('g').alerts![0], alert: 'camera_down' }] };
      expect(() => bundle.addRules({ toRuleGroups: () => [badAlert] })).toThrow(/'groups\.g\.alerts\[0\]\.alert' \(camera_down\) must be a PascalCase alert name/);
      const badRecord: RuleGroup = { name: 'g', recordings: [{ record: 'camera_up', expr: 'up' }] };
      expect(() => bundle.addRules({ toRuleGroups: () => [badRecord] })).toThrow(/'groups\.g\.recordings\[0\]\.record' \(camera_up\) must be named level:metric:operations/);
      expect(() => bundle.addRules({ toRuleGroups: () => [group('Ingest Rules')] })).toThrow(/'groups\[\]\.name' \(Ingest Rules\) must be a DNS-1123 subdomain/);
    });

    test('two targets with the same job name, at once, naming both', () => {
      const chart = testChart();
      const bundle = new MonitoringBundle(chart, 'monitoring', { receivers: [OPS] });
      bundle.watch(new Component(chart, 'gpu-a', target('gpu')));
      expect(() => bundle.watch(new Component(chart, 'gpu-b', target('gpu'))))
        .toThrow(/^MonitoringBundle 'monitoring': 'jobName' \(gpu\) must be unique in the platform, but 'test\/gpu-a' and 'test\/gpu-b' both use it\. Rename the job of one of them\./);
      expect(() => bundle.scrape({ toScrapeTarget: () => target('gpu') }))
        .toThrow(/'jobName' \(gpu\) must be unique in the platform, but 'test\/gpu-a' and a target passed to scrape\(\) both use it/);
    });

    test('a target that takes a built-in job name', () => {
      expect(() => synthBundle({}, (scope, bundle) => bundle.watch(new Component(scope, 'kubelet-exporter', target('kubelet')))))
        .toThrow(/'jobName' \(kubelet\) must be unique in the platform, but MonitoringBundle 'monitoring' \(built-in\) and '[^']*kubelet-exporter' both use it/);
    });

    test('a rule group too big for a ConfigMap, naming the group and the fix', () => {
      const huge: RuleGroup = {
        name: 'huge',
        recordings: Array.from({ length: 9000 }, (_, i) => ({ record: 'job:camera:info', expr: 'vector(1)', labels: { name: `camera-${i}`, site: 'x'.repeat(80) } })),
      };
      expect(() => synthBundle({}, (_scope, bundle) => bundle.addRules({ toRuleGroups: () => [huge] })))
        .toThrow(/MonitoringBundle 'monitoring': 'groups\.huge' \(\d+ bytes\) must be a rule file of at most 1048576 bytes, the data a ConfigMap holds\. Split the rule group into smaller groups\./);
    });

    test('two rule groups with the same name, at once, and the second component is not scraped either', () => {
      const chart = testChart();
      const bundle = new MonitoringBundle(chart, 'monitoring', { receivers: [OPS] });
      bundle.watch(new Component(chart, 'a', target('a'), [group('shared')]));
      expect(() => bundle.watch(new Component(chart, 'b', target('b'), [group('shared')])))
        .toThrow(/'groups\[\]\.name' \(shared\) must be unique in the platform, but 'test\/a' and 'test\/b' both use it\. Rename one of the rule groups\./);
      expect(() => bundle.addRules({ toRuleGroups: () => [group('platform-node')] }))
        .toThrow(/'groups\[\]\.name' \(platform-node\) must be unique in the platform, but MonitoringBundle 'monitoring' \(platform rules\) and a source passed to addRules\(\) both use it/);
      expect(job(synthValid(chart), 'b')).toBeUndefined();
    });

    test('registrations after the app is synthesized, which would be lost', () => {
      const chart = testChart();
      const bundle = new MonitoringBundle(chart, 'monitoring', { receivers: [OPS] });
      Testing.synth(chart);
      const late = new Component(chart, 'late', target('late'), [group('late')]);
      expect(() => bundle.watch(late)).toThrow(/^MonitoringBundle 'monitoring': 'watch' \(after synthesis\) must be called before the app is synthesized\./);
      expect(() => bundle.scrape(late)).toThrow(/'scrape' \(after synthesis\) must be called before the app is synthesized/);
      expect(() => bundle.addRules(late)).toThrow(/'addRules' \(after synthesis\) must be called before the app is synthesized/);
    });

    test('a Prometheus URL in standalone mode, or one that is not a URL', () => {
      expect(() => synthBundle({ prometheusUrl: 'http://prometheus.example:9090' }))
        .toThrow(/^MonitoringBundle 'monitoring': 'prometheusUrl' \(http:\/\/prometheus\.example:9090\) must be left out in standalone mode/);
      expect(() => new MonitoringBundle(testChart(), 'monitoring', { mode: MonitoringMode.OPERATOR, prometheusUrl: 'prometheus:9090' }))
        .toThrow(/^MonitoringBundle 'monitoring': 'prometheusUrl' \(prometheus:9090\) must be an http or https URL/);
    });

    test('a target that Prometheus or the API server would refuse', () => {
      const chart = testChart();
      const bundle = new MonitoringBundle(chart, 'monitoring', { receivers: [OPS] });
      expect(() => bundle.scrape({ toScrapeTarget: () => target('x', { portName: 'metrics_port' }) })).toThrow(/'targets\.x\.portName' \(metrics_port\) must be a container port name/);
      expect(() => bundle.scrape({ toScrapeTarget: () => target('x', { podSelector: {} }) })).toThrow(/'targets\.x\.podSelector' \(\{\}\) must be at least one label/);
    });
  });
});

function bundleUrl(): string | undefined {
  return new MonitoringBundle(testChart(), 'monitoring', { receivers: [OPS] }).prometheusUrl;
}

describe('MonitoringBundle, operator mode', () => {
  function ingestComponent(scope: Construct): Component {
    const ingestTarget = target('ingest', { podSelector: { 'app.kubernetes.io/instance': 'ingest' }, port: 9998, interval: Duration.seconds(30) });
    return new Component(scope, 'ingest', ingestTarget, ingestRuleGroups(ingestTarget, { cameras: [{ id: 'cam-1', url: 'rtsp://10.0.0.1/live', labels: { site: 'dock' } }] }));
  }

  function synthOperator(props: MonitoringBundleProps = {}): KubeObject[] {
    const chart = testChart();
    const bundle = new MonitoringBundle(chart, 'monitoring', { mode: MonitoringMode.OPERATOR, operatorSelectorLabels: { release: 'kube-prometheus-stack' }, ...props });
    bundle.watch(ingestComponent(chart));
    return synthValid(chart);
  }

  test('snapshot: PodMonitors, PrometheusRules and a dashboard ConfigMap, and no workloads', () => {
    const objects = synthOperator();
    expect(objects).toMatchSnapshot();
    expect(objects.map((o) => `${o.kind}/${o.metadata.name}`)).toEqual([
      'ConfigMap/video-analytics-dashboard', 'PodMonitor/ingest', 'PrometheusRule/ingest-streams',
    ]);
  });

  test('a PodMonitor per target, with the same job label as in standalone mode', () => {
    const monitor = findObject(synthOperator(), 'PodMonitor', 'ingest');
    expect(monitor.metadata).toEqual(expect.objectContaining({ namespace: 'monitoring', labels: expect.objectContaining({ release: 'kube-prometheus-stack' }) }));
    expect(monitor.spec).toEqual({
      namespaceSelector: { matchNames: [NS] },
      selector: { matchLabels: { 'app.kubernetes.io/instance': 'ingest' } },
      podMetricsEndpoints: [{
        port: 'metrics', path: '/metrics', interval: '30s',
        relabelings: [
          { action: 'replace', targetLabel: 'job', replacement: 'ingest' },
          { action: 'replace', sourceLabels: ['__meta_kubernetes_pod_node_name'], targetLabel: 'node' },
        ],
      }],
    });
  });

  test('a PrometheusRule per rule group; the dashboard for the Grafana sidecar', () => {
    const objects = synthOperator();
    const rule = findObject(objects, 'PrometheusRule', 'ingest-streams');
    expect(rule.spec.groups[0].rules.map((r: any) => r.alert ?? r.record)).toEqual([
      CAMERA_INFO_RECORD, 'job_name:paths_ready:max', 'job_name:paths_inbound_bytes:rate5m', 'job_name:paths_inbound_frames_in_error:rate5m',
      'CameraStreamDown', 'CameraPacketLoss', 'IngestShardNotReady', 'IngestShardDegraded',
    ]);
    expect(rule.spec.groups[0].rules[0].labels).toEqual({ site: 'dock', job: 'ingest', namespace: NS, name: 'cam-1' });
    const dashboard = findObject(objects, 'ConfigMap', 'video-analytics-dashboard');
    expect(dashboard.metadata.labels.grafana_dashboard).toBe('1');
    expect(JSON.parse(dashboard.data['video-analytics.json']).templating.list[0]).toEqual(expect.objectContaining({ type: 'datasource', query: 'prometheus' }));
  });

  test('runbookBaseUrl applies to PrometheusRules too', () => {
    const rule = findObject(synthOperator({ runbookBaseUrl: 'https://wiki.example.com/runbooks' }), 'PrometheusRule', 'ingest-streams');
    const links = rule.spec.groups[0].rules.filter((r: any) => r.alert).map((r: any) => r.annotations.runbook_url);
    expect(links).toEqual(['camerastreamdown', 'camerapacketloss', 'ingestshardnotready', 'ingestshardDegraded'.toLowerCase()].map((a) => `https://wiki.example.com/runbooks#${a}`));
  });

  test('platform rules are opt-in, as the operator stack ships the same alerts', () => {
    const objects = synthOperator({ platformRules: true });
    // In the order they were registered: the platform's with the bundle, then the watched component's.
    expect(objectsOfKind(objects, 'PrometheusRule').map((r) => r.metadata.name)).toEqual([
      'platform-kubernetes', 'platform-node', 'platform-prometheus', 'ingest-streams',
    ]);
  });

  test('each PodMonitor and PrometheusRule exists as soon as its target is watched; synthesis adds nothing and gives the same output twice', () => {
    const chart = testChart();
    const bundle = new MonitoringBundle(chart, 'monitoring', { mode: MonitoringMode.OPERATOR });
    bundle.watch(ingestComponent(chart));
    const added = (): string[] => bundle.node.children.filter((c): c is ApiObject => c instanceof ApiObject).map((o) => `${o.kind}/${o.name}`);
    expect(added()).toEqual(['ConfigMap/video-analytics-dashboard', 'PodMonitor/ingest', 'PrometheusRule/ingest-streams']);
    const first = Testing.synth(chart);
    expect(added()).toHaveLength(3);
    expect(Testing.synth(chart)).toEqual(first);
  });

  test('standalone settings are refused rather than silently ignored', () => {
    expect(() => synthOperator({ receivers: [OPS] })).toThrow(/'receivers' \(set\) must be left out in operator mode/);
    expect(() => synthOperator({ retention: Duration.days(1) })).toThrow(/'retention' \(set\) must be left out in operator mode/);
    expect(() => synthOperator({ prometheusReplicas: 1 })).toThrow(/'prometheusReplicas' \(set\) must be left out in operator mode/);
    expect(() => synthOperator({ grafanaReplicas: 2 })).toThrow(/'grafanaReplicas' \(set\) must be left out in operator mode/);
    const bundle = new MonitoringBundle(testChart(), 'm', { mode: MonitoringMode.OPERATOR });
    expect(bundle.prometheusUrl).toBeUndefined();
    expect(bundle.footprint.requests).toEqual({ cpu: Cpu.millis(0), memory: Size.mebibytes(0) });
  });
});

describe('MonitoringBundle: fixed in #8', () => {
  test.each<[string, MonitoringBundleProps, RegExp]>([
    ['a node network with octets above 255', { nodeNetworks: ['999.1.1.1/24'] }, /^MonitoringBundle 'monitoring': 'nodeNetworks' \(999\.1\.1\.1\/24\) must be a CIDR/],
    ['a node network with a prefix above 32', { nodeNetworks: ['10.0.0.0/33'] }, /^MonitoringBundle 'monitoring': 'nodeNetworks' \(10\.0\.0\.0\/33\) must be a CIDR/],
    ['a storage class the API server refuses', { storageClassName: 'Local Path' }, /^MonitoringBundle 'monitoring': 'storageClassName' \(Local Path\) must be a StorageClass name/],
    ['a Grafana password key the API server refuses', { grafanaAdminPassword: { secretName: 'grafana', key: '..data' } }, /^MonitoringBundle 'monitoring': 'grafanaAdminPassword\.key' \(\.\.data\) must be a Secret data key/],
  ])('refuses %s', (_title, props, message) => {
    expect(() => new MonitoringBundle(testChart(), 'monitoring', { receivers: [OPS], ...props })).toThrow(message);
  });

  test.each<[string, () => Receiver, RegExp]>([
    ['an SMTP port above 65535, which would make an invalid NetworkPolicy', () => Receiver.email('mail', { to: 'a@example.com', from: 'b@example.com', smarthost: 'smtp.example.com:99999' }),
      /^Receiver 'mail': 'smarthost' \(smtp\.example\.com:99999\) must be a host and port/],
    ['a Secret key of ..', () => Receiver.webhook('hook', { url: 'https://alerts.example.com/', bearerTokenSecret: { secretName: 'hook', key: '..' } }),
      /^Receiver 'hook': 'bearerTokenSecret\.key' \(\.\.\) must be a Secret data key/],
  ])('Receiver refuses %s', (_title, build, message) => {
    expect(build).toThrow(message);
  });
});

describe('MonitoringBundle.watch: the links of a watched component', () => {
  /** A metrics exporter in its own namespace, with its NetworkPolicy. */
  class Exporter extends Construct implements IScrapeTarget, IConnectable {
    public readonly connections = new Connections({ ownerKind: 'Exporter', name: 'dcgm', namespace: 'gpu', podSelector: { app: 'dcgm' } });

    constructor(scope: Construct, id: string) {
      super(scope, id);
      this.connections.addPolicy(this, 'network-policy', { name: 'dcgm', namespace: 'gpu' });
    }

    public toScrapeTarget(): ScrapeTarget {
      return target('dcgm', { namespace: 'gpu', podSelector: { app: 'dcgm' } });
    }
  }

  /** The exporter's pods, as the network model reads a workload. */
  const EXPORTER_PODS: KubeObject = {
    apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'dcgm', namespace: 'gpu' },
    spec: { template: { metadata: { labels: { app: 'dcgm' } }, spec: { containers: [{ name: 'dcgm', ports: [{ name: 'metrics', containerPort: 9400 }] }] } } },
  };

  test('a component in another namespace admits exactly the Prometheus pods of the bundle, and Prometheus may reach it', () => {
    const chart = testChart();
    new PlatformNamespace(chart, 'gpu-namespace', { name: 'gpu' });
    const bundle = new MonitoringBundle(chart, 'monitoring', { receivers: [OPS] });
    bundle.watch(new Exporter(chart, 'dcgm'));
    const objects = synthValid(chart);
    const prometheusPods = findObject(objects, 'StatefulSet', 'prometheus').spec.selector.matchLabels;
    expect(findObject(objects, 'NetworkPolicy', 'dcgm', 'gpu').spec.ingress).toEqual([{
      from: [{ podSelector: { matchLabels: prometheusPods }, namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } } }],
      ports: [{ protocol: 'TCP', port: 9400 }],
    }]);
    expect(findObject(objects, 'NetworkPolicy', 'prometheus', 'monitoring').spec.egress).toContainEqual({
      to: [{ podSelector: { matchLabels: { app: 'dcgm' } }, namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'gpu' } } }],
      ports: [{ protocol: 'TCP', port: 9400 }],
    });

    const model = new NetworkModel([...objects, EXPORTER_PODS]);
    const dcgm = model.group('gpu', 'dcgm');
    expect(model.allows({ from: model.group('monitoring', 'prometheus'), to: dcgm, port: 9400 })).toBe(true);
    for (const other of ['grafana', 'alertmanager', 'kube-state-metrics']) {
      expect({ other, allowed: model.allows({ from: model.group('monitoring', other), to: dcgm, port: 9400 }) }).toEqual({ other, allowed: false });
    }
  });

  test('a component whose pods take link labels is reached by the label the link puts on them, one peer per namespace and port', () => {
    const chart = testChart();
    new PlatformNamespace(chart, 'gpu-namespace', { name: 'gpu' });
    const bundle = new MonitoringBundle(chart, 'monitoring', { receivers: [OPS] });
    const exporter = new Exporter(chart, 'dcgm');
    const podLabels: Record<string, string> = { app: 'dcgm' };
    exporter.connections.labelPods(podLabels);
    bundle.watch(exporter);
    const objects = synthValid(chart);
    expect(podLabels).toEqual({ 'app': 'dcgm', 'video-analytics.io/scraped-by-prometheus': 'monitoring.9400' });
    expect(findObject(objects, 'NetworkPolicy', 'prometheus', 'monitoring').spec.egress).toContainEqual({
      to: [{ podSelector: { matchLabels: { 'video-analytics.io/scraped-by-prometheus': 'monitoring.9400' } }, namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'gpu' } } }],
      ports: [{ protocol: 'TCP', port: 9400 }],
    });

    const pods = { ...EXPORTER_PODS, spec: { template: { ...EXPORTER_PODS.spec.template, metadata: { labels: podLabels } } } };
    const model = new NetworkModel([...objects, pods]);
    const dcgm = model.group('gpu', 'dcgm');
    expect(model.allows({ from: model.group('monitoring', 'prometheus'), to: dcgm, port: 9400 })).toBe(true);
    for (const other of ['grafana', 'alertmanager', 'kube-state-metrics']) {
      expect({ other, allowed: model.allows({ from: model.group('monitoring', other), to: dcgm, port: 9400 }) }).toEqual({ other, allowed: false });
    }
    // Without the label (pods built by something that ignores labelPods), Prometheus may not reach them.
    const unlabelled = new NetworkModel([...objects, EXPORTER_PODS]);
    expect(unlabelled.allows({ from: unlabelled.group('monitoring', 'prometheus'), to: unlabelled.group('gpu', 'dcgm'), port: 9400 })).toBe(false);
  });

  test('in operator mode, the component admits the pods of the operator\'s namespace, whose Prometheus is not modelled', () => {
    const chart = testChart();
    const bundle = new MonitoringBundle(chart, 'monitoring', { mode: MonitoringMode.OPERATOR });
    bundle.watch(new Exporter(chart, 'dcgm'));
    expect(findObject(synthValid(chart), 'NetworkPolicy', 'dcgm', 'gpu').spec.ingress).toEqual([{
      from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } } }],
      ports: [{ protocol: 'TCP', port: 9400 }],
    }]);
  });

  /** An autoscaled component: its KEDA trigger queries the Prometheus of the monitoring that watches it. */
  class Autoscaled extends Construct implements IScrapeTarget, IPrometheusClient {
    public readonly endpoints: PrometheusEndpoint[] = [];
    private readonly link = new PrometheusLink('Autoscaled', 'detector', 'prometheusUrl');

    constructor(scope: Construct, id: string) {
      super(scope, id);
      this.node.addValidation({ validate: () => this.link.problems() });
    }

    public toScrapeTarget(): ScrapeTarget {
      return target('detector');
    }

    public usePrometheus(endpoint: PrometheusEndpoint): void {
      this.endpoints.push(endpoint);
      this.link.use(endpoint);
    }
  }

  test('an autoscaled component gets the URL of the standalone Prometheus', () => {
    const chart = testChart();
    const bundle = new MonitoringBundle(chart, 'monitoring', { receivers: [OPS] });
    const detector = new Autoscaled(chart, 'detector');
    bundle.watch(detector);
    expect(detector.endpoints).toEqual([{ url: 'http://prometheus.monitoring.svc.cluster.local:9090', owner: "MonitoringBundle 'monitoring'" }]);
    synthValid(chart);
  });

  test('in operator mode, the URL of the operator\'s Prometheus if given; without it nothing, and the component says what is missing', () => {
    const withUrl = testChart();
    const url = 'http://kube-prometheus-stack-prometheus.monitoring.svc.cluster.local:9090';
    const given = new Autoscaled(withUrl, 'detector');
    new MonitoringBundle(withUrl, 'monitoring', { mode: MonitoringMode.OPERATOR, prometheusUrl: url }).watch(given);
    expect(given.endpoints).toEqual([{ url, owner: "MonitoringBundle 'monitoring'" }]);

    const withoutUrl = testChart();
    const missing = new Autoscaled(withoutUrl, 'detector');
    const bundle = new MonitoringBundle(withoutUrl, 'monitoring', { mode: MonitoringMode.OPERATOR });
    bundle.watch(missing);
    expect(bundle.prometheusUrl).toBeUndefined();
    expect(missing.endpoints).toEqual([]);
    expect(() => Testing.synth(withoutUrl)).toThrow(/Autoscaled 'detector': 'prometheusUrl' \(undefined\) must be the Prometheus that scrapes its scaling metric/);
  });

  test('isRuleSource tells a rule source from a plain target', () => {
    expect(isRuleSource(new Component(testChart(), 'c', target('c')))).toBe(true);
    expect(isRuleSource({ toScrapeTarget: () => target('c') })).toBe(false);
    expect(isRuleSource(undefined)).toBe(false);
  });

  test('at city scale, rule files are packed in arrival order into ConfigMaps of at most 512 KiB of YAML, every file in exactly one, all mounted', () => {
    // 2,000 groups of about 1.6 KiB, as the camera series of 10,000 cameras come in, and a few big ones among them.
    const cameras = (n: number, count: number): RuleGroup => ({
      name: `cameras-${n}`,
      recordings: Array.from({ length: count }, (_, i) => ({ record: 'job:camera:info', expr: 'vector(1)', labels: { name: `camera-${n}-${i}`, site: 'x'.repeat(40) } })),
    });
    const groups = Array.from({ length: 2000 }, (_, n) => cameras(n, n % 500 === 7 ? 1500 : 10));
    const { objects } = synthBundle({}, (_scope, bundle) => {
      for (let i = 0; i < groups.length; i += 100) bundle.addRules({ toRuleGroups: () => groups.slice(i, i + 100) });
    });
    const maps = objectsOfKind(objects, 'ConfigMap').filter((o) => /^prometheus-rules(-\d+)?$/.test(o.metadata.name));
    expect(maps.length).toBeGreaterThan(2);
    expect(maps.map((o) => o.metadata.name)).toEqual(maps.map((_, i) => (i === 0 ? 'prometheus-rules' : `prometheus-rules-${i}`)));
    for (const map of maps) {
      expect({ map: map.metadata.name, yaml: Buffer.byteLength(Yaml.stringify(map)) <= 512 * 1024 }).toEqual({ map: map.metadata.name, yaml: true });
      expect(Object.values(map.data as Record<string, string>).reduce((sum, text) => sum + Buffer.byteLength(text), 0)).toBeLessThanOrEqual(MAX_DATA_BYTES);
    }
    const files = maps.flatMap((o) => Object.keys(o.data));
    const expected = [...groups.map((g) => g.name), 'platform-kubernetes', 'platform-node', 'platform-prometheus'].map((name) => `${name}.rules.yaml`);
    expect(files.sort()).toEqual(expected.sort());
    // Greedy in arrival order: a ConfigMap is started only when the next file would take the YAML
    // of the files of the one before past the limit (counted as cdk8s writes them, under `data:`).
    const filesYaml = (data: Record<string, string>): number => Buffer.byteLength(Yaml.stringify({ data })) - 'data:\n'.length;
    const firstOf = (map: KubeObject): string => `cameras-${Math.min(...Object.keys(map.data).filter((f) => f.startsWith('cameras-')).map((f) => Number(f.split('-')[1].split('.')[0])))}.rules.yaml`;
    for (let i = 1; i < maps.length; i++) {
      const opener = firstOf(maps[i]);
      expect(filesYaml(maps[i - 1].data)).toBeLessThanOrEqual(RULE_CONFIG_MAP_BYTES);
      expect(filesYaml({ ...maps[i - 1].data, [opener]: maps[i].data[opener] })).toBeGreaterThan(RULE_CONFIG_MAP_BYTES);
    }
    expect(podSpec(objects, 'StatefulSet', 'prometheus').volumes.find((v: any) => v.name === 'rules'))
      .toEqual({ name: 'rules', projected: { sources: maps.map((o) => ({ configMap: { name: o.metadata.name } })) } });
  });

  test('a rule file too big to share a ConfigMap gets one of its own, and no ConfigMap is left empty', () => {
    // About 650 KiB of YAML: over the packing limit, within the 1 MiB a ConfigMap holds.
    const big: RuleGroup = { name: 'big', recordings: Array.from({ length: 5000 }, (_, i) => ({ record: 'job:camera:info', expr: 'vector(1)', labels: { name: `camera-${i}` } })) };
    const small = (name: string): RuleGroup => ({ name, recordings: [{ record: 'job:camera:info', expr: 'vector(1)' }] });
    const { objects } = synthBundle({ platformRules: false }, (_scope, bundle) => {
      bundle.addRules({ toRuleGroups: () => [big, small('after')] });
    });
    const maps = objectsOfKind(objects, 'ConfigMap').filter((o) => /^prometheus-rules(-\d+)?$/.test(o.metadata.name));
    expect(maps.map((o) => [o.metadata.name, Object.keys(o.data)])).toEqual([['prometheus-rules', ['big.rules.yaml']], ['prometheus-rules-1', ['after.rules.yaml']]]);
    expect(Buffer.byteLength(Yaml.stringify(maps[0]))).toBeGreaterThan(RULE_CONFIG_MAP_BYTES);
  });

  test('under a scope\'s settings, every monitoring pod pulls from the mirror with the pull secret, at the platform\'s priority', () => {
    const app = testApp();
    ScopeSettings.apply(app, {
      mirror: 'mirror.example:5000', imagePullSecrets: ['pull'], priorityClasses: { platform: 'p', ingest: 'i', analysis: 'a', batch: 'b' }, clusterDomain: 'edge.internal',
    });
    const chart = new Chart(app, 'test');
    const bundle = new MonitoringBundle(chart, 'monitoring', { receivers: [OPS] });
    const objects = synthValid(chart);
    for (const [kind, name] of WORKLOADS) {
      const pod = podSpec(objects, kind, name);
      expect({ name, imagePullSecrets: pod.imagePullSecrets, priorityClassName: pod.priorityClassName }).toEqual({ name, imagePullSecrets: [{ name: 'pull' }], priorityClassName: 'p' });
      for (const container of [...pod.containers, ...(pod.initContainers ?? [])]) expect(container.image).toMatch(/^mirror\.example:5000\//);
    }
    expect(podSpec(objects, 'Deployment', 'grafana').containers[0].image).toBe('mirror.example:5000/grafana/grafana:11.2.0');
    // The scope's cluster domain, in every in-cluster address the bundle writes.
    expect(bundle.prometheusUrl).toBe('http://prometheus.monitoring.svc.edge.internal:9090');
    expect(findObject(objects, 'StatefulSet', 'alertmanager').spec.template.spec.containers[0].args).toContain('--cluster.peer=alertmanager-0.alertmanager-cluster.monitoring.svc.edge.internal:9094');
  });
});
