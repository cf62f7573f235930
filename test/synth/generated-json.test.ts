import * as fc from 'fast-check';
import { ApiObject } from 'cdk8s';
import { k8s } from 'cdk8s-plus-27';
import { JsonConverter, compiledToJson } from '../../lib/synth/generated-json';
import { LayeredApp } from '../../lib/synth/layered-app';
import { buildBenchPlatform } from '../../bench/platform';

// A compiled converter must return exactly what the generated toJson_* function returns: the
// same keys in the same order (undefined-valued keys included, which toEqual would not see), the
// same values, and the same errors.

const RUNS = 2_000;
let tried = 0;
afterAll(() => console.log(`fast-check cases tried: compiled toJson against generated ${tried}`));

const GENERATED = Object.entries(k8s as unknown as Record<string, unknown>)
  .filter((entry): entry is [string, JsonConverter] => entry[0].startsWith('toJson_') && typeof entry[1] === 'function');

/** The same JSON, key order and undefined-valued keys included. */
function expectSameJson(actual: unknown, expected: unknown, at = '$'): void {
  if (typeof expected !== 'object' || expected === null) {
    expect([at, actual]).toEqual([at, expected]);
    return;
  }
  expect([at, Array.isArray(actual)]).toEqual([at, Array.isArray(expected)]);
  expect([at, Object.keys(actual as object)]).toEqual([at, Object.keys(expected)]);
  for (const key of Object.keys(expected)) expectSameJson((actual as Record<string, unknown>)[key], (expected as Record<string, unknown>)[key], `${at}.${key}`);
}

function outcome(convert: JsonConverter, value: unknown): { json?: unknown; error?: string } {
  try {
    return { json: convert(value) };
  } catch (error) {
    return { error: (error as Error).constructor.name };
  }
}

describe('compiledToJson', () => {
  test('compiles every generated function of cdk8s-plus-27, so that no kind silently keeps the slow path', () => {
    const uncompiled = GENERATED.filter(([, generated]) => compiledToJson(generated) === generated).map(([name]) => name);
    expect(uncompiled).toEqual([]);
    expect(GENERATED.length).toBeGreaterThan(400);
  });

  test('leaves a function of another shape as it is', () => {
    const other = (obj: unknown) => ({ wrapped: obj });
    expect(compiledToJson(other)).toBe(other);
  });

  // Field names that occur across the Kubernetes types, so that random objects hit real fields
  // (and their nested conversions), mixed with names no type has.
  const fieldName = fc.constantFrom(
    'metadata', 'spec', 'template', 'selector', 'matchLabels', 'labels', 'annotations', 'containers', 'name', 'image', 'ports',
    'port', 'targetPort', 'resources', 'limits', 'requests', 'value', 'env', 'valueFrom', 'volumes', 'configMap', 'items',
    'ingress', 'egress', 'from', 'to', 'podSelector', 'ipBlock', 'cidr', 'except', 'maxUnavailable', 'minAvailable', 'data',
    'rules', 'replicas', 'strategy', 'rollingUpdate', 'affinity', 'tolerations', 'creationTimestamp', 'lastTransitionTime',
    'securityContext', 'capabilities', 'drop', 'nodeSelector', 'unknownField', '__proto__', 'constructor',
  );
  const leaf = fc.oneof(
    fc.string({ maxLength: 6 }), fc.integer(), fc.boolean(), fc.constant(null), fc.constant(undefined), fc.constant(new Date(0)),
    fc.integer().map((n) => ({ value: n })), fc.string({ maxLength: 4 }).map((s) => k8s.IntOrString.fromString(s)),
  );
  const data = fc.letrec((tie) => ({
    value: fc.oneof({ depthSize: 'small' }, leaf, tie('list'), tie('map')),
    list: fc.array(tie('value'), { maxLength: 3 }),
    map: fc.dictionary(fc.oneof(fieldName, fc.string({ maxLength: 4 })), tie('value'), { maxKeys: 5, noNullPrototype: true }),
  })).value;

  test('returns what the generated function returns, or throws where it throws, on random data for every type', () => {
    let compared = 0;
    fc.assert(fc.property(fc.constantFrom(...GENERATED), fc.dictionary(fieldName, data, { maxKeys: 6, noNullPrototype: true }), ([, generated], value) => {
      tried++;
      const expected = outcome(generated, value);
      const actual = outcome(compiledToJson(generated), value);
      expect(actual.error).toBe(expected.error);
      if (expected.error === undefined) {
        compared++;
        expectSameJson(actual.json, expected.json);
      }
    }), { numRuns: RUNS });
    expect(compared).toBeGreaterThan(RUNS / 2);
  });

  test('returns what the generated functions return for every object of a bench platform', () => {
    const app = new LayeredApp({ outdir: 'unused', recordConstructMetadata: false });
    buildBenchPlatform(app, 160);
    app.synthYaml();
    const objects = app.node.findAll().filter((c): c is ApiObject => c instanceof ApiObject);
    let compared = 0;
    for (const object of objects) {
      const body = (object as unknown as { body?: object }).body;
      const generated = GENERATED.find(([name]) => name === `toJson_Kube${object.kind}Props`)?.[1];
      if (body === undefined || generated === undefined) continue;
      const json = { ...body, metadata: object.metadata.toJson() };
      expectSameJson(compiledToJson(generated)(json), generated(json));
      compared++;
    }
    expect(compared).toBeGreaterThan(objects.length * 0.8);
  });

  test('a value the compiled converter does not expect goes to the generated function, errors included', () => {
    const generated = k8s.toJson_ObjectMeta as JsonConverter;
    const compiled = compiledToJson(generated);
    for (const value of [{ labels: ['a'] }, { labels: 'ab' }, { ownerReferences: { name: 'x' } }, { creationTimestamp: 'yesterday' }, { labels: null }]) {
      expect(outcome(compiled, value)).toEqual(outcome(generated, value));
    }
    expect(outcome(compiled, null).error).toBe(outcome(generated, null).error);
  });
});
