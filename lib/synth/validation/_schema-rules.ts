import type Ajv from 'ajv';
import type { ErrorObject, ValidateFunction } from 'ajv';
import coreSchema from './k8s-schema.json';
import { requireGeneratedModule } from './_generated-code';
import { goRegExp } from './_go-regexp';
import { ObjectReference, ValidationRule, Violation, jsonPath } from './violation';
import { spreadOf } from '../../core/spread';

/** The definition every object's `metadata` is checked against, core kind or custom resource. */
const OBJECT_META_REF = 'k8s#/definitions/@kubernetes-models.apimachinery.apis.meta.v1.ObjectMeta';

type JsonSchema = { [key: string]: unknown };
type KubeObject = { [key: string]: unknown };

/**
 * Converts a CRD `openAPIV3Schema` into a JSON Schema that ajv enforces the way the API server
 * does: objects with declared properties reject unknown fields unless the schema preserves them,
 * `nullable` admits null and `x-kubernetes-int-or-string` admits either.
 * CEL rules (`x-kubernetes-validations`) are not evaluated.
 */
export function crdToJsonSchema(schema: JsonSchema, isRoot = true): JsonSchema {
  const out: JsonSchema = {};
  for (const key of ['enum', 'pattern', 'minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum',
    'minLength', 'maxLength', 'minItems', 'maxItems', 'minProperties', 'maxProperties', 'uniqueItems',
    'required', 'multipleOf']) {
    if (schema[key] !== undefined) out[key] = schema[key];
  }
  if (schema['x-kubernetes-int-or-string'] === true) {
    out.anyOf = [{ type: 'integer' }, { type: 'string' }];
  } else if (typeof schema.type === 'string') {
    out.type = schema.nullable === true ? [schema.type, 'null'] : schema.type;
  }
  const properties = isRoot ? withTypeMeta(schema.properties as Record<string, JsonSchema> | undefined)
    : schema.properties as Record<string, JsonSchema> | undefined;
  if (properties) {
    out.properties = Object.fromEntries(Object.entries(properties).map(([name, sub]) =>
      [name, isRoot && name === 'metadata' ? { $ref: OBJECT_META_REF } : crdToJsonSchema(sub, false)]));
  }
  const additional = schema.additionalProperties;
  if (typeof additional === 'object' && additional !== null) {
    out.additionalProperties = crdToJsonSchema(additional as JsonSchema, false);
  } else if (additional === false || (properties && additional === undefined && !preservesUnknownFields(schema))) {
    out.additionalProperties = false;
  }
  if (schema.items && typeof schema.items === 'object') out.items = crdToJsonSchema(schema.items as JsonSchema, false);
  for (const key of ['allOf', 'anyOf', 'oneOf']) {
    const list = schema[key] as JsonSchema[] | undefined;
    // Structural schemas use these only to add value constraints, never to declare fields.
    if (list) out[key] = list.map((sub) => crdToJsonSchema(spreadOf(sub, { 'x-kubernetes-preserve-unknown-fields': true }), false));
  }
  if (schema.not) out.not = crdToJsonSchema(schema.not as JsonSchema, false);
  return out;
}

/** The API server accepts apiVersion, kind and metadata on every custom resource, declared or not. */
function withTypeMeta(properties: Record<string, JsonSchema> | undefined): Record<string, JsonSchema> {
  return { apiVersion: { type: 'string' }, kind: { type: 'string' }, metadata: { type: 'object' }, ...properties };
}

function preservesUnknownFields(schema: JsonSchema): boolean {
  return schema['x-kubernetes-preserve-unknown-fields'] === true || schema['x-kubernetes-embedded-resource'] === true;
}

/** ajv's settings, shared by the validators compiled at run time and those compiled ahead. */
export const AJV_OPTIONS = { allErrors: true, strict: false, validateFormats: false, code: { regExp: goRegExp } } as const;

/** The served schemas of the CRDs the library emits, read only when a validator is compiled. */
function shippedCrdSchemas(): Record<string, JsonSchema> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require('../../../imports/crd-schemas.json') as Record<string, JsonSchema>;
}

/** The key of a kind's validator: `<apiVersion>/<kind>`. */
function kindKey(apiVersion: string, kind: string): string {
  return `${apiVersion}/${kind}`;
}

/**
 * Every schema the library ships, by kind key: the core kinds as references into `k8s` (the
 * schema of `k8s-schema.json`, which must be added to ajv under that name) and the CRDs as
 * JSON Schemas. `scripts/generate-validators.ts` compiles exactly these ahead of time.
 */
export function shippedSchemas(): Map<string, JsonSchema> {
  const shipped = new Map<string, JsonSchema>();
  for (const [key, { $ref }] of Object.entries(coreSchema.kinds as Record<string, { $ref: string }>)) shipped.set(key, { $ref: `k8s${$ref}` });
  for (const [key, crd] of Object.entries(shippedCrdSchemas())) shipped.set(key, crdToJsonSchema(crd));
  return shipped;
}

