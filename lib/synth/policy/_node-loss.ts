import { SINGLE_REPLICA_REASON_ANNOTATION } from '../pod/builder';
import { PolicyContext } from './_context';
import { IndexedObject, Json, PodTemplate, namespaceOf, selectorMatches } from './_objects';
import { minimumSize, scaled } from './_rules';
import { Policy, PolicyFinding } from './policy-finding';

const HOSTNAME = 'kubernetes.io/hostname';
/** Workloads whose replicas can all sit on one node; a DaemonSet runs one pod per node and is exempt. */
const REPLICATED_KINDS = new Set(['Deployment', 'StatefulSet']);
/** Access modes that let the pods of several nodes mount one claim. */
const SHARED_ACCESS_MODES = new Set(['ReadWriteMany', 'ReadOnlyMany']);
const OPT_OUT = `or, if one replica is enough, say why in the annotation ${SINGLE_REPLICA_REASON_ANNOTATION} (the pod builder's singleReplicaReason)`;

/**
 * Every Deployment and StatefulSet survives the loss or drain of any one node with a ready replica
 * elsewhere: it runs at least two replicas (at its autoscaler's minimum too), the scheduler must
 * put them on different nodes, no ReadWriteOnce claim pins them all to one node, and a
 * PodDisruptionBudget lets a drain proceed one replica at a time. A workload is exempt only when it
 * says why one replica is enough ({@link SINGLE_REPLICA_REASON_ANNOTATION}).
 */
export function checkSinglePointsOfFailure(context: PolicyContext): PolicyFinding[] {
  const budgets = budgetsByTemplate(context);
  return context.templates.filter((t) => REPLICATED_KINDS.has(t.owner.json.kind)).flatMap((t) => {
    const reason: unknown = t.owner.json.metadata?.annotations?.[SINGLE_REPLICA_REASON_ANNOTATION];
    if (typeof reason === 'string' && reason.trim() !== '') return [];
    const size = minimumSize(context, t.owner) ?? 0;
    const finding = (message: string, fix: string) => context.finding(Policy.SINGLE_POINT_OF_FAILURE, t.owner, message, fix);
    return [
      ...(reason !== undefined ? [finding(`its annotation ${SINGLE_REPLICA_REASON_ANNOTATION} gives no reason`, 'Say why one replica is enough, or remove the annotation and run two.')] : []),
      ...replicaProblems(context, t.owner, size).map((message) => finding(message, `Run at least 2 replicas (replicas, or the autoscaler's minimum), ${OPT_OUT}.`)),
      ...placementProblems(t, size).map((message) => finding(message,
        `Spread the pods over nodes with ComponentPods.spreadOverNodes() (whenUnsatisfiable: DoNotSchedule over ${HOSTNAME}, selecting the pods themselves) and pin them to no node, ${OPT_OUT}.`)),
      ...claimProblems(context, t).map((message) => finding(message,
        `Give each replica its own volume (a StatefulSet's volumeClaimTemplates), mount a ReadWriteMany claim, or keep the data off the pods, ${OPT_OUT}.`)),
      ...budgetProblems(budgets.get(t) ?? [], size).map((message) => finding(message,
        'Add a PodDisruptionBudget with maxUnavailable: 1 (ComponentPods.addDisruptionBudget()), or keep minAvailable below the minimum replicas.')),
    ];
  });
}

/** Each pod template and the PodDisruptionBudgets that select it, in object order. */
function budgetsByTemplate(context: PolicyContext): Map<PodTemplate, IndexedObject[]> {
  const byTemplate = new Map<PodTemplate, IndexedObject[]>();
  for (const budget of context.ofKind('PodDisruptionBudget')) {
    for (const template of context.templatesSelectedBy(namespaceOf(budget), budget.json.spec?.selector, false)) {
      const list = byTemplate.get(template);
      if (list) list.push(budget);
      else byTemplate.set(template, [budget]);
    }
  }
  return byTemplate;
}

