import { Chart, Duration, Size, Testing } from 'cdk8s';
import { Cpu } from 'cdk8s-plus-27';
import { AlertSeverity, runbookUrl } from '../../lib';
import { GpuInventory, GpuInventoryProps, GpuRequest, GpuSharing } from '../../lib/inference/gpu-inventory';
import { GpuNodeSupport } from '../../lib/inference/gpu-node-support';
import { GpuWorkerPool, GpuWorkerPoolProps, TRITON_IMAGE } from '../../lib/inference/gpu-worker-pool';
import { InferenceScaling } from '../../lib/inference/inference-scaling';
import { DEFAULT_MODEL_CACHE_SIZE, ModelRepository, ModelVolumeAccessMode } from '../../lib/inference/model-repository';
import { memoryBytes } from '../../lib/core/quantity';
import { Connections } from '../../lib/synth/connections';
import { ScopeSettings } from '../../lib/synth/pod/scope-settings';
import { Scaling } from '../../lib/synth/scaling';
import { promqlSyntaxError } from '../../lib/synth/validation/_promql-rules';
import { KubeObject, findObject, objectsOfKind, synthValid, testApp, testChart } from '../_helpers';
import { SINGLE_REPLICA_REASON_ANNOTATION } from '../../lib/synth/pod/builder';

const NS = 'video-analytics';
const MODELS = ModelRepository.fromImage('registry.example.com/models/yolo:1.2.0', '/models');
const POOL_SELECTOR = {
  'app.kubernetes.io/name': 'inference-server', 'app.kubernetes.io/instance': 'yolo', 'app.kubernetes.io/component': 'gpu-worker-pool',
};
/** An autoscaled pool needs a Prometheus: this one, or the monitoring that watches it. */
const PROMETHEUS = 'http://prometheus.monitoring.svc.cluster.local:9090';
const CLIENT_LABEL = 'video-analytics.io/client-of-yolo';

interface Scenario {
  readonly inventory?: Partial<GpuInventoryProps>;
  readonly pool?: Partial<GpuWorkerPoolProps>;
}

function synthPool(scenario: Scenario = {}): { pool: GpuWorkerPool; objects: KubeObject[] } {
  const chart = testChart();
  const inventory = new GpuInventory(chart, 'gpus', { nodes: 3, ...scenario.inventory });
  const pool = new GpuWorkerPool(chart, 'yolo', { namespace: NS, inventory, modelRepository: MODELS, ...scenario.pool });
  return { pool, objects: synthValid(chart) };
}

function podSpecOf(objects: KubeObject[]): any {
  return findObject(objects, 'Deployment', 'yolo').spec.template.spec;
}

function serverOf(objects: KubeObject[]): any {
  return podSpecOf(objects).containers[0];
}

