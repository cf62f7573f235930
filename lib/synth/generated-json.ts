import { k8s } from '../core/cdk8s-plus';
import { PlainObjectConstructor, plainObjectConstructorFor, plainObjectFor } from '../core/plain-object';

/** A generated `toJson_*` function of cdk8s-plus-27's Kubernetes imports, or its compiled equivalent. */
export type JsonConverter = (value: unknown) => unknown;

/**
 * The equivalent of a generated `toJson_*` function (`k8s.toJson_KubeDeploymentProps`, ...) that
 * returns exactly what it returns (same keys, in the same order, same values) without its cost, or
 * the function itself when its source is not the shape this module knows.
 *
 * Why: each generated function builds an object of every field of its type, then drops the
 * undefined ones by spreading a new object per defined field (`{ ...r, [key]: value }`): a
 * container's JSON is copied once per field it has. At 50,000 cameras those functions took more
 * time than everything else that serializes objects, and most of the garbage collector's.
 *
 * The compiled converter reads the field list (and each field's conversion) from the function's
 * own source, so it follows the installed cdk8s-plus-27: one conversion per field, in the order
 * the function lists them, undefined results dropped. A function whose source has any other
 * shape, or a field with any other expression, is used as it is. Should the converter meet a
 * value it does not expect (a map that is not an object), it hands the whole value to the
 * generated function, which then does what it always did, errors included.
 */
export function compiledToJson(generated: JsonConverter): JsonConverter {
  let converter = COMPILED.get(generated);
  if (converter === undefined) {
    converter = compile(generated);
    COMPILED.set(generated, converter);
  }
  return converter;
}

const COMPILED = new Map<JsonConverter, JsonConverter>();

/** Thrown inside a compiled converter for a value the generated function must handle itself. */
const UNEXPECTED = Symbol('unexpected value');

/** The generated functions by name, for the nested calls in their sources. */
const GENERATED_BY_NAME = new Map(Object.entries(k8s as unknown as Record<string, unknown>)
  .filter((entry): entry is [string, JsonConverter] => entry[0].startsWith('toJson_') && typeof entry[1] === 'function'));

/** A field of a generated function: its JSON key, the prop it reads and how its value is converted. */
interface Field {
  readonly key: string;
  readonly prop: string;
  readonly convert: (value: unknown) => unknown;
}

/**
 * The whole source of a generated function: a guard for undefined, an object literal of its
 * fields, and the filter that drops undefined values.
 */
const FUNCTION_SHAPE = new RegExp([
  String.raw`^function (toJson_\w+)\(obj\) \{\s*if \(obj === undefined\) \{\s*return undefined;\s*\}\s*const result = \{\n`,
  String.raw`([\s\S]*?)\n\s*\};\s*// filter undefined values\s*`,
  String.raw`return Object\.entries\(result\)\.reduce\(\(r, i\) => \(i\[1\] === undefined\) \? r : \(\{ \.\.\.r, \[i\[0\]\]: i\[1\] \}\), \{\}\);\s*\}$`,
].join(''));

const FIELD_LINE = /^\s*'([^']+)': (.+),$/;

/** A map (`{ [key: string]: V }`) converted entry by entry, as the generated functions write it. */
const MAP_EXPRESSION = /^\(\(obj\.(\w+)\) === undefined\) \? undefined : \(Object\.entries\(obj\.\1\)\.reduce\(\(r, i\) => \(i\[1\] === undefined\) \? r : \(\{ \.\.\.r, \[i\[0\]\]: (.+) \}\), \{\}\)\)$/;

function compile(generated: JsonConverter): JsonConverter {
  const fields = fieldsOf(generated);
  if (fields === undefined) return generated;
  // One root per type, picked once: its objects share their hidden classes (see plainObjectFor).
  const Plain = plainObjectConstructorFor(fields.map((field) => field.key));
  return (obj) => {
    if (obj === undefined) return undefined;
    try {
      return convertFields(obj, fields, Plain);
    } catch (error) {
      if (error === UNEXPECTED) return generated(obj);
      throw error;
    }
  };
}

function convertFields(obj: unknown, fields: readonly Field[], Plain: PlainObjectConstructor): Record<string, unknown> {
  const source = obj as Record<string, unknown>;
  const result = new Plain();
  for (const field of fields) {
    const value = field.convert(source[field.prop]);
    if (value !== undefined) result[field.key] = value;
  }
  return result;
}

