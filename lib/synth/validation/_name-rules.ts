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
    for (const [key, value] of Object.entries(labels)) {
      const keyProblem = qualifiedName(key);
      if (keyProblem) this.report(path, `label key '${key}' ${keyProblem}`, ValidationRule.LABEL);
      const valueProblem = this.goTemplates && path[0] === 'spec' && String(value).includes('{{') ? undefined : labelValue(value);
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