function replicaProblems(context: PolicyContext, workload: IndexedObject, size: number): string[] {
  if (size >= 2) return [];
  const name = workload.json.metadata?.name;
  const ns = namespaceOf(workload);
  const hpa = context.autoscalersOf('HorizontalPodAutoscaler', ns, name).length > 0;
  const scaledObject = context.autoscalersOf('ScaledObject', ns, name).length > 0;
  const source = hpa ? 'the minReplicas of its HorizontalPodAutoscaler' : scaledObject ? 'the minReplicaCount of its ScaledObject' : 'its replicas';
  return [`runs ${size} replica${size === 1 ? '' : 's'} at its minimum (${source}), so losing or draining that node leaves none ready`];
}

/** Whether the scheduler may put every replica on one node, or must. */
function placementProblems(t: PodTemplate, size: number): string[] {
  const problems: string[] = [];
  const pinnedTo = t.spec.nodeName ?? t.spec.nodeSelector?.[HOSTNAME];
  if (pinnedTo !== undefined) problems.push(`is pinned to node ${pinnedTo} (${t.spec.nodeName !== undefined ? 'nodeName' : 'nodeSelector'}), so every replica stops with it`);
  // With a skew of s allowed, s replicas may share a node while another has none.
  const replicas = Math.max(size, 2);
  const spread = (t.spec.topologySpreadConstraints ?? []).some((c: Json) => c.topologyKey === HOSTNAME
    && (c.whenUnsatisfiable ?? 'DoNotSchedule') === 'DoNotSchedule' && (c.maxSkew ?? 1) < replicas && selectorMatches(c.labelSelector, t.labels));
  const antiAffinity = (t.spec.affinity?.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution ?? []).some((term: Json) => term.topologyKey === HOSTNAME
    && term.namespaceSelector === undefined && ((term.namespaces ?? []).length === 0 || term.namespaces.includes(t.namespace)) && selectorMatches(term.labelSelector, t.labels));
  if (!spread && !antiAffinity) {
    problems.push(`may place every replica on one node: no topologySpreadConstraint over ${HOSTNAME} with whenUnsatisfiable DoNotSchedule (and a maxSkew below ${replicas}) and no required pod anti-affinity on ${HOSTNAME} selects its own pods`);
  }
  return problems;
}

/** Claims of the output that every replica mounts and that only one node can attach. */
function claimProblems(context: PolicyContext, t: PodTemplate): string[] {
  return (t.spec.volumes ?? []).flatMap((volume: Json) => {
    const claimName = volume.persistentVolumeClaim?.claimName;
    // A claim made outside the output has access modes this check cannot see.
    const claim = claimName === undefined ? undefined : context.workload(t.namespace, 'PersistentVolumeClaim', claimName);
    const modes: string[] = claim?.json.spec?.accessModes ?? [];
    if (claim === undefined || modes.some((mode) => SHARED_ACCESS_MODES.has(mode) && (mode !== 'ReadOnlyMany' || volume.persistentVolumeClaim.readOnly === true))) return [];
    return [`mounts PersistentVolumeClaim ${claimName} (${modes.join(', ') || 'no access mode'}) in every replica (volume '${volume.name}'): one node attaches it, so every replica runs there or not at all`];
  });
}

/** A budget for the workload, and none that blocks a drain at its minimum size. */
function budgetProblems(budgets: readonly IndexedObject[], size: number): string[] {
  if (budgets.length === 0) {
    return ['has no PodDisruptionBudget, so draining nodes one after another (an upgrade) may evict the replica that just moved before it is ready'];
  }
  if (size === 0) return [];
  return budgets.flatMap((budget) => {
    const { maxUnavailable, minAvailable } = budget.json.spec ?? {};
    const allowed = maxUnavailable !== undefined ? scaled(maxUnavailable, size) : size - scaled(minAvailable ?? 0, size);
    return allowed >= 1 ? [] : [`its PodDisruptionBudget ${budget.json.metadata?.name} allows ${allowed} evictions at its minimum of ${size} replicas, so a drain of its node waits forever`];
  });
}
