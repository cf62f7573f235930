import * as fc from 'fast-check';
import { stringify as toYaml } from 'yaml';
import { CameraInventory, CameraSpec, StreamTransport } from '../../lib';
import { caseCounter, dnsLabel, labelKey, labelValue, yamlTrap } from '../_properties';
import { isSecretName } from '../../lib/core/url-secrets';

const RUNS = 50;
const count = caseCounter();

// ---------------------------------------------------------------------------------------------
// Cameras
// ---------------------------------------------------------------------------------------------

const CSV_COLUMNS = ['id', 'url', 'transport', 'secretName', 'usernameKey', 'passwordKey'];
const SECRET_LOOKING = /^(user|username|login|pass|passwd|password|pwd|secret|token)$/i;

/** Ids, YAML traps included: `no` or `0755` must come back as the string they were. */
const cameraId = fc.oneof(dnsLabel, yamlTrap.map((trap) => trap.toLowerCase()).filter((trap) => /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/.test(trap)));
const host = fc.oneof(
  fc.tuple(fc.integer({ min: 1, max: 223 }), fc.integer({ min: 0, max: 255 }), fc.integer({ min: 0, max: 255 }), fc.integer({ min: 1, max: 254 })).map((p) => p.join('.')),
  fc.tuple(dnsLabel, fc.constantFrom('local', 'site.internal')).map(([name, domain]) => `${name}.${domain}`),
);
/** Paths and queries with commas, colons and '#', which CSV must quote and YAML must not take for syntax. */
const url = fc.tuple(
  fc.constantFrom('rtsp', 'rtsps'), host, fc.option(fc.integer({ min: 1, max: 65535 }), { nil: undefined }),
  fc.stringMatching(/^[A-Za-z0-9/_.,:-]{0,20}$/), fc.option(fc.stringMatching(/^[a-z]{1,6}=[A-Za-z0-9,]{1,6}$/).filter((query) => !isSecretName(query.split('=')[0])), { nil: undefined }),
).map(([scheme, h, port, path, query]) => `${scheme}://${h}${port ? `:${port}` : ''}/${path}${query ? `?${query}` : ''}`);
const secretKey = fc.stringMatching(/^[A-Za-z0-9_-][-._A-Za-z0-9]{0,12}$/);
const credentials = fc.record({
  secretName: fc.oneof(dnsLabel, fc.tuple(dnsLabel, dnsLabel).map(([a, b]) => `${a}.${b}`)),
  usernameKey: fc.option(secretKey, { nil: undefined }),
  passwordKey: fc.option(secretKey, { nil: undefined }),
}).filter((c) => (c.usernameKey ?? 'username') !== (c.passwordKey ?? 'password'));
const cameraLabelKey = labelKey.filter((key) => !CSV_COLUMNS.includes(key) && !SECRET_LOOKING.test(key.split('/').pop()!));

/** A valid camera, without the fields it leaves out (as the inventory returns it). */
const camera = fc.record({
  url,
  transport: fc.option(fc.constantFrom(...Object.values(StreamTransport)), { nil: undefined }),
  credentials: fc.option(credentials, { nil: undefined }),
  // Non-empty values: an empty CSV cell means "no such label".
  labels: fc.option(fc.dictionary(cameraLabelKey, labelValue.filter((v) => v !== ''), { minKeys: 1, maxKeys: 3 }), { nil: undefined }),
});
const cameras = fc.uniqueArray(cameraId, { minLength: 1, maxLength: 12 })
  .chain((ids) => fc.array(camera, { minLength: ids.length, maxLength: ids.length }).map((specs) => specs.map((spec, i): CameraSpec => withoutUndefined({ id: ids[i], ...spec }))));

function withoutUndefined(spec: CameraSpec): CameraSpec {
  const credentials = spec.credentials && (Object.fromEntries(Object.entries(spec.credentials).filter(([, v]) => v !== undefined)) as CameraSpec['credentials']);
  return Object.fromEntries(Object.entries({ ...spec, credentials }).filter(([, v]) => v !== undefined)) as unknown as CameraSpec;
}

// ---------------------------------------------------------------------------------------------
// Writing cameras as CSV and YAML, in every style the readers accept
// ---------------------------------------------------------------------------------------------

