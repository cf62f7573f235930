import { App } from 'cdk8s';
import { IConstruct } from 'constructs';
import { AnalysisService } from '../analysis/analysis-service';
import { GpuInventory } from '../inference/gpu-inventory';
import { GpuPlacement, PLACEMENT_COLUMNS, describeUnplaced, placementRows, placementUnit } from '../inference/gpu-placement';
import { GpuWorkerPool } from '../inference/gpu-worker-pool';
import { Amount, ZERO, add, podResources, times } from './pod-resources';
import { IndexedObject, Json, indexObjects, namespaceOf } from '../synth/policy/_objects';
import { StreamIngest } from '../ingest/stream-ingest';
import { SourceCamera, StreamSource } from '../cameras/stream-source';
import { BesideOutputOptions, MarkdownReport, besideOutput } from './beside-output';

/** Options of {@link CapacityReport.of}. */
export interface CapacityReportOptions {
  /**
   * The camera label that names a camera's site.
   * @default 'site'
   */
  readonly siteLabel?: string;
  /**
   * Nodes of the cluster, to count DaemonSets that may run on every node.
   * @default - unknown: such DaemonSets are counted per node, beside the totals
   */
  readonly clusterNodes?: number;
}

/** Options of {@link CapacityReport.writeBeside}. */
/** Options of {@link CapacityReport.writeBeside}: the report's options, and where it goes (`reports/capacity.md` by default). */
export interface CapacityReportFileOptions extends CapacityReportOptions, BesideOutputOptions {}

/** A count at the minimum and at the maximum scale. */
export interface MinMax<T> {
  readonly min: T;
  readonly max: T;
}

/** CPU and memory. */
export interface CpuMemory {
  /** CPU in millicores. */
  readonly cpuMillis: number;
  /** Memory in bytes. */
  readonly memoryBytes: number;
}

/** What a pod (or a set of pods) asks the scheduler for, and the most it may use. */
export interface RequestsAndLimits {
  readonly requests: CpuMemory;
  readonly limits: CpuMemory;
}

/** The cameras of one site. */
export interface SiteCapacity {
  /** Value of the site label; `(no site)` for cameras without it. */
  readonly site: string;
  /** Cameras of the site, over every StreamIngest. */
  readonly cameras: number;
  /** Ingest shards that pull at least one camera of the site. */
  readonly ingestShards: number;
  /** Names of the detection types that analyse at least one camera of the site, sorted. */
  readonly detections: readonly string[];
}

/** One detection type at one site. */
export interface SiteDetectionCapacity {
  readonly site: string;
  /** Name of the AnalysisService. */
  readonly detection: string;
  readonly namespace: string;
  /** Cameras of the site the service analyses. */
  readonly cameras: number;
  /** Ingest shards those cameras come from; undefined when the service does not read a StreamIngest of the scope. */
  readonly ingestShards?: number;
  /** Replicas of the service. They serve every site of the service, not this one alone. */
  readonly analysisReplicas: MinMax<number>;
  /** Number of sites the service (and so its replicas) serves. */
  readonly sitesServed: number;
}

/** One GPU inference pool. */
export interface InferencePoolCapacity {
  readonly pool: string;
  readonly namespace: string;
  /** Construct path of the GpuInventory the pool reserves in; undefined if none of the scope holds it. */
  readonly inventory?: string;
  readonly workers: MinMax<number>;
  /** Units of `nvidia.com/gpu` per worker: GPUs, or GPU slices with time-slicing. */
  readonly slicesPerWorker: number;
  /** Units of `nvidia.com/gpu` of all workers. */
  readonly slices: MinMax<number>;
  /** The same in physical GPUs (slices / slices per GPU); undefined without an inventory. */
  readonly gpus?: MinMax<number>;
  /**
   * GPU nodes the workers occupy: the pool's spread puts one worker on every node before any node
   * takes a second; undefined without an inventory.
   */
  readonly nodes?: MinMax<number>;
}

