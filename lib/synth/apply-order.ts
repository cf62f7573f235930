import { Chart } from 'cdk8s';

/**
 * The order in which the objects of one file are applied: what an object refers to comes before
 * it. `kubectl apply -f` creates objects in file order, so a Deployment written before its
 * ServiceAccount, ConfigMap or claim starts pods that fail until the rest arrives, and a custom
 * resource written before its definition is refused.
 *
 * Each entry is one step; the objects of a step keep their construct order. A kind is
 * `group/Kind`, or `Kind` alone for the core group (`v1`). Kinds not listed (custom resources such
 * as PodMonitor, PrometheusRule, Plan, HelmChart or Application) come last: they refer to the
 * objects above, never the other way round.
 */
export const APPLY_ORDER: ReadonlyArray<readonly string[]> = [
  ['Namespace'],
  ['apiextensions.k8s.io/CustomResourceDefinition'],
  ['networking.k8s.io/NetworkPolicy'],
  ['ResourceQuota', 'LimitRange'],
  ['scheduling.k8s.io/PriorityClass', 'node.k8s.io/RuntimeClass'],
  ['ServiceAccount'],
  ['rbac.authorization.k8s.io/ClusterRole', 'rbac.authorization.k8s.io/Role'],
  ['rbac.authorization.k8s.io/ClusterRoleBinding', 'rbac.authorization.k8s.io/RoleBinding'],
  ['ConfigMap', 'Secret'],
  ['storage.k8s.io/StorageClass', 'PersistentVolume'],
  ['PersistentVolumeClaim'],
  ['Service'],
  ['apps/Deployment', 'apps/StatefulSet', 'apps/DaemonSet', 'apps/ReplicaSet', 'Pod', 'batch/Job', 'batch/CronJob'],
  ['policy/PodDisruptionBudget'],
  ['autoscaling/HorizontalPodAutoscaler', 'keda.sh/ScaledObject', 'keda.sh/ScaledJob'],
];

const RANKS: ReadonlyMap<string, number> = new Map(APPLY_ORDER.flatMap((step, rank) => step.map((kind): [string, number] => [kind, rank])));
const LAST = APPLY_ORDER.length;

/** The apiVersion and kind of a synthesized object. */
export interface TypedObject {
  readonly apiVersion?: unknown;
  readonly kind?: unknown;
}

/** The step of {@link APPLY_ORDER} an object belongs to: one past the last for kinds not listed. */
export function applyRank(object: TypedObject): number {
  if (typeof object.kind !== 'string') return LAST;
  const apiVersion = typeof object.apiVersion === 'string' ? object.apiVersion : '';
  // `apps/v1` is group `apps`; `v1` is the core group, written without one.
  const group = apiVersion.includes('/') ? apiVersion.slice(0, apiVersion.lastIndexOf('/')) : '';
  return RANKS.get(group === '' ? object.kind : `${group}/${object.kind}`) ?? LAST;
}

/**
 * The objects in {@link APPLY_ORDER}, in construct order within a step: a stable bucket sort, so
 * objects are only moved, never changed, and the work is linear in their number.
 */
export function inApplyOrder<T extends TypedObject>(objects: readonly T[]): T[] {
  const steps: T[][] = Array.from({ length: LAST + 1 }, () => []);
  for (const object of objects) steps[applyRank(object)].push(object);
  return steps.flat();
}

/**
 * A chart whose objects come out in {@link APPLY_ORDER}: from `toJson()`, so a plain cdk8s `App`
 * writes its file in that order and `Testing.synth` returns it so. `LayeredApp` orders every chart
 * it writes this way, whatever its class; this class gives the same order to apps that are not
 * a `LayeredApp`.
 *
 * The order replaces cdk8s's dependency order within the chart: objects of one chart are ordered
 * by kind, not by `addDependency` between them.
 */
export class ApplyOrderedChart extends Chart {
  /** The chart's objects as cdk8s renders them, in apply order. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- as Chart.toJson()
  public override toJson(): any[] {
    return inApplyOrder(super.toJson());
  }
}
