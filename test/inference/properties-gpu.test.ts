import * as fc from 'fast-check';
import { Duration, Size } from 'cdk8s';
import { parse as parseYaml } from 'yaml';
import {
  GpuDemand, GpuInventory, GpuInventoryProps, GpuNodeSupport, GpuNodeSupportProps, GpuRequest, GpuSharing, GpuWorkerPool, GpuWorkerPoolProps,
  MigStrategy, PlatformPriorities,
} from '../../lib';
import { InferenceScaling } from '../../lib/inference/inference-scaling';
import { ModelRepository, ModelVolumeAccessMode } from '../../lib/inference/model-repository';
import { Scaling } from '../../lib/synth/scaling';
import { memoryBytes } from '../../lib/core/quantity';
import { GpuPlacement, GpuSupply, placeAtMaximumScale } from '../../lib/inference/gpu-placement';
import { findObject, objectsOfKind } from '../_helpers';
import {
  appWithNamespaces, badDnsName, badLabelValue, caseCounter, dnsLabel, expectValidAndCompliant, labelKey, labelValue, namesProp,
  pinnedImage, resources, resourcesAboveLimit, unpinnedImage,
} from '../_properties';

const RUNS = Number(process.env.PROPERTY_RUNS ?? 0) || 40;
const NS = 'video-analytics';
const count = caseCounter();
const MODELS = ModelRepository.fromImage('registry.example.com/models/yolo:1.2.0', '/models');
/** The Prometheus of a monitoring that watches a pool, for pools that name none. */
const WATCHING = { url: 'http://prometheus.monitoring.svc.cluster.local:9090', owner: "MonitoringBundle 'monitoring'" };
const prometheusAddress = 'http://prometheus.monitoring.svc:9090';

// ---------------------------------------------------------------------------------------------
// Arbitraries
// ---------------------------------------------------------------------------------------------

const sharing = fc.oneof(
  fc.constant(GpuSharing.exclusive()),
  fc.integer({ min: 2, max: 8 }).map((replicas) => GpuSharing.timeSlicing({ replicas })),
);

/** 1 to 4 GPU nodes of 1 to 4 GPUs, exclusive or time-sliced, selected by the default label or by 1-2 random ones. */
const inventories: fc.Arbitrary<GpuInventoryProps> = fc.record({
  nodes: fc.integer({ min: 1, max: 4 }),
  gpusPerNode: fc.option(fc.integer({ min: 1, max: 4 }), { nil: undefined }),
  sharing: fc.option(sharing, { nil: undefined }),
  nodeSelector: fc.option(fc.dictionary(labelKey, labelValue, { minKeys: 1, maxKeys: 2 }), { nil: undefined }),
});

/** What one inventory offers, computed from its props the way the docs describe it. */
function supplyOf(props: GpuInventoryProps): { gpusPerNode: number; replicas: number; capacity: number } {
  const gpusPerNode = props.gpusPerNode ?? 1;
  const replicas = props.sharing?.isTimeSliced ? props.sharing.replicas : 1;
  return { gpusPerNode, replicas, capacity: props.nodes * gpusPerNode * replicas };
}

/**
 * The most workers of `slices` each the inventory holds, node by node: a time-sliced worker's
 * slices on one GPU, a whole-GPU worker's GPUs on one node, the same number on every node (the
 * pool's spread).
 */
function placeableWorkers(props: GpuInventoryProps, slices: number): number {
  const { gpusPerNode, replicas } = supplyOf(props);
  const perNode = props.sharing?.isTimeSliced ? gpusPerNode * Math.floor(replicas / slices) : Math.floor(gpusPerNode / slices);
  return props.nodes * perNode;
}

/**
 * A request the inventory can serve, and the units of nvidia.com/gpu it becomes: whole GPUs up
 * to a node's count without time-slicing; k/replicas of a GPU with it (only one slice when nodes
 * have several GPUs, as the device plugin would spread more over them). Undefined is the default.
 */
function gpuRequest(inventory: GpuInventoryProps): fc.Arbitrary<{ request?: GpuRequest; slices: number }> {
  const { gpusPerNode, replicas } = supplyOf(inventory);
  const explicit = inventory.sharing?.isTimeSliced
    ? fc.integer({ min: 1, max: gpusPerNode === 1 ? replicas : 1 }).map((k) => ({ request: GpuRequest.shared({ share: k / replicas }), slices: k }))
    : fc.integer({ min: 1, max: gpusPerNode }).map((n) => ({ request: GpuRequest.whole(n), slices: n }));
  return fc.oneof(fc.constant({ request: undefined, slices: 1 }), explicit);
}

const size = fc.oneof(
  fc.integer({ min: 1, max: 200 }).map((gib) => Size.gibibytes(gib)),
  fc.integer({ min: 1, max: 4096 }).map((mib) => Size.mebibytes(mib)),
  // Not whole mebibytes: once crashed inside cdk8s instead of synthesizing.
  fc.integer({ min: 1024, max: 1_000_000 }).map((kib) => Size.kibibytes(kib)),
);

const modelPath = fc.oneof(fc.constant('/models'), fc.stringMatching(/^\/[a-z]{1,8}(\/[a-z0-9_-]{1,8}){0,2}\/?$/));

