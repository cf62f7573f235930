import type { GpuDemand } from './gpu-inventory';

/** What a placement packs into: nodes × GPUs per node × slices per GPU, as a GpuInventory declares them. */
export interface GpuSupply {
  /** Number of GPU nodes. */
  readonly nodes: number;
  /** GPUs in each node. */
  readonly gpusPerNode: number;
  /** Slices (units of `nvidia.com/gpu`) per GPU: 1 without time-slicing. */
  readonly slicesPerGpu: number;
  /**
   * Whether GPUs are time-sliced: a worker then takes slices of one GPU; otherwise it takes whole
   * GPUs of one node.
   */
  readonly timeSliced: boolean;
}

/** One worker of a consumer: the consumer and its number, from 1 in placement order. */
export interface GpuWorkerRef {
  /** The consumer, e.g. `video-analytics/yolo`. */
  readonly consumer: string;
  /** The worker's number within its consumer, from 1. */
  readonly worker: number;
}

/** One physical GPU and the workers placed on it at maximum scale. */
export interface PlacedGpu {
  /** The node, numbered from 1: the inventory declares how many nodes, not their names. */
  readonly node: number;
  /** The GPU's index on its node, from 0 as `nvidia-smi` numbers them. */
  readonly gpu: number;
  /** Slices taken. */
  readonly used: number;
  /** Slices left. */
  readonly free: number;
  /** The workers that take slices of this GPU (a worker of several whole GPUs appears on each). */
  readonly workers: readonly GpuWorkerRef[];
}

/** Workers of one consumer that find no place. */
export interface UnplacedWorkers {
  /** The consumer, e.g. `video-analytics/yolo`. */
  readonly consumer: string;
  /** Workers left without a place. */
  readonly count: number;
  /** The consumer's most workers. */
  readonly maxWorkers: number;
  /** Slices each worker needs. */
  readonly slicesPerWorker: number;
}

/** Every consumer's workers at maximum scale, packed onto the declared nodes and their GPUs. */
export interface GpuPlacement {
  /** Every GPU of every node, by node and GPU index. */
  readonly gpus: readonly PlacedGpu[];
  /** Workers that find no place; empty when everything fits. */
  readonly unplaced: readonly UnplacedWorkers[];
}

/** A node while packing: the slices taken on each of its GPUs and the workers on each. */
interface NodeState {
  readonly index: number;
  readonly used: number[];
  readonly workers: GpuWorkerRef[][];
}

/**
 * Packs every consumer's workers at maximum scale onto the nodes, the way the scheduler and the
 * device plugin must place them:
 *
 * - a time-sliced worker takes its slices from ONE GPU (slices never span GPUs); a whole-GPU
 *   worker takes whole GPUs of ONE node;
 * - a pool's workers spread over the nodes, as its hard topology spread demands: no node takes
 *   a second worker of a pool while another node has none, even a node whose GPUs are full (the
 *   spread counts every eligible node, not only those with room);
 * - first-fit decreasing: consumers with the largest workers first; each worker goes to a node
 *   the spread allows that can hold it, the one with the most slices left (so that the next
 *   pool's round over every node finds room), and there to the first GPU that fits.
 *
 * A placement that succeeds proves a schedulable layout exists at maximum scale. It takes every
 * node of the inventory as eligible for every pool (a pool's `gpuProduct` narrows them, which the
 * inventory cannot see), and it is one order of arrival: when pools of different worker sizes
 * scale up in turns, the scheduler may strand slices this layout uses (one-slice workers cannot).
 */
