import { Construct } from 'constructs';
import { propError, requireInteger } from '../core/errors';
import { describeDemand, describeSupply, formatSlices } from './gpu-capacity';
import { GpuPlacement, GpuSupply, describeUnplaced, placeAtMaximumScale, placementTable } from './gpu-placement';
import { labelValue, qualifiedName } from '../core/names';

export type { GpuPlacement, GpuSupply, GpuWorkerRef, PlacedGpu, UnplacedWorkers } from './gpu-placement';

/** The label the reference K3s agents with GPUs carry; the GPU Operator sets it too. */
export const GPU_PRESENT_LABEL = 'nvidia.com/gpu.present';

/** Options of {@link GpuSharing.timeSlicing}. */
export interface TimeSlicingOptions {
  /**
   * How many slices the device plugin advertises per physical GPU: up to this many pods share one GPU.
   * @see https://github.com/NVIDIA/k8s-device-plugin#shared-access-to-gpus
   */
  readonly replicas: number;
}

/**
 * How the NVIDIA device plugin hands out the GPUs of a node. The setting applies to every GPU of
 * every GPU node, so it is declared once, on the {@link GpuInventory}.
 */
export class GpuSharing {
  /** Each GPU goes to one pod at a time: `nvidia.com/gpu: 1` is one physical GPU. */
  public static exclusive(): GpuSharing {
    return new GpuSharing(false, 1);
  }

  /**
   * CUDA time-slicing: the device plugin advertises `replicas` units of `nvidia.com/gpu` per
   * physical GPU. Pods that share a GPU take turns on it; there is no memory or fault isolation,
   * so every model on a GPU must fit its memory together.
   */
  public static timeSlicing(options: TimeSlicingOptions): GpuSharing {
    return new GpuSharing(true, options.replicas);
  }

  private constructor(
    /** Whether GPUs are time-sliced. */
    public readonly isTimeSliced: boolean,
    /** Units of `nvidia.com/gpu` per physical GPU: 1 without time-slicing. */
    public readonly replicas: number,
  ) {}
}

/**
 * How much GPU each worker of a pool gets. The device plugin only hands out whole units of
 * `nvidia.com/gpu`: a whole GPU without time-slicing, one slice of a GPU with it. A share is
 * therefore a whole number of slices, and only allowed where the inventory time-slices.
 */
export class GpuRequest {
  /**
   * `count` physical GPUs per worker, used by no other pod. Only on an inventory without time-slicing.
   * @param count a whole number of GPUs, at least 1
   */
  public static whole(count: number): GpuRequest {
    return new GpuRequest(false, count);
  }

  /**
   * A share of one time-sliced GPU per worker, e.g. `0.5` for two of the four slices of a GPU that
   * is sliced four ways: at most two such workers then take turns on one GPU. A scheduling
   * guarantee, not a compute guarantee: time-slicing gives each process equal turns.
   */
  public static shared(options: SharedGpuOptions): GpuRequest {
    return new GpuRequest(true, options.share);
  }

  private constructor(
    /** Whether this is a share of a time-sliced GPU. */
    public readonly isShared: boolean,
    /** GPUs (whole) or the share of one GPU (shared). */
    public readonly amount: number,
  ) {}

  /** E.g. `2 GPUs` or `0.5 of a GPU`, for messages. */
  public toString(): string {
    if (this.isShared) return `${this.amount} of a GPU`;
    return `${this.amount} GPU${this.amount === 1 ? '' : 's'}`;
  }
}

/** Options of {@link GpuRequest.shared}. */
export interface SharedGpuOptions {
  /** The share of one GPU, above 0 and at most 1, in steps of 1/replicas of the inventory's time-slicing. */
  readonly share: number;
}

/** What one GPU consumer may take at most, in units of `nvidia.com/gpu`. */
export interface GpuDemand {
  /** Who demands it, e.g. `video-analytics/yolo`. */
  readonly consumer: string;
  /** The most workers the consumer runs. */
  readonly maxWorkers: number;
  /** Units of `nvidia.com/gpu` each worker requests: GPUs, or slices with time-slicing. */
  readonly slicesPerWorker: number;
}

/** Anything that runs pods with GPUs: it reserves its peak demand in a {@link GpuInventory}. */
export interface IGpuConsumer {
  /** The peak GPU demand of this consumer. */
  gpuDemand(): GpuDemand;
}

/** Props of {@link GpuInventory}. */
export interface GpuInventoryProps {
  /** Number of GPU nodes in the cluster. */
  readonly nodes: number;
  /**
   * GPUs in each GPU node (MIG instances with MIG strategy `single`).
   * @default 1
   */
  readonly gpusPerNode?: number;
  /**
   * How the device plugin shares each GPU.
   * @default GpuSharing.exclusive()
   */
  readonly sharing?: GpuSharing;
  /**
   * Labels that every GPU node carries and no other node does; GPU workloads and the GPU node
   * daemons are scheduled on these nodes only.
   * @default { 'nvidia.com/gpu.present': 'true' }
   */
  readonly nodeSelector?: { readonly [key: string]: string };
}

/**
 * The GPUs of the cluster, as the platform declares them: nodes × GPUs per node × time-slices per
 * GPU. GPU consumers reserve their peak demand here (a {@link GpuWorkerPool} does so when it is
 * created); synthesis fails unless every consumer's workers at maximum scale can be placed node
 * by node ({@link placement}): a worker's slices on one GPU, whole GPUs on one node, a pool's
 * workers spread over the nodes. Workers beyond that would stay Pending exactly when the load is
 * highest, though the sum of the slices may fit.
 *
 * It creates no Kubernetes objects: {@link GpuNodeSupport} turns its sharing into device plugin
 * configuration, and pools turn its node selector into scheduling rules.
 */