const claimName = fc.stringMatching(/^[a-z0-9]([a-z0-9.-]{0,20}[a-z0-9])?$/).filter((n) => !/\.\.|\.-|-\./.test(n));
const fromImage = fc.tuple(pinnedImage, modelPath, fc.option(size, { nil: undefined }))
  .map(([image, path, sizeLimit]) => ModelRepository.fromImage(image, path, { sizeLimit }));
const existingClaim = claimName.map((claim) => ModelRepository.existingClaim(claim));
const newVolume = (accessMode: fc.Arbitrary<ModelVolumeAccessMode | undefined>): fc.Arbitrary<ModelRepository> =>
  fc.tuple(size, accessMode, fc.option(fc.constantFrom('local-path', 'longhorn', 'nfs.example.com'), { nil: undefined }))
    .map(([volumeSize, mode, storageClassName]) => ModelRepository.newVolume(volumeSize, { accessMode: mode, storageClassName }));
/** Any access mode, the default ReadWriteOnce included, for workers that all share one node. */
const anyModelRepository = fc.oneof(fromImage, existingClaim, newVolume(fc.option(fc.constantFrom(...Object.values(ModelVolumeAccessMode)), { nil: undefined })));
/** A new volume only with ReadWriteMany, for workers spread over several nodes. */
const spreadModelRepository = fc.oneof(fromImage, existingClaim, newVolume(fc.constant(ModelVolumeAccessMode.READ_WRITE_MANY)));

const scaling = fc.option(fc.oneof(
  fc.double({ min: 0.1, max: 50, noNaN: true }).map((target) => InferenceScaling.queueSize({ target })),
  fc.oneof(fc.integer({ min: 1, max: 100 }), fc.double({ min: 0.5, max: 100, noNaN: true })).map((targetPercent) => InferenceScaling.gpuUtilization({ targetPercent })),
  fc.double({ min: 0.1, max: 1000, noNaN: true }).map((threshold) => Scaling.prometheus({ query: 'sum(rate(video_analytics_frames_submitted_total[2m]))', threshold })),
), { nil: undefined });

const ports = fc.uniqueArray(fc.integer({ min: 1024, max: 65535 }), { minLength: 3, maxLength: 3 })
  .map(([httpPort, grpcPort, metricsPort]) => ({ httpPort, grpcPort, metricsPort }));

/** Every optional prop of a pool that does not depend on the inventory, each sometimes set. */
const poolOptions = fc.record({
  name: fc.option(fc.stringMatching(/^[a-z]([a-z0-9-]{0,45}[a-z0-9])?$/), { nil: undefined }),
  gpuProduct: fc.option(labelValue.filter((v) => v !== ''), { nil: undefined }),
  scaling,
  resources: fc.option(resources, { nil: undefined }),
  image: fc.option(pinnedImage, { nil: undefined }),
  ports: fc.option(ports, { nil: undefined }),
  // Fractions of a second: once crashed inside cdk8s.
  modelLoadTimeout: fc.option(fc.integer({ min: 10_000, max: 3_600_000 }).map((ms) => Duration.millis(ms)), { nil: undefined }),
  prometheusAddress: fc.option(fc.constantFrom('http://prometheus.monitoring.svc:9090', 'https://prometheus.example.com/prom'), { nil: undefined }),
  clusterDomain: fc.option(fc.constantFrom('cluster.local', 'edge.internal'), { nil: undefined }),
  priorityClassName: fc.option(fc.constantFrom(PlatformPriorities.ANALYSIS, PlatformPriorities.BATCH), { nil: undefined }),
});

/** A pool the inventory can hold at its peak, node by node, with every optional prop sometimes set. */
type PoolCase = { slices: number; props: Omit<GpuWorkerPoolProps, 'namespace' | 'inventory'> };

function poolCase(inventory: GpuInventoryProps): fc.Arbitrary<PoolCase> {
  return gpuRequest(inventory).chain(({ request, slices }) => {
    const most = placeableWorkers(inventory, slices);
    return fc.integer({ min: 1, max: Math.min(3, most) }).chain((minWorkers) => fc.integer({ min: minWorkers, max: Math.min(most, minWorkers + 4) })
      .chain((maxWorkers) => fc.tuple(inventory.nodes === 1 || maxWorkers === 1 ? anyModelRepository : spreadModelRepository, poolOptions)
        .map(([modelRepository, { ports: chosenPorts, ...options }]) => ({
          slices,
          props: {
            ...options,
            ...chosenPorts,
            modelRepository,
            gpusPerWorker: request,
            // The defaults, 2 and minWorkers, are left out when they are what was drawn.
            minWorkers: minWorkers === 2 ? undefined : minWorkers,
            maxWorkers: maxWorkers === minWorkers ? undefined : maxWorkers,
          },
        }))));
  });
}

const validPool = inventories.chain((inventory) => poolCase(inventory).map((pool) => ({ inventory, pool })));

// ---------------------------------------------------------------------------------------------
// Valid props
// ---------------------------------------------------------------------------------------------

