import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ApiObject, App, Chart } from 'cdk8s';
import { LayeredApp, ManifestValidationPlugin, ManifestValidator } from '../../lib';
import { ValidationReceipts, validatorFingerprint } from '../../lib/synth/validation/_receipts';
import { compileAtRunTime } from '../../lib/synth/validation/_schema-rules';

// LayeredApp validates before it writes and leaves a receipt per file: the validation plugin of
// `cdk8s synth` then confirms each file by its hash instead of reading it again. A receipt must
// vouch for exact bytes and an exact validator, never for a path or for an older validator.

const ROOT = path.join(__dirname, '..', '..');

interface Report {
  status: string;
  metadata: { [key: string]: string };
  violations: Array<{ ruleName: string; violatingResources: Array<{ resourceName: string; locations: readonly string[]; manifestPath: string }> }>;
}

async function runPlugin(manifests: readonly string[], plugin = new ManifestValidationPlugin()): Promise<Report> {
  const report: Report = { status: '', metadata: {}, violations: [] };
  await plugin.validate({
    manifests,
    report: { addViolation: (v) => { report.violations.push(v); }, submit: (status, metadata) => { report.status = status; report.metadata = metadata ?? {}; } },
  });
  return report;
}

function configMap(chart: Chart, name: string): void {
  new ApiObject(chart, name, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'video-analytics' }, data: { site: name } } as any);
}

/** Two layers, one depending on the other, as a platform writes them. */
function twoLayers(app: App): void {
  const base = new Chart(app, 'base', { disableResourceNameHashes: true });
  configMap(base, 'settings-a');
  const top = new Chart(app, 'top', { disableResourceNameHashes: true });
  configMap(top, 'settings-b');
  configMap(top, 'settings-c');
  top.addDependency(base);
}

let dir: string;
let readFiles: jest.SpyInstance;

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'validation-receipts-'));
  // Which files the plugin had to read and validate in full.
  readFiles = jest.spyOn(ManifestValidator, 'validateYaml');
});

afterEach(() => {
  readFiles.mockRestore();
  fs.rmSync(dir, { recursive: true, force: true });
});

function synth(props: { validate?: boolean } = {}): string[] {
  const app = new LayeredApp({ outdir: dir, ...props });
  twoLayers(app);
  app.synth();
  return fs.readdirSync(dir).sort().map((file) => path.join(dir, file));
}

function validatedInFull(): string[] {
  return readFiles.mock.calls.map((call) => String(call[1]));
}

