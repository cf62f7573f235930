import * as path from 'path';
import { App, Size, Testing } from 'cdk8s';
import { buildReferencePlatform } from '../main';
import {
  CameraInventory, GpuRequest, GpuSharing, ManifestValidator, ModelRepository, PlatformPolicies, PlatformPriorities, Receiver, Scaling,
  StreamSelection, VideoAnalyticsPlatform,
} from '../lib';
import { formatFinding } from '../lib/synth/policy/policy-finding';
import { formatViolation } from '../lib/synth/validation/violation';
import { KubeObject, findObject, testApp } from './_helpers';
import { NetworkModel, PodGroup } from './_network-policy-evaluator';

// What a platform promises whatever namespaces its parts live in: every pod gets the scope's
// mirror, pull secrets and a PriorityClass that exists; every KEDA trigger queries the Prometheus
// that scrapes its metric; every declared link is allowed, and nothing else is.

const MIRROR = 'registry.example.internal:5000';
const CAMERAS = path.join(__dirname, '..', 'reference', 'cameras.csv');
const WORKLOAD_KINDS = new Set(['Deployment', 'StatefulSet', 'DaemonSet', 'Job']);

/** The cluster's DNS, which every namespace's allow-dns-egress policy names: not one of our objects. */
const COREDNS: KubeObject = {
  apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'coredns', namespace: 'kube-system' },
  spec: { template: { metadata: { labels: { 'k8s-app': 'kube-dns' } }, spec: { containers: [{ name: 'coredns', ports: [{ name: 'dns', containerPort: 53, protocol: 'UDP' }, { name: 'dns-tcp', containerPort: 53, protocol: 'TCP' }] }] } } },
};

interface Namespaces {
  readonly app: string;
  readonly ingest: string;
  readonly analysis: string;
  readonly inference: string;
  readonly monitoring: string;
  readonly registry: string;
}

/** A platform like the reference one, with each part in the namespace given. */
function platformIn(app: App, ns: Namespaces): VideoAnalyticsPlatform {
  const platform = new VideoAnalyticsPlatform(app, 'video-analytics', {
    namespace: ns.app,
    cameras: CameraInventory.fromFile(CAMERAS).cameras,
    ingest: { namespace: ns.ingest },
    gpu: { nodes: 2, gpusPerNode: 1, sharing: GpuSharing.timeSlicing({ replicas: 4 }) },
    monitoring: { namespace: ns.monitoring, receivers: [Receiver.webhook('ops', { urlSecret: { secretName: 'alert-webhook', key: 'url' } })] },
    registry: {
      mirror: MIRROR,
      imagePullSecrets: ['registry-pull'],
      inCluster: { namespace: ns.registry, tlsSecretName: 'registry-tls', htpasswdSecretName: 'registry-htpasswd', storage: Size.gibibytes(200) },
    },
    upgrades: { version: 'v1.30.4+k3s1' },
  });
  const pool = platform.addInferencePool('yolo', {
    namespace: ns.inference,
    modelRepository: ModelRepository.fromImage(`${MIRROR}/models/yolo:1.0.0`, '/models'),
    gpusPerWorker: GpuRequest.shared({ share: 0.5 }),
    minWorkers: 2,
    maxWorkers: 4,
  });
  platform.addDetection('intrusion', {
    namespace: ns.analysis, image: `${MIRROR}/detections/intrusion:1.0.0`, streams: StreamSelection.withLabels(platform.ingest, { site: 'north-gate' }), streamsPerReplica: 8, inference: pool,
  });
  platform.addDetection('smoke', {
    namespace: ns.analysis, image: `${MIRROR}/detections/smoke:1.0.0`, streamsPerReplica: 24, inference: pool,
    scaling: Scaling.prometheus({ query: 'sum(rate(video_analytics_frames_total{job="smoke"}[2m]))', threshold: 50 }), maxReplicas: 3,
  });
  return platform;
}

function synth(app: App): KubeObject[] {
  return app.charts.flatMap((chart) => Testing.synth(chart));
}

