/**
 * How the `yaml` package (2.9.1) writes one scalar inside a block collection, with the options
 * cdk8s passes (`version: '1.1'`, `lineWidth: 0`, `keepUndefined: true`, every other option at
 * its default). Each function here is a port of the package's own decision
 * (`dist/stringify/stringifyString.js`, `stringifyNumber.js`, the yaml-1.1 tags), reduced to those
 * options: with `lineWidth: 0` nothing is ever folded, and a multi-line value is always a literal
 * block (`|`), never a folded one (`>`).
 *
 * The contexts that exist in a block collection below the document root:
 * - a map key (the package's `implicitKey`), indented one step below its map;
 * - a map value or a sequence item, whose `indent` is the indentation of its continuation lines.
 * `indent` is never empty there: the package treats an empty indent (a scalar that is the whole
 * document) differently, and the emitter leaves such documents to the package.
 */

/** One indentation step: the package's default `indent: 2`. */
export const INDENT_STEP = '  ';

/** The package's `doubleQuotedMinMultiLineLength` default: shorter JSON keeps `\n` escapes. */
const DOUBLE_QUOTED_MIN_MULTI_LINE_LENGTH = 40;

/** C0 and C1 controls other than tab and line feed, DEL, and lone surrogates: always double-quoted. */
const NEEDS_ESCAPES = /[\x00-\x08\x0b-\x1f\x7f-\x9f\u{D800}-\u{DFFF}]/u;

/**
 * What a plain scalar may not contain: an indicator first, `-`/`?` alone or before a blank,
 * `: `, a blank before a line break or `#`, a blank or `:` at the end, a break before a blank.
 */
