import { yamlPackage } from '../core/yaml-package';
import { toConfigYaml } from './config-yaml';

/**
 * The value of a YAML file embedded in a ConfigMap (a Prometheus rule file), exactly as the
 * `yaml` package's `parse(text)` gives it, and the same errors.
 *
 * Why not always `parse`: at city scale the platform embeds thousands of rule files, megabytes of
 * YAML that the general parser reads at a few megabytes a second. The library writes them with
 * `toConfigYaml`, whose output is a small, regular subset of YAML. Such a text is read here by
 * inverting `toConfigYaml`, and the value is taken only if `toConfigYaml` writes exactly the same
 * text for it: the text is then `toConfigYaml(value)`, which every YAML 1.2 and YAML 1.1 reader
 * reads back as `value` (the round trip `test/synth/config-yaml.test.ts` holds it to). Any other
 * text, or any doubt, goes to `parse`.
 */
export function readEmbeddedYaml(text: string): unknown {
  const value = readConfigYaml(text);
  if (value !== NOT_CONFIG_YAML && writesBack(value, text)) return value;
  return yamlPackage().parse(text);
}

const NOT_CONFIG_YAML = Symbol('not config YAML');

function writesBack(value: unknown, text: string): boolean {
  try {
    return toConfigYaml(value) === text;
  } catch {
    return false;
  }
}

/** A text `toConfigYaml` could have written, read back; NOT_CONFIG_YAML when it cannot be. */
function readConfigYaml(text: string): unknown {
  if (!text.endsWith('\n')) return NOT_CONFIG_YAML;
  try {
    const lines = new LineReader(text.slice(0, -1).split('\n'));
    const value = lines.block(0);
    return lines.atEnd() ? value : NOT_CONFIG_YAML;
  } catch (error) {
    if (error === NOT_CONFIG_YAML) return NOT_CONFIG_YAML;
    throw error;
  }
}

/**
 * The lines of a `toConfigYaml` text as tokens: a sequence dash at its column, or the rest of a
 * line at its column (a key with or without its value, or a scalar). `- - a` is two dashes and
 * `a` at column 4, which is how `toConfigYaml` lines up nested sequences.
 */
class LineReader {
  private readonly columns: number[] = [];
  private readonly dashes: boolean[] = [];
  private readonly contents: string[] = [];
  private position = 0;

  constructor(lines: readonly string[]) {
    for (const line of lines) {
      let column = 0;
      while (line.charCodeAt(column) === 0x20) column++;
      if (column === line.length) throw NOT_CONFIG_YAML;
      while (line.startsWith('- ', column)) {
        this.push(column, true, '');
        column += 2;
      }
      this.push(column, false, line.slice(column));
    }
  }

  atEnd(): boolean {
    return this.position === this.columns.length;
  }

  /** The block (sequence, mapping or lone scalar) whose tokens start at `column`. */
  block(column: number): unknown {
    if (this.atEnd() || this.columns[this.position] !== column) throw NOT_CONFIG_YAML;
    if (this.dashes[this.position]) return this.sequence(column);
    const head = keyOf(this.contents[this.position]);
    if (head === undefined) return scalar(this.contents[this.position++]);
    return this.mapping(column);
  }

  private sequence(column: number): unknown[] {
    const items: unknown[] = [];
    while (!this.atEnd() && this.columns[this.position] === column && this.dashes[this.position]) {
      this.position++;
      items.push(this.block(column + 2));
    }
    return items;
  }

  private mapping(column: number): { [key: string]: unknown } {
    const entries: { [key: string]: unknown } = {};
    while (!this.atEnd() && this.columns[this.position] === column && !this.dashes[this.position]) {
      const head = keyOf(this.contents[this.position]);
      if (head === undefined || head.key === '__proto__' || Object.prototype.hasOwnProperty.call(entries, head.key)) throw NOT_CONFIG_YAML;
      this.position++;
      entries[head.key] = head.value === undefined ? this.block(column + 2) : scalar(head.value);
    }
    return entries;
  }

  private push(column: number, dash: boolean, content: string): void {
    this.columns.push(column);
    this.dashes.push(dash);
    this.contents.push(content);
  }
}

/** `key: value` or `key:` (a block follows), with the key plain, single- or double-quoted; undefined for a scalar. */
function keyOf(content: string): { key: string; value?: string } | undefined {
  const end = content.startsWith("'") ? singleQuotedEnd(content) : content.startsWith('"') ? doubleQuotedEnd(content) : plainKeyEnd(content);
  if (end === undefined || content.charCodeAt(end) !== 0x3a /* : */) return undefined;
  const key = string(content.slice(0, end));
  if (end + 1 === content.length) return { key };
  return content.startsWith(' ', end + 1) ? { key, value: content.slice(end + 2) } : undefined;
}

/** A plain key ends at the first `: `, or at a final `:`: plain strings contain neither. */
function plainKeyEnd(content: string): number | undefined {
  const colon = content.indexOf(': ');
  if (colon >= 0) return colon;
  return content.endsWith(':') ? content.length - 1 : undefined;
}

function singleQuotedEnd(content: string): number | undefined {
  for (let i = 1; i < content.length; i++) {
    if (content[i] !== "'") continue;
    if (content[i + 1] === "'") i++;
    else return i + 1;
  }
  return undefined;
}

function doubleQuotedEnd(content: string): number | undefined {
  for (let i = 1; i < content.length; i++) {
    if (content[i] === '\\') i++;
    else if (content[i] === '"') return i + 1;
  }
  return undefined;
}

function scalar(text: string): unknown {
  switch (text) {
    case 'null': return null;
    case 'true': return true;
    case 'false': return false;
    case '[]': return [];
    case '{}': return {};
  }
  // A plain string may start with a digit too (`15m`): what is no number is a string.
  const first = text.charCodeAt(0);
  if (first === 0x2d /* - */ || (first >= 0x30 && first <= 0x39)) {
    const number = Number(text);
    if (!Number.isNaN(number)) return number;
  }
  return string(text);
}

function string(text: string): string {
  if (text.startsWith("'")) {
    if (text.length < 2 || !text.endsWith("'")) throw NOT_CONFIG_YAML;
    return text.slice(1, -1).replace(/''/g, "'");
  }
  // JSON's escapes are toConfigYaml's, but for \U (a code point beyond U+FFFF).
  if (text.startsWith('"')) {
    if (text.includes('\\U')) throw NOT_CONFIG_YAML;
    try {
      return JSON.parse(text) as string;
    } catch {
      throw NOT_CONFIG_YAML;
    }
  }
  return text;
}
