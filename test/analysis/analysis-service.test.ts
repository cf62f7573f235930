import { Chart, Duration, Testing } from 'cdk8s';
import {
  AnalysisService, AnalysisServiceProps, CameraSpec, Connections, IInferenceEndpoint, Scaling, StreamIngest, StreamSelection,
} from '../../lib';
import { CONFIG_CHECKSUM_ANNOTATION } from '../../lib/synth/pod/builder';
import { KubeObject, findObject, objectsOfKind, synthValid, testChart } from '../_helpers';

const NS = 'video-analytics';
const IMAGE = 'registry.video-analytics.internal/detectors/safety-helmet:1.4.2';

const CAMERAS: CameraSpec[] = Array.from({ length: 20 }, (_, i) => ({
  id: `cam-${String(i).padStart(2, '0')}`,
  url: `rtsp://10.20.${i < 10 ? 1 : 2}.${10 + i}:554/live`,
  labels: { site: i < 10 ? 'north-gate' : 'warehouse' },
}));

const POOL_SELECTOR = { 'app.kubernetes.io/name': 'triton', 'app.kubernetes.io/instance': 'yolo' };

/** A stand-in pool: AnalysisService only needs the IInferenceEndpoint contract. */
function stubPool(namespace = NS): IInferenceEndpoint & { connections: Connections } {
  const connections = new Connections({ ownerKind: 'GpuWorkerPool', name: 'yolo', namespace, podSelector: POOL_SELECTOR });
  return {
    connections,
    toInferenceEndpoint: () => ({ name: 'yolo', namespace, host: `yolo.${namespace}.svc.cluster.local`, httpPort: 8000, grpcPort: 8001 }),
    allowClient: (client) => connections.allowFrom(client.connections, [8000, 8001], { byClientLabel: true }),
  };
}

function setup(props: Partial<AnalysisServiceProps> = {}, select?: (ingest: StreamIngest) => StreamSelection): { chart: Chart; service: AnalysisService; objects: KubeObject[] } {
  const chart = testChart();
  const ingest = new StreamIngest(chart, 'ingest', { namespace: NS, cameras: CAMERAS });
  const service = new AnalysisService(chart, 'helmet', {
    namespace: NS, name: 'safety-helmet', image: IMAGE, streams: (select ?? StreamSelection.all)(ingest), inference: stubPool(), ...props,
  });
  const objects = synthValid(chart).filter((o) => o.metadata.name.startsWith('safety-helmet'));
  return { chart, service, objects };
}

/** The service and its chart, not synthesized: for links declared after construction. */
function setupUnsynthesized(props: Partial<AnalysisServiceProps> = {}): { chart: Chart; service: AnalysisService } {
  const chart = testChart();
  const ingest = new StreamIngest(chart, 'ingest', { namespace: NS, cameras: CAMERAS });
  const service = new AnalysisService(chart, 'helmet', { namespace: NS, name: 'safety-helmet', image: IMAGE, streams: StreamSelection.all(ingest), inference: stubPool(), ...props });
  return { chart, service };
}