describe('property: random valid props synthesize valid, compliant objects', () => {
  test('GpuWorkerPool', () => {
    fc.assert(fc.property(validPool, ({ inventory: inventoryProps, pool: { slices, props } }) => {
      count('GpuWorkerPool valid');
      const { app, chart } = appWithNamespaces(NS);
      const inventory = new GpuInventory(chart, 'gpus', inventoryProps);
      const pool = new GpuWorkerPool(chart, 'pool', { namespace: NS, inventory, ...props });
      // Without an address, the monitoring that watches the pool names its Prometheus.
      if (props.prometheusAddress === undefined) pool.usePrometheus(WATCHING);
      const objects = expectValidAndCompliant(app, { gpuCapacity: inventory.capacity });

      expect(pool.slicesPerWorker).toBe(slices);
      expect(pool.maxWorkers * pool.slicesPerWorker).toBeLessThanOrEqual(inventory.capacity);
      const deployment = findObject(objects, 'Deployment', pool.name, NS);
      const server = deployment.spec.template.spec.containers[0];
      expect(server.resources.requests['nvidia.com/gpu']).toBe(String(slices));
      expect(server.resources.limits['nvidia.com/gpu']).toBe(String(slices));
      // KEDA owns the replicas of an autoscaled pool; a fixed pool states them.
      expect(deployment.spec.replicas).toBe(pool.isAutoscaled ? undefined : pool.minWorkers);
      expect(objectsOfKind(objects, 'ScaledObject').length).toBe(pool.isAutoscaled ? 1 : 0);
      for (const scaled of objectsOfKind(objects, 'ScaledObject')) {
        expect(scaled.spec.triggers[0].metadata.serverAddress).toBe(props.prometheusAddress ?? WATCHING.url);
      }
      // Nothing linked, nothing admitted; models are local, nothing goes out.
      const policy = findObject(objects, 'NetworkPolicy', pool.name, NS);
      expect([policy.spec.ingress, policy.spec.egress]).toEqual([[], []]);
      // Every emptyDir is sized, and the server requests and is limited to all of them: the scheduler counts the models.
      const pod = deployment.spec.template.spec;
      const emptyDirs = pod.volumes.filter((v: any) => v.emptyDir !== undefined);
      for (const volume of emptyDirs) expect(volume.emptyDir.sizeLimit).toBeDefined();
      const sized = emptyDirs.reduce((sum: number, v: any) => sum + memoryBytes(v.emptyDir.sizeLimit), 0);
      expect(memoryBytes(server.resources.requests['ephemeral-storage'])).toBeGreaterThanOrEqual(sized);
      expect(memoryBytes(server.resources.limits['ephemeral-storage'])).toBeGreaterThanOrEqual(memoryBytes(server.resources.requests['ephemeral-storage']));
      // And the pool's workers are placed node by node.
      expect(inventory.placement().unplaced).toEqual([]);
    }), { numRuns: RUNS });
  });

  test('GpuInventory: pools of one-slice workers that fit its capacity together synthesize and pass the GPU policy', () => {
    const inventoryAndPools = inventories.chain((inventory) => {
      const { capacity } = supplyOf(inventory);
      // Up to three pools of one slice per worker; each takes its peak from what the others left.
      return fc.array(fc.integer({ min: 1, max: capacity }), { maxLength: 3 }).map((drawn) => {
        let left = capacity;
        const peaks = drawn.map((wanted) => {
          const peak = Math.min(wanted, left);
          left -= peak;
          return peak;
        }).filter((peak) => peak > 0);
        return { inventory, peaks };
      });
    });
    fc.assert(fc.property(inventoryAndPools, ({ inventory: props, peaks }) => {
      count('GpuInventory valid');
      const { app, chart } = appWithNamespaces(NS);
      const inventory = new GpuInventory(chart, 'gpus', props);
      peaks.forEach((maxWorkers, i) => new GpuWorkerPool(chart, `pool-${i}`, {
        namespace: NS, inventory, minWorkers: 1, maxWorkers, modelRepository: MODELS, prometheusAddress,
      }));
      expect(inventory.capacity).toBe(supplyOf(props).capacity);
      expect(inventory.capacityPerNode).toBe(supplyOf(props).gpusPerNode * supplyOf(props).replicas);
      expect(inventory.demands.map((d) => d.maxWorkers)).toEqual(peaks);
      expectValidAndCompliant(app, { gpuCapacity: inventory.capacity });
    }), { numRuns: RUNS });
  });

  test('GpuNodeSupport', () => {
    const supportProps: fc.Arbitrary<Omit<GpuNodeSupportProps, 'inventory'>> = fc.record({
      namespace: fc.option(dnsLabel, { nil: undefined }),
      migStrategy: fc.option(fc.constantFrom(...Object.values(MigStrategy)), { nil: undefined }),
      emitRuntimeClass: fc.option(fc.boolean(), { nil: undefined }),
      devicePluginImage: fc.option(pinnedImage, { nil: undefined }),
      dcgmExporterImage: fc.option(pinnedImage, { nil: undefined }),
      devicePluginResources: fc.option(resources, { nil: undefined }),
      dcgmExporterResources: fc.option(resources, { nil: undefined }),
      profilingMetrics: fc.option(fc.boolean(), { nil: undefined }),
    });
    fc.assert(fc.property(inventories, supportProps, (inventoryProps, props) => {
      count('GpuNodeSupport valid');
      const { app, chart } = appWithNamespaces();
      const inventory = new GpuInventory(chart, 'gpus', inventoryProps);
      const support = new GpuNodeSupport(chart, 'gpu', { inventory, ...props });
      const objects = expectValidAndCompliant(app, { gpuCapacity: inventory.capacity });

      const plugin = findObject(objects, 'DaemonSet', 'nvidia-device-plugin', support.namespace).spec.template.spec;
      const env = Object.fromEntries(plugin.containers[0].env.map((e: any) => [e.name, e.value]));
      expect(env.MIG_STRATEGY).toBe(props.migStrategy ?? MigStrategy.NONE);
      expect(objectsOfKind(objects, 'RuntimeClass').length).toBe(props.emitRuntimeClass ? 1 : 0);
      // Time-slicing reaches the device plugin as its config file; exclusive GPUs need none.
      const configs = objectsOfKind(objects, 'ConfigMap').filter((c) => c.metadata.name === 'nvidia-device-plugin-config');
      if (inventory.sharing.isTimeSliced) {
        expect(parseYaml(configs[0].data['config.yaml']).sharing.timeSlicing.resources).toEqual([{ name: 'nvidia.com/gpu', replicas: inventory.sharing.replicas }]);
      } else {
        expect(configs).toEqual([]);
      }
      // Both daemons run on exactly the inventory's GPU nodes, first in line without the scope's PriorityClasses.
      for (const daemon of objectsOfKind(objects, 'DaemonSet')) {
        const terms = daemon.spec.template.spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms;
        expect(terms).toEqual([{ matchExpressions: Object.entries(inventory.nodeSelector).map(([key, value]) => ({ key, operator: 'In', values: [value] })) }]);
        expect(daemon.spec.template.spec.priorityClassName).toBe('system-node-critical');
        expect(daemon.spec.template.spec.securityContext.seccompProfile).toEqual({ type: 'RuntimeDefault' });
      }
      // SYS_ADMIN and the profiling fields together, or neither.
      const exporter = findObject(objects, 'DaemonSet', 'dcgm-exporter', support.namespace).spec.template.spec.containers[0];
      const collectors: string = findObject(objects, 'ConfigMap', 'dcgm-exporter-collectors', support.namespace).data['collectors.csv'];
      expect(exporter.securityContext.capabilities).toEqual(props.profilingMetrics ? { drop: ['ALL'], add: ['SYS_ADMIN'] } : { drop: ['ALL'] });
      expect(/^DCGM_FI_PROF_/m.test(collectors)).toBe(props.profilingMetrics ?? false);
      // dcgm-exporter admits only what is linked to it: here nothing.
      const policy = findObject(objects, 'NetworkPolicy', 'dcgm-exporter', support.namespace);
      expect([policy.spec.ingress, policy.spec.egress]).toEqual([[], []]);
    }), { numRuns: RUNS });
  });
});

