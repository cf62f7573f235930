import { ManifestValidator } from './manifest-validator';
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

/**
 * A `cdk8s synth` validation plugin: declare it in `cdk8s.yaml` under `validations` and synth
 * fails (exit code 2) when any synthesized object breaks a rule of {@link ManifestValidator}.
 */
export class ManifestValidationPlugin {
  public async validate(context: PluginValidationContext): Promise<void> {
    const result = ManifestValidator.validateFiles(context.manifests);
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
}
