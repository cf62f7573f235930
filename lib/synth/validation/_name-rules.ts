import { dns1035Label, dns1123Label, dns1123Subdomain, ianaServiceName, labelValue, qualifiedName } from '../../core/names';
import { ObjectReference, ValidationRule, Violation, jsonPath } from './violation';

type Path = ReadonlyArray<string | number>;
type KubeObject = { [key: string]: unknown };

/** The API server's limit on the total size of an object's annotations. */
const MAX_ANNOTATIONS_BYTES = 256 * 1024;

/** Kinds whose names the API server checks as a DNS-1123 label or DNS-1035 label, not a subdomain. */
const LABEL_NAMED_KINDS: Record<string, (name: string) => string | undefined> = {
  'v1/Namespace': dns1123Label,
  'v1/Service': dns1035Label,
};

/** RBAC names are only required to be valid path segments (`system:controller:...` is legal). */
const PATH_SEGMENT_NAMED_GROUP = 'rbac.authorization.k8s.io/';

function pathSegmentName(value: string): string | undefined {
  if (value === '.' || value === '..') return `may not be '${value}'`;
  return /[/%]/.test(value) ? "may not contain '/' or '%'" : undefined;
}

/**
 * The verdict of a name rule for each distinct value: a platform repeats the same label keys,
 * label values and container names thousands of times. Undefined (valid) is kept as null.
 */
function memoized(rule: (value: string) => string | undefined): (value: string) => string | undefined {
  const verdicts = new Map<string, string | null>();
  return (value) => {
    let verdict = verdicts.get(value);
    if (verdict === undefined) {
      if (verdicts.size >= 100_000) verdicts.clear();
      verdict = rule(value) ?? null;
      verdicts.set(value, verdict);
    }
    return verdict ?? undefined;
  };
}

const keyProblem = memoized(qualifiedName);
const valueProblem = memoized(labelValue);
const containerNameProblem = memoized(dns1123Label);
const portNameProblem = memoized(ianaServiceName);

/**
 * Collects violations. Paths are passed as the walk's own stack, which changes as it goes on: a
 * path is copied into a violation's text at once, and built only when there is a violation.
 */
class NameChecker {
  readonly violations: Violation[] = [];

  /** `goTemplates`: label values in `spec` may be Go templates (an ApplicationSet's), judged once Argo CD renders them. */
  constructor(private readonly ref: ObjectReference, private readonly goTemplates = false) {}

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
    for (const key of Object.keys(labels)) {
      const value = labels[key];
      const badKey = keyProblem(key);
      if (badKey) this.report(path, `label key '${key}' ${badKey}`, ValidationRule.LABEL);
      const badValue = this.goTemplates && path[0] === 'spec' && String(value).includes('{{') ? undefined
        : typeof value === 'string' ? valueProblem(value) : labelValue(value);
      if (badValue) this.report([...path, key], `label value '${String(value)}' ${badValue}`, ValidationRule.LABEL);
    }
  }

  annotations(path: Path, annotations: unknown): void {
    if (!isMap(annotations)) return;
    let bytes = 0;
    for (const key of Object.keys(annotations)) {
      const badKey = keyProblem(key);
      if (badKey) this.report(path, `annotation key '${key}' ${badKey}`, ValidationRule.LABEL);
      bytes += Buffer.byteLength(key) + Buffer.byteLength(String(annotations[key]));
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
 * job templates at depths that differ from kind to kind. `path` is the walk's stack: pushed
 * before a step down, popped after it.
 */
function walk(checker: NameChecker, node: unknown, path: Array<string | number>, isService: boolean): void {
  if (Array.isArray(node)) {
    for (let i = 0; i < node.length; i++) {
      path.push(i);
      walk(checker, node[i], path, isService);
      path.pop();
    }
    return;
  }
  if (!isMap(node)) return;
  const parent = path[path.length - 1];
  const atTop = path.length === 1;
  // A pod's nodeSelector is a label map; elsewhere (an upgrade Plan) it is a LabelSelector.
  const isPodSpec = Array.isArray(node.containers);
  for (const key of Object.keys(node)) {
    const value = node[key];
    path.push(key);
    if (parent === 'metadata' && key === 'labels') checker.labelMap(path, value);
    else if (parent === 'metadata' && key === 'annotations') checker.annotations(path, value);
    else if (key === 'matchLabels' || (key === 'nodeSelector' && isPodSpec)) checker.labelMap(path, value);
    else if (isService && atTop && key === 'selector') checker.labelMap(path, value);
    else walk(checker, value, path, isService);
    path.pop();
  }
  checkContainerNames(checker, node, path);
}

function checkContainerNames(checker: NameChecker, podSpec: Record<string, unknown>, path: Path): void {
  for (const listName of ['containers', 'initContainers']) {
    const containers = podSpec[listName];
    if (!Array.isArray(containers)) continue;
    containers.forEach((container: unknown, i) => {
      if (!isMap(container)) return;
      if (typeof container.name === 'string' && containerNameProblem(container.name)) {
        checker.check([...path, listName, i, 'name'], container.name, containerNameProblem);
      }
      const ports = Array.isArray(container.ports) ? container.ports : [];
      ports.forEach((port: unknown, j) => {
        if (isMap(port) && typeof port.name === 'string' && portNameProblem(port.name)) {
          checker.check([...path, listName, i, 'ports', j, 'name'], port.name, portNameProblem);
        }
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
  const apiVersion = String(object.apiVersion ?? '');
  const kind = String(object.kind ?? '');
  const checker = new NameChecker(ref, apiVersion === 'argoproj.io/v1alpha1' && kind === 'ApplicationSet');
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