// ---------------------------------------------------------------------------------------------
// GPU placement
// ---------------------------------------------------------------------------------------------

function supplyFor(props: GpuInventoryProps): GpuSupply {
  const { gpusPerNode, replicas } = supplyOf(props);
  return { nodes: props.nodes, gpusPerNode, slicesPerGpu: replicas, timeSliced: props.sharing?.isTimeSliced ?? false };
}

/** Slices of one worker the inventory accepts: up to a GPU's slices (one with several GPUs per node), or up to a node's GPUs. */
function workerSlices(props: GpuInventoryProps): fc.Arbitrary<number> {
  const { gpusPerNode, replicas } = supplyOf(props);
  return fc.integer({ min: 1, max: props.sharing?.isTimeSliced ? (gpusPerNode === 1 ? replicas : 1) : gpusPerNode });
}

/** One to four consumers of 1 to 6 workers, each of a size the inventory accepts. */
function demandsFor(props: GpuInventoryProps, slices: fc.Arbitrary<number> = workerSlices(props)): fc.Arbitrary<GpuDemand[]> {
  return fc.array(fc.tuple(slices, fc.integer({ min: 1, max: 6 })), { minLength: 1, maxLength: 4 })
    .map((drawn) => drawn.map(([slicesPerWorker, maxWorkers], i) => ({ consumer: `${NS}/pool-${i}`, maxWorkers, slicesPerWorker })));
}

const placementCase = inventories.chain((inventory) => demandsFor(inventory).map((demands) => ({ inventory, demands })));

/**
 * What every placement guarantees: no GPU over-committed, each worker's slices on one GPU (whole
 * GPUs on one node), every worker placed once, and each pool's workers spread evenly over the nodes.
 */