/** Declared GPU supply against the peak demand of its consumers. */
export interface GpuInventoryCapacity {
  /** Construct path of the GpuInventory. */
  readonly inventory: string;
  readonly nodes: number;
  readonly gpusPerNode: number;
  /** Units of `nvidia.com/gpu` per physical GPU: 1 without time-slicing. */
  readonly slicesPerGpu: number;
  /** Units of `nvidia.com/gpu` the nodes advertise. */
  readonly capacitySlices: number;
  /** Units every consumer may take at maximum scale, together. */
  readonly demandSlices: number;
  /** Capacity minus demand; negative when the demand does not fit. */
  readonly headroomSlices: number;
  /** Headroom as a percentage of capacity, rounded to one decimal. */
  readonly headroomPercent: number;
  /** Physical GPUs: nodes × GPUs per node. */
  readonly capacityGpus: number;
  /** Demand in physical GPUs. */
  readonly demandGpus: number;
  /** Each consumer's peak, e.g. `video-analytics/yolo: 4 workers × 2 = 8`. */
  readonly consumers: readonly string[];
  /**
   * Every consumer's workers at maximum scale, node by node and GPU by GPU, as synthesis places
   * them (it fails if any worker is left out).
   */
  readonly placement: GpuPlacement;
}

/** Pods and their requests and limits, at the minimum and maximum scale. */
export interface ResourceTotals {
  readonly pods: MinMax<number>;
  readonly requests: MinMax<CpuMemory>;
  readonly limits: MinMax<CpuMemory>;
  /** What DaemonSets of unknown node count add on every node (not in the other figures). */
  readonly perNode: RequestsAndLimits;
}

/** The totals of one namespace. */
export interface NamespaceCapacity extends ResourceTotals {
  readonly namespace: string;
}

/** One workload: how many pods it runs and what each asks for. */
export interface WorkloadCapacity {
  readonly namespace: string;
  readonly kind: string;
  readonly name: string;
  /** Pods at the minimum and maximum scale; undefined for a DaemonSet counted per node. */
  readonly pods?: MinMax<number>;
  /** Where the pod count comes from, e.g. `spec.replicas`, `HorizontalPodAutoscaler smoke` or `GpuInventory ... (2 nodes)`. */
  readonly countedBy: string;
  /** One pod, as the scheduler counts it (init containers against the sum of the others, plus pod overhead). */
  readonly perPod: RequestsAndLimits;
}

/** Everything the report states, for tests and tools. */
export interface CapacityReportData {
  readonly sites: readonly SiteCapacity[];
  readonly siteDetections: readonly SiteDetectionCapacity[];
  readonly inferencePools: readonly InferencePoolCapacity[];
  readonly gpuInventories: readonly GpuInventoryCapacity[];
  readonly namespaces: readonly NamespaceCapacity[];
  /** The namespaces together. */
  readonly total: ResourceTotals;
  readonly workloads: readonly WorkloadCapacity[];
  /** What the figures leave out or assume, e.g. a container without limits. */
  readonly notes: readonly string[];
}

const NO_SITE = '(no site)';
const REPLICATED_KINDS = new Set(['Deployment', 'StatefulSet', 'ReplicaSet']);
const IGNORED_KINDS = new Set(['Job', 'CronJob']);
/**
 * The kinds the report reads: pods and their workloads, what scales them, runtime overheads, and
 * the kinds it notes as not counted. At 10,000 cameras, serializing only these instead of every
 * object (the Prometheus rule ConfigMap alone renders 1,875 rule files) cut the report from 1 s.
 */
const READ_KINDS: ReadonlySet<string> = new Set([
  ...REPLICATED_KINDS, ...IGNORED_KINDS, 'Pod', 'DaemonSet', 'HorizontalPodAutoscaler', 'ScaledObject', 'RuntimeClass', 'HelmChart',
]);

