import * as fs from 'fs';
import { Chart, Testing } from 'cdk8s';
import { GpuInventory, GpuInventoryProps, GpuRequest, GpuSharing } from '../../lib/inference/gpu-inventory';
import { GpuWorkerPool } from '../../lib/inference/gpu-worker-pool';
import { ModelRepository } from '../../lib/inference/model-repository';
import { synthValid, testApp, testChart } from '../_helpers';

const NS = 'video-analytics';
const MODELS = ModelRepository.fromImage('registry.example.com/models/yolo:1.2.0', '/models');
/** Autoscaled pools name the Prometheus their trigger queries. */
const prometheusAddress = 'http://prometheus.monitoring.svc.cluster.local:9090';
const yolo = (worker: number) => ({ consumer: 'video-analytics/yolo', worker });
const plates = (worker: number) => ({ consumer: 'video-analytics/plates', worker });

describe('GPU capacity', () => {
  test('pools within the inventory synthesize; the inventory lists what each reserved', () => {
    const chart = testChart();
    const inventory = new GpuInventory(chart, 'gpus', { nodes: 2, sharing: GpuSharing.timeSlicing({ replicas: 4 }) });
    new GpuWorkerPool(chart, 'yolo', { namespace: NS, inventory, modelRepository: MODELS, prometheusAddress, maxWorkers: 2, gpusPerWorker: GpuRequest.shared({ share: 0.5 }) });
    new GpuWorkerPool(chart, 'plates', { namespace: NS, inventory, modelRepository: MODELS, prometheusAddress, maxWorkers: 4 });

    synthValid(chart);
    expect(inventory.capacity).toBe(8);
    expect(inventory.capacityPerNode).toBe(4);
    // Exactly at capacity: 2 × 2 + 4 × 1 = 8 slices, each node 2 + 1 + 1.
    expect(inventory.demands).toEqual([
      { consumer: 'video-analytics/yolo', maxWorkers: 2, slicesPerWorker: 2 },
      { consumer: 'video-analytics/plates', maxWorkers: 4, slicesPerWorker: 1 },
    ]);
    expect(inventory.placement()).toEqual({
      gpus: [
        { node: 1, gpu: 0, used: 4, free: 0, workers: [yolo(1), plates(1), plates(3)] },
        { node: 2, gpu: 0, used: 4, free: 0, workers: [yolo(2), plates(2), plates(4)] },
      ],
      unplaced: [],
    });
  });

  test('synthesis fails when the pools\' peak demand exceeds whole GPUs, showing demand per pool, supply and the placement', () => {
    const chart = testChart();
    const inventory = new GpuInventory(chart, 'gpus', { nodes: 2, gpusPerNode: 2 });
    new GpuWorkerPool(chart, 'yolo', { namespace: NS, inventory, modelRepository: MODELS, prometheusAddress, maxWorkers: 3 });
    new GpuWorkerPool(chart, 'plates', { namespace: NS, inventory, modelRepository: MODELS, minWorkers: 1, maxWorkers: 1, gpusPerWorker: GpuRequest.whole(2) });

    // The 2-GPU worker goes first (largest first) and takes node 1; yolo's second worker would
    // have to go to node 1 too, which the spread allows, but it has no GPU left.
    expect(() => Testing.synth(chart)).toThrow(
      "GpuInventory 'gpus': 'capacity' (4 GPUs: 2 nodes × 2 GPUs) must be enough for every consumer at maximum scale, placed node by node, "
      + 'but no place is left for 2 of the 3 workers of video-analytics/yolo (1 GPU each): '
      + "a worker's GPUs come from one node, and a pool's workers spread over the nodes: no node takes a second worker of a pool while another has none "
      + '(peak demand 5 GPUs: video-analytics/yolo: 3 workers × 1 GPU = 3; video-analytics/plates: 1 worker × 2 GPUs = 2). '
      + 'Add GPU nodes, or lower maxWorkers of video-analytics/yolo or request fewer GPUs per worker.\n'
      + 'Placement at maximum scale (whole GPUs):\n'
      + '| Node | GPU | Used | Free | Workers |\n'
      + '| --- | --- | --- | --- | --- |\n'
      + '| node 1 | 0 | 1 | 0 | video-analytics/plates #1 |\n'
      + '| node 1 | 1 | 1 | 0 | video-analytics/plates #1 |\n'
      + '| node 2 | 0 | 1 | 0 | video-analytics/yolo #1 |\n'
      + '| node 2 | 1 | 0 | 1 | — |\n'
      + 'Not placed: 2 of the 3 workers of video-analytics/yolo (1 GPU each).');
  });

  test('with time-slicing the message counts slices, and app.synth fails across charts', () => {
    const app = testApp();
    try {
      const gpu = new Chart(app, 'gpu');
      const inference = new Chart(app, 'inference');
      const inventory = new GpuInventory(gpu, 'gpus', { nodes: 2, sharing: GpuSharing.timeSlicing({ replicas: 4 }) });
      new GpuWorkerPool(inference, 'yolo', { namespace: NS, inventory, modelRepository: MODELS, prometheusAddress, maxWorkers: 4, gpusPerWorker: GpuRequest.shared({ share: 0.5 }) });
      new GpuWorkerPool(inference, 'plates', { namespace: NS, inventory, modelRepository: MODELS, prometheusAddress, maxWorkers: 4, gpusPerWorker: GpuRequest.shared({ share: 0.25 }) });

      expect(() => app.synth()).toThrow(new RegExp(
        "\\[gpu/gpus\\] GpuInventory 'gpus': 'capacity' \\(8 GPU slices: 2 nodes × 1 GPU × 4 slices\\) must be enough for every consumer at maximum scale, placed node by node, "
        + 'but no place is left for 4 of the 4 workers of video-analytics/plates \\(1 slice of one GPU each\\): .*'
        + '\\(peak demand 12 GPU slices: video-analytics/yolo: 4 workers × 2 slices = 8; video-analytics/plates: 4 workers × 1 slice = 4\\)\\. '
        + 'Add GPU nodes, or lower maxWorkers of video-analytics/plates or give its workers a smaller share\\.'));
    } finally {
      fs.rmSync(app.outdir, { recursive: true, force: true });
    }
  });

  test('a pool reserved twice counts once', () => {
    const chart = testChart();
    const inventory = new GpuInventory(chart, 'gpus', { nodes: 2 });
    const pool = new GpuWorkerPool(chart, 'yolo', { namespace: NS, inventory, modelRepository: MODELS });
    expect(inventory.reserve(pool)).toEqual({ consumer: 'video-analytics/yolo', maxWorkers: 2, slicesPerWorker: 1 });
    expect(inventory.demands).toHaveLength(1);
    synthValid(chart);
  });

  test('requests describe themselves for messages', () => {
    expect(GpuRequest.whole(1).toString()).toBe('1 GPU');
    expect(GpuRequest.whole(2).toString()).toBe('2 GPUs');
    expect(GpuRequest.shared({ share: 0.25 }).toString()).toBe('0.25 of a GPU');
  });

  test('a share of 1/3 on a GPU sliced three ways is one slice, despite floating point', () => {
    const chart = testChart();
    const inventory = new GpuInventory(chart, 'gpus', { nodes: 1, sharing: GpuSharing.timeSlicing({ replicas: 3 }) });
    const pool = new GpuWorkerPool(chart, 'yolo', { namespace: NS, inventory, modelRepository: MODELS, prometheusAddress, maxWorkers: 3, gpusPerWorker: GpuRequest.shared({ share: 1 / 3 }) });
    expect(pool.slicesPerWorker).toBe(1);
  });

  describe('the inventory refuses bad input', () => {
    test.each<[string, Partial<GpuInventoryProps>, RegExp]>([
      ['no nodes', { nodes: 0 }, /GpuInventory 'gpus': 'nodes' \(0\) must be an integer >= 1/],
      ['fractional GPUs per node', { gpusPerNode: 1.5 }, /GpuInventory 'gpus': 'gpusPerNode' \(1\.5\) must be an integer >= 1/],
      ['time-slicing one way', { sharing: GpuSharing.timeSlicing({ replicas: 1 }) }, /'sharing\.replicas' \(1\) must be an integer >= 2\. Slice each GPU at least two ways, or use GpuSharing\.exclusive\(\)\./],
      ['an empty node selector', { nodeSelector: {} }, /'nodeSelector' \(\{\}\) must be at least one label/],
      ['a bad node label', { nodeSelector: { 'gpu node': 'yes' } }, /'nodeSelector\.gpu node' \(yes\) must be a valid Kubernetes label/],
    ])('%s', (_title, props, message) => {
      expect(() => new GpuInventory(testChart(), 'gpus', { nodes: 1, ...props })).toThrow(message);
    });
  });
});

