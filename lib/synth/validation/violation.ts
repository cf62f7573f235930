/**
 * The rules the manifest validator enforces. Each violation names exactly one.
 */
export enum ValidationRule {
  /** The object's apiVersion and kind are not known to the validator: nothing could vouch for it. */
  UNKNOWN_KIND = 'unknown-kind',
  /** A field has the wrong type, a required field is missing, or a value breaks a schema constraint. */
  SCHEMA = 'schema',
  /** A field that the API server, with strict field validation, would reject as unknown. */
  UNKNOWN_FIELD = 'unknown-field',
  /** An object name, container name or port name that Kubernetes would refuse. */
  NAME = 'name',
  /** A label or annotation key or value that Kubernetes would refuse. */
  LABEL = 'label',
  /** A PromQL expression that does not parse. */
  PROMQL = 'promql',
  /** YAML that means something else when read with YAML 1.1 rules, as kubectl and Argo CD read it. */
  YAML_1_1 = 'yaml-1.1',
  /** An object bigger than the API server accepts: the data of a ConfigMap or Secret over 1 MiB. */
  SIZE = 'size',
}

/** Identifies the object a violation was found in. */
export interface ObjectReference {
  /** apiVersion of the object, if it had one. */
  readonly apiVersion?: string;
  /** kind of the object, if it had one. */
  readonly kind?: string;
  /** metadata.namespace, if set. */
  readonly namespace?: string;
  /** metadata.name, if set. */
  readonly name?: string;
}

/** One problem found in one object. */
export interface Violation {
  /** The rule that was broken. */
  readonly rule: ValidationRule;
  /** The object it was found in. */
  readonly object: ObjectReference;
  /** JSON path inside the object, e.g. `spec.template.spec.containers[0].image`; empty for the object itself. */
  readonly path: string;
  /** What is wrong, in words. */
  readonly message: string;
  /** The file the object came from, when validating files. */
  readonly source?: string;
}

/** `Deployment analytics/helmet` style reference for messages. */
export function describeObject(object: ObjectReference): string {
  const kind = object.kind ?? '<no kind>';
  const name = object.name ?? '<no name>';
  return object.namespace ? `${kind} ${object.namespace}/${name}` : `${kind} ${name}`;
}

/** One line per violation: `Deployment analytics/helmet: spec.replica: unknown field (unknown-field)`. */
export function formatViolation(violation: Violation): string {
  const where = violation.path ? `${violation.path}: ` : '';
  const source = violation.source ? ` [${violation.source}]` : '';
  return `${describeObject(violation.object)}: ${where}${violation.message} (${violation.rule})${source}`;
}

/** Turns a list of keys and indexes into `spec.containers[0].resources.limits['nvidia.com/gpu']`. */
export function jsonPath(segments: ReadonlyArray<string | number>): string {
  let out = '';
  for (const segment of segments) {
    if (typeof segment === 'number') {
      out += `[${segment}]`;
    } else if (/^[A-Za-z_][A-Za-z0-9_-]*$/.test(segment)) {
      out += out === '' ? segment : `.${segment}`;
    } else {
      out += `[${JSON.stringify(segment).replace(/^"|"$/g, "'")}]`;
    }
  }
  return out;
}
