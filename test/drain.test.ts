import { Testing } from 'cdk8s';
import { buildReferencePlatform } from '../main';
import {
  DrainReport, FindingKind, GPU_RESOURCE, Json, findingsByWorkload, formatDrainReport, k3sClusterShape, simulateUpgradeDrains,
} from './_drain-simulator';
import { testApp } from './_helpers';
import { SINGLE_REPLICA_REASON_ANNOTATION } from '../lib/synth/pod/builder';

// What an upgrade does to the platform: every node drained in turn on a cluster shaped like the
// reference one (three untainted servers, two tainted GPU agents). The unit tests pin down the
// simulator on small object sets, each with the rule it proves able to fail; the last test judges
// the reference platform.

const HOSTNAME = 'kubernetes.io/hostname';
const GPU_TOLERATION = { key: GPU_RESOURCE, operator: 'Exists', effect: 'NoSchedule' };

interface PodOptions {
  /** At most one replica more on any node than on the emptiest (DoNotSchedule on the hostname), as the library spreads. */
  readonly hardSpread?: boolean;
  /** A local-path claim every replica mounts. */
  readonly claim?: string;
  readonly requests?: Record<string, string>;
  readonly tolerations?: Json[];
}

function podTemplate(name: string, options: PodOptions = {}): Json {
  const spread = { maxSkew: 1, topologyKey: HOSTNAME, whenUnsatisfiable: 'DoNotSchedule', labelSelector: { matchLabels: { app: name } } };
  const requests = options.requests ?? { cpu: '100m', memory: '128Mi' };
  return {
    metadata: { labels: { app: name } },
    spec: {
      containers: [{ name, image: `${name}:1`, resources: { requests, limits: requests } }],
      ...(options.hardSpread ? { topologySpreadConstraints: [spread] } : {}),
      ...(options.claim ? { volumes: [{ name: 'data', persistentVolumeClaim: { claimName: options.claim } }] } : {}),
      ...(options.tolerations ? { tolerations: options.tolerations } : {}),
    },
  };
}

function deployment(name: string, replicas: number | undefined, options: PodOptions = {}): Json {
  const spec = { selector: { matchLabels: { app: name } }, template: podTemplate(name, options) };
  return { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name, namespace: 'default' }, spec: replicas === undefined ? spec : { replicas, ...spec } };
}

function statefulSetWithLocalData(name: string, replicas: number): Json {
  const data = { metadata: { name: 'data' }, spec: { storageClassName: 'local-path', accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } };
  return {
    apiVersion: 'apps/v1', kind: 'StatefulSet', metadata: { name, namespace: 'default' },
    spec: { replicas, serviceName: name, selector: { matchLabels: { app: name } }, template: podTemplate(name, { hardSpread: true }), volumeClaimTemplates: [data] },
  };
}

function budget(name: string, rule: { minAvailable: number } | { maxUnavailable: number }): Json {
  return { apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: { name, namespace: 'default' }, spec: { selector: { matchLabels: { app: name } }, ...rule } };
}

function localClaim(name: string): Json {
  return {
    apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name, namespace: 'default' },
    spec: { storageClassName: 'local-path', accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } },
  };
}

function nodesOf(report: DrainReport, pod: string): string[] {
  return report.placements.filter((p) => p.pod === pod).map((p) => p.node);
}

/** The drains that evicted a pod of the workload, in order. */
function drainsEvicting(report: DrainReport, workload: string): string[] {
  return [...new Set(report.evictions.filter((e) => e.workload === workload).map((e) => e.node))];
}

