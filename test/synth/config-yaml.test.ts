import * as fc from 'fast-check';
import { parse, stringify } from 'yaml';
import { toConfigYaml } from '../../lib/synth/config-yaml';

// The configuration writer must give back exactly the data it was handed, to YAML 1.1 readers
// (Go's yaml.v2 in Prometheus, Alertmanager and MediaMTX) and YAML 1.2 readers alike.

const RUNS = 300;
let tried = 0;
afterAll(() => console.log(`fast-check cases tried: config YAML round trip ${tried}`));

/** JSON data as JSON.stringify would keep it: no -0 (it reads back as 0). */
function normalized(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value));
}

function readBack(text: string, version: '1.1' | '1.2'): unknown {
  return parse(text, { version, uniqueKeys: true });
}

/** Strings that look like other types, or that break plain scalars, in either YAML version. */
const trickyString = fc.constantFrom(
  'y', 'Y', 'yes', 'No', 'on', 'OFF', 'true', 'False', 'null', 'NULL', '~', '', ' ', '-', '- x', '? x', ': x', 'a: b', 'a #b', 'a:', 'a ',
  ' a', '#x', '&anchor', '*alias', '!tag', '%YAML', '@x', '`x', '|', '>', "'", '"', '0', '-1', '+1', '1.5', '.5', '1e3', '1.0e+3', '.inf', '-.Inf',
  '.nan', 'e0', 'E5', 'e-3', 'e_1', '0x1F', '0o17', '017', '0b101', '1_000', '1:30', '190:20:30', '2001-12-14', '2001-12-14t21:59:43.10-05:00', '10.42.0.0/16',
  '10.43.0.10', '0600', '5m', '1h30m', '30s', 'http://x:9090/a#b', 'C:\\dir', 'a\nb', 'tab\there', 'caf\u00e9', '\u2028', '\u0085', '\ud83d\ude00',
  '{{ $value }}', 'up == 0', 'a,b', '[x]', '{x}', '<<', '=', 'a\\b',
);
const anyString = fc.oneof(trickyString, fc.string(), fc.string({ unit: 'grapheme' }), fc.stringMatching(/^[A-Za-z0-9_.:/# -]{0,12}$/));
const scalar = fc.oneof(anyString, fc.boolean(), fc.constant(null), fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }));
const data = fc.letrec((tie) => ({
  value: fc.oneof({ depthSize: 'small' }, scalar, tie('list'), tie('map')),
  list: fc.array(tie('value'), { maxLength: 4 }),
  map: fc.dictionary(anyString, tie('value'), { maxKeys: 4 }),
})).value;

describe('toConfigYaml', () => {
  test.each(['1.1', '1.2'] as const)('reads back as the same data under YAML %s', (version) => {
    fc.assert(fc.property(data, (value) => {
      tried++;
      expect(readBack(toConfigYaml(value), version)).toEqual(normalized(value));
    }), { numRuns: RUNS });
  });

  test('keeps strings that look like other types strings, and writes plain what cannot be misread', () => {
    const text = toConfigYaml({ a: 'yes', b: '0600', c: '10.42.0.0/16', d: 'on', e: '5m', f: 'https://x:6443', g: "It's", k: "it's: here", h: 'a\nb', i: 1e21, j: 0.5 });
    expect(text).toBe([
      "a: 'yes'", "b: '0600'", "c: '10.42.0.0/16'", "d: 'on'", 'e: 5m', 'f: https://x:6443', "g: It's", "k: 'it''s: here'", 'h: "a\\nb"', 'i: 1.0e+21', 'j: 0.5', '',
    ].join('\n'));
  });

  test('lays out nested lists and maps as the yaml package does', () => {
    const value = { groups: [{ name: 'g', rules: [{ alert: 'A', labels: { severity: 'warning' } }], empty: {}, none: [] }], nested: [[1, 2], []] };
    expect(toConfigYaml(value)).toBe(stringify(value, { lineWidth: 0 }));
  });

  test('leaves out keys whose value is undefined, as JSON does', () => {
    expect(toConfigYaml({ a: undefined, b: 1 })).toBe('b: 1\n');
  });

  test.each([
    ['a non-finite number', { a: { b: Infinity } }, /'a\.b' \(Infinity\) must be a finite number/],
    ['a class instance', { when: new Date(0) }, /'when' \(.*\) must be JSON data/],
    ['a function', [() => 1], /'0' \(.*\) must be JSON data/],
  ])('refuses %s, naming where it is', (_, value, message) => {
    expect(() => toConfigYaml(value)).toThrow(message);
  });
});