export function placeAtMaximumScale(supply: GpuSupply, demands: readonly GpuDemand[]): GpuPlacement {
  const nodes: NodeState[] = Array.from({ length: supply.nodes }, (_, index) => ({
    index,
    used: new Array<number>(supply.gpusPerNode).fill(0),
    workers: Array.from({ length: supply.gpusPerNode }, () => []),
  }));
  const unplaced: UnplacedWorkers[] = [];
  const order = new LeastUsedFirst(nodes.length);
  for (const demand of largestWorkersFirst(demands)) {
    const placed = placeConsumer(supply, nodes, order, demand);
    if (placed < demand.maxWorkers) {
      unplaced.push({ consumer: demand.consumer, count: demand.maxWorkers - placed, maxWorkers: demand.maxWorkers, slicesPerWorker: demand.slicesPerWorker });
    }
  }
  return {
    gpus: nodes.flatMap((node) => node.used.map((used, gpu): PlacedGpu => ({
      node: node.index + 1, gpu, used, free: supply.slicesPerGpu - used, workers: node.workers[gpu],
    }))),
    unplaced,
  };
}

/** Largest workers first; equal ones in the order they reserved (a stable sort). */
function largestWorkersFirst(demands: readonly GpuDemand[]): GpuDemand[] {
  return [...demands].sort((a, b) => b.slicesPerWorker - a.slicesPerWorker);
}

/**
 * Places one consumer's workers, round by round over the nodes: each worker to the node with the
 * most slices left (the first by index among equals) of those the spread allows that can hold it.
 * Nodes are visited in that order ({@link LeastUsedFirst}), so a worker usually looks at a few
 * nodes, not at all of them: at city scale, thousands of pools over thousands of nodes.
 * @returns how many found a place; the rest would stay Pending
 */
function placeConsumer(supply: GpuSupply, nodes: readonly NodeState[], order: LeastUsedFirst, demand: GpuDemand): number {
  const spread = new SpreadCount(nodes.length);
  for (let worker = 1; worker <= demand.maxWorkers; worker++) {
    const choice = firstFitting(supply, nodes, order, spread, demand.slicesPerWorker);
    // The spread allows only these nodes: if none holds the worker, neither does any later one.
    if (choice === undefined) return worker - 1;
    const share = supply.timeSliced ? demand.slicesPerWorker : 1;
    const before = usedSlices(choice.node);
    for (const gpu of choice.gpus) {
      choice.node.used[gpu] += share;
      choice.node.workers[gpu].push({ consumer: demand.consumer, worker });
    }
    order.move(choice.node.index, before, usedSlices(choice.node));
    spread.add(choice.node.index);
  }
  return demand.maxWorkers;
}

/** The node with the most slices left that the spread allows and that can hold the worker, and the GPUs it takes there. */
function firstFitting(supply: GpuSupply, nodes: readonly NodeState[], order: LeastUsedFirst, spread: SpreadCount, slices: number): { node: NodeState; gpus: number[] } | undefined {
  for (const index of order.nodes()) {
    if (!spread.allows(index)) continue;
    const gpus = gpusFor(supply, nodes[index], slices);
    if (gpus !== undefined) return { node: nodes[index], gpus };
  }
  return undefined;
}

/** Node indices by slices taken, fewest first, then by index: the order in which a worker tries nodes. */
class LeastUsedFirst {
  /** Node indices, ascending, by the number of slices taken. */
  private readonly byUsed: number[][] = [];

  constructor(nodes: number) {
    this.byUsed[0] = Array.from({ length: nodes }, (_, index) => index);
  }

  *nodes(): Generator<number> {
    for (const bucket of this.byUsed) if (bucket !== undefined) yield* bucket;
  }

  move(index: number, from: number, to: number): void {
    const source = this.byUsed[from];
    source.splice(sortedIndex(source, index), 1);
    const target = (this.byUsed[to] ??= []);
    target.splice(sortedIndex(target, index), 0, index);
  }
}

/** Where `value` is or belongs in an ascending array. */
function sortedIndex(values: readonly number[], value: number): number {
  let low = 0;
  let high = values.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (values[middle] < value) low = middle + 1;
    else high = middle;
  }
  return low;
}

/** One pool's workers per node, for its hard topology spread: a node may take one only while it has the fewest. */
class SpreadCount {
  private readonly perNode: number[];
  /** How many nodes have each count of workers. */
  private readonly nodesWith: number[];
  private fewest = 0;

