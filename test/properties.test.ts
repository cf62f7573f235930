import * as fc from 'fast-check';
import { App, Chart } from 'cdk8s';
import { k8s } from 'cdk8s-plus-27';
import { AnalysisService, CameraSpec, ManifestValidator, PlatformNamespace, PlatformPolicies, Policy, PodSecurityLevel, Scaling, StreamIngest, StreamSelection } from '../lib';
import { PriorityTier, newDeployment, newServiceAccount } from '../lib/synth/pod/builder';
import { formatFinding } from '../lib/synth/policy/policy-finding';
import { formatViolation } from '../lib/synth/validation/violation';
import { testApp } from './_helpers';

const RUNS = 40;
const NS = 'video-analytics';
const tried: Record<string, number> = {};

afterAll(() => {
  console.log(`fast-check cases tried: ${Object.entries(tried).map(([k, n]) => `${k} ${n}`).join(', ')}`);
});

function count(name: string): void {
  tried[name] = (tried[name] ?? 0) + 1;
}

const dnsLabel = fc.stringMatching(/^[a-z][a-z0-9-]{0,20}[a-z0-9]$/).filter((s) => !s.includes('--'));
const cameraId = fc.stringMatching(/^[a-z][a-z0-9]{0,6}(-[a-z0-9]{1,4})?$/);
const ipv4 = fc.tuple(fc.integer({ min: 1, max: 223 }), fc.integer({ min: 0, max: 255 }), fc.integer({ min: 0, max: 255 }), fc.integer({ min: 1, max: 254 })).map((p) => p.join('.'));
const host = fc.oneof(ipv4, fc.stringMatching(/^[a-z][a-z0-9]{0,8}\.[a-z]{2,5}$/));
const site = fc.constantFrom('north-gate', 'warehouse', 'loading-dock', 'yard');

const camera: fc.Arbitrary<Omit<CameraSpec, 'id'>> = fc.record({
  url: fc.tuple(fc.constantFrom('rtsp', 'rtsps'), host, fc.option(fc.integer({ min: 1, max: 65535 }), { nil: undefined }), fc.stringMatching(/^[A-Za-z0-9/_-]{0,20}$/))
    .map(([scheme, h, port, path]) => `${scheme}://${h}${port ? `:${port}` : ''}/${path}`),
  labels: fc.record({ site }),
  credentials: fc.option(fc.record({ secretName: dnsLabel }), { nil: undefined }),
});
const cameras = fc.uniqueArray(cameraId, { minLength: 1, maxLength: 60 })
  .chain((ids) => fc.tuple(...ids.map(() => camera)).map((specs) => specs.map((s, i) => ({ id: ids[i], ...s }))));

/** Synthesizes everything under the app and asserts the validator and the policies find nothing. */
function expectValidAndCompliant(app: App): void {
  const objects = app.charts.flatMap((c) => c.toJson());
  expect(ManifestValidator.validateObjects(objects).violations.map(formatViolation)).toEqual([]);
  expect(PlatformPolicies.check(app).map(formatFinding)).toEqual([]);
}

function appWithNamespace(): { app: App; chart: Chart } {
  const app = testApp();
  const chart = new Chart(app, 'chart');
  new PlatformNamespace(chart, 'ns', { name: NS });
  return { app, chart };
}

