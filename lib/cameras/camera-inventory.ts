import { readFileSync } from 'fs';
import { extname } from 'path';
import type { LineCounter, Pair } from 'yaml';
import { dns1123Label, dns1123Subdomain, labelValue, qualifiedName, secretDataKey } from '../core/names';
import { findUrlSecret, maskUrlSecrets } from '../core/url-secrets';
import { yamlPackage } from '../core/yaml-package';

/**
 * How a camera's RTSP stream is carried.
 */
export enum StreamTransport {
  /**
   * RTP interleaved in the RTSP TCP connection. The default, and the one
   * MediaMTX needs inside Kubernetes: RTP over UDP flows to ports negotiated
   * at run time, which the NAT between pods and cameras does not forward.
   */
  TCP = 'tcp',
  /**
   * RTP over separate UDP ports. Only for cameras whose UDP traffic reaches
   * the pod, such as with host networking.
   */
  UDP = 'udp',
}

/**
 * Where a camera's username and password live: a Kubernetes Secret.
 */
export interface CameraCredentials {
  /**
   * Name of the Secret, in the namespace of the workload that reads the camera.
   */
  readonly secretName: string;
  /**
   * Key of the username in the Secret's data.
   * @default 'username'
   */
  readonly usernameKey?: string;
  /**
   * Key of the password in the Secret's data.
   * @default 'password'
   */
  readonly passwordKey?: string;
}

/**
 * One camera of the inventory.
 */
export interface CameraSpec {
  /**
   * Unique camera id, a DNS-1123 label used in resource and stream names.
   */
  readonly id: string;
  /**
   * Stream URL with scheme rtsp or rtsps, without a username or password.
   */
  readonly url: string;
  /**
   * Secret holding the username and password for the stream.
   * @default - the stream needs no credentials
   */
  readonly credentials?: CameraCredentials;
  /**
   * How the stream is carried.
   * @default StreamTransport.TCP
   */
  readonly transport?: StreamTransport;
  /**
   * Kubernetes labels describing the camera, such as its site or line.
   * @default - no labels
   */
  readonly labels?: { readonly [key: string]: string };
}

/**
 * A validated list of cameras, loaded from a YAML or CSV file or given in code.
 *
 * YAML holds a list of {@link CameraSpec} objects, either at the top level or
 * under a `cameras` key. CSV needs a header row with `id` and `url` columns
 * and may add `transport`, `secretName`, `usernameKey` and `passwordKey`;
 * every other column is a label, and an empty label cell leaves the label
 * out. Blank lines and lines starting with `#` are skipped, and a quoted
 * field may hold commas and doubled quotes but not line breaks.
 */
export class CameraInventory {
  /**
   * Loads cameras from a `.yaml`, `.yml` or `.csv` file, chosen by extension.
   * @param path path of the file; error messages name it.
   */
  public static fromFile(path: string): CameraInventory {
    const extension = extname(path).toLowerCase();
    const parse = PARSER_BY_EXTENSION.get(extension);
    if (parse === undefined) {
      throw new Error(
        `CameraInventory: 'path' (${path}) must end in .yaml, .yml or .csv, not '${extension}'. ` +
          'Rename the file or pass its text to CameraInventory.fromYaml or CameraInventory.fromCsv',
      );
    }
    return parse(readText(path), path);
  }

  /**
   * Loads cameras from YAML text.
   * @param text a list of cameras, or a mapping whose `cameras` key holds one.
   * @param source name of the text in error messages, such as its file name.
   */
  public static fromYaml(text: string, source?: string): CameraInventory {
    return new CameraInventory(checkCameras(readYamlCameras(text, sourceName(source))));
  }

  /**
   * Loads cameras from CSV text with a header row.
   * @param text CSV with at least `id` and `url` columns.
   * @param source name of the text in error messages, such as its file name.
   */
  public static fromCsv(text: string, source?: string): CameraInventory {
    return new CameraInventory(checkCameras(readCsvCameras(text, sourceName(source))));
  }

  /**
   * Builds an inventory from cameras given in code.
   * @param cameras the cameras, in the order to keep.
   */
  public static of(cameras: readonly CameraSpec[]): CameraInventory {
    return new CameraInventory(checkCameras(cameras.map((camera, index) => inCode(camera, 'CameraInventory', index))));
  }