/**
 * How much the platform asks of the cluster, computed from the constructs and the objects they
 * synthesize: cameras, ingest shards and analysis replicas per site and detection type; GPU
 * workers, slices, GPUs and nodes per inference pool; headroom of each GpuInventory at maximum
 * scale; and CPU and memory requests and limits per namespace, at the minimum and maximum scale.
 *
 * Build it once the platform is complete (after `app.synth()` in `main.ts`): it reads the
 * objects' JSON, and the monitoring bundle fixes what it scrapes when that is first read.
 *
 * @example
 * app.synth();
 * CapacityReport.writeBeside(app); // reports/capacity.md, beside dist/
 */
export class CapacityReport extends MarkdownReport {
  /** The report of every construct under `scope` (usually the App). */
  public static of(scope: IConstruct, options: CapacityReportOptions = {}): CapacityReport {
    return new CapacityReport(scope, options);
  }

  /**
   * Writes the Markdown report beside the app's output folder, never in it (Argo CD would read
   * it as a manifest): `reports/capacity.md` next to `dist/` by default.
   * @returns the path written
   */
  public static writeBeside(app: App, options: CapacityReportFileOptions = {}): string {
    return CapacityReport.of(app, options).writeMarkdown(besideOutput(app, options, 'capacity.md'));
  }

  private data?: CapacityReportData;

  private constructor(private readonly scope: IConstruct, private readonly options: CapacityReportOptions) {
    super();
    const nodes = options.clusterNodes;
    if (nodes !== undefined && !(Number.isInteger(nodes) && nodes >= 1)) {
      throw new Error(`CapacityReport: 'clusterNodes' (${nodes}) must be an integer >= 1. Leave it out to count node-wide DaemonSets per node.`);
    }
  }

  /** The figures, computed once. */
  public toJson(): CapacityReportData {
    this.data ??= computeReport(this.scope, { siteLabel: this.options.siteLabel ?? 'site', clusterNodes: this.options.clusterNodes });
    return this.data;
  }

  /** The report as Markdown: stable text, sorted, without timestamps. */
  public override toMarkdown(): string {
    return renderMarkdown(this.toJson(), this.options.siteLabel ?? 'site');
  }

}


interface Settings {
  readonly siteLabel: string;
  readonly clusterNodes?: number;
}

function computeReport(scope: IConstruct, settings: Settings): CapacityReportData {
  const constructs = scope.node.findAll();
  const ingests = constructs.filter((c): c is StreamIngest => c instanceof StreamIngest);
  const services = constructs.filter((c): c is AnalysisService => c instanceof AnalysisService);
  const pools = constructs.filter((c): c is GpuWorkerPool => c instanceof GpuWorkerPool);
  const inventories = constructs.filter((c): c is GpuInventory => c instanceof GpuInventory);
  const notes: string[] = [];
  const workloads = workloadCapacities(indexObjects(scope, (object) => object.toJson(), READ_KINDS), inventories, settings, notes);
  const siteDetections = siteDetectionCapacities(services, ingests, settings.siteLabel);
  return {
    sites: siteCapacities(ingests, siteDetections, settings.siteLabel),
    siteDetections,
    inferencePools: pools.map((pool) => poolCapacity(pool, inventories)).sort(by((p) => `${p.namespace}/${p.pool}`)),
    gpuInventories: inventories.map(inventoryCapacity).sort(by((i) => i.inventory)),
    namespaces: namespaceCapacities(workloads),
    total: totals(workloads),
    workloads,
    notes: [...new Set(notes)].sort(),
  };
}

// ---------------------------------------------------------------------------------------------
// Sites and detections

function siteOf(labels: { readonly [key: string]: string } | undefined, siteLabel: string): string {
  return labels?.[siteLabel] ?? NO_SITE;
}

/** Shard index of every camera of an ingest, by camera id. */
function shardsByCamera(ingest: StreamIngest): Map<string, number> {
  return new Map(ingest.shards.flatMap((shard) => shard.cameraIds.map((id): [string, number] => [id, shard.index])));
}

