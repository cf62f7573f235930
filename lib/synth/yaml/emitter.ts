import * as fs from 'fs';
import * as path from 'path';
import { Yaml } from 'cdk8s';
import { INDENT_STEP, numberText, stringText } from './scalar-text';

/**
 * A YAML writer for Kubernetes manifests whose output is byte for byte what cdk8s 2.70's
 * `Yaml.stringify(...docs)` writes (the `yaml` package with `{ keepUndefined: true, lineWidth: 0,
 * version: '1.1' }`, documents joined with `---`), several times faster, and for any number of
 * documents.
 *
 * Why: `Yaml.stringify` takes the documents as separate arguments, so about 94,000 objects exceed
 * the call stack (`RangeError`), and the package builds a node tree for every value and tries
 * every schema tag on every scalar before writing it, which made serialization the largest part
 * of synthesizing a city-scale platform.
 *
 * The fast path writes JSON data directly: plain objects (string keys), arrays, strings, numbers,
 * booleans, null and undefined (written `null`, as `keepUndefined` does). The style of each
 * string is decided once per distinct string. Whatever the fast path does not reproduce exactly
 * is written by cdk8s's `Yaml.stringify` itself, one whole document at a time (see
 * {@link fastPathYaml}); so is every document when cdk8s bundles another `yaml` release than the
 * one the fast path was proven against.
 */

/** The `yaml` release whose stringifier the fast path reproduces; the emitter's tests prove it against cdk8s. */
export const PROVEN_YAML_VERSION = '2.9.1';

/** Whether cdk8s writes YAML with that release: the fast path is a port of its decisions, valid for it alone. */
const FAST_PATH_APPLIES = yamlVersionOfCdk8s() === PROVEN_YAML_VERSION;

/** The version of the `yaml` package cdk8s loads (its own copy), or undefined if it cannot be found. */
export function yamlVersionOfCdk8s(): string | undefined {
  try {
    const cdk8sFolder = path.dirname(require.resolve('cdk8s/package.json'));
    const manifest = require.resolve('yaml/package.json', { paths: [cdk8sFolder] });
    return (JSON.parse(fs.readFileSync(manifest, 'utf8')) as { version?: string }).version;
  } catch {
    return undefined;
  }
}

const DOCUMENT_SEPARATOR = '---\n';

/** The package writes a key longer than this as an explicit `? key` entry, which the fast path leaves to it. */
const MAX_IMPLICIT_KEY_LENGTH = 1024;

/** Thrown inside the fast path when a document needs the package; caught in this module. */
const NOT_ON_FAST_PATH = Symbol('not on the fast path');

/**
 * Exactly `Yaml.stringify(...docs)` of cdk8s, for any number of documents.
 * @param docs the documents, in order; an undefined one is written as an empty document
 */
export function stringifyManifests(docs: readonly unknown[]): string {
  const chunks: string[] = [];
  writeManifests(docs, (chunk) => chunks.push(chunk));
  return chunks.join('');
}

/**
 * The text of {@link stringifyManifests}, handed to `write` piece by piece (each document's text
 * and the separators between them), in order: a file can be written (and hashed) without its
 * whole text ever being one string, which at city scale is hundreds of megabytes held while the
 * next file is serialized.
 * @param docs the documents, in order; an undefined one is written as an empty document
 * @param write receives the text's pieces, in order; their concatenation is the text
 */
export function writeManifests(docs: readonly unknown[], write: (piece: string) => void): void {
  const writer = new FastPathWriter();
  for (let i = 0; i < docs.length; i++) {
    if (i > 0) write(DOCUMENT_SEPARATOR);
    write(writer.documentText(docs[i]));
  }
}

/**
 * Exactly `Yaml.stringify(doc)` of cdk8s, for one document.
 * @param doc the document; undefined is written as an empty document
 */
export function stringifyManifest(doc: unknown): string {
  return new FastPathWriter().documentText(doc);
}

/**
 * The fast path's text for one document, or undefined where it leaves the document to cdk8s: a
 * document that is not a plain object or array (a scalar, a Date, a Map, a class instance), or
 * that holds anything but JSON data (a bigint, symbol or function, an object with a prototype
 * other than Object's or Array's, a `toJSON` method, an object with an iterator, an array with
 * its own iterator), the same object or array twice (the package writes anchors and aliases), or
 * a key whose text is longer than 1,024 characters; and every document when cdk8s's `yaml` is not
 * {@link PROVEN_YAML_VERSION}. Exported so that tests can prove the fast path itself, not the
 * fallback, matches.
 */
