import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as fc from 'fast-check';
import { ApiObject, App, Yaml } from 'cdk8s';
import { Document } from 'yaml';
import { buildBenchPlatform } from '../../../bench/platform';
import { buildReferencePlatform } from '../../../main';
import { LayeredApp } from '../../../lib/synth/layered-app';
import { PROVEN_YAML_VERSION, fastPathYaml, stringifyManifest, stringifyManifests, writeManifests, yamlVersionOfCdk8s } from '../../../lib/synth/yaml/emitter';
import { YAML11_OTHER_TYPE_PATTERNS } from '../../../lib/synth/yaml/scalar-text';
import { caseCounter } from '../../_properties';

/**
 * The emitter must write exactly what cdk8s's `Yaml.stringify` writes. Most checks compare with
 * cdk8s itself, and call the fast path directly (`fastPathYaml`) wherever the input is JSON data,
 * so that a match cannot come from the fallback to the `yaml` package.
 */

const RUNS = 3000;
/** Fewer for the property whose documents go through the yaml package too (fallbacks, long strings), which is slow. */
const MIXED_RUNS = 2000;
const counted = caseCounter();

/** cdk8s's serialization, one argument per document, as App calls it. */
function cdk8sYaml(...docs: unknown[]): string {
  return Yaml.stringify(...docs);
}

/**
 * Pieces of strings that each make the package choose a style: YAML 1.1 and 1.2 keywords and
 * numbers, indicators, blanks around line breaks and `#`, quotes, escapes, controls, line breaks,
 * document markers and text in other scripts.
 */
const FRAGMENTS = [
  'y', 'Y', 'n', 'N', 'yes', 'No', 'on', 'OFF', 'true', 'False', 'null', 'NULL', '~', '<<',
  '0755', '0o14', '0x1F', '0b101', '1e3', '-1.5E-7', '.5', '1.', '1_000', '+12', '-0', '1:30', '190:20:30.15', '.inf', '-.Inf', '.NaN',
  '2001-12-14', '2001-12-14t21:59:43.10-05:00', '2001-12-14 21:59:43.10 +5',
  ' ', '  ', '\t', ': ', ':', ' #', '#', '-', '- ', '--', '?', '? ', '&', '*', '!', '|', '>', '%', '@', '`', ',', '[', ']', '{', '}',
  '"', "'", '\\', '\\n', '---', '...', '--- ', '%YAML',
  '\n', '\n\n', '\r\n', '\r', ' \n', '\n ', '\t\n', '\n\t',
  '\u0000', '\u0007', '\u0008', '\u000b', '\u000c', '\u001b', '\u007f', '\u0085', '\u009f', '\u00a0', '\u2028', '\u2029', '\ufeff', '\ud800', '\udfff',
  'é', 'Ω', '日本語', '😀',
  'a', 'key', 'value', 'rtsp://10.0.0.1:554/stream1', 'registry.local:5000/app:1.0.0', 'app.kubernetes.io/name', '{{ $labels.instance }}',
];

const fragment = fc.constantFrom(...FRAGMENTS);

/** Strings that are several fragments side by side, where the interesting cases are. */
const fragmentString = fc.array(fragment, { minLength: 1, maxLength: 8 }).map((parts) => parts.join(''));

/** Multi-line text as ConfigMaps carry it: lines of fragments, maybe indented, with 0 to 3 trailing line breaks. */
const multiLineText = fc.tuple(
  fc.array(fc.tuple(fc.constantFrom('', ' ', '  ', '    ', '\t'), fc.array(fragment, { maxLength: 5 })), { minLength: 1, maxLength: 6 }),
  fc.constantFrom('', '\n', '\n\n', '\n\n\n', '\n ', '\n\n  '),
).map(([lines, end]) => lines.map(([lead, parts]) => lead + parts.join('')).join('\n') + end);

/** Code units the package must escape: controls and lone surrogates. */
const escapedUnit = fc.oneof(fc.integer({ min: 0, max: 0x1f }), fc.integer({ min: 0x7f, max: 0x9f }), fc.integer({ min: 0xd800, max: 0xdfff }))
  .map((code) => String.fromCharCode(code));

/** Long strings: past the 40 characters where double-quoted line breaks fold, and past 1,024. */
const longString = fc.tuple(fc.array(fragment, { minLength: 20, maxLength: 400 }), fc.constantFrom('', '\n')).map(([parts, end]) => parts.join('') + end);

const adversarialString = fc.oneof(
  { weight: 3, arbitrary: fragment },
  { weight: 6, arbitrary: fragmentString },
  { weight: 3, arbitrary: multiLineText },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 20 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary-ascii', maxLength: 20 }) },
  { weight: 1, arbitrary: fc.string({ unit: fc.oneof(escapedUnit, fragment), maxLength: 12 }) },
  { weight: 1, arbitrary: fc.constant('') },
  { weight: 1, arbitrary: longString },
);

/** Keys as adversarial as values, but short enough that the package keeps them implicit (no `? key`). */
const key = adversarialString.filter((k) => k.length <= 150);