function siteDetectionCapacities(services: readonly AnalysisService[], ingests: readonly StreamIngest[], siteLabel: string): SiteDetectionCapacity[] {
  const shardMaps = new Map(ingests.map((ingest) => [`${ingest.namespace}/${ingest.name}`, shardsByCamera(ingest)]));
  // Services of one source share its camera list: index it once, not once per service.
  const cameraIndexes = new Map<StreamSource, Map<string, SourceCamera>>();
  return services.flatMap((service) => {
    const source = service.streamSource;
    const shards = shardMaps.get(`${source.namespace}/${source.name}`);
    if (!cameraIndexes.has(source)) cameraIndexes.set(source, new Map(source.cameras.map((c) => [c.spec.id, c])));
    const index = cameraIndexes.get(source)!;
    const analysed = service.cameraIds.flatMap((id) => index.get(id) ?? []);
    const bySite = groupBy(analysed, (c) => siteOf(c.spec.labels, siteLabel));
    return [...bySite].map(([site, cameras]): SiteDetectionCapacity => ({
      site,
      detection: service.name,
      namespace: service.namespace,
      cameras: cameras.length,
      ingestShards: shards && new Set(cameras.map((c) => shards.get(c.spec.id))).size,
      analysisReplicas: { min: service.minReplicas, max: service.maxReplicas },
      sitesServed: bySite.size,
    }));
  }).sort(by((d) => `${d.site}\0${d.detection}\0${d.namespace}`));
}

function siteCapacities(ingests: readonly StreamIngest[], detections: readonly SiteDetectionCapacity[], siteLabel: string): SiteCapacity[] {
  const cameras = ingests.flatMap((ingest) => {
    const shards = shardsByCamera(ingest);
    return ingest.cameraSpecs.map((spec) => ({ site: siteOf(spec.labels, siteLabel), shard: `${ingest.namespace}/${ingest.name}/${shards.get(spec.id)}` }));
  });
  const bySite = groupBy(cameras, (c) => c.site);
  const sites = new Set([...bySite.keys(), ...detections.map((d) => d.site)]);
  return [...sites].sort().map((site) => ({
    site,
    cameras: bySite.get(site)?.length ?? 0,
    ingestShards: new Set((bySite.get(site) ?? []).map((c) => c.shard)).size,
    detections: [...new Set(detections.filter((d) => d.site === site).map((d) => d.detection))].sort(),
  }));
}

// ---------------------------------------------------------------------------------------------
// GPUs

function consumerName(pool: GpuWorkerPool): string {
  return pool.gpuDemand().consumer;
}

function poolCapacity(pool: GpuWorkerPool, inventories: readonly GpuInventory[]): InferencePoolCapacity {
  const inventory = inventories.find((i) => i.demands.some((d) => d.consumer === consumerName(pool)));
  const workers = { min: pool.minWorkers, max: pool.maxWorkers };
  const slices = { min: workers.min * pool.slicesPerWorker, max: workers.max * pool.slicesPerWorker };
  if (inventory === undefined) return { pool: pool.name, namespace: pool.namespace, workers, slicesPerWorker: pool.slicesPerWorker, slices };
  // The pool's spread: a second worker on a node only once every node has one.
  const nodesFor = (count: number): number => Math.min(count, inventory.nodes);
  return {
    pool: pool.name,
    namespace: pool.namespace,
    inventory: inventory.node.path,
    workers,
    slicesPerWorker: pool.slicesPerWorker,
    slices,
    gpus: { min: slices.min / inventory.sharing.replicas, max: slices.max / inventory.sharing.replicas },
    nodes: { min: nodesFor(workers.min), max: nodesFor(workers.max) },
  };
}

function inventoryCapacity(inventory: GpuInventory): GpuInventoryCapacity {
  const demands = inventory.demands;
  const demandSlices = demands.reduce((sum, d) => sum + d.maxWorkers * d.slicesPerWorker, 0);
  const headroomSlices = inventory.capacity - demandSlices;
  return {
    inventory: inventory.node.path,
    nodes: inventory.nodes,
    gpusPerNode: inventory.gpusPerNode,
    slicesPerGpu: inventory.sharing.replicas,
    capacitySlices: inventory.capacity,
    demandSlices,
    headroomSlices,
    headroomPercent: Math.round((headroomSlices / inventory.capacity) * 1000) / 10,
    capacityGpus: inventory.nodes * inventory.gpusPerNode,
    demandGpus: demandSlices / inventory.sharing.replicas,
    consumers: demands.map((d) => `${d.consumer}: ${d.maxWorkers} workers × ${d.slicesPerWorker} = ${d.maxWorkers * d.slicesPerWorker}`).sort(),
    placement: inventory.placement(),
  };
}