function expectSound(placement: GpuPlacement, supply: GpuSupply, demands: readonly GpuDemand[]): void {
  expect(placement.gpus).toHaveLength(supply.nodes * supply.gpusPerNode);
  const gpusOfWorker = new Map<string, Array<{ node: number; gpu: number }>>();
  for (const gpu of placement.gpus) {
    expect(gpu.used).toBeGreaterThanOrEqual(0);
    expect(gpu.used).toBeLessThanOrEqual(supply.slicesPerGpu);
    expect(gpu.free).toBe(supply.slicesPerGpu - gpu.used);
    const taken = gpu.workers.reduce((sum, w) => sum + (supply.timeSliced ? demands.find((d) => d.consumer === w.consumer)!.slicesPerWorker : 1), 0);
    expect(gpu.used).toBe(taken);
    for (const w of gpu.workers) {
      const key = `${w.consumer}#${w.worker}`;
      gpusOfWorker.set(key, [...(gpusOfWorker.get(key) ?? []), { node: gpu.node, gpu: gpu.gpu }]);
    }
  }
  for (const demand of demands) {
    const unplaced = placement.unplaced.find((u) => u.consumer === demand.consumer)?.count ?? 0;
    const placed = demand.maxWorkers - unplaced;
    const perNode = new Array<number>(supply.nodes).fill(0);
    for (let worker = 1; worker <= demand.maxWorkers; worker++) {
      const gpus = gpusOfWorker.get(`${demand.consumer}#${worker}`) ?? [];
      if (worker > placed) {
        expect(gpus).toEqual([]);
        continue;
      }
      // A time-sliced worker's slices on one GPU; a whole-GPU worker's GPUs on one node, each once.
      expect(gpus).toHaveLength(supply.timeSliced ? 1 : demand.slicesPerWorker);
      expect(new Set(gpus.map((g) => g.node)).size).toBe(1);
      expect(new Set(gpus.map((g) => g.gpu)).size).toBe(gpus.length);
      perNode[gpus[0].node - 1]++;
    }
    // The pool's hard spread: no node holds two more than another.
    expect(Math.max(...perNode) - Math.min(...perNode)).toBeLessThanOrEqual(1);
  }
  // Never more than the sum of the slices.
  if (placement.unplaced.length === 0) {
    expect(demands.reduce((sum, d) => sum + d.maxWorkers * d.slicesPerWorker, 0)).toBeLessThanOrEqual(supply.nodes * supply.gpusPerNode * supply.slicesPerGpu);
  }
}

/**
 * The placement as first written: every worker compares every node. The library visits nodes in
 * order of slices taken instead (linear at city scale); this oracle holds it to the same result.
 */
function placeByScanningEveryNode(supply: GpuSupply, demands: readonly GpuDemand[]): GpuPlacement {
  const nodes = Array.from({ length: supply.nodes }, (_, index) => ({
    index, used: new Array<number>(supply.gpusPerNode).fill(0), workers: Array.from({ length: supply.gpusPerNode }, () => [] as Array<{ consumer: string; worker: number }>),
  }));
  const used = (node: typeof nodes[number]): number => node.used.reduce((sum, u) => sum + u, 0);
  const gpusFor = (node: typeof nodes[number], slices: number): number[] | undefined => {
    if (supply.timeSliced) {
      const gpu = node.used.findIndex((u) => supply.slicesPerGpu - u >= slices);
      return gpu < 0 ? undefined : [gpu];
    }
    const free = node.used.flatMap((u, gpu) => (u === 0 ? [gpu] : []));
    return free.length >= slices ? free.slice(0, slices) : undefined;
  };
  const unplaced: GpuPlacement['unplaced'][number][] = [];
  for (const demand of [...demands].sort((a, b) => b.slicesPerWorker - a.slicesPerWorker)) {
    const perNode = new Array<number>(nodes.length).fill(0);
    let placed = demand.maxWorkers;
    for (let worker = 1; worker <= demand.maxWorkers; worker++) {
      const fewest = Math.min(...perNode);
      const choice = nodes.filter((node) => perNode[node.index] === fewest)
        .map((node) => ({ node, gpus: gpusFor(node, demand.slicesPerWorker) }))
        .filter((candidate) => candidate.gpus !== undefined)
        .reduce<{ node: typeof nodes[number]; gpus?: number[] } | undefined>((best, c) => (best === undefined || used(c.node) < used(best.node) ? c : best), undefined);
      if (choice === undefined) {
        placed = worker - 1;
        break;
      }
      for (const gpu of choice.gpus!) {
        choice.node.used[gpu] += supply.timeSliced ? demand.slicesPerWorker : 1;
        choice.node.workers[gpu].push({ consumer: demand.consumer, worker });
      }
      perNode[choice.node.index]++;
    }
    if (placed < demand.maxWorkers) unplaced.push({ consumer: demand.consumer, count: demand.maxWorkers - placed, maxWorkers: demand.maxWorkers, slicesPerWorker: demand.slicesPerWorker });
  }
  return {
    gpus: nodes.flatMap((node) => node.used.map((u, gpu) => ({ node: node.index + 1, gpu, used: u, free: supply.slicesPerGpu - u, workers: node.workers[gpu] }))),
    unplaced,
  };
}