describe('receipts LayeredApp leaves for the validation plugin', () => {
  test('the plugin confirms the files LayeredApp validated without reading them, with the same report', async () => {
    const manifests = synth();
    readFiles.mockClear();

    const confirmed = await runPlugin(manifests);

    expect(validatedInFull()).toEqual([]);
    expect(confirmed).toEqual({ status: 'success', metadata: { objects: '3', violations: '0' }, violations: [] });
    // Reading every file gives the same report.
    await expect(runPlugin(manifests, new ManifestValidationPlugin({ trustReceipts: false }))).resolves.toEqual(confirmed);
    expect(validatedInFull()).toEqual(manifests);
  });

  test('a file changed by one byte after synth is validated in full, and its violation reported', async () => {
    const manifests = synth();
    const tampered = manifests[1];
    // settings-b becomes Settings-b: one byte, an invalid name.
    const text = fs.readFileSync(tampered, 'utf8');
    expect(text).toContain('name: settings-b\n');
    fs.writeFileSync(tampered, text.replace('name: settings-b\n', 'name: Settings-b\n'));
    readFiles.mockClear();

    const report = await runPlugin(manifests);

    // Only the changed file is read; a receipt trusted by path would have passed it.
    expect(validatedInFull()).toEqual([tampered]);
    expect(report.status).toBe('failure');
    expect(report.metadata).toEqual({ objects: '3', violations: '1' });
    expect(report.violations).toEqual([{
      ruleName: 'name', recommendation: expect.stringMatching(/^ConfigMap video-analytics\/Settings-b: metadata\.name: 'Settings-b' must be a DNS-1123 subdomain/), fix: expect.any(String),
      violatingResources: [{ resourceName: 'ConfigMap video-analytics/Settings-b', locations: ['metadata.name'], manifestPath: tampered }],
    }]);
  });

  test('a receipt of another validator is not trusted; one of this validator is', async () => {
    const file = path.join(dir, 'bad.k8s.yaml');
    const bytes = Buffer.from('apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: Bad\n  namespace: a\n', 'utf8');
    fs.writeFileSync(file, bytes);
    const current = ValidationReceipts.forThisValidator()!;
    const other = new ValidationReceipts(path.dirname(current.folder), 'f'.repeat(32));
    try {
      other.record(bytes, 1);
      await expect(runPlugin([file])).resolves.toEqual(expect.objectContaining({ status: 'failure', metadata: { objects: '1', violations: '1' } }));
      expect(validatedInFull()).toEqual([file]);

      // The same receipt under this validator's fingerprint is what makes the plugin skip a file:
      // the test above fails if receipts were trusted whatever validator wrote them.
      readFiles.mockClear();
      current.record(bytes, 1);
      await expect(runPlugin([file])).resolves.toEqual({ status: 'success', metadata: { objects: '1', violations: '0' }, violations: [] });
      expect(validatedInFull()).toEqual([]);
    } finally {
      fs.rmSync(other.folder, { recursive: true, force: true });
      removeReceipt(current, bytes);
    }
  });

  test('a CRD registered in the app makes another validator, whose receipts a plugin without it never trusts', () => {
    const without = validatorFingerprint();
    try {
      ManifestValidator.addCrd({
        apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', metadata: { name: 'widgets.example.com' },
        spec: { group: 'example.com', names: { kind: 'Widget', plural: 'widgets' }, scope: 'Namespaced',
          versions: [{ name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } } }] },
      });
      expect(validatorFingerprint()).not.toBe(without);
    } finally {
      // A fresh registry forgets the CRD.
      compileAtRunTime(false);
    }
    expect(validatorFingerprint()).toBe(without);
  });

  test('with validate: false nothing is vouched for: the plugin reads every file', async () => {
    const manifests = synth({ validate: false });
    // Receipts are content-addressed: bytes an earlier test validated would still be vouched for.
    const receipts = ValidationReceipts.forThisValidator()!;
    for (const file of manifests) removeReceipt(receipts, fs.readFileSync(file));
    readFiles.mockClear();
    await runPlugin(manifests);
    expect(validatedInFull()).toEqual(manifests);
  });

  test('a receipt holding anything but an object count is not trusted', async () => {
    const manifests = synth();
    const receipts = ValidationReceipts.forThisValidator()!;
    const bytes = fs.readFileSync(manifests[0]);
    const receipt = receiptFile(receipts, bytes);
    fs.writeFileSync(receipt, 'many');
    try {
      readFiles.mockClear();
      await runPlugin(manifests);
      expect(validatedInFull()).toEqual([manifests[0]]);
    } finally {
      removeReceipt(receipts, bytes);
    }
  });

  test('live in node_modules/.cache, outside the project tree and the output folder', () => {
    const manifests = synth();
    const receipts = ValidationReceipts.forThisValidator()!;
    expect(path.relative(path.join(ROOT, 'node_modules', '.cache'), receipts.folder)).toMatch(/^cdk8s-video-analytics\/validation-receipts\/[0-9a-f]{32}$/);
    expect(manifests.map((file) => path.basename(file))).toEqual(['0000-base.k8s.yaml', '0001-top.k8s.yaml']);
    expect(fs.existsSync(receiptFile(receipts, fs.readFileSync(manifests[0])))).toBe(true);
  });

  test('are pruned: the newest receipts and validators are kept', () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'receipts-root-'));
    try {
      const old = new ValidationReceipts(root, 'old');
      old.record(Buffer.from('a'), 1);
      const receipts = new ValidationReceipts(root, 'new');
      for (const text of ['a', 'b', 'c', 'd']) receipts.record(Buffer.from(text), 1);
      const past = new Date(Date.now() - 60_000);
      fs.utimesSync(old.folder, past, past);
      fs.utimesSync(receiptFile(receipts, Buffer.from('a')), past, past);
      receipts.prune(3, 1);
      expect(fs.readdirSync(root)).toEqual(['new']);
      expect(receipts.objectCountOf(Buffer.from('a'))).toBeUndefined();
      expect(['b', 'c', 'd'].map((text) => receipts.objectCountOf(Buffer.from(text)))).toEqual([1, 1, 1]);
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });
});

