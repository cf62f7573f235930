import { createHash } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { libraryCacheFolder, removeOldest, writeCacheFile } from './_cache-folder';
import { registeredCrds } from './_schema-rules';

/**
 * Receipts: what `LayeredApp` leaves for the validation plugin, so that the plugin can confirm
 * cheaply that a manifest file is, byte for byte, one that `ManifestValidator` checked and passed.
 *
 * A receipt is a file named by the SHA-256 of the manifest's bytes, holding the number of objects
 * checked, in a folder named by the validator's fingerprint:
 * `node_modules/.cache/cdk8s-video-analytics/validation-receipts/<fingerprint>/<sha256>`.
 *
 * Why there:
 * - Not in the output folder: Argo CD applies what it finds there (the platform's Applications
 *   take `*.k8s.yaml` only, other consumers may take every file), and a receipt beside the
 *   manifests would travel with them into Git.
 * - Not in the project tree: nothing to ignore or commit. `node_modules/.cache` is where tools
 *   keep such caches (this repository's TypeScript loader among them); it belongs to the
 *   project's owner, goes with `node_modules`, and a fresh install starts without receipts.
 * - Not under `os.tmpdir()`: that folder is shared by every account on the machine, and a
 *   receipt planted there by another account would make the plugin skip a file.
 * The folder is the `node_modules` the library is installed in (in its own repository, the one
 * beside its sources): the app and the plugin load the same copy of the library, so they find
 * the same folder. Without one, nothing is recorded and the plugin validates every file.
 *
 * Why it is safe to trust: a receipt names exact bytes, so a file changed after synthesis (by
 * hand, by a merge, by another tool) has no receipt and is validated in full; and it names the
 * exact validator, so a changed validator (another library version, other validation code or
 * schemas, other `yaml`, `ajv` or `kubernetes-models` versions, another Node.js, CRDs added with
 * `ManifestValidator.addCrd()` in the app but unknown to the plugin) never trusts an old receipt.
 * Receipts are never wrong, only unused: stale ones are pruned, never consulted.
 */
export class ValidationReceipts {
  /** The receipts of the validator running in this process; undefined when there is no place to keep them. */
  public static forThisValidator(): ValidationReceipts | undefined {
    const root = receiptsRoot();
    return root === undefined ? undefined : new ValidationReceipts(root, validatorFingerprint());
  }

  /** The folder of this validator's receipts. */
  public readonly folder: string;

  /**
   * @param root the folder that holds one folder of receipts per validator fingerprint
   * @param fingerprint the validator's fingerprint (see {@link validatorFingerprint})
   */
  constructor(private readonly root: string, fingerprint: string) {
    this.folder = path.join(root, fingerprint);
  }

  /** Records that `bytes` passed validation with `objectCount` objects. Best effort: a receipt that cannot be written only costs the plugin time. */
  public record(bytes: Buffer, objectCount: number): void {
    this.recordDigest(sha256Hex(bytes), objectCount);
  }

  /** {@link record} for bytes known by their SHA-256 (hex), such as a file hashed as it was written. */
  public recordDigest(sha256: string, objectCount: number): void {
    // Without it, the plugin validates the file in full.
    writeCacheFile(path.join(this.folder, sha256), String(objectCount));
  }

  /** The number of objects of a file whose exact bytes passed this validator; undefined without a receipt. */
  public objectCountOf(bytes: Buffer): number | undefined {
    return this.objectCountOfDigest(sha256Hex(bytes));
  }

  /** {@link objectCountOf} for bytes known by their SHA-256 (hex). */
  public objectCountOfDigest(sha256: string): number | undefined {
    let text: string;
    try {
      text = fs.readFileSync(path.join(this.folder, sha256), 'utf8');
    } catch {
      return undefined;
    }
    return /^(0|[1-9][0-9]{0,9})$/.test(text) ? Number(text) : undefined;
  }

  /**
   * Keeps the newest receipts of this validator and drops the folders of the oldest other
   * validators: content addressing never returns a wrong answer, but would grow without end.
   */
  public prune(maxReceipts = MAX_RECEIPTS, maxValidators = MAX_VALIDATORS): void {
    try {
      removeOldest(this.folder, maxReceipts, (entry) => fs.rmSync(entry, { force: true }));
      removeOldest(this.root, maxValidators, (entry) => fs.rmSync(entry, { recursive: true, force: true }));
    } catch {
      // Pruning again on the next synth is as good.
    }
  }
}