/** The fields of a generated function, or undefined when its source is not of the known shape. */
function fieldsOf(generated: JsonConverter): Field[] | undefined {
  const match = FUNCTION_SHAPE.exec(Function.prototype.toString.call(generated));
  if (match === null) return undefined;
  const fields: Field[] = [];
  for (const line of match[2].split('\n')) {
    const field = FIELD_LINE.exec(line);
    const parsed = field && fieldExpression(field[2]);
    if (!field || !parsed || field[1] === '__proto__') return undefined;
    fields.push({ key: field[1], prop: parsed.prop, convert: parsed.convert });
  }
  return fields;
}

/** The prop a field's expression reads and its conversion, for the expressions the generator writes. */
function fieldExpression(expression: string): { prop: string; convert: (value: unknown) => unknown } | undefined {
  let m: RegExpExecArray | null;
  if ((m = /^obj\.(\w+)$/.exec(expression))) return { prop: m[1], convert: identity };
  if ((m = /^(toJson_\w+)\(obj\.(\w+)\)$/.exec(expression))) return nested(m[2], m[1], (convert) => convert);
  if ((m = /^obj\.(\w+)\?\.map\(y => (toJson_\w+)\(y\)\)$/.exec(expression))) return nested(m[1], m[2], (convert) => (value) => mapArray(value, convert));
  if ((m = /^obj\.(\w+)\?\.map\(y => y\)$/.exec(expression))) return { prop: m[1], convert: (value) => mapArray(value, identity) };
  if ((m = /^obj\.(\w+)\?\.value$/.exec(expression))) return { prop: m[1], convert: unionValue };
  if ((m = /^obj\.(\w+)\?\.toISOString\(\)$/.exec(expression))) return { prop: m[1], convert: isoString };
  if ((m = MAP_EXPRESSION.exec(expression))) {
    const entry = mapEntryConversion(m[2]);
    return entry && { prop: m[1], convert: (value) => mapObject(value, entry) };
  }
  return undefined;
}

/** How a map's defined entries are converted: `i[1]`, `i[1]?.value`, `i[1]?.map(y => y)` or `toJson_X(i[1])`. */
function mapEntryConversion(expression: string): ((value: unknown) => unknown) | undefined {
  if (expression === 'i[1]') return identity;
  if (expression === 'i[1]?.value') return unionValue;
  if (expression === 'i[1]?.map(y => y)') return (value) => mapArray(value, identity);
  const m = /^(toJson_\w+)\(i\[1\]\)$/.exec(expression);
  return m ? convertedBy(m[1]) : undefined;
}

function nested(prop: string, name: string, wrap: (convert: JsonConverter) => (value: unknown) => unknown): { prop: string; convert: (value: unknown) => unknown } | undefined {
  const convert = convertedBy(name);
  return convert && { prop, convert: wrap(convert) };
}

/**
 * The converter of the generated function `name`, compiled on first use: the types refer to each
 * other (JSONSchemaProps to itself). Undefined when the package has no such function.
 */
function convertedBy(name: string): JsonConverter | undefined {
  const generated = GENERATED_BY_NAME.get(name);
  if (generated === undefined) return undefined;
  let convert: JsonConverter | undefined;
  return (value) => (convert ??= compiledToJson(generated))(value);
}

function identity(value: unknown): unknown {
  return value;
}

/** `value?.map(y => convert(y))`, for arrays; any other defined value goes to the generated function. */
function mapArray(value: unknown, convert: (value: unknown) => unknown): unknown[] | undefined {
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value)) throw UNEXPECTED;
  return value.map((element) => convert(element));
}

/** `value?.value`: a number-or-string union (`IntOrString`, `Quantity`) as its value. */
function unionValue(value: unknown): unknown {
  return value === undefined || value === null ? undefined : (value as { value?: unknown }).value;
}

function isoString(value: unknown): unknown {
  if (value === undefined || value === null) return undefined;
  if (!(value instanceof Date)) throw UNEXPECTED;
  return value.toISOString();
}

/** The generated map conversion: own enumerable entries in `Object.entries` order, undefined values dropped, the rest converted. */
function mapObject(value: unknown, convert: (value: unknown) => unknown): Record<string, unknown> | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw UNEXPECTED;
  const source = value as Record<string, unknown>;
  const keys = Object.keys(source);
  const result = plainObjectFor(keys);
  // Object.keys, not Object.entries: the same entries in the same order, without an array per entry.
  for (const key of keys) {
    // The generated spread makes `__proto__` an own key; an assignment would set the prototype.
    if (key === '__proto__') throw UNEXPECTED;
    const element = source[key];
    if (element !== undefined) result[key] = convert(element);
  }
  return result;
}