/** How a CSV file is written: column order, quoting, padding, line ends, BOM, comments and blank lines. */
interface CsvStyle {
  readonly columnOrder: readonly number[];
  readonly quoteEvery: number;
  readonly pad: boolean;
  readonly crlf: boolean;
  readonly bom: boolean;
  readonly commentEvery: number;
}

const csvStyle = fc.record({
  columnOrder: fc.array(fc.nat(), { minLength: 16, maxLength: 16 }),
  quoteEvery: fc.integer({ min: 0, max: 3 }),
  pad: fc.boolean(),
  crlf: fc.boolean(),
  bom: fc.boolean(),
  commentEvery: fc.integer({ min: 0, max: 3 }),
});

function csvColumns(specs: readonly CameraSpec[], order: readonly number[]): string[] {
  const labels = [...new Set(specs.flatMap((s) => Object.keys(s.labels ?? {})))];
  const columns = [...CSV_COLUMNS, ...labels];
  // A stable shuffle driven by the drawn numbers.
  return columns.map((column, i) => ({ column, key: order[i % order.length] * 100 + i })).sort((a, b) => a.key - b.key).map((c) => c.column);
}

function csvValue(spec: CameraSpec, column: string): string {
  switch (column) {
    case 'id': return spec.id;
    case 'url': return spec.url;
    case 'transport': return spec.transport ?? '';
    case 'secretName': case 'usernameKey': case 'passwordKey': return spec.credentials?.[column] ?? '';
    default: return spec.labels?.[column] ?? '';
  }
}