describe('property: GPU placement node by node', () => {
  test('places every worker exactly where scanning every node would', () => {
    fc.assert(fc.property(placementCase, ({ inventory, demands }) => {
      count('placement equals the scan');
      const supply = supplyFor(inventory);
      expect(placeAtMaximumScale(supply, demands)).toEqual(placeByScanningEveryNode(supply, demands));
    }), { numRuns: RUNS * 10 });
  });

  test('no GPU over-committed, each worker\'s slices on one GPU, each pool spread evenly', () => {
    fc.assert(fc.property(placementCase, ({ inventory, demands }) => {
      count('placement sound');
      const supply = supplyFor(inventory);
      expectSound(placeAtMaximumScale(supply, demands), supply, demands);
    }), { numRuns: RUNS * 10 });
  });

  test('one-slice workers are placed exactly when the sum of the slices fits', () => {
    const oneSlice = inventories.chain((inventory) => demandsFor(inventory, fc.constant(1)).map((demands) => ({ inventory, demands })));
    fc.assert(fc.property(oneSlice, ({ inventory, demands }) => {
      count('placement one-slice');
      const supply = supplyFor(inventory);
      const fits = demands.reduce((sum, d) => sum + d.maxWorkers, 0) <= supplyOf(inventory).capacity;
      expect(placeAtMaximumScale(supply, demands).unplaced.length === 0).toBe(fits);
    }), { numRuns: RUNS * 10 });
  });

  test('pools synthesize exactly when their placement succeeds, and then no GPU is over-committed and each worker\'s slices are on one GPU', () => {
    const pools = inventories.chain((inventory) => fc.array(fc.tuple(gpuRequest(inventory), fc.integer({ min: 1, max: 6 })), { minLength: 1, maxLength: 3 })
      .map((drawn) => ({ inventory, pools: drawn })));
    fc.assert(fc.property(pools, ({ inventory: props, pools: drawn }) => {
      count('placement synthesized');
      const { chart } = appWithNamespaces(NS);
      const inventory = new GpuInventory(chart, 'gpus', props);
      drawn.forEach(([{ request }, maxWorkers], i) => new GpuWorkerPool(chart, `pool-${i}`, {
        namespace: NS, inventory, minWorkers: 1, maxWorkers, gpusPerWorker: request, modelRepository: MODELS, prometheusAddress,
      }));
      const placement = inventory.placement();
      expectSound(placement, inventory.supply, inventory.demands);
      if (placement.unplaced.length === 0) {
        expect(() => chart.toJson()).not.toThrow();
      } else {
        expect(() => chart.toJson()).toThrow(new RegExp(`GpuInventory 'gpus': 'capacity' \\([^]*no place is left for [^]*${placement.unplaced[0].consumer}[^]*Placement at maximum scale`));
      }
    }), { numRuns: RUNS });
  });
});

// ---------------------------------------------------------------------------------------------
// Invalid props
// ---------------------------------------------------------------------------------------------

interface Invalid<P> {
  readonly prop: string;
  readonly props: Partial<P>;
}

/** Three nodes of two exclusive GPUs: room for the default pool and for most mistakes. */
const EXCLUSIVE: GpuInventoryProps = { nodes: 3, gpusPerNode: 2 };
/** Two nodes of one GPU sliced four ways: valid shares are 0.25, 0.5, 0.75 and 1. */
const SLICED: GpuInventoryProps = { nodes: 2, sharing: GpuSharing.timeSlicing({ replicas: 4 }) };
const notAQuarter = (share: number): boolean => share > 1 + 1e-9 || Math.abs(share * 4 - Math.round(share * 4)) > 1e-6;

