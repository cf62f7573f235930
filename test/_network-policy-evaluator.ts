/**
 * A NetworkPolicy evaluator for tests: given the plain JSON of a platform's Kubernetes objects,
 * it answers which pod-to-pod flows the `networking.k8s.io/v1` NetworkPolicies allow.
 *
 * The unit of evaluation is a pod group: the pod template of one workload. All pods of a group
 * carry the same labels, so a policy treats them alike.
 *
 * Simplifications, each chosen so that a test can still trust the answer:
 * - Pods have pod IPs that no `ipBlock` is assumed to cover: ipBlock peers never match pod groups.
 *   Pod IPs are assigned at runtime, and policies meant for pods name them by selector.
 * - `hostNetwork` pods: Kubernetes leaves their behaviour to the network plugin. This models the
 *   common one, which is also K3s's embedded controller (kube-router skips hostNetwork pods when it
 *   builds pod firewalls and selector sets): their traffic is node traffic, so no policy isolates
 *   them, podSelector and namespaceSelector peers never match them, and only an ipBlock holding the
 *   node's address does. That address is unknown here, so the only ipBlock taken to hold it is
 *   `0.0.0.0/0` with no `except` entries (an exception might cover the node).
 * - `allowedFlows()` reports a port once even if the target declares it for several protocols.
 */

export type Json = any;

/** A group of pods: the pod template of one workload (Deployment, StatefulSet, DaemonSet, Job), in its namespace. */
export interface PodGroup {
  kind: string;
  namespace: string;
  name: string;
  labels: Record<string, string>;
  hostNetwork: boolean;
  ports: Array<{ name?: string; port: number; protocol: string }>;
}

export interface Flow {
  from: PodGroup;
  to: PodGroup;
  port: number;
  /** Default TCP. */
  protocol?: string;
}

type Direction = 'Ingress' | 'Egress';

interface Requirement {
  key: string;
  operator: string;
  values: string[];
}

interface LabelSelector {
  matchLabels: Record<string, string>;
  matchExpressions: Requirement[];
}

interface IpBlock {
  cidr: string;
  except: string[];
}

interface Peer {
  podSelector?: LabelSelector;
  namespaceSelector?: LabelSelector;
  ipBlock?: IpBlock;
}

interface RulePort {
  protocol: string;
  /** Absent: every port of the protocol. */
  port?: number | string;
  endPort?: number;
}

interface Rule {
  /** Empty: every peer. */
  peers: Peer[];
  /** Empty: every port. */
  ports: RulePort[];
}

interface Policy {
  namespace: string;
  name: string;
  podSelector: LabelSelector;
  types: ReadonlySet<Direction>;
  rules: Record<Direction, Rule[]>;
}

const DEFAULT_NAMESPACE = 'default';
const NAMESPACE_NAME_LABEL = 'kubernetes.io/metadata.name';
const EVERY_IPV4_ADDRESS = '0.0.0.0/0';

/** Where each workload kind keeps its pod template. */
const POD_TEMPLATE_PATHS: Record<string, string[]> = {
  Deployment: ['spec', 'template'],
  StatefulSet: ['spec', 'template'],
  DaemonSet: ['spec', 'template'],
  ReplicaSet: ['spec', 'template'],
  Job: ['spec', 'template'],
  CronJob: ['spec', 'jobTemplate', 'spec', 'template'],
};

export class NetworkModel {
  readonly groups: readonly PodGroup[];
  private readonly namespaceLabels: ReadonlyMap<string, Record<string, string>>;
  private readonly policies: readonly Policy[];

  /** objects: every Kubernetes object of the platform as plain JSON (as cdk8s `chart.toJson()` gives them). */
  constructor(objects: readonly Json[]) {
    const present = objects.filter(isObject);
    this.groups = present.flatMap(podGroupOf);
    this.policies = present.filter(isNetworkPolicy).map(parsePolicy);
    this.namespaceLabels = collectNamespaces(present, this.groups, this.policies);
  }

  /** The group of workload `name` in `namespace`; throws listing the known groups if missing or ambiguous. */
  group(namespace: string, name: string): PodGroup {
    const found = this.groups.filter((g) => g.namespace === namespace && g.name === name);
    if (found.length === 1) return found[0];
    const known = this.groups.map((g) => `${g.kind} ${groupKey(g)}`).sort().join(', ');
    const problem = found.length === 0 ? 'no workload' : `${found.length} workloads`;
    throw new Error(`${problem} named '${name}' in namespace '${namespace}'; known pod groups: ${known || '(none)'}`);
  }

