import * as fc from 'fast-check';
import { ApiObject, ApiObjectMetadataDefinition, App, Chart, IResolver, JsonPatch, Lazy, ResolutionContext, Testing } from 'cdk8s';
import { k8s } from 'cdk8s-plus-27';
import { ConfigMapObject } from '../../lib/synth/config-map';
import * as kubeObjects from '../../lib/synth/kube-objects';
import { KubeDeployment, KubeService } from '../../lib/synth/kube-objects';
import { plainApiObjectJson } from '../../lib/synth/plain-json';
import { LayeredApp } from '../../lib/synth/layered-app';
import { buildReferencePlatform } from '../../main';
import { testApp } from '../_helpers';

// The serialization shortcut must give exactly what cdk8s gives, and fall back to cdk8s wherever
// it cannot promise that.

const RUNS = 200;
let tried = 0;
afterAll(() => console.log(`fast-check cases tried: plain JSON against cdk8s ${tried}`));

/** The classes that take the shortcut. */
const SHORTCUT_CLASSES: unknown[] = [ConfigMapObject, ...Object.values(kubeObjects)];

/** What the class below the shortcut (the generated class, or ApiObject) writes for `object`. */
function cdk8sJson(object: ApiObject): unknown {
  let proto = Object.getPrototypeOf(object);
  while (SHORTCUT_CLASSES.includes(proto.constructor)) proto = Object.getPrototypeOf(proto);
  return proto.toJson.call(object);
}

/**
 * Expects the shortcut to give exactly what `ApiObject.toJson()` gives for `object` (serialized
 * from `body`), or nothing where cdk8s refuses the data; true when both wrote JSON and it was
 * compared, false when the shortcut left the object to cdk8s.
 */
function comparedWithCdk8s(object: ApiObject, body: object): boolean {
  let expected: unknown;
  try {
    expected = ApiObject.prototype.toJson.call(object);
  } catch {
    // cdk8s refuses this data; the shortcut must not write anything for it either.
    expect(plainApiObjectJson(object, body, false)).toBeUndefined();
    return false;
  }
  const shortcut = plainApiObjectJson(object, body, false);
  if (shortcut === undefined) return false;
  expect(JSON.stringify(shortcut)).toBe(JSON.stringify(expected));
  return true;
}

// Keys cdk8s treats specially (`constructor`, `__proto__`) are rare, so most cases are compared.
const keyName = fc.oneof(
  { arbitrary: fc.constantFrom('constructor', '__proto__'), weight: 1 },
  { arbitrary: fc.constantFrom('value', 'resolve', 'apiVersion', 'kind', 'metadata', 'a', 'B', '_', ''), weight: 10 },
  { arbitrary: fc.string({ maxLength: 6 }), weight: 10 },
);
const leaf = fc.oneof(
  fc.string({ maxLength: 8 }), fc.integer(), fc.double(), fc.boolean(), fc.constant(null), fc.constant(undefined),
  fc.string({ maxLength: 4 }).map((s) => k8s.Quantity.fromString(s)), fc.integer().map((n) => k8s.IntOrString.fromNumber(n)),
  fc.string({ maxLength: 4 }).map((s) => k8s.IntOrString.fromString(s)),
);
const data = fc.letrec((tie) => ({
  value: fc.oneof({ depthSize: 'small' }, leaf, tie('list'), tie('map')),
  list: fc.array(tie('value'), { maxLength: 4 }),
  map: fc.dictionary(keyName, tie('value'), { maxKeys: 5, noNullPrototype: true }),
})).value;
const labels = fc.dictionary(fc.stringMatching(/^[a-z][a-z0-9.-]{0,6}$/), fc.string({ maxLength: 6 }), { maxKeys: 3, noNullPrototype: true });