const number = fc.oneof(
  fc.integer(),
  fc.double(),
  fc.constantFrom(0, -0, 1, -1, 0.1, 1e21, 1e-7, 2 ** 53, -(2 ** 53) - 2, Number.MAX_VALUE, Number.MIN_VALUE, NaN, Infinity, -Infinity, 8080, 0.5),
);

const scalar = fc.oneof(
  { weight: 6, arbitrary: adversarialString },
  { weight: 2, arbitrary: number },
  { weight: 1, arbitrary: fc.boolean() },
  { weight: 1, arbitrary: fc.constantFrom(null, undefined) },
);

/** JSON data, nested up to a few levels, every object and array a fresh one. */
const { map: jsonMap, array: jsonArray } = fc.letrec((tie) => ({
  value: fc.oneof({ depthSize: 'small', withCrossShrink: true }, scalar, tie('array'), tie('map')),
  array: fc.array(tie('value'), { maxLength: 5 }),
  map: fc.dictionary(key, tie('value'), { maxKeys: 6 }),
}));
const jsonDocument = fc.oneof(jsonMap, jsonArray) as fc.Arbitrary<object>;

/** Documents the fast path leaves to the package, beside the ones it writes. */
const anyDocument: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 6, arbitrary: jsonDocument },
  { weight: 2, arbitrary: scalar },
  { weight: 1, arbitrary: fc.constantFrom(new Date(0), new Map([['a', 1]]), new Set(['x']), new Uint8Array([1, 2]), { toJSON: () => 'from toJSON' }) },
  { weight: 1, arbitrary: jsonDocument.map((shared) => ({ first: shared, second: shared })) },
  { weight: 1, arbitrary: fc.tuple(longString, scalar).map(([k, v]) => ({ [k + 'x'.repeat(1030)]: v })) },
);

/** The objects an app writes: each ApiObject's JSON after synthesis (which runs the validations that add to them). */
function manifestsOf(app: App): unknown[] {
  app.synthYaml();
  return app.charts.flatMap((chart) => chart.node.findAll().filter((c): c is ApiObject => c instanceof ApiObject).map((o) => o.toJson()));
}

function unwrittenApp(): LayeredApp {
  return new LayeredApp({ outdir: path.join(os.tmpdir(), 'yaml-emitter-test-never-written'), recordConstructMetadata: false });
}

/** Kind/name of the objects the fast path leaves to the package. */
function fallbackObjects(objects: readonly unknown[]): string[] {
  return objects.filter((o) => fastPathYaml(o) === undefined).map((o) => {
    const k = o as { kind?: string; metadata?: { name?: string } };
    return `${k.kind}/${k.metadata?.name}`;
  });
}

describe('the yaml release the fast path reproduces', () => {
  test('is the one cdk8s loads (on another, every document goes to cdk8s: re-run these tests, then update PROVEN_YAML_VERSION)', () => {
    expect(yamlVersionOfCdk8s()).toBe(PROVEN_YAML_VERSION);
  });

  test('reads plain scalars as non-strings by exactly the patterns the emitter quotes', () => {
    const topLevelYaml = JSON.parse(fs.readFileSync(require.resolve('yaml/package.json'), 'utf8')) as { version: string };
    expect(topLevelYaml.version).toBe(PROVEN_YAML_VERSION);
    const schemaPatterns = new Document(null, { version: '1.1' }).schema.tags
      .filter((tag) => tag.default && tag.tag !== 'tag:yaml.org,2002:str')
      .map((tag) => (tag as { test?: unknown }).test)
      .filter((test): test is RegExp => test instanceof RegExp);
    expect(YAML11_OTHER_TYPE_PATTERNS.map(String)).toEqual(schemaPatterns.map(String));
  });
});

describe('the fast path, on JSON data', () => {
  test('writes every document exactly as cdk8s does, never leaving one to the yaml package', () => {
    fc.assert(fc.property(jsonDocument, (doc) => {
      counted('json document');
      expect(fastPathYaml(doc)).toBe(cdk8sYaml(doc));
    }), { numRuns: RUNS });
  });

  test('writes every adversarial string exactly as cdk8s does: as a top-level key, a nested key, a value and a sequence item, at several depths', () => {
    fc.assert(fc.property(adversarialString, (text) => {
      counted('string in every position');
      const short = text.length <= 150;
      const doc = {
        ...(short ? { [text]: 'top-level key' } : {}),
        value: text,
        nested: { ...(short ? { [text]: text } : {}), deeper: [[text, { item: text }]] },
        items: [text, [text], { [short ? text : 'k']: [text] }],
      };
      expect(fastPathYaml(doc)).toBe(cdk8sYaml(doc));
      expect(fastPathYaml([text])).toBe(cdk8sYaml([text]));
    }), { numRuns: RUNS });
  });

  test('writes numbers as the package does: -0, NaN, the infinities, floats and large numbers', () => {
    fc.assert(fc.property(number, (value) => {
      counted('number');
      const doc = { value, items: [value, [value]] };
      expect(fastPathYaml(doc)).toBe(cdk8sYaml(doc));
    }), { numRuns: RUNS });
  });

  test('writes the layout and styles the package writes, on a few cases spelled out', () => {
    const doc = {
      'y': 'yes', 'plain': 'rtsp://10.0.0.1:554/stream1', 'port': '8080', 'empty': '', 'nothing': null, 'gone': undefined,
      'emptyMap': {}, 'emptyList': [], 'list': [{ name: 'a', args: ['--x', '1'] }, [1, -0]],
      'script': 'line 1\nline 2\n', 'indented': '  first\nsecond', 'kept': 'a\n\n', 'quote': '"hi"', 'said': 'say "hi"',
    };
    expect(fastPathYaml(doc)).toBe([
      '"y": "yes"', 'plain: rtsp://10.0.0.1:554/stream1', 'port: "8080"', 'empty: ""', 'nothing: null', 'gone: null',
      'emptyMap: {}', 'emptyList: []', 'list:', '  - name: a', '    args:', '      - --x', '      - "1"', '  - - 1', '    - -0',
      'script: |', '  line 1', '  line 2', 'indented: |2-', '    first', '  second', 'kept: |+', '  a', '', "quote: '\"hi\"'", 'said: say "hi"', '',
    ].join('\n'));
    expect(fastPathYaml(doc)).toBe(cdk8sYaml(doc));
  });
});

