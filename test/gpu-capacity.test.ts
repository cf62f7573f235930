import * as fs from 'fs';
import { Chart, Testing } from 'cdk8s';
import { GpuInventory, GpuInventoryProps, GpuRequest, GpuSharing } from '../lib/inference/gpu-inventory';
import { GpuWorkerPool } from '../lib/inference/gpu-worker-pool';
import { ModelRepository } from '../lib/inference/model-repository';
import { synthValid, testApp, testChart } from './_helpers';

const NS = 'video-analytics';
const MODELS = ModelRepository.fromImage('registry.example.com/models/yolo:1.2.0', '/models');
/** Autoscaled pools name the Prometheus their trigger queries. */
const prometheusAddress = 'http://prometheus.monitoring.svc.cluster.local:9090';

describe('GPU capacity', () => {
  test('pools within the inventory synthesize; the inventory lists what each reserved', () => {
    const chart = testChart();
    const inventory = new GpuInventory(chart, 'gpus', { nodes: 2, sharing: GpuSharing.timeSlicing({ replicas: 4 }) });
    new GpuWorkerPool(chart, 'yolo', { namespace: NS, inventory, modelRepository: MODELS, prometheusAddress, maxWorkers: 3, gpusPerWorker: GpuRequest.shared({ share: 0.5 }) });
    new GpuWorkerPool(chart, 'plates', { namespace: NS, inventory, modelRepository: MODELS, prometheusAddress, maxWorkers: 2 });

    synthValid(chart);
    expect(inventory.capacity).toBe(8);
    expect(inventory.capacityPerNode).toBe(4);
    // Exactly at capacity: 3 × 2 + 2 × 1 = 8 slices.
    expect(inventory.demands).toEqual([
      { consumer: 'video-analytics/yolo', maxWorkers: 3, slicesPerWorker: 2 },
      { consumer: 'video-analytics/plates', maxWorkers: 2, slicesPerWorker: 1 },
    ]);
  });

  test('synthesis fails when the pools\' peak demand exceeds whole GPUs, showing demand per pool and supply', () => {
    const chart = testChart();
    const inventory = new GpuInventory(chart, 'gpus', { nodes: 2, gpusPerNode: 2 });
    new GpuWorkerPool(chart, 'yolo', { namespace: NS, inventory, modelRepository: MODELS, prometheusAddress, maxWorkers: 3 });
    new GpuWorkerPool(chart, 'plates', { namespace: NS, inventory, modelRepository: MODELS, minWorkers: 1, maxWorkers: 1, gpusPerWorker: GpuRequest.whole(2) });

    expect(() => Testing.synth(chart)).toThrow(
      "GpuInventory 'gpus': 'capacity' (4 GPUs: 2 nodes × 2 GPUs) must be at least the peak demand of its consumers, 5 GPUs "
      + '(video-analytics/yolo: 3 workers × 1 GPU = 3; video-analytics/plates: 1 worker × 2 GPUs = 2). Add GPU nodes, lower maxWorkers.');
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
        "\\[gpu/gpus\\] GpuInventory 'gpus': 'capacity' \\(8 GPU slices: 2 nodes × 1 GPU × 4 slices\\) must be at least the peak demand of its consumers, 12 GPU slices "
        + '\\(video-analytics/yolo: 4 workers × 2 slices = 8; video-analytics/plates: 4 workers × 1 slice = 4\\)\\. '
        + 'Add GPU nodes, lower maxWorkers or give workers a smaller share\\.'));
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