  /**
   * The cameras, in the order they were given.
   */
  public readonly cameras: readonly CameraSpec[];

  private constructor(cameras: readonly CameraSpec[]) {
    this.cameras = Object.freeze([...cameras]);
  }
}

/**
 * Throws if any camera is invalid or two cameras share an id; see
 * {@link CameraSpec} for the rules.
 *
 * @param cameras cameras given in code.
 * @param owner start of every error message, such as the construct's name;
 *   messages then point at `cameras[<index>].<prop>`.
 */
export function validateCameras(cameras: readonly CameraSpec[], owner: string): void {
  checkCameras(cameras.map((camera, index) => inCode(camera, owner, index)));
}

/** A camera as read, before validation; `''` stands for a missing id or url. */
type RawCamera = Omit<CameraSpec, 'transport'> & { readonly transport?: string };

/** A broken rule, independent of where the camera came from. */
interface Violation {
  /** Property path such as `url`, `credentials.secretName` or `labels.site`. */
  readonly field: string;
  /** Property path to point at when it differs from `field`, as for a bad label key. */
  readonly at?: string;
  /** The offending value, already stripped of secrets; absent when the value is missing. */
  readonly value?: string;
  /** What the value must do, completing the sentence "must ...". */
  readonly rule: string;
  /** What the user can do about it, as a sentence. */
  readonly fix: string;
}

/** Lets error messages point at the camera in the user's own terms: a file line or an array index. */
interface Origin {
  /** Start of the message up to the quoted property, e.g. `CameraInventory 'cams.csv' line 7: 'url'`. */
  head(violation: Pick<Violation, 'field' | 'at'>): string;
  /** How another camera's error refers to this one, e.g. `line 7` or `cameras[2]`. */
  readonly reference: string;
}

interface SourcedCamera {
  readonly camera: RawCamera;
  readonly origin: Origin;
}

type Parser = (text: string, source: string) => CameraInventory;

const PARSER_BY_EXTENSION: ReadonlyMap<string, Parser> = new Map<string, Parser>([
  ['.yaml', (text, source) => CameraInventory.fromYaml(text, source)],
  ['.yml', (text, source) => CameraInventory.fromYaml(text, source)],
  ['.csv', (text, source) => CameraInventory.fromCsv(text, source)],
]);

const TRANSPORT_BY_NAME: ReadonlyMap<string, StreamTransport> = new Map(
  Object.values(StreamTransport).map((transport) => [transport, transport]),
);

const CAMERA_FIELDS = ['id', 'url', 'transport', 'credentials', 'labels'];
const CREDENTIAL_FIELDS = ['secretName', 'usernameKey', 'passwordKey'];
const CSV_CAMERA_COLUMNS = ['id', 'url', 'transport', ...CREDENTIAL_FIELDS];
/** Names that suggest a secret is about to be written in plain text. */
const SECRET_LOOKING_NAME = /^(user|username|login|pass|passwd|password|pwd|secret|token)$/i;
const SECRET_FIX =
  "Store the username and password in a Kubernetes Secret and reference it with 'credentials' " +
  '(the secretName column in CSV)';
const EXAMPLE_URL = 'rtsp://camera-1.local:554/stream';

// ---------------------------------------------------------------------------
// Validation shared by every factory
// ---------------------------------------------------------------------------

function checkCameras(cameras: readonly SourcedCamera[]): CameraSpec[] {
  for (const { camera, origin } of cameras) {
    const violation = findViolation(camera);
    if (violation !== undefined) {
      throw new Error(violationMessage(origin.head(violation), violation));
    }
  }
  requireUniqueIds(cameras);
  return cameras.map(({ camera }) => toCameraSpec(camera));
}

function violationMessage(head: string, violation: Violation): string {
  const value = violation.value === undefined ? '' : ` (${violation.value})`;
  return `${head}${value} must ${violation.rule}. ${violation.fix}`;
}

function requireUniqueIds(cameras: readonly SourcedCamera[]): void {
  const firstById = new Map<string, Origin>();
  for (const { camera, origin } of cameras) {
    const first = firstById.get(camera.id);
    if (first !== undefined) {
      throw new Error(
        `${origin.head({ field: 'id' })} (${camera.id}) must be unique, but ${first.reference} already uses it. ` +
          'Rename one of the two cameras',
      );
    }
    firstById.set(camera.id, origin);
  }
}