describe('GPU placement node by node', () => {
  const sliced = (nodes: number): Partial<GpuInventoryProps> => ({ nodes, sharing: GpuSharing.timeSlicing({ replicas: 4 }) });

  /** An inventory and its pools; each pool `[id, maxWorkers, request]`, at least one worker. */
  function platform(inventoryProps: GpuInventoryProps, pools: Array<[string, number, GpuRequest?]>): { chart: Chart; inventory: GpuInventory } {
    const chart = testChart();
    const inventory = new GpuInventory(chart, 'gpus', inventoryProps);
    for (const [id, maxWorkers, gpusPerWorker] of pools) {
      new GpuWorkerPool(chart, id, { namespace: NS, inventory, modelRepository: MODELS, prometheusAddress, minWorkers: 1, maxWorkers, gpusPerWorker });
    }
    return { chart, inventory };
  }

  test('(a) workers that fit the sum of the slices but not GPU by GPU are refused, with the node-by-node table', () => {
    // 3 nodes × 1 GPU × 4 slices = 12; 4 workers × 3 slices = 12. But a GPU holds one 0.75 worker.
    const { chart, inventory } = platform({ nodes: 3, sharing: GpuSharing.timeSlicing({ replicas: 4 }) }, [['yolo', 4, GpuRequest.shared({ share: 0.75 })]]);
    expect(inventory.placement().unplaced).toEqual([{ consumer: 'video-analytics/yolo', count: 1, maxWorkers: 4, slicesPerWorker: 3 }]);
    expect(() => Testing.synth(chart)).toThrow(
      "GpuInventory 'gpus': 'capacity' (12 GPU slices: 3 nodes × 1 GPU × 4 slices) must be enough for every consumer at maximum scale, placed node by node, "
      + 'but no place is left for 1 of the 4 workers of video-analytics/yolo (3 slices of one GPU each): '
      + "a worker's slices come from one GPU, and a pool's workers spread over the nodes: no node takes a second worker of a pool while another has none "
      + '(peak demand 12 GPU slices: video-analytics/yolo: 4 workers × 3 slices = 12). '
      + 'Add GPU nodes, or lower maxWorkers of video-analytics/yolo or give its workers a smaller share.\n'
      + 'Placement at maximum scale (slices, 4 per GPU):\n'
      + '| Node | GPU | Used | Free | Workers |\n'
      + '| --- | --- | --- | --- | --- |\n'
      + '| node 1 | 0 | 3 | 1 | video-analytics/yolo #1 |\n'
      + '| node 2 | 0 | 3 | 1 | video-analytics/yolo #2 |\n'
      + '| node 3 | 0 | 3 | 1 | video-analytics/yolo #3 |\n'
      + 'Not placed: 1 of the 4 workers of video-analytics/yolo (3 slices of one GPU each).');
  });

  test('(a) on the reference shape: two pools that fill the 8 slices exactly, but leave one slice on each GPU where a worker needs two', () => {
    const { chart } = platform(sliced(2) as GpuInventoryProps, [['yolo', 2, GpuRequest.shared({ share: 0.75 })], ['plates', 1, GpuRequest.shared({ share: 0.5 })]]);
    expect(() => Testing.synth(chart)).toThrow(/no place is left for 1 of the 1 worker of video-analytics\/plates \(2 slices of one GPU each\)[^]*\| node 1 \| 0 \| 3 \| 1 \| video-analytics\/yolo #1 \|\n\| node 2 \| 0 \| 3 \| 1 \| video-analytics\/yolo #2 \|\nNot placed: 1 of the 1 worker of video-analytics\/plates/);
  });

  test('(a) as the issue states it, 3 workers of 0.75 on 2 GPUs: refused, each GPU holding one', () => {
    const { chart } = platform(sliced(2) as GpuInventoryProps, [['yolo', 3, GpuRequest.shared({ share: 0.75 })]]);
    expect(() => Testing.synth(chart)).toThrow(/no place is left for 1 of the 3 workers of video-analytics\/yolo[^]*\| node 1 \| 0 \| 3 \| 1 \| video-analytics\/yolo #1 \|\n\| node 2 \| 0 \| 3 \| 1 \| video-analytics\/yolo #2 \|/);
  });

  test('(b) a whole-GPU pool needing 2 GPUs per worker on nodes with 1 GPU each is refused, though 2 nodes hold 2 GPUs', () => {
    const chart = testChart();
    const inventory = new GpuInventory(chart, 'gpus', { nodes: 2 });
    expect(() => new GpuWorkerPool(chart, 'yolo', { namespace: NS, inventory, modelRepository: MODELS, minWorkers: 1, gpusPerWorker: GpuRequest.whole(2) }))
      .toThrow(/GpuWorkerPool 'yolo': 'gpusPerWorker' \(2 GPUs\) must be at most the 1 GPU\(s\) of one node of inventory 'gpus'/);
  });

  test('(b) whole GPUs of one node: 4 workers of 2 GPUs fit the 9 GPUs of 3 nodes by the sum, but a node holds one', () => {
    const { chart, inventory } = platform({ nodes: 3, gpusPerNode: 3 }, [['yolo', 4, GpuRequest.whole(2)]]);
    const placement = inventory.placement();
    expect(placement.unplaced).toEqual([{ consumer: 'video-analytics/yolo', count: 1, maxWorkers: 4, slicesPerWorker: 2 }]);
    // Each worker's two GPUs on one node.
    expect(placement.gpus.filter((g) => g.used === 1).map((g) => [g.node, g.gpu, g.workers[0].worker])).toEqual([[1, 0, 1], [1, 1, 1], [2, 0, 2], [2, 1, 2], [3, 0, 3], [3, 1, 3]]);
    expect(() => Testing.synth(chart)).toThrow(/no place is left for 1 of the 4 workers of video-analytics\/yolo \(2 GPUs of one node each\)[^]*Placement at maximum scale \(whole GPUs\)/);
  });

  test('the spread: a pool cannot put its second worker beside its first while another node has none, even where GPUs are free', () => {
    // 2 nodes × 2 GPUs: 'big' takes node 1; 'small' takes a GPU of node 2, and its second worker
    // must go to node 1 (no worker of 'small' there yet), whose GPUs are taken. The sum, 4, fits.
    const { chart, inventory } = platform({ nodes: 2, gpusPerNode: 2 }, [['big', 1, GpuRequest.whole(2)], ['small', 2]]);
    expect(inventory.placement().unplaced).toEqual([{ consumer: 'video-analytics/small', count: 1, maxWorkers: 2, slicesPerWorker: 1 }]);
    expect(() => Testing.synth(chart)).toThrow(/lower maxWorkers of video-analytics\/small or request fewer GPUs per worker\.\n[^]*\| node 2 \| 1 \| 0 \| 1 \| — \|/);
  });

  test('the spread, time-sliced: what the sum check let through and the scheduler leaves Pending', () => {
    // 3 × 2 + 2 × 1 = 8 slices of 8. yolo takes 2 + 2 on node 1 and 2 on node 2; plates' first
    // worker goes to node 2, its second must go to node 1, which is full.
    const { chart } = platform(sliced(2) as GpuInventoryProps, [['yolo', 3, GpuRequest.shared({ share: 0.5 })], ['plates', 2]]);
    expect(() => Testing.synth(chart)).toThrow(/no place is left for 1 of the 2 workers of video-analytics\/plates[^]*\| node 1 \| 0 \| 4 \| 0 \| video-analytics\/yolo #1, #3 \|\n\| node 2 \| 0 \| 3 \| 1 \| video-analytics\/yolo #2; video-analytics\/plates #1 \|/);
  });

  test('(c) the reference shape: 2 nodes × 1 GPU × 4 slices, 2 to 4 workers of 0.5, placed two per GPU', () => {
    const { chart, inventory } = platform(sliced(2) as GpuInventoryProps, [['yolo', 4, GpuRequest.shared({ share: 0.5 })]]);
    synthValid(chart);
    expect(inventory.placement()).toEqual({
      gpus: [
        { node: 1, gpu: 0, used: 4, free: 0, workers: [yolo(1), yolo(3)] },
        { node: 2, gpu: 0, used: 4, free: 0, workers: [yolo(2), yolo(4)] },
      ],
      unplaced: [],
    });
  });

  test('largest workers first, each to the node with the most room the spread allows, there to the first GPU that fits', () => {
    const { inventory } = platform(sliced(2) as GpuInventoryProps, [['plates', 2], ['yolo', 2, GpuRequest.shared({ share: 0.75 })]]);
    // yolo's 3-slice workers first, though declared second; then one plates worker per node.
    expect(inventory.placement().gpus.map((g) => g.workers)).toEqual([[yolo(1), plates(1)], [yolo(2), plates(2)]]);

    // 2 nodes × 2 GPUs × 4 slices, one slice per worker (nodes with several GPUs): equal sizes go
    // in the order they reserved. yolo #3 goes to node 1 (equal room, the first); plates #1 then
    // to node 2, which has more room left, and plates #3 to node 2 again. GPU 0 fills first.
    const equal = platform({ nodes: 2, gpusPerNode: 2, sharing: GpuSharing.timeSlicing({ replicas: 4 }) }, [['yolo', 3], ['plates', 3]]).inventory.placement();
    expect(equal.gpus.map((g) => [g.node, g.gpu, g.used])).toEqual([[1, 0, 3], [1, 1, 0], [2, 0, 3], [2, 1, 0]]);
    expect(equal.gpus.map((g) => g.workers)).toEqual([[yolo(1), yolo(3), plates(2)], [], [yolo(2), plates(1), plates(3)], []]);
  });
});