export class GpuInventory extends Construct {
  /** Number of GPU nodes. */
  public readonly nodes: number;
  /** GPUs per GPU node. */
  public readonly gpusPerNode: number;
  /** How each GPU is shared. */
  public readonly sharing: GpuSharing;
  /** Labels that select the GPU nodes. */
  public readonly nodeSelector: Readonly<Record<string, string>>;

  private readonly consumers: IGpuConsumer[] = [];

  constructor(scope: Construct, id: string, props: GpuInventoryProps) {
    super(scope, id);
    validateProps(id, props);
    this.nodes = props.nodes;
    this.gpusPerNode = props.gpusPerNode ?? 1;
    this.sharing = props.sharing ?? GpuSharing.exclusive();
    this.nodeSelector = { ...(props.nodeSelector ?? { [GPU_PRESENT_LABEL]: 'true' }) };
    // Checked at synthesis, when every consumer has reserved, not when the first one does.
    this.node.addValidation({ validate: () => this.capacityErrors() });
  }

  /** Units of `nvidia.com/gpu` the device plugins advertise in total: the supply. */
  public get capacity(): number {
    return this.nodes * this.gpusPerNode * this.sharing.replicas;
  }

  /** Units of `nvidia.com/gpu` one node advertises: no single worker can request more. */
  public get capacityPerNode(): number {
    return this.gpusPerNode * this.sharing.replicas;
  }

  /**
   * Counts a consumer's peak demand against the supply. Reserving the same consumer twice counts it once.
   * @returns the demand reserved
   */
  public reserve(consumer: IGpuConsumer): GpuDemand {
    if (!this.consumers.includes(consumer)) this.consumers.push(consumer);
    return consumer.gpuDemand();
  }

  /** The peak demands reserved so far. */
  public get demands(): GpuDemand[] {
    return this.consumers.map((consumer) => consumer.gpuDemand());
  }

  /** The inventory's shape, for {@link placement}. */
  public get supply(): GpuSupply {
    return { nodes: this.nodes, gpusPerNode: this.gpusPerNode, slicesPerGpu: this.sharing.replicas, timeSliced: this.sharing.isTimeSliced };
  }

  /**
   * Every consumer's workers at maximum scale, packed node by node and GPU by GPU (first-fit
   * decreasing, each pool's workers round-robin over the nodes as its spread demands).
   */
  public placement(): GpuPlacement {
    return placeAtMaximumScale(this.supply, this.demands);
  }

  private capacityErrors(): string[] {
    const placement = this.placement();
    if (placement.unplaced.length === 0) return [];
    const short = placement.unplaced.map((u) => u.consumer);
    const smaller = this.sharing.isTimeSliced ? `give ${short.length === 1 ? 'its' : 'their'} workers a smaller share` : 'request fewer GPUs per worker';
    const error = propError('GpuInventory', this.node.id, 'capacity', describeSupply(this), this.placementRule(placement),
      `Add GPU nodes, or lower maxWorkers of ${short.join(', ')} or ${smaller}.`);
    return [`${error.message}\n${placementTable(placement, this.supply)}`];
  }

  /** What the placement needs and who finds no place, with the peak demand of every consumer. */
  private placementRule(placement: GpuPlacement): string {
    const demands = this.demands;
    const peak = demands.reduce((sum, d) => sum + d.maxWorkers * d.slicesPerWorker, 0);
    const oneGpu = this.sharing.isTimeSliced ? "a worker's slices come from one GPU" : "a worker's GPUs come from one node";
    return `enough for every consumer at maximum scale, placed node by node, but no place is left for ${placement.unplaced.map((u) => describeUnplaced(u, this.supply)).join(' and ')}: `
      + `${oneGpu}, and a pool's workers spread over the nodes: no node takes a second worker of a pool while another has none `
      + `(peak demand ${formatSlices(peak, this.sharing)}: ${demands.map((d) => describeDemand(d, this.sharing)).join('; ')})`;
  }
}

function validateProps(id: string, props: GpuInventoryProps): void {
  requireInteger('GpuInventory', id, 'nodes', props.nodes, 1);
  requireInteger('GpuInventory', id, 'gpusPerNode', props.gpusPerNode ?? 1, 1);
  const sharing = props.sharing ?? GpuSharing.exclusive();
  if (sharing.isTimeSliced && (!Number.isInteger(sharing.replicas) || sharing.replicas < 2)) {
    throw propError('GpuInventory', id, 'sharing.replicas', sharing.replicas, 'an integer >= 2',
      'Slice each GPU at least two ways, or use GpuSharing.exclusive().');
  }
  const selector = props.nodeSelector;
  if (selector === undefined) return;
  if (Object.keys(selector).length === 0) {
    throw propError('GpuInventory', id, 'nodeSelector', selector, 'at least one label', "Name a label only GPU nodes carry, such as 'nvidia.com/gpu.present: true'.");
  }
  for (const [key, value] of Object.entries(selector)) {
    const problem = qualifiedName(key) ?? labelValue(value);
    if (problem) throw propError('GpuInventory', id, `nodeSelector.${key}`, value, `a valid Kubernetes label (${problem})`, 'Use the key and value of a node label.');
  }
}