// ---------------------------------------------------------------------------------------------
// Workloads and namespaces

function describe(object: IndexedObject): string {
  return `${object.json.kind} ${namespaceOf(object)}/${object.json.metadata?.name}`;
}

function workloadCapacities(objects: readonly IndexedObject[], inventories: readonly GpuInventory[], settings: Settings, notes: string[]): WorkloadCapacity[] {
  const overheads = new Map(objects.filter((o) => o.json.kind === 'RuntimeClass' && o.json.overhead?.podFixed)
    .map((o) => [o.json.metadata?.name as string, o.json.overhead.podFixed as Json]));
  const autoscalers = groupBy(objects.filter((o) => o.json.kind === 'HorizontalPodAutoscaler' || o.json.kind === 'ScaledObject'),
    (o) => `${namespaceOf(o)}\0${o.json.spec?.scaleTargetRef?.name}`);
  const workloads: WorkloadCapacity[] = [];
  for (const object of objects) {
    const kind = object.json.kind;
    if (IGNORED_KINDS.has(kind)) notes.push(`${describe(object)} is not counted: Jobs run to completion.`);
    if (kind === 'HelmChart') notes.push(`HelmChart ${namespaceOf(object)}/${object.json.metadata?.name}: the pods it installs are not among the synthesized objects and are not counted.`);
    const spec = kind === 'Pod' ? object.json.spec : REPLICATED_KINDS.has(kind) || kind === 'DaemonSet' ? object.json.spec?.template?.spec : undefined;
    if (spec === undefined) continue;
    const pod = podResources(spec, spec.overhead ?? overheads.get(spec.runtimeClassName), describe(object));
    for (const container of pod.unlimited) notes.push(`${describe(object)}: container '${container}' has no CPU or memory limit, counted as 0 (its pods may use a whole node).`);
    const count = kind === 'DaemonSet' ? daemonSetPods(object, inventories, settings) : kind === 'Pod' ? BARE_POD : replicatedPods(object, autoscalers);
    workloads.push({
      namespace: namespaceOf(object),
      kind,
      name: object.json.metadata?.name,
      ...count,
      perPod: { requests: pod.requests, limits: pod.limits },
    });
  }
  return workloads.sort(by((w) => `${w.namespace}\0${w.kind}\0${w.name}`));
}

type PodCount = { readonly pods?: MinMax<number>; readonly countedBy: string };

const BARE_POD: PodCount = { pods: { min: 1, max: 1 }, countedBy: 'a bare Pod' };

/**
 * The autoscaler's bounds when one targets the workload (it owns the count), else `replicas`.
 * @param autoscalers HorizontalPodAutoscalers and ScaledObjects by namespace and target name
 */
function replicatedPods(workload: IndexedObject, autoscalers: ReadonlyMap<string, readonly IndexedObject[]>): PodCount {
  const { kind } = workload.json;
  const candidates = autoscalers.get(`${namespaceOf(workload)}\0${workload.json.metadata?.name}`) ?? [];
  const targets = (autoscaler: IndexedObject, defaultKind?: string): boolean => (autoscaler.json.spec?.scaleTargetRef?.kind ?? defaultKind) === kind;
  const hpa = candidates.find((o) => o.json.kind === 'HorizontalPodAutoscaler' && targets(o));
  if (hpa) return { pods: { min: hpa.json.spec.minReplicas ?? 1, max: hpa.json.spec.maxReplicas }, countedBy: `HorizontalPodAutoscaler ${hpa.json.metadata?.name}` };
  // KEDA's defaults: minReplicaCount 0, maxReplicaCount 100, target kind Deployment.
  const scaled = candidates.find((o) => o.json.kind === 'ScaledObject' && targets(o, 'Deployment'));
  if (scaled) return { pods: { min: scaled.json.spec.minReplicaCount ?? 0, max: scaled.json.spec.maxReplicaCount ?? 100 }, countedBy: `ScaledObject ${scaled.json.metadata?.name}` };
  const replicas = workload.json.spec?.replicas;
  return replicas === undefined ? { pods: { min: 1, max: 1 }, countedBy: 'default (1 replica)' } : { pods: { min: replicas, max: replicas }, countedBy: 'spec.replicas' };
}

