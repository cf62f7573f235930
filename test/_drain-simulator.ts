/**
 * An upgrade-drain simulator for tests: given the plain JSON of a platform's Kubernetes objects, it
 * places every wanted pod on a K3s-shaped cluster, then drains the nodes one after another as an
 * upgrade does (cordon, evict through the PodDisruptionBudgets, uncordon) and reports what a user
 * would notice: pods that cannot be placed (Pending, with the scheduler's reasons), workloads left
 * without a ready replica, and drains that can never finish.
 *
 * Wanted pods: `spec.replicas` of each Deployment and StatefulSet or, when absent (autoscaled), the
 * `minReplicaCount` of the KEDA ScaledObject (KEDA's default 0) or the `minReplicas` of the HPA
 * (default 1) that targets it, else the API default 1; one pod of each DaemonSet per node it should
 * run on. Jobs, CronJobs and bare Pods are ignored: a drain waits for none of them.
 *
 * The scheduler: pending pods are tried by PriorityClass value, then by creation. A node is
 * feasible when every filter below passes; like the scheduler, a node's reason is the first filter
 * that fails, in the scheduler's order, and a Pending pod's reason reads `0/N nodes are available: ...`.
 * - NodeUnschedulable: a cordoned node (its `node.kubernetes.io/unschedulable:NoSchedule` taint)
 *   takes only pods that tolerate that taint; DaemonSet pods do, as the DaemonSet controller adds it.
 * - TaintToleration: every NoSchedule and NoExecute taint must be tolerated (PreferNoSchedule is a score).
 * - NodeAffinity: `nodeSelector`, and required node affinity (terms ORed; In, NotIn, Exists,
 *   DoesNotExist, Gt, Lt on node labels; matchFields on `metadata.name`). DaemonSet pods are pinned
 *   to their node the same way.
 * - NodePorts: host ports (and every container port of a hostNetwork pod) are free on the node.
 * - NodeResourcesFit: the requests of the pods on the node plus this pod's (a container's limits
 *   stand for its missing requests; init containers take the maximum, sidecars add; one `pods` unit
 *   each) fit the node's allocatable, for cpu, memory, pods and every extended resource such as
 *   `nvidia.com/gpu`; other resources the node does not declare (ephemeral-storage) are not checked.
 * - VolumeRestrictions: a ReadWriteOncePod claim serves one pod.
 * - VolumeBinding: claims of a node-local class (`local-path`, the K3s default class, or any
 *   StorageClass of provisioner `rancher.io/local-path`) bind, WaitForFirstConsumer, to the node of
 *   the first pod placed with them, and pin every later pod that uses them to that node. A
 *   StatefulSet's volumeClaimTemplates give one claim per ordinal, `<template>-<statefulset>-<ordinal>`,
 *   kept when the pod is evicted. A missing claim keeps the pod Pending. Claims of other classes
 *   are taken for network storage that any node can mount.
 * - PodTopologySpread: `whenUnsatisfiable: DoNotSchedule` constraints, on any topology key: a node
 *   without the key is infeasible; skew = matching pods in the node's domain + (1 if the pod matches)
 *   - the fewest in any domain, over the nodes the pod may use (nodeAffinityPolicy Honor, the
 *   default: its node selector and affinity; nodeTaintsPolicy Honor: taints it tolerates, the cordon
 *   taint included; Ignore, the default: every node); `minDomains` and `matchLabelKeys` honoured.
 * - InterPodAffinity: required pod anti-affinity (any topology key; the pod's own and, symmetrically,
 *   the existing pods'); namespaces by list or the pod's own.
 * Among feasible nodes the simulator takes the one with the fewest pods of the same workload (a
 * stand-in for the scheduler's default spreading and for ScheduleAnyway constraints), then the least
 * allocated (mean cpu and memory share), then the first in cluster order: the real scheduler scores
 * more plugins and picks at random among equals, so where one placement differs from another only
 * by that choice, a test must not depend on which node a pod lands on.
 *
 * A drain, node by node in cluster order: cordon; then rounds, as `kubectl drain --ignore-daemonsets`
 * does (it asks to evict every pod at once and retries the refused ones): each round asks, one pod
 * after another, to evict every pod left on the node except DaemonSet pods; an eviction is refused
 * while the pod's PodDisruptionBudget allows no disruption (ready covered pods minus the healthy
 * count it demands, recomputed after every eviction, so a budget of one lets one pod go per round;
 * a pod covered by two budgets is refused, as the API refuses it). Pods without a budget go together,
 * as they do in a real drain. Then the controllers replace the evicted pods (a Deployment with a new
 * pod, a StatefulSet with the same ordinal and claims, in order unless `podManagementPolicy:
 * Parallel`), the scheduler places what it can, and a placed pod is ready before the next round.
 * Workloads are checked for ready replicas after each round's evictions, before their replacements
 * exist. A round that evicts nothing and places nothing changes nothing, so the next would be the
 * same: after `stalledRoundsBeforeBlocked` of them the drain is blocked forever, reported with the
 * pods and budgets that refuse, and abandoned (the node is uncordoned, its pods stay).
 * Uncordon, let the scheduler place what waited for the node, go on with the next node.
 *
 * Left out, each a reason a real cluster can do worse than this report says:
 * - Time: pods start, pass readiness and stop at once; a pod placed is ready. Real replacements
 *   take their startup time, during which a budget holds the next eviction back (modelled) but a
 *   workload without a budget is one replica short (not seen unless it has none left).
 * - Image pulls: a replacement starts even while the registry it pulls from (say an in-cluster
 *   mirror that is itself being drained) is down.
 * - Preemption (PriorityClass values only order the queue), the descheduler, autoscaling beyond
 *   the minimum, a rolling update's surge, node pressure and eviction by the kubelet.
 * - Soft rules (preferred affinities, ScheduleAnyway constraints, PreferNoSchedule) beyond the
 *   spreading score above; required pod affinity is not modelled and rejected with an error.
 * - What K3s runs outside these objects (CoreDNS, metrics-server, local-path-provisioner, the
 *   Helm-installed charts): their requests belong in the allocatable given to the cluster shape.
 * - Volume limits per node, zones of network volumes, generic ephemeral volumes, pre-bound volumes.
 */