  /** Whether a connection from a pod of `from` to `port` of a pod of `to` is allowed by both the egress and the ingress side. */
  allows(flow: Flow): boolean {
    const protocol = normalizeProtocol(flow.protocol);
    const portMatches = (rulePort: RulePort) => rulePortCovers(rulePort, flow.port, protocol, flow.to);
    const egressAllowed = this.sideAllows('Egress', flow.from, (peer, policy) => this.peerMatchesGroup(peer, policy, flow.to), portMatches);
    return egressAllowed && this.sideAllows('Ingress', flow.to, (peer, policy) => this.peerMatchesGroup(peer, policy, flow.from), portMatches);
  }

  /** Whether the egress side of `from` allows a connection to an IPv4 address and port outside the pod network. */
  allowsEgressToAddress(from: PodGroup, address: string, port: number, protocol?: string): boolean {
    const target = parseIpv4(address);
    const normalized = normalizeProtocol(protocol);
    // A named port belongs to a pod; an address outside the pod network has none.
    const portMatches = (rulePort: RulePort) => rulePortCovers(rulePort, port, normalized, undefined);
    return this.sideAllows('Egress', from, (peer) => peer.ipBlock !== undefined && ipBlockContains(peer.ipBlock, target), portMatches);
  }

  /** Every allowed flow between the pod groups, over every container port each target declares, sorted. */
  allowedFlows(): Array<{ from: string; to: string; port: number }> {
    const seen = new Set<string>();
    const flows: Array<{ from: string; to: string; port: number }> = [];
    for (const from of this.groups) {
      for (const to of this.groups) {
        for (const declared of to.ports) {
          const flow = { from: groupKey(from), to: groupKey(to), port: declared.port };
          const key = `${flow.from}|${flow.to}|${flow.port}`;
          if (seen.has(key) || !this.allows({ from, to, port: declared.port, protocol: declared.protocol })) continue;
          seen.add(key);
          flows.push(flow);
        }
      }
    }
    return flows.sort(compareFlows);
  }

  /**
   * A side with no policy of its direction selecting the subject allows everything; otherwise
   * policies are additive, so one rule of one selecting policy allowing the traffic is enough.
   */
  private sideAllows(direction: Direction, subject: PodGroup, peerMatches: (peer: Peer, policy: Policy) => boolean, portMatches: (rulePort: RulePort) => boolean): boolean {
    const isolating = this.policies.filter((p) => p.types.has(direction) && policySelects(p, subject));
    if (isolating.length === 0) return true;
    return isolating.some((policy) => policy.rules[direction].some((rule) => ruleAllows(rule, (peer) => peerMatches(peer, policy), portMatches)));
  }

  private peerMatchesGroup(peer: Peer, policy: Policy, group: PodGroup): boolean {
    if (peer.ipBlock) return group.hostNetwork && peer.ipBlock.cidr === EVERY_IPV4_ADDRESS && peer.ipBlock.except.length === 0;
    if (group.hostNetwork) return false;
    const namespaceMatches = peer.namespaceSelector
      ? selectorMatches(peer.namespaceSelector, this.labelsOfNamespace(group.namespace))
      : group.namespace === policy.namespace;
    return namespaceMatches && (!peer.podSelector || selectorMatches(peer.podSelector, group.labels));
  }

  private labelsOfNamespace(namespace: string): Record<string, string> {
    return this.namespaceLabels.get(namespace) ?? { [NAMESPACE_NAME_LABEL]: namespace };
  }
}

// ---- pod groups -------------------------------------------------------------------------------

function podGroupOf(object: Json): PodGroup[] {
  const template = object.kind === 'Pod' ? object : podTemplateOf(object);
  if (!isObject(template)) return [];
  const spec = isObject(template.spec) ? template.spec : {};
  return [{
    kind: String(object.kind),
    namespace: namespaceOf(object),
    name: String(object.metadata?.name ?? ''),
    labels: stringRecord(template.metadata?.labels),
    hostNetwork: spec.hostNetwork === true,
    ports: containerPortsOf(spec),
  }];
}

function podTemplateOf(object: Json): Json | undefined {
  const path = POD_TEMPLATE_PATHS[object.kind];
  if (!path) return undefined;
  return path.reduce<Json>((node, key) => (isObject(node) ? node[key] : undefined), object);
}

/** Init containers count too: a sidecar (restartPolicy Always) may serve on its ports. */
function containerPortsOf(podSpec: Json): PodGroup['ports'] {
  const containers = [...arrayOf(podSpec.containers), ...arrayOf(podSpec.initContainers)];
  return containers.flatMap((c) => arrayOf(c?.ports)).filter(isObject).flatMap(containerPortOf);
}

function containerPortOf(declared: Json): PodGroup['ports'] {
  const port = toPortNumber(declared.containerPort);
  if (port === undefined) return [];
  const protocol = normalizeProtocol(declared.protocol);
  return [typeof declared.name === 'string' ? { name: declared.name, port, protocol } : { port, protocol }];
}