/** One pod per node it may run on: a GPU inventory's nodes, every node (when known), or per node. */
function daemonSetPods(daemonSet: IndexedObject, inventories: readonly GpuInventory[], settings: Settings): PodCount {
  const spec: Json = daemonSet.json.spec?.template?.spec ?? {};
  const inventory = inventories.find((i) => Object.keys(i.nodeSelector).length > 0 && Object.entries(i.nodeSelector).every(([k, v]) => requiresNodeLabel(spec, k, v)));
  if (inventory) return { pods: { min: inventory.nodes, max: inventory.nodes }, countedBy: `GpuInventory ${inventory.node.path} (${inventory.nodes} nodes)` };
  if (!restrictsNodes(spec) && settings.clusterNodes !== undefined) {
    return { pods: { min: settings.clusterNodes, max: settings.clusterNodes }, countedBy: `every node (${settings.clusterNodes})` };
  }
  return { countedBy: 'every node (count unknown)' };
}

function requiredTerms(spec: Json): Json[] {
  return spec.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms ?? [];
}

/** Whether every node the pod may land on carries `key=value`, by its nodeSelector or by every required affinity term. */
function requiresNodeLabel(spec: Json, key: string, value: string): boolean {
  if (spec.nodeSelector?.[key] === value) return true;
  const terms = requiredTerms(spec);
  return terms.length > 0 && terms.every((term) => (term.matchExpressions ?? [])
    .some((e: Json) => e.key === key && e.operator === 'In' && Array.isArray(e.values) && e.values.length === 1 && e.values[0] === value));
}

function restrictsNodes(spec: Json): boolean {
  return Object.keys(spec.nodeSelector ?? {}).length > 0 || requiredTerms(spec).length > 0;
}

function totals(workloads: readonly WorkloadCapacity[]): ResourceTotals {
  const counted = workloads.filter((w) => w.pods !== undefined);
  const perNode = workloads.filter((w) => w.pods === undefined);
  const sum = (scale: 'min' | 'max', field: 'requests' | 'limits'): Amount =>
    counted.reduce((total, w) => add(total, times(w.perPod[field], w.pods![scale])), ZERO);
  return {
    pods: { min: counted.reduce((n, w) => n + w.pods!.min, 0), max: counted.reduce((n, w) => n + w.pods!.max, 0) },
    requests: { min: sum('min', 'requests'), max: sum('max', 'requests') },
    limits: { min: sum('min', 'limits'), max: sum('max', 'limits') },
    perNode: {
      requests: perNode.reduce((total, w) => add(total, w.perPod.requests), ZERO),
      limits: perNode.reduce((total, w) => add(total, w.perPod.limits), ZERO),
    },
  };
}

function namespaceCapacities(workloads: readonly WorkloadCapacity[]): NamespaceCapacity[] {
  return [...groupBy(workloads, (w) => w.namespace)].sort(by(([namespace]) => namespace))
    .map(([namespace, members]) => ({ namespace, ...totals(members) }));
}

// ---------------------------------------------------------------------------------------------
// Markdown

