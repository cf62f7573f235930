import { ApiObject, ApiObjectMetadataDefinition, App, GroupVersionKind, ImplicitTokenResolver, IResolver, JsonPatch, Lazy, LazyResolver, NumberStringUnionResolver } from 'cdk8s';
import { Construct } from 'constructs';
import { plainObjectFor } from '../core/plain-object';
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
  try {
    return plainObjectJson(body as Record<string, unknown>, plainMetadataJson(object, sortKeys), sortKeys);
  } catch {
    // NEEDS_RESOLVING, or metadata cdk8s cannot render: cdk8s then does the work, or fails with its own error.
    return undefined;
  }
}

/**
 * `{ ...body, metadata }` copied as {@link plainCopy} copies it, with apiVersion, kind and metadata
 * first and the rest in its order, as `ApiObject.toJson()` orders them; `metadata` is already a
 * copy, so it is not copied again.
 */
function plainObjectJson(body: Record<string, unknown>, metadata: unknown, sortKeys: boolean): Record<string, unknown> {
  if (hasOwn(body, 'constructor') || hasOwn(body, '__proto__')) throw NEEDS_RESOLVING;
  const result: Record<string, unknown> = {};
  copyDefined(result, 'apiVersion', body.apiVersion, sortKeys);
  copyDefined(result, 'kind', body.kind, sortKeys);
  if (metadata !== undefined) result.metadata = metadata;
  const keys = sortKeys ? sorted(Object.keys(body)) : Object.keys(body);
  for (const key of keys) {
    if (key !== 'apiVersion' && key !== 'kind' && key !== 'metadata') copyDefined(result, key, body[key], sortKeys);
  }
  return result;
}

function copyDefined(target: Record<string, unknown>, key: string, value: unknown, sortKeys: boolean): void {
  const copy = plainCopy(value, sortKeys, false);
  if (copy !== undefined) target[key] = copy;
}

/** The fields of cdk8s 2.70's `ApiObjectMetadataDefinition` that its `toJson()` reads. */
interface MetadataFields {
  readonly name?: unknown;
  readonly namespace?: unknown;
  readonly labels: unknown;
  readonly annotations: unknown;
  readonly finalizers: unknown;
  readonly ownerReferences: unknown;
  readonly _additionalAttributes: object;
}

/**
 * What `object.metadata.toJson()` returns (cdk8s resolves the metadata, then sanitizes it: keys
 * sorted, empty maps and lists dropped), computed in one copy when the metadata is plain data;
 * else cdk8s's own, copied. At 50,000 cameras cdk8s's resolve-then-sanitize of the metadata
 * allocated about a fifth of everything serialization allocates.
 */
function plainMetadataJson(object: ApiObject, sortKeys: boolean): unknown {
  const fields = metadataFields(object.metadata);
  if (fields !== undefined) {
    try {
      return plainCopy(spreadOf(fields._additionalAttributes, {
        name: fields.name,
        namespace: fields.namespace,
        annotations: fields.annotations,
        finalizers: fields.finalizers,
        ownerReferences: fields.ownerReferences,
        labels: fields.labels,
      }), true, true);
    } catch (error) {
      if (error !== NEEDS_RESOLVING) throw error;
    }
  }
  return plainCopy(object.metadata.toJson(), sortKeys, false);
}

/** The metadata's fields, or undefined when they are not what cdk8s 2.70 keeps (another release). */
function metadataFields(metadata: ApiObjectMetadataDefinition): MetadataFields | undefined {
  const fields = metadata as unknown as Partial<MetadataFields>;
  const isMap = (value: unknown) => typeof value === 'object' && value !== null && !Array.isArray(value);
  return isMap(fields.labels) && isMap(fields.annotations) && Array.isArray(fields.finalizers) && Array.isArray(fields.ownerReferences)
    && isMap(fields._additionalAttributes) ? fields as MetadataFields : undefined;
}

function hasOnlyBuiltInResolvers(object: ApiObject): boolean {
  const resolvers: unknown = (App.of(object) as Partial<App>).resolvers;
  return Array.isArray(resolvers) && resolvers.every((resolver) => BUILT_IN_RESOLVERS.some((builtIn) => resolver?.constructor === builtIn));
}

/**
 * cdk8s's resolve-then-`sanitizeValue` on data that needs no resolver but the union one: null and
 * undefined map entries are dropped, null array elements become undefined, map keys are sorted
 * unless `sortKeys` is false, and a union instance becomes `{ value }`; with `dropEmpty` (the
 * metadata's sanitizing), empty lists and maps, and maps left empty, are dropped too. Throws
 * NEEDS_RESOLVING on anything else (tokens, class instances, functions, symbols, bigints,
 * prototype-less objects, maps with a `constructor` key, which cdk8s does not treat as maps, or a
 * `__proto__` key).
 */
function plainCopy(value: unknown, sortKeys: boolean, dropEmpty: boolean): unknown {
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
    if (dropEmpty && value.length === 0) return undefined;
    return value.map((element) => plainCopy(element, sortKeys, dropEmpty));
  }
  if (Object.getPrototypeOf(value) !== Object.prototype) return unionValue(value);
  if (hasOwn(value, 'constructor') || hasOwn(value, '__proto__')) throw NEEDS_RESOLVING;
  const source = value as Record<string, unknown>;
  const keys = sortKeys ? sorted(Object.keys(source)) : Object.keys(source);
  const copy = plainObjectFor(keys);
  let entries = 0;
  for (const key of keys) {
    const element = plainCopy(source[key], sortKeys, dropEmpty);
    if (element !== undefined) {
      copy[key] = element;
      entries++;
    }
  }
  return dropEmpty && entries === 0 ? undefined : copy;
}

/**
 * `keys.sort()`, in place and without allocating for the short lists most maps have: V8's sort
 * copies its array into a work array first (at 50,000 cameras, sorting here and in cdk8s's
 * metadata sanitizing allocated a fifth of what serialization allocated). Keys are distinct
 * strings, so comparing with `<` orders them as the default sort does.
 */
function sorted(keys: string[]): string[] {
  if (keys.length > INSERTION_SORT_MAX) return keys.sort();
  for (let i = 1; i < keys.length; i++) {
    const key = keys[i];
    let j = i - 1;
    if (keys[j] < key) continue;
    for (; j >= 0 && keys[j] > key; j--) keys[j + 1] = keys[j];
    keys[j + 1] = key;
  }
  return keys;
}

/** Up to this many keys, {@link sorted} sorts by insertion (quadratic, but short and allocation-free). */
const INSERTION_SORT_MAX = 32;

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
