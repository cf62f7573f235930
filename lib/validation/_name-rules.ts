import { ObjectReference, ValidationRule, Violation, jsonPath } from './violation';

type Path = ReadonlyArray<string | number>;
type KubeObject = { [key: string]: unknown };

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS1035_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const QUALIFIED_NAME_PART = /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const IANA_SVC_NAME = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/;
/** The API server's limit on the total size of an object's annotations. */
const MAX_ANNOTATIONS_BYTES = 256 * 1024;

/** Kinds whose names the API server checks as a DNS-1123 label or DNS-1035 label, not a subdomain. */
const LABEL_NAMED_KINDS: Record<string, (name: string) => string | undefined> = {
  'v1/Namespace': dns1123Label,
  'v1/Service': dns1035Label,
};
/** RBAC names are only required to be valid path segments (`system:controller:...` is legal). */
const PATH_SEGMENT_NAMED_GROUP = 'rbac.authorization.k8s.io/';

export function dns1123Label(value: string): string | undefined {
  if (value.length > 63) return 'must be no more than 63 characters';
  return DNS1123_LABEL.test(value) ? undefined
    : "must be a DNS-1123 label: lowercase letters, digits and '-', starting and ending with a letter or digit";
}

export function dns1123Subdomain(value: string): string | undefined {
  if (value.length > 253) return 'must be no more than 253 characters';
  return DNS1123_SUBDOMAIN.test(value) ? undefined
    : "must be a DNS-1123 subdomain: lowercase letters, digits, '-' and '.', starting and ending with a letter or digit";
}

export function dns1035Label(value: string): string | undefined {
  if (value.length > 63) return 'must be no more than 63 characters';
  return DNS1035_LABEL.test(value) ? undefined
    : "must be a DNS-1035 label: lowercase letters, digits and '-', starting with a letter and ending with a letter or digit";
}

function pathSegmentName(value: string): string | undefined {
  if (value === '.' || value === '..') return `may not be '${value}'`;
  return /[/%]/.test(value) ? "may not contain '/' or '%'" : undefined;
}

/** IANA service name, the rule for container port names and named target ports. */
export function ianaServiceName(value: string): string | undefined {
  if (value.length > 15) return 'must be no more than 15 characters';
  if (!IANA_SVC_NAME.test(value)) return "must contain only lowercase letters, digits and '-', starting and ending with a letter or digit";
  if (value.includes('--')) return "must not contain consecutive '-'";
  return /[a-z]/.test(value) ? undefined : 'must contain at least one letter';
}

/**
 * A key of a Secret's or ConfigMap's data, as the API server checks it wherever a key is referenced
 * (secretKeyRef, volume items): `.`, `..` and keys starting with `..` are refused.
 */
export function secretDataKey(value: string): string | undefined {
  if (value.length === 0) return 'must not be empty';
  if (value.length > 253) return 'must be no more than 253 characters';
  if (!/^[-._a-zA-Z0-9]+$/.test(value)) return "must consist of letters, digits, '-', '_' or '.'";
  return value === '.' || value.startsWith('..') ? "must not be '.' or start with '..'" : undefined;
}

/** Label and annotation keys: an optional DNS subdomain prefix, '/', and a name of at most 63 characters. */
export function qualifiedName(key: string): string | undefined {
  const parts = key.split('/');
  if (parts.length > 2) return "may contain at most one '/'";
  const [prefix, name] = parts.length === 2 ? parts : [undefined, parts[0]];
  if (prefix !== undefined) {
    if (prefix.length === 0) return 'prefix must not be empty';
    const prefixProblem = dns1123Subdomain(prefix);
    if (prefixProblem) return `prefix ${prefixProblem}`;
  }
  if (name.length === 0) return 'name part must not be empty';
  if (name.length > 63) return 'name part must be no more than 63 characters';
  return QUALIFIED_NAME_PART.test(name) ? undefined
    : "name part must consist of letters, digits, '-', '_' or '.', starting and ending with a letter or digit";
}

export function labelValue(value: unknown): string | undefined {
  if (typeof value !== 'string') return 'must be a string';
  if (value.length > 63) return 'must be no more than 63 characters';
  return value === '' || QUALIFIED_NAME_PART.test(value) ? undefined
    : "must be empty or consist of letters, digits, '-', '_' or '.', starting and ending with a letter or digit";
}

class NameChecker {
  readonly violations: Violation[] = [];

  constructor(private readonly ref: ObjectReference) {}

  check(path: Path, value: unknown, problemOf: (value: string) => string | undefined, rule = ValidationRule.NAME): void {
    if (typeof value !== 'string') return;
    const problem = problemOf(value);
    if (problem) this.report(path, `'${value}' ${problem}`, rule);
  }