function renderMarkdown(data: CapacityReportData, siteLabel: string): string {
  const sections = [
    '# Capacity report',
    [
      'Computed from the constructs and the objects they synthesize. Pods are counted at the minimum and the maximum',
      'scale: `replicas`, or the bounds of the autoscaler that owns the workload; DaemonSets once per node they may run on.',
      'Requests and limits are per pod as the scheduler counts them: the largest init container against the sum of the',
      'others, plus RuntimeClass overhead. CPU is in cores, memory in binary units (MiB, GiB).',
    ].join('\n'),
    '## Sites',
    table(['Site', 'Cameras', 'Ingest shards', 'Detections'], 'lrrl',
      data.sites.map((s) => [s.site, num(s.cameras), num(s.ingestShards), s.detections.join(', ') || '—']),
      `No cameras with a \`${siteLabel}\` label.`),
    '## Detections by site',
    'Replicas belong to the service: a service that analyses several sites shares them among those sites.',
    table(['Site', 'Detection', 'Namespace', 'Cameras', 'Ingest shards', 'Replicas (min)', 'Replicas (max)', 'Sites served'], 'lllrrrrr',
      data.siteDetections.map((d) => [d.site, d.detection, d.namespace, num(d.cameras), d.ingestShards === undefined ? '—' : num(d.ingestShards),
        num(d.analysisReplicas.min), num(d.analysisReplicas.max), num(d.sitesServed)]),
      'No analysis services.'),
    '## Inference pools',
    table(['Pool', 'Namespace', 'GPU inventory', 'Workers (min)', 'Workers (max)', 'Slices per worker', 'Slices at max', 'GPUs at max', 'Nodes at max'], 'lllrrrrrr',
      data.inferencePools.map((p) => [p.pool, p.namespace, p.inventory ?? '—', num(p.workers.min), num(p.workers.max), num(p.slicesPerWorker),
        num(p.slices.max), p.gpus ? num(p.gpus.max) : '—', p.nodes ? num(p.nodes.max) : '—']),
      'No inference pools.'),
    '## GPU inventories',
    'Capacity against the demand of every consumer at maximum scale, in units of `nvidia.com/gpu` (GPU slices with time-slicing).',
    table(['Inventory', 'Nodes', 'GPUs per node', 'Slices per GPU', 'Capacity', 'Demand at max', 'Headroom', 'Headroom %', 'GPUs (demand / capacity)', 'Consumers'], 'lrrrrrrrrl',
      data.gpuInventories.map((i) => [i.inventory, num(i.nodes), num(i.gpusPerNode), num(i.slicesPerGpu), num(i.capacitySlices), num(i.demandSlices),
        num(i.headroomSlices), `${num(i.headroomPercent)}%`, `${num(i.demandGpus)} / ${num(i.capacityGpus)}`, i.consumers.join('; ') || '—']),
      'No GPU inventories.'),
    ...data.gpuInventories.flatMap(placementSection),
    '## Requests and limits per namespace',
    table(['Namespace', 'Pods (min)', 'Pods (max)', 'CPU requests (min)', 'CPU requests (max)', 'Memory requests (min)', 'Memory requests (max)',
      'CPU limits (min)', 'CPU limits (max)', 'Memory limits (min)', 'Memory limits (max)', 'Per node (DaemonSets)'], 'lrrrrrrrrrrl',
    [...data.namespaces.map((n) => totalsRow(n.namespace, n)), totalsRow('**Total**', data.total)],
    'No workloads.'),
    '## Workloads',
    table(['Namespace', 'Kind', 'Name', 'Pods', 'Counted by', 'CPU request', 'Memory request', 'CPU limit', 'Memory limit'], 'lllrlrrrr',
      data.workloads.map((w) => [w.namespace, w.kind, w.name, w.pods ? range(w.pods) : 'per node', w.countedBy,
        cores(w.perPod.requests.cpuMillis), bytes(w.perPod.requests.memoryBytes), cores(w.perPod.limits.cpuMillis), bytes(w.perPod.limits.memoryBytes)]),
      'No workloads.'),
  ];
  if (data.notes.length > 0) sections.push('## Notes', data.notes.map((note) => `- ${note}`).join('\n'));
  return `${sections.join('\n\n')}\n`;
}

/**
 * The placement synthesis checks, one row per GPU: the sum of the slices may fit while a worker
 * finds no GPU (or node) with room for it.
 */