describe('GpuWorkerPool', () => {
  test('an autoscaled Triton pool: snapshot, and no replicas in the Deployment because KEDA owns them', () => {
    const { pool, objects } = synthPool({ pool: { maxWorkers: 3, prometheusAddress: PROMETHEUS } });
    expect(objects).toMatchSnapshot();

    const deployment = findObject(objects, 'Deployment', 'yolo');
    expect('replicas' in deployment.spec).toBe(false);
    expect(deployment.spec.selector.matchLabels).toEqual(POOL_SELECTOR);
    expect(deployment.spec.strategy).toEqual({ type: 'RollingUpdate', rollingUpdate: { maxSurge: 0, maxUnavailable: 1 } });
    expect(pool.isAutoscaled).toBe(true);

    const scaled = findObject(objects, 'ScaledObject', 'yolo');
    expect(scaled.apiVersion).toBe('keda.sh/v1alpha1');
    expect(scaled.spec).toEqual(expect.objectContaining({
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'yolo' }, minReplicaCount: 2, maxReplicaCount: 3,
    }));
    expect(scaled.spec.triggers).toEqual([{
      type: 'prometheus',
      name: 'queue-size',
      metricType: 'AverageValue',
      metadata: {
        serverAddress: PROMETHEUS,
        query: 'sum(nv_inference_pending_request_count{namespace="video-analytics",pod=~"yolo-[a-z0-9]+-[a-z0-9]{5}"})',
        threshold: '4',
        ignoreNullValues: 'false',
      },
    }]);
    expect(scaled.spec.pollingInterval).toBe(15);
    expect(scaled.spec.fallback).toEqual({ failureThreshold: 3, replicas: 2, behavior: 'currentReplicasIfHigher' });
    expect(scaled.spec.advanced.horizontalPodAutoscalerConfig.behavior.scaleDown.stabilizationWindowSeconds).toBe(600);
  });

  test('an autoscaled pool with neither prometheusAddress nor a watching monitoring fails synthesis, naming both fixes', () => {
    const chart = testChart();
    const inventory = new GpuInventory(chart, 'gpus', { nodes: 3 });
    new GpuWorkerPool(chart, 'yolo', { namespace: NS, inventory, modelRepository: MODELS, maxWorkers: 3 });
    expect(() => Testing.synth(chart)).toThrow(new RegExp("GpuWorkerPool 'yolo': 'prometheusAddress' \\(undefined\\) must be the Prometheus that scrapes its scaling metric\\. "
      + "Pass it to a MonitoringBundle with 'monitoring\\.watch\\(\\.\\.\\.\\)', or set 'prometheusAddress' to the URL of an existing Prometheus\\."));
  });

  test('the monitoring that watches the pool gives its trigger the Prometheus; prometheusAddress still wins', () => {
    const watched = testChart();
    const inventory = new GpuInventory(watched, 'gpus', { nodes: 3 });
    const pool = new GpuWorkerPool(watched, 'yolo', { namespace: NS, inventory, modelRepository: MODELS, maxWorkers: 3 });
    pool.usePrometheus({ url: 'http://prometheus.monitoring.svc.cluster.local:9090', owner: "MonitoringBundle 'monitoring'" });
    expect(findObject(synthValid(watched), 'ScaledObject', 'yolo').spec.triggers[0].metadata.serverAddress).toBe('http://prometheus.monitoring.svc.cluster.local:9090');

    const explicit = testChart();
    const explicitPool = new GpuWorkerPool(explicit, 'yolo', {
      namespace: NS, inventory: new GpuInventory(explicit, 'gpus', { nodes: 3 }), modelRepository: MODELS, maxWorkers: 3, prometheusAddress: 'https://prometheus.example.com',
    });
    explicitPool.usePrometheus({ url: 'http://prometheus.monitoring.svc.cluster.local:9090', owner: "MonitoringBundle 'monitoring'" });
    expect(findObject(synthValid(explicit), 'ScaledObject', 'yolo').spec.triggers[0].metadata.serverAddress).toBe('https://prometheus.example.com');
  });

  test('a fixed pool needs no Prometheus, and two monitorings may watch it', () => {
    const chart = testChart();
    const pool = new GpuWorkerPool(chart, 'yolo', { namespace: NS, inventory: new GpuInventory(chart, 'gpus', { nodes: 3 }), modelRepository: MODELS });
    pool.usePrometheus({ url: 'http://a.example:9090', owner: "MonitoringBundle 'a'" });
    pool.usePrometheus({ url: 'http://b.example:9090', owner: "MonitoringBundle 'b'" });
    expect(objectsOfKind(synthValid(chart), 'ScaledObject')).toEqual([]);
  });

  test('each worker requests and is limited to one GPU, really present in the synthesized JSON', () => {
    const { objects } = synthPool();
    expect(serverOf(objects).resources).toEqual({
      // Ephemeral storage: 64Mi / 512Mi for logs, plus the model copy (10Gi by default) and /tmp (1Gi).
      requests: { 'cpu': '1', 'memory': '2Gi', 'ephemeral-storage': '11328Mi', 'nvidia.com/gpu': '1' },
      limits: { 'cpu': '4', 'memory': '8Gi', 'ephemeral-storage': '11776Mi', 'nvidia.com/gpu': '1' },
    });
  });

  describe('ephemeral storage', () => {
    const Mi = 2 ** 20;
    const bytes = (quantity: string): number => memoryBytes(quantity);

    test('every emptyDir has a sizeLimit, and the server requests and is limited to all of them, so the scheduler counts the models', () => {
      const { objects } = synthPool({ pool: { modelRepository: ModelRepository.fromImage('registry.example.com/models/yolo:1.2.0', '/models', { sizeLimit: Size.gibibytes(3) }) } });
      const pod = podSpecOf(objects);
      const emptyDirs = pod.volumes.filter((v: any) => v.emptyDir !== undefined);
      expect(emptyDirs).toEqual([{ name: 'models', emptyDir: { sizeLimit: '3Gi' } }, { name: 'tmp', emptyDir: { sizeLimit: '1Gi' } }]);
      const sized = emptyDirs.reduce((sum: number, v: any) => sum + bytes(v.emptyDir.sizeLimit), 0);
      const { requests, limits } = serverOf(objects).resources;
      expect(bytes(requests['ephemeral-storage'])).toBe(sized + 64 * Mi);
      expect(bytes(limits['ephemeral-storage'])).toBe(sized + 512 * Mi);
      // The loader writes into the emptyDir, which the server's figures already count: its own are for its logs.
      expect(pod.initContainers[0].resources.requests['ephemeral-storage']).toBeDefined();
    });

    test('the model copy is 10Gi unless stated', () => {
      expect(DEFAULT_MODEL_CACHE_SIZE.asString()).toBe('10Gi');
      expect(podSpecOf(synthPool().objects).volumes).toContainEqual({ name: 'models', emptyDir: { sizeLimit: '10Gi' } });
    });

    test('a model volume claim takes no node disk: only /tmp and the logs', () => {
      const { objects } = synthPool({ pool: { modelRepository: ModelRepository.existingClaim('triton-models') } });
      expect(serverOf(objects).resources.requests['ephemeral-storage']).toBe('1088Mi');
      expect(serverOf(objects).resources.limits['ephemeral-storage']).toBe('1536Mi');
    });

    test('stated ephemeral storage is kept when it covers the emptyDirs, and refused below them', () => {
      const { objects } = synthPool({ pool: { resources: { ephemeralStorage: { request: Size.gibibytes(12), limit: Size.gibibytes(20) } } } });
      expect(serverOf(objects).resources.requests['ephemeral-storage']).toBe('12Gi');
      expect(serverOf(objects).resources.limits['ephemeral-storage']).toBe('20Gi');
      expect(() => synthPool({ pool: { resources: { ephemeralStorage: { request: Size.gibibytes(1) } } } }))
        .toThrow(/^GpuWorkerPool 'yolo': 'resources\.ephemeralStorage\.request' \(1Gi\) must be at least the pod's emptyDirs \(models, tmp\), 11Gi\. Raise it, or leave it out to get the emptyDirs plus room for the logs: the scheduler must count the models\./);
      expect(() => synthPool({ pool: { resources: { ephemeralStorage: { limit: Size.gibibytes(10) } } } }))
        .toThrow(/'resources\.ephemeralStorage\.limit' \(10Gi\) must be at least the pod's emptyDirs \(models, tmp\), 11Gi/);
      expect(() => synthPool({ pool: { resources: { ephemeralStorage: { request: Size.gibibytes(30) } } } }))
        .toThrow(/'resources\.ephemeralStorage\.request' \(30Gi\) must be at most the ephemeral-storage limit \(11776Mi\)/);
    });

    test('a model copy below 1Mi is refused', () => {
      expect(() => synthPool({ pool: { modelRepository: ModelRepository.fromImage('models/yolo:1', '/models', { sizeLimit: Size.kibibytes(512) }) } }))
        .toThrow(/^GpuWorkerPool 'yolo': 'modelRepository\.sizeLimit' \(512Ki\) must be at least 1Mi/);
    });
  });

  test('workers run only on GPU nodes, with the nvidia runtime, one per node while nodes remain', () => {
    const pod = podSpecOf(synthPool().objects);
    expect(pod.runtimeClassName).toBe('nvidia');
    expect(pod.tolerations).toEqual([{ key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' }]);
    expect(pod.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms).toEqual([
      { matchExpressions: [{ key: 'nvidia.com/gpu.present', operator: 'In', values: ['true'] }] },
    ]);
    expect(pod.topologySpreadConstraints[0]).toEqual({
      maxSkew: 1, topologyKey: 'kubernetes.io/hostname', whenUnsatisfiable: 'DoNotSchedule',
      nodeAffinityPolicy: 'Honor', nodeTaintsPolicy: 'Honor', labelSelector: { matchLabels: POOL_SELECTOR },
    });
  });

  test('gpuProduct and the inventory node selector both narrow the GPU nodes', () => {
    const { objects } = synthPool({ inventory: { nodeSelector: { 'example.com/accelerator': 'nvidia' } }, pool: { gpuProduct: 'NVIDIA-A2' } });
    expect(podSpecOf(objects).affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms).toEqual([{
      matchExpressions: [
        { key: 'example.com/accelerator', operator: 'In', values: ['nvidia'] },
        { key: 'nvidia.com/gpu.product', operator: 'In', values: ['NVIDIA-A2'] },
      ],
    }]);
  });

  test('the server is hardened, writes only to /tmp and is probed on the Triton health endpoints', () => {
    const { objects } = synthPool();
    const pod = podSpecOf(objects);
    const server = serverOf(objects);
    expect(pod.automountServiceAccountToken).toBe(false);
    expect(pod.enableServiceLinks).toBe(false);
    expect(pod.priorityClassName).toBeUndefined();
    expect(server.imagePullPolicy).toBe('IfNotPresent');
    expect(findObject(objects, 'ServiceAccount', 'yolo').automountServiceAccountToken).toBe(false);
    expect(pod.securityContext).toEqual({ runAsNonRoot: true, runAsUser: 65534, runAsGroup: 65534, fsGroup: 65534, seccompProfile: { type: 'RuntimeDefault' } });
    expect(server.securityContext).toEqual({ runAsNonRoot: true, allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] }, seccompProfile: { type: 'RuntimeDefault' } });
    expect(server.volumeMounts).toEqual([{ name: 'models', mountPath: '/models', readOnly: true }, { name: 'tmp', mountPath: '/tmp' }]);
    expect(pod.volumes).toContainEqual({ name: 'tmp', emptyDir: { sizeLimit: '1Gi' } });

    expect(server.image).toBe(TRITON_IMAGE);
    expect(server.args).toEqual(['tritonserver', '--model-repository=/models', '--http-port=8000', '--grpc-port=8001', '--metrics-port=8002']);
    expect(server.ports.map((p: any) => [p.name, p.containerPort])).toEqual([['http', 8000], ['grpc', 8001], ['metrics', 8002]]);
    expect(server.startupProbe).toEqual({ httpGet: { path: '/v2/health/ready', port: 'http' }, periodSeconds: 10, timeoutSeconds: 5, failureThreshold: 60 });
    expect(server.readinessProbe.httpGet).toEqual({ path: '/v2/health/ready', port: 'http' });
    expect(server.livenessProbe.httpGet).toEqual({ path: '/v2/health/live', port: 'http' });
  });

  test('a ClusterIP Service, a budget that lets drains through and a NetworkPolicy that admits nothing undeclared and lets nothing out', () => {
    const { objects } = synthPool();
    const service = findObject(objects, 'Service', 'yolo');
    expect(service.spec.type).toBe('ClusterIP');
    expect(service.spec.selector).toEqual(POOL_SELECTOR);
    expect(service.spec.ports.map((p: any) => [p.name, p.port, p.targetPort])).toEqual([['http', 8000, 'http'], ['grpc', 8001, 'grpc'], ['metrics', 8002, 'metrics']]);

    expect(findObject(objects, 'PodDisruptionBudget', 'yolo').spec).toEqual({ maxUnavailable: 1, selector: { matchLabels: POOL_SELECTOR } });

    // Clients and monitoring are admitted by the links they declare; models are local, so no egress.
    expect(findObject(objects, 'NetworkPolicy', 'yolo').spec).toEqual({
      podSelector: { matchLabels: POOL_SELECTOR },
      policyTypes: ['Ingress', 'Egress'],
      ingress: [],
      egress: [],
    });
  });

  describe('allowClient', () => {
    /** A client such as an AnalysisService: only its Connections matter to the pool. */
    const client = (name: string, namespace: string): { connections: Connections } =>
      ({ connections: new Connections({ ownerKind: 'AnalysisService', name, namespace, podSelector: { 'app.kubernetes.io/name': name } }) });
    const poolPeer = { podSelector: { matchLabels: POOL_SELECTOR } };
    const inferencePorts = [{ protocol: 'TCP', port: 8000 }, { protocol: 'TCP', port: 8001 }];

    /** The pool, each client's own NetworkPolicy (named after the client) and the links between them. */
    function poolWithClients(...clients: Array<{ connections: Connections }>): { pool: GpuWorkerPool; chart: Chart } {
      const chart = testChart();
      const pool = new GpuWorkerPool(chart, 'yolo', { namespace: NS, inventory: new GpuInventory(chart, 'gpus', { nodes: 3 }), modelRepository: MODELS });
      for (const c of clients) {
        pool.allowClient(c);
        c.connections.addPolicy(chart, `${c.connections.name}-policy`, { name: c.connections.name, namespace: c.connections.namespace });
      }
      return { pool, chart };
    }

    test('a client in the pool\'s namespace: admitted by its client-of label to HTTP and gRPC, and let out to the workers', () => {
      const helmet = client('safety-helmet', NS);
      const objects = synthValid(poolWithClients(helmet).chart);
      expect(findObject(objects, 'NetworkPolicy', 'yolo').spec.ingress).toEqual([
        { from: [{ podSelector: { matchLabels: { [CLIENT_LABEL]: NS } } }], ports: inferencePorts },
      ]);
      expect(findObject(objects, 'NetworkPolicy', 'safety-helmet').spec.egress).toEqual([{ to: [poolPeer], ports: inferencePorts }]);
      const labels: Record<string, string> = {};
      helmet.connections.labelPods(labels);
      expect(labels).toEqual({ [CLIENT_LABEL]: NS });
    });

    test('a client in another namespace: an ingress peer with its namespace, and its egress names the pool\'s namespace', () => {
      const smoke = client('smoke', 'detections');
      const objects = synthValid(poolWithClients(smoke, client('intrusion', 'detections')).chart);
      expect(findObject(objects, 'NetworkPolicy', 'yolo').spec.ingress).toEqual([{
        from: [{ podSelector: { matchLabels: { [CLIENT_LABEL]: NS } }, namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'detections' } } }],
        ports: inferencePorts,
      }]);
      expect(findObject(objects, 'NetworkPolicy', 'smoke', 'detections').spec.egress).toEqual([{
        to: [{ ...poolPeer, namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': NS } } }],
        ports: inferencePorts,
      }]);
    });

    test('the monitoring that scrapes the pool is admitted to the metrics port only', () => {
      const prometheus = new Connections({ ownerKind: 'MonitoringBundle', name: 'prometheus', namespace: 'monitoring', podSelector: { 'app.kubernetes.io/name': 'prometheus' } });
      const { pool, chart } = poolWithClients();
      // What MonitoringBundle.watch(pool) declares.
      pool.connections.allowFrom(prometheus, [pool.toScrapeTarget().port]);
      expect(findObject(synthValid(chart), 'NetworkPolicy', 'yolo').spec.ingress).toEqual([{
        from: [{ podSelector: { matchLabels: { 'app.kubernetes.io/name': 'prometheus' } }, namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } } }],
        ports: [{ protocol: 'TCP', port: 8002 }],
      }]);
    });
  });

  test('minWorkers equal to maxWorkers: a fixed replica count and no ScaledObject', () => {
    const { pool, objects } = synthPool({ pool: { minWorkers: 3, maxWorkers: 3 } });
    expect(objects).toMatchSnapshot();
    expect(findObject(objects, 'Deployment', 'yolo').spec.replicas).toBe(3);
    expect(objectsOfKind(objects, 'ScaledObject')).toEqual([]);
    expect(pool.isAutoscaled).toBe(false);
  });

  test('with time-slicing, a share of a GPU becomes whole slices in requests and limits', () => {
    const { pool, objects } = synthPool({ inventory: { nodes: 2, sharing: GpuSharing.timeSlicing({ replicas: 4 }) }, pool: { gpusPerWorker: GpuRequest.shared({ share: 0.5 }), maxWorkers: 4, prometheusAddress: PROMETHEUS } });
    expect(objects).toMatchSnapshot();
    expect(pool.slicesPerWorker).toBe(2);
    expect(serverOf(objects).resources.requests['nvidia.com/gpu']).toBe('2');
    expect(serverOf(objects).resources.limits['nvidia.com/gpu']).toBe('2');
    // The default on a time-sliced inventory is one slice.
    const byDefault = synthPool({ inventory: { sharing: GpuSharing.timeSlicing({ replicas: 4 }) } });
    expect(serverOf(byDefault.objects).resources.limits['nvidia.com/gpu']).toBe('1');
  });

  test('GPU utilization scaling sums the workers\' DCGM utilization, with or without honor_labels', () => {
    const { objects } = synthPool({ pool: { maxWorkers: 3, scaling: InferenceScaling.gpuUtilization({ targetPercent: 70 }), prometheusAddress: 'http://prometheus-k8s.monitoring.svc:9090' } });
    const [trigger] = findObject(objects, 'ScaledObject', 'yolo').spec.triggers;
    expect(trigger.name).toBe('gpu-utilization');
    expect(trigger.metadata).toEqual({
      serverAddress: 'http://prometheus-k8s.monitoring.svc:9090',
      query: 'sum(DCGM_FI_DEV_GPU_UTIL{namespace="video-analytics",pod=~"yolo-[a-z0-9]+-[a-z0-9]{5}"} or DCGM_FI_DEV_GPU_UTIL{exported_namespace="video-analytics",exported_pod=~"yolo-[a-z0-9]+-[a-z0-9]{5}"})',
      threshold: '70',
      ignoreNullValues: 'false',
    });
    // InferenceScaling is the pool's name for the same Scaling.
    expect(InferenceScaling.gpuUtilization({ targetPercent: 70 })).toEqual(Scaling.gpuUtilization({ targetPercent: 70 }));
  });

  test('a query of your own with Scaling.prometheus', () => {
    const query = 'sum(rate(video_analytics_frames_submitted_total{namespace="video-analytics"}[2m]))';
    const { objects } = synthPool({ pool: { maxWorkers: 3, scaling: Scaling.prometheus({ query, threshold: 25, activationThreshold: 1 }), prometheusAddress: PROMETHEUS } });
    expect(findObject(objects, 'ScaledObject', 'yolo').spec.triggers).toEqual([{
      type: 'prometheus', name: 'prometheus-query', metricType: 'AverageValue',
      metadata: { serverAddress: PROMETHEUS, query, threshold: '25', activationThreshold: '1', ignoreNullValues: 'false' },
    }]);
    // The address may come with the query instead.
    const { objects: withAddress } = synthPool({ pool: { maxWorkers: 3, scaling: Scaling.prometheus({ query, threshold: 25, serverAddress: PROMETHEUS }) } });
    expect(findObject(withAddress, 'ScaledObject', 'yolo').spec.triggers[0].metadata.serverAddress).toBe(PROMETHEUS);
  });

  test('the pod name pattern matches the pool\'s pods only, not those of a pool whose name extends it', () => {
    const pattern = new RegExp(`^${'yolo-[a-z0-9]+-[a-z0-9]{5}'}$`);
    expect(pattern.test('yolo-7c9f8b6d4-x2k9p')).toBe(true);
    expect(pattern.test('yolo-v8-7c9f8b6d4-x2k9p')).toBe(false);
  });

  describe('model repositories', () => {
    test('from an image: an init container copies the models into an emptyDir, away from the image\'s own /models', () => {
      const { objects } = synthPool({ pool: { modelRepository: ModelRepository.fromImage('registry.example.com/models/yolo:1.2.0', '/models/', { sizeLimit: Size.gibibytes(20) }) } });
      const pod = podSpecOf(objects);
      expect(pod.volumes).toContainEqual({ name: 'models', emptyDir: { sizeLimit: '20Gi' } });
      expect(pod.initContainers).toEqual([expect.objectContaining({
        name: 'load-models',
        image: 'registry.example.com/models/yolo:1.2.0',
        command: ['cp', '-R', '/models/.', '/load-models-target/'],
        volumeMounts: [{ name: 'models', mountPath: '/load-models-target' }],
      })]);
      expect(pod.initContainers[0].securityContext.readOnlyRootFilesystem).toBe(true);
      expect(pod.initContainers[0].imagePullPolicy).toBe('IfNotPresent');
    });

    test('a new local-path volume for a pool on one GPU node: a PVC, mounted read-only', () => {
      const { objects } = synthPool({ inventory: { nodes: 1, gpusPerNode: 2 }, pool: { modelRepository: ModelRepository.newVolume(Size.gibibytes(50)) } });
      expect(objects).toMatchSnapshot();
      expect(findObject(objects, 'PersistentVolumeClaim', 'yolo-models').spec).toEqual({
        storageClassName: 'local-path', accessModes: ['ReadWriteOnce'], volumeMode: 'Filesystem', resources: { requests: { storage: '50Gi' } },
      });
      expect(podSpecOf(objects).volumes).toContainEqual({ name: 'models', persistentVolumeClaim: { claimName: 'yolo-models', readOnly: true } });
      expect(podSpecOf(objects).initContainers).toBeUndefined();
    });

    test('a new ReadWriteMany volume serves workers on several nodes', () => {
      const { objects } = synthPool({ pool: { modelRepository: ModelRepository.newVolume(Size.gibibytes(50), { storageClassName: 'longhorn', accessMode: ModelVolumeAccessMode.READ_WRITE_MANY }) } });
      expect(findObject(objects, 'PersistentVolumeClaim', 'yolo-models').spec.accessModes).toEqual(['ReadWriteMany']);
    });

    test('an existing claim is mounted read-only and nothing is created for it', () => {
      const { objects } = synthPool({ pool: { modelRepository: ModelRepository.existingClaim('triton-models') } });
      expect(podSpecOf(objects).volumes).toContainEqual({ name: 'models', persistentVolumeClaim: { claimName: 'triton-models', readOnly: true } });
      expect(objectsOfKind(objects, 'PersistentVolumeClaim')).toEqual([]);
    });
  });

  test('image, args, ports, model load time and resources can be overridden', () => {
    const { pool, objects } = synthPool({
      pool: {
        image: 'nvcr.io/nvidia/tritonserver:24.09-py3', args: ['tritonserver', '--model-repository=/models', '--http-port=9000', '--grpc-port=9001', '--metrics-port=9002'],
        httpPort: 9000, grpcPort: 9001, metricsPort: 9002, modelLoadTimeout: Duration.minutes(20), resources: { memory: { limit: Size.gibibytes(16) } },
      },
    });
    const server = serverOf(objects);
    expect(server.image).toBe('nvcr.io/nvidia/tritonserver:24.09-py3');
    expect(server.args).toContain('--http-port=9000');
    expect(server.startupProbe.failureThreshold).toBe(120);
    expect(server.resources.limits).toEqual({ 'cpu': '4', 'memory': '16Gi', 'ephemeral-storage': '11776Mi', 'nvidia.com/gpu': '1' });
    expect(findObject(objects, 'Service', 'yolo').spec.ports.map((p: any) => p.port)).toEqual([9000, 9001, 9002]);
    expect(pool.toScrapeTarget().port).toBe(9002);
    expect(findObject(objects, 'Deployment', 'yolo').metadata.labels['app.kubernetes.io/version']).toBe('24.09-py3');
  });

  test('under ScopeSettings every pod of the pool and of GpuNodeSupport pulls from the mirror with the pull secret, in its tier', () => {
    const app = testApp();
    ScopeSettings.apply(app, { mirror: 'mirror.example:5000', imagePullSecrets: ['pull'], priorityClasses: { platform: 'p', ingest: 'i', analysis: 'a', batch: 'b' } });
    const chart = new Chart(app, 'gpu');
    const inventory = new GpuInventory(chart, 'gpus', { nodes: 3 });
    new GpuWorkerPool(chart, 'yolo', { namespace: NS, inventory, modelRepository: MODELS });
    new GpuNodeSupport(chart, 'gpu', { inventory });
    const objects = synthValid(chart);

    const pods = (kind: string) => objectsOfKind(objects, kind).map((o) => o.spec.template.spec);
    const all = [...pods('Deployment'), ...pods('DaemonSet')];
    expect(all).toHaveLength(3);
    const images = all.flatMap((pod) => [...(pod.initContainers ?? []), ...pod.containers].map((c: any) => c.image));
    expect(images).toHaveLength(4);
    for (const image of images) expect(image).toMatch(/^mirror\.example:5000\//);
    expect(podSpecOf(objects).initContainers[0].image).toBe('mirror.example:5000/models/yolo:1.2.0');
    for (const pod of all) expect(pod.imagePullSecrets).toEqual([{ name: 'pull' }]);
    expect(pods('Deployment').map((pod) => pod.priorityClassName)).toEqual(['a']);
    expect(pods('DaemonSet').map((pod) => pod.priorityClassName)).toEqual(['system-node-critical', 'system-node-critical']);
  });

  test('a priorityClassName and a clusterDomain of the pool win over the scope\'s', () => {
    const app = testApp();
    ScopeSettings.apply(app, { priorityClasses: { platform: 'p', ingest: 'i', analysis: 'a', batch: 'b' }, clusterDomain: 'edge.internal' });
    const chart = new Chart(app, 'gpu');
    const inventory = new GpuInventory(chart, 'gpus', { nodes: 3 });
    const scoped = new GpuWorkerPool(chart, 'yolo', { namespace: NS, inventory, modelRepository: MODELS });
    const own = new GpuWorkerPool(chart, 'plates', { namespace: NS, inventory, modelRepository: MODELS, minWorkers: 1, priorityClassName: 'inference-critical', clusterDomain: 'cluster.local' });
    const objects = synthValid(chart);
    expect(scoped.host).toBe('yolo.video-analytics.svc.edge.internal');
    expect(own.host).toBe('plates.video-analytics.svc.cluster.local');
    expect(findObject(objects, 'Deployment', 'plates').spec.template.spec.priorityClassName).toBe('inference-critical');
    // One worker is the user's choice, recorded for the single-point-of-failure policy; two by default need no reason.
    expect(findObject(objects, 'Deployment', 'plates').metadata.annotations[SINGLE_REPLICA_REASON_ANNOTATION]).toMatch(/^'minWorkers' is 1/);
    expect(findObject(objects, 'Deployment', 'yolo').metadata.annotations?.[SINGLE_REPLICA_REASON_ANNOTATION]).toBeUndefined();
  });

  test('a pool on one GPU node says so: losing that node stops it whatever its workers, as the user declared', () => {
    const { objects } = synthPool({ inventory: { nodes: 1, gpusPerNode: 2 }, pool: { modelRepository: ModelRepository.newVolume(Size.gibibytes(1)) } });
    expect(findObject(objects, 'Deployment', 'yolo').metadata.annotations[SINGLE_REPLICA_REASON_ANNOTATION]).toMatch(/^its GpuInventory 'gpus' declares one GPU node/);
    expect(findObject(synthPool().objects, 'Deployment', 'yolo').metadata.annotations?.[SINGLE_REPLICA_REASON_ANNOTATION]).toBeUndefined();
  });

  test('offers its metrics as a scrape target and its Service as an inference endpoint', () => {
    const { pool } = synthPool();
    expect(pool.toScrapeTarget()).toEqual({
      jobName: 'yolo', namespace: NS, podSelector: POOL_SELECTOR, portName: 'metrics', port: 8002, path: '/metrics', interval: Duration.seconds(15),
    });
    expect(pool.toInferenceEndpoint()).toEqual({
      name: 'yolo', namespace: NS, host: 'yolo.video-analytics.svc.cluster.local', httpPort: 8000, grpcPort: 8001,
    });
    expect(pool.connections.podSelector).toEqual(POOL_SELECTOR);
  });

  test('owns inference alerts with valid PromQL, a severity, a summary, a description and a runbook', () => {
    const { pool } = synthPool({ pool: { maxWorkers: 3, prometheusAddress: PROMETHEUS } });
    const [group] = pool.toRuleGroups();
    expect(group.name).toBe('inference-yolo');
    expect(group.alerts!.map((a) => a.alert)).toEqual(['InferenceQueueGrowing', 'InferenceRequestsFailing']);
    for (const alert of group.alerts!) {
      expect(promqlSyntaxError(alert.expr)).toBeUndefined();
      expect(alert.severity).toBe(AlertSeverity.WARNING);
      expect(alert.summary).not.toBe('');
      expect(alert.description).not.toBe('');
      expect(alert.runbookUrl).toBe(runbookUrl(alert.alert));
      expect(alert.labels).toEqual({ pool: 'yolo' });
    }
    // More queued than three workers at four requests each, and still growing.
    expect(group.alerts![0].expr).toBe(
      'sum by (namespace) (nv_inference_pending_request_count{namespace="video-analytics",pod=~"yolo-[a-z0-9]+-[a-z0-9]{5}"}) > 12'
      + ' and deriv(sum by (namespace) (nv_inference_pending_request_count{namespace="video-analytics",pod=~"yolo-[a-z0-9]+-[a-z0-9]{5}"})[15m:1m]) > 0');
  });

  test('reserves its peak demand in the inventory', () => {
    const { pool } = synthPool({ pool: { maxWorkers: 3, prometheusAddress: PROMETHEUS } });
    expect(pool.gpuDemand()).toEqual({ consumer: 'video-analytics/yolo', maxWorkers: 3, slicesPerWorker: 1 });
  });

  describe('refuses bad input', () => {
    const sliced = { nodes: 2, sharing: GpuSharing.timeSlicing({ replicas: 4 }) };
    test.each<[string, Scenario, RegExp]>([
      ['zero GPUs', { pool: { gpusPerWorker: GpuRequest.whole(0) } }, /GpuWorkerPool 'yolo': 'gpusPerWorker' \(0 GPUs\) must be a whole number of GPUs, at least 1\. Request at least GpuRequest\.whole\(1\)\./],
      ['negative GPUs', { pool: { gpusPerWorker: GpuRequest.whole(-1) } }, /'gpusPerWorker' \(-1 GPUs\) must be a whole number of GPUs, at least 1/],
      ['a fraction of a GPU without time-slicing', { pool: { gpusPerWorker: GpuRequest.whole(0.5) } },
        /'gpusPerWorker' \(0\.5 GPUs\) must be a whole number of GPUs, at least 1\. A fraction of a GPU needs time-slicing: declare GpuSharing\.timeSlicing\(\) on inventory 'gpus' and use GpuRequest\.shared\(\{ share: 0\.5 \}\)/],
      ['a shared GPU without time-slicing', { pool: { gpusPerWorker: GpuRequest.shared({ share: 0.5 }) } }, /'gpusPerWorker' \(0\.5 of a GPU\) must be whole GPUs, because inventory 'gpus' does not time-slice its GPUs/],
      ['a share that is not a whole number of slices', { inventory: sliced, pool: { gpusPerWorker: GpuRequest.shared({ share: 0.3 }) } },
        /'gpusPerWorker' \(0\.3 of a GPU\) must be one of 0\.25, 0\.5, 0\.75, 1: inventory 'gpus' slices each GPU 4 ways/],
      ['a share above one GPU', { inventory: sliced, pool: { gpusPerWorker: GpuRequest.shared({ share: 1.5 }) } }, /'gpusPerWorker' \(1\.5 of a GPU\) must be one of 0\.25, 0\.5, 0\.75, 1/],
      ['a zero share', { inventory: sliced, pool: { gpusPerWorker: GpuRequest.shared({ share: 0 }) } }, /'gpusPerWorker' \(0 of a GPU\) must be one of 0\.25/],
      ['several slices on nodes with several GPUs', { inventory: { ...sliced, gpusPerNode: 2 }, pool: { gpusPerWorker: GpuRequest.shared({ share: 0.5 }) } },
        /'gpusPerWorker' \(0\.5 of a GPU\) must be 0\.25: nodes of inventory 'gpus' have 2 GPUs and the device plugin spreads a pod's slices over them/],
      ['a whole GPU where every GPU is time-sliced', { inventory: sliced, pool: { gpusPerWorker: GpuRequest.whole(1) } }, /'gpusPerWorker' \(1 GPU\) must be a share of a GPU, because inventory 'gpus' time-slices every GPU 4 ways/],
      ['more GPUs than a node has', { pool: { gpusPerWorker: GpuRequest.whole(2) } }, /'gpusPerWorker' \(2 GPUs\) must be at most the 1 GPU\(s\) of one node of inventory 'gpus'/],
      ['maxWorkers below minWorkers', { pool: { minWorkers: 3, maxWorkers: 2 } }, /GpuWorkerPool 'yolo': 'maxWorkers' \(2\) must be an integer >= minWorkers \(3\)/],
      ['minWorkers 0', { pool: { minWorkers: 0 } }, /GpuWorkerPool 'yolo': 'minWorkers' \(0\) must be an integer >= 1/],
      ['a bad name', { pool: { name: 'Yolo_V8' } }, /GpuWorkerPool 'yolo': 'name' \(Yolo_V8\) must be a DNS-1035 label of at most 47 characters/],
      ['a name too long for the pod name pattern', { pool: { name: `p${'o'.repeat(47)}` } }, /'name' \(po+\) must be a DNS-1035 label of at most 47 characters \(it has 48\)/],
      ['a bad namespace', { pool: { namespace: 'Video' } }, /'namespace' \(Video\) must be a DNS-1123 label/],
      ['an unpinned image', { pool: { image: 'nvcr.io/nvidia/tritonserver:latest' } }, /'image' \(nvcr\.io\/nvidia\/tritonserver:latest\) must be pinned to a version tag or digest/],
      ['an unpinned model image', { pool: { modelRepository: ModelRepository.fromImage('models/yolo', '/models') } }, /'modelRepository\.image' \(models\/yolo\) must be pinned/],
      ['a relative model path', { pool: { modelRepository: ModelRepository.fromImage('models/yolo:1', 'models') } }, /'modelRepository\.path' \(models\) must be an absolute path below \//],
      ['a ReadWriteOnce volume for workers on several nodes', { pool: { modelRepository: ModelRepository.newVolume(Size.gibibytes(50)) } },
        /'modelRepository' \(a new ReadWriteOnce volume on local-path\) must be mountable on every node its 2 workers spread over \(3 GPU nodes\)\. Use ModelRepository\.fromImage\(\)/],
      ['a bad claim name', { pool: { modelRepository: ModelRepository.existingClaim('Models') } }, /'modelRepository\.claimName' \(Models\) must be a DNS-1123 subdomain/],
      ['a GPU utilization target above 100%', { pool: { maxWorkers: 3, scaling: InferenceScaling.gpuUtilization({ targetPercent: 120 }) } }, /'scaling\.targetPercent' \(120\) must be above 0 and at most 100/],
      ['a queue target of 0', { pool: { maxWorkers: 3, scaling: InferenceScaling.queueSize({ target: 0 }) } }, /'scaling\.target' \(0\) must be a number above 0/],
      ['a Prometheus address that is no URL', { pool: { prometheusAddress: 'prometheus:9090' } }, /'prometheusAddress' \(prometheus:9090\) must be an http or https URL/],
      ['a fixed Scaling', { pool: { maxWorkers: 3, scaling: Scaling.fixed(3) } },
        /^GpuWorkerPool 'yolo': 'scaling' \(Scaling\.fixed\(3\)\) must be a signal of the pool: Scaling\.queueSize, Scaling\.gpuUtilization or Scaling\.prometheus\. Set minWorkers = maxWorkers for a fixed pool; CPU is not what limits a GPU worker\./],
      ['CPU scaling', { pool: { maxWorkers: 3, scaling: Scaling.cpu(70) } }, /^GpuWorkerPool 'yolo': 'scaling' \(Scaling\.cpu\(70\)\) must be a signal of the pool.*CPU is not what limits a GPU worker\./],
      ['a query of your own that is no PromQL', { pool: { maxWorkers: 3, scaling: Scaling.prometheus({ query: 'sum(', threshold: 4 }) } }, /'scaling\.query' \(sum\(\) must be valid PromQL/],
      ['a query threshold of 0', { pool: { maxWorkers: 3, scaling: Scaling.prometheus({ query: 'sum(up)', threshold: 0 }) } }, /'scaling\.threshold' \(0\) must be a number above 0/],
      ['two different Prometheus addresses', { pool: { maxWorkers: 3, prometheusAddress: PROMETHEUS, scaling: Scaling.prometheus({ query: 'sum(up)', threshold: 1, serverAddress: 'http://other:9090' }) } },
        /'scaling\.serverAddress' \(http:\/\/other:9090\) must be the pool's 'prometheusAddress' .* or left out/],
      ['two ports alike', { pool: { grpcPort: 8000 } }, /'httpPort, grpcPort, metricsPort' \(\[8000,8000,8002\]\) must be three different ports/],
      ['a model load timeout under one probe period', { pool: { modelLoadTimeout: Duration.seconds(5) } }, /'modelLoadTimeout' \(5s\) must be at least 10 seconds/],
      ['a bad GPU product', { pool: { gpuProduct: 'NVIDIA A2' } }, /'gpuProduct' \(NVIDIA A2\) must be a node label value/],
      ['a CPU request above its limit', { pool: { resources: { cpu: { request: Cpu.units(8) } } } }, /'resources\.cpu\.request' \(8\) must be at most the CPU limit \(4\)/],
      ['empty args', { pool: { args: [] } }, /'args' \(\[\]\) must be a program and its arguments/],
    ])('%s', (_title, scenario, message) => {
      expect(() => synthPool(scenario)).toThrow(message);
    });
  });
});

describe('GpuWorkerPool: fixed in #8', () => {
  test('a model volume of 1500Ki and a model load timeout of 10.5s synthesize instead of crashing inside cdk8s', () => {
    const { objects } = synthPool({
      inventory: { nodes: 1 },
      pool: { minWorkers: 1, modelRepository: ModelRepository.newVolume(Size.kibibytes(1500)), modelLoadTimeout: Duration.millis(10_500) },
    });
    expect(findObject(objects, 'PersistentVolumeClaim', 'yolo-models').spec.resources.requests.storage).toBe('1500Ki');
    expect(serverOf(objects).startupProbe.failureThreshold).toBe(2);
  });

  test.each<[string, Scenario, RegExp]>([
    ['a model volume below 1Mi, in KiB', { inventory: { nodes: 1 }, pool: { modelRepository: ModelRepository.newVolume(Size.kibibytes(1000)) } }, /^GpuWorkerPool 'yolo': 'modelRepository\.size' \(1000Ki\) must be at least 1Mi/],
    ['a bad storage class', { pool: { modelRepository: ModelRepository.newVolume(Size.gibibytes(1), { accessMode: ModelVolumeAccessMode.READ_WRITE_MANY, storageClassName: 'NFS' }) } },
      /^GpuWorkerPool 'yolo': 'modelRepository\.storageClassName' \(NFS\) must be a StorageClass name/],
    ['a bad priority class', { pool: { priorityClassName: 'High_Priority' } }, /^GpuWorkerPool 'yolo': 'priorityClassName' \(High_Priority\) must be a PriorityClass name/],
    ['a bad cluster domain', { pool: { clusterDomain: 'Cluster.Local' } }, /^GpuWorkerPool 'yolo': 'clusterDomain' \(Cluster\.Local\) must be a DNS domain/],
  ])('refuses %s', (_title, scenario, message) => {
    expect(() => synthPool(scenario)).toThrow(message);
  });
});

test('GpuWorkerPool refuses a port below 1024: Triton runs non-root without capabilities', () => {
  const chart = testChart();
  const inventory = new GpuInventory(chart, 'gpus', { nodes: 2 });
  expect(() => new GpuWorkerPool(chart, 'yolo', { namespace: 'va', inventory, modelRepository: ModelRepository.existingClaim('models'), httpPort: 80 }))
    .toThrow(/GpuWorkerPool 'yolo': 'httpPort' \(80\) must be a port number from 1024 to 65535/);
});