function groupKey(group: PodGroup): string {
  return `${group.namespace}/${group.name}`;
}

// ---- namespaces -------------------------------------------------------------------------------

/** The API server labels every namespace with its own name; Namespace objects add their labels. */
function collectNamespaces(objects: readonly Json[], groups: readonly PodGroup[], policies: readonly Policy[]): Map<string, Record<string, string>> {
  const labels = new Map<string, Record<string, string>>();
  const add = (name: string, extra: Record<string, string> = {}) => {
    labels.set(name, { ...labels.get(name), ...extra, [NAMESPACE_NAME_LABEL]: name });
  };
  for (const namespace of objects.filter((o) => o.apiVersion === 'v1' && o.kind === 'Namespace' && o.metadata?.name)) {
    add(String(namespace.metadata.name), stringRecord(namespace.metadata.labels));
  }
  for (const named of [...groups, ...policies]) {
    if (!labels.has(named.namespace)) add(named.namespace);
  }
  return labels;
}

function namespaceOf(object: Json): string {
  const namespace = object.metadata?.namespace;
  return typeof namespace === 'string' && namespace !== '' ? namespace : DEFAULT_NAMESPACE;
}

// ---- policies ---------------------------------------------------------------------------------

function isNetworkPolicy(object: Json): boolean {
  return object.apiVersion === 'networking.k8s.io/v1' && object.kind === 'NetworkPolicy';
}

function parsePolicy(object: Json): Policy {
  const spec = isObject(object.spec) ? object.spec : {};
  const where = `NetworkPolicy ${namespaceOf(object)}/${object.metadata?.name}`;
  return {
    namespace: namespaceOf(object),
    name: String(object.metadata?.name ?? ''),
    podSelector: parseSelector(spec.podSelector, `${where} spec.podSelector`),
    types: policyTypesOf(spec),
    rules: {
      Ingress: arrayOf(spec.ingress).map((rule, i) => parseRule(rule, 'from', `${where} spec.ingress[${i}]`)),
      Egress: arrayOf(spec.egress).map((rule, i) => parseRule(rule, 'to', `${where} spec.egress[${i}]`)),
    },
  };
}

/** The API server's defaulting: Ingress always, Egress only when there are egress rules. */
function policyTypesOf(spec: Json): Set<Direction> {
  const given = arrayOf(spec.policyTypes).filter((t): t is Direction => t === 'Ingress' || t === 'Egress');
  if (arrayOf(spec.policyTypes).length > 0) return new Set(given);
  return new Set<Direction>(arrayOf(spec.egress).length > 0 ? ['Ingress', 'Egress'] : ['Ingress']);
}

function parseRule(rule: Json, peersField: 'from' | 'to', where: string): Rule {
  const source = isObject(rule) ? rule : {};
  return {
    peers: arrayOf(source[peersField]).map((peer, i) => parsePeer(peer, `${where}.${peersField}[${i}]`)),
    ports: arrayOf(source.ports).filter(isObject).map(parseRulePort),
  };
}

function parsePeer(peer: Json, where: string): Peer {
  const source = isObject(peer) ? peer : {};
  const parsed: Peer = {};
  if (isObject(source.ipBlock)) parsed.ipBlock = { cidr: String(source.ipBlock.cidr), except: arrayOf(source.ipBlock.except).map(String) };
  if (isObject(source.podSelector)) parsed.podSelector = parseSelector(source.podSelector, `${where}.podSelector`);
  if (isObject(source.namespaceSelector)) parsed.namespaceSelector = parseSelector(source.namespaceSelector, `${where}.namespaceSelector`);
  // The API server rejects such peers; evaluating them either way would hide the mistake.
  if (!parsed.ipBlock && !parsed.podSelector && !parsed.namespaceSelector) throw new Error(`${where}: a peer needs ipBlock, podSelector or namespaceSelector`);
  if (parsed.ipBlock && (parsed.podSelector || parsed.namespaceSelector)) throw new Error(`${where}: ipBlock cannot be combined with selectors`);
  return parsed;
}

function parseRulePort(rulePort: Json): RulePort {
  const port = toPortNumber(rulePort.port) ?? (typeof rulePort.port === 'string' && rulePort.port !== '' ? rulePort.port : undefined);
  const endPort = toPortNumber(rulePort.endPort);
  return {
    protocol: normalizeProtocol(rulePort.protocol),
    ...(port === undefined ? {} : { port }),
    ...(endPort === undefined ? {} : { endPort }),
  };
}

function policySelects(policy: Policy, group: PodGroup): boolean {
  return !group.hostNetwork && policy.namespace === group.namespace && selectorMatches(policy.podSelector, group.labels);
}

