import * as fs from 'fs';
import { ApiObject, Chart, Yaml } from 'cdk8s';
import { checkNames } from './_name-rules';
import { checkPromql } from './_promql-rules';
import { checkSchema, registerCrd } from './_schema-rules';
import { checkSizes } from './_size-rules';
import { readsBackUnchanged } from './_yaml-readings';
import { readYamlDocuments } from './_yaml11-rules';
import { ObjectReference, ValidationRule, Violation, formatViolation } from './violation';
import { spreadOf } from '../../core/spread';

/** A Kubernetes object as plain JSON. */
export type KubeObject = { [key: string]: unknown };

/** Options of {@link ManifestValidator.validateObjects}. */
export interface ValidateObjectsOptions {
  /**
   * Names the objects' file in violations, as `validateFiles` names the file it read.
   * @default - violations name no file
   */
  readonly source?: string;
}

/** The outcome of validating a set of objects. */
export interface ValidationResult {
  /** How many objects were checked. */
  readonly objectCount: number;
  /** Every problem found, in input order. */
  readonly violations: readonly Violation[];
}

function referenceOf(object: KubeObject): ObjectReference {
  const metadata = (object.metadata ?? {}) as { name?: unknown; namespace?: unknown };
  return {
    apiVersion: typeof object.apiVersion === 'string' ? object.apiVersion : undefined,
    kind: typeof object.kind === 'string' ? object.kind : undefined,
    namespace: typeof metadata.namespace === 'string' ? metadata.namespace : undefined,
    name: typeof metadata.name === 'string' ? metadata.name : undefined,
  };
}

/**
 * Checks synthesized manifests the way an API server with strict field validation would, plus
 * what it would only notice later: core kinds against the Kubernetes 1.27 OpenAPI schema, custom
 * resources against their CRD's `openAPIV3Schema`, unknown fields, name and label syntax,
 * PromQL syntax, and YAML whose meaning changes under YAML 1.1 rules.
 *
 * @example
 * const result = ManifestValidator.validateChart(chart);
 * ManifestValidator.assertValid(result);
 */
export class ManifestValidator {
  /**
   * Teaches the validator a CRD the library does not ship, so objects of its kinds are checked
   * instead of being refused as unknown.
   * @param crd a `CustomResourceDefinition` object, as parsed from its YAML
   */
  public static addCrd(crd: KubeObject): void {
    registerCrd(crd);
  }

  /**
   * Validates plain objects, for example the output of `Testing.synth(chart)`, exactly as
   * `validateYaml` validates the bytes cdk8s's `Yaml.stringify` writes for them (YAML 1.1, no
   * line wrapping, UTF-8): the same violations, in the same order, and the same errors.
   *
   * It reads no YAML for an object that reads back unchanged: one whose every key and scalar
   * means, once written, the same to a YAML 1.2 reader as the object says and the same to a YAML
   * 1.1 reader (decided once per distinct key and scalar, see `_yaml-readings.ts`). Such an object
   * is what the API server would receive and has no YAML 1.1 difference to report, so it is
   * checked as it is. Any other object (one with a `0o14` that the YAML 1.1 writer leaves
   * unquoted and YAML 1.2 reads as 12, text the writer does not write faithfully, an undefined
   * value, an object referenced twice) is written and read back alone, which reports exactly what
   * reading the whole file reports for it.
   */
  public static validateObjects(objects: readonly unknown[], options: ValidateObjectsOptions = {}): ValidationResult {
    const violations: Violation[] = [];
    let objectCount = 0;
    for (const object of objects) {
      const result = ManifestValidator.validateDocument(object, options.source);
      objectCount += result.objectCount;
      for (const violation of result.violations) violations.push(violation);
    }
    return { objectCount, violations };
  }

  /** Validates every object of a chart, as it would be written to `dist/`. */
  public static validateChart(chart: Chart): ValidationResult {
    return ManifestValidator.validateObjects(chart.toJson());
  }

  /** Validates one API object of a chart. */
  public static validateApiObject(object: ApiObject): ValidationResult {
    return ManifestValidator.validateObjects([object.toJson()]);
  }

  /** Validates a multi-document YAML text. `source` names it in violations. */
  public static validateYaml(text: string, source?: string): ValidationResult {
    const violations: Violation[] = [];
    const documents = readYamlDocuments(text, source);
    for (const document of documents) {
      const object = (document.value ?? {}) as KubeObject;
      const ref = referenceOf(object);
      const found = [
        ...document.differences.map((d) => ({ rule: ValidationRule.YAML_1_1, object: ref, path: d.path, message: d.message })),
        ...ManifestValidator.checkObject(object, ref),
      ];
      violations.push(...found.map((v) => (source ? spreadOf(v, { source }) : v)));
    }
    return { objectCount: documents.length, violations };
  }

  /** Validates YAML files, such as the manifests in `dist/`. */
  public static validateFiles(paths: readonly string[]): ValidationResult {
    const results = paths.map((file) => ManifestValidator.validateYaml(fs.readFileSync(file, 'utf8'), file));
    return {
      objectCount: results.reduce((sum, r) => sum + r.objectCount, 0),
      violations: results.flatMap((r) => r.violations),
    };
  }

  /** Throws an error that lists every violation, one per line, if there is any. */
  public static assertValid(result: ValidationResult): void {
    if (result.violations.length === 0) return;
    const lines = result.violations.map((v) => `  - ${formatViolation(v)}`);
    throw new Error(`${result.violations.length} manifest violation(s) in ${result.objectCount} object(s):\n${lines.join('\n')}`);
  }

  private static checkObject(object: KubeObject, ref: ObjectReference): Violation[] {
    return [...checkSchema(object, ref), ...checkNames(object, ref), ...checkPromql(object, ref), ...checkSizes(object, ref)];
  }

  /** One object, as one document of the file `Yaml.stringify` writes. */
  private static validateDocument(object: unknown, source: string | undefined): ValidationResult {
    // `Yaml.stringify` writes an empty document for undefined and `null` for null: no object.
    if (object === undefined || object === null) return { objectCount: 0, violations: [] };
    if (typeof object === 'object' && !Array.isArray(object) && readsBackUnchanged(object)) {
      const found = ManifestValidator.checkObject(object as KubeObject, referenceOf(object as KubeObject));
      return { objectCount: 1, violations: source ? found.map((v) => spreadOf(v, { source })) : found };
    }
    // The bytes written: UTF-8 replaces a lone surrogate, as a reader of the file sees it.
    const written = Buffer.from(Yaml.stringify(object), 'utf8').toString('utf8');
    return ManifestValidator.validateYaml(written, source);
  }
}