describe('the drain simulator', () => {
  test('a 1-replica Deployment has no ready replica while the node it runs on drains, and only then', () => {
    const report = simulateUpgradeDrains([deployment('web', 1)]);
    const drainsThatHitIt = drainsEvicting(report, 'default/web');
    expect(drainsThatHitIt.length).toBeGreaterThan(0);
    expect(report.unavailable).toEqual(drainsThatHitIt.map((node) => ({ node, workload: 'default/web' })));
    expect(report.pending).toEqual([]);
    expect(report.blocked).toEqual([]);
  });

  describe('on two servers, where a drain leaves one node to move to', () => {
    const twoServers = k3sClusterShape({ servers: ['server-1', 'server-2'], gpuAgents: [] });

    test('a 2-replica Deployment with a hard spread keeps a ready replica through every drain', () => {
      const report = simulateUpgradeDrains([deployment('web', 2, { hardSpread: true })], twoServers);
      expect(report.unavailable).toEqual([]);
      expect(report.blocked).toEqual([]);
      // The spread refuses to stack the replacement beside its sibling: it waits for the node instead.
      expect(report.pending.map((p) => p.reason)).toEqual(expect.arrayContaining([expect.stringMatching(/didn't match pod topology spread constraints/)]));
    });

    test('without the spread the replacement stacks beside its sibling, and the next drain evicts both at once', () => {
      const report = simulateUpgradeDrains([deployment('web', 2)], twoServers);
      expect(report.unavailable).toEqual([{ node: 'server-2', workload: 'default/web' }]);
    });
  });

  test('a budget demanding every replica blocks the drain of each node that holds one, forever', () => {
    const report = simulateUpgradeDrains([deployment('web', 2, { hardSpread: true }), budget('web', { minAvailable: 2 })]);
    // Nothing moves, so each replica blocks the drain of the node it was first placed on.
    const replicas = report.placements.filter((p) => p.during === undefined).sort((a, b) => report.nodes.indexOf(a.node) - report.nodes.indexOf(b.node));
    expect(replicas.length).toBe(2);
    expect(report.blocked).toEqual(replicas.map((r) => ({ node: r.node, pod: r.pod, workload: 'default/web', budget: 'default/web' })));
    expect(report.evictions).toEqual([]);
    expect(report.unavailable).toEqual([]);
    expect(formatDrainReport(report)).toMatch(/drain of server-\d blocked forever: default\/web-\d \(default\/web\) refused by PodDisruptionBudget default\/web/);
  });

  test('a budget of one unavailable lets the same drains finish', () => {
    const report = simulateUpgradeDrains([deployment('web', 2, { hardSpread: true }), budget('web', { maxUnavailable: 1 })]);
    expect(report.blocked).toEqual([]);
    expect(report.unavailable).toEqual([]);
  });

  test('two spread replicas of a Deployment sharing one local-path claim: the second is Pending, pinned to the first one\'s node', () => {
    const report = simulateUpgradeDrains([deployment('web', 2, { hardSpread: true, claim: 'web-data' }), localClaim('web-data')]);
    const first = report.placements.find((p) => p.during === undefined)!;
    const second = report.pending.find((p) => p.during === undefined && p.pod !== first.pod)!;
    expect(second).toBeDefined();
    expect(second.reason).toMatch(/^0\/5 nodes are available: .*2 node\(s\) had volume node affinity conflict/);
    expect(second.reason).toMatch(/1 node\(s\) didn't match pod topology spread constraints/);
  });

  test('a StatefulSet on local-path keeps the drained node\'s pod Pending until the node returns, while the other replica stays ready', () => {
    const report = simulateUpgradeDrains([statefulSetWithLocalData('db', 2), budget('db', { maxUnavailable: 1 })]);
    const homes = ['default/db-0', 'default/db-1'].map((pod) => nodesOf(report, pod));
    // Each ordinal comes back to the node its claim is bound to, and only there.
    for (const nodes of homes) expect(new Set(nodes).size).toBe(1);
    expect(report.pending).toEqual(['default/db-0', 'default/db-1'].map((pod, i) => ({
      pod, workload: 'default/db', during: homes[i][0], reason: expect.stringMatching(/volume node affinity conflict/),
    })).sort((a, b) => report.nodes.indexOf(a.during) - report.nodes.indexOf(b.during)));
    expect(report.unavailable).toEqual([]);
    expect(report.blocked).toEqual([]);
  });

  test('a GPU pod goes only to the tainted GPU agents, and only when it tolerates their taint', () => {
    const gpu = { cpu: '1', memory: '1Gi', [GPU_RESOURCE]: '2' };
    const report = simulateUpgradeDrains([
      deployment('tolerant', 2, { requests: gpu, tolerations: [GPU_TOLERATION] }),
      deployment('intolerant', 1, { requests: gpu }),
    ]);
    const tolerantNodes = report.placements.filter((p) => p.workload === 'default/tolerant').map((p) => p.node);
    expect(tolerantNodes.length).toBeGreaterThan(2);
    expect(tolerantNodes.every((node) => node.startsWith('gpu-'))).toBe(true);
    expect(report.placements.filter((p) => p.workload === 'default/intolerant')).toEqual([]);
    expect(report.pending).toEqual([{
      pod: 'default/intolerant-1', workload: 'default/intolerant', during: undefined,
      reason: '0/5 nodes are available: 3 Insufficient nvidia.com/gpu, 2 node(s) had untolerated taint {nvidia.com/gpu: true}.',
    }]);
  });

  test('a GPU agent\'s slices are a hard limit: a worker that finds none left waits', () => {
    const threeSlices = { cpu: '1', memory: '1Gi', [GPU_RESOURCE]: '3' };
    const report = simulateUpgradeDrains([deployment('workers', 2, { requests: threeSlices, tolerations: [GPU_TOLERATION] })]);
    // Draining either agent leaves one slice free on the other: the replacement waits for its node.
    expect(report.pending).toEqual(['gpu-1', 'gpu-2'].map((during) => expect.objectContaining({ during, reason: expect.stringMatching(/Insufficient nvidia\.com\/gpu/) })));
    expect(report.unavailable).toEqual([]);
  });

  test('autoscaled workloads run their minimum: a ScaledObject\'s minReplicaCount, an HPA\'s minReplicas', () => {
    const scaledObject = { apiVersion: 'keda.sh/v1alpha1', kind: 'ScaledObject', metadata: { name: 'keda', namespace: 'default' }, spec: { scaleTargetRef: { name: 'keda' }, minReplicaCount: 2 } };
    const hpa = { apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler', metadata: { name: 'hpa', namespace: 'default' }, spec: { scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'hpa' }, minReplicas: 3, maxReplicas: 5 } };
    const report = simulateUpgradeDrains([deployment('keda', undefined), scaledObject, deployment('hpa', undefined), hpa]);
    const firstPlacements = (workload: string) => report.placements.filter((p) => p.workload === workload && p.during === undefined).length;
    expect(firstPlacements('default/keda')).toBe(2);
    expect(firstPlacements('default/hpa')).toBe(3);
  });

  test('a DaemonSet runs one pod on each node it tolerates, and drains leave it alone', () => {
    const daemon = { apiVersion: 'apps/v1', kind: 'DaemonSet', metadata: { name: 'agent', namespace: 'default' }, spec: { selector: { matchLabels: { app: 'agent' } }, template: podTemplate('agent') } };
    const report = simulateUpgradeDrains([daemon]);
    expect(report.placements.map((p) => [p.node, p.during])).toEqual([['server-1', undefined], ['server-2', undefined], ['server-3', undefined]]);
    expect(report.unavailable).toEqual([]);
  });
});

/**
 * What a drain may cost, and why. The test fails when a workload not listed here shows a finding,
 * AND when a listed one no longer shows exactly these, so the list stays true. Being unavailable
 * while a node drains is accepted only for a workload that says why one replica is enough (its
 * single-replica-reason annotation, checked below); Pending only for a replica whose node-local
 * volume waits for its node, while another replica serves.
 */
const ACCEPTED: Readonly<Record<string, readonly FindingKind[]>> = {
  // One replica by design (stateless, rescheduled in seconds): down while its node drains; a budget
  // could not help, it would only block the drain forever.
  'monitoring/kube-state-metrics': ['unavailable'],
  // One replica on a local-path claim by design: down, and its replacement Pending (volume node
  // affinity conflict), until its node is back. Pulls do not fail meanwhile: the K3s embedded
  // registry mirror serves from every node what any node holds.
  'registry/registry': ['pending', 'unavailable'],
  // Two replicas, each with its own local-path volume: the other stays ready (KEDA and Grafana
  // query it through the Service), and the drained node's replica waits for its node and its history.
  'monitoring/prometheus': ['pending'],
};

/** Each difference between the findings and the allowlist, as a line; with the whole report when there is one. */
function differencesFromAllowlist(report: DrainReport, expected: Readonly<Record<string, readonly FindingKind[]>>): string[] {
  const found = findingsByWorkload(report);
  const unexpected = Object.entries(found)
    .filter(([workload, kinds]) => JSON.stringify(kinds) !== JSON.stringify([...(expected[workload] ?? [])].sort()))
    .map(([workload, kinds]) => `${workload}: found ${kinds.join(', ')}, allowed ${expected[workload]?.join(', ') ?? 'nothing'}`);
  const fixed = Object.keys(expected).filter((workload) => !(workload in found)).map((workload) => `${workload}: no longer fails; remove it from ACCEPTED`);
  const differences = [...unexpected, ...fixed];
  return differences.length === 0 ? [] : [...differences, formatDrainReport(report)];
}

describe('the reference platform through a K3s upgrade', () => {
  const app = testApp();
  const { platform } = buildReferencePlatform(app);
  const objects = app.charts.flatMap((chart) => Testing.synth(chart));
  const cluster = k3sClusterShape({
    gpuAgents: platform.cluster!.gpuAgents.map((agent) => agent.name),
    gpuSlicesPerAgent: platform.gpus!.capacityPerNode,
  });
  let report: DrainReport;
  // Simulated once for both tests; in beforeAll so that an error fails these tests, not the suite.
  beforeAll(() => {
    report = simulateUpgradeDrains(objects, cluster);
  });

  test('the simulation places the platform: every node drained, GPU workers on GPU agents only', () => {
    expect(report.nodes).toEqual(['server-1', 'server-2', 'server-3', 'gpu-1', 'gpu-2']);
    const workers = report.placements.filter((p) => p.workload === 'video-analytics/yolo');
    expect(workers.filter((p) => p.during === undefined).length).toBe(2);
    expect(workers.every((p) => p.node.startsWith('gpu-'))).toBe(true);
  });

  test('no pod Pending, no workload without a ready replica during any drain, no drain blocked: but what is accepted, and why', () => {
    expect(differencesFromAllowlist(report, ACCEPTED)).toEqual([]);
  });

  test('every workload accepted as unavailable during a drain says why one replica is enough', () => {
    const unavailable = Object.entries(ACCEPTED).filter(([, kinds]) => kinds.includes('unavailable')).map(([workload]) => workload);
    for (const workload of unavailable) {
      const [namespace, name] = workload.split('/');
      const object = objects.find((o) => ['Deployment', 'StatefulSet'].includes(o.kind) && o.metadata.namespace === namespace && o.metadata.name === name)!;
      expect({ workload, reason: object.metadata.annotations?.[SINGLE_REPLICA_REASON_ANNOTATION] }).toEqual({ workload, reason: expect.stringMatching(/\w/) });
    }
  });
});
