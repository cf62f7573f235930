/**
 * YAML for the configuration files the platform writes into ConfigMaps and beside `dist/`
 * (Prometheus and Alertmanager configuration, rule files, MediaMTX, K3s): the same text for the
 * same value, read back as that value by YAML 1.1 readers (Go's yaml.v2, which Prometheus,
 * Alertmanager and MediaMTX use) and YAML 1.2 readers alike.
 *
 * Why not the `yaml` package: these files are plain JSON data, and at city scale there are
 * thousands of them (one rule file per detection service); the general serializer spent a
 * second and a half rendering them. This writer handles JSON data only and refuses anything else.
 *
 * Style: block mappings and sequences indented by two, as `yaml` writes them. A string is plain
 * only when it cannot mean anything else in either YAML version (`name: smoke`, `for: 15m`),
 * single-quoted when it is other printable ASCII (`'10.42.0.0/16'`, `'0600'`), and double-quoted
 * with escapes otherwise.
 */
export function toConfigYaml(value: unknown): string {
  const path: Array<string | number> = [];
  if (!isBlock(value)) return scalar(value, path) + '\n';
  const lines: string[] = [];
  blockLines(value, '', path, lines);
  return lines.join('\n') + '\n';
}

/** A value a configuration file cannot hold; `path` leads to it from the top of the file. */
export class NotConfigDataError extends Error {
  public readonly path: readonly (string | number)[];

  constructor(path: readonly (string | number)[], public readonly value: unknown, public readonly rule: string) {
    super(`toConfigYaml: the value at ${describe(path)} (${String(value)}) must be ${rule}.`);
    // A copy: the writer's path changes as it goes on.
    this.path = [...path];
  }
}

type Mapping = { readonly [key: string]: unknown };
/** The keys and indexes that lead to the value being written, from the top of the file. */
type Path = Array<string | number>;

/** Words YAML 1.1 reads as booleans or null; `yaml.v2` would not read them as strings. */
const SPECIAL_WORDS = /^(?:y|yes|n|no|true|false|on|off|null)$/i;
/** Durations such as `30s` or `1h30m`: no YAML reader takes them for numbers. */
const DURATION = /^(?:[0-9]+(?:ms|s|m|h|d|w|y))+$/;
/** A start no number, timestamp, indicator or alias can have. */
const WORD_START = /^[A-Za-z_/]/;
/** Except an exponent alone: the yaml package's YAML 1.1 reader takes `e0` for a number. */
const BARE_EXPONENT = /^[eE][-+]?[0-9][0-9_]*$/;
const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;

/** A plain object: class instances (dates, tokens) are not JSON data. */
function isMapping(value: unknown): value is Mapping {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const prototype = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

/** A list or map with entries: written as a block; an empty one is written inline (`[]`, `{}`). */
function isBlock(value: unknown): value is Mapping | readonly unknown[] {
  return (Array.isArray(value) && value.length > 0) || (isMapping(value) && Object.keys(value).length > 0);
}

/**
 * Appends the lines of a non-empty mapping or sequence whose entries start at `indent` to
 * `lines`. `path` leads to the value (for errors): each level pushes its key while it writes the
 * item and pops it after, so that writing allocates no path.
 */
function blockLines(value: Mapping | readonly unknown[], indent: string, path: Path, lines: string[]): void {
  if (Array.isArray(value)) sequenceLines(value, indent, path, lines);
  else mappingLines(value as Mapping, indent, path, lines);
}

function mappingLines(mapping: Mapping, indent: string, path: Path, lines: string[]): void {
  const start = lines.length;
  for (const [key, item] of Object.entries(mapping)) {
    // Like JSON.stringify and the yaml package: a key whose value is undefined is left out.
    if (item === undefined) continue;
    const head = `${indent}${string(key)}:`;
    path.push(key);
    if (isBlock(item)) {
      lines.push(head);
      blockLines(item, indent + '  ', path, lines);
    } else {
      lines.push(`${head} ${scalar(item, path)}`);
    }
    path.pop();
  }
  if (lines.length === start) lines.push(`${indent}{}`);
}

function sequenceLines(sequence: readonly unknown[], indent: string, path: Path, lines: string[]): void {
  sequence.forEach((item, index) => {
    path.push(index);
    if (isBlock(item)) {
      // The first line of the item goes after the dash; the rest line up under it.
      const first = lines.length;
      blockLines(item, indent + '  ', path, lines);
      lines[first] = `${indent}- ${lines[first].slice(indent.length + 2)}`;
    } else {
      lines.push(`${indent}- ${scalar(item, path)}`);
    }
    path.pop();
  });
}

function scalar(value: unknown, path: Path): string {
  if (value === null || value === undefined) return 'null';
  if (Array.isArray(value)) return '[]';
  if (isMapping(value)) return '{}';
  switch (typeof value) {
    case 'string': return string(value);
    case 'boolean': return String(value);
    case 'number': return number(value, path);
    default: throw new NotConfigDataError(path, value, 'JSON data: a string, a finite number, a boolean, null, a list or a map');
  }
}

function string(value: string): string {
  if (!PRINTABLE_ASCII.test(value)) return doubleQuoted(value);
  return isPlainSafe(value) ? value : `'${value.replace(/'/g, "''")}'`;
}

/**
 * Whether a printable ASCII string reads back as itself, and as a string, when written bare in
 * block context: it starts like a word or a path, is no YAML 1.1 boolean or null word, and has
 * nothing that would end it early (`: `, ` #`) or be trimmed (a trailing space or colon).
 */
function isPlainSafe(value: string): boolean {
  if (DURATION.test(value)) return true;
  return WORD_START.test(value) && !BARE_EXPONENT.test(value) && !SPECIAL_WORDS.test(value) && !/[ :]$/.test(value) && !value.includes(': ') && !value.includes(' #');
}

/** A double-quoted scalar with every character outside printable ASCII escaped. */
function doubleQuoted(value: string): string {
  let out = '"';
  for (const character of value) {
    const code = character.codePointAt(0)!;
    if (character === '"' || character === '\\') out += `\\${character}`;
    else if (code >= 0x20 && code <= 0x7e) out += character;
    else if (code === 0x0a) out += '\\n';
    else if (code === 0x09) out += '\\t';
    else if (code <= 0xffff) out += `\\u${code.toString(16).padStart(4, '0')}`;
    else out += `\\U${code.toString(16).padStart(8, '0')}`;
  }
  return `${out}"`;
}

/** A number both YAML versions read as that number: YAML 1.1 floats need a dot and a signed exponent. */
function number(value: number, path: Path): string {
  if (!Number.isFinite(value)) {
    throw new NotConfigDataError(path, value, 'a finite number');
  }
  const text = String(value);
  const exponent = text.indexOf('e');
  if (exponent < 0) return text;
  const mantissa = text.slice(0, exponent);
  return `${mantissa.includes('.') ? mantissa : `${mantissa}.0`}${text.slice(exponent)}`;
}

function describe(path: readonly (string | number)[]): string {
  return path.length === 0 ? 'the top level' : `'${path.join('.')}'`;
}