function podSpecs(objects: readonly KubeObject[]): Array<{ name: string; spec: KubeObject }> {
  return objects.filter((o) => WORKLOAD_KINDS.has(o.kind)).map((o) => ({ name: `${o.kind}/${o.metadata.namespace}/${o.metadata.name}`, spec: o.spec.template.spec }));
}

const REFERENCE_NAMESPACES: Namespaces = { app: 'video-analytics', ingest: 'video-analytics', analysis: 'video-analytics', inference: 'video-analytics', monitoring: 'monitoring', registry: 'registry' };
const SPLIT_NAMESPACES: Namespaces = { app: 'video-analytics', ingest: 'cams', analysis: 'detect', inference: 'infer', monitoring: 'observability', registry: 'images' };

describe.each([
  ['the reference namespaces', REFERENCE_NAMESPACES],
  ['a namespace for every part', SPLIT_NAMESPACES],
])('a platform in %s', (_title, ns) => {
  const app = testApp();
  const platform = platformIn(app, ns);
  const objects = synth(app);

  test('is valid and passes the platform policies', () => {
    expect(ManifestValidator.validateObjects(objects).violations.map(formatViolation)).toEqual([]);
    expect(PlatformPolicies.check(app).map(formatFinding)).toEqual([]);
  });

  test('every pod pulls through the mirror with the pull secret, except the registry, which cannot pull from itself', () => {
    for (const { name, spec } of podSpecs(objects)) {
      const images = [...(spec.initContainers ?? []), ...spec.containers].map((c: KubeObject) => c.image);
      const isRegistry = name.startsWith(`Deployment/${ns.registry}/`);
      for (const image of images) expect({ name, image, mirrored: image.startsWith(`${MIRROR}/`) }).toEqual({ name, image, mirrored: !isRegistry });
      expect({ name, secrets: spec.imagePullSecrets }).toEqual({ name, secrets: isRegistry ? undefined : [{ name: 'registry-pull' }] });
    }
    const plans = objects.filter((o) => o.kind === 'Plan');
    expect(plans.length).toBe(2);
    for (const plan of plans) {
      expect(plan.spec.upgrade.image).toBe(`${MIRROR}/rancher/k3s-upgrade`);
      expect(plan.spec.imagePullSecrets).toEqual([{ name: 'registry-pull' }]);
    }
  });

  test('every pod has a PriorityClass of the platform, the registry and monitoring above the applications', () => {
    // The cluster's own classes exist in every cluster; the GPU daemons use the node-critical one.
    const builtIn: Array<[string, number]> = [['system-node-critical', 2000001000], ['system-cluster-critical', 2000000000]];
    const classes = new Map([...builtIn, ...objects.filter((o) => o.kind === 'PriorityClass').map((o): [string, number] => [o.metadata.name, o.value])]);
    const value = (spec: KubeObject): number | undefined => classes.get(spec.priorityClassName);
    for (const { name, spec } of podSpecs(objects)) expect({ name, known: value(spec) !== undefined }).toEqual({ name, known: true });
    const tierOf = (namespace: string): Set<string | undefined> =>
      new Set(podSpecs(objects).filter(({ name }) => name.split('/')[1] === namespace).map(({ spec }) => spec.priorityClassName));
    expect(tierOf(ns.registry)).toEqual(new Set([PlatformPriorities.PLATFORM]));
    expect(tierOf(ns.monitoring)).toEqual(new Set([PlatformPriorities.PLATFORM]));
    expect(tierOf(ns.ingest).has(PlatformPriorities.INGEST)).toBe(true);
    expect(classes.get(PlatformPriorities.PLATFORM)!).toBeGreaterThan(classes.get(PlatformPriorities.INGEST)!);
  });

  test('every ScaledObject queries the Prometheus Service of the bundle that scrapes its metric', () => {
    const prometheusService = objects.find((o) => o.kind === 'Service' && o.metadata.name === 'prometheus' && o.metadata.namespace === ns.monitoring);
    expect(prometheusService).toBeDefined();
    expect(platform.monitoring.prometheusUrl).toBe(`http://prometheus.${ns.monitoring}.svc.cluster.local:9090`);
    const scaled = objects.filter((o) => o.kind === 'ScaledObject');
    expect(scaled.map((o) => o.metadata.name).sort()).toEqual(['smoke', 'yolo']);
    for (const object of scaled) {
      for (const trigger of object.spec.triggers) expect(trigger.metadata.serverAddress).toBe(platform.monitoring.prometheusUrl);
    }
  });

  describe('network', () => {
    const model = new NetworkModel([...objects, COREDNS]);
    const group = (namespace: string, name: string): PodGroup => model.group(namespace, name);
    const shards = model.groups.filter((g) => g.namespace === ns.ingest && g.name.startsWith('ingest-shard-'));
    const detections = [group(ns.analysis, 'intrusion'), group(ns.analysis, 'smoke')];
    const pool = group(ns.inference, 'yolo');
    const prometheus = group(ns.monitoring, 'prometheus');
    const id = (g: PodGroup): string => `${g.namespace}/${g.name}`;

    /** Every link the platform declares, and nothing else, except DNS to CoreDNS, which every pod may use. */
    const declared = new Set<string>([
      ...detections.flatMap((d) => shards.map((s) => `${id(d)} -> ${id(s)}:8554`)),
      ...detections.flatMap((d) => [8000, 8001].map((port) => `${id(d)} -> ${id(pool)}:${port}`)),
      ...shards.map((s) => `${id(prometheus)} -> ${id(s)}:9998`),
      ...detections.map((d) => `${id(prometheus)} -> ${id(d)}:8080`),
      `${id(prometheus)} -> ${id(pool)}:8002`,
    ]);

    test('every declared link is allowed: analysis to ingest over RTSP, to the pool over HTTP and gRPC, Prometheus to every metrics port', () => {
      expect(shards.length).toBeGreaterThan(1);
      for (const link of declared) {
        const [from, to] = link.split(' -> ');
        const [toId, port] = to.split(':');
        const [fromNs, fromName] = from.split('/');
        const [toNs, toName] = toId.split('/');
        expect({ link, allowed: model.allows({ from: group(fromNs, fromName), to: group(toNs, toName), port: Number(port) }) }).toEqual({ link, allowed: true });
      }
      const dcgm = model.groups.find((g) => g.name === 'dcgm-exporter')!;
      expect(model.allows({ from: prometheus, to: dcgm, port: 9400 })).toBe(true);
    });

    test('every pod may resolve names through CoreDNS', () => {
      const dns = group('kube-system', 'coredns');
      for (const g of model.groups.filter((g) => g.namespace !== 'kube-system' && !g.hostNetwork)) {
        expect({ group: id(g), dns: model.allows({ from: g, to: dns, port: 53, protocol: 'UDP' }) }).toEqual({ group: id(g), dns: true });
      }
    });

    /** The monitoring stack's own links, and the nodes' pulls from the registry (node-exporter runs on the host network). */
    const platformLinks = (): Set<string> => {
      const mon = (name: string): string => `${ns.monitoring}/${name}`;
      const nodeExporter = 'monitoring-host/node-exporter';
      return new Set([
        `${mon('grafana')} -> ${mon('prometheus')}:9090`,
        ...[['alertmanager', 9093], ['grafana', 3000], ['kube-state-metrics', 8080]].map(([name, port]) => `${mon('prometheus')} -> ${mon(String(name))}:${port}`),
        `${mon('prometheus')} -> ${nodeExporter}:9100`,
        `${mon('prometheus')} -> gpu-system/dcgm-exporter:9400`,
        `${nodeExporter} -> ${ns.registry}/registry:5000`,
        // kube-system's pods (the synthetic CoreDNS stands for them) reach Grafana as K3s's
        // Traefik does, and what is open to every node: the registry and node-exporter's host port.
        `kube-system/coredns -> ${mon('grafana')}:3000`,
        `kube-system/coredns -> ${ns.registry}/registry:5000`,
        `kube-system/coredns -> ${nodeExporter}:9100`,
      ]);
    };

    test('no flow is allowed that was not declared: the links above, the monitoring stack\'s own, and nothing else', () => {
      const expected = new Set([...declared, ...platformLinks()]);
      const allowed = model.allowedFlows()
        .filter((flow) => flow.from !== flow.to && !flow.to.startsWith('kube-system/'))
        .map((flow) => `${flow.from} -> ${flow.to}:${flow.port}`);
      expect(allowed.filter((flow) => !expected.has(flow))).toEqual([]);
      expect([...expected].filter((flow) => !allowed.includes(flow))).toEqual([]);
    });

    test('the pool and the ingest refuse pods that were not declared their clients', () => {
      const grafana = group(ns.monitoring, 'grafana');
      expect(model.allows({ from: pool, to: shards[0], port: 8554 })).toBe(false);
      expect(model.allows({ from: grafana, to: pool, port: 8000 })).toBe(false);
      expect(model.allows({ from: grafana, to: shards[0], port: 9998 })).toBe(false);
    });
  });
});

