import { Chart, Duration, Size } from 'cdk8s';
import { Cpu } from 'cdk8s-plus-27';
import { parse as parseYaml } from 'yaml';
import { AlertSeverity, runbookUrl } from '../../lib';
import { GpuInventory, GpuInventoryProps, GpuSharing } from '../../lib/inference/gpu-inventory';
import { DCGM_EXPORTER_IMAGE, DEVICE_PLUGIN_IMAGE, GpuNodeSupport, GpuNodeSupportProps, MigStrategy } from '../../lib/inference/gpu-node-support';
import { Connections } from '../../lib/synth/connections';
import { CONFIG_CHECKSUM_ANNOTATION } from '../../lib/synth/pod/builder';
import { ScopeSettings } from '../../lib/synth/pod/scope-settings';
import { promqlSyntaxError } from '../../lib/synth/validation/_promql-rules';
import { ScalingSignal } from '../../lib/inference/inference-scaling';
import { KubeObject, findObject, objectsOfKind, synthValid, testApp, testChart } from '../_helpers';

interface Scenario {
  readonly inventory?: Partial<GpuInventoryProps>;
  readonly support?: Partial<GpuNodeSupportProps>;
}

function synthSupport(scenario: Scenario = {}): { support: GpuNodeSupport; objects: KubeObject[] } {
  const chart = testChart();
  const inventory = new GpuInventory(chart, 'gpus', { nodes: 2, ...scenario.inventory });
  const support = new GpuNodeSupport(chart, 'gpu', { inventory, ...scenario.support });
  return { support, objects: synthValid(chart) };
}

function devicePluginOf(objects: KubeObject[]): { pod: any; container: any } {
  const pod = findObject(objects, 'DaemonSet', 'nvidia-device-plugin').spec.template.spec;
  return { pod, container: pod.containers[0] };
}

function dcgmExporterOf(objects: KubeObject[]): { pod: any; container: any } {
  const pod = findObject(objects, 'DaemonSet', 'dcgm-exporter').spec.template.spec;
  return { pod, container: pod.containers[0] };
}

const DCGM_SELECTOR = { 'app.kubernetes.io/name': 'dcgm-exporter', 'app.kubernetes.io/instance': 'dcgm-exporter', 'app.kubernetes.io/component': 'gpu-metrics' };

const GPU_NODE_AFFINITY = {
  nodeAffinity: {
    requiredDuringSchedulingIgnoredDuringExecution: {
      nodeSelectorTerms: [{ matchExpressions: [{ key: 'nvidia.com/gpu.present', operator: 'In', values: ['true'] }] }],
    },
  },
};