function findViolation(camera: RawCamera): Violation | undefined {
  return (
    idViolation(camera.id) ??
    urlViolation(camera.url) ??
    transportViolation(camera.transport) ??
    credentialsViolation(camera.credentials) ??
    labelsViolation(camera.labels)
  );
}

function idViolation(id: string): Violation | undefined {
  if (!id) {
    return { field: 'id', rule: 'be set', fix: "Give every camera an id such as 'cam-1'" };
  }
  if (isDnsLabel(id)) {
    return undefined;
  }
  const suggestion = dnsLabelLike(id);
  return {
    field: 'id',
    value: id,
    rule:
      "be a DNS-1123 label: at most 63 lowercase letters, digits or '-', starting and ending with a letter or digit",
    fix: isDnsLabel(suggestion) ? `Rename it, e.g. '${suggestion}'` : 'Rename it',
  };
}

function urlViolation(url: string): Violation | undefined {
  if (!url) {
    return { field: 'url', rule: 'be set', fix: `Add the camera's stream URL, e.g. ${EXAMPLE_URL}` };
  }
  const shown = maskUrlSecrets(url);
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return { field: 'url', value: shown, rule: 'be a valid URL', fix: `Write it like ${EXAMPLE_URL}` };
  }
  if (parsed.protocol !== 'rtsp:' && parsed.protocol !== 'rtsps:') {
    return { field: 'url', value: shown, rule: 'use scheme rtsp or rtsps', fix: 'Use an rtsp:// or rtsps:// URL' };
  }
  if (parsed.username !== '' || parsed.password !== '') {
    return { field: 'url', value: shown, rule: 'not contain a username or password', fix: SECRET_FIX };
  }
  const secret = findUrlSecret(url);
  if (secret !== undefined) {
    return { field: 'url', value: shown, rule: `not carry credentials in its query or path (${secret.where})`, fix: SECRET_FIX };
  }
  if (parsed.hostname === '') {
    return { field: 'url', value: shown, rule: 'name a host', fix: `Write it like ${EXAMPLE_URL}` };
  }
  return undefined;
}

function transportViolation(transport: string | undefined): Violation | undefined {
  if (transport === undefined || TRANSPORT_BY_NAME.has(transport)) {
    return undefined;
  }
  return {
    field: 'transport',
    value: transport,
    rule: 'be tcp or udp',
    fix: 'Leave it out to get tcp, which MediaMTX needs inside Kubernetes',
  };
}

function credentialsViolation(credentials: CameraCredentials | undefined): Violation | undefined {
  if (credentials === undefined) {
    return undefined;
  }
  const { secretName, usernameKey, passwordKey } = credentials;
  if (!secretName) {
    return {
      field: 'credentials.secretName',
      rule: 'be set',
      fix: 'Name the Kubernetes Secret that holds the username and password',
    };
  }
  if (!isDnsSubdomain(secretName)) {
    return {
      field: 'credentials.secretName',
      value: secretName,
      rule: "be a Kubernetes object name: at most 253 lowercase letters, digits, '-' or '.'",
      fix: `Use the Secret's name as kubectl shows it`,
    };
  }
  return (
    secretKeyViolation('credentials.usernameKey', usernameKey) ??
    secretKeyViolation('credentials.passwordKey', passwordKey) ??
    sameKeysViolation(usernameKey ?? 'username', passwordKey ?? 'password')
  );
}

function secretKeyViolation(field: string, key: string | undefined): Violation | undefined {
  if (key === undefined || secretDataKey(key) === undefined) {
    return undefined;
  }
  return {
    field,
    value: key,
    rule: "be a Secret data key: letters, digits, '-', '_' or '.', not '.' and not starting with '..'",
    fix: 'Use the key as it appears under data: in the Secret',
  };
}

function sameKeysViolation(usernameKey: string, passwordKey: string): Violation | undefined {
  if (usernameKey !== passwordKey) {
    return undefined;
  }
  return {
    field: 'credentials.passwordKey',
    value: passwordKey,
    rule: 'differ from the username key',
    fix: 'Point usernameKey and passwordKey at different keys of the Secret',
  };
}

function labelsViolation(labels: { readonly [key: string]: string } | undefined): Violation | undefined {
  for (const [key, value] of Object.entries(labels ?? {})) {
    const violation = labelKeyViolation(key) ?? labelValueViolation(key, value);
    if (violation !== undefined) {
      return violation;
    }
  }
  return undefined;
}