describe('plainApiObjectJson', () => {
  test('gives what ApiObject.toJson() gives, or leaves it to cdk8s', () => {
    let compared = 0;
    fc.assert(fc.property(fc.dictionary(keyName, data, { maxKeys: 5, noNullPrototype: true }), labels, (body, objectLabels) => {
      tried++;
      const chart = new Chart(testApp(), 'chart');
      const object = new ApiObject(chart, 'object', { ...body, apiVersion: 'v1', kind: 'Thing', metadata: { name: 'thing', labels: objectLabels } });
      if (comparedWithCdk8s(object, { ...body, apiVersion: 'v1', kind: 'Thing' })) compared++;
    }), { numRuns: RUNS });
    // Most generated data is plain enough for the shortcut, so the comparison is not vacuous.
    expect(compared).toBeGreaterThan(RUNS / 2);
  });

  test('takes the shortcut on plain data and unions, so the speed-up cannot silently vanish', () => {
    const chart = new Chart(testApp(), 'chart');
    const body = { apiVersion: 'v1', kind: 'Thing', spec: { cpu: k8s.Quantity.fromString('250m'), port: k8s.IntOrString.fromNumber(80), list: [1, null, 'x'], gone: undefined } };
    const object = new ApiObject(chart, 'object', { ...body, metadata: { name: 'thing' } });
    const shortcut = plainApiObjectJson(object, body, false);
    expect(shortcut).toEqual({ apiVersion: 'v1', kind: 'Thing', metadata: { name: 'thing' }, spec: { cpu: { value: '250m' }, list: [1, undefined, 'x'], port: { value: 80 } } });
    expect(JSON.stringify(shortcut)).toBe(JSON.stringify(ApiObject.prototype.toJson.call(object)));
  });

  test.each([
    ['a Lazy value', { spec: { replicas: Lazy.any({ produce: () => 3 }) } }],
    ['a token with a resolve method', { spec: { replicas: { resolve: () => 3 } } }],
    ['a class instance', { spec: { when: new Date(0) } }],
    ['a map with a constructor key', { spec: { constructor: 'x' } }],
    ['a map without a prototype', { spec: Object.assign(Object.create(null), { a: 'b' }) }],
  ])('leaves %s to cdk8s', (_name, extra) => {
    const chart = new Chart(testApp(), 'chart');
    const body = { apiVersion: 'v1', kind: 'Thing', ...extra };
    const object = new ApiObject(chart, 'object', { ...body, metadata: { name: 'thing' } });
    expect(plainApiObjectJson(object, body, false)).toBeUndefined();
  });

  test('leaves objects with JSON patches, and apps with resolvers of their own, to cdk8s', () => {
    const body = { apiVersion: 'v1', kind: 'Thing', spec: { a: 'b' } };
    const plain = new ApiObject(new Chart(testApp(), 'chart'), 'object', { ...body, metadata: { name: 'thing' } });
    expect(plainApiObjectJson(plain, body, false)).toBeDefined();
    expect(plainApiObjectJson(plain, body, true)).toBeUndefined();

    class Upper implements IResolver {
      public resolve(context: ResolutionContext): void {
        if (typeof context.value === 'string' && context.value !== context.value.toUpperCase()) context.replaceValue(context.value.toUpperCase());
      }
    }
    const app = Testing.app({ resolvers: [new Upper()] });
    const resolved = new ApiObject(new Chart(app, 'chart'), 'object', { ...body, metadata: { name: 'thing' } });
    expect(plainApiObjectJson(resolved, body, false)).toBeUndefined();
  });

  test('sorts keys unless CDK8S_DISABLE_SORT is set, as cdk8s does', () => {
    const body = { apiVersion: 'v1', kind: 'Thing', spec: { b: 1, a: 2 } };
    const object = new ApiObject(new Chart(testApp(), 'chart'), 'object', { ...body, metadata: { name: 'thing' } });
    const previous = process.env.CDK8S_DISABLE_SORT;
    try {
      process.env.CDK8S_DISABLE_SORT = '1';
      expect(JSON.stringify(plainApiObjectJson(object, body, false))).toBe(JSON.stringify(ApiObject.prototype.toJson.call(object)));
      expect(Object.keys((plainApiObjectJson(object, body, false) as { spec: object }).spec)).toEqual(['b', 'a']);
    } finally {
      if (previous === undefined) delete process.env.CDK8S_DISABLE_SORT;
      else process.env.CDK8S_DISABLE_SORT = previous;
    }
    expect(Object.keys((plainApiObjectJson(object, body, false) as { spec: object }).spec)).toEqual(['a', 'b']);
  });
});