/** The identifier a shipped kind's validator is exported under in the generated `_compiled-validators-*.js`. */
export function compiledValidatorName(key: string): string {
  return `validate_${key.replace(/[^A-Za-z0-9]/g, '_')}`;
}

type CompiledValidators = Record<string, ValidateFunction | undefined>;

let index: { readonly fileOfValidator: Readonly<Record<string, string | undefined>> } | undefined;

/** Which generated file in this folder exports each validator compiled ahead. */
function compiledValidatorsIndex(): NonNullable<typeof index> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  index ??= require('./_compiled-validators') as NonNullable<typeof index>;
  return index;
}

/**
 * The validators: those of the shipped kinds come compiled ahead of time (compiling them took a
 * quarter of a second on every cold run); CRDs registered at run time, and shipped kinds they
 * replace, are compiled on first use and cached.
 */
class SchemaRegistry {
  private ajvInstance?: Ajv;
  private readonly precompiled = new Map<string, CompiledValidators>();
  private readonly compiled = new Map<string, ValidateFunction>();
  private readonly registered = new Map<string, JsonSchema>();

  constructor(private readonly usePrecompiled: boolean) {}

  addCrd(group: string, version: string, kind: string, openApiV3Schema: JsonSchema): void {
    const key = kindKey(`${group}/${version}`, kind);
    this.registered.set(key, openApiV3Schema);
    this.compiled.delete(key);
  }

  /** The CRDs registered at run time, as text: what a validator in another process would not know. */
  registeredCrds(): string {
    return JSON.stringify([...this.registered]);
  }

  isCore(apiVersion: string, kind: string): boolean {
    return kindKey(apiVersion, kind) in coreSchema.kinds;
  }

  validatorFor(apiVersion: string, kind: string): ValidateFunction | undefined {
    const key = kindKey(apiVersion, kind);
    const cached = this.compiled.get(key) ?? this.precompiledFor(key);
    if (cached) return cached;
    const schema = this.schemaFor(key);
    if (!schema) return undefined;
    const compiled = this.ajv().compile(schema);
    this.compiled.set(key, compiled);
    return compiled;
  }

  /**
   * The validator compiled ahead for a shipped kind. The code is one file per CRD group and one
   * for the Kubernetes kinds (see scripts/generate-validators.ts): only the files of the kinds
   * met are loaded.
   */
  private precompiledFor(key: string): ValidateFunction | undefined {
    if (!this.usePrecompiled || this.registered.has(key)) return undefined;
    const name = compiledValidatorName(key);
    const file = compiledValidatorsIndex().fileOfValidator[name];
    if (file === undefined) return undefined;
    let validators = this.precompiled.get(file);
    if (validators === undefined) {
      validators = requireGeneratedModule(require.resolve(`./${file}`), require) as CompiledValidators;
      this.precompiled.set(file, validators);
    }
    return validators[name];
  }

  private ajv(): Ajv {
    if (this.ajvInstance === undefined) {
      // Loaded here: with the validators compiled ahead, most runs never compile anything.
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { default: AjvClass } = require('ajv') as { default: typeof Ajv };
      this.ajvInstance = new AjvClass(AJV_OPTIONS);
      this.ajvInstance.addSchema(coreSchema, 'k8s');
    }
    return this.ajvInstance;
  }

  /** A CRD registered at run time replaces the shipped schema of its kind. */
  private schemaFor(key: string): JsonSchema | undefined {
    const registered = this.registered.get(key);
    return registered ? crdToJsonSchema(registered) : shippedSchemas().get(key);
  }
}

let registry: SchemaRegistry | undefined;
function schemas(): SchemaRegistry {
  registry ??= new SchemaRegistry(true);
  return registry;
}

/**
 * Starts over with validators compiled at run time only (`true`) or with the ones compiled ahead
 * (`false`, the default); CRDs registered so far are forgotten. For the test that both kinds of
 * validator give the same verdicts.
 */
export function compileAtRunTime(enabled: boolean): void {
  registry = new SchemaRegistry(!enabled);
}

/** The CRDs registered in this process with `registerCrd`, as text (`[]` when none). */
export function registeredCrds(): string {
  return schemas().registeredCrds();
}

/** Registers the schema of a CRD the library does not ship, so its objects can be validated. */
export function registerCrd(crd: KubeObject): void {
  const spec = crd.spec as { group: string; names: { kind: string }; versions: Array<{ name: string; served?: boolean; schema?: { openAPIV3Schema?: JsonSchema } }> };
  for (const version of spec.versions.filter((v) => v.served !== false)) {
    schemas().addCrd(spec.group, version.name, spec.names.kind,
      version.schema?.openAPIV3Schema ?? { type: 'object', 'x-kubernetes-preserve-unknown-fields': true });
  }
}