function labelKeyViolation(key: string): Violation | undefined {
  const name = key.slice(key.indexOf('/') + 1);
  const at = `labels.${key}`;
  if (SECRET_LOOKING_NAME.test(name)) {
    return { field: 'labels', at, value: key, rule: 'not hold credentials', fix: SECRET_FIX };
  }
  if (qualifiedName(key) === undefined) {
    return undefined;
  }
  return {
    field: 'labels',
    at,
    value: key,
    rule:
      "be a Kubernetes label key: an optional DNS subdomain and '/', then at most 63 letters, digits, " +
      "'-', '_' or '.', starting and ending with a letter or digit",
    fix: "Rename it, e.g. 'site'",
  };
}

function labelValueViolation(key: string, value: string): Violation | undefined {
  if (labelValue(value) === undefined) {
    return undefined;
  }
  return {
    field: `labels.${key}`,
    value,
    rule:
      "be a Kubernetes label value: at most 63 letters, digits, '-', '_' or '.', " +
      'starting and ending with a letter or digit',
    fix: "Replace other characters with '-'",
  };
}

function isDnsLabel(text: string): boolean {
  return dns1123Label(text) === undefined;
}

function isDnsSubdomain(text: string): boolean {
  return dns1123Subdomain(text) === undefined;
}

function dnsLabelLike(text: string): string {
  return text
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .slice(0, 63)
    .replace(/^-+|-+$/g, '');
}

/**
 * Hides anything that may be a secret before a URL goes into an error
 * message. Everything up to the last '@' goes, not just what URL parsing
 * calls userinfo, because a password with a '/' or '#' in it breaks parsing.
 */
function toCameraSpec(camera: RawCamera): CameraSpec {
  const transport = camera.transport === undefined ? undefined : TRANSPORT_BY_NAME.get(camera.transport);
  return {
    id: camera.id,
    url: camera.url,
    ...(camera.credentials === undefined ? {} : { credentials: copyCredentials(camera.credentials) }),
    ...(transport === undefined ? {} : { transport }),
    ...(camera.labels === undefined ? {} : { labels: { ...camera.labels } }),
  };
}

function copyCredentials({ secretName, usernameKey, passwordKey }: CameraCredentials): CameraCredentials {
  return {
    secretName,
    ...(usernameKey === undefined ? {} : { usernameKey }),
    ...(passwordKey === undefined ? {} : { passwordKey }),
  };
}

// ---------------------------------------------------------------------------
// Origins: where a camera was written
// ---------------------------------------------------------------------------

function inCode(camera: CameraSpec, owner: string, index: number): SourcedCamera {
  return {
    camera,
    origin: {
      head: ({ field }) => `${owner}: 'cameras[${index}].${field}'`,
      reference: `cameras[${index}]`,
    },
  };
}

function sourceName(source: string | undefined): string {
  return source === undefined ? 'CameraInventory' : `CameraInventory '${source}'`;
}

function readText(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error: unknown) {
    throw new Error(`CameraInventory: 'path' (${path}) must be a readable file (${errorCode(error)}). Check the path`);
  }
}

/** The errno code of a file-system error; checked structurally since errors may come from another realm. */
function errorCode(error: unknown): string {
  return typeof error === 'object' && error !== null && 'code' in error ? String(error.code) : String(error);
}

/** Files exported from spreadsheets often start with a byte-order mark. */
function withoutBom(text: string): string {
  return text.startsWith('\uFEFF') ? text.slice(1) : text;
}

// ---------------------------------------------------------------------------
// YAML
// ---------------------------------------------------------------------------

interface YamlContext {
  readonly source: string;
  readonly lines: LineCounter;
}

/** Line of a field, keyed by property path such as `url` or `labels.site`. */
type FieldLines = Map<string, number>;

function readYamlCameras(text: string, source: string): SourcedCamera[] {
  const { LineCounter, parseDocument } = yamlPackage();
  const lines = new LineCounter();
  // The failsafe schema keeps every scalar a string: the core schema would turn `line: 007` into 7.
  // prettyErrors would quote the offending source line, which may hold a password.
  const document = parseDocument(withoutBom(text), { lineCounter: lines, schema: 'failsafe', prettyErrors: false });
  const context: YamlContext = { source, lines };
  const [error] = document.errors;
  if (error !== undefined) {
    const line = lines.linePos(error.pos[0]).line;
    throw new Error(`${source} line ${line}: the YAML must parse (${error.message}). Fix the syntax`);
  }
  return cameraNodes(context, document.contents).map((node) => readYamlCamera(context, node));
}

