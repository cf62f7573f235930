/**
 * An empty plain object (prototype `Object.prototype`, no own properties: to any JavaScript code
 * the same as `{}`) that will receive `keys`, from one of {@link ROOT_COUNT} roots picked by those
 * keys.
 *
 * Why not `{}`: V8 (Node.js 20) builds the hidden class of an object that gets its keys one by one
 * as a path of transitions from its root class, and keeps at most 1,536 transitions from any one
 * class. Every `{}` of the program shares one root. Maps keyed by names (labels such as
 * `video-analytics.io/client-of-<pool>`, one per inference pool; ConfigMap file names) add a
 * transition each; past the limit every such object gets hidden classes of its own, built anew
 * for each object, never shared, freed only by a full collection, and each property read on the
 * object misses V8's caches. At 50,000 cameras the platform held about 1,700 distinct first keys,
 * and synthesis took twice the time and memory whenever the limit was reached before a full
 * collection. Spread over the roots by their keys, the transitions stay far below the limit (at
 * 50,000 cameras the busiest root took 49 first keys), and objects with the same keys still share
 * one hidden class.
 */
export function plainObjectFor(keys: readonly string[]): Record<string, unknown> {
  const Plain = plainObjectConstructorFor(keys);
  return new Plain();
}

/**
 * The constructor {@link plainObjectFor} uses for `keys`: for code that builds many objects of one
 * key set (a converter of one Kubernetes type), which picks it once.
 */
export function plainObjectConstructorFor(keys: readonly string[]): PlainObjectConstructor {
  return ROOTS[rootIndex(keys)];
}

/** How many roots the objects are spread over: a power of two. */
export const ROOT_COUNT = 64;

/** Makes an empty plain object; see {@link plainObjectFor}. */
export type PlainObjectConstructor = new () => Record<string, unknown>;

/** Constructors of plain objects, each with a root hidden class of its own. */
const ROOTS: readonly PlainObjectConstructor[] = Array.from({ length: ROOT_COUNT }, plainObjectConstructor);

function plainObjectConstructor(): PlainObjectConstructor {
  // A function per call: V8 keeps the root class on the function. Its prototype is
  // Object.prototype, so the objects it makes are plain (their `constructor` is Object).
  const Plain = function PlainObject(this: object) { /* no properties: they are added by the caller */ } as unknown as PlainObjectConstructor;
  Plain.prototype = Object.prototype;
  return Plain;
}

/**
 * The root for a key set: a hash of the keys' lengths and last characters (names that differ, as
 * `yolo-12` and `yolo-13`, differ there), cheap enough for every object serialized.
 */
function rootIndex(keys: readonly string[]): number {
  let hash = keys.length;
  for (const key of keys) {
    const last = key.length - 1;
    hash = (Math.imul(hash, 31) + key.length + (last < 0 ? 0 : key.charCodeAt(last) * 7 + (last < 1 ? 0 : key.charCodeAt(last - 1)))) | 0;
  }
  return hash & (ROOT_COUNT - 1);
}