/** The CSV text, and the line each camera is on (1-based), so errors can be checked against it. */
function toCsv(specs: readonly CameraSpec[], style: CsvStyle): { text: string; lines: number[] } {
  const columns = csvColumns(specs, style.columnOrder);
  let cellNumber = 0;
  const cell = (value: string): string => {
    cellNumber++;
    const mustQuote = /[,"]/.test(value);
    const quote = mustQuote || (style.quoteEvery > 0 && cellNumber % style.quoteEvery === 0);
    const text = quote ? `"${value.replace(/"/g, '""')}"` : value;
    return style.pad ? ` ${text} ` : text;
  };
  const out = [columns.map(cell).join(',')];
  const lines: number[] = [];
  specs.forEach((spec, i) => {
    if (style.commentEvery > 0 && i % style.commentEvery === 0) out.push(i % 2 === 0 ? '# cameras of the next site' : '   ');
    out.push(columns.map((column) => cell(csvValue(spec, column))).join(','));
    lines.push(out.length);
  });
  return { text: `${style.bom ? '\uFEFF' : ''}${out.join(style.crlf ? '\r\n' : '\n')}${style.crlf ? '\r\n' : '\n'}`, lines };
}

/** How a YAML file is written: a top-level list or a `cameras` mapping, block or flow, plain or quoted strings. */
const yamlStyle = fc.record({
  underCamerasKey: fc.boolean(),
  flow: fc.boolean(),
  stringType: fc.constantFrom<'PLAIN' | 'QUOTE_DOUBLE' | 'QUOTE_SINGLE'>('PLAIN', 'QUOTE_DOUBLE', 'QUOTE_SINGLE'),
});

function toYamlText(specs: readonly CameraSpec[], style: { underCamerasKey: boolean; flow: boolean; stringType: 'PLAIN' | 'QUOTE_DOUBLE' | 'QUOTE_SINGLE' }): string {
  return toYaml(style.underCamerasKey ? { cameras: specs } : specs, {
    collectionStyle: style.flow ? 'flow' : 'block', defaultStringType: style.stringType, defaultKeyType: 'PLAIN',
  });
}

// ---------------------------------------------------------------------------------------------
// Properties
// ---------------------------------------------------------------------------------------------

describe('property: random valid cameras round-trip through every reader', () => {
  test('CameraInventory: CSV', () => {
    fc.assert(fc.property(cameras, csvStyle, (specs, style) => {
      count('CameraInventory CSV round trip');
      expect(CameraInventory.fromCsv(toCsv(specs, style).text, 'cams.csv').cameras).toEqual(specs);
    }), { numRuns: RUNS });
  });

  test('CameraInventory: YAML', () => {
    fc.assert(fc.property(cameras, yamlStyle, (specs, style) => {
      count('CameraInventory YAML round trip');
      expect(CameraInventory.fromYaml(toYamlText(specs, style), 'cams.yaml').cameras).toEqual(specs);
    }), { numRuns: RUNS });
  });

  test('CameraInventory: in code', () => {
    fc.assert(fc.property(cameras, (specs) => {
      count('CameraInventory of');
      expect(CameraInventory.of(specs).cameras).toEqual(specs);
    }), { numRuns: RUNS });
  });
});

/** One invalid field: its path in code and YAML, its CSV column, and the value to put there. */
interface BadField {
  readonly field: string;
  readonly column: string;
  readonly apply: (spec: CameraSpec) => CameraSpec;
}

const badField: fc.Arbitrary<BadField> = fc.oneof(
  fc.constantFrom('Cam-1', 'cam_1', '-cam', 'cam.1', 'a'.repeat(64)).map((id) => ({ field: 'id', column: 'id', apply: (s: CameraSpec) => ({ ...s, id }) })),
  fc.constantFrom('http://10.0.0.1/live', 'ftp://cam.local/x', 'rtsp://admin:secret@10.0.0.1/x', 'rtsp://admin@10.0.0.1/x', 'cam.local/live', 'rtsp:///live')
    .map((u) => ({ field: 'url', column: 'url', apply: (s: CameraSpec) => ({ ...s, url: u }) })),
  fc.constantFrom('quic', 'TCP', 'rtp').map((transport) => ({ field: 'transport', column: 'transport', apply: (s: CameraSpec) => ({ ...s, transport: transport as StreamTransport }) })),
  fc.constantFrom('Cams', 'cams_1', '-cams').map((secretName) => ({ field: 'credentials.secretName', column: 'secretName', apply: (s: CameraSpec) => ({ ...s, credentials: { secretName } }) })),
  fc.constantFrom('user name', 'a/b', '.', '..', '..data').map((usernameKey) => ({
    field: 'credentials.usernameKey', column: 'usernameKey', apply: (s: CameraSpec) => ({ ...s, credentials: { secretName: 'cams', usernameKey } }),
  })),
  fc.constant({ field: 'credentials.passwordKey', column: 'passwordKey', apply: (s: CameraSpec) => ({ ...s, credentials: { secretName: 'cams', usernameKey: 'login-key', passwordKey: 'login-key' } }) }),
  fc.tuple(fc.constantFrom('site', 'zone'), fc.constantFrom('has space', '-x', 'x-', 'a/b', 'a'.repeat(64)))
    .map(([key, value]) => ({ field: `labels.${key}`, column: key, apply: (s: CameraSpec) => ({ ...s, labels: { ...s.labels, [key]: value } }) })),
);

describe('property: a random invalid camera is refused, naming the file, line, field and value', () => {
  const withBadCamera = fc.tuple(cameras, badField, fc.nat()).map(([specs, bad, at]) => {
    const index = at % specs.length;
    return { specs: specs.map((s, i) => (i === index ? bad.apply(s) : s)), index, bad };
  });

  test('CameraInventory: CSV', () => {
    fc.assert(fc.property(withBadCamera, csvStyle, ({ specs, index, bad }, style) => {
      count('CameraInventory CSV invalid');
      const { text, lines } = toCsv(specs, style);
      expect(() => CameraInventory.fromCsv(text, 'cams.csv')).toThrow(new RegExp(`^CameraInventory 'cams\\.csv' line ${lines[index]}: '${bad.column}' \\(`));
    }), { numRuns: RUNS });
  });

  test('CameraInventory: YAML', () => {
    fc.assert(fc.property(withBadCamera, yamlStyle, ({ specs, bad }, style) => {
      count('CameraInventory YAML invalid');
      expect(() => CameraInventory.fromYaml(toYamlText(specs, style), 'cams.yaml')).toThrow(new RegExp(`^CameraInventory 'cams\\.yaml' line \\d+: '${bad.field.replace(/\./g, '\\.')}' \\(`));
    }), { numRuns: RUNS });
  });

  test('CameraInventory: in code', () => {
    fc.assert(fc.property(withBadCamera, ({ specs, index, bad }) => {
      count('CameraInventory of invalid');
      expect(() => CameraInventory.of(specs)).toThrow(new RegExp(`^CameraInventory: 'cameras\\[${index}\\]\\.${bad.field.replace(/\./g, '\\.')}' \\(`));
    }), { numRuns: RUNS });
  });
});