function placementSection(inventory: GpuInventoryCapacity): string[] {
  const supply = { nodes: inventory.nodes, gpusPerNode: inventory.gpusPerNode, slicesPerGpu: inventory.slicesPerGpu, timeSliced: inventory.slicesPerGpu > 1 };
  const unplaced = inventory.placement.unplaced.map((u) => `- Not placed: ${describeUnplaced(u, supply)}.`);
  return [
    `### Placement at maximum scale: ${inventory.inventory}`,
    [
      `Every consumer's workers at maximum scale, as synthesis places them: ${supply.timeSliced ? "a worker's slices on one GPU" : "a worker's GPUs on one node"},`,
      "a pool's workers spread over the nodes (no node takes a second worker of a pool while another has none), largest workers first.",
      `Used and free in ${placementUnit(supply)}. Nodes are numbered: the inventory declares how many, not which.`,
    ].join('\n'),
    table(PLACEMENT_COLUMNS, 'lrrrl', placementRows(inventory.placement), 'No GPUs.'),
    ...(unplaced.length > 0 ? [unplaced.join('\n')] : []),
  ];
}

function totalsRow(label: string, t: ResourceTotals): string[] {
  const perNode = t.perNode.requests.cpuMillis + t.perNode.requests.memoryBytes + t.perNode.limits.cpuMillis + t.perNode.limits.memoryBytes === 0 ? '—'
    : `requests ${cores(t.perNode.requests.cpuMillis)} CPU, ${bytes(t.perNode.requests.memoryBytes)}; limits ${cores(t.perNode.limits.cpuMillis)} CPU, ${bytes(t.perNode.limits.memoryBytes)}`;
  return [label, num(t.pods.min), num(t.pods.max),
    cores(t.requests.min.cpuMillis), cores(t.requests.max.cpuMillis), bytes(t.requests.min.memoryBytes), bytes(t.requests.max.memoryBytes),
    cores(t.limits.min.cpuMillis), cores(t.limits.max.cpuMillis), bytes(t.limits.min.memoryBytes), bytes(t.limits.max.memoryBytes), perNode];
}

/** A Markdown table; `align` has one letter per column, `l` or `r`. */
export function table(header: readonly string[], align: string, rows: readonly (readonly string[])[], empty: string): string {
  if (rows.length === 0) return `_${empty}_`;
  const line = (cells: readonly string[]): string => `| ${cells.map((c) => c.replace(/\|/g, '\\|')).join(' | ')} |`;
  const rule = `|${header.map((_, i) => (align[i] === 'r' ? '---:' : ':---')).join('|')}|`;
  return [line(header), rule, ...rows.map(line)].join('\n');
}

/** At most three decimals, without trailing zeros: figures are exact to the millicore. */
export function num(value: number): string {
  return String(Math.round(value * 1000) / 1000);
}

export function range(value: MinMax<number>): string {
  return value.min === value.max ? num(value.min) : `${num(value.min)}–${num(value.max)}`;
}

function cores(millis: number): string {
  return num(millis / 1000);
}

const UNITS: ReadonlyArray<[string, number]> = [['TiB', 2 ** 40], ['GiB', 2 ** 30], ['MiB', 2 ** 20], ['KiB', 2 ** 10]];

/** In the largest unit that shows the value exactly with at most three decimals: `1.5 GiB`, `1856 MiB`. */
function bytes(value: number): string {
  const exact = ([, size]: [string, number]): boolean => value >= size && Number.isInteger((value * 1000) / size);
  const [unit, size] = UNITS.find(exact) ?? ['B', 1];
  return `${num(value / size)} ${unit}`;
}

// ---------------------------------------------------------------------------------------------

function groupBy<T>(items: readonly T[], key: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    const group = groups.get(k);
    if (group) group.push(item);
    else groups.set(k, [item]);
  }
  return groups;
}

/** A comparator on a string key: code-point order, the same on every machine and locale. */
function by<T>(key: (item: T) => string): (a: T, b: T) => number {
  return (a, b) => {
    const ka = key(a);
    const kb = key(b);
    return ka < kb ? -1 : ka > kb ? 1 : 0;
  };
}