const MAX_RECEIPTS = 2_000;
const MAX_VALIDATORS = 4;

/** The SHA-256 (hex) of bytes, or of a text's UTF-8 bytes: what names a receipt. */
export function sha256Hex(content: string | Uint8Array): string {
  return createHash('sha256').update(content).digest('hex');
}

/** `<node_modules>/.cache/cdk8s-video-analytics/validation-receipts`, or undefined. */
function receiptsRoot(): string | undefined {
  return libraryCacheFolder('validation-receipts');
}

/** The packages whose code decides a verdict, besides the library's own. */
const VALIDATING_PACKAGES: ReadonlyArray<readonly [string, string?]> = [
  // The writer is cdk8s's own copy of yaml; the readers use the library's.
  ['cdk8s'], ['yaml', 'cdk8s'], ['yaml'], ['ajv'], ['kubernetes-models'], ['@kubernetes-models/base', 'kubernetes-models'],
  ['@kubernetes-models/validate', 'kubernetes-models'], ['ajv-i18n', '@kubernetes-models/validate'], ['@prometheus-io/lezer-promql'],
  ['@lezer/lr', '@prometheus-io/lezer-promql'],
];

let staticFingerprint: string | undefined;

/**
 * What identifies the validator running in this process: the library's name and version, the
 * bytes of every file of its validation code and schemas (this folder, the name rules, the
 * object-spreading and yaml-loading helpers it calls, the
 * configuration YAML writer and reader the PromQL check relies on, the YAML emitter whose text the object
 * path stands for, the CRD schemas), the versions of the
 * packages it validates with, the Node.js version, and the CRDs registered at run time.
 */
export function validatorFingerprint(): string {
  staticFingerprint ??= computeStaticFingerprint();
  return createHash('sha256').update(staticFingerprint).update('\0crds\0').update(registeredCrds()).digest('hex').slice(0, 32);
}

function computeStaticFingerprint(): string {
  const hash = createHash('sha256');
  const library = libraryPackage();
  hash.update(`${library.name}@${library.version}\0node ${process.version}\0`);
  for (const [name, from] of VALIDATING_PACKAGES) hash.update(`${name}@${packageVersion(name, from)}\0`);
  const files = [
    ...fs.readdirSync(__dirname).sort().map((name) => path.join(__dirname, name)),
    require.resolve('../../core/names'),
    require.resolve('../../core/spread'),
    require.resolve('../../core/yaml-package'),
    require.resolve('../config-yaml'),
    require.resolve('../embedded-yaml'),
    // The object path validates what the emitter writes: a changed emitter is a changed validator.
    require.resolve('../yaml/emitter'),
    require.resolve('../yaml/scalar-text'),
    require.resolve('../../../imports/crd-schemas.json'),
  ];
  for (const file of files) {
    if (!fs.statSync(file).isFile()) continue;
    hash.update(`${path.basename(file)}\0`).update(fs.readFileSync(file)).update('\0');
  }
  return hash.digest('hex');
}

function libraryPackage(): { name: string; version: string } {
  for (let folder = __dirname; path.dirname(folder) !== folder; folder = path.dirname(folder)) {
    const manifest = readPackageJson(folder);
    if (manifest?.name === 'cdk8s-video-analytics') return { name: manifest.name, version: String(manifest.version) };
  }
  return { name: 'cdk8s-video-analytics', version: 'unknown' };
}

/** The version of a package as `from` (or the library) resolves it; 'missing' when it cannot be found. */
function packageVersion(name: string, from?: string): string {
  try {
    const paths = from === undefined ? undefined : [path.dirname(require.resolve(from))];
    const entry = require.resolve(name, paths && { paths });
    for (let folder = path.dirname(entry); path.dirname(folder) !== folder; folder = path.dirname(folder)) {
      const manifest = readPackageJson(folder);
      if (manifest?.name === name) return `${String(manifest.version)} ${folder}`;
    }
  } catch {
    // Reported as missing below.
  }
  return 'missing';
}

function readPackageJson(folder: string): { name?: string; version?: unknown } | undefined {
  try {
    return JSON.parse(fs.readFileSync(path.join(folder, 'package.json'), 'utf8')) as { name?: string; version?: unknown };
  } catch {
    return undefined;
  }
}