export type Json = any;

type Labels = Readonly<Record<string, string>>;
/** Resource name -> amount in milli-units (so cpu '100m' is 100 and memory '1Ki' is 1024000). */
type Resources = Record<string, number>;

// ---------------------------------------------------------------------------------------------
// The cluster
// ---------------------------------------------------------------------------------------------

export const CONTROL_PLANE_LABEL = 'node-role.kubernetes.io/control-plane';
export const GPU_PRESENT_LABEL = 'nvidia.com/gpu.present';
export const GPU_RESOURCE = 'nvidia.com/gpu';
const HOSTNAME_LABEL = 'kubernetes.io/hostname';
const UNSCHEDULABLE_TAINT: NodeTaint = { key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule' };
const LOCAL_PATH_PROVISIONER = 'rancher.io/local-path';
/** The kubelet's default `maxPods`. */
const DEFAULT_MAX_PODS = 110;
/** Built into every cluster; the objects need not declare them. */
const BUILT_IN_PRIORITIES: Record<string, number> = { 'system-node-critical': 2000001000, 'system-cluster-critical': 2000000000 };

export interface NodeTaint {
  readonly key: string;
  readonly value?: string;
  readonly effect: 'NoSchedule' | 'PreferNoSchedule' | 'NoExecute';
}

export interface NodeShape {
  readonly name: string;
  /** Labels besides `kubernetes.io/hostname` and `kubernetes.io/os`, which every node gets. */
  readonly labels?: Labels;
  readonly taints?: readonly NodeTaint[];
  /** What the kubelet offers to pods, as Kubernetes quantities: `{ cpu: '4', memory: '16Gi', 'nvidia.com/gpu': 4 }`; `pods` defaults to 110. */
  readonly allocatable: Readonly<Record<string, string | number>>;
}

export interface ClusterShape {
  /** The nodes, in the order an upgrade drains them. */
  readonly nodes: readonly NodeShape[];
  /**
   * The class of claims that name none.
   * @default 'local-path' (K3s)
   */
  readonly defaultStorageClass?: string;
  /**
   * Classes whose volumes live on one node, besides StorageClasses of provisioner `rancher.io/local-path` among the objects.
   * @default ['local-path']
   */
  readonly nodeLocalStorageClasses?: readonly string[];
}

export interface NodeAllocatable {
  readonly cpu: string | number;
  readonly memory: string | number;
}

export interface K3sClusterShapeProps {
  /** @default ['server-1', 'server-2', 'server-3'] */
  readonly servers?: readonly string[];
  /** @default ['gpu-1', 'gpu-2'] */
  readonly gpuAgents?: readonly string[];
  /** @default { cpu: 4, memory: '16Gi' } */
  readonly serverAllocatable?: NodeAllocatable;
  /** @default { cpu: 8, memory: '32Gi' } */
  readonly gpuAgentAllocatable?: NodeAllocatable;
  /**
   * Units of `nvidia.com/gpu` each GPU agent advertises (GPUs x time-slices, from the GPU inventory).
   * @default 4 (one GPU time-sliced four ways)
   */
  readonly gpuSlicesPerAgent?: number;
}

/**
 * A K3s HA cluster: untainted servers labelled as control plane (K3s labels them master and etcd
 * too), then GPU agents labelled `nvidia.com/gpu.present` and tainted `nvidia.com/gpu=true:NoSchedule`.
 */
export function k3sClusterShape(props: K3sClusterShapeProps = {}): ClusterShape {
  const serverAllocatable = props.serverAllocatable ?? { cpu: 4, memory: '16Gi' };
  const agentAllocatable = props.gpuAgentAllocatable ?? { cpu: 8, memory: '32Gi' };
  const servers = (props.servers ?? ['server-1', 'server-2', 'server-3']).map((name): NodeShape => ({
    name,
    labels: { [CONTROL_PLANE_LABEL]: 'true', 'node-role.kubernetes.io/master': 'true', 'node-role.kubernetes.io/etcd': 'true' },
    allocatable: { ...serverAllocatable },
  }));
  const agents = (props.gpuAgents ?? ['gpu-1', 'gpu-2']).map((name): NodeShape => ({
    name,
    labels: { [GPU_PRESENT_LABEL]: 'true' },
    taints: [{ key: GPU_RESOURCE, value: 'true', effect: 'NoSchedule' }],
    allocatable: { ...agentAllocatable, [GPU_RESOURCE]: props.gpuSlicesPerAgent ?? 4 },
  }));
  return { nodes: [...servers, ...agents] };
}

export interface DrainOptions {
  /**
   * Rounds in a row that evict nothing and place nothing before a drain counts as blocked forever.
   * The simulation is deterministic, so one such round would do; more only guard the loop.
   * @default 3
   */
  readonly stalledRoundsBeforeBlocked?: number;
}

// ---------------------------------------------------------------------------------------------
// The report
// ---------------------------------------------------------------------------------------------

export type FindingKind = 'pending' | 'unavailable' | 'blocked';

/** A pod bound to a node. `during`: the node being drained; absent at the first placement. */
export interface Placement {
  readonly pod: string;
  readonly workload: string;
  readonly node: string;
  readonly during?: string;
}

/** A pod the eviction API accepted while `node` was drained. */
export interface Eviction {
  readonly node: string;
  readonly pod: string;
  readonly workload: string;
}

/** A pod the scheduler could not place, and why, when it became Pending (once per stretch of Pending: its reason's node counts change with every cordon). */
export interface PendingPod {
  readonly pod: string;
  readonly workload: string;
  readonly reason: string;
  readonly during?: string;
}

/** A workload that had a ready replica when the drain of `node` began and none at some round of it. */
export interface UnavailableWorkload {
  readonly node: string;
  readonly workload: string;
}

/** A pod that kept the drain of `node` from ever finishing, and the budget that refused it. */
export interface BlockedDrain {
  readonly node: string;
  readonly pod: string;
  readonly workload: string;
  readonly budget: string;
}

export interface DrainReport {
  /** The nodes drained, in order. */
  readonly nodes: readonly string[];
  readonly placements: readonly Placement[];
  readonly evictions: readonly Eviction[];
  readonly pending: readonly PendingPod[];
  readonly unavailable: readonly UnavailableWorkload[];
  readonly blocked: readonly BlockedDrain[];
}

/**
 * Places every wanted pod of `objects` on `cluster`, then drains each node in turn. Names in the
 * report are `namespace/name`, of pods and of workloads.
 */
export function simulateUpgradeDrains(objects: readonly Json[], cluster: ClusterShape = k3sClusterShape(), options: DrainOptions = {}): DrainReport {
  const simulation = new Simulation(objects, cluster, options.stalledRoundsBeforeBlocked ?? 3);
  simulation.reconcile(undefined);
  for (const node of simulation.nodes) simulation.drain(node);
  return simulation.report();
}

/** Workload -> the kinds of finding it has, sorted: the shape an allowlist compares against. */
export function findingsByWorkload(report: DrainReport): Record<string, FindingKind[]> {
  const found = new Map<string, Set<FindingKind>>();
  const add = (workload: string, kind: FindingKind) => found.set(workload, (found.get(workload) ?? new Set<FindingKind>()).add(kind));
  report.pending.forEach((p) => add(p.workload, 'pending'));
  report.unavailable.forEach((u) => add(u.workload, 'unavailable'));
  report.blocked.forEach((b) => add(b.workload, 'blocked'));
  return Object.fromEntries([...found.keys()].sort().map((workload) => [workload, [...found.get(workload)!].sort()]));
}

/** The report as lines a test failure message can show. */
export function formatDrainReport(report: DrainReport): string {
  const heading = `Upgrade drains of ${report.nodes.join(', ')}:`;
  const lines = [
    ...report.pending.map((p) => `- Pending ${whenDraining(p.during)}: ${p.pod} (${p.workload}): ${p.reason}`),
    ...report.unavailable.map((u) => `- no ready replica while draining ${u.node}: ${u.workload}`),
    ...report.blocked.map((b) => `- drain of ${b.node} blocked forever: ${b.pod} (${b.workload}) refused by PodDisruptionBudget ${b.budget}`),
  ];
  if (lines.length === 0) return `${heading} every pod placed, every workload kept a ready replica, every drain finished.`;
  return [heading, ...lines].join('\n');
}

function whenDraining(node: string | undefined): string {
  return node === undefined ? 'at first placement' : `while draining ${node}`;
}

// ---------------------------------------------------------------------------------------------
// The simulation
// ---------------------------------------------------------------------------------------------

type WorkloadKind = 'Deployment' | 'StatefulSet' | 'DaemonSet';

interface SimNode {
  readonly name: string;
  readonly index: number;
  readonly labels: Labels;
  readonly taints: readonly NodeTaint[];
  readonly allocatable: Resources;
  cordoned: boolean;
}

interface PodTemplate {
  readonly labels: Labels;
  readonly spec: Json;
  readonly requests: Resources;
  readonly priority: number;
  readonly hostPorts: readonly string[];
}

interface ClaimTemplate {
  readonly name: string;
  readonly storageClassName?: string;
  readonly accessModes: readonly string[];
}

interface Workload {
  readonly kind: WorkloadKind;
  readonly id: string;
  readonly namespace: string;
  readonly name: string;
  readonly replicas: number;
  readonly template: PodTemplate;
  readonly claimTemplates: readonly ClaimTemplate[];
  readonly orderedReady: boolean;
}

interface Pod {
  readonly id: string;
  readonly name: string;
  readonly workload: Workload;
  readonly labels: Labels;
  readonly sequence: number;
  readonly ordinal?: number;
  /** A DaemonSet pod's node. */
  readonly daemonNode?: string;
  /** Claim keys, `namespace/name`. */
  readonly claims: readonly string[];
  /** Bound, and so (time not being modelled) ready. */
  node?: string;
  pendingReason?: string;
  /** This stretch of Pending is in the report. */
  reportedPending?: boolean;
}

interface Claim {
  readonly key: string;
  readonly nodeLocal: boolean;
  readonly oncePod: boolean;
  boundNode?: string;
}

interface Budget {
  readonly id: string;
  readonly namespace: string;
  readonly selector: Json;
  readonly minAvailable?: number | string;
  readonly maxUnavailable?: number | string;
}

class Simulation {
  readonly nodes: readonly SimNode[];
  private readonly workloads: readonly Workload[];
  private readonly budgets: readonly Budget[];
  private readonly claims = new Map<string, Claim>();
  private readonly isNodeLocalClass: (storageClassName: string | undefined) => boolean;
  private pods: Pod[] = [];
  private sequence = 0;
  private readonly deploymentSerials = new Map<string, number>();
  private readonly drained: string[] = [];
  private readonly placements: Placement[] = [];
  private readonly evictions: Eviction[] = [];
  private readonly pending: PendingPod[] = [];
  private readonly unavailable: UnavailableWorkload[] = [];
  private readonly blocked: BlockedDrain[] = [];

  constructor(objects: readonly Json[], cluster: ClusterShape, private readonly stalledRoundsBeforeBlocked: number) {
    const present = objects.filter((o) => o && typeof o === 'object');
    this.nodes = cluster.nodes.map(toSimNode);
    this.isNodeLocalClass = nodeLocalClassTest(present, cluster);
    this.workloads = parseWorkloads(present);
    this.budgets = present.filter((o) => o.kind === 'PodDisruptionBudget').map(parseBudget);
    for (const claim of present.filter((o) => o.kind === 'PersistentVolumeClaim')) {
      this.addClaim(namespacedName(claim), claim.spec?.storageClassName, claim.spec?.accessModes ?? []);
    }
  }

  report(): DrainReport {
    return { nodes: this.drained, placements: this.placements, evictions: this.evictions, pending: this.pending, unavailable: this.unavailable, blocked: this.blocked };
  }

  /** Controllers create the missing pods and the scheduler places what it can, until nothing changes. Returns the pods placed. */
  reconcile(during: string | undefined): number {
    let placedInAll = 0;
    for (;;) {
      const created = this.createMissingPods();
      const placed = this.schedulePending(during);
      placedInAll += placed;
      if (created + placed === 0) break;
    }
    this.recordPending(during);
    return placedInAll;
  }

  drain(node: SimNode): void {
    this.drained.push(node.name);
    const readyAtStart = new Set(this.workloadsWithReadyReplicas());
    node.cordoned = true;
    let stalled = 0;
    for (let round = 0; this.evictablePodsOn(node).length > 0; round++) {
      if (round > 10 * (this.pods.length + 10)) throw new Error(`drain of ${node.name} did not end: the simulator loops`);
      const { evicted, refusals } = this.evictionRound(node);
      this.recordLostAvailability(node, readyAtStart);
      const placed = this.reconcile(node.name);
      stalled = evicted + placed === 0 ? stalled + 1 : 0;
      if (stalled >= this.stalledRoundsBeforeBlocked) {
        this.recordBlocked(node, refusals);
        break;
      }
    }
    node.cordoned = false;
    this.reconcile(node.name);
  }

  // --- eviction ---

  private evictablePodsOn(node: SimNode): Pod[] {
    return this.pods.filter((p) => p.node === node.name && p.workload.kind !== 'DaemonSet');
  }

  private evictionRound(node: SimNode): { evicted: number; refusals: Map<Pod, string> } {
    const refusals = new Map<Pod, string>();
    let evicted = 0;
    for (const pod of this.evictablePodsOn(node)) {
      const refusal = this.evictionRefusal(pod);
      if (refusal) {
        refusals.set(pod, refusal);
      } else {
        this.pods = this.pods.filter((p) => p !== pod);
        this.evictions.push({ node: node.name, pod: pod.id, workload: pod.workload.id });
        evicted++;
      }
    }
    return { evicted, refusals };
  }

  /** The budget that refuses evicting `pod` now, or undefined when the eviction API would accept it. */
  private evictionRefusal(pod: Pod): string | undefined {
    const budgets = this.budgets.filter((b) => b.namespace === pod.workload.namespace && selectorMatches(b.selector, pod.labels));
    if (budgets.length > 1) return `${budgets.map((b) => b.id).join(', ')} (the API refuses a pod more than one budget covers)`;
    if (budgets.length === 0 || this.disruptionsAllowed(budgets[0]) > 0) return undefined;
    return budgets[0].id;
  }

  /** The disruption controller's arithmetic: ready covered pods minus the healthy count the budget demands. */
  private disruptionsAllowed(budget: Budget): number {
    const covered = this.pods.filter((p) => p.workload.namespace === budget.namespace && selectorMatches(budget.selector, p.labels));
    const healthy = covered.filter((p) => p.node !== undefined).length;
    return Math.max(0, healthy - desiredHealthy(budget, this.expectedPods(covered)));
  }

  /** The scale of the controllers of the covered pods: what percentages and maxUnavailable count from. */
  private expectedPods(covered: readonly Pod[]): number {
    const owners = new Set(covered.map((p) => p.workload));
    return [...owners].reduce((sum, w) => sum + (w.kind === 'DaemonSet' ? this.pods.filter((p) => p.workload === w).length : w.replicas), 0);
  }

  // --- controllers ---

  private createMissingPods(): number {
    const before = this.pods.length;
    for (const workload of this.workloads) {
      if (workload.kind === 'Deployment') this.createDeploymentPods(workload);
      else if (workload.kind === 'StatefulSet') this.createStatefulSetPods(workload);
      else this.createDaemonPods(workload);
    }
    return this.pods.length - before;
  }

  private createDeploymentPods(workload: Workload): void {
    const missing = workload.replicas - this.podsOf(workload).length;
    for (let i = 0; i < missing; i++) {
      const serial = (this.deploymentSerials.get(workload.id) ?? 0) + 1;
      this.deploymentSerials.set(workload.id, serial);
      this.addPod(workload, `${workload.name}-${serial}`, {});
    }
  }

  /** Missing ordinals; with OrderedReady, only the lowest, and only once every lower one is ready. */
  private createStatefulSetPods(workload: Workload): void {
    const byOrdinal = new Map(this.podsOf(workload).map((p) => [p.ordinal!, p]));
    for (let ordinal = 0; ordinal < workload.replicas; ordinal++) {
      const existing = byOrdinal.get(ordinal);
      if (!existing) this.addPod(workload, `${workload.name}-${ordinal}`, { ordinal, claims: this.statefulSetClaims(workload, ordinal) });
      if (workload.orderedReady && existing?.node === undefined) return;
    }
  }

  private statefulSetClaims(workload: Workload, ordinal: number): string[] {
    return workload.claimTemplates.map((t) => {
      const key = `${workload.namespace}/${t.name}-${workload.name}-${ordinal}`;
      if (!this.claims.has(key)) this.addClaim(key, t.storageClassName, t.accessModes);
      return key;
    });
  }

  private createDaemonPods(workload: Workload): void {
    const covered = new Set(this.podsOf(workload).map((p) => p.daemonNode));
    for (const node of this.nodes.filter((n) => !covered.has(n.name) && daemonShouldRun(workload.template, n))) {
      this.addPod(workload, `${workload.name}-${node.name}`, { daemonNode: node.name });
    }
  }

  private addPod(workload: Workload, name: string, extra: { ordinal?: number; daemonNode?: string; claims?: string[] }): void {
    const ownClaims = volumeClaimNames(workload.template.spec).map((claim) => `${workload.namespace}/${claim}`);
    const labels = extra.ordinal === undefined ? workload.template.labels : { ...workload.template.labels, 'statefulset.kubernetes.io/pod-name': name };
    this.pods.push({
      id: `${workload.namespace}/${name}`, name, workload, labels, sequence: this.sequence++,
      ordinal: extra.ordinal, daemonNode: extra.daemonNode, claims: [...ownClaims, ...(extra.claims ?? [])],
    });
  }

  private addClaim(key: string, storageClassName: string | undefined, accessModes: readonly string[]): void {
    this.claims.set(key, { key, nodeLocal: this.isNodeLocalClass(storageClassName), oncePod: accessModes.includes('ReadWriteOncePod') });
  }

  // --- scheduler ---

  private schedulePending(during: string | undefined): number {
    const queue = this.pods.filter((p) => p.node === undefined).sort((a, b) => b.workload.template.priority - a.workload.template.priority || a.sequence - b.sequence);
    let placed = 0;
    for (const pod of queue) {
      const node = this.bestFeasibleNode(pod);
      if (node) {
        this.bind(pod, node, during);
        placed++;
      }
    }
    return placed;
  }

  /** The chosen node, or undefined with the pod's pending reason set, in the scheduler's words. */
  private bestFeasibleNode(pod: Pod): SimNode | undefined {
    const missing = pod.claims.find((c) => !this.claims.has(c));
    if (missing) {
      pod.pendingReason = `persistentvolumeclaim "${missing.split('/')[1]}" not found`;
      return undefined;
    }
    const reasons = new Map<SimNode, string[]>(this.nodes.map((n) => [n, this.filterReasons(pod, n)]));
    const feasible = this.nodes.filter((n) => reasons.get(n)!.length === 0);
    if (feasible.length === 0) pod.pendingReason = unschedulableMessage(this.nodes.length, [...reasons.values()]);
    return feasible.sort((a, b) => this.compareNodes(pod, a, b))[0];
  }

  /** The reasons of the first filter that fails, in the scheduler's order; empty when the node is feasible. */
  private filterReasons(pod: Pod, node: SimNode): string[] {
    for (const filter of FILTERS) {
      const reasons = filter(this, pod, node);
      if (reasons.length > 0) return reasons;
    }
    return [];
  }

  private compareNodes(pod: Pod, a: SimNode, b: SimNode): number {
    const siblings = (n: SimNode) => this.podsOn(n).filter((p) => p.workload === pod.workload).length;
    return siblings(a) - siblings(b) || this.allocatedShare(a, pod) - this.allocatedShare(b, pod) || a.index - b.index;
  }

  private allocatedShare(node: SimNode, pod: Pod): number {
    const used = this.requestedOn(node);
    const share = (r: string) => (node.allocatable[r] ? ((used[r] ?? 0) + (pod.workload.template.requests[r] ?? 0)) / node.allocatable[r] : 0);
    return (share('cpu') + share('memory')) / 2;
  }

  private bind(pod: Pod, node: SimNode, during: string | undefined): void {
    pod.node = node.name;
    pod.pendingReason = undefined;
    pod.reportedPending = false;
    for (const key of pod.claims) {
      const claim = this.claims.get(key)!;
      if (claim.nodeLocal && claim.boundNode === undefined) claim.boundNode = node.name;
    }
    this.placements.push({ pod: pod.id, workload: pod.workload.id, node: node.name, during });
  }

  // --- state the filters read ---

  podsOn(node: SimNode): Pod[] {
    return this.pods.filter((p) => p.node === node.name);
  }

  boundPods(): Pod[] {
    return this.pods.filter((p) => p.node !== undefined);
  }

  nodeNamed(name: string): SimNode {
    return this.nodes.find((n) => n.name === name)!;
  }

  claim(key: string): Claim {
    return this.claims.get(key)!;
  }

  podsUsingClaim(key: string, except: Pod): Pod[] {
    return this.pods.filter((p) => p !== except && p.claims.includes(key));
  }

  requestedOn(node: SimNode): Resources {
    return addResources(Object.fromEntries(Object.keys(node.allocatable).map((r) => [r, 0])), ...this.podsOn(node).map((p) => p.workload.template.requests));
  }

  private podsOf(workload: Workload): Pod[] {
    return this.pods.filter((p) => p.workload === workload);
  }

  // --- findings ---

  private workloadsWithReadyReplicas(): Workload[] {
    return this.workloads.filter((w) => w.kind !== 'DaemonSet' && this.podsOf(w).some((p) => p.node !== undefined));
  }

  private recordLostAvailability(node: SimNode, readyAtStart: ReadonlySet<Workload>): void {
    const stillReady = new Set(this.workloadsWithReadyReplicas());
    for (const workload of readyAtStart) {
      const known = this.unavailable.some((u) => u.node === node.name && u.workload === workload.id);
      if (!stillReady.has(workload) && !known) this.unavailable.push({ node: node.name, workload: workload.id });
    }
  }

  private recordPending(during: string | undefined): void {
    for (const pod of this.pods.filter((p) => p.node === undefined && !p.reportedPending)) {
      this.pending.push({ pod: pod.id, workload: pod.workload.id, reason: pod.pendingReason!, during });
      pod.reportedPending = true;
    }
  }

  private recordBlocked(node: SimNode, refusals: ReadonlyMap<Pod, string>): void {
    for (const [pod, budget] of refusals) this.blocked.push({ node: node.name, pod: pod.id, workload: pod.workload.id, budget });
  }
}

function desiredHealthy(budget: Budget, expectedPods: number): number {
  if (budget.maxUnavailable !== undefined) return expectedPods - scaledCount(budget.maxUnavailable, expectedPods);
  if (typeof budget.minAvailable === 'number') return budget.minAvailable;
  if (budget.minAvailable !== undefined) return scaledCount(budget.minAvailable, expectedPods);
  throw new Error(`PodDisruptionBudget ${budget.id} sets neither minAvailable nor maxUnavailable: the API would reject it`);
}

/** An int-or-percent against a total, a percentage rounded up as the disruption controller does. */
function scaledCount(value: number | string, total: number): number {
  if (typeof value === 'number') return value;
  const percent = /^(\d+)%$/.exec(value);
  if (!percent) return Number(value);
  return Math.ceil((Number(percent[1]) * total) / 100);
}

// ---------------------------------------------------------------------------------------------
// Filters, in the scheduler's order (kube-scheduler's default profile)
// ---------------------------------------------------------------------------------------------

type Filter = (sim: Simulation, pod: Pod, node: SimNode) => string[];

const FILTERS: readonly Filter[] = [
  unschedulableFilter, taintFilter, nodeAffinityFilter, nodePortsFilter, resourcesFit,
  volumeRestrictions, volumeBinding, topologySpread, podAntiAffinity,
];

function unschedulableFilter(_sim: Simulation, pod: Pod, node: SimNode): string[] {
  return node.cordoned && !tolerated(pod, UNSCHEDULABLE_TAINT) ? ['node(s) were unschedulable'] : [];
}

function taintFilter(_sim: Simulation, pod: Pod, node: SimNode): string[] {
  const untolerated = node.taints.find((t) => t.effect !== 'PreferNoSchedule' && !tolerated(pod, t));
  return untolerated ? [`node(s) had untolerated taint {${untolerated.key}: ${untolerated.value ?? ''}}`] : [];
}

function nodeAffinityFilter(_sim: Simulation, pod: Pod, node: SimNode): string[] {
  const pinnedElsewhere = pod.daemonNode !== undefined && pod.daemonNode !== node.name;
  return pinnedElsewhere || !nodeMatchesPod(pod.workload.template, node) ? ["node(s) didn't match Pod's node affinity/selector"] : [];
}

function nodePortsFilter(sim: Simulation, pod: Pod, node: SimNode): string[] {
  const taken = new Set(sim.podsOn(node).flatMap((p) => p.workload.template.hostPorts));
  return pod.workload.template.hostPorts.some((port) => taken.has(port)) ? ["node(s) didn't have free ports for the requested pod ports"] : [];
}

function resourcesFit(sim: Simulation, pod: Pod, node: SimNode): string[] {
  const used = sim.requestedOn(node);
  return Object.entries(pod.workload.template.requests)
    .filter(([resource, amount]) => amount > 0 && (resource in node.allocatable || resource.includes('/')))
    .filter(([resource, amount]) => (used[resource] ?? 0) + amount > (node.allocatable[resource] ?? 0))
    .map(([resource]) => (resource === 'pods' ? 'Too many pods' : `Insufficient ${resource}`));
}

function volumeRestrictions(sim: Simulation, pod: Pod): string[] {
  const shared = pod.claims.some((key) => sim.claim(key).oncePod && sim.podsUsingClaim(key, pod).some((p) => p.node !== undefined));
  return shared ? ['node has pod using PersistentVolumeClaim with the same name and ReadWriteOncePod access mode'] : [];
}

function volumeBinding(sim: Simulation, pod: Pod, node: SimNode): string[] {
  const conflict = pod.claims.map((key) => sim.claim(key)).some((c) => c.nodeLocal && c.boundNode !== undefined && c.boundNode !== node.name);
  return conflict ? ['node(s) had volume node affinity conflict'] : [];
}

function topologySpread(sim: Simulation, pod: Pod, node: SimNode): string[] {
  const constraints = (pod.workload.template.spec.topologySpreadConstraints ?? []).filter((c: Json) => c.whenUnsatisfiable === 'DoNotSchedule');
  if (constraints.some((c: Json) => node.labels[c.topologyKey] === undefined)) return ["node(s) didn't match pod topology spread constraints (missing required label)"];
  return constraints.some((c: Json) => spreadSkewAfterPlacing(sim, pod, node, c) > c.maxSkew) ? ["node(s) didn't match pod topology spread constraints"] : [];
}

/** The skew if `pod` went to `node`: its domain's matching pods (plus itself) minus the fewest in any domain the pod may use. */
function spreadSkewAfterPlacing(sim: Simulation, pod: Pod, node: SimNode, constraint: Json): number {
  const key: string = constraint.topologyKey;
  const selector = withMatchLabelKeys(constraint.labelSelector, constraint.matchLabelKeys, pod.labels);
  const counted = sim.nodes.filter((n) => n.labels[key] !== undefined && spreadCountsNode(pod, n, constraint));
  const perDomain = new Map<string, number>(counted.map((n) => [n.labels[key], 0]));
  for (const other of sim.boundPods()) {
    const domain = sim.nodeNamed(other.node!).labels[key];
    const inCountedNode = counted.some((n) => n.name === other.node);
    if (inCountedNode && other.workload.namespace === pod.workload.namespace && selectorMatches(selector, other.labels)) perDomain.set(domain, perDomain.get(domain)! + 1);
  }
  const fewest = perDomain.size < (constraint.minDomains ?? 1) ? 0 : Math.min(...perDomain.values());
  const self = selectorMatches(selector, pod.labels) ? 1 : 0;
  return (perDomain.get(node.labels[key]) ?? 0) + self - fewest;
}

/** nodeAffinityPolicy (default Honor) and nodeTaintsPolicy (default Ignore): which nodes' pods a constraint counts. */
function spreadCountsNode(pod: Pod, node: SimNode, constraint: Json): boolean {
  const affinityOk = (constraint.nodeAffinityPolicy ?? 'Honor') === 'Ignore' || nodeMatchesPod(pod.workload.template, node);
  const taintsOk = (constraint.nodeTaintsPolicy ?? 'Ignore') === 'Ignore' || effectiveTaints(node).every((t) => t.effect === 'PreferNoSchedule' || tolerated(pod, t));
  return affinityOk && taintsOk;
}

function podAntiAffinity(sim: Simulation, pod: Pod, node: SimNode): string[] {
  const others = sim.boundPods().filter((p) => p !== pod);
  const sameDomain = (other: Pod, key: string) => node.labels[key] !== undefined && sim.nodeNamed(other.node!).labels[key] === node.labels[key];
  const ownTermsViolated = antiAffinityTerms(pod).some((term) => others.some((other) => sameDomain(other, term.topologyKey) && termSelects(term, pod, other)));
  if (ownTermsViolated) return ["node(s) didn't match pod anti-affinity rules"];
  const theirsViolated = others.some((other) => antiAffinityTerms(other).some((term) => sameDomain(other, term.topologyKey) && termSelects(term, other, pod)));
  return theirsViolated ? ["node(s) didn't satisfy existing pods anti-affinity rules"] : [];
}

function antiAffinityTerms(pod: Pod): Json[] {
  return pod.workload.template.spec.affinity?.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution ?? [];
}

/** Whether `term`, declared by `owner`, selects `candidate`. */
function termSelects(term: Json, owner: Pod, candidate: Pod): boolean {
  const namespaces: string[] = term.namespaces?.length ? term.namespaces : [owner.workload.namespace];
  return namespaces.includes(candidate.workload.namespace) && selectorMatches(term.labelSelector, candidate.labels);
}

/** The node's taints and, while it is cordoned, the unschedulable one the node controller adds. */
function effectiveTaints(node: SimNode): NodeTaint[] {
  return node.cordoned ? [...node.taints, UNSCHEDULABLE_TAINT] : [...node.taints];
}

/** `0/5 nodes are available: 2 node(s) had ..., 3 Insufficient cpu.`, reasons sorted as the scheduler sorts them. */
function unschedulableMessage(nodeCount: number, perNode: readonly string[][]): string {
  const histogram = new Map<string, number>();
  for (const reason of perNode.flat()) histogram.set(reason, (histogram.get(reason) ?? 0) + 1);
  const parts = [...histogram.keys()].sort().map((reason) => `${histogram.get(reason)} ${reason}`);
  return `0/${nodeCount} nodes are available: ${parts.join(', ')}.`;
}

// ---------------------------------------------------------------------------------------------
// Pods and nodes: matching
// ---------------------------------------------------------------------------------------------

function tolerated(pod: Pod, taint: NodeTaint): boolean {
  const daemonTolerations = pod.workload.kind === 'DaemonSet' ? [{ key: UNSCHEDULABLE_TAINT.key, operator: 'Exists', effect: 'NoSchedule' }] : [];
  return [...(pod.workload.template.spec.tolerations ?? []), ...daemonTolerations].some((t: Json) => tolerationMatches(t, taint));
}

function tolerationMatches(toleration: Json, taint: NodeTaint): boolean {
  if (toleration.effect && toleration.effect !== taint.effect) return false;
  if (toleration.operator === 'Exists') return !toleration.key || toleration.key === taint.key;
  return toleration.key === taint.key && (toleration.value ?? '') === (taint.value ?? '');
}

/** nodeSelector and required node affinity: what both the NodeAffinity filter and nodeAffinityPolicy Honor ask. */
function nodeMatchesPod(template: PodTemplate, node: SimNode): boolean {
  const selectorOk = Object.entries<string>(template.spec.nodeSelector ?? {}).every(([key, value]) => node.labels[key] === value);
  const required = template.spec.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution;
  return selectorOk && (required === undefined || (required.nodeSelectorTerms ?? []).some((term: Json) => nodeTermMatches(term, node)));
}

/** A term with no requirement matches no node, as in Kubernetes. */
function nodeTermMatches(term: Json, node: SimNode): boolean {
  const expressions: Json[] = term.matchExpressions ?? [];
  const fields: Json[] = term.matchFields ?? [];
  if (expressions.length + fields.length === 0) return false;
  return expressions.every((e) => requirementMatches(e, node.labels)) && fields.every((f) => requirementMatches(f, { 'metadata.name': node.name }, 'metadata.name'));
}

function daemonShouldRun(template: PodTemplate, node: SimNode): boolean {
  const tolerations = template.spec.tolerations ?? [];
  const taintsOk = node.taints.every((t) => t.effect === 'PreferNoSchedule' || tolerations.some((tol: Json) => tolerationMatches(tol, t)));
  return taintsOk && nodeMatchesPod(template, node);
}

/** A label selector: absent matches nothing, `{}` everything. */
function selectorMatches(selector: Json, labels: Labels): boolean {
  if (selector === undefined || selector === null) return false;
  const labelsOk = Object.entries<string>(selector.matchLabels ?? {}).every(([key, value]) => labels[key] === value);
  return labelsOk && (selector.matchExpressions ?? []).every((e: Json) => requirementMatches(e, labels));
}

function withMatchLabelKeys(selector: Json, keys: readonly string[] | undefined, podLabels: Labels): Json {
  if (!selector || !keys?.length) return selector;
  const extra = Object.fromEntries(keys.filter((k) => podLabels[k] !== undefined).map((k) => [k, podLabels[k]]));
  return { ...selector, matchLabels: { ...selector.matchLabels, ...extra } };
}

function requirementMatches(requirement: Json, labels: Labels, onlyKey?: string): boolean {
  if (onlyKey !== undefined && requirement.key !== onlyKey) throw new Error(`matchFields on '${requirement.key}' is not modelled: only ${onlyKey}`);
  const value = labels[requirement.key];
  const values: string[] = requirement.values ?? [];
  switch (requirement.operator) {
    case 'In': return value !== undefined && values.includes(value);
    case 'NotIn': return value === undefined || !values.includes(value);
    case 'Exists': return value !== undefined;
    case 'DoesNotExist': return value === undefined;
    case 'Gt': return value !== undefined && Number(value) > Number(values[0]);
    case 'Lt': return value !== undefined && Number(value) < Number(values[0]);
    default: throw new Error(`selector operator '${requirement.operator}' is not modelled`);
  }
}

// ---------------------------------------------------------------------------------------------
// Objects: parsing
// ---------------------------------------------------------------------------------------------

const WORKLOAD_KINDS: ReadonlySet<string> = new Set<WorkloadKind>(['Deployment', 'StatefulSet', 'DaemonSet']);

function parseWorkloads(objects: readonly Json[]): Workload[] {
  const priorities = priorityValues(objects);
  const autoscalers = objects.filter((o) => o.kind === 'ScaledObject' || o.kind === 'HorizontalPodAutoscaler');
  return objects.filter((o) => WORKLOAD_KINDS.has(o.kind)).map((o) => parseWorkload(o, priorities, autoscalers));
}

function parseWorkload(object: Json, priorities: (className: string | undefined) => number, autoscalers: readonly Json[]): Workload {
  const namespace = namespaceOf(object);
  const spec = object.spec?.template?.spec ?? {};
  rejectUnmodelledAffinity(object, spec);
  const template: PodTemplate = {
    labels: { ...(object.spec?.template?.metadata?.labels ?? {}) },
    spec,
    requests: podRequests(spec),
    priority: priorities(spec.priorityClassName),
    hostPorts: hostPortsOf(spec),
  };
  return {
    kind: object.kind,
    id: namespacedName(object),
    namespace,
    name: object.metadata.name,
    replicas: object.kind === 'DaemonSet' ? 0 : desiredReplicas(object, autoscalers),
    template,
    claimTemplates: (object.spec?.volumeClaimTemplates ?? []).map((t: Json) => ({ name: t.metadata.name, storageClassName: t.spec?.storageClassName, accessModes: t.spec?.accessModes ?? [] })),
    orderedReady: object.kind === 'StatefulSet' && object.spec?.podManagementPolicy !== 'Parallel',
  };
}

/** Rules the scheduler enforces that this model would otherwise silently pass. */
function rejectUnmodelledAffinity(object: Json, spec: Json): void {
  const where = `${object.kind} ${namespacedName(object)}`;
  if (spec.affinity?.podAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.length) throw new Error(`${where}: required pod affinity is not modelled`);
  for (const term of spec.affinity?.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution ?? []) {
    if (term.namespaceSelector) throw new Error(`${where}: a pod anti-affinity namespaceSelector is not modelled`);
  }
}

/** spec.replicas; else the minimum of the autoscaler that targets it; else the API default. */
function desiredReplicas(object: Json, autoscalers: readonly Json[]): number {
  if (object.spec?.replicas !== undefined) return object.spec.replicas;
  const targets = (a: Json) => namespaceOf(a) === namespaceOf(object) && a.spec?.scaleTargetRef?.name === object.metadata.name
    && (a.spec.scaleTargetRef.kind ?? 'Deployment') === object.kind;
  const scaler = autoscalers.find(targets);
  if (scaler?.kind === 'ScaledObject') return scaler.spec.minReplicaCount ?? 0;
  if (scaler?.kind === 'HorizontalPodAutoscaler') return scaler.spec.minReplicas ?? 1;
  return 1;
}

function priorityValues(objects: readonly Json[]): (className: string | undefined) => number {
  const classes = objects.filter((o) => o.kind === 'PriorityClass');
  const values: Record<string, number> = { ...BUILT_IN_PRIORITIES, ...Object.fromEntries(classes.map((c) => [c.metadata.name, c.value ?? 0])) };
  const globalDefault = classes.find((c) => c.globalDefault)?.value ?? 0;
  return (className) => (className === undefined ? globalDefault : values[className] ?? 0);
}

function parseBudget(object: Json): Budget {
  return { id: namespacedName(object), namespace: namespaceOf(object), selector: object.spec?.selector, minAvailable: object.spec?.minAvailable, maxUnavailable: object.spec?.maxUnavailable };
}

function nodeLocalClassTest(objects: readonly Json[], cluster: ClusterShape): (storageClassName: string | undefined) => boolean {
  const provisioned = objects.filter((o) => o.kind === 'StorageClass' && o.provisioner === LOCAL_PATH_PROVISIONER).map((o) => o.metadata.name);
  const local = new Set([...(cluster.nodeLocalStorageClasses ?? ['local-path']), ...provisioned]);
  const defaultClass = cluster.defaultStorageClass ?? 'local-path';
  // '' asks for no class at all: a volume bound by hand, whose node (if any) is unknown here.
  return (storageClassName) => storageClassName !== '' && local.has(storageClassName ?? defaultClass);
}

function volumeClaimNames(spec: Json): string[] {
  return (spec.volumes ?? []).filter((v: Json) => v.persistentVolumeClaim?.claimName).map((v: Json) => v.persistentVolumeClaim.claimName);
}

function hostPortsOf(spec: Json): string[] {
  const containers: Json[] = [...(spec.containers ?? []), ...(spec.initContainers ?? [])];
  const ports: Json[] = containers.flatMap((c) => c.ports ?? []);
  return ports
    .map((p) => ({ port: p.hostPort ?? (spec.hostNetwork ? p.containerPort : undefined), protocol: p.protocol ?? 'TCP' }))
    .filter((p) => p.port !== undefined)
    .map((p) => `${p.protocol}/${p.port}`);
}

/** What the scheduler counts: regular containers and sidecars add up, a plain init container runs alone; plus one pod. */
function podRequests(spec: Json): Resources {
  const inits: Json[] = spec.initContainers ?? [];
  const sidecars = inits.filter((c) => c.restartPolicy === 'Always');
  const running = addResources({}, ...[...(spec.containers ?? []), ...sidecars].map(containerRequests));
  const initPeaks = inits.filter((c) => c.restartPolicy !== 'Always').map(containerRequests);
  return { ...maxResources(running, ...initPeaks), pods: 1000 };
}

/** Requests, a limit standing in for a missing request as the API server defaults it. */
function containerRequests(container: Json): Resources {
  const declared = { ...(container.resources?.limits ?? {}), ...(container.resources?.requests ?? {}) };
  return Object.fromEntries(Object.entries<string | number>(declared).map(([resource, quantity]) => [resource, toMilli(quantity)]));
}

function addResources(base: Resources, ...others: Resources[]): Resources {
  const sum = { ...base };
  for (const other of others) for (const [r, q] of Object.entries(other)) sum[r] = (sum[r] ?? 0) + q;
  return sum;
}

function maxResources(...all: Resources[]): Resources {
  const max: Resources = {};
  for (const one of all) for (const [r, q] of Object.entries(one)) max[r] = Math.max(max[r] ?? 0, q);
  return max;
}

const QUANTITY_FACTORS: Record<string, number> = {
  '': 1, 'm': 1e-3, 'k': 1e3, 'M': 1e6, 'G': 1e9, 'T': 1e12, 'P': 1e15, 'E': 1e18,
  'Ki': 2 ** 10, 'Mi': 2 ** 20, 'Gi': 2 ** 30, 'Ti': 2 ** 40, 'Pi': 2 ** 50, 'Ei': 2 ** 60,
};

/** A Kubernetes quantity in milli-units, so that '100m' CPU and '1' GPU compare as integers. */
function toMilli(quantity: string | number): number {
  if (typeof quantity === 'number') return Math.round(quantity * 1000);
  const match = /^([+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)(m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei)?$/.exec(quantity.trim());
  if (!match) throw new Error(`'${quantity}' is not a Kubernetes quantity`);
  return Math.round(Number(match[1]) * QUANTITY_FACTORS[match[2] ?? ''] * 1000);
}

function toSimNode(shape: NodeShape, index: number): SimNode {
  const allocatable = Object.fromEntries(Object.entries({ pods: DEFAULT_MAX_PODS, ...shape.allocatable }).map(([r, q]) => [r, toMilli(q)]));
  return {
    name: shape.name,
    index,
    labels: { 'kubernetes.io/os': 'linux', ...shape.labels, [HOSTNAME_LABEL]: shape.name },
    taints: shape.taints ?? [],
    allocatable,
    cordoned: false,
  };
}

function namespaceOf(object: Json): string {
  return object.metadata?.namespace ?? 'default';
}

function namespacedName(object: Json): string {
  return `${namespaceOf(object)}/${object.metadata.name}`;
}