/** Splits a JSON pointer and restores array indexes as numbers, using the object to tell them apart. */
function pointerSegments(object: unknown, pointer: string): Array<string | number> {
  const segments: Array<string | number> = [];
  let cursor: unknown = object;
  for (const raw of pointer.split('/').slice(1)) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    const index = Array.isArray(cursor) ? Number(key) : NaN;
    segments.push(Number.isInteger(index) ? index : key);
    cursor = cursor !== null && typeof cursor === 'object' ? (cursor as Record<string, unknown>)[key] : undefined;
  }
  return segments;
}

function describeError(error: ErrorObject): string {
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case 'required': return `required field '${params.missingProperty}' is missing`;
    case 'type': return `must be of type ${params.type}`;
    case 'const': return `must be ${JSON.stringify(params.allowedValue)}`;
    case 'enum': return `must be one of ${(params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`;
    case 'anyOf': return 'matches none of the allowed forms';
    case 'format': return `must be a valid ${params.format}`;
    default: return error.message ?? error.keyword;
  }
}

function toViolations(object: KubeObject, ref: ObjectReference, errors: readonly ErrorObject[]): Violation[] {
  const anyOfPaths = new Set(errors.filter((e) => e.keyword === 'anyOf').map((e) => e.instancePath));
  const seen = new Set<string>();
  const violations: Violation[] = [];
  for (const error of errors) {
    // The branches of a failed anyOf say the same thing as the anyOf itself, less clearly.
    if (error.keyword !== 'anyOf' && anyOfPaths.has(error.instancePath) && error.schemaPath.includes('/anyOf/')) continue;
    const segments = pointerSegments(object, error.instancePath);
    const unknownField = error.keyword === 'additionalProperties';
    if (unknownField) segments.push(String((error.params as { additionalProperty: string }).additionalProperty));
    const violation: Violation = {
      rule: unknownField ? ValidationRule.UNKNOWN_FIELD : ValidationRule.SCHEMA,
      object: ref,
      path: jsonPath(segments),
      message: unknownField ? 'unknown field: strict field validation rejects it' : describeError(error),
    };
    const key = `${violation.rule}|${violation.path}|${violation.message}`;
    if (!seen.has(key)) {
      seen.add(key);
      violations.push(violation);
    }
  }
  return violations;
}

/**
 * Integers, int32 ranges and quantity syntax, from the validators `kubernetes-models` compiled
 * from the same Kubernetes 1.27 OpenAPI document (the structural schema only knows "number").
 * They come bundled in `_format-validators.js` (`npm run generate-validators`), the package's own
 * code in one file, which loads in a fraction of the time the package's modules take.
 *
 * The validator runs on the object itself, as the model's `validate()` runs it on the model: a
 * model would only be a copy without undefined values (an object read from YAML, or one that
 * reads back unchanged, has none) and with the apiVersion and kind the object already has.
 * Copying every object cost a fifth of the check.
 */
function formatErrors(object: KubeObject, apiVersion: string, kind: string): ErrorObject[] {
  const validate = formatValidatorOf(apiVersion, kind);
  if (validate(object)) return [];
  return (validate.errors ?? []).filter((e) => e.keyword === 'format' || e.keyword === 'pattern'
    || (e.keyword === 'type' && (e.params as { type: string }).type === 'integer'));
}

type FormatValidators = { formatValidatorFor(key: string): ValidateFunction | undefined };
let formatValidators: FormatValidators | undefined;

function formatValidatorOf(apiVersion: string, kind: string): ValidateFunction {
  formatValidators ??= requireGeneratedModule(require.resolve('./_format-validators'), require) as FormatValidators;
  const validate = formatValidators.formatValidatorFor(kindKey(apiVersion, kind));
  if (validate === undefined) throw new Error(`no format validator is bundled for ${kindKey(apiVersion, kind)}: run npm run generate-validators`);
  return validate;
}

/** Schema, required fields, types and unknown fields, for core kinds and known CRDs alike. */
export function checkSchema(object: KubeObject, ref: ObjectReference): Violation[] {
  const apiVersion = String(object.apiVersion ?? '');
  const kind = String(object.kind ?? '');
  const validate = schemas().validatorFor(apiVersion, kind);
  if (!validate) {
    return [{
      rule: ValidationRule.UNKNOWN_KIND,
      object: ref,
      path: '',
      message: `no schema is known for apiVersion '${apiVersion}' kind '${kind}'; register its CRD with ManifestValidator.addCrd()`,
    }];
  }
  const errors: ErrorObject[] = validate(object) ? [] : [...(validate.errors ?? [])];
  if (schemas().isCore(apiVersion, kind)) {
    errors.push(...formatErrors(object, apiVersion, kind));
  }
  return toViolations(object, ref, errors);
}
