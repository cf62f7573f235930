import * as fs from 'fs';
import type { ValidationResult } from './manifest-validator';
import { ValidationReceipts } from './_receipts';
import { ValidationRule, Violation, describeObject } from './violation';

/** The subset of cdk8s-cli's validation plugin interface this plugin uses. */
/** A resource a violation names, as cdk8s-cli's plugin report takes it. */
export interface PluginViolatingResource {
  readonly resourceName: string;
  readonly locations: readonly string[];
  readonly manifestPath: string;
}
/** The report cdk8s-cli hands a validation plugin. */
export interface PluginReport {
  addViolation(violation: { ruleName: string; recommendation: string; fix: string; violatingResources: PluginViolatingResource[] }): void;
  submit(status: 'success' | 'failure', metadata?: { [key: string]: string }): void;
}
/** What `cdk8s synth` hands a validation plugin. */
export interface PluginValidationContext {
  readonly manifests: readonly string[];
  readonly report: PluginReport;
}

const FIXES: Record<ValidationRule, string> = {
  [ValidationRule.UNKNOWN_KIND]: 'Emit only kinds the validator knows, or register the CRD with ManifestValidator.addCrd().',
  [ValidationRule.SCHEMA]: 'Give the field the type and value its schema requires.',
  [ValidationRule.UNKNOWN_FIELD]: 'Remove the field or correct its spelling; the API server rejects unknown fields.',
  [ValidationRule.NAME]: 'Rename the object, container or port to follow the Kubernetes naming rules.',
  [ValidationRule.LABEL]: 'Use label keys and values that follow Kubernetes label syntax.',
  [ValidationRule.PROMQL]: 'Correct the PromQL expression; check it with promtool.',
  [ValidationRule.YAML_1_1]: 'Quote the value so that YAML 1.1 readers see a string.',
  [ValidationRule.SIZE]: 'Split the data over several ConfigMaps or Secrets, each under 1 MiB.',
};

/** Props of {@link ManifestValidationPlugin}, from `properties:` of its entry in `cdk8s.yaml`. */
export interface ManifestValidationPluginProps {
  /**
   * Accept a file without reading it when `LayeredApp` left a receipt for its exact bytes,
   * checked by this very validator (see `LayeredApp`). `false` reads and validates every file.
   * @default true
   */
  readonly trustReceipts?: boolean;
}

/**
 * A `cdk8s synth` validation plugin: declare it in `cdk8s.yaml` under `validations` and synth
 * fails (exit code 2) when any synthesized object breaks a rule of {@link ManifestValidator}.
 *
 * Files that `LayeredApp` validated before writing them come with a receipt: the plugin hashes
 * each file and accepts it when a receipt names its exact bytes and this validator's
 * fingerprint, instead of reading and validating it again. Every other file (written by
 * another app, changed after synthesis, checked by another version of the validator) is read
 * and validated in full. The report is the same either way.
 */
export class ManifestValidationPlugin {
  private readonly trustReceipts: boolean;

  constructor(props: ManifestValidationPluginProps = {}) {
    this.trustReceipts = props.trustReceipts ?? true;
  }

  public async validate(context: PluginValidationContext): Promise<void> {
    const result = this.validateManifests(context.manifests);
    const byRule = new Map<ValidationRule, Violation[]>();
    for (const violation of result.violations) {
      byRule.set(violation.rule, [...(byRule.get(violation.rule) ?? []), violation]);
    }
    for (const [rule, violations] of byRule) {
      context.report.addViolation({
        ruleName: rule,
        recommendation: violations.map((v) => `${describeObject(v.object)}: ${v.path ? `${v.path}: ` : ''}${v.message}`).join('\n'),
        fix: FIXES[rule],
        violatingResources: violations.map((v) => ({
          resourceName: describeObject(v.object),
          locations: [v.path],
          manifestPath: v.source ?? '',
        })),
      });
    }
    context.report.submit(result.violations.length === 0 ? 'success' : 'failure', {
      objects: String(result.objectCount),
      violations: String(result.violations.length),
    });
  }

  /** `ManifestValidator.validateFiles`, but for the files a receipt vouches for. */
  private validateManifests(files: readonly string[]): ValidationResult {
    const receipts = this.trustReceipts ? ValidationReceipts.forThisValidator() : undefined;
    let objectCount = 0;
    const violations: Violation[] = [];
    for (const file of files) {
      const bytes = fs.readFileSync(file);
      const vouchedFor = receipts?.objectCountOf(bytes);
      if (vouchedFor !== undefined) {
        objectCount += vouchedFor;
        continue;
      }
      const result = manifestValidator().validateYaml(bytes.toString('utf8'), file);
      objectCount += result.objectCount;
      violations.push(...result.violations);
    }
    return { objectCount, violations };
  }
}

/**
 * The validator, loaded when a file has no receipt: loading it (the YAML packages, the PromQL
 * parser, cdk8s) took most of the plugin's time when every file has one.
 */
function manifestValidator(): typeof import('./manifest-validator').ManifestValidator {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (require('./manifest-validator') as typeof import('./manifest-validator')).ManifestValidator;
}
