import * as fc from 'fast-check';
import { Chart } from 'cdk8s';
import { spreadOf } from '../../lib/core/spread';
import { KubeService } from '../../lib/synth/kube-objects';
import { runWithV8Natives, testApp } from '../_helpers';

// spreadOf stands in for object literals of spreads: it must give what they give, key order
// included, and objects that share V8's hidden class (which is why it exists).
const SYMBOL = Symbol('part');

/** Own keys (strings and symbols, in order) with their values and enumerability. */
function entries(value: object): Array<[string | symbol, unknown, boolean]> {
  return Reflect.ownKeys(value).map((key) => [key, (value as Record<string | symbol, unknown>)[key], Object.prototype.propertyIsEnumerable.call(value, key)]);
}

const key = fc.oneof(fc.constantFrom('__proto__', 'constructor', '0', '10', '2', 'a', 'b', 'metadata'), fc.string({ maxLength: 4 }));
const part = fc.tuple(fc.dictionary(key, fc.oneof(fc.integer(), fc.string({ maxLength: 3 }), fc.constant(undefined)), { maxKeys: 5, noNullPrototype: true }), fc.boolean())
  .map(([dictionary, withSymbol]) => (withSymbol ? Object.assign(dictionary, { [SYMBOL]: 'symbol' }) : dictionary));

test('gives what an object literal of spreads gives: keys, order, values, __proto__ as an own key, symbols', () => {
  let tried = 0;
  fc.assert(fc.property(part, part, part, (a, b, c) => {
    tried++;
    const literal = { ...a, ...b, ...c };
    const built = spreadOf(a, b, c);
    expect(entries(built)).toEqual(entries(literal));
    expect(Object.getPrototypeOf(built)).toBe(Object.prototype);
  }), { numRuns: 500 });
  expect(tried).toBe(500);
  // Undefined and null parts add nothing, as in a spread.
  expect(spreadOf(undefined, { a: 1 })).toEqual({ a: 1 });
  expect(entries(spreadOf({ ['__proto__']: 1 } as object))).toEqual([['__proto__', 1, true]]);
});

test('builds objects that share their hidden class, where the literal gives each its own', () => {
  // As the library spreads: one constant first part (a group-version-kind, a component's labels).
  const child = `
    const { spreadOf } = require('./lib/core/spread');
    const gvk = { apiVersion: 'v1', kind: 'Service' };
    const props = (i) => ({ metadata: { name: 'n' + i }, spec: { i } });
    const sharing = (objects) => objects.filter((o) => %HaveSameMap(o, objects[0])).length - 1;
    const count = 20;
    const built = Array.from({ length: count }, (_, i) => spreadOf(gvk, props(i)));
    const literal = Array.from({ length: count }, (_, i) => ({ ...gvk, ...props(i) }));
    console.log(JSON.stringify({ others: count - 1, built: sharing(built), literal: sharing(literal) }));
  `;
  const outcome = runWithV8Natives<{ others: number; built: number; literal: number }>(child);
  expect(outcome.built).toBe(outcome.others);
  // What this Node.js does with the literal, the reason spreadOf exists: should every object
  // share here one day, spreadOf can go.
  expect(outcome.literal).toBeLessThan(outcome.others);
});

test("a generated class's ApiObject keeps the very object the shortcut serializes, with the same entries", () => {
  const chart = new Chart(testApp(), 'chart');
  const service = new KubeService(chart, 'service', { metadata: { name: 'web' }, spec: { ports: [{ port: 80 }] } });
  const fields = service as unknown as { props: object; body: object };
  expect(fields.props).toBe(fields.body);
  expect(Object.keys(fields.props)).toEqual(['apiVersion', 'kind', 'metadata', 'spec']);
});