  report(path: Path, message: string, rule = ValidationRule.NAME): void {
    this.violations.push({ rule, object: this.ref, path: jsonPath(path), message });
  }

  labelMap(path: Path, labels: unknown): void {
    if (!isMap(labels)) return;
    for (const [key, value] of Object.entries(labels)) {
      const keyProblem = qualifiedName(key);
      if (keyProblem) this.report(path, `label key '${key}' ${keyProblem}`, ValidationRule.LABEL);
      const valueProblem = labelValue(value);
      if (valueProblem) this.report([...path, key], `label value '${String(value)}' ${valueProblem}`, ValidationRule.LABEL);
    }
  }

  annotations(path: Path, annotations: unknown): void {
    if (!isMap(annotations)) return;
    let bytes = 0;
    for (const [key, value] of Object.entries(annotations)) {
      const keyProblem = qualifiedName(key);
      if (keyProblem) this.report(path, `annotation key '${key}' ${keyProblem}`, ValidationRule.LABEL);
      bytes += Buffer.byteLength(key) + Buffer.byteLength(String(value));
    }
    if (bytes > MAX_ANNOTATIONS_BYTES) {
      this.report(path, `annotations total ${bytes} bytes, more than the ${MAX_ANNOTATIONS_BYTES} the API server accepts`, ValidationRule.LABEL);
    }
  }
}

function isMap(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function objectNameRule(apiVersion: string, kind: string): (name: string) => string | undefined {
  if (apiVersion.startsWith(PATH_SEGMENT_NAMED_GROUP)) return pathSegmentName;
  return LABEL_NAMED_KINDS[`${apiVersion}/${kind}`] ?? dns1123Subdomain;
}

/**
 * Walks the whole object, because labels and names also live in pod templates, selectors and
 * job templates at depths that differ from kind to kind.
 */
function walk(checker: NameChecker, node: unknown, path: Path, isService: boolean): void {
  if (Array.isArray(node)) {
    node.forEach((item, i) => walk(checker, item, [...path, i], isService));
    return;
  }
  if (!isMap(node)) return;
  const parent = path[path.length - 1];
  // A pod's nodeSelector is a label map; elsewhere (an upgrade Plan) it is a LabelSelector.
  const isPodSpec = Array.isArray(node.containers);
  for (const [key, value] of Object.entries(node)) {
    const here = [...path, key];
    if (parent === 'metadata' && key === 'labels') checker.labelMap(here, value);
    else if (parent === 'metadata' && key === 'annotations') checker.annotations(here, value);
    else if (key === 'matchLabels' || (key === 'nodeSelector' && isPodSpec)) checker.labelMap(here, value);
    else if (isService && path.length === 1 && key === 'selector') checker.labelMap(here, value);
    else walk(checker, value, here, isService);
  }
  checkContainerNames(checker, node, path);
}

function checkContainerNames(checker: NameChecker, podSpec: Record<string, unknown>, path: Path): void {
  for (const listName of ['containers', 'initContainers']) {
    const containers = podSpec[listName];
    if (!Array.isArray(containers)) continue;
    containers.forEach((container: unknown, i) => {
      if (!isMap(container)) return;
      checker.check([...path, listName, i, 'name'], container.name, dns1123Label);
      const ports = Array.isArray(container.ports) ? container.ports : [];
      ports.forEach((port: unknown, j) => {
        if (isMap(port)) checker.check([...path, listName, i, 'ports', j, 'name'], port.name, ianaServiceName);
      });
    });
  }
}

function checkServicePorts(checker: NameChecker, object: KubeObject): void {
  const spec = object.spec;
  if (!isMap(spec) || !Array.isArray(spec.ports)) return;
  spec.ports.forEach((port: unknown, i) => {
    if (!isMap(port)) return;
    checker.check(['spec', 'ports', i, 'name'], port.name, dns1123Label);
    if (typeof port.targetPort === 'string') checker.check(['spec', 'ports', i, 'targetPort'], port.targetPort, ianaServiceName);
  });
}

/** Object names, namespaces, label and annotation syntax, container and port names. */
export function checkNames(object: KubeObject, ref: ObjectReference): Violation[] {
  const checker = new NameChecker(ref);
  const apiVersion = String(object.apiVersion ?? '');
  const kind = String(object.kind ?? '');
  const metadata = isMap(object.metadata) ? object.metadata : {};
  if (typeof metadata.name !== 'string' || metadata.name === '') {
    checker.report(['metadata', 'name'], 'every object needs a name');
  } else {
    checker.check(['metadata', 'name'], metadata.name, objectNameRule(apiVersion, kind));
  }
  checker.check(['metadata', 'namespace'], metadata.namespace, dns1123Label);
  const isService = apiVersion === 'v1' && kind === 'Service';
  walk(checker, object, [], isService);
  if (isService) checkServicePorts(checker, object);
  return checker.violations;
}