describe('Prometheus scraping many targets in several namespaces', () => {
  // Twelve detections over three namespaces and two pools in two more: one egress peer per
  // namespace and metrics port in Prometheus's policy, yet exactly the watched pods reachable.
  const app = testApp();
  const DETECTION_NAMESPACES = ['detect-a', 'detect-b', 'detect-c'];
  const POOL_NAMESPACES = ['infer-a', 'infer-b'];
  const SCRAPED_BY = 'video-analytics.io/scraped-by-prometheus';
  const platform = new VideoAnalyticsPlatform(app, 'video-analytics', {
    cameras: CameraInventory.fromFile(CAMERAS).cameras,
    gpu: { nodes: 4, gpusPerNode: 1, sharing: GpuSharing.timeSlicing({ replicas: 4 }) },
    monitoring: { namespace: 'observability', receivers: [Receiver.webhook('ops', { urlSecret: { secretName: 'alert-webhook', key: 'url' } })] },
  });
  const pools = POOL_NAMESPACES.map((namespace, i) => platform.addInferencePool(`pool-${i}`, {
    namespace,
    modelRepository: ModelRepository.fromImage(`${MIRROR}/models/yolo:1.0.0`, '/models'),
    gpusPerWorker: GpuRequest.shared({ share: 0.5 }),
    minWorkers: 2,
    maxWorkers: 4,
  }));
  const detections = DETECTION_NAMESPACES.flatMap((namespace, n) => Array.from({ length: 4 }, (_, i) => platform.addDetection(`detect-${n}-${i}`, {
    namespace, image: `${MIRROR}/detections/d:1.0.0`, streamsPerReplica: 24, inference: pools[(n + i) % pools.length],
  })));
  const objects = synth(app);
  const model = new NetworkModel([...objects, COREDNS]);
  const id = (g: PodGroup): string => `${g.namespace}/${g.name}`;
  const prometheus = model.group('observability', 'prometheus');
  const shards = model.groups.filter((g) => g.namespace === 'video-analytics' && g.name.startsWith('ingest-shard-'));
  const detectionGroups = detections.map((d) => model.group(d.namespace, d.name));
  const poolGroups = pools.map((p) => model.group(p.namespace, p.name));

  /** What Prometheus must reach and nothing more: the watched targets' metrics ports, Alertmanager to send alerts, node-exporter on the nodes. */
  const prometheusLinks = new Set<string>([
    ...shards.map((s) => `${id(s)}:9998`),
    ...detectionGroups.map((d) => `${id(d)}:8080`),
    ...poolGroups.map((p) => `${id(p)}:8002`),
    'gpu-system/dcgm-exporter:9400',
    ...[['alertmanager', 9093], ['grafana', 3000], ['kube-state-metrics', 8080]].map(([name, port]) => `observability/${name}:${port}`),
    'monitoring-host/node-exporter:9100',
  ]);
  const reachedBy = (flows: Array<{ from: string; to: string; port: number }>): string[] =>
    flows.filter((flow) => flow.from === id(prometheus) && flow.to !== id(prometheus)).map((flow) => `${flow.to}:${flow.port}`).sort();

  test('Prometheus reaches every watched target\'s metrics port and nothing else, with every policy in place', () => {
    expect(detectionGroups).toHaveLength(12);
    // Every pod may resolve names: the namespace's DNS policy, not Prometheus's.
    expect(reachedBy(model.allowedFlows())).toEqual([...prometheusLinks, 'kube-system/coredns:53'].sort());
  });

  test('Prometheus\'s own egress alone lets it out to exactly those pods and ports, not to every labelled pod of a namespace on any scrape port', () => {
    // Without the targets' policies every pod admits everything: what is left is Prometheus's egress side.
    const egressOnly = new NetworkModel(objects.filter((o) => o.kind !== 'NetworkPolicy' || (o.metadata.namespace === 'observability' && o.metadata.name === 'prometheus')));
    expect(reachedBy(egressOnly.allowedFlows())).toEqual([...prometheusLinks].sort());
    // Every port any pod serves, to every pod, whether or not that pod serves it: a peer matching
    // every labelled pod of a namespace would let Prometheus out to a detection on the pool's 8002.
    const ports = [...new Set(egressOnly.groups.flatMap((g) => g.ports.map((p) => p.port)))];
    const self = egressOnly.group('observability', 'prometheus');
    const reachable = egressOnly.groups.filter((g) => g !== self).flatMap((to) => ports.filter((port) => egressOnly.allows({ from: self, to, port })).map((port) => `${id(to)}:${port}`));
    expect(reachable.sort()).toEqual([...prometheusLinks].sort());
  });

  test('its policy has one egress rule per metrics port, with one peer per target namespace, whatever the number of targets', () => {
    const policy = findObject(objects, 'NetworkPolicy', 'prometheus', 'observability');
    const scrapeRules = policy.spec.egress.filter((rule: KubeObject) => rule.to.some((peer: KubeObject) => peer.podSelector?.matchLabels?.[SCRAPED_BY] !== undefined));
    const namespacesOf = (rule: KubeObject): string[] => rule.to.map((peer: KubeObject) => peer.namespaceSelector?.matchLabels['kubernetes.io/metadata.name'] ?? 'observability').sort();
    const byPort = Object.fromEntries(scrapeRules.map((rule: KubeObject) => [rule.ports.map((p: KubeObject) => p.port).join(','), namespacesOf(rule)]));
    expect(byPort).toEqual({
      3000: ['observability'],
      8002: POOL_NAMESPACES,
      8080: [...DETECTION_NAMESPACES, 'observability'].sort(),
      9090: ['observability'],
      // Alertmanager (9093) is reached by its selector: Prometheus sends it alerts on the same port.
      9400: ['gpu-system'],
      9998: ['video-analytics'],
    });
    for (const rule of scrapeRules) {
      const port = rule.ports[0].port;
      for (const peer of rule.to) expect(peer.podSelector.matchLabels).toEqual({ [SCRAPED_BY]: `observability.${port}` });
    }
  });

  test('the label goes on the targets\' pod templates only: no workload selector changes', () => {
    for (const workload of objects.filter((o) => WORKLOAD_KINDS.has(o.kind) && o.metadata.namespace !== 'kube-system')) {
      expect({ workload: workload.metadata.name, selector: Object.keys(workload.spec.selector?.matchLabels ?? {}).filter((key) => key.startsWith('video-analytics.io/scraped-by')) })
        .toEqual({ workload: workload.metadata.name, selector: [] });
    }
    for (const detection of detectionGroups) expect(detection.labels[SCRAPED_BY]).toBe('observability.8080');
    for (const shard of shards) expect(shard.labels[SCRAPED_BY]).toBe('observability.9998');
  });
});

describe('the reference platform of main.ts', () => {
  const app = testApp();
  const { platform } = buildReferencePlatform(app);
  const objects = synth(app);

  test('every pod has the mirror, the pull secret (but the registry) and a PriorityClass, and KEDA asks the bundle\'s Prometheus', () => {
    for (const { name, spec } of podSpecs(objects)) {
      expect({ name, priority: typeof spec.priorityClassName }).toEqual({ name, priority: 'string' });
      if (!name.startsWith('Deployment/registry/')) expect({ name, secrets: spec.imagePullSecrets }).toEqual({ name, secrets: [{ name: 'registry-pull' }] });
    }
    for (const object of objects.filter((o) => o.kind === 'ScaledObject')) {
      expect(object.spec.triggers[0].metadata.serverAddress).toBe(platform.monitoring.prometheusUrl);
    }
  });
});