describe('property: random valid props synthesize valid, compliant objects', () => {
  test('StreamIngest', () => {
    fc.assert(fc.property(cameras, fc.integer({ min: 1, max: 32 }), fc.integer({ min: 1, max: 3 }), (cams, perShard, replicas) => {
      count('StreamIngest valid');
      const { app, chart } = appWithNamespace();
      const ingest = new StreamIngest(chart, 'ingest', { namespace: NS, cameras: cams, camerasPerShard: perShard, replicasPerShard: replicas });
      expect(ingest.shards.every((s) => s.cameraIds.length <= perShard)).toBe(true);
      expect(ingest.shards.flatMap((s) => s.cameraIds).sort()).toEqual(cams.map((c) => c.id).sort());
      expectValidAndCompliant(app);
    }), { numRuns: RUNS });
  });

  test('AnalysisService', () => {
    const scaling = fc.oneof(
      fc.constant(undefined),
      fc.integer({ min: 1, max: 100 }).map((t) => Scaling.cpu(t)),
      fc.integer({ min: 1, max: 50 }).map((t) => Scaling.prometheus({ query: 'sum(rate(video_analytics_frames_dropped_total[2m]))', threshold: t, serverAddress: 'http://prometheus.monitoring.svc.cluster.local:9090' })),
    );
    fc.assert(fc.property(cameras, fc.integer({ min: 1, max: 16 }), scaling, site, (cams, perReplica, chosen, wantedSite) => {
      count('AnalysisService valid');
      const { app, chart } = appWithNamespace();
      const ingest = new StreamIngest(chart, 'ingest', { namespace: NS, cameras: cams });
      const useSite = cams.some((c) => c.labels?.site === wantedSite);
      const service = new AnalysisService(chart, 'detector', {
        namespace: NS, image: 'registry.video-analytics.internal/detectors/smoke:2.0.1', streamsPerReplica: perReplica, scaling: chosen,
        streams: useSite ? StreamSelection.withLabels(ingest, { site: wantedSite }) : StreamSelection.all(ingest),
      });
      expect(service.minReplicas).toBeGreaterThanOrEqual(Math.ceil(service.cameraIds.length / perReplica));
      expectValidAndCompliant(app);
    }), { numRuns: RUNS });
  });

  test('PlatformNamespace', () => {
    fc.assert(fc.property(dnsLabel, fc.constantFrom(...Object.values(PodSecurityLevel)), fc.boolean(), (name, level, deny) => {
      count('PlatformNamespace valid');
      const app = testApp();
      new PlatformNamespace(new Chart(app, 'chart'), 'ns', { name, podSecurity: level, defaultDeny: deny });
      expectValidAndCompliant(app);
    }), { numRuns: RUNS });
  });
});

describe('property: the pod builder\'s ephemeral storage meets the ephemeral-storage policy', () => {
  test('for any emptyDirs (on disk or in memory) mounted by any containers', () => {
    const volume = fc.record({ sizeMi: fc.integer({ min: 1, max: 100_000 }), memory: fc.boolean() });
    const pod = fc.array(volume, { maxLength: 4 }).chain((volumes) => fc.record({
      volumes: fc.constant(volumes),
      // For each container, the indexes of the volumes it mounts.
      containers: fc.array(fc.subarray(volumes.map((_, i) => i)), { minLength: 1, maxLength: 3 }),
      initContainers: fc.array(fc.subarray(volumes.map((_, i) => i)), { maxLength: 2 }),
    }));
    fc.assert(fc.property(pod, ({ volumes, containers, initContainers }) => {
      count('pod builder ephemeral storage');
      const app = testApp();
      const chart = new Chart(app, 'chart');
      const container = (prefix: string) => (mounts: number[], i: number) => ({
        name: `${prefix}-${i}`, image: 'busybox:1.36.1',
        resources: { requests: { cpu: k8s.Quantity.fromString('10m'), memory: k8s.Quantity.fromString('16Mi') }, limits: { cpu: k8s.Quantity.fromString('100m'), memory: k8s.Quantity.fromString('32Mi') } },
        volumeMounts: mounts.map((v) => ({ name: `volume-${v}`, mountPath: `/volume-${v}` })),
      });
      newDeployment(chart, 'deployment', {
        metadata: { name: 'pods', namespace: NS },
        spec: {
          selector: { matchLabels: { app: 'pods' } },
          template: {
            labels: { app: 'pods' },
            spec: {
              serviceAccount: newServiceAccount(chart, 'account', { metadata: { name: 'pods', namespace: NS } }),
              tier: PriorityTier.BATCH,
              volumes: volumes.map((v, i) => ({ name: `volume-${i}`, emptyDir: { sizeLimit: k8s.Quantity.fromString(`${v.sizeMi}Mi`), medium: v.memory ? 'Memory' : undefined } })),
              containers: containers.map(container('main')),
              initContainers: initContainers.map(container('init')),
            },
          },
        },
      });
      expect(PlatformPolicies.check(app).filter((f) => f.policy === Policy.EPHEMERAL_STORAGE).map(formatFinding)).toEqual([]);
    }), { numRuns: RUNS });
  });
});