describe('GpuNodeSupport', () => {
  test('exclusive GPUs: snapshot, a privileged namespace, the device plugin and dcgm-exporter on GPU nodes only', () => {
    const { support, objects } = synthSupport();
    expect(objects).toMatchSnapshot();

    expect(support.namespace).toBe('gpu-system');
    const namespace = findObject(objects, 'Namespace', 'gpu-system');
    expect(namespace.metadata.labels['pod-security.kubernetes.io/enforce']).toBe('privileged');
    expect(findObject(objects, 'NetworkPolicy', 'default-deny').metadata.namespace).toBe('gpu-system');
    // K3s ships the RuntimeClass; time-slicing is off, so no device plugin configuration either:
    // the one ConfigMap is dcgm-exporter's field list.
    expect(objectsOfKind(objects, 'RuntimeClass')).toEqual([]);
    expect(objectsOfKind(objects, 'ConfigMap').map((c) => c.metadata.name)).toEqual(['dcgm-exporter-collectors']);

    for (const { pod } of [devicePluginOf(objects), dcgmExporterOf(objects)]) {
      expect(pod.runtimeClassName).toBe('nvidia');
      expect(pod.priorityClassName).toBe('system-node-critical');
      expect(pod.tolerations).toEqual([{ key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' }]);
      expect(pod.affinity).toEqual(GPU_NODE_AFFINITY);
      expect(pod.automountServiceAccountToken).toBe(false);
      expect(pod.securityContext).toEqual({ seccompProfile: { type: 'RuntimeDefault' } });
    }
  });

  test('the device plugin idles on nodes without a working GPU and serves the kubelet\'s socket directory', () => {
    const { pod, container } = devicePluginOf(synthSupport().objects);
    expect(container.image).toBe(DEVICE_PLUGIN_IMAGE);
    expect(DEVICE_PLUGIN_IMAGE).toBe('nvcr.io/nvidia/k8s-device-plugin:v0.20.0');
    expect(container.env).toEqual([{ name: 'FAIL_ON_INIT_ERROR', value: 'false' }, { name: 'MIG_STRATEGY', value: 'none' }]);
    // Privileged by a named exception: upstream's settings, root with every capability dropped,
    // under the runtime's default seccomp profile.
    expect(container.securityContext).toEqual({ allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } });
    expect(pod.securityContext).toEqual({ seccompProfile: { type: 'RuntimeDefault' } });
    expect(container.imagePullPolicy).toBe('IfNotPresent');
    expect(container.resources).toEqual({
      requests: { 'cpu': '10m', 'memory': '32Mi', 'ephemeral-storage': '64Mi' },
      limits: { 'cpu': '100m', 'memory': '128Mi', 'ephemeral-storage': '512Mi' },
    });
    expect(container.volumeMounts).toEqual([{ name: 'device-plugins', mountPath: '/var/lib/kubelet/device-plugins' }]);
    expect(pod.volumes).toEqual([{ name: 'device-plugins', hostPath: { path: '/var/lib/kubelet/device-plugins', type: 'Directory' } }]);
  });

  test('time-slicing: the device plugin gets a config file with the inventory\'s replicas and rolls when it changes', () => {
    const { objects } = synthSupport({ inventory: { sharing: GpuSharing.timeSlicing({ replicas: 4 }) } });
    expect(objects).toMatchSnapshot();
    const config = findObject(objects, 'ConfigMap', 'nvidia-device-plugin-config');
    expect(config.metadata.namespace).toBe('gpu-system');
    expect(parseYaml(config.data['config.yaml'])).toEqual({
      version: 'v1',
      sharing: { timeSlicing: { resources: [{ name: 'nvidia.com/gpu', replicas: 4 }] } },
    });
    const { pod, container } = devicePluginOf(objects);
    expect(container.env).toContainEqual({ name: 'CONFIG_FILE', value: '/etc/nvidia-device-plugin/config.yaml' });
    expect(container.volumeMounts).toContainEqual({ name: 'config', mountPath: '/etc/nvidia-device-plugin', readOnly: true });
    expect(pod.volumes).toContainEqual({ name: 'config', configMap: { name: 'nvidia-device-plugin-config' } });

    const annotation = (o: KubeObject[]) => findObject(o, 'DaemonSet', 'nvidia-device-plugin').spec.template.metadata.annotations[CONFIG_CHECKSUM_ANNOTATION];
    const eightWays = synthSupport({ inventory: { sharing: GpuSharing.timeSlicing({ replicas: 8 }) } }).objects;
    expect(annotation(eightWays)).toMatch(/^[0-9a-f]{64}$/);
    expect(annotation(eightWays)).not.toBe(annotation(objects));
  });

  test('MIG strategy, custom GPU node labels and the RuntimeClass for other distributions', () => {
    const { objects } = synthSupport({
      inventory: { nodeSelector: { 'example.com/gpu': 'a100' } },
      support: { migStrategy: MigStrategy.MIXED, emitRuntimeClass: true },
    });
    expect(devicePluginOf(objects).container.env).toContainEqual({ name: 'MIG_STRATEGY', value: 'mixed' });
    expect(dcgmExporterOf(objects).pod.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms).toEqual([
      { matchExpressions: [{ key: 'example.com/gpu', operator: 'In', values: ['a100'] }] },
    ]);
    const runtimeClass = findObject(objects, 'RuntimeClass', 'nvidia');
    expect(runtimeClass.apiVersion).toBe('node.k8s.io/v1');
    expect(runtimeClass.handler).toBe('nvidia');
  });

  test('dcgm-exporter: port 9400, Kubernetes pod attribution, read-only pod-resources, its own field list, root without capabilities, a Service and a NetworkPolicy', () => {
    const { objects } = synthSupport();
    const { pod, container } = dcgmExporterOf(objects);
    expect(container.image).toBe(DCGM_EXPORTER_IMAGE);
    expect(DCGM_EXPORTER_IMAGE).toBe('nvcr.io/nvidia/k8s/dcgm-exporter:3.3.7-3.5.0-ubuntu22.04');
    expect(container.ports).toEqual([{ name: 'metrics', containerPort: 9400, protocol: 'TCP' }]);
    expect(container.env).toEqual([
      { name: 'DCGM_EXPORTER_LISTEN', value: ':9400' },
      { name: 'DCGM_EXPORTER_KUBERNETES', value: 'true' },
      { name: 'DCGM_EXPORTER_COLLECTORS', value: '/etc/dcgm-exporter-collectors/collectors.csv' },
      { name: 'NODE_NAME', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } },
    ]);
    expect(container.volumeMounts).toEqual([
      { name: 'pod-resources', mountPath: '/var/lib/kubelet/pod-resources', readOnly: true },
      { name: 'collectors', mountPath: '/etc/dcgm-exporter-collectors', readOnly: true },
    ]);
    expect(pod.volumes).toEqual([
      { name: 'pod-resources', hostPath: { path: '/var/lib/kubelet/pod-resources', type: 'Directory' } },
      { name: 'collectors', configMap: { name: 'dcgm-exporter-collectors' } },
    ]);
    expect(container.resources).toEqual({
      requests: { 'cpu': '100m', 'memory': '256Mi', 'ephemeral-storage': '64Mi' },
      limits: { 'cpu': '500m', 'memory': '1Gi', 'ephemeral-storage': '512Mi' },
    });
    expect(container.readinessProbe.httpGet).toEqual({ path: '/health', port: 'metrics' });
    expect(container.securityContext).toEqual({ runAsNonRoot: false, runAsUser: 0, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } });
    expect(pod.securityContext).toEqual({ seccompProfile: { type: 'RuntimeDefault' } });

    const service = findObject(objects, 'Service', 'dcgm-exporter');
    expect(service.spec.ports).toEqual([{ name: 'metrics', port: 9400, targetPort: 'metrics', protocol: 'TCP' }]);
    // Nothing is admitted until a monitoring watches it; it reads the node through sockets, so nothing goes out.
    expect(findObject(objects, 'NetworkPolicy', 'dcgm-exporter').spec).toEqual({
      podSelector: { matchLabels: DCGM_SELECTOR },
      policyTypes: ['Ingress', 'Egress'],
      ingress: [],
      egress: [],
    });
    // The device plugin talks to the kubelet through a socket only: no policy of its own.
    expect(objectsOfKind(objects, 'NetworkPolicy').filter((p) => p.metadata.name === 'nvidia-device-plugin')).toEqual([]);
  });

  test('dcgm-exporter admits the Prometheus that scrapes it, from its namespace, to port 9400 only', () => {
    const chart = testChart();
    const support = new GpuNodeSupport(chart, 'gpu', { inventory: new GpuInventory(chart, 'gpus', { nodes: 2 }) });
    const prometheus = new Connections({ ownerKind: 'MonitoringBundle', name: 'prometheus', namespace: 'monitoring', podSelector: { 'app.kubernetes.io/name': 'prometheus' } });
    // What MonitoringBundle.watch(support) declares.
    support.connections.allowFrom(prometheus, [support.toScrapeTarget().port]);
    expect(support.connections.podSelector).toEqual(DCGM_SELECTOR);
    expect(findObject(synthValid(chart), 'NetworkPolicy', 'dcgm-exporter').spec.ingress).toEqual([{
      from: [{ podSelector: { matchLabels: { 'app.kubernetes.io/name': 'prometheus' } }, namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } } }],
      ports: [{ protocol: 'TCP', port: 9400 }],
    }]);
  });

  test('offers dcgm-exporter as a scrape target', () => {
    const { support } = synthSupport();
    expect(support.toScrapeTarget()).toEqual({
      jobName: 'dcgm-exporter', namespace: 'gpu-system', portName: 'metrics', port: 9400, path: '/metrics', interval: Duration.seconds(15), podSelector: DCGM_SELECTOR,
    });
  });

  test('owns the per-GPU alerts, with valid PromQL and every annotation', () => {
    const { support } = synthSupport({ inventory: { sharing: GpuSharing.timeSlicing({ replicas: 4 }) } });
    const [group] = support.toRuleGroups();
    expect(group.name).toBe('gpu-nodes');
    expect(group.alerts!.map((a) => [a.alert, a.severity])).toEqual([
      ['GpuUtilizationSaturated', AlertSeverity.WARNING],
      ['GpuMemoryNearlyFull', AlertSeverity.WARNING],
      ['GpuXidErrors', AlertSeverity.CRITICAL],
      ['GpuCapacityBelowInventory', AlertSeverity.WARNING],
    ]);
    for (const alert of group.alerts!) {
      expect(promqlSyntaxError(alert.expr)).toBeUndefined();
      expect(alert.summary).not.toBe('');
      expect(alert.description).not.toBe('');
      expect(alert.runbookUrl).toBe(runbookUrl(alert.alert));
    }
    const byName = Object.fromEntries(group.alerts!.map((a) => [a.alert, a]));
    expect(byName.GpuXidErrors.expr).toBe('max by (Hostname, gpu, UUID) (DCGM_FI_DEV_XID_ERRORS) > 0 and max by (Hostname, gpu, UUID) (changes(DCGM_FI_DEV_XID_ERRORS[30m])) > 0');
    // 2 nodes × 1 GPU × 4 slices.
    expect(byName.GpuCapacityBelowInventory.expr).toBe('sum(kube_node_status_allocatable{resource="nvidia_com_gpu"}) < 8');
  });

  test('under ScopeSettings: the mirror and the pull secrets, and system-node-critical above every platform tier', () => {
    const app = testApp();
    ScopeSettings.apply(app, { mirror: 'mirror.example:5000', imagePullSecrets: ['pull'], priorityClasses: { platform: 'p', ingest: 'i', analysis: 'a', batch: 'b' } });
    const chart = new Chart(app, 'gpu');
    new GpuNodeSupport(chart, 'gpu', { inventory: new GpuInventory(chart, 'gpus', { nodes: 1 }) });
    const objects = synthValid(chart);
    const [plugin, exporter] = [devicePluginOf(objects), dcgmExporterOf(objects)];
    expect(plugin.container.image).toBe('mirror.example:5000/nvidia/k8s-device-plugin:v0.20.0');
    expect(exporter.container.image).toBe('mirror.example:5000/nvidia/k8s/dcgm-exporter:3.3.7-3.5.0-ubuntu22.04');
    for (const { pod } of [plugin, exporter]) {
      expect(pod.imagePullSecrets).toEqual([{ name: 'pull' }]);
      expect(pod.priorityClassName).toBe('system-node-critical');
    }
  });

  test('resources and namespaces can be overridden', () => {
    const { support, objects } = synthSupport({ support: { namespace: 'nvidia', dcgmExporterResources: { memory: { limit: Size.gibibytes(2) } } } });
    expect(findObject(objects, 'DaemonSet', 'dcgm-exporter').metadata.namespace).toBe('nvidia');
    expect(findObject(objects, 'NetworkPolicy', 'dcgm-exporter').metadata.namespace).toBe('nvidia');
    expect(support.connections.namespace).toBe('nvidia');
    expect(dcgmExporterOf(objects).container.resources.limits).toEqual({ 'cpu': '500m', 'memory': '2Gi', 'ephemeral-storage': '512Mi' });
  });

  describe('dcgm-exporter privileges and fields', () => {
    const collectorsOf = (objects: KubeObject[]): string => findObject(objects, 'ConfigMap', 'dcgm-exporter-collectors').data['collectors.csv'];
    const fieldsOf = (csv: string): string[] => csv.split('\n').filter((l) => l.trim() !== '' && !l.startsWith('#')).map((l) => l.split(',')[0].trim());

    test('by default: no capability at all, and a field list of DCGM_FI_DEV_* fields only', () => {
      const { objects } = synthSupport();
      const { pod, container } = dcgmExporterOf(objects);
      expect(container.securityContext.capabilities).toEqual({ drop: ['ALL'] });
      expect(pod.securityContext.seccompProfile).toEqual({ type: 'RuntimeDefault' });
      const fields = fieldsOf(collectorsOf(objects));
      expect(fields.length).toBeGreaterThan(0);
      for (const field of fields) expect(field).toMatch(/^DCGM_FI_DEV_/);
      expect(collectorsOf(objects)).not.toMatch(/DCGM_FI_PROF_/);
    });

    test('the field list holds every DCGM metric the GPU alerts and the GPU utilization scaling read', () => {
      const { support, objects } = synthSupport();
      const fields = new Set(fieldsOf(collectorsOf(objects)));
      const used = new Set([
        ...support.toRuleGroups().flatMap((g) => g.alerts ?? []).flatMap((a) => a.expr.match(/DCGM_FI_[A-Z_]+/g) ?? []),
        ScalingSignal.GPU_UTILIZATION,
      ]);
      expect(used.size).toBeGreaterThanOrEqual(4);
      for (const metric of used) expect(fields).toContain(metric);
    });

    test('profilingMetrics: SYS_ADMIN and the DCGM_FI_PROF_* fields, still under RuntimeDefault, and the change rolls the exporter', () => {
      const off = synthSupport().objects;
      const on = synthSupport({ support: { profilingMetrics: true } }).objects;
      const { pod, container } = dcgmExporterOf(on);
      expect(container.securityContext).toEqual({ runAsNonRoot: false, runAsUser: 0, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'], add: ['SYS_ADMIN'] } });
      expect(pod.securityContext).toEqual({ seccompProfile: { type: 'RuntimeDefault' } });
      const fields = fieldsOf(collectorsOf(on));
      expect(fields.filter((f) => f.startsWith('DCGM_FI_PROF_'))).toEqual([
        'DCGM_FI_PROF_GR_ENGINE_ACTIVE', 'DCGM_FI_PROF_SM_ACTIVE', 'DCGM_FI_PROF_SM_OCCUPANCY', 'DCGM_FI_PROF_PIPE_TENSOR_ACTIVE', 'DCGM_FI_PROF_DRAM_ACTIVE',
      ]);
      // The device fields stay.
      expect(fields).toEqual(expect.arrayContaining(fieldsOf(collectorsOf(off))));
      const checksum = (o: KubeObject[]) => findObject(o, 'DaemonSet', 'dcgm-exporter').spec.template.metadata.annotations[CONFIG_CHECKSUM_ANNOTATION];
      expect(checksum(off)).toMatch(/^[0-9a-f]{64}$/);
      expect(checksum(on)).not.toBe(checksum(off));
      // The device plugin is the same either way.
      expect(devicePluginOf(on)).toEqual(devicePluginOf(off));
    });

    test('both daemons stay in their privileged namespace, with or without profiling', () => {
      for (const profilingMetrics of [false, true]) {
        const { objects } = synthSupport({ support: { profilingMetrics } });
        expect(findObject(objects, 'Namespace', 'gpu-system').metadata.labels['pod-security.kubernetes.io/enforce']).toBe('privileged');
        expect(objectsOfKind(objects, 'DaemonSet').map((d) => d.metadata.namespace)).toEqual(['gpu-system', 'gpu-system']);
      }
    });
  });

  describe('refuses bad input', () => {
    test.each<[string, Partial<GpuNodeSupportProps>, RegExp]>([
      ['a bad namespace', { namespace: 'GPU' }, /GpuNodeSupport 'gpu': 'namespace' \(GPU\) must be a DNS-1123 label/],
      ['an unpinned device plugin', { devicePluginImage: 'nvcr.io/nvidia/k8s-device-plugin' }, /'devicePluginImage' \(nvcr\.io\/nvidia\/k8s-device-plugin\) must be pinned to a version tag or digest/],
      ['a latest dcgm-exporter', { dcgmExporterImage: 'nvcr.io/nvidia/k8s/dcgm-exporter:latest' }, /'dcgmExporterImage' \(nvcr\.io\/nvidia\/k8s\/dcgm-exporter:latest\) must be pinned/],
      ['a request above its limit', { devicePluginResources: { cpu: { request: Cpu.units(1) } } }, /'devicePluginResources\.cpu\.request' \(1\) must be at most the CPU limit \(100m\)/],
    ])('%s', (_title, support, message) => {
      expect(() => synthSupport({ support })).toThrow(message);
    });
  });
});
