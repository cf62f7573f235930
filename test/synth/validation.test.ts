import * as fs from 'fs';
import Ajv from 'ajv';
import * as path from 'path';
import { ManifestValidator, ValidationRule, Violation } from '../../lib';
import { formatViolation } from '../../lib/synth/validation/violation';
import { promqlSyntaxError } from '../../lib/synth/validation/_promql-rules';
import { compileAtRunTime } from '../../lib/synth/validation/_schema-rules';
import { COMPILED_VALIDATORS_FILE, compiledValidatorsSource } from '../../scripts/generate-validators';

type Obj = { [key: string]: any };

function deployment(): Obj {
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

function prometheusRule(expr: string): Obj {
  return {
    apiVersion: 'monitoring.coreos.com/v1',
    kind: 'PrometheusRule',
    metadata: { name: 'ingest-rules', namespace: 'analytics' },
    spec: { groups: [{ name: 'ingest', rules: [{ alert: 'CameraStreamDown', expr, for: '5m', labels: { severity: 'critical' } }] }] },
  };
}

function scaledObject(query: string): Obj {
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
const VALID_CUSTOM_RESOURCES: Obj[] = [
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

function violationsOf(objects: Obj[]): Violation[] {
  return [...ManifestValidator.validateObjects(objects).violations];
}

/** GIVEN one object with one known defect, THEN exactly that rule fires at that path, naming the object. */
interface KnownBad {
  readonly title: string;
  readonly object: () => Obj;
  readonly rule: ValidationRule;
  readonly path: string;
  readonly message: RegExp;
}

const KNOWN_BAD: KnownBad[] = [
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

describe('ManifestValidator', () => {
  test('valid core objects and one valid object of every CRD kind pass', () => {
    const violations = violationsOf([deployment(), ...VALID_CUSTOM_RESOURCES]);
    expect(violations.map(formatViolation)).toEqual([]);
  });

  test.each(KNOWN_BAD)('catches $title', ({ object, rule, path, message }) => {
    const bad = object();
    const violations = violationsOf([bad]);
    const match = violations.find((v) => v.rule === rule && v.path === path);
    expect({ found: match !== undefined, all: violations.map(formatViolation) }).toEqual(expect.objectContaining({ found: true }));
    expect(match!.message).toMatch(message);
    // The violation names the object, so a reader can find it among hundreds.
    expect(match!.object).toEqual(expect.objectContaining({ kind: bad.kind, name: bad.metadata?.name }));
  });

  test('every known-bad object is caught even when mixed with valid ones', () => {
    const objects = [deployment(), ...KNOWN_BAD.map((k) => k.object()), ...VALID_CUSTOM_RESOURCES];
    const result = ManifestValidator.validateObjects(objects);
    expect(result.objectCount).toBe(objects.length);
    for (const known of KNOWN_BAD) {
      expect(result.violations.some((v) => v.rule === known.rule && v.path === known.path)).toBe(true);
    }
  });

  test('data of exactly 1 MiB, counted in UTF-8 bytes, is accepted; one byte more is not', () => {
    const configMap = (text: string): Obj => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'edge', namespace: 'a' }, data: { 'a.txt': text } });
    const euro = '\u20ac'; // three bytes in UTF-8
    expect(violationsOf([configMap('x'.repeat(1024 * 1024 - 3) + euro)])).toEqual([]);
    expect(violationsOf([configMap('x'.repeat(1024 * 1024 - 2) + euro)]).map((v) => v.rule)).toEqual([ValidationRule.SIZE]);
  });

  test('a violation message names kind, namespace, name, path and rule', () => {
    const d = deployment();
    d.spec.replica = 3;
    const [violation] = violationsOf([d]);
    expect(formatViolation(violation)).toBe('Deployment analytics/helmet: spec.replica: unknown field: strict field validation rejects it (unknown-field)');
  });

  test('assertValid throws with every violation listed', () => {
    const d = deployment();
    d.spec.replica = 3;
    d.metadata.name = 'Helmet';
    expect(() => ManifestValidator.assertValid(ManifestValidator.validateObjects([d])))
      .toThrow(/2 manifest violation\(s\) in 1 object\(s\):\n {2}- Deployment analytics\/Helmet: spec.replica[\s\S]*metadata.name/);
  });

  test('keys with dots are quoted in paths', () => {
    const d = deployment();
    d.spec.template.spec.containers[0].resources.limits['nvidia.com/gpu'] = 'one';
    const violations = violationsOf([d]);
    expect(violations.map((v) => v.path)).toContain("spec.template.spec.containers[0].resources.limits['nvidia.com/gpu']");
  });

  describe('YAML 1.1 meaning', () => {
    const configMap = (value: string) => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n  namespace: analytics\ndata:\n${value}\n`;

    test.each([
      ['enabled: on', 'data.enabled', /"on" is read as true/],
      ['answer: y', 'data.answer', /"y" is read as true/],
      ['mode: 0755', 'data.mode', /755 is read as 493/],
      ['window: 1:30', 'data.window', /"1:30" is read as 90/],
      ['on: x', 'data.on', /key "on" is read as a different key \("true"\)/],
    ])('catches an unquoted %s', (line, path, message) => {
      const { violations } = ManifestValidator.validateYaml(configMap(`  ${line}`), 'settings.yaml');
      const match = violations.find((v) => v.rule === ValidationRule.YAML_1_1);
      expect(match).toEqual(expect.objectContaining({ path, source: 'settings.yaml', object: expect.objectContaining({ kind: 'ConfigMap', name: 'settings' }) }));
      expect(match!.message).toMatch(message);
    });

    test('quoted values pass', () => {
      const { violations } = ManifestValidator.validateYaml(configMap('  enabled: "on"\n  answer: "y"\n  mode: "0755"'));
      expect(violations).toEqual([]);
    });

    test('objects serialized the way cdk8s writes them keep their meaning', () => {
      const cm = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 's', namespace: 'a' }, data: { enabled: 'on', answer: 'no', mode: '0755' } };
      expect(violationsOf([cm])).toEqual([]);
    });

    test('duplicate keys are refused, as the API server refuses them', () => {
      expect(() => ManifestValidator.validateYaml('apiVersion: v1\nkind: Namespace\nkind: Namespace\nmetadata:\n  name: a\n', 'dup.yaml'))
        .toThrow(/dup.yaml: .*[Uu]nique/);
    });
  });

  test('a CRD registered at run time is validated, unknown fields included', () => {
    const widgets = { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w', namespace: 'a' }, spec: { size: 3, colour: 'red' } };
    ManifestValidator.addCrd({
      apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', metadata: { name: 'widgets.example.com' },
      spec: { group: 'example.com', names: { kind: 'Widget', plural: 'widgets' }, scope: 'Namespaced',
        versions: [{ name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: { type: 'object', properties: {
          spec: { type: 'object', properties: { size: { type: 'integer' } } } } } } }] },
    });
    expect(violationsOf([widgets]).map((v) => `${v.rule} ${v.path}`)).toEqual(['unknown-field spec.colour']);
  });
});

describe('validators compiled ahead of time', () => {
  afterEach(() => compileAtRunTime(false));

  test('are what `npm run generate-validators` writes from the committed schemas', () => {
    // Fails after `generate-k8s-schema` or `import-crds` until the validators are regenerated.
    expect(fs.readFileSync(COMPILED_VALIDATORS_FILE, 'utf8') === compiledValidatorsSource()).toBe(true);
  });

  test('give the verdicts of validators compiled at run time, on every known-bad object and on dist/', () => {
    const dist = path.join(__dirname, '..', '..', 'dist');
    const files = fs.readdirSync(dist).map((file) => path.join(dist, file));
    const verdicts = (): string[] => [
      ...violationsOf([deployment(), ...KNOWN_BAD.map((k) => k.object()), ...VALID_CUSTOM_RESOURCES]),
      ...ManifestValidator.validateFiles(files).violations,
    ].map(formatViolation);
    const compile = jest.spyOn(Ajv.prototype, 'compile');
    const ahead = verdicts();
    expect(compile).not.toHaveBeenCalled();
    compileAtRunTime(true);
    const atRunTime = verdicts();
    expect(compile).toHaveBeenCalled();
    compile.mockRestore();
    expect(ahead).toEqual(atRunTime);
    // Every known-bad object yields at least one verdict, so the comparison is not of empty lists.
    expect(ahead.length).toBeGreaterThanOrEqual(KNOWN_BAD.length);
  });

  test('are replaced by a CRD registered at run time for the same kind', () => {
    const monitor = { apiVersion: 'monitoring.coreos.com/v1', kind: 'ServiceMonitor', metadata: { name: 'm', namespace: 'a' }, spec: { anything: true } };
    expect(violationsOf([monitor]).map((v) => `${v.rule} ${v.path}`)).toContain('unknown-field spec.anything');
    ManifestValidator.addCrd({
      apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', metadata: { name: 'servicemonitors.monitoring.coreos.com' },
      spec: { group: 'monitoring.coreos.com', names: { kind: 'ServiceMonitor', plural: 'servicemonitors' }, scope: 'Namespaced',
        versions: [{ name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } } }] },
    });
    expect(violationsOf([monitor])).toEqual([]);
  });
});

describe('promqlSyntaxError', () => {
  test.each(['up', 'sum by (site) (rate(paths_inbound_bytes[5m]))', '{job="ingest"}', 'histogram_quantile(0.95, sum by (le) (rate(x_bucket[5m])))'])('accepts %s', (expr) => {
    expect(promqlSyntaxError(expr)).toBeUndefined();
  });
  test.each([['{}', /needs a metric name or at least one label matcher/], ['sum({})', /needs a metric name/], ['', /empty/], ['rate(x[5m]', /syntax error/]])('refuses %s', (expr, message) => {
    expect(promqlSyntaxError(expr)).toMatch(message);
  });
  test('an expression of a shape known to parse is still refused when it differs outside its strings', () => {
    expect(promqlSyntaxError('up{job="a"} == 0')).toBeUndefined();
    expect(promqlSyntaxError('up{job="b"} == 0')).toBeUndefined();
    expect(promqlSyntaxError('up{job="b} == 0')).toMatch(/syntax error/);
    expect(promqlSyntaxError('up{job="b"} ==')).toMatch(/syntax error/);
    expect(promqlSyntaxError('up{job="b"}} == 0')).toMatch(/syntax error/);
    // Other quotes and escapes are not reduced to a shape: each such expression is parsed.
    expect(promqlSyntaxError('up{job=\'a"} == 0"\'}')).toBeUndefined();
    expect(promqlSyntaxError('up{job=\'a"} == 0')).toMatch(/syntax error/);
    expect(promqlSyntaxError('up{job="a\\"} == 0')).toMatch(/syntax error/);
  });
});
