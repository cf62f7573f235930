import * as fs from 'fs';
import Ajv from 'ajv';
import * as path from 'path';
import { ManifestValidator, ValidationRule, Violation } from '../../lib';
import { formatViolation } from '../../lib/synth/validation/violation';
import { KNOWN_BAD, VALID_CUSTOM_RESOURCES, deployment } from './_manifest-fixtures';
import { promqlSyntaxError } from '../../lib/synth/validation/_promql-rules';
import { compileAtRunTime } from '../../lib/synth/validation/_schema-rules';
import { COMPILED_VALIDATORS_FILES, FORMAT_VALIDATORS_FILE, VALIDATION_FOLDER, compiledValidatorsSources, formatValidatorsSource } from '../../scripts/generate-validators';
import * as fc from 'fast-check';
import { parseAllDocuments } from 'yaml';
import coreSchema from '../../lib/synth/validation/k8s-schema.json';

type Obj = { [key: string]: any };

function violationsOf(objects: Obj[]): Violation[] {
  return [...ManifestValidator.validateObjects(objects).violations];
}

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

/** The objects of a multi-document YAML file. */
function readManifests(file: string): unknown[] {
  return parseAllDocuments(fs.readFileSync(file, 'utf8')).map((document) => document.toJS());
}

describe('validators compiled ahead of time', () => {
  afterEach(() => compileAtRunTime(false));

  test('are what `npm run generate-validators` writes from the committed schemas', () => {
    // Fails after `generate-k8s-schema` or `import-crds` until the validators are regenerated.
    const sources = compiledValidatorsSources();
    const committed = fs.readdirSync(VALIDATION_FOLDER).filter((file) => COMPILED_VALIDATORS_FILES.test(file)).sort();
    expect(committed).toEqual([...sources.keys()].sort());
    // The index, the Kubernetes kinds and one file per CRD group.
    expect(committed).toEqual(expect.arrayContaining(['_compiled-validators.js', '_compiled-validators-core.js', '_compiled-validators-argoproj.io.js', '_compiled-validators-monitoring.coreos.com.js']));
    for (const file of committed) expect(`${file}: ${fs.readFileSync(path.join(VALIDATION_FOLDER, file), 'utf8') === sources.get(file) ? 'fresh' : 'stale'}`).toBe(`${file}: fresh`);
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

  test('bundle kubernetes-models\' format checks as `npm run generate-validators` writes them', () => {
    // Fails after an update of kubernetes-models until the bundle is regenerated.
    expect(fs.readFileSync(FORMAT_VALIDATORS_FILE, 'utf8') === formatValidatorsSource()).toBe(true);
  });

  test('the bundled format checks give the errors of kubernetes-models\' own models, on known-bad objects, dist/ and random numbers', () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { formatValidatorFor } = require('../../lib/synth/validation/_format-validators') as { formatValidatorFor(key: string): ((o: unknown) => boolean) & { errors?: unknown } };
    const throughModel = (object: { apiVersion: string; kind: string }): unknown => {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const model = (require(`kubernetes-models/${object.apiVersion}/${object.kind}`) as Record<string, { prototype: { validate(): void } }>)[object.kind];
      try {
        model.prototype.validate.call(object);
        return [];
      } catch (error) {
        return ((error as { errors: Array<Record<string, unknown>> }).errors).map(({ message: _message, ...rest }) => rest);
      }
    };
    const throughBundle = (object: { apiVersion: string; kind: string }): unknown => {
      const validate = formatValidatorFor(`${object.apiVersion}/${object.kind}`);
      return validate(object) ? [] : validate.errors;
    };
    const dist = path.join(__dirname, '..', '..', 'dist');
    const objects = [deployment(), ...KNOWN_BAD.map((k) => k.object()), ...fs.readdirSync(dist).flatMap((file) => readManifests(path.join(dist, file)))]
      .filter((o): o is { apiVersion: string; kind: string } => `${(o as { apiVersion?: string }).apiVersion}/${(o as { kind?: string }).kind}` in coreSchema.kinds);
    let failing = 0;
    for (const object of objects) {
      const expected = throughModel(object);
      expect(throughBundle(object)).toEqual(expected);
      if ((expected as unknown[]).length > 0) failing++;
    }
    expect(failing).toBeGreaterThan(0);
    // Every format: int32 (ports, replicas), int64 (seconds), double-free quantities, byte (binaryData).
    fc.assert(fc.property(
      fc.oneof(fc.integer(), fc.double(), fc.constantFrom(2 ** 31 - 1, 2 ** 31, -(2 ** 31), -(2 ** 31) - 1, 2 ** 53, 1.5, -0)),
      // Every suffix of the quantity syntax, and near misses.
      fc.oneof(fc.string({ maxLength: 6 }), fc.constantFrom(
        ...['Ki', 'Mi', 'Gi', 'Ti', 'Pi', 'Ei', 'Zi', 'Y', 'Z', 'E', 'P', 'T', 'G', 'M', 'k', 'K', 'h', 'da', 'd', 'c', 'm', 'u', 'n', 'p', 'f', 'a', 'z', 'y', 'e3', 'E-2', 'e', 'i', '']
          .flatMap((suffix) => [`1${suffix}`, `-1.5${suffix}`, `.5${suffix}`, `5.${suffix}`, `+1${suffix}`]),
        '250m', 'x', '', '1 Gi',
      )),
      fc.oneof(fc.string({ maxLength: 8 }), fc.constantFrom('aGVsbG8=', 'not base64!')),
      (n, quantity, bytes) => {
        const objectsOfAllFormats = [
          { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'd' }, spec: { replicas: n, progressDeadlineSeconds: n, selector: {}, template: { spec: { activeDeadlineSeconds: n, containers: [{ name: 'c', resources: { limits: { cpu: quantity } } }] } } } },
          { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, binaryData: { a: bytes } },
          { apiVersion: 'v1', kind: 'Secret', metadata: { name: 's' }, data: { a: bytes } },
        ];
        for (const object of objectsOfAllFormats) expect(throughBundle(object)).toEqual(throughModel(object));
      }), { numRuns: 1_000 });
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
