import { Yaml } from 'cdk8s';
import { yamlPackage } from '../../core/yaml-package';
import { readYamlDocuments } from './_yaml11-rules';

/**
 * Whether the YAML cdk8s writes for an object (`Yaml.stringify`: YAML 1.1, no line wrapping) is
 * read back as that very object by a YAML 1.2 reader (the round trip) and by a YAML 1.1 reader
 * (kubectl, Argo CD, PyYAML), decided from the object, without serializing or parsing it.
 *
 * Why this is enough: both readers share one parse of the text (see `readYamlDocuments`), so the
 * structure is the same for both; they differ only in how they resolve a plain scalar or key
 * (`on`, `0o14`, `1:30`). Each scalar and key is therefore decided on its own, once per distinct
 * value:
 * - a line of printable ASCII that no resolver of either version (nor the writer's) could take
 *   for anything but a string reads back as itself, plain or quoted;
 * - so does a line of printable ASCII that the writer's own resolvers take for something else
 *   (`8080`, `true`, `05:00`, the empty string): the writer quotes it, and a quoted line reads
 *   back as the string it holds under every schema;
 * - so does a value of printable ASCII over several lines that starts with a visible character
 *   and does not end in blanks, which the writer puts in a literal block (`|`). The property
 *   tests of `test/synth/object-validation.test.ts` hold the writer and the readers to both, and
 *   found where the writer gets text over several lines wrong: text starting with a line of
 *   blanks (the block loses them) and text ending in blanks (it is quoted over several lines,
 *   and a line of one blank comes back as a backslash). Such text, and keys over several lines,
 *   are decided the slow way;
 * - booleans, null and safe integers read back as themselves under every schema of both
 *   versions: the writer writes them as `true`, `false`, `null` and decimal digits;
 * - anything else (other numbers, number-like or boolean-like strings, non-ASCII text,
 *   tabs and control characters) is written as a one-entry map by the writer itself and read
 *   back by both readers, as the text path would; the verdict is cached per distinct value.
 * Objects that are not plain JSON (undefined, functions, class instances, a shared or cyclic
 * reference, which the writer turns into an alias) are never called clean.
 */

/** One line of printable ASCII: text whose quoting, if any, the readers undo exactly. */
const PRINTABLE_LINE = /^[\x20-\x7e]*$/;
/** Printable ASCII over lines, starting with a visible character and not ending in blanks: a literal block the readers read exactly. */
const PRINTABLE_LINES = /^[\x21-\x7e][\x20-\x7e\n]*$/;
const ENDS_IN_BLANKS = /\n +$/;

/** The YAML 1.1 schema cdk8s writes with. */
const WRITER_SCHEMA = writerSchema();

/**
 * Every plain-scalar test of the schemas involved: the writer's YAML 1.1 schema and the reader's
 * YAML 1.2 (core) and YAML 1.1 schemas, as one regular expression anchored at the start (each
 * test is anchored on both ends). Read from the libraries themselves, so that a new resolver in
 * a new version is covered without a list kept by hand.
 */
const MAY_RESOLVE = unionOf([WRITER_SCHEMA, ...readerSchemas()].flatMap((schema) => tagTests(schema, () => true)));

/**
 * The tests the writer applies to a string before it writes it plain, as `yaml`'s
 * `stringifyString` does: a default tag of its schema other than `str` whose test matches makes
 * it quote the string. Tags that are default for keys only (YAML 1.1's merge key `<<`) are left
 * out: the writer writes `<<` plain, and a YAML 1.1 reader takes that key for a merge.
 */
const WRITER_QUOTES = unionOf(tagTests(WRITER_SCHEMA, (tag) => tag.default === true && tag.tag !== 'tag:yaml.org,2002:str'));

type Schema = { tags?: unknown; compat?: unknown };
type Tag = { test?: unknown; default?: unknown; tag?: unknown };

function tagTests(schema: Schema, applies: (tag: Tag) => boolean): RegExp[] {
  const tags = [...asArray(schema.tags), ...asArray(schema.compat)] as Tag[];
  return tags.filter(applies).map((tag) => tag.test).filter((test): test is RegExp => test instanceof RegExp);
}

/** One expression that matches where any of `tests` matches, or undefined (every string is then decided the slow way) for tests of another shape. */
function unionOf(tests: readonly RegExp[]): RegExp | undefined {
  const distinct = [...new Map(tests.map((t) => [`/${t.source}/${t.flags}`, t])).values()];
  if (distinct.length === 0 || distinct.some((t) => t.flags !== '' || !t.source.startsWith('^') || !t.source.endsWith('$'))) return undefined;
  return new RegExp(`^(?:${distinct.map((t) => `(?:${t.source})`).join('|')})`);
}