function receiptFile(receipts: ValidationReceipts, bytes: Buffer): string {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const digest = (require('crypto') as typeof import('crypto')).createHash('sha256').update(bytes).digest('hex');
  return path.join(receipts.folder, digest);
}

function removeReceipt(receipts: ValidationReceipts, bytes: Buffer): void {
  fs.rmSync(receiptFile(receipts, bytes), { force: true });
}

describe('LayeredApp reads the receipts too: a file whose bytes this validator passed is not validated again', () => {
  let checkedObjects: jest.SpyInstance;

  beforeEach(() => {
    checkedObjects = jest.spyOn(ManifestValidator, 'validateObjects');
  });

  afterEach(() => {
    checkedObjects.mockRestore();
  });

  /** The files whose objects LayeredApp validated, by the path it named them with. */
  function validatedObjectsOf(): string[] {
    return checkedObjects.mock.calls.map((call) => String((call[1] as { source?: string } | undefined)?.source)).sort();
  }

  /** Two layers, with the top ConfigMap's value (and name) as given: changing them changes one file only. */
  function synthWith(value: string, name = 'settings-c'): string[] {
    const app = new LayeredApp({ outdir: dir });
    const base = new Chart(app, 'base', { disableResourceNameHashes: true });
    configMap(base, 'settings-a');
    const top = new Chart(app, 'top', { disableResourceNameHashes: true });
    new ApiObject(top, 'settings-c', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'video-analytics' }, data: { site: value } } as any);
    top.addDependency(base);
    app.synth();
    return fs.readdirSync(dir).sort().map((file) => path.join(dir, file));
  }

  test('an unchanged file is taken on its receipt; a changed one is validated from its objects', () => {
    // A value no other test writes, so that no receipt exists for these bytes yet.
    const unique = `run-${process.pid}-${Date.now()}`;
    const [base, top] = synthWith(`${unique}-1`);
    // The base file may have passed in an earlier test: only the top file is certainly new.
    expect(validatedObjectsOf()).toContain(top);
    checkedObjects.mockClear();

    synthWith(`${unique}-1`);
    expect(validatedObjectsOf()).toEqual([]);

    synthWith(`${unique}-2`);
    expect(validatedObjectsOf()).toEqual([top]);
    expect(fs.readFileSync(top, 'utf8')).toContain(`site: ${unique}-2\n`);
    expect(fs.existsSync(base)).toBe(true);
  });

  test('a receipt counting other objects than the file holds is not trusted', () => {
    const unique = `run-${process.pid}-${Date.now()}-count`;
    const [, top] = synthWith(unique);
    const receipts = ValidationReceipts.forThisValidator()!;
    const bytes = fs.readFileSync(top);
    receipts.record(bytes, 99);
    checkedObjects.mockClear();

    synthWith(unique);

    expect(validatedObjectsOf()).toEqual([top]);
    // Validated again, the file's receipt holds its true count.
    expect(receipts.objectCountOf(bytes)).toBe(1);
  });

  test('an invalid object fails synth even where an earlier, valid version of its file has a receipt', () => {
    const unique = `run-${process.pid}-${Date.now()}-invalid`;
    synthWith(unique);

    expect(() => synthWith(unique, 'Settings-C')).toThrow(/ConfigMap video-analytics\/Settings-C: metadata\.name: 'Settings-C' must be a DNS-1123 subdomain/);
  });
});