function cameraNodes(context: YamlContext, root: unknown): unknown[] {
  const { isMap, isSeq } = yamlPackage();
  if (isSeq(root)) {
    return root.items;
  }
  const cameras = isMap(root) && root.items.length === 1 ? root.items[0] : undefined;
  if (cameras !== undefined && scalarText(cameras.key) === 'cameras' && isSeq(cameras.value)) {
    return cameras.value.items;
  }
  throw yamlError(
    context,
    root,
    1,
    "the document must be a list of cameras or a mapping with only a 'cameras' list. " +
      "Start each camera with '- id: ...'",
  );
}

function readYamlCamera(context: YamlContext, node: unknown): SourcedCamera {
  const itemLine = lineOf(context, node, 1);
  const fieldLines: FieldLines = new Map();
  const entries = mappingEntries(context, node, 'camera', itemLine);
  requireKnownKeys(context, entries, CAMERA_FIELDS, '');
  const text = (field: string): string | undefined => {
    const pair = entries.get(field);
    return pair === undefined ? undefined : plainText(context, pair, field, fieldLines);
  };
  const camera: RawCamera = {
    id: text('id') ?? '',
    url: text('url') ?? '',
    transport: text('transport'),
    credentials: readYamlCredentials(context, entries.get('credentials'), fieldLines),
    labels: readYamlLabels(context, entries.get('labels'), fieldLines),
  };
  return { camera, origin: inYaml(context.source, itemLine, fieldLines) };
}

function readYamlCredentials(
  context: YamlContext,
  pair: Pair<unknown, unknown> | undefined,
  fieldLines: FieldLines,
): CameraCredentials | undefined {
  if (pair === undefined) {
    return undefined;
  }
  const line = lineOf(context, pair.key, 1);
  fieldLines.set('credentials', line);
  const entries = mappingEntries(context, pair.value, 'credentials', line);
  requireKnownKeys(context, entries, CREDENTIAL_FIELDS, 'credentials.');
  const text = (key: string): string | undefined => {
    const entry = entries.get(key);
    return entry === undefined ? undefined : plainText(context, entry, `credentials.${key}`, fieldLines);
  };
  return { secretName: text('secretName') ?? '', usernameKey: text('usernameKey'), passwordKey: text('passwordKey') };
}

function readYamlLabels(
  context: YamlContext,
  pair: Pair<unknown, unknown> | undefined,
  fieldLines: FieldLines,
): Record<string, string> | undefined {
  if (pair === undefined) {
    return undefined;
  }
  const line = lineOf(context, pair.key, 1);
  fieldLines.set('labels', line);
  const entries = mappingEntries(context, pair.value, 'labels', line);
  const labels: Record<string, string> = {};
  for (const [key, entry] of entries) {
    labels[key] = plainText(context, entry, `labels.${key}`, fieldLines);
  }
  return labels;
}

/** Keys of a YAML mapping with their pairs; refuses anything that is not a mapping of plain keys. */
function mappingEntries(
  context: YamlContext,
  node: unknown,
  what: string,
  line: number,
): Map<string, Pair<unknown, unknown>> {
  if (!yamlPackage().isMap(node)) {
    throw yamlError(context, node, line, `'${what}' must be a mapping of fields. Write one 'key: value' per line`);
  }
  const entries = new Map<string, Pair<unknown, unknown>>();
  for (const pair of node.items) {
    const key = scalarText(pair.key);
    if (key === undefined) {
      throw yamlError(context, pair.key, line, `'${what}' must have plain text keys. Write 'key: value'`);
    }
    entries.set(key, pair);
  }
  return entries;
}

function requireKnownKeys(
  context: YamlContext,
  entries: Map<string, Pair<unknown, unknown>>,
  known: readonly string[],
  pathPrefix: string,
): void {
  for (const [key, pair] of entries) {
    if (!known.includes(key)) {
      const fix = SECRET_LOOKING_NAME.test(key) ? SECRET_FIX : 'Fix the spelling or remove it';
      throw yamlError(context, pair.key, 1, `'${pathPrefix}${key}' must be one of ${known.join(', ')}. ${fix}`);
    }
  }
}

