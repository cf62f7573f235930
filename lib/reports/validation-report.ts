import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ManifestValidationPlugin } from '../synth/validation/cdk8s-plugin';
import { ManifestValidator, ValidationResult } from '../synth/validation/manifest-validator';
import { ObjectReference, describeObject } from '../synth/validation/violation';

/** One manifest file about to be written: where, and its YAML text. */
export interface ManifestText {
  /** The path the file will be written to; violations name it. */
  readonly path: string;
  /** The file's YAML, exactly as it will be written. */
  readonly yaml: string;
}

/** A manifest file about to be written, with the objects its text was serialized from. */
export interface ManifestOutput extends ManifestText {
  /**
   * The objects `yaml` is the text of, as cdk8s's `Yaml.stringify` writes them: validated as
   * objects (see `ManifestValidator.validateObjects`), without reading the text again.
   * @default - the text is read and validated
   */
  readonly objects?: readonly unknown[];
}

/** What validating files before they are written found. */
export interface ValidationOutcome {
  /** The report cdk8s-cli would print for the validation plugin, or undefined when every object is valid. */
  readonly report?: string;
  /** How many objects each file holds, in the order of the files. */
  readonly objectCounts: readonly number[];
}

/** Finds the construct path of the object a violation names, if known. */
export type ConstructPathOf = (file: string, object: ObjectReference) => string | undefined;

/** A violation as cdk8s-cli's report shows it. */
interface ReportedViolation {
  readonly ruleName: string;
  readonly recommendation: string;
  readonly fix: string;
  readonly violatingResources: ReadonlyArray<{ readonly resourceName: string; readonly locations: readonly string[]; readonly manifestPath: string; readonly constructPath?: string }>;
}

/** How the in-process check names itself in the report, where cdk8s-cli names the plugin package and version. */
const PLUGIN = 'ManifestValidationPlugin';
const VERSION = 'in-process';

/**
 * Validates manifest files with {@link ManifestValidator} before anything is written, and
 * returns, with the object counts, the report of the violations in the format `cdk8s synth`
 * prints for the validation plugin (without its colours), if there is any violation.
 *
 * Files are validated from their objects where they come with them, which gives the verdicts
 * of validating their text without reading it. Only when there are violations, the validation
 * plugin itself runs over copies of the texts in a temporary folder, so the report has exactly
 * the plugin's rules, recommendations and fixes, with the paths the files would have had and,
 * where `constructPathOf` knows it, each object's construct path.
 *
 * @param passedObjects objects of other files of the same output, already found valid, which the
 * report's object count includes as the plugin's would
 */
export function validateBeforeWriting(files: readonly ManifestOutput[], constructPathOf: ConstructPathOf = () => undefined, passedObjects = 0): ValidationOutcome {
  const results = files.map((file) => (file.objects !== undefined
    ? ManifestValidator.validateObjects(file.objects, { source: file.path })
    : ManifestValidator.validateYaml(file.yaml, file.path)));
  const objectCounts = results.map((result) => result.objectCount);
  const violations = results.reduce((n, r) => n + r.violations.length, 0);
  if (violations === 0) return { objectCounts };
  const objectCount = objectCounts.reduce((n, count) => n + count, passedObjects);
  const objects = objectsByResourceName(results);
  const report = renderReport(pluginViolations(files, objects, constructPathOf), { status: 'failure', objects: String(objectCount), violations: String(violations) });
  return { report, objectCounts };
}

/** The validation plugin's violations for these texts, with the paths the files will have. */
function pluginViolations(files: readonly ManifestText[], byResource: ReadonlyMap<string, ObjectReference>, constructPathOf: ConstructPathOf): ReportedViolation[] {
  const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'manifest-validation-'));
  try {
    const finalPath = new Map<string, string>();
    const manifests = files.map((file, i) => {
      const copy = path.join(folder, `${i}.yaml`);
      fs.writeFileSync(copy, file.yaml);
      finalPath.set(copy, file.path);
      return copy;
    });
    const reported: ReportedViolation[] = [];
    let submitted = false;
    // The plugin reports synchronously: its promise only tells cdk8s-cli it is done. Should it
    // fail, its report is never submitted, which the check below turns into an error.
    // A copy with violations has no receipt, so the plugin reads it in full; a valid file
    // unchanged since an earlier synth may have one, which spares reading it again.
    new ManifestValidationPlugin().validate({
      manifests,
      report: { addViolation: (violation) => reported.push(violation), submit: () => { submitted = true; } },
    }).catch(() => undefined);
    if (!submitted) throw new Error('ManifestValidationPlugin did not submit its report synchronously: LayeredApp cannot show it.');
    return reported.map((violation) => ({
      ...violation,
      violatingResources: violation.violatingResources.map((resource) => {
        const manifestPath = finalPath.get(resource.manifestPath) ?? resource.manifestPath;
        const object = byResource.get(`${manifestPath}\0${resource.resourceName}`);
        return { ...resource, manifestPath, constructPath: object && constructPathOf(manifestPath, object) };
      }),
    }));
  } finally {
    fs.rmSync(folder, { recursive: true, force: true });
  }
}

/** The object behind each `Kind namespace/name` the plugin names, by file. */
function objectsByResourceName(results: readonly ValidationResult[]): Map<string, ObjectReference> {
  const objects = new Map<string, ObjectReference>();
  for (const violation of results.flatMap((result) => result.violations)) objects.set(`${violation.source}\0${describeObject(violation.object)}`, violation.object);
  return objects;
}

/** cdk8s-cli's `ValidationReport.toString()`, without colours. */
function renderReport(violations: readonly ReportedViolation[], summary: { status: string; [key: string]: string }): string {
  const title = `Validation Report (${PLUGIN}@${VERSION})`;
  const { status, ...metadata } = summary;
  const lines = [title, '-'.repeat(title.length), '', '(Summary)', '', boxTable([['Status', status], ['Plugin', PLUGIN], ['Version', VERSION], ...Object.entries(metadata)]), '', '(Violations)'];
  for (const violation of violations) {
    const occurrences = violation.violatingResources.flatMap((r) => r.locations).length;
    lines.push('', `${violation.ruleName} (${occurrences} occurrences)`, '', '  Occurrences:');
    for (const resource of violation.violatingResources) {
      lines.push('', `    - Construct Path: ${resource.constructPath ?? 'N/A'}`, `    - Manifest Path: ${resource.manifestPath}`, `    - Resource Name: ${resource.resourceName}`);
      lines.push('    - Locations:', ...resource.locations.map((location) => `      > ${location}`));
    }
    lines.push('', `  Recommendation: ${violation.recommendation}`, `  How to fix: ${violation.fix}`);
  }
  return lines.join('\n');
}

/** The bordered two-column table cdk8s-cli draws (the `table` package's default border). */
function boxTable(rows: ReadonlyArray<readonly [string, string]>): string {
  const widths = [0, 1].map((column) => Math.max(...rows.map((row) => row[column].length)));
  const rule = (left: string, middle: string, right: string, fill: string): string => `${left}${widths.map((w) => fill.repeat(w + 2)).join(middle)}${right}`;
  const row = (cells: readonly string[]): string => `║ ${cells.map((cell, i) => cell.padEnd(widths[i])).join(' │ ')} ║`;
  return [rule('╔', '╤', '╗', '═'), ...rows.flatMap((r, i) => (i === 0 ? [row(r)] : [rule('╟', '┼', '╢', '─'), row(r)])), rule('╚', '╧', '╝', '═')].join('\n') + '\n';
}