export function fastPathYaml(doc: unknown): string | undefined {
  return new FastPathWriter().fastPathText(doc);
}

/** The pieces of text that depend only on the depth, made once per depth. */
interface Level {
  /** `depth` indentation steps. */
  readonly indent: string;
  /** Between two entries or items of a collection at this depth. */
  readonly lineBreak: string;
  /** Between two items of a sequence at this depth. */
  readonly lineBreakDash: string;
  /** After a key whose value, a non-empty collection, starts on the next line at this depth. */
  readonly colonLineBreak: string;
}

const LEVELS: Level[] = [];

function levelAt(depth: number): Level {
  while (LEVELS.length <= depth) {
    const indent = INDENT_STEP.repeat(LEVELS.length);
    LEVELS.push({ indent, lineBreak: `\n${indent}`, lineBreakDash: `\n${indent}- `, colonLineBreak: `:\n${indent}` });
  }
  return LEVELS[depth];
}

/**
 * Writes one document at a time. The package's block layout, which the methods
 * follow: a map's entries and a sequence's items are separated by a line break and the
 * collection's indent; a non-empty collection as a map value starts on the next line, one step
 * deeper (sequences included: the package indents them under their key); an empty one is `{}` or
 * `[]` on the key's line; a sequence item's content is indented one step past its `- `.
 * `depth` counts indentation steps: the lines of a collection at depth d start with d steps.
 */
/** Multi-line strings up to this long are remembered: longer ones are written each time they occur. */
const MAX_REMEMBERED_MULTI_LINE = 1024;

class FastPathWriter {
  /** String scalars as map values or sequence items, for strings without line breaks (whose text does not depend on the indent). */
  private readonly singleLineValues = new Map<string, string>();
  /** Multi-line strings, with the indent they were last written at: the same text tends to recur at the same depth. */
  private readonly multiLineValues = new Map<string, { readonly indent: string; readonly text: string }>();
  /** Keys of nested maps, and keys of the document's own map (where document markers must be quoted). */
  private readonly nestedKeys = new Map<string, string>();
  private readonly topLevelKeys = new Map<string, string>();
  /** The collections of the current document: a second visit means the package would write an alias. */
  private readonly visited = new Set<object>();
  /**
   * The current document's text, in pieces joined once at its end. Nearly every piece is a
   * string that already exists (a cached scalar or key, an indent, a constant), so writing
   * allocates almost nothing; concatenating instead would allocate a string node per piece.
   * Per document, so that the array stays small and short-lived.
   */
  private readonly parts: string[] = [];

  /** One document as cdk8s writes it: by the fast path where it can, else by cdk8s (which writes undefined as an empty line). */
  documentText(doc: unknown): string {
    return this.fastPathText(doc) ?? Yaml.stringify(doc);
  }

  /** One document by the fast path, or undefined where cdk8s must write it. */
  fastPathText(doc: unknown): string | undefined {
    if (!FAST_PATH_APPLIES || typeof doc !== 'object' || doc === null) return undefined;
    try {
      this.rootCollection(doc);
      this.parts.push('\n');
      return this.parts.join('');
    } catch (error) {
      if (error === NOT_ON_FAST_PATH) return undefined;
      throw error;
    } finally {
      this.parts.length = 0;
      this.visited.clear();
    }
  }

  private rootCollection(doc: object): void {
    if (Array.isArray(doc)) {
      this.checkArray(doc);
      if (doc.length === 0) this.parts.push('[]');
      else this.sequence(doc, 0);
    } else {
      const keys = this.checkedKeys(doc);
      if (keys.length === 0) this.parts.push('{}');
      else this.map(doc as Record<string, unknown>, keys, 0);
    }
  }