describe('the metadata, in one copy', () => {
  // What users and the library put in metadata: names, maps of names (empty ones too), lists that
  // may be empty, nulls, unions and attributes of their own.
  const metaValue = fc.letrec((tie) => ({
    value: fc.oneof({ depthSize: 'small' }, leaf, tie('list'), tie('map')),
    list: fc.array(tie('value'), { maxLength: 3 }),
    map: fc.dictionary(keyName, tie('value'), { maxKeys: 3, noNullPrototype: true }),
  })).value;
  const metadata = fc.record({
    labels: fc.option(labels, { nil: undefined }),
    annotations: fc.option(fc.dictionary(fc.string({ maxLength: 6 }), fc.string({ maxLength: 6 }), { maxKeys: 3, noNullPrototype: true }), { nil: undefined }),
    namespace: fc.option(fc.string({ maxLength: 6 }), { nil: undefined }),
    finalizers: fc.option(fc.array(fc.string({ maxLength: 4 }), { maxLength: 2 }), { nil: undefined }),
    ownerReferences: fc.option(fc.array(fc.record({ apiVersion: fc.constant('v1'), kind: fc.constant('Thing'), name: fc.string({ maxLength: 4 }), uid: fc.string({ maxLength: 4 }), controller: fc.option(fc.boolean(), { nil: undefined }) }), { maxLength: 2 }), { nil: undefined }),
    extra: fc.dictionary(keyName.filter((k) => !['name', 'namespace', 'labels', 'annotations', 'finalizers', 'ownerReferences'].includes(k)), metaValue, { maxKeys: 2, noNullPrototype: true }),
  }, { requiredKeys: ['extra'] });

  test('gives what ApiObjectMetadataDefinition.toJson() gives, or leaves it to cdk8s', () => {
    let compared = 0;
    fc.assert(fc.property(metadata, fc.array(fc.tuple(fc.constantFrom('label', 'annotation'), fc.string({ maxLength: 4 }), fc.string({ maxLength: 4 })), { maxLength: 2 }), ({ extra, ...fields }, added) => {
      tried++;
      const chart = new Chart(testApp(), 'chart');
      const given = { ...extra, ...Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined)), name: 'thing' };
      const body = { apiVersion: 'v1', kind: 'Thing', spec: { a: 1 } };
      const object = new ApiObject(chart, 'object', { ...body, metadata: given });
      for (const [what, key, value] of added) {
        if (what === 'label') object.metadata.addLabel(key, value);
        else object.metadata.addAnnotation(key, value);
      }
      if (comparedWithCdk8s(object, body)) compared++;
    }), { numRuns: RUNS });
    expect(compared).toBeGreaterThan(RUNS / 2);
  });

  test('is copied without calling cdk8s when plain, and by cdk8s when it holds a token', () => {
    const chart = new Chart(testApp(), 'chart');
    const plain = new ApiObject(chart, 'plain', { apiVersion: 'v1', kind: 'Thing', metadata: { name: 'plain', labels: { b: '1', a: '2' }, annotations: {}, finalizers: [] } });
    const lazy = new ApiObject(chart, 'lazy', { apiVersion: 'v1', kind: 'Thing', metadata: { name: 'lazy', annotations: { when: Lazy.any({ produce: () => 'now' }) as unknown as string } } });
    const cdk8sMetadata = jest.spyOn(ApiObjectMetadataDefinition.prototype, 'toJson');
    try {
      expect(plainApiObjectJson(plain, { apiVersion: 'v1', kind: 'Thing' }, false)).toEqual({ apiVersion: 'v1', kind: 'Thing', metadata: { labels: { a: '2', b: '1' }, name: 'plain' } });
      expect(cdk8sMetadata).not.toHaveBeenCalled();
      expect(plainApiObjectJson(lazy, { apiVersion: 'v1', kind: 'Thing' }, false)).toEqual({ apiVersion: 'v1', kind: 'Thing', metadata: { annotations: { when: 'now' }, name: 'lazy' } });
      expect(cdk8sMetadata).toHaveBeenCalledTimes(1);
    } finally {
      cdk8sMetadata.mockRestore();
    }
  });
});

describe('sorting keys', () => {
  // Short maps are sorted by insertion in place; long ones by Array.prototype.sort. Integer-like
  // keys sort as strings ('100' before '2'), whatever order an object then lists them in.
  const mapKey = fc.oneof(fc.integer({ min: 0, max: 200 }).map(String), fc.string({ maxLength: 3 }));
  const manyKeys = fc.oneof(
    fc.dictionary(mapKey, fc.integer(), { maxKeys: 32, noNullPrototype: true }),
    fc.dictionary(mapKey, fc.integer(), { minKeys: 33, maxKeys: 45, noNullPrototype: true }),
  ).filter((map) => !Object.prototype.hasOwnProperty.call(map, 'constructor') && !Object.prototype.hasOwnProperty.call(map, '__proto__'));

  test('orders a map of any length as cdk8s does', () => {
    let long = 0;
    fc.assert(fc.property(manyKeys, (spec) => {
      tried++;
      if (Object.keys(spec).length > 32) long++;
      const body = { apiVersion: 'v1', kind: 'Thing', spec };
      const object = new ApiObject(new Chart(testApp(), 'chart'), 'object', { ...body, metadata: { name: 'thing' } });
      const shortcut = plainApiObjectJson(object, body, false) as { spec: object };
      expect(JSON.stringify(shortcut)).toBe(JSON.stringify(ApiObject.prototype.toJson.call(object)));
      // Integer-like keys always come first in a JavaScript object; the others follow sorted.
      const named = (keys: string[]) => keys.filter((key) => !/^(0|[1-9][0-9]*)$/.test(key));
      expect(named(Object.keys(shortcut.spec))).toEqual(named(Object.keys(spec)).sort());
    }), { numRuns: RUNS });
    // Both ways of sorting are compared.
    expect(long).toBeGreaterThan(0);
  });
});