function ruleAllows(rule: Rule, peerMatches: (peer: Peer) => boolean, portMatches: (rulePort: RulePort) => boolean): boolean {
  const portAllowed = rule.ports.length === 0 || rule.ports.some(portMatches);
  return portAllowed && (rule.peers.length === 0 || rule.peers.some(peerMatches));
}

/** A named rule port resolves against the destination pod's container ports, which `target` declares. */
function rulePortCovers(rulePort: RulePort, port: number, protocol: string, target: PodGroup | undefined): boolean {
  if (rulePort.protocol !== protocol) return false;
  if (rulePort.port === undefined) return true;
  if (typeof rulePort.port === 'number') return port >= rulePort.port && port <= (rulePort.endPort ?? rulePort.port);
  const name = rulePort.port;
  return target !== undefined && target.ports.some((p) => p.name === name && p.port === port && p.protocol === protocol);
}

// ---- label selectors --------------------------------------------------------------------------

function parseSelector(selector: Json, where: string): LabelSelector {
  const source = isObject(selector) ? selector : {};
  return {
    matchLabels: stringRecord(source.matchLabels),
    matchExpressions: arrayOf(source.matchExpressions).map((e, i) => parseRequirement(e, `${where}.matchExpressions[${i}]`)),
  };
}

function parseRequirement(expression: Json, where: string): Requirement {
  const operator = String(expression?.operator);
  if (!['In', 'NotIn', 'Exists', 'DoesNotExist'].includes(operator)) throw new Error(`${where}: unknown operator '${operator}'`);
  return { key: String(expression.key), operator, values: arrayOf(expression.values).map(String) };
}

/** An empty selector has no requirements and so matches every label set. */
function selectorMatches(selector: LabelSelector, labels: Record<string, string>): boolean {
  const labelsMatch = Object.entries(selector.matchLabels).every(([key, value]) => labels[key] === value);
  return labelsMatch && selector.matchExpressions.every((r) => requirementMatches(r, labels));
}

function requirementMatches(requirement: Requirement, labels: Record<string, string>): boolean {
  const present = Object.prototype.hasOwnProperty.call(labels, requirement.key);
  switch (requirement.operator) {
    case 'In': return present && requirement.values.includes(labels[requirement.key]);
    case 'NotIn': return !present || !requirement.values.includes(labels[requirement.key]);
    case 'Exists': return present;
    default: return !present;
  }
}

// ---- IPv4 addresses ---------------------------------------------------------------------------

/** IPv6 blocks never contain an IPv4 address. */
function ipBlockContains(block: IpBlock, address: number): boolean {
  if (block.cidr.includes(':') || !cidrContains(block.cidr, address)) return false;
  return !block.except.some((excepted) => !excepted.includes(':') && cidrContains(excepted, address));
}

function cidrContains(cidr: string, address: number): boolean {
  const [base, bits] = cidr.split('/');
  const prefix = bits === undefined ? 32 : Number(bits);
  if (!Number.isInteger(prefix) || prefix < 0 || prefix > 32) throw new Error(`invalid IPv4 CIDR '${cidr}'`);
  const mask = prefix === 0 ? 0 : (~0 << (32 - prefix)) >>> 0;
  return ((parseIpv4(base) & mask) >>> 0) === ((address & mask) >>> 0);
}

function parseIpv4(address: string): number {
  const octets = address.split('.');
  if (octets.length !== 4 || !octets.every((o) => /^\d{1,3}$/.test(o) && Number(o) <= 255)) throw new Error(`invalid IPv4 address '${address}'`);
  return octets.reduce((value, octet) => ((value << 8) | Number(octet)) >>> 0, 0);
}

// ---- reading JSON defensively -----------------------------------------------------------------

function isObject(value: unknown): value is Record<string, any> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function arrayOf(value: unknown): any[] {
  return Array.isArray(value) ? value : [];
}

function stringRecord(value: unknown): Record<string, string> {
  if (!isObject(value)) return {};
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, String(v)]));
}

/** IntOrString: a number, or a string of digits; any other string is a port name. */
function toPortNumber(value: unknown): number | undefined {
  if (typeof value === 'number' && Number.isInteger(value)) return value;
  if (typeof value === 'string' && /^\d+$/.test(value)) return Number(value);
  return undefined;
}

function normalizeProtocol(protocol: unknown): string {
  return typeof protocol === 'string' && protocol !== '' ? protocol.toUpperCase() : 'TCP';
}

function compareFlows(a: { from: string; to: string; port: number }, b: { from: string; to: string; port: number }): number {
  return compareStrings(a.from, b.from) || compareStrings(a.to, b.to) || a.port - b.port;
}

/** Code-unit order: unlike localeCompare, the same on every machine. */
function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