  /** The entries of a non-empty map whose lines start at `depth`. */
  private map(map: Record<string, unknown>, keys: readonly string[], depth: number): void {
    const { lineBreak } = levelAt(depth);
    const keyIndent = levelAt(depth + 1).indent;
    const keyTexts = depth === 0 ? this.topLevelKeys : this.nestedKeys;
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i];
      if (i > 0) this.parts.push(lineBreak);
      this.parts.push(this.keyText(key, keyIndent, keyTexts));
      this.mapValue(map[key], depth + 1);
    }
  }

  /** A map value after its `key`, at `depth` one step below the key. */
  private mapValue(value: unknown, depth: number): void {
    if (typeof value !== 'object' || value === null) {
      this.parts.push(': ', this.scalarText(value, depth));
    } else if (Array.isArray(value)) {
      this.checkArray(value);
      if (value.length === 0) {
        this.parts.push(': []');
      } else {
        this.parts.push(levelAt(depth).colonLineBreak);
        this.sequence(value, depth);
      }
    } else {
      const keys = this.checkedKeys(value);
      if (keys.length === 0) {
        this.parts.push(': {}');
      } else {
        this.parts.push(levelAt(depth).colonLineBreak);
        this.map(value as Record<string, unknown>, keys, depth);
      }
    }
  }

  /** The items of a non-empty sequence whose `- ` lines start at `depth`. */
  private sequence(items: readonly unknown[], depth: number): void {
    const { lineBreakDash } = levelAt(depth);
    for (let i = 0; i < items.length; i++) {
      this.parts.push(i > 0 ? lineBreakDash : '- ');
      this.sequenceItem(items[i], depth + 1);
    }
  }

  /** A sequence item after its `- `, at `depth` one step past the dash: a nested collection starts on the same line. */
  private sequenceItem(value: unknown, depth: number): void {
    if (typeof value !== 'object' || value === null) {
      this.parts.push(this.scalarText(value, depth));
    } else if (Array.isArray(value)) {
      this.checkArray(value);
      if (value.length === 0) this.parts.push('[]');
      else this.sequence(value, depth);
    } else {
      const keys = this.checkedKeys(value);
      if (keys.length === 0) this.parts.push('{}');
      else this.map(value as Record<string, unknown>, keys, depth);
    }
  }

  private scalarText(value: unknown, depth: number): string {
    switch (typeof value) {
      case 'string': return this.stringValueText(value, depth);
      case 'number': return numberText(value);
      case 'boolean': return value ? 'true' : 'false';
      // `keepUndefined` turns undefined into null; `null` is the only other non-object here.
      case 'undefined': case 'object': return 'null';
      // bigint, symbol, function: the package has its own ways (or errors) for them.
      default: throw NOT_ON_FAST_PATH;
    }
  }

  private stringValueText(value: string, depth: number): string {
    const cached = this.singleLineValues.get(value);
    if (cached !== undefined) return cached;
    const { indent } = levelAt(depth);
    if (value.includes('\n')) return this.multiLineText(value, indent);
    const text = stringText(value, indent, false);
    this.singleLineValues.set(value, text);
    return text;
  }

  /**
   * A multi-line string's text carries its indent: it is reused only at the same indent. Long
   * ones (configuration files in ConfigMaps, up to hundreds of KiB each) are not remembered: they
   * rarely recur, and a file of them would be held twice until it is written.
   */
  private multiLineText(value: string, indent: string): string {
    const cached = this.multiLineValues.get(value);
    if (cached !== undefined && cached.indent === indent) return cached.text;
    const text = stringText(value, indent, false);
    if (value.length <= MAX_REMEMBERED_MULTI_LINE) this.multiLineValues.set(value, { indent, text });
    return text;
  }

  /** A key's text; it depends only on the key and on whether its map is the document's own. */
  private keyText(key: string, indent: string, cache: Map<string, string>): string {
    let text = cache.get(key);
    if (text === undefined) {
      text = stringText(key, indent, true);
      cache.set(key, text);
    }
    if (text.length > MAX_IMPLICIT_KEY_LENGTH) throw NOT_ON_FAST_PATH;
    return text;
  }

  /** An array the package writes as a plain sequence (it reads the items through the iterator), seen once in this document. */
  private checkArray(array: unknown[]): void {
    if (Object.getPrototypeOf(array) !== Array.prototype || hasToJson(array) || array[Symbol.iterator] !== ARRAY_ITERATOR) throw NOT_ON_FAST_PATH;
    this.visitOnce(array);
  }

  /** The keys of an object the package writes as a plain map, seen once in this document. */
  private checkedKeys(object: object): string[] {
    const prototype: unknown = Object.getPrototypeOf(object);
    if ((prototype !== Object.prototype && prototype !== null) || hasToJson(object) || Symbol.iterator in object) throw NOT_ON_FAST_PATH;
    this.visitOnce(object);
    return Object.keys(object);
  }

  private visitOnce(collection: object): void {
    const size = this.visited.size;
    // One hash lookup: the set grows unless the collection was already in it.
    if (this.visited.add(collection).size === size) throw NOT_ON_FAST_PATH;
  }
}

/** The iterator the fast path's index loop is equivalent to (compared, never called). */
const ARRAY_ITERATOR = Array.prototype[Symbol.iterator];

/** The package calls `toJSON()` on objects that no schema tag claims, and writes what it returns. */
function hasToJson(object: object): boolean {
  return typeof (object as { toJSON?: unknown }).toJSON === 'function';
}
