import type { GpuDemand, GpuInventory, GpuRequest, GpuSharing } from './gpu-inventory';

/** A request the inventory can serve, in units of `nvidia.com/gpu`, or why it cannot. */
export type SlicesOrProblem = { readonly slices: number } | { readonly rule: string; readonly fix: string };

/** Floating-point slack, so that a share of 1/3 on a GPU sliced three ways is one slice. */
const EPSILON = 1e-9;

/**
 * Turns what a worker asks for into the units of `nvidia.com/gpu` its pod requests, refusing what
 * the device plugin cannot hand out or no single node can hold.
 */
export function slicesPerWorker(request: GpuRequest, inventory: GpuInventory): SlicesOrProblem {
  return request.isShared ? sharedSlices(request.amount, inventory) : wholeGpus(request.amount, inventory);
}

function wholeGpus(count: number, inventory: GpuInventory): SlicesOrProblem {
  if (!Number.isInteger(count) || count < 1) {
    return {
      rule: 'a whole number of GPUs, at least 1',
      fix: count > 0 && count < 1 ? `A fraction of a GPU needs time-slicing: declare GpuSharing.timeSlicing() on inventory '${inventory.node.id}' and use GpuRequest.shared({ share: ${count} }).` : 'Request at least GpuRequest.whole(1).',
    };
  }
  if (inventory.sharing.isTimeSliced) {
    return {
      rule: `a share of a GPU, because inventory '${inventory.node.id}' time-slices every GPU ${inventory.sharing.replicas} ways and no pod can hold a GPU alone`,
      fix: 'Use GpuRequest.shared({ share }) with a share of at most 1, or declare the inventory with GpuSharing.exclusive().',
    };
  }
  if (count > inventory.gpusPerNode) {
    return {
      rule: `at most the ${inventory.gpusPerNode} GPU(s) of one node of inventory '${inventory.node.id}'`,
      fix: 'Request fewer GPUs per worker and run more workers.',
    };
  }
  return { slices: count };
}

function sharedSlices(share: number, inventory: GpuInventory): SlicesOrProblem {
  const { replicas, isTimeSliced } = inventory.sharing;
  if (!isTimeSliced) {
    return {
      rule: `whole GPUs, because inventory '${inventory.node.id}' does not time-slice its GPUs`,
      fix: 'Use GpuRequest.whole(1), or declare the inventory with GpuSharing.timeSlicing({ replicas }).',
    };
  }
  const slices = share * replicas;
  const steps = replicas <= 8
    ? Array.from({ length: replicas }, (_, i) => round((i + 1) / replicas)).join(', ')
    : `the multiples of 1/${replicas} up to 1`;
  if (!(share > 0 && share <= 1 + EPSILON) || Math.abs(slices - Math.round(slices)) > EPSILON) {
    return {
      rule: `one of ${steps}: inventory '${inventory.node.id}' slices each GPU ${replicas} ways and a worker holds whole slices`,
      fix: `Use a share from that list, or change the inventory's time-slicing replicas.`,
    };
  }
  const whole = Math.round(slices);
  if (whole > 1 && inventory.gpusPerNode > 1) {
    // The device plugin spreads the slices of one pod over the GPUs of a node: a worker would
    // get slices of two GPUs, not a larger share of one.
    return {
      rule: `${round(1 / replicas)}: nodes of inventory '${inventory.node.id}' have ${inventory.gpusPerNode} GPUs and the device plugin spreads a pod's slices over them`,
      fix: `Use GpuRequest.shared({ share: ${round(1 / replicas)} }) and more workers, or fewer slices per GPU.`,
    };
  }
  return { slices: whole };
}

function round(value: number): number {
  return Math.round(value * 1000) / 1000;
}

function plural(count: number, unit: string): string {
  return `${count} ${unit}${count === 1 ? '' : 's'}`;
}

/** `3 GPUs` without time-slicing, `12 GPU slices` with it. */
export function formatSlices(count: number, sharing: GpuSharing): string {
  return plural(count, sharing.isTimeSliced ? 'GPU slice' : 'GPU');
}

/** `8 GPU slices: 2 nodes × 1 GPU × 4 slices`. */
export function describeSupply(inventory: GpuInventory): string {
  const factors = [plural(inventory.nodes, 'node'), plural(inventory.gpusPerNode, 'GPU')];
  if (inventory.sharing.isTimeSliced) factors.push(plural(inventory.sharing.replicas, 'slice'));
  return `${formatSlices(inventory.capacity, inventory.sharing)}: ${factors.join(' × ')}`;
}

/** `video-analytics/yolo: 4 workers × 2 slices = 8`. */
export function describeDemand(demand: GpuDemand, sharing: GpuSharing): string {
  const perWorker = plural(demand.slicesPerWorker, sharing.isTimeSliced ? 'slice' : 'GPU');
  return `${demand.consumer}: ${plural(demand.maxWorkers, 'worker')} × ${perWorker} = ${demand.maxWorkers * demand.slicesPerWorker}`;
}