/** The string value of a pair, recording its line. Empty values read as `''`. */
function plainText(context: YamlContext, pair: Pair<unknown, unknown>, field: string, fieldLines: FieldLines): string {
  const line = lineOf(context, pair.value ?? pair.key, 1);
  fieldLines.set(field, line);
  if (pair.value === null) {
    return '';
  }
  const text = scalarText(pair.value);
  if (text === undefined) {
    const problem = `'${field}' must be a single value, not a list or mapping. Write 'key: value'`;
    throw yamlError(context, pair.value, line, problem);
  }
  return text;
}

/** An error pointing at `node`, or at `fallbackLine` when the node has no position (it is missing). */
function yamlError(context: YamlContext, node: unknown, fallbackLine: number, problem: string): Error {
  return new Error(`${context.source} line ${lineOf(context, node, fallbackLine)}: ${problem}`);
}

function scalarText(node: unknown): string | undefined {
  return yamlPackage().isScalar(node) ? String(node.value ?? '') : undefined;
}

function lineOf(context: YamlContext, node: unknown, fallback: number): number {
  return yamlPackage().isNode(node) && node.range ? context.lines.linePos(node.range[0]).line : fallback;
}

function inYaml(source: string, itemLine: number, fieldLines: FieldLines): Origin {
  // A missing field points at its parent, then at the camera.
  const lineFor = (path: string): number =>
    fieldLines.get(path) ?? fieldLines.get(path.split('.')[0]) ?? itemLine;
  return {
    head: ({ field, at }) => `${source} line ${lineFor(at ?? field)}: '${field}'`,
    reference: `line ${lineFor('id')}`,
  };
}

// ---------------------------------------------------------------------------
// CSV
// ---------------------------------------------------------------------------

interface CsvLine {
  readonly number: number;
  readonly text: string;
}

interface CsvHeader {
  readonly line: number;
  readonly columns: readonly string[];
}

function readCsvCameras(text: string, source: string): SourcedCamera[] {
  const [headerLine, ...rows] = meaningfulLines(withoutBom(text));
  if (headerLine === undefined) {
    throw new Error(`${source}: 'header' must be present. Start the file with a header row such as id,url,site`);
  }
  const header = readCsvHeader(source, headerLine);
  return rows.map((row) => readCsvCamera(source, header, row));
}

function meaningfulLines(text: string): CsvLine[] {
  return text
    .split(/\r?\n/)
    .map((line, index) => ({ number: index + 1, text: line }))
    .filter(({ text: line }) => line.trim() !== '' && !line.trimStart().startsWith('#'));
}

function readCsvHeader(source: string, line: CsvLine): CsvHeader {
  const at = `${source} line ${line.number}`;
  refuseOtherSeparator(at, line.text);
  const columns = splitCsvLine(line.text, `${at}: 'header'`);
  columns.forEach((column, index) => {
    if (column === '') {
      throw new Error(`${at}: 'header' (column ${index + 1}) must have a name. Name it or remove the extra comma`);
    }
    if (columns.indexOf(column) !== index) {
      throw new Error(`${at}: 'header' (${column}) must name each column once. Rename or remove one of them`);
    }
    const violation = CSV_CAMERA_COLUMNS.includes(column) ? undefined : labelKeyViolation(column);
    if (violation !== undefined) {
      throw new Error(violationMessage(`${at}: 'header'`, violation));
    }
  });
  const missing = ['id', 'url'].filter((required) => !columns.includes(required));
  if (missing.length > 0) {
    throw new Error(
      `${at}: 'header' (${columns.join(',')}) must include the columns id and url. Add ${missing.join(' and ')}`,
    );
  }
  return { line: line.number, columns };
}

/** Spreadsheets in many locales export with ';' or tabs: name that, not the label-key rule it would break first. */
function refuseOtherSeparator(at: string, headerText: string): void {
  if (headerText.includes(',')) return;
  const separator = [';', '\t', '|'].find((candidate) => headerText.split(candidate).length > 1);
  if (separator === undefined) return;
  const shown = separator === '\t' ? 'tab' : `'${separator}'`;
  throw new Error(`${at}: 'header' (${headerText.trim().replace(/\t/g, '\\t')}) must be comma-separated, but this file separates columns with ${shown}. ` +
    'Export it as CSV with commas (in a spreadsheet: CSV UTF-8, comma delimited), or replace the separators');
}