function asArray(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

/** The `yaml` module cdk8s writes with: its own copy, which may differ from the one the readers use. */
function writerYaml(): typeof import('yaml') {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require(require.resolve('yaml', { paths: [require.resolve('cdk8s')] })) as typeof import('yaml');
}

function writerSchema(): Schema {
  return new (writerYaml().Document)(null, { version: '1.1' }).schema as unknown as Schema;
}

/**
 * The YAML 1.2 and YAML 1.1 schemas of the readers' `yaml` package. When it is the very version
 * cdk8s writes with, the writer's copy has the same schemas: asking it spares loading a second
 * copy of the package (about 20 ms of every cold synth) where no value needs reading back.
 */
function readerSchemas(): Schema[] {
  const reader = readerVersion() === writerVersion() ? writerYaml() : yamlPackage();
  return [new reader.Document(null, { version: '1.2' }).schema, new reader.Document(null, { version: '1.1' }).schema] as unknown as Schema[];
}

function writerVersion(): string {
  return versionIn(require.resolve('yaml/package.json', { paths: [require.resolve('cdk8s')] }));
}

function readerVersion(): string {
  return versionIn(require.resolve('yaml/package.json'));
}

function versionIn(packageJson: string): string {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (require(packageJson) as { version: string }).version;
}

/** Verdicts of the values and keys decided by writing and reading them, by value. */
const values = new Map<unknown, boolean>();
const keys = new Map<string, boolean>();
/** Bounds the caches: a long-lived process validating many different platforms starts over. */
const MAX_CACHED = 200_000;

/** Writes one-entry maps as cdk8s does and reads them back as the validator does: true when nothing changes. */
function readsBackAs(probe: { [key: string]: unknown }): boolean {
  // The bytes written, not the JavaScript text: UTF-8 replaces a lone surrogate.
  const text = Buffer.from(Yaml.stringify(probe), 'utf8').toString('utf8');
  try {
    const documents = readYamlDocuments(text);
    if (documents.length !== 1 || documents[0].differences.length > 0) return false;
    const read = documents[0].value as { [key: string]: unknown };
    const [key] = Object.keys(probe);
    return Object.keys(read).length === 1 && Object.prototype.hasOwnProperty.call(read, key) && Object.is(read[key], probe[key]);
  } catch {
    return false;
  }
}

function remember<K>(cache: Map<K, boolean>, key: K, verdict: boolean): boolean {
  if (cache.size >= MAX_CACHED) cache.clear();
  cache.set(key, verdict);
  return verdict;
}

/** Whether a value (or a key) certainly reads back as itself: see the rules above. */
function isPlainText(text: string, isKey = false): boolean {
  if (MAY_RESOLVE === undefined) return false;
  if (!text.includes('\n')) return PRINTABLE_LINE.test(text) && (!MAY_RESOLVE.test(text) || WRITER_QUOTES?.test(text) === true);
  return !isKey && PRINTABLE_LINES.test(text) && !ENDS_IN_BLANKS.test(text);
}

/** Strings up to this long are remembered whatever their verdict: the same names and values recur thousands of times. */
const SHORT = 64;

function cleanValue(value: string | number | boolean | null): boolean {
  // The writer writes these as `true`, `false`, `null` and decimal digits, which every schema of
  // both versions reads back as the same value (the property tests hold them to it).
  if (typeof value === 'boolean' || value === null || (Number.isSafeInteger(value) && !Object.is(value, -0))) return true;
  if (typeof value === 'string' && value.length > SHORT) return isPlainText(value) || (values.get(value) ?? remember(values, value, readsBackAs({ v: value })));
  // -0 and 0 share a key in a Map; -0 is rare enough to be decided each time.
  if (Object.is(value, -0)) return readsBackAs({ v: value });
  return values.get(value) ?? remember(values, value, (typeof value === 'string' && isPlainText(value)) || readsBackAs({ v: value }));
}

function cleanKey(key: string): boolean {
  return keys.get(key) ?? remember(keys, key, isPlainText(key, true) || readsBackAs({ [key]: 0 }));
}

/**
 * Whether `document`, written by cdk8s's `Yaml.stringify`, reads back as exactly `document`
 * under YAML 1.2 and means the same under YAML 1.1: then validating the object is validating
 * the bytes written, and there is no YAML 1.1 difference to report.
 */
export function readsBackUnchanged(document: unknown): boolean {
  return isClean(document, new Set());
}

function isClean(node: unknown, containers: Set<object>): boolean {
  switch (typeof node) {
    case 'string':
    case 'number':
    case 'boolean':
      return cleanValue(node);
    case 'object':
      if (node === null) return cleanValue(null);
      // A second reference to the same object is written as an alias, which the readers refuse.
      if (containers.has(node)) return false;
      containers.add(node);
      return Array.isArray(node) ? isCleanArray(node, containers) : isCleanMap(node, containers);
    default:
      // undefined (written as null), functions, symbols, bigints.
      return false;
  }
}

function isCleanArray(array: readonly unknown[], containers: Set<object>): boolean {
  if (Object.getPrototypeOf(array) !== Array.prototype) return false;
  for (let i = 0; i < array.length; i++) {
    if (!isClean(array[i], containers)) return false;
  }
  return true;
}

function isCleanMap(map: object, containers: Set<object>): boolean {
  // Class instances, Maps, Dates and iterables are written otherwise than as their keys.
  if (Object.getPrototypeOf(map) !== Object.prototype || Symbol.iterator in map) return false;
  const record = map as { [key: string]: unknown };
  for (const key of Object.keys(record)) {
    if (!cleanKey(key) || !isClean(record[key], containers)) return false;
  }
  return true;
}