describe('property: random invalid props throw an error that names the prop', () => {
  test('StreamIngest', () => {
    const invalid = fc.oneof(
      fc.oneof(fc.integer({ max: 0 }), fc.double({ min: 0.01, max: 100, noInteger: true })).map((v) => ({ prop: 'camerasPerShard', props: { camerasPerShard: v } })),
      fc.integer({ max: 0 }).map((v) => ({ prop: 'replicasPerShard', props: { replicasPerShard: v } })),
      fc.stringMatching(/^[A-Z_][A-Za-z_]{0,10}$/).map((v) => ({ prop: 'name', props: { name: v } })),
      fc.constant({ prop: 'cameras', props: { cameras: [] as CameraSpec[] } }),
      fc.tuple(fc.constantFrom('http', 'ftp', 'rtmp'), ipv4).map(([s, h]) => ({ prop: 'url', props: { cameras: [{ id: 'cam', url: `${s}://${h}/x` }] } })),
      fc.tuple(fc.stringMatching(/^[a-z]{1,8}$/), fc.stringMatching(/^[a-z0-9]{1,8}$/), ipv4).map(([u, p, h]) => ({ prop: 'url', props: { cameras: [{ id: 'cam', url: `rtsp://${u}:${p}@${h}/x` }] } })),
    );
    fc.assert(fc.property(invalid, ({ prop, props }) => {
      count('StreamIngest invalid');
      const chart = new Chart(testApp(), 'chart');
      expect(() => new StreamIngest(chart, 'ingest', { namespace: NS, cameras: [{ id: 'a', url: 'rtsp://10.0.0.1/x' }], ...props }))
        .toThrow(new RegExp(`^StreamIngest 'ingest': '[^']*${prop}[^']*' \\(`));
    }), { numRuns: RUNS });
  });

  test('AnalysisService', () => {
    const invalid = fc.oneof(
      fc.integer({ max: 0 }).map((v) => ({ prop: 'streamsPerReplica', props: { streamsPerReplica: v } })),
      fc.integer({ min: 3, max: 20 }).map((v) => ({ prop: 'minReplicas', props: { scaling: Scaling.cpu(50), minReplicas: v, maxReplicas: v - 1 } })),
      fc.constantFrom('sum(', 'rate(x[5m]', 'up ==', '{}').map((q) => ({ prop: 'scaling.query', props: { scaling: Scaling.prometheus({ query: q, threshold: 1 }) } })),
      fc.constantFrom('detector', 'detector:latest', 'registry.local:5000/detector').map((image) => ({ prop: 'image', props: { image } })),
      fc.integer({ min: 1, max: 1023 }).map((port) => ({ prop: 'port', props: { port } })),
    );
    fc.assert(fc.property(invalid, ({ prop, props }) => {
      count('AnalysisService invalid');
      const chart = new Chart(testApp(), 'chart');
      const ingest = new StreamIngest(chart, 'ingest', { namespace: NS, cameras: [{ id: 'a', url: 'rtsp://10.0.0.1/x' }] });
      expect(() => new AnalysisService(chart, 'detector', { namespace: NS, image: 'detectors/smoke:2.0.1', streams: StreamSelection.all(ingest), ...props }))
        .toThrow(new RegExp(`^AnalysisService 'detector': '${prop.replace('.', '\\.')}' \\(`));
    }), { numRuns: RUNS });
  });
});