describe('property: random invalid props throw an error that names the prop', () => {
  test('GpuWorkerPool', () => {
    // A whole part plus 0.01-0.99: added to an integer it stays off the integers (a double just
    // below 10 added to 8000 would round to 8010, a valid port).
    const fraction = fc.tuple(fc.integer({ min: 0, max: 9 }), fc.double({ min: 0.01, max: 0.99, noNaN: true })).map(([whole, part]) => whole + part);
    const invalid: fc.Arbitrary<Invalid<GpuWorkerPoolProps> & { inventory?: GpuInventoryProps }> = fc.oneof(
      fc.oneof(fc.integer({ max: 0 }), fraction).map((v) => ({ prop: 'minWorkers', props: { minWorkers: v } })),
      fc.integer({ min: 2, max: 6 }).chain((min) => fc.oneof(fc.integer({ min: -3, max: min - 1 }), fraction.map((f) => min + f))
        .map((max) => ({ prop: 'maxWorkers', props: { minWorkers: min, maxWorkers: max } }))),
      // Whole GPUs: a fraction, more than a node has, or any on a time-sliced inventory.
      fc.double({ min: -2, max: 0.99, noNaN: true }).map((n) => ({ prop: 'gpusPerWorker', props: { gpusPerWorker: GpuRequest.whole(n) } })),
      fc.integer({ min: 3, max: 8 }).map((n) => ({ prop: 'gpusPerWorker', props: { gpusPerWorker: GpuRequest.whole(n) } })),
      fc.integer({ min: 1, max: 2 }).map((n) => ({ prop: 'gpusPerWorker', inventory: SLICED, props: { gpusPerWorker: GpuRequest.whole(n) } })),
      // Shares: on exclusive GPUs, or not a whole number of the inventory's slices.
      fc.double({ min: 0.01, max: 1, noNaN: true }).map((share) => ({ prop: 'gpusPerWorker', props: { gpusPerWorker: GpuRequest.shared({ share }) } })),
      fc.oneof(fc.double({ max: 0, noNaN: true }), fc.double({ min: 0.01, max: 3, noNaN: true }).filter(notAQuarter))
        .map((share) => ({ prop: 'gpusPerWorker', inventory: SLICED, props: { gpusPerWorker: GpuRequest.shared({ share }) } })),
      fc.oneof(fc.stringMatching(/^[A-Z0-9_][A-Za-z0-9_]{0,10}$/), fc.stringMatching(/^[a-z][a-z0-9]{47,60}$/)).map((name) => ({ prop: 'name', props: { name } })),
      badDnsName.map((namespace) => ({ prop: 'namespace', props: { namespace } })),
      fc.tuple(fc.constantFrom('httpPort', 'grpcPort', 'metricsPort'), fc.oneof(fc.integer({ max: 0 }), fc.integer({ min: 65536 }), fraction.map((f) => 8000 + f)))
        .map(([prop, port]) => ({ prop, props: { [prop]: port } })),
      fc.integer({ min: 1024, max: 65535 }).map((port) => ({ prop: 'httpPort, grpcPort, metricsPort', props: { httpPort: port, metricsPort: port } })),
      fc.oneof(fc.double({ max: 0, noNaN: true }), fc.double({ min: 100.001, max: 1e6, noNaN: true }), fc.constant(NaN))
        .map((targetPercent) => ({ prop: 'scaling.targetPercent', props: { scaling: InferenceScaling.gpuUtilization({ targetPercent }) } })),
      fc.oneof(fc.double({ max: 0, noNaN: true }), fc.constantFrom(Infinity, NaN))
        .map((target) => ({ prop: 'scaling.target', props: { scaling: InferenceScaling.queueSize({ target }) } })),
      fc.oneof(fc.integer({ min: 1, max: 10 }).map((n) => Scaling.fixed(n)), fc.integer({ min: 1, max: 100 }).map((n) => Scaling.cpu(n)))
        .map((fixedOrCpu) => ({ prop: 'scaling', props: { maxWorkers: 4, scaling: fixedOrCpu } })),
      fc.oneof(fc.double({ max: 0, noNaN: true }), fc.constantFrom(Infinity, NaN))
        .map((threshold) => ({ prop: 'scaling.threshold', props: { scaling: Scaling.prometheus({ query: 'sum(up)', threshold }) } })),
      fc.constantFrom('prometheus:9090', 'ftp://prometheus', 'http://', 'http://has space/').map((prometheusAddress) => ({ prop: 'prometheusAddress', props: { prometheusAddress } })),
      unpinnedImage.map((image) => ({ prop: 'image', props: { image } })),
      fc.constant({ prop: 'args', props: { args: [] } }),
      fc.oneof(badLabelValue, fc.constant('')).map((gpuProduct) => ({ prop: 'gpuProduct', props: { gpuProduct } })),
      fc.integer({ min: 0, max: 9999 }).map((ms) => ({ prop: 'modelLoadTimeout', props: { modelLoadTimeout: Duration.millis(ms) } })),
      badDnsName.filter((n) => n !== '').map((priorityClassName) => ({ prop: 'priorityClassName', props: { priorityClassName } })),
      fc.constantFrom('Cluster.Local', 'has space', '-edge').map((clusterDomain) => ({ prop: 'clusterDomain', props: { clusterDomain } })),
      resourcesAboveLimit('resources').map(({ prop, value }) => ({ prop, props: { resources: value } })),
      // Model repositories.
      fc.constantFrom('models', '', '/', '//', '/load-models-target', '/load-models-target/x')
        .map((path) => ({ prop: 'modelRepository.path', props: { modelRepository: ModelRepository.fromImage('models/yolo:1.0.0', path) } })),
      unpinnedImage.map((image) => ({ prop: 'modelRepository.image', props: { modelRepository: ModelRepository.fromImage(image, '/models') } })),
      badDnsName.map((claim) => ({ prop: 'modelRepository.claimName', props: { modelRepository: ModelRepository.existingClaim(claim) } })),
      // ReadWriteOnce on three nodes, for more than one worker.
      fc.integer({ min: 2, max: 5 }).map((maxWorkers) => ({ prop: 'modelRepository', props: { minWorkers: 1, maxWorkers, modelRepository: ModelRepository.newVolume(Size.gibibytes(1)) } })),
      fc.integer({ min: 0, max: 1023 }).map((kib) => ({ prop: 'modelRepository.sizeLimit', props: { modelRepository: ModelRepository.fromImage('models/yolo:1.0.0', '/models', { sizeLimit: Size.kibibytes(kib) }) } })),
      // Ephemeral storage below the emptyDirs (10Gi of models and 1Gi of /tmp by default).
      fc.tuple(fc.constantFrom('request', 'limit'), fc.integer({ min: 1, max: 11 * 1024 - 1 }))
        .map(([part, mib]) => ({ prop: `resources.ephemeralStorage.${part}`, props: { resources: { ephemeralStorage: { [part]: Size.mebibytes(mib) } } } })),
      fc.integer({ min: 0, max: 1023 }).map((kib) => ({
        prop: 'modelRepository.size', props: { modelRepository: ModelRepository.newVolume(Size.kibibytes(kib), { accessMode: ModelVolumeAccessMode.READ_WRITE_MANY }) },
      })),
      badDnsName.map((storageClassName) => ({
        prop: 'modelRepository.storageClassName', props: { modelRepository: ModelRepository.newVolume(Size.gibibytes(1), { accessMode: ModelVolumeAccessMode.READ_WRITE_MANY, storageClassName }) },
      })),
    );
    fc.assert(fc.property(invalid, ({ prop, inventory: inventoryProps, props }) => {
      count('GpuWorkerPool invalid');
      const { chart } = appWithNamespaces();
      const inventory = new GpuInventory(chart, 'gpus', inventoryProps ?? EXCLUSIVE);
      expect(() => new GpuWorkerPool(chart, 'pool', { namespace: NS, inventory, modelRepository: MODELS, ...props })).toThrow(namesProp('GpuWorkerPool', 'pool', prop));
    }), { numRuns: RUNS });
  });

  test('GpuInventory', () => {
    const notAPositiveInteger = fc.oneof(fc.integer({ max: 0 }), fc.double({ min: 0.01, max: 10, noInteger: true, noNaN: true }), fc.constant(NaN));
    const invalid: fc.Arbitrary<Invalid<GpuInventoryProps>> = fc.oneof(
      notAPositiveInteger.map((nodes) => ({ prop: 'nodes', props: { nodes } })),
      notAPositiveInteger.map((gpusPerNode) => ({ prop: 'gpusPerNode', props: { gpusPerNode } })),
      fc.oneof(fc.integer({ min: -3, max: 1 }), fc.double({ min: 2.01, max: 8, noInteger: true, noNaN: true }))
        .map((replicas) => ({ prop: 'sharing.replicas', props: { sharing: GpuSharing.timeSlicing({ replicas }) } })),
      fc.constant({ prop: 'nodeSelector', props: { nodeSelector: {} } }),
      fc.tuple(labelKey, badLabelValue).map(([key, value]) => ({ prop: 'nodeSelector', props: { nodeSelector: { [key]: value } } })),
      fc.constantFrom('-gpu', 'a/b/c', 'has space', 'Example.com/gpu').map((key) => ({ prop: 'nodeSelector', props: { nodeSelector: { [key]: 'true' } } })),
    );
    fc.assert(fc.property(invalid, ({ prop, props }) => {
      count('GpuInventory invalid');
      const { chart } = appWithNamespaces();
      expect(() => new GpuInventory(chart, 'gpus', { nodes: 2, ...props })).toThrow(namesProp('GpuInventory', 'gpus', prop));
    }), { numRuns: RUNS });
  });

  test('GpuInventory: pools whose peaks exceed its capacity together fail synthesis, naming capacity', () => {
    // Two pools that each fit, but not both at their peak.
    const overbooked = inventories.chain((inventory) => {
      const { capacity } = supplyOf(inventory);
      return fc.integer({ min: 1, max: capacity }).chain((first) => fc.integer({ min: capacity - first + 1, max: capacity }).map((second) => ({ inventory, peaks: [first, second] })));
    });
    fc.assert(fc.property(overbooked, ({ inventory: props, peaks }) => {
      count('GpuInventory capacity invalid');
      const { chart } = appWithNamespaces(NS);
      const inventory = new GpuInventory(chart, 'gpus', props);
      peaks.forEach((maxWorkers, i) => new GpuWorkerPool(chart, `pool-${i}`, { namespace: NS, inventory, minWorkers: 1, maxWorkers, modelRepository: MODELS, prometheusAddress }));
      // Construct validations run at synthesis, where cdk8s prefixes each message with the construct path.
      expect(() => chart.toJson()).toThrow(/^ {2}\[chart\/gpus\] GpuInventory 'gpus': 'capacity' \(/m);
    }), { numRuns: RUNS });
  });

  test('GpuNodeSupport', () => {
    const invalid: fc.Arbitrary<Invalid<GpuNodeSupportProps>> = fc.oneof(
      badDnsName.map((namespace) => ({ prop: 'namespace', props: { namespace } })),
      unpinnedImage.map((devicePluginImage) => ({ prop: 'devicePluginImage', props: { devicePluginImage } })),
      unpinnedImage.map((dcgmExporterImage) => ({ prop: 'dcgmExporterImage', props: { dcgmExporterImage } })),
      resourcesAboveLimit('devicePluginResources').map(({ prop, value }) => ({ prop, props: { devicePluginResources: value } })),
      resourcesAboveLimit('dcgmExporterResources').map(({ prop, value }) => ({ prop, props: { dcgmExporterResources: value } })),
    );
    fc.assert(fc.property(invalid, ({ prop, props }) => {
      count('GpuNodeSupport invalid');
      const { chart } = appWithNamespaces();
      const inventory = new GpuInventory(chart, 'gpus', EXCLUSIVE);
      expect(() => new GpuNodeSupport(chart, 'gpu', { inventory, ...props })).toThrow(namesProp('GpuNodeSupport', 'gpu', prop));
    }), { numRuns: RUNS });
  });
});