const NOT_PLAIN = /^[\n\t ,[\]{}#&*!|>'"%@`]|^[?-]$|^[?-][ \t]|[\n:][ \t]|[ \t]\n|[\n\t ]#|[\n\t :]$/;

/** A line that a YAML 1.1 reader takes for a directive or a document marker. */
const DOCUMENT_MARKER = /^(%|---|\.\.\.)/m;

/** Single quotes cannot keep blanks next to a line break (they would be folded away). */
const BLANK_NEXT_TO_LINE_BREAK = /[ \t]\n|\n[ \t]/;

/** A block scalar cannot end in a line of blanks: such strings are quoted. */
const ENDS_IN_BLANK_LINE = /\n[\t ]+$/;

/** Runs of line breaks inside the trailing blank part of a block scalar, not at its very end. */
const BLOCK_END_NEWLINES = /(^|(?<!\n))\n+(?!\n|$)/g;

const LINE_BREAKS = /\n+/g;

/** The yaml-1.1 merge key: the package writes the string `<<` with its merge tag, which is plain. */
const MERGE_KEY = '<<';

/**
 * The patterns by which the package's yaml-1.1 schema reads a plain scalar as something other
 * than a string, in the schema's order: null, booleans, ints (binary, octal, decimal, hex),
 * floats (NaN and infinities, exponent, plain), the merge key, sexagesimal ints and floats,
 * timestamps. A test checks that they are exactly the schema's.
 */
export const YAML11_OTHER_TYPE_PATTERNS: readonly RegExp[] = [
  /^(?:~|[Nn]ull|NULL)?$/,
  /^(?:Y|y|[Yy]es|YES|[Tt]rue|TRUE|[Oo]n|ON)$/,
  /^(?:N|n|[Nn]o|NO|[Ff]alse|FALSE|[Oo]ff|OFF)$/,
  /^[-+]?0b[0-1_]+$/,
  /^[-+]?0[0-7_]+$/,
  /^[-+]?[0-9][0-9_]*$/,
  /^[-+]?0x[0-9a-fA-F_]+$/,
  /^(?:[-+]?\.(?:inf|Inf|INF)|\.nan|\.NaN|\.NAN)$/,
  /^[-+]?(?:[0-9][0-9_]*)?(?:\.[0-9_]*)?[eE][-+]?[0-9]+$/,
  /^[-+]?(?:[0-9][0-9_]*)?\.[0-9_]*$/,
  /^<<$/,
  /^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+$/,
  /^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*$/,
  /^([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})(?:(?:t|T|[ \t]+)([0-9]{1,2}):([0-9]{1,2}):([0-9]{1,2}(\.[0-9]+)?)(?:[ \t]*(Z|[-+][012]?[0-9](?::[0-9]{2})?))?)?$/,
];

/** Whether a YAML 1.1 reader would take `text`, written plain, for a non-string value. */
function readsAsOtherType(text: string): boolean {
  for (const pattern of YAML11_OTHER_TYPE_PATTERNS) {
    if (pattern.test(text)) return true;
  }
  return false;
}

/**
 * A string scalar in a block collection.
 * @param indent the indentation of continuation lines (never empty)
 * @param isKey whether the string is a map key
 */
export function stringText(value: string, indent: string, isKey: boolean): string {
  if (value === MERGE_KEY) return MERGE_KEY;
  if (NEEDS_ESCAPES.test(value)) return doubleQuoted(value, indent, isKey);
  return plainOrOther(value, indent, isKey);
}

/** The package's `plainString`: plain when a reader would read the same string back. */
function plainOrOther(value: string, indent: string, isKey: boolean): string {
  const multiLine = value.includes('\n');
  if (isKey && multiLine) return quoted(value, indent, isKey);
  if (NOT_PLAIN.test(value)) return isKey || !multiLine ? quoted(value, indent, isKey) : literalBlock(value, indent);
  if (multiLine) return literalBlock(value, indent);
  // A key at the top level starts a line at column 0, where `---`, `...` or `%` ends the document.
  if (isKey && indent === INDENT_STEP && DOCUMENT_MARKER.test(value)) return quoted(value, indent, isKey);
  if (readsAsOtherType(value)) return quoted(value, indent, isKey);
  return value;
}

/** Single quotes for a string with double quotes only (no escapes needed), double quotes otherwise. */
function quoted(value: string, indent: string, isKey: boolean): string {
  const hasDouble = value.includes('"');
  const hasSingle = value.includes("'");
  return hasDouble && !hasSingle ? singleQuoted(value, indent, isKey) : doubleQuoted(value, indent, isKey);
}

function singleQuoted(value: string, indent: string, isKey: boolean): string {
  if ((isKey && value.includes('\n')) || BLANK_NEXT_TO_LINE_BREAK.test(value)) return doubleQuoted(value, indent, isKey);
  // A line break inside single quotes is written as an empty line (a folded break reads as a space).
  return `'${value.replace(/'/g, "''").replace(LINE_BREAKS, `$&\n${indent}`)}'`;
}

/**
 * The package's `doubleQuotedString`: JSON's escapes, shortened to YAML's where YAML has one; in a
 * value of 40 or more JSON characters, inner line breaks are written as real (folded) line breaks.
 */
function doubleQuoted(value: string, indent: string, isKey: boolean): string {
  const json = JSON.stringify(value);
  let text = '';
  let start = 0;
  for (let i = 0, ch = json[i]; ch; ch = json[++i]) {
    if (ch === ' ' && json[i + 1] === '\\' && json[i + 2] === 'n') {
      // A blank before a folded line break would be lost: escape it.
      text += json.slice(start, i) + '\\ ';
      i += 1;
      start = i;
      ch = '\\';
    }
    if (ch !== '\\') continue;
    const escape = json[i + 1];
    if (escape === 'u') {
      text += json.slice(start, i) + yamlEscape(json.substring(i + 2, i + 6), json.substring(i, i + 6));
      i += 5;
      start = i + 1;
    } else if (escape === 'n') {
      if (isKey || json[i + 2] === '"' || json.length < DOUBLE_QUOTED_MIN_MULTI_LINE_LENGTH) {
        i += 1;
      } else {
        // A folded line break: one empty line per break, the first one eaten by folding.
        text += json.slice(start, i) + '\n\n';
        while (json[i + 2] === '\\' && json[i + 3] === 'n' && json[i + 4] !== '"') {
          text += '\n';
          i += 2;
        }
        text += indent;
        // A blank at the start of a continuation line would be folded away: escape it.
        if (json[i + 2] === ' ') text += '\\';
        i += 1;
        start = i + 1;
      }
    } else {
      i += 1;
    }
  }
  return start ? text + json.slice(start) : json;
}

/** YAML's short escape for a JSON `\uXXXX` escape, or `\xXX` for the other Latin-1 ones. */
function yamlEscape(code: string, jsonEscape: string): string {
  switch (code) {
    case '0000': return '\\0';
    case '0007': return '\\a';
    case '000b': return '\\v';
    case '001b': return '\\e';
    case '0085': return '\\N';
    case '00a0': return '\\_';
    case '2028': return '\\L';
    case '2029': return '\\P';
    default: return code.startsWith('00') ? `\\x${code.substring(2)}` : jsonEscape;
  }
}

/**
 * The package's `blockString` with `lineWidth: 0`: a literal block whose header carries an
 * indentation indicator when the text starts with a space, and the chomping indicator its
 * trailing line breaks need (`-` none, none for exactly one, `+` for more or for only breaks).
 */
function literalBlock(value: string, indent: string): string {
  if (ENDS_IN_BLANK_LINE.test(value)) return quoted(value, indent, false);
  const { body, trailing, chomp } = splitTrailingBlanks(value, indent);
  const { leading, rest, startsWithSpace } = splitLeadingBreaks(body);
  const header = (startsWithSpace ? '2' : '') + chomp;
  const indentedLeading = leading.replace(LINE_BREAKS, `$&${indent}`);
  return `|${header}\n${indent}${indentedLeading}${rest.replace(LINE_BREAKS, `$&${indent}`)}${trailing}`;
}

/** The trailing blanks and line breaks of a block scalar, already indented, and the chomping they need. */
function splitTrailingBlanks(value: string, indent: string): { body: string; trailing: string; chomp: string } {
  let endStart = value.length;
  while (endStart > 0) {
    const ch = value[endStart - 1];
    if (ch !== '\n' && ch !== '\t' && ch !== ' ') break;
    endStart--;
  }
  let trailing = value.substring(endStart);
  const firstBreak = trailing.indexOf('\n');
  const chomp = firstBreak === -1 ? '-' : value === trailing || firstBreak !== trailing.length - 1 ? '+' : '';
  if (!trailing) return { body: value, trailing, chomp };
  const body = value.slice(0, -trailing.length);
  // The block's own last line break is implied by its chomping.
  if (trailing.endsWith('\n')) trailing = trailing.slice(0, -1);
  return { body, trailing: trailing.replace(BLOCK_END_NEWLINES, `$&${indent}`), chomp };
}

/** The leading line breaks (and whether the text starts with a space, which needs an indentation indicator). */
function splitLeadingBreaks(value: string): { leading: string; rest: string; startsWithSpace: boolean } {
  let startsWithSpace = false;
  let startEnd = 0;
  let lastBreak = -1;
  for (; startEnd < value.length; ++startEnd) {
    const ch = value[startEnd];
    if (ch === ' ') startsWithSpace = true;
    else if (ch === '\n') lastBreak = startEnd;
    else break;
  }
  const leading = value.substring(0, lastBreak < startEnd ? lastBreak + 1 : startEnd);
  return { leading, rest: value.substring(leading.length), startsWithSpace };
}

/** The package's `stringifyNumber` for the numbers JSON has, plus NaN and the infinities. */
export function numberText(value: number): string {
  if (!Number.isFinite(value)) return Number.isNaN(value) ? '.nan' : value < 0 ? '-.inf' : '.inf';
  return Object.is(value, -0) ? '-0' : String(value);
}
