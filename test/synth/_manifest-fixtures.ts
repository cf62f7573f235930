// Objects for the validator's tests: valid ones of every kind the library emits, and known-bad
// ones with exactly one defect each. Shared by the validator's own tests and by the tests that
// the fast path (objects) and the plugin (files) give the same verdicts.
import { ValidationRule } from '../../lib';

export type Obj = { [key: string]: any };

export function deployment(): Obj {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'helmet', namespace: 'analytics', labels: { 'app.kubernetes.io/name': 'helmet' } },
    spec: {
      replicas: 2,
      selector: { matchLabels: { 'app.kubernetes.io/name': 'helmet' } },
      template: {
        metadata: { labels: { 'app.kubernetes.io/name': 'helmet' } },
        spec: {
          containers: [{
            name: 'detector',
            image: 'example/detector:1.0.0',
            ports: [{ name: 'http', containerPort: 8080 }],
            resources: { requests: { cpu: '250m', memory: '256Mi' }, limits: { cpu: '1', memory: '512Mi', 'nvidia.com/gpu': '1' } },
          }],
        },
      },
    },
  };
}

export function prometheusRule(expr: string): Obj {
  return {
    apiVersion: 'monitoring.coreos.com/v1',
    kind: 'PrometheusRule',
    metadata: { name: 'ingest-rules', namespace: 'analytics' },
    spec: { groups: [{ name: 'ingest', rules: [{ alert: 'CameraStreamDown', expr, for: '5m', labels: { severity: 'critical' } }] }] },
  };
}

export function scaledObject(query: string): Obj {
  return {
    apiVersion: 'keda.sh/v1alpha1',
    kind: 'ScaledObject',
    metadata: { name: 'helmet', namespace: 'analytics' },
    spec: {
      scaleTargetRef: { name: 'helmet' },
      minReplicaCount: 2,
      maxReplicaCount: 10,
      triggers: [{ type: 'prometheus', metadata: { serverAddress: 'http://prometheus:9090', query, threshold: '10' } }],
    },
  };
}

/** A minimal valid object of every CRD kind the library emits. */
export const VALID_CUSTOM_RESOURCES: Obj[] = [
  prometheusRule('sum(rate(mediamtx_paths_inbound_bytes[5m])) by (site) == 0'),
  scaledObject('sum(nv_inference_pending_request_count{pool="yolo"})'),
  { apiVersion: 'monitoring.coreos.com/v1', kind: 'ServiceMonitor', metadata: { name: 'ingest', namespace: 'analytics' },
    spec: { selector: { matchLabels: { app: 'mediamtx' } }, endpoints: [{ port: 'metrics', interval: '30s' }] } },
  { apiVersion: 'monitoring.coreos.com/v1', kind: 'PodMonitor', metadata: { name: 'ingest', namespace: 'analytics' },
    spec: { selector: { matchLabels: { app: 'mediamtx' } }, podMetricsEndpoints: [{ port: 'metrics' }] } },
  { apiVersion: 'helm.cattle.io/v1', kind: 'HelmChart', metadata: { name: 'keda', namespace: 'kube-system' },
    spec: { chart: 'keda', repo: 'https://kedacore.github.io/charts', version: '2.17.0', targetNamespace: 'keda', createNamespace: true, valuesContent: 'a: 1\n' } },
  { apiVersion: 'helm.cattle.io/v1', kind: 'HelmChartConfig', metadata: { name: 'traefik', namespace: 'kube-system' },
    spec: { valuesContent: 'b: 2\n' } },
  { apiVersion: 'upgrade.cattle.io/v1', kind: 'Plan', metadata: { name: 'server-plan', namespace: 'system-upgrade' },
    spec: { concurrency: 1, serviceAccountName: 'system-upgrade', version: 'v1.30.4+k3s1', cordon: true, upgrade: { image: 'rancher/k3s-upgrade' },
      nodeSelector: { matchExpressions: [{ key: 'node-role.kubernetes.io/control-plane', operator: 'In', values: ['true'] }] } } },
  { apiVersion: 'argoproj.io/v1alpha1', kind: 'Application', metadata: { name: 'video-analytics', namespace: 'argocd' },
    spec: { project: 'default', source: { repoURL: 'https://git.example.com/platform.git', path: 'dist', targetRevision: 'main' },
      destination: { server: 'https://kubernetes.default.svc' }, syncPolicy: { syncOptions: ['ServerSideApply=true'] } } },
];

/** GIVEN one object with one known defect, THEN exactly that rule fires at that path, naming the object. */
export interface KnownBad {
  readonly title: string;
  readonly object: () => Obj;
  readonly rule: ValidationRule;
  readonly path: string;
  readonly message: RegExp;
}