describe('the generated classes with the shortcut', () => {
  test('are the generated classes and write what they write, patched or not', () => {
    const chart = new Chart(testApp(), 'chart');
    const deployment = new KubeDeployment(chart, 'deployment', {
      metadata: { name: 'web', labels: { app: 'web' } },
      spec: {
        selector: { matchLabels: { app: 'web' } },
        template: {
          metadata: { labels: { app: 'web' } },
          spec: { containers: [{ name: 'web', image: 'web:1', resources: { limits: { cpu: k8s.Quantity.fromString('1') } }, ports: [{ containerPort: 80 }] }] },
        },
      },
    });
    const service = new KubeService(chart, 'service', { metadata: { name: 'web' }, spec: { ports: [{ port: 80, targetPort: k8s.IntOrString.fromString('http') }] } });
    expect(deployment).toBeInstanceOf(k8s.KubeDeployment);
    expect(deployment.toJson()).toEqual(k8s.KubeDeployment.prototype.toJson.call(deployment));
    expect(service.toJson()).toEqual(k8s.KubeService.prototype.toJson.call(service));
    expect(service.toJson().spec.ports[0].targetPort).toBe('http');

    // A patch goes through cdk8s, so it is applied exactly as cdk8s applies it.
    deployment.addJsonPatch(JsonPatch.add('/spec/replicas', 3));
    expect(deployment.toJson().spec.replicas).toBe(3);
    expect(deployment.toJson()).toEqual(k8s.KubeDeployment.prototype.toJson.call(deployment));
  });

  test('write every object of the reference platform exactly as cdk8s would, most of them by the shortcut', () => {
    const app = new LayeredApp({ outdir: 'unused', recordConstructMetadata: false });
    buildReferencePlatform(app);
    app.synthYaml(); // runs the validations, which add the last objects and annotations
    const objects = app.node.findAll().filter((c): c is ApiObject => c instanceof ApiObject);
    const byShortcut = objects.filter((object) => {
      expect(JSON.stringify(object.toJson())).toBe(JSON.stringify(cdk8sJson(object)));
      const { body, hasPatches } = object as unknown as { body?: object; hasPatches?: boolean };
      return body !== undefined && plainApiObjectJson(object, body, hasPatches ?? false) !== undefined;
    });
    // The rest carry Lazy values (configuration rendered after every target is known) or are
    // custom resources from imports/.
    expect(byShortcut.length).toBeGreaterThan(objects.length * 0.8);
  });

  test('leave an app with its own resolvers to cdk8s, which applies them', () => {
    class Replicas implements IResolver {
      public resolve(context: ResolutionContext): void {
        if (context.key.join('.') === 'spec.replicas' && context.value !== 5) context.replaceValue(5);
      }
    }
    const app: App = Testing.app({ resolvers: [new Replicas()] });
    const deployment = new KubeDeployment(new Chart(app, 'chart'), 'deployment', {
      metadata: { name: 'web' },
      spec: { replicas: 1, selector: { matchLabels: { app: 'web' } }, template: { spec: { containers: [{ name: 'web', image: 'web:1' }] } } },
    });
    expect(deployment.toJson().spec.replicas).toBe(5);
  });

  test('ConfigMapObject takes the shortcut on text and leaves Lazy data to cdk8s', () => {
    const chart = new Chart(testApp(), 'chart');
    const text = new ConfigMapObject(chart, 'text', { metadata: { name: 'text' }, data: { 'b.yaml': 'b: 1\n', 'a.yaml': 'a: 1\n' } });
    const lazy = new ConfigMapObject(chart, 'lazy', { metadata: { name: 'lazy' }, data: Lazy.any({ produce: () => ({ 'x.yaml': 'x: 1\n' }) }) as unknown as Record<string, string> });
    expect(JSON.stringify(text.toJson())).toBe(JSON.stringify(ApiObject.prototype.toJson.call(text)));
    expect(Object.keys(text.toJson().data)).toEqual(['a.yaml', 'b.yaml']);
    expect(lazy.toJson().data).toEqual({ 'x.yaml': 'x: 1\n' });
  });
});

describe('errors', () => {
  test('data cdk8s cannot render fails with cdk8s\'s own error, naming the construct', () => {
    const chart = new Chart(testApp(), 'chart');
    const object = new KubeDeployment(chart, 'web', { metadata: { name: 'web', annotations: { when: new Date(0) as unknown as string } } });
    expect(() => object.toJson()).toThrow(/^Failed serializing construct at path 'chart\/web' with name 'web': .*can't render non-simple object of type 'Date'/);
  });
});