function readCsvCamera(source: string, header: CsvHeader, line: CsvLine): SourcedCamera {
  const at = `${source} line ${line.number}`;
  const cells = splitCsvLine(line.text, `${at}: 'row'`);
  if (cells.length !== header.columns.length) {
    throw new Error(
      `${at}: 'row' (${cells.length} cells) must have as many cells as the header on line ${header.line} ` +
        `(${header.columns.length}). Add the missing cells or quote values that contain commas`,
    );
  }
  const cell = (column: string): string | undefined => {
    const value = cells[header.columns.indexOf(column)];
    return value === '' ? undefined : value;
  };
  const camera: RawCamera = {
    id: cell('id') ?? '',
    url: cell('url') ?? '',
    transport: cell('transport'),
    credentials: csvCredentials(at, cell),
    labels: csvLabels(header, cells),
  };
  return {
    camera,
    origin: {
      head: ({ field }) => `${at}: '${csvColumnOf(field)}'`,
      reference: `line ${line.number}`,
    },
  };
}

function csvCredentials(at: string, cell: (column: string) => string | undefined): CameraCredentials | undefined {
  const secretName = cell('secretName');
  const usernameKey = cell('usernameKey');
  const passwordKey = cell('passwordKey');
  if (secretName !== undefined) {
    return { secretName, usernameKey, passwordKey };
  }
  const orphan = usernameKey !== undefined ? 'usernameKey' : passwordKey !== undefined ? 'passwordKey' : undefined;
  if (orphan !== undefined) {
    throw new Error(
      `${at}: '${orphan}' (${cell(orphan)}) must come with a secretName. ` +
        `Fill in the secretName cell or clear ${orphan}`,
    );
  }
  return undefined;
}

function csvLabels(header: CsvHeader, cells: readonly string[]): Record<string, string> | undefined {
  const labels: Record<string, string> = {};
  header.columns.forEach((column, index) => {
    if (!CSV_CAMERA_COLUMNS.includes(column) && cells[index] !== '') {
      labels[column] = cells[index];
    }
  });
  return Object.keys(labels).length === 0 ? undefined : labels;
}

/** Column that holds a property: labels and credentials are flattened into their own columns. */
function csvColumnOf(field: string): string {
  const dot = field.indexOf('.');
  return dot === -1 ? field : field.slice(dot + 1);
}

/**
 * Splits one CSV line into trimmed cells. A quoted cell keeps its spaces and
 * may hold commas and doubled quotes. Messages never quote the line: it may
 * hold a password.
 */
function splitCsvLine(line: string, head: string): string[] {
  const cells: string[] = [];
  let position = 0;
  for (;;) {
    position = skipSpaces(line, position);
    const cell = line[position] === '"' ? readQuotedCell(line, position, head) : readPlainCell(line, position, head);
    cells.push(cell.value);
    if (cell.end >= line.length) {
      return cells;
    }
    position = cell.end + 1;
  }
}

interface CsvCell {
  readonly value: string;
  /** Index of the comma after the cell, or the line length. */
  readonly end: number;
}

function readQuotedCell(line: string, openingQuote: number, head: string): CsvCell {
  let value = '';
  let position = openingQuote + 1;
  for (;;) {
    const quote = line.indexOf('"', position);
    if (quote === -1) {
      throw new Error(`${head} must close every quoted cell. Add the missing '"'`);
    }
    value += line.slice(position, quote);
    if (line[quote + 1] !== '"') {
      const end = skipSpaces(line, quote + 1);
      if (end < line.length && line[end] !== ',') {
        throw new Error(`${head} must have a comma right after a closing quote. Quote the whole cell`);
      }
      return { value, end };
    }
    value += '"';
    position = quote + 2;
  }
}

function readPlainCell(line: string, start: number, head: string): CsvCell {
  const comma = line.indexOf(',', start);
  const end = comma === -1 ? line.length : comma;
  const value = line.slice(start, end).trim();
  if (value.includes('"')) {
    throw new Error(`${head} must quote a cell that contains '"'. Wrap it in quotes and double the quotes inside`);
  }
  return { value, end };
}

function skipSpaces(line: string, position: number): number {
  let next = position;
  while (line[next] === ' ' || line[next] === '\t') {
    next++;
  }
  return next;
}