describe('AnalysisService', () => {
  test('defaults: fixed replicas derived from cameras, HA, hardened, wired to ingest and pool', () => {
    const { service, objects } = setup();
    expect(objects).toMatchSnapshot();

    // 20 cameras at 4 streams per replica: 5 replicas.
    expect(service.minReplicas).toBe(5);
    const deployment = findObject(objects, 'Deployment', 'safety-helmet');
    expect(deployment.spec.replicas).toBe(5);
    expect(deployment.spec.strategy.rollingUpdate).toEqual({ maxSurge: 1, maxUnavailable: 0 });
    expect(objectsOfKind(objects, 'HorizontalPodAutoscaler')).toEqual([]);
    expect(objectsOfKind(objects, 'ScaledObject')).toEqual([]);

    const pod = deployment.spec.template.spec;
    // The links to its ingest and its pool label its pods, and only those servers admit the labels.
    expect(deployment.spec.template.metadata.labels).toEqual(expect.objectContaining({ 'video-analytics.io/client-of-ingest': NS, 'video-analytics.io/client-of-yolo': NS }));
    expect(pod.topologySpreadConstraints[0]).toEqual(expect.objectContaining({ topologyKey: 'kubernetes.io/hostname', whenUnsatisfiable: 'DoNotSchedule', maxSkew: 1 }));
    expect(pod.topologySpreadConstraints[1]).toEqual(expect.objectContaining({ topologyKey: 'topology.kubernetes.io/zone', whenUnsatisfiable: 'ScheduleAnyway' }));
    expect(pod.terminationGracePeriodSeconds).toBe(30);
    expect(pod.automountServiceAccountToken).toBe(false);
    const [container] = pod.containers;
    expect(container.image).toBe(IMAGE);
    expect(container.securityContext).toEqual({ runAsNonRoot: true, allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] }, seccompProfile: { type: 'RuntimeDefault' } });
    expect(container.startupProbe.httpGet).toEqual({ path: '/healthz/ready', port: 'http' });
    expect(container.readinessProbe.httpGet).toEqual({ path: '/healthz/ready', port: 'http' });
    expect(container.livenessProbe.httpGet).toEqual({ path: '/healthz/live', port: 'http' });
    // Ephemeral storage: the builder's 64Mi/512Mi for logs and the writable layer, the limit raised by the 256Mi /tmp emptyDir.
    expect(container.resources).toEqual({ requests: { 'cpu': '500m', 'memory': '512Mi', 'ephemeral-storage': '64Mi' }, limits: { 'cpu': '2', 'memory': '1Gi', 'ephemeral-storage': '768Mi' } });

    expect(findObject(objects, 'PodDisruptionBudget', 'safety-helmet').spec.maxUnavailable).toBe(1);
  });

  test('the container contract: environment and mounted files', () => {
    const { objects } = setup({ settings: { minConfidence: 0.6, zones: ['gate'] } });
    const deployment = findObject(objects, 'Deployment', 'safety-helmet');
    const env = Object.fromEntries(deployment.spec.template.spec.containers[0].env.map((e: any) => [e.name, e.value ?? e.valueFrom]));
    expect(env).toEqual({
      DETECTION_TYPE: 'safety-helmet',
      POD_NAME: { fieldRef: { fieldPath: 'metadata.name' } },
      POD_NAMESPACE: { fieldRef: { fieldPath: 'metadata.namespace' } },
      POD_IP: { fieldRef: { fieldPath: 'status.podIP' } },
      PEERS_SERVICE: `safety-helmet-peers.${NS}.svc.cluster.local`,
      STREAMS_PER_REPLICA: '4',
      CAMERAS_FILE: '/etc/video-analytics/cameras.json',
      SETTINGS_FILE: '/etc/video-analytics/settings.yaml',
      HTTP_PORT: '8080',
      INFERENCE_HTTP_URL: `http://yolo.${NS}.svc.cluster.local:8000`,
      INFERENCE_GRPC_ADDRESS: `yolo.${NS}.svc.cluster.local:8001`,
    });
    const config = findObject(objects, 'ConfigMap', 'safety-helmet').data;
    const cameras = JSON.parse(config['cameras.json']);
    expect(cameras).toHaveLength(20);
    expect(cameras[0]).toEqual({ id: 'cam-00', streamUrl: expect.stringMatching(new RegExp(`^rtsp://ingest-shard-\\d+\\.${NS}\\.svc\\.cluster\\.local:8554/cam-00$`)), labels: { site: 'north-gate' } });
    expect(config['settings.yaml']).toBe('minConfidence: 0.6\nzones:\n  - gate\n');
    const peers = findObject(objects, 'Service', 'safety-helmet-peers');
    expect(peers.spec).toEqual(expect.objectContaining({ clusterIP: 'None', publishNotReadyAddresses: false }));
  });

  test('changed settings roll the pods; unchanged settings do not', () => {
    const checksum = (settings: Record<string, unknown>) =>
      findObject(setup({ settings }).objects, 'Deployment', 'safety-helmet').spec.template.metadata.annotations[CONFIG_CHECKSUM_ANNOTATION];
    expect(checksum({ minConfidence: 0.6 })).toBe(checksum({ minConfidence: 0.6 }));
    expect(checksum({ minConfidence: 0.6 })).not.toBe(checksum({ minConfidence: 0.7 }));
  });

  test('settings that are not plain data are refused, naming where they are', () => {
    expect(() => setup({ settings: { thresholds: { night: Infinity } } }))
      .toThrow("AnalysisService 'helmet': 'settings.thresholds.night' (Infinity) must be a finite number. Give plain data; write a date as an ISO string.");
    expect(() => setup({ settings: { since: new Date(0) } })).toThrow(/^AnalysisService 'helmet': 'settings\.since' \(.*\) must be JSON data/);
  });

  test('a subset by label or by id', () => {
    const byLabel = setup({}, (ingest) => StreamSelection.withLabels(ingest, { site: 'warehouse' }));
    expect(byLabel.service.cameraIds).toEqual(CAMERAS.slice(10).map((c) => c.id));
    expect(byLabel.service.minReplicas).toBe(3);
    const byId = setup({}, (ingest) => StreamSelection.cameras(ingest, ['cam-03', 'cam-01']));
    expect(byId.service.cameraIds).toEqual(['cam-01', 'cam-03']);
    expect(byId.service.minReplicas).toBe(2);
  });

  test('Scaling.cpu gives an autoscaling/v2 HPA with behaviour, and no replicas field', () => {
    const { objects } = setup({ scaling: Scaling.cpu(70), maxReplicas: 12 });
    expect(findObject(objects, 'Deployment', 'safety-helmet').spec).not.toHaveProperty('replicas');
    const hpa = findObject(objects, 'HorizontalPodAutoscaler', 'safety-helmet');
    expect(hpa.apiVersion).toBe('autoscaling/v2');
    expect(hpa.spec).toEqual({
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'safety-helmet' },
      minReplicas: 5,
      maxReplicas: 12,
      metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 70 } } }],
      behavior: {
        scaleUp: { stabilizationWindowSeconds: 0, selectPolicy: 'Max', policies: [{ type: 'Pods', value: 4, periodSeconds: 60 }, { type: 'Percent', value: 100, periodSeconds: 60 }] },
        scaleDown: { stabilizationWindowSeconds: 300, selectPolicy: 'Min', policies: [{ type: 'Percent', value: 50, periodSeconds: 60 }] },
      },
    });
    expect(objectsOfKind(objects, 'ScaledObject')).toEqual([]);
  });

  test('Scaling.prometheus gives a KEDA ScaledObject, and no replicas field', () => {
    const query = 'sum(rate(video_analytics_frames_dropped_total{job="safety-helmet"}[2m]))';
    const serverAddress = 'http://prometheus.observability.svc.cluster.local:9090';
    const { service, objects } = setup({ scaling: Scaling.prometheus({ query, threshold: 5, serverAddress }) });
    expect(findObject(objects, 'Deployment', 'safety-helmet').spec).not.toHaveProperty('replicas');
    const scaled = findObject(objects, 'ScaledObject', 'safety-helmet');
    expect(scaled.spec).toEqual(expect.objectContaining({
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'safety-helmet' },
      minReplicaCount: 5,
      maxReplicaCount: 10,
      fallback: { failureThreshold: 3, replicas: 5, behavior: 'currentReplicasIfHigher' },
      triggers: [{ type: 'prometheus', metadata: { serverAddress, query, threshold: '5', ignoreNullValues: 'false' } }],
    }));
    expect(objectsOfKind(objects, 'HorizontalPodAutoscaler')).toEqual([]);
    // KEDA's own HPA is the one that maxes out.
    const maxedOut = service.toRuleGroups()[0].alerts!.find((a) => a.alert === 'AnalysisAutoscalerMaxedOut')!;
    expect(maxedOut.expr).toContain('horizontalpodautoscaler="keda-hpa-safety-helmet"');
  });

  test('a Prometheus trigger queries the Prometheus that watches the service, and is refused with neither that nor an address', () => {
    const query = 'sum(rate(video_analytics_frames_dropped_total{job="safety-helmet"}[2m]))';
    const unwatched = setupUnsynthesized({ scaling: Scaling.prometheus({ query, threshold: 5 }) });
    expect(() => Testing.synth(unwatched.chart)).toThrow(
      /AnalysisService 'helmet': 'scaling.serverAddress' \(undefined\) must be the Prometheus that scrapes its scaling metric\. Pass it to a MonitoringBundle with 'monitoring\.watch\(\.\.\.\)', or set 'scaling.serverAddress'/);
    const watched = setupUnsynthesized({ scaling: Scaling.prometheus({ query, threshold: 5 }) });
    watched.service.usePrometheus({ url: 'http://prometheus.obs.svc.cluster.local:9090', owner: "MonitoringBundle 'obs'" });
    const scaled = findObject(Testing.synth(watched.chart), 'ScaledObject', 'safety-helmet');
    expect(scaled.spec.triggers[0].metadata.serverAddress).toBe('http://prometheus.obs.svc.cluster.local:9090');
    expect(() => watched.service.usePrometheus({ url: 'http://prometheus.other.svc:9090', owner: "MonitoringBundle 'other'" }))
      .toThrow(/'monitoring' \(MonitoringBundle 'other'\) must be one monitoring that scrapes it, but MonitoringBundle 'obs' already does/);
    // A service that does not scale on Prometheus needs none.
    expect(() => Testing.synth(setupUnsynthesized({ scaling: Scaling.cpu(70) }).chart)).not.toThrow();
  });

  test('links work across namespaces: the ingest and the pool admit a service of another namespace, which may reach them', () => {
    const chart = testChart();
    const ingest = new StreamIngest(chart, 'ingest', { namespace: 'ingest', cameras: CAMERAS });
    const pool = stubPool('inference');
    new AnalysisService(chart, 'helmet', { namespace: 'detections', name: 'safety-helmet', image: IMAGE, streams: StreamSelection.all(ingest), inference: pool });
    const objects = Testing.synth(chart);
    const inNamespace = (name: string) => ({ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': name } } });
    expect(findObject(objects, 'NetworkPolicy', 'ingest').spec.ingress).toEqual([
      { from: [{ podSelector: { matchLabels: { 'video-analytics.io/client-of-ingest': 'ingest' } }, ...inNamespace('detections') }], ports: [{ protocol: 'TCP', port: 8554 }] },
    ]);
    expect(pool.connections.ingress).toEqual([
      { from: [{ podSelector: { matchLabels: { 'video-analytics.io/client-of-yolo': 'inference' } }, ...inNamespace('detections') }], ports: [expect.anything(), expect.anything()] },
    ]);
    const egress = findObject(objects, 'NetworkPolicy', 'safety-helmet').spec.egress;
    expect(egress.map((rule: any) => rule.to[0].namespaceSelector)).toEqual([inNamespace('ingest').namespaceSelector, inNamespace('inference').namespaceSelector]);
    const labels = findObject(objects, 'Deployment', 'safety-helmet').spec.template.metadata.labels;
    expect(labels).toEqual(expect.objectContaining({ 'video-analytics.io/client-of-ingest': 'ingest', 'video-analytics.io/client-of-yolo': 'inference' }));
  });

  test('network policy: nothing in until monitoring watches it; out only to the ingest and the pool', () => {
    const { objects } = setup();
    const policy = findObject(objects, 'NetworkPolicy', 'safety-helmet');
    expect(policy.spec.ingress).toEqual([]);
    expect(policy.spec.egress).toEqual([
      { to: [{ podSelector: { matchLabels: { 'app.kubernetes.io/name': 'mediamtx', 'app.kubernetes.io/instance': 'ingest', 'app.kubernetes.io/component': 'stream-ingest' } } }], ports: [{ protocol: 'TCP', port: 8554 }] },
      { to: [{ podSelector: { matchLabels: { 'app.kubernetes.io/name': 'triton', 'app.kubernetes.io/instance': 'yolo' } } }], ports: [{ protocol: 'TCP', port: 8000 }, { protocol: 'TCP', port: 8001 }] },
    ]);
  });

  test('rules and scrape target', () => {
    const { service } = setup({ scaling: Scaling.cpu(70) });
    const [group] = service.toRuleGroups();
    expect(group.name).toBe('analysis-safety-helmet');
    expect(group.alerts!.map((a) => a.alert)).toEqual(['AnalysisReplicasMismatch', 'AnalysisProcessingLag', 'AnalysisAutoscalerMaxedOut']);
    for (const alert of group.alerts!) {
      expect(alert.summary).not.toBe('');
      expect(alert.runbookUrl).toMatch(/#analysis/);
    }
    expect(setup().service.toRuleGroups()[0].alerts!.map((a) => a.alert)).not.toContain('AnalysisAutoscalerMaxedOut');
    expect(service.toScrapeTarget()).toEqual(expect.objectContaining({ jobName: 'safety-helmet', portName: 'http', port: 8080, path: '/metrics', interval: Duration.seconds(30) }));
  });

  describe('refuses bad input', () => {
    test.each<[string, Partial<AnalysisServiceProps>, RegExp]>([
      ['minReplicas above maxReplicas', { scaling: Scaling.cpu(70), minReplicas: 8, maxReplicas: 6 }, /AnalysisService 'helmet': 'minReplicas' \(8\) must be at most maxReplicas \(6\)/],
      ['streamsPerReplica 0', { streamsPerReplica: 0 }, /'streamsPerReplica' \(0\) must be an integer >= 1/],
      ['a pool signal', { scaling: Scaling.queueSize({ target: 4 }) }, /'scaling' \(Scaling\.queueSize\) must be Scaling\.fixed, Scaling\.cpu or Scaling\.prometheus: the queue and GPU signals are an inference pool's\. Scale the pool/],
      ['too few replicas for the streams', { minReplicas: 2 }, /'minReplicas' \(2\) must be at least 5 so that 20 streams fit at 4 per replica/],
      ['a fixed count too small', { scaling: Scaling.fixed(3) }, /'scaling \(Scaling.fixed\)' \(3\) must be at least 5/],
      ['maxReplicas without autoscaling', { maxReplicas: 9 }, /'maxReplicas' \(9\) must be used with an autoscaling choice/],
      ['minReplicas with a fixed scaling', { scaling: Scaling.fixed(5), minReplicas: 5 }, /'minReplicas' \(5\) must be left out with Scaling.fixed\(n\)/],
      ['a query that does not parse', { scaling: Scaling.prometheus({ query: 'sum(rate(x[5m])', threshold: 5 }) }, /'scaling.query' \(sum\(rate\(x\[5m\]\)\) must be valid PromQL/],
      ['a CPU target out of range', { scaling: Scaling.cpu(150) }, /'scaling \(Scaling.cpu\)' \(150\) must be an integer percentage from 1 to 100/],
      ['an untagged image', { image: 'registry.video-analytics.internal/detectors/helmet' }, /'image' \(.*helmet\) must be pinned to a version tag or digest/],
      ['a latest image', { image: 'detectors/helmet:latest' }, /'image' \(detectors\/helmet:latest\) must be pinned/],
      ['a privileged port', { port: 80 }, /'port' \(80\) must be an integer from 1024 to 65535/],
    ])('%s', (_title, props, message) => {
      expect(() => setup(props)).toThrow(message);
    });

    test('a camera subset that names an unknown camera', () => {
      expect(() => setup({}, (ingest) => StreamSelection.cameras(ingest, ['cam-01', 'cam-99'])))
        .toThrow(/AnalysisService 'helmet': 'streams' \(cam-99\) must be cameras of stream source 'ingest'/);
    });

    test('a label selection that matches no camera', () => {
      expect(() => setup({}, (ingest) => StreamSelection.withLabels(ingest, { site: 'harbour' })))
        .toThrow(/'streams' \(cameras labelled site=harbour\) must be a selection of at least one camera/);
    });
  });
});