export const KNOWN_BAD: KnownBad[] = [
  {
    title: 'a misspelled field in a core kind (spec.replica)',
    object: () => { const d = deployment(); d.spec.replica = 3; return d; },
    rule: ValidationRule.UNKNOWN_FIELD, path: 'spec.replica', message: /unknown field/,
  },
  {
    title: 'an unknown field deep in a pod template',
    object: () => { const d = deployment(); d.spec.template.spec.containers[0].imagePullPolicyy = 'Always'; return d; },
    rule: ValidationRule.UNKNOWN_FIELD, path: 'spec.template.spec.containers[0].imagePullPolicyy', message: /unknown field/,
  },
  {
    title: 'an unknown field in metadata',
    object: () => { const d = deployment(); d.metadata.label = { a: 'b' }; return d; },
    rule: ValidationRule.UNKNOWN_FIELD, path: 'metadata.label', message: /unknown field/,
  },
  {
    title: 'a missing required field (container image is optional, but selector is not)',
    object: () => { const d = deployment(); delete d.spec.selector; return d; },
    rule: ValidationRule.SCHEMA, path: 'spec', message: /required field 'selector'/,
  },
  {
    title: 'a wrong type (replicas as a string)',
    object: () => { const d = deployment(); d.spec.replicas = 'two'; return d; },
    rule: ValidationRule.SCHEMA, path: 'spec.replicas', message: /type/,
  },
  {
    title: 'a fractional integer field',
    object: () => { const d = deployment(); d.spec.template.spec.containers[0].ports[0].containerPort = 80.5; return d; },
    rule: ValidationRule.SCHEMA, path: 'spec.template.spec.containers[0].ports[0].containerPort', message: /integer/,
  },
  {
    title: 'a malformed quantity',
    object: () => { const d = deployment(); d.spec.template.spec.containers[0].resources.limits.memory = '512 MB'; return d; },
    rule: ValidationRule.SCHEMA, path: 'spec.template.spec.containers[0].resources.limits.memory', message: /quantity/,
  },
  {
    title: 'an enum value the API does not know',
    object: () => { const d = deployment(); d.spec.template.spec.containers[0].ports[0].protocol = 'HTTP'; return d; },
    rule: ValidationRule.SCHEMA, path: 'spec.template.spec.containers[0].ports[0].protocol', message: /one of/,
  },
  {
    title: 'a wrong apiVersion for a known kind',
    object: () => ({ ...deployment(), apiVersion: 'apps/v1beta1' }),
    rule: ValidationRule.UNKNOWN_KIND, path: '', message: /apps\/v1beta1/,
  },
  {
    title: 'a kind nobody declared',
    object: () => ({ apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w' } }),
    rule: ValidationRule.UNKNOWN_KIND, path: '', message: /no schema is known/,
  },
  {
    title: 'an unknown field in a custom resource (PrometheusRule)',
    object: () => { const r = prometheusRule('up == 0'); r.spec.groups[0].rules[0].severity = 'critical'; return r; },
    rule: ValidationRule.UNKNOWN_FIELD, path: 'spec.groups[0].rules[0].severity', message: /unknown field/,
  },
  {
    title: 'an unknown field at the top of a custom resource spec (ScaledObject)',
    object: () => { const s = scaledObject('up'); s.spec.minReplicas = 2; return s; },
    rule: ValidationRule.UNKNOWN_FIELD, path: 'spec.minReplicas', message: /unknown field/,
  },
  {
    title: 'a missing required field in a custom resource (ScaledObject without triggers)',
    object: () => { const s = scaledObject('up'); delete s.spec.triggers; return s; },
    rule: ValidationRule.SCHEMA, path: 'spec', message: /required field 'triggers'/,
  },
  {
    title: 'a wrong type in a custom resource (HelmChart createNamespace as a string)',
    object: () => ({ ...VALID_CUSTOM_RESOURCES[4], spec: { chart: 'keda', createNamespace: 'yes' } }),
    rule: ValidationRule.SCHEMA, path: 'spec.createNamespace', message: /boolean/,
  },
  {
    title: 'an enum violation in a custom resource (HelmChart failurePolicy)',
    object: () => ({ ...VALID_CUSTOM_RESOURCES[4], spec: { chart: 'keda', failurePolicy: 'explode' } }),
    rule: ValidationRule.SCHEMA, path: 'spec.failurePolicy', message: /one of "abort", "reinstall", "retry"/,
  },
  {
    title: 'an unknown field in the metadata of a custom resource',
    object: () => ({ ...VALID_CUSTOM_RESOURCES[7], metadata: { name: 'a', namespace: 'argocd', annotation: {} } }),
    rule: ValidationRule.UNKNOWN_FIELD, path: 'metadata.annotation', message: /unknown field/,
  },
  {
    title: 'an object name with capitals',
    object: () => { const d = deployment(); d.metadata.name = 'Helmet'; return d; },
    rule: ValidationRule.NAME, path: 'metadata.name', message: /DNS-1123 subdomain/,
  },
  {
    title: 'a Service name that starts with a digit (DNS-1035)',
    object: () => ({ apiVersion: 'v1', kind: 'Service', metadata: { name: '1-ingest', namespace: 'a' }, spec: { ports: [{ name: 'rtsp', port: 8554 }] } }),
    rule: ValidationRule.NAME, path: 'metadata.name', message: /DNS-1035/,
  },
  {
    title: 'a namespace name longer than 63 characters',
    object: () => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'n'.repeat(64) } }),
    rule: ValidationRule.NAME, path: 'metadata.name', message: /63 characters/,
  },
  {
    title: 'an object without a name',
    object: () => { const d = deployment(); delete d.metadata.name; return d; },
    rule: ValidationRule.NAME, path: 'metadata.name', message: /needs a name/,
  },
  {
    title: 'a container port name longer than 15 characters',
    object: () => { const d = deployment(); d.spec.template.spec.containers[0].ports[0].name = 'inference-metrics'; return d; },
    rule: ValidationRule.NAME, path: 'spec.template.spec.containers[0].ports[0].name', message: /15 characters/,
  },
  {
    title: 'a label key with two slashes',
    object: () => { const d = deployment(); d.metadata.labels['example.com/site/a'] = 'x'; return d; },
    rule: ValidationRule.LABEL, path: 'metadata.labels', message: /at most one '\/'/,
  },
  {
    title: 'a label value with a space, in a pod template',
    object: () => { const d = deployment(); d.spec.template.metadata.labels.site = 'north gate'; return d; },
    rule: ValidationRule.LABEL, path: 'spec.template.metadata.labels.site', message: /label value 'north gate'/,
  },
  {
    title: 'a selector label value longer than 63 characters',
    object: () => { const d = deployment(); d.spec.selector.matchLabels.x = 'v'.repeat(64); return d; },
    rule: ValidationRule.LABEL, path: 'spec.selector.matchLabels.x', message: /63 characters/,
  },
  {
    title: 'an alert expression that does not parse',
    object: () => prometheusRule('sum(rate(mediamtx_paths_inbound_bytes[5m]) by (site)'),
    rule: ValidationRule.PROMQL, path: 'spec.groups[0].rules[0].expr', message: /does not parse as PromQL/,
  },
  {
    title: 'a KEDA Prometheus trigger query that does not parse',
    object: () => scaledObject('nv_inference_pending_request_count >'),
    rule: ValidationRule.PROMQL, path: 'spec.triggers[0].metadata.query', message: /does not parse as PromQL/,
  },
  {
    title: 'a rule file embedded in a ConfigMap with an expression that does not parse',
    object: () => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'rules', namespace: 'monitoring' },
      data: { 'platform.rules.yaml': 'groups:\n  - name: platform\n    rules:\n      - record: job:up:sum\n        expr: sum(up) by job\n' } }),
    rule: ValidationRule.PROMQL, path: "data['platform.rules.yaml'].groups[0].rules[0].expr", message: /does not parse as PromQL/,
  },
  {
    title: 'a ConfigMap whose data is over 1 MiB',
    object: () => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'big', namespace: 'monitoring' },
      data: { 'a.txt': 'a'.repeat(600 * 1024), 'b.txt': 'b'.repeat(449 * 1024) } }),
    rule: ValidationRule.SIZE, path: 'data', message: /holds 1,074,176 bytes, over the API server's limit of 1,048,576 bytes/,
  },
  {
    title: 'a Secret whose decoded data is over 1 MiB',
    object: () => ({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'big', namespace: 'monitoring' },
      data: { blob: Buffer.alloc(1024 * 1024 + 1).toString('base64') } }),
    rule: ValidationRule.SIZE, path: 'data', message: /holds 1,048,577 bytes/,
  },
  {
    title: 'a dashboard query embedded in a ConfigMap that does not parse',
    object: () => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'dash', namespace: 'monitoring' },
      data: { 'platform.json': JSON.stringify({ panels: [{ title: 'streams', targets: [{ expr: 'sum(paths{state="ready"}' }] }] }) } }),
    rule: ValidationRule.PROMQL, path: "data['platform.json'].panels[0].targets[0].expr", message: /does not parse as PromQL/,
  },
];
