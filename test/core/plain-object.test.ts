import * as fc from 'fast-check';
import { ROOT_COUNT, plainObjectConstructorFor, plainObjectFor } from '../../lib/core/plain-object';
import { runWithV8Natives } from '../_helpers';

// plainObjectFor stands in for `{}` where objects get keys that are names (labels, file names):
// the objects must be plain to every reader, and must keep sharing hidden classes however many
// names the platform holds (which is why it exists).

test('makes plain objects: Object.prototype, no own keys, and the same to JSON, keys and spreads as {}', () => {
  fc.assert(fc.property(fc.dictionary(fc.string({ maxLength: 6 }).filter((k) => k !== '__proto__'), fc.jsonValue(), { maxKeys: 6 }), (entries) => {
    const keys = Object.keys(entries);
    const object = plainObjectFor(keys);
    expect(Object.getPrototypeOf(object)).toBe(Object.prototype);
    expect(Reflect.ownKeys(object)).toEqual([]);
    expect(object.constructor).toBe(Object);
    for (const key of keys) object[key] = entries[key];
    const literal: Record<string, unknown> = {};
    for (const key of keys) literal[key] = entries[key];
    expect(Reflect.ownKeys(object)).toEqual(Reflect.ownKeys(literal));
    expect(JSON.stringify(object)).toBe(JSON.stringify(literal));
    expect({ ...object }).toEqual(literal);
  }), { numRuns: 200 });
});

test('picks one root per key set, and spreads the key sets of thousands of names over every root', () => {
  expect(plainObjectConstructorFor(['app', 'video-analytics.io/client-of-yolo-12'])).toBe(plainObjectConstructorFor(['app', 'video-analytics.io/client-of-yolo-12']));
  // The names that filled V8's single root at 50,000 cameras: one client label per inference pool.
  const perRoot = new Map<unknown, number>();
  const sets = 2000;
  for (let pool = 0; pool < sets; pool++) {
    const root = plainObjectConstructorFor([`video-analytics.io/client-of-yolo-${pool}`]);
    perRoot.set(root, (perRoot.get(root) ?? 0) + 1);
  }
  expect(perRoot.size).toBe(ROOT_COUNT);
  // Far below V8's 1,536 transitions per hidden class, and no root takes much more than its share.
  expect(Math.max(...perRoot.values())).toBeLessThanOrEqual(2 * (sets / ROOT_COUNT));
});

test('objects of the same keys share their hidden class past the transitions `{}` can hold, where `{}` gives each its own', () => {
  // 2,000 live objects each started from `{}` with a name of its own fill the transitions of the
  // root class all `{}` share (V8 keeps at most 1,536), as the construct tree does at 50,000 cameras.
  const child = `
    const { plainObjectFor } = require('./lib/core/plain-object');
    const filler = Array.from({ length: 2000 }, (_, i) => { const o = {}; o['filler-' + i] = i; return o; });
    const keys = ['video-analytics.io/client-of-yolo-1999'];
    const make = (create) => Array.from({ length: 10 }, () => { const o = create(); o[keys[0]] = 'ns'; return o; });
    const sharing = (objects) => objects.filter((o) => %HaveSameMap(o, objects[0])).length - 1;
    const built = make(() => plainObjectFor(keys));
    const literal = make(() => ({}));
    console.log(JSON.stringify({ others: 9, built: sharing(built), literal: sharing(literal), filler: filler.length }));
  `;
  const outcome = runWithV8Natives<{ others: number; built: number; literal: number }>(child);
  expect(outcome.built).toBe(outcome.others);
  // What this Node.js does with `{}` once its root is full, the reason plainObjectFor exists:
  // should every object share here one day, plainObjectFor can go.
  expect(outcome.literal).toBeLessThan(outcome.others);
});

test('the JSON of an object shares its hidden classes from one serialization to the next, past that limit', () => {
  // Maps keyed by names, as serialization copies them: a NetworkPolicy's selector of a pool's
  // clients, a ConfigMap's files. Each copy must reuse the hidden class of the one before.
  const child = `
    const { Chart, Testing } = require('cdk8s');
    const { KubeNetworkPolicy } = require('./lib/synth/kube-objects');
    const { ConfigMapObject } = require('./lib/synth/config-map');
    const filler = Array.from({ length: 2000 }, (_, i) => { const o = {}; o['filler-' + i] = i; return o; });
    const chart = new Chart(Testing.app(), 'chart');
    const policy = new KubeNetworkPolicy(chart, 'policy', { metadata: { name: 'yolo-1999' }, spec: {
      podSelector: { matchLabels: { 'video-analytics.io/client-of-yolo-1999': 'inference' } },
      ingress: [{ from: [{ podSelector: { matchLabels: { 'video-analytics.io/client-of-yolo-1999': 'inference' } } }] }] } });
    const files = new ConfigMapObject(chart, 'files', { metadata: { name: 'files' }, data: { 'yolo-1999.rules.yaml': 'a: 1\\n' } });
    const copies = (read) => Array.from({ length: 5 }, read);
    const sharing = (objects) => objects.filter((o) => %HaveSameMap(o, objects[0])).length - 1;
    console.log(JSON.stringify({
      others: 4,
      selector: sharing(copies(() => policy.toJson().spec.podSelector.matchLabels)),
      peer: sharing(copies(() => policy.toJson().spec.ingress[0].from[0].podSelector.matchLabels)),
      data: sharing(copies(() => files.toJson().data)),
      filler: filler.length,
    }));
  `;
  const outcome = runWithV8Natives<Record<string, number>>(child);
  expect(outcome).toEqual(expect.objectContaining({ selector: outcome.others, peer: outcome.others, data: outcome.others }));
});
