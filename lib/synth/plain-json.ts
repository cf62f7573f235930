import { ApiObject, App, GroupVersionKind, ImplicitTokenResolver, IResolver, JsonPatch, Lazy, LazyResolver, NumberStringUnionResolver } from 'cdk8s';
import { Construct } from 'constructs';
import { spreadOf } from '../core/spread';
import { JsonConverter, compiledToJson } from './generated-json';

/** Thrown inside {@link plainCopy} when a value needs cdk8s's resolvers; caught in this module. */
const NEEDS_RESOLVING = Symbol('needs resolving');

const BUILT_IN_RESOLVERS: ReadonlyArray<abstract new () => IResolver> = [LazyResolver, ImplicitTokenResolver, NumberStringUnionResolver];

/**
 * What `ApiObject.prototype.toJson()` returns for an object created with `body`, computed in one
 * copy, or undefined when the shortcut cannot promise the same result (the caller then calls
 * `super.toJson()`).
 *
 * Why: `ApiObject.toJson()` resolves every leaf (a context object, a key path and every resolver of
 * the app per value) and then copies the result again to sort it. On data made of strings,
 * numbers, booleans, arrays, plain objects and cdk8s-plus's number-or-string unions (`Quantity`,
 * `IntOrString`), cdk8s's own three resolvers replace only the unions, by `{ value }`; so one
 * sorted copy that does the same gives exactly the same JSON. At 10,000 cameras the resolver walk
 * was a quarter of the time spent serializing objects.
 *
 * The shortcut is taken only when every resolver of the app is one of cdk8s's own (a user's
 * resolver may replace any value), the object has no JSON patches, and the data holds no `Lazy`
 * or other token; otherwise cdk8s does the work, with its exact behaviour and errors.
 */
export function plainApiObjectJson(object: ApiObject, body: object, hasPatches: boolean): Record<string, unknown> | undefined {
  if (hasPatches || !hasOnlyBuiltInResolvers(object)) return undefined;
  const sortKeys = !process.env.CDK8S_DISABLE_SORT;
  let copy: Record<string, unknown>;
  try {
    copy = plainCopy(spreadOf(body, { metadata: object.metadata.toJson() }), sortKeys) as Record<string, unknown>;
  } catch {
    // NEEDS_RESOLVING, or metadata cdk8s cannot render: cdk8s then does the work, or fails with its own error.
    return undefined;
  }
  // As ApiObject.toJson(): apiVersion, kind and metadata first, then the rest in its order.
  const result: Record<string, unknown> = {};
  for (const key of ['apiVersion', 'kind', 'metadata', ...Object.keys(copy)]) {
    if (key in copy) result[key] = copy[key];
  }
  return result;
}

function hasOnlyBuiltInResolvers(object: ApiObject): boolean {
  const resolvers: unknown = (App.of(object) as Partial<App>).resolvers;
  return Array.isArray(resolvers) && resolvers.every((resolver) => BUILT_IN_RESOLVERS.some((builtIn) => resolver?.constructor === builtIn));
}

/**
 * cdk8s's resolve-then-`sanitizeValue` on data that needs no resolver but the union one: null and
 * undefined map entries are dropped, null array elements become undefined, map keys are sorted
 * unless `sortKeys` is false, and a union instance becomes `{ value }`. Throws NEEDS_RESOLVING on
 * anything else (tokens, class instances, functions, symbols, bigints, prototype-less objects,
 * maps with a `constructor` key, which cdk8s does not treat as maps, or a `__proto__` key).
 */
function plainCopy(value: unknown, sortKeys: boolean): unknown {
  if (value === null || value === undefined) return undefined;
  switch (typeof value) {
    case 'string':
    case 'number':
    case 'boolean':
      return value;
    case 'object':
      break;
    default:
      throw NEEDS_RESOLVING;
  }
  if (Array.isArray(value)) {
    if (mayBeResolved(value)) throw NEEDS_RESOLVING;
    return value.map((element) => plainCopy(element, sortKeys));
  }
  if (Object.getPrototypeOf(value) !== Object.prototype) return unionValue(value);
  if (hasOwn(value, 'constructor') || hasOwn(value, '__proto__')) throw NEEDS_RESOLVING;
  const source = value as Record<string, unknown>;
  const keys = sortKeys ? sorted(Object.keys(source)) : Object.keys(source);
  const copy: Record<string, unknown> = {};
  for (const key of keys) {
    const element = plainCopy(source[key], sortKeys);
    if (element !== undefined) copy[key] = element;
  }
  return copy;
}