  constructor(nodes: number) {
    this.perNode = new Array<number>(nodes).fill(0);
    this.nodesWith = [nodes];
  }

  allows(index: number): boolean {
    return this.perNode[index] === this.fewest;
  }

  add(index: number): void {
    const count = this.perNode[index]++;
    this.nodesWith[count]--;
    this.nodesWith[count + 1] = (this.nodesWith[count + 1] ?? 0) + 1;
    while (this.nodesWith[this.fewest] === 0) this.fewest++;
  }
}

/** The GPUs of `node` a worker of `slices` would take, or undefined if the node cannot hold it. */
function gpusFor(supply: GpuSupply, node: NodeState, slices: number): number[] | undefined {
  if (supply.timeSliced) {
    const gpu = node.used.findIndex((used) => supply.slicesPerGpu - used >= slices);
    return gpu < 0 ? undefined : [gpu];
  }
  const free = node.used.flatMap((used, gpu) => (used === 0 ? [gpu] : []));
  return free.length >= slices ? free.slice(0, slices) : undefined;
}

/** Every node has the same slices: the one with the fewest taken has the most left. */
function usedSlices(node: NodeState): number {
  return node.used.reduce((sum, used) => sum + used, 0);
}

/** The columns of {@link placementRows}. */
export const PLACEMENT_COLUMNS: readonly string[] = ['Node', 'GPU', 'Used', 'Free', 'Workers'];

/** One row per GPU: node, GPU index, slices used and free, and the workers on it (`ns/pool #1, #3; ns/other #2`). */
export function placementRows(placement: GpuPlacement): string[][] {
  return placement.gpus.map((gpu) => [`node ${gpu.node}`, String(gpu.gpu), String(gpu.used), String(gpu.free), describeWorkers(gpu.workers)]);
}

function describeWorkers(workers: readonly GpuWorkerRef[]): string {
  if (workers.length === 0) return '—';
  const byConsumer = new Map<string, number[]>();
  for (const { consumer, worker } of workers) byConsumer.set(consumer, [...(byConsumer.get(consumer) ?? []), worker]);
  return [...byConsumer].map(([consumer, numbers]) => `${consumer} ${numbers.map((n) => `#${n}`).join(', ')}`).join('; ');
}

/** What `Used` and `Free` count: `slices, 4 per GPU` or `whole GPUs`. */
export function placementUnit(supply: GpuSupply): string {
  return supply.timeSliced ? `slices, ${supply.slicesPerGpu} per GPU` : 'whole GPUs';
}

/** `1 of the 4 workers of video-analytics/yolo (3 slices of one GPU each)`. */
export function describeUnplaced(unplaced: UnplacedWorkers, supply: GpuSupply): string {
  const { count, maxWorkers, consumer, slicesPerWorker } = unplaced;
  const each = supply.timeSliced
    ? `${slicesPerWorker} slice${slicesPerWorker === 1 ? '' : 's'} of one GPU each`
    : slicesPerWorker === 1 ? '1 GPU each' : `${slicesPerWorker} GPUs of one node each`;
  const of = maxWorkers === 1 ? 'the 1 worker' : `the ${maxWorkers} workers`;
  return `${count} of ${of} of ${consumer} (${each})`;
}

/** The placement as a Markdown table with its unit, and the workers left out: for error messages. */
export function placementTable(placement: GpuPlacement, supply: GpuSupply): string {
  const line = (cells: readonly string[]): string => `| ${cells.join(' | ')} |`;
  const lines = [
    `Placement at maximum scale (${placementUnit(supply)}):`,
    line(PLACEMENT_COLUMNS),
    line(PLACEMENT_COLUMNS.map(() => '---')),
    ...placementRows(placement).map(line),
  ];
  for (const unplaced of placement.unplaced) lines.push(`Not placed: ${describeUnplaced(unplaced, supply)}.`);
  return lines.join('\n');
}