describe('stringifyManifests and stringifyManifest', () => {
  test('equal cdk8s\'s Yaml.stringify for any documents, including those the fast path leaves to the yaml package', () => {
    fc.assert(fc.property(fc.array(fc.oneof(anyDocument, fc.constant(undefined)), { maxLength: 6 }), (docs) => {
      counted('any documents');
      expect(stringifyManifests(docs)).toBe(cdk8sYaml(...docs));
      for (const doc of docs) expect(stringifyManifest(doc)).toBe(cdk8sYaml(doc));
      // The pieces writeManifests hands over, in order, are that text.
      const pieces: string[] = [];
      writeManifests(docs, (piece) => pieces.push(piece));
      expect(pieces.join('')).toBe(cdk8sYaml(...docs));
    }), { numRuns: MIXED_RUNS });
  });

  test('leave to the package what it writes its own way: scalars, non-plain objects, repeated references, long keys', () => {
    const shared = { a: 1 };
    const circular: Record<string, unknown> = { name: 'loop' };
    circular.self = circular;
    const reversed = Object.assign(['a', 'b'], { *[Symbol.iterator]() { yield 'b'; yield 'a'; } });
    // A toJSON the package calls although Object.keys does not list it.
    const replaced = Object.defineProperty({ a: 1 }, 'toJSON', { value: () => 'replaced', enumerable: false });
    const replacedList = Object.defineProperty([1], 'toJSON', { value: () => 'replaced', enumerable: false });
    // An object with an iterator, which the package writes as a sequence.
    const iterable = { a: 1, *[Symbol.iterator]() { yield 'item'; } };
    const leftToPackage = [reversed, { items: reversed }, iterable, replaced, { nested: replaced }, replacedList, 'text', 5, null, new Date(0), new Map([['a', 1]]), { shared, again: shared }, { ['k'.repeat(1025)]: 1 }, { value: BigInt(1) }, { toJSON: () => ({ a: 1 }) }, circular];
    for (const doc of leftToPackage) {
      expect(fastPathYaml(doc)).toBeUndefined();
      expect(stringifyManifest(doc)).toBe(cdk8sYaml(doc));
    }
    expect(stringifyManifest({ shared, again: shared })).toBe('shared: &a1\n  a: 1\nagain: *a1\n');
  });

  test('pass on the errors the package throws for what it cannot write', () => {
    const doc = { f: () => 1 };
    expect(() => stringifyManifest(doc)).toThrow(/Tag not resolved/);
    expect(() => cdk8sYaml(doc)).toThrow(/Tag not resolved/);
  });

  test('write 150,000 documents, past the argument count where Yaml.stringify(...docs) overflows the stack', () => {
    const docs = Array.from({ length: 150_000 }, (_, i) => ({ kind: 'ConfigMap', metadata: { name: `cm-${i}` } }));
    expect(() => cdk8sYaml(...docs)).toThrow(RangeError);
    const yaml = stringifyManifests(docs);
    expect(yaml).toBe(docs.map((_, i) => `kind: ConfigMap\nmetadata:\n  name: cm-${i}\n`).join('---\n'));
  });
});

describe('on this library\'s platforms', () => {
  test('the reference platform\'s objects: byte-identical, all on the fast path', () => {
    const app = unwrittenApp();
    buildReferencePlatform(app);
    const objects = manifestsOf(app);
    expect(objects.length).toBe(124);
    expect(stringifyManifests(objects)).toBe(cdk8sYaml(...objects));
    expect(fallbackObjects(objects)).toEqual([]);
  });

  test('the bench platform at 1,000 cameras: byte-identical, all on the fast path', () => {
    const app = unwrittenApp();
    buildBenchPlatform(app, 1000);
    const objects = manifestsOf(app);
    expect(objects.length).toBeGreaterThan(1000);
    expect(stringifyManifests(objects)).toBe(cdk8sYaml(...objects));
    expect(fallbackObjects(objects)).toEqual([]);
  });
});