/** `keys.sort()`, without sorting keys already in order (most are): a sort copies its array. */
function sorted(keys: string[]): string[] {
  for (let i = 1; i < keys.length; i++) {
    if (keys[i - 1] > keys[i]) return keys.sort();
  }
  return keys;
}

function hasOwn(value: object, key: string): boolean {
  return Object.prototype.hasOwnProperty.call(value, key);
}

/** What cdk8s's resolvers make of a class instance, in their order: only unions are handled here. */
function unionValue(value: object): { value: string | number } {
  if (value instanceof Lazy || typeof (value as { resolve?: unknown }).resolve === 'function' || value.constructor === Object) throw NEEDS_RESOLVING;
  const inner = (value as { value?: unknown }).value;
  if (typeof inner !== 'string' && typeof inner !== 'number') throw NEEDS_RESOLVING;
  return { value: inner };
}

/** An array a resolver would replace: one with a `resolve` method or a `value` (none in practice). */
function mayBeResolved(array: unknown[]): boolean {
  const fields = array as unknown as { resolve?: unknown; value?: unknown };
  return fields.resolve !== undefined || fields.value !== undefined;
}

/** A generated Kubernetes class (`k8s.KubeDeployment`, ...): its constructor and group-version-kind. */
type GeneratedKubeClass<P> = (new (scope: Construct, id: string, props: P) => ApiObject) & { readonly GVK: GroupVersionKind };

/**
 * The generated class `Base`, serializing through {@link plainApiObjectJson}: its `toJson()` returns
 * what `Base`'s does (the group-version-kind, then `toJsonOfProps` applied to ApiObject's JSON),
 * with cdk8s's resolver walk skipped when it cannot change anything.
 */
export function withPlainJson<P extends object, T extends GeneratedKubeClass<P>>(Base: T, toJsonOfProps: (props: P | undefined) => Record<string, unknown> | undefined): T {
  const gvk = { apiVersion: Base.GVK.apiVersion, kind: Base.GVK.kind };
  const convertProps = compiledToJson(toJsonOfProps as JsonConverter) as typeof toJsonOfProps;
  const Plain = class extends (Base as GeneratedKubeClass<P>) {
    private readonly body: Record<string, unknown>;
    private hasPatches = false;

    constructor(scope: Construct, id: string, props: P) {
      super(scope, id, props);
      // ApiObject keeps these props (private to it) and serializes `{ ...GVK, ...props }`.
      this.body = spreadOf(gvk, props);
      shareApiObjectProps(this, this.body);
    }

    public override addJsonPatch(...ops: JsonPatch[]): void {
      this.hasPatches = true;
      super.addJsonPatch(...ops);
    }

    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- as ApiObject.toJson()
    public override toJson(): any {
      const json = plainApiObjectJson(this, this.body, this.hasPatches);
      return json === undefined ? super.toJson() : spreadOf(gvk, convertProps(json as P));
    }
  };
  return Plain as unknown as T;
}

/**
 * Lets the generated class's `ApiObject` keep `body` instead of its own copy of the same entries
 * (`{ ...GVK, ...props }`, see `spreadOf`), when its copy has exactly those entries: one
 * object per API object instead of two, and no hidden class of its own.
 */
function shareApiObjectProps(object: ApiObject, body: Record<string, unknown>): void {
  const fields = object as unknown as { props?: unknown };
  if (hasSameEntries(fields.props, body)) fields.props = body;
}

function hasSameEntries(value: unknown, body: Record<string, unknown>): boolean {
  if (typeof value !== 'object' || value === null || Object.getPrototypeOf(value) !== Object.prototype) return false;
  const record = value as Record<string | symbol, unknown>;
  const keys = Reflect.ownKeys(record);
  const bodyKeys = Reflect.ownKeys(body);
  return keys.length === bodyKeys.length && keys.every((key, i) => key === bodyKeys[i] && Object.is(record[key], body[key as string]));
}
