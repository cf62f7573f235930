import { Duration, Size } from 'cdk8s';
import { ContainerResources, Cpu, k8s } from '../core/cdk8s-plus';
import { Construct } from 'constructs';
import { requireDnsLabel } from '../core/errors';
import { imageTag, requirePinnedImage } from '../core/images';
import { AlertRule, AlertSeverity, IRuleSource, RuleGroup, runbookUrl } from '../monitoring/alert-rules';
import { IScrapeTarget, ScrapeTarget } from '../monitoring/scrape-target';
import { PlatformNamespace, PodSecurityLevel } from '../platform/platform-namespace';
import { ConfigMapObject } from '../synth/config-map';
import { toConfigYaml } from '../synth/config-yaml';
import { Connections, IConnectable } from '../synth/connections';
import { KubeRuntimeClass, KubeService } from '../synth/kube-objects';
import { ConfigFiles, ContainerOptions, PriorityTier, PrivilegeException, newDaemonSet } from '../synth/pod/builder';
import { ComponentPods, httpProbe } from '../synth/pod/component-pods';
import { FullResources, checkResources, mergeResources, toResourceRequirements } from '../synth/pod/resources';
import { GpuInventory } from './gpu-inventory';
import { GPU_RESOURCE, NVIDIA_RUNTIME_CLASS, gpuNodeAffinity, gpuTolerations } from './gpu-scheduling';

/** The NVIDIA device plugin, pinned. */
export const DEVICE_PLUGIN_IMAGE = 'nvcr.io/nvidia/k8s-device-plugin:v0.20.0';
/** dcgm-exporter, pinned. */
export const DCGM_EXPORTER_IMAGE = 'nvcr.io/nvidia/k8s/dcgm-exporter:3.3.7-3.5.0-ubuntu22.04';

const DEVICE_PLUGIN = 'nvidia-device-plugin';
const DCGM_EXPORTER = 'dcgm-exporter';
const DCGM_PORT = 9400;
const DEVICE_PLUGIN_DIR = '/var/lib/kubelet/device-plugins';
const POD_RESOURCES_DIR = '/var/lib/kubelet/pod-resources';
const CONFIG_DIR = '/etc/nvidia-device-plugin';
const COLLECTORS_DIR = '/etc/dcgm-exporter-collectors';
const COLLECTORS_FILE = 'collectors.csv';

/**
 * How the device plugin exposes MIG (Multi-Instance GPU) partitions.
 * @see https://github.com/NVIDIA/k8s-device-plugin#configuration-option-details
 */
export enum MigStrategy {
  /** MIG is ignored: whole GPUs only. */
  NONE = 'none',
  /** Every GPU of a node has the same MIG layout; each instance is advertised as `nvidia.com/gpu`. Count instances in the inventory. */
  SINGLE = 'single',
  /** Each MIG profile is its own resource (`nvidia.com/mig-1g.5gb`); pools only use the GPUs without MIG. */
  MIXED = 'mixed',
}

/** Props of {@link GpuNodeSupport}. */
export interface GpuNodeSupportProps {
  /** The GPUs of the cluster: their nodes get the daemons, their sharing becomes the device plugin's. */
  readonly inventory: GpuInventory;
  /**
   * Namespace of the device plugin and dcgm-exporter, created here with Pod Security `privileged`.
   * @default 'gpu-system'
   */
  readonly namespace?: string;
  /**
   * How the device plugin treats MIG partitions.
   * @default MigStrategy.NONE
   */
  readonly migStrategy?: MigStrategy;
  /**
   * Whether to create the `nvidia` RuntimeClass (handler `nvidia`). K3s ships it; other distributions may not.
   * @default false
   */
  readonly emitRuntimeClass?: boolean;
  /**
   * The device plugin image.
   * @default DEVICE_PLUGIN_IMAGE
   */
  readonly devicePluginImage?: string;
  /**
   * The dcgm-exporter image.
   * @default DCGM_EXPORTER_IMAGE
   */
  readonly dcgmExporterImage?: string;
  /**
   * CPU and memory of the device plugin; fields left out keep their default.
   * @default - requests 10m CPU and 32Mi memory, limits 100m CPU and 128Mi memory
   */
  readonly devicePluginResources?: ContainerResources;
  /**
   * CPU and memory of dcgm-exporter; fields left out keep their default.
   * @default - requests 100m CPU and 256Mi memory, limits 500m CPU and 1Gi memory
   */
  readonly dcgmExporterResources?: ContainerResources;
  /**
   * Whether dcgm-exporter also collects the profiling fields (`DCGM_FI_PROF_*`: graphics engine,
   * SM and tensor pipe activity, memory bandwidth). Only these need `SYS_ADMIN`, because the
   * driver restricts the GPU's performance counters to admins, and they exist on data-centre
   * GPUs only. Off, dcgm-exporter collects `DCGM_FI_DEV_*` fields only (utilization, memory,
   * temperature, power, clocks, XID errors: what the alerts and the GPU utilization scaling use)
   * and runs without any capability.
   * @default false
   */
  readonly profilingMetrics?: boolean;
}

const DEVICE_PLUGIN_RESOURCES: FullResources = {
  cpu: { request: Cpu.millis(10), limit: Cpu.millis(100) },
  memory: { request: Size.mebibytes(32), limit: Size.mebibytes(128) },
};
const DCGM_EXPORTER_RESOURCES: FullResources = {
  cpu: { request: Cpu.millis(100), limit: Cpu.millis(500) },
  memory: { request: Size.mebibytes(256), limit: Size.gibibytes(1) },
};

/** The kubelet's class for node agents: without the device plugin no GPU pod starts on the node. */
const NODE_CRITICAL = 'system-node-critical';

/** Why each daemon runs outside the restricted profile. */
const DEVICE_PLUGIN_PRIVILEGE = "registers the node's GPUs with the kubelet through the kubelet's device-plugin socket on the host (hostPath), as root";
function dcgmExporterPrivilege(profiling: boolean): string {
  return `reads GPU telemetry through the NVIDIA driver as root${profiling ? ', with SYS_ADMIN for the profiling counters,' : ''} `
    + "and each GPU's pod through the kubelet's pod-resources socket on the host (hostPath)";
}

/**
 * The pods' seccomp profile. Both daemons talk to the driver and the kubelet through ioctls and
 * Unix sockets, which the container runtime's default profile allows; the syscalls it keeps
 * for SYS_ADMIN stay open when dcgm-exporter has that capability.
 */
const RUNTIME_DEFAULT_SECCOMP: k8s.PodSecurityContext = { seccompProfile: { type: 'RuntimeDefault' } };

/** The DCGM fields dcgm-exporter collects, as `field, Prometheus type, help` lines of its collectors file. */
const DEVICE_FIELDS: ReadonlyArray<readonly [string, string, string]> = [
  ['DCGM_FI_DEV_GPU_UTIL', 'gauge', 'GPU utilization (%).'],
  ['DCGM_FI_DEV_MEM_COPY_UTIL', 'gauge', 'Memory copy utilization (%).'],
  ['DCGM_FI_DEV_ENC_UTIL', 'gauge', 'Video encoder utilization (%).'],
  ['DCGM_FI_DEV_DEC_UTIL', 'gauge', 'Video decoder utilization (%).'],
  ['DCGM_FI_DEV_FB_USED', 'gauge', 'Frame buffer memory used (MiB).'],
  ['DCGM_FI_DEV_FB_FREE', 'gauge', 'Frame buffer memory free (MiB).'],
  ['DCGM_FI_DEV_GPU_TEMP', 'gauge', 'GPU temperature (C).'],
  ['DCGM_FI_DEV_MEMORY_TEMP', 'gauge', 'Memory temperature (C).'],
  ['DCGM_FI_DEV_POWER_USAGE', 'gauge', 'Power draw (W).'],
  ['DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION', 'counter', 'Energy consumed since boot (mJ).'],
  ['DCGM_FI_DEV_SM_CLOCK', 'gauge', 'SM clock (MHz).'],
  ['DCGM_FI_DEV_MEM_CLOCK', 'gauge', 'Memory clock (MHz).'],
  ['DCGM_FI_DEV_PCIE_REPLAY_COUNTER', 'counter', 'PCIe retries.'],
  ['DCGM_FI_DEV_XID_ERRORS', 'gauge', 'Code of the last XID error.'],
];
/** Profiling fields: performance counters the driver opens to admins only, on data-centre GPUs. */
const PROFILING_FIELDS: ReadonlyArray<readonly [string, string, string]> = [
  ['DCGM_FI_PROF_GR_ENGINE_ACTIVE', 'gauge', 'Share of time the graphics engine is active.'],
  ['DCGM_FI_PROF_SM_ACTIVE', 'gauge', 'Share of cycles an SM has at least one warp assigned.'],
  ['DCGM_FI_PROF_SM_OCCUPANCY', 'gauge', 'Share of warps resident on an SM.'],
  ['DCGM_FI_PROF_PIPE_TENSOR_ACTIVE', 'gauge', 'Share of cycles the tensor pipe is active.'],
  ['DCGM_FI_PROF_DRAM_ACTIVE', 'gauge', 'Share of cycles the memory interface is active.'],
];

/**
 * What GPU nodes need before pools can use them: the NVIDIA device plugin, which advertises
 * `nvidia.com/gpu` (K3s itself does not), configured with the inventory's time-slicing, and
 * dcgm-exporter for GPU health and utilization metrics. Both run on the inventory's GPU nodes
 * only, in their own privileged namespace, as `system-node-critical` (the kubelet's own class for
 * node agents). dcgm-exporter admits only the monitoring that watches it.
 */
export class GpuNodeSupport extends Construct implements IScrapeTarget, IRuleSource, IConnectable {
  /** Namespace of the device plugin and dcgm-exporter. */
  public readonly namespace: string;
  /** The inventory whose nodes are served. */
  public readonly inventory: GpuInventory;
  /** The network links of dcgm-exporter, the scrape target: the monitoring that watches it. */
  public readonly connections: Connections;

  private readonly devicePlugin: ComponentPods;
  private readonly dcgmExporter: ComponentPods;
  private readonly settings: Settings;

  constructor(scope: Construct, id: string, props: GpuNodeSupportProps) {
    super(scope, id);
    this.settings = resolveSettings(id, props);
    this.namespace = this.settings.namespace;
    this.inventory = props.inventory;
    this.devicePlugin = this.daemonPods(DEVICE_PLUGIN, 'gpu-device-plugin', this.settings.devicePluginImage);
    this.dcgmExporter = this.daemonPods(DCGM_EXPORTER, 'gpu-metrics', this.settings.dcgmExporterImage);
    this.connections = this.dcgmExporter.connections;

    // Privileged, not restricted: both daemons run as root on hostPath sockets under
    // /var/lib/kubelet (the device plugin serves its own, dcgm-exporter reads pod-resources) and
    // load NVML through the nvidia runtime; dcgm-exporter adds SYS_ADMIN for profiling counters only.
    new PlatformNamespace(this, 'namespace', { name: this.namespace, podSecurity: PodSecurityLevel.PRIVILEGED });
    if (props.emitRuntimeClass ?? false) this.addRuntimeClass();
    this.addDevicePlugin();
    this.addDcgmExporter();
  }

  /** dcgm-exporter on port 9400 of every GPU node. */
  public toScrapeTarget(): ScrapeTarget {
    return {
      jobName: DCGM_EXPORTER,
      namespace: this.namespace,
      podSelector: this.dcgmExporter.selector,
      portName: 'metrics',
      port: DCGM_PORT,
      path: '/metrics',
      interval: Duration.seconds(15),
    };
  }

  /** GPU health alerts, per physical GPU: they concern every pool on that GPU. */
  public toRuleGroups(): RuleGroup[] {
    return [{
      name: 'gpu-nodes',
      alerts: [gpuUtilizationSaturated(), gpuMemoryNearlyFull(), gpuXidErrors(), this.gpuCapacityBelowInventory()],
    }];
  }

  /** The advertised GPUs fall short of the inventory: a GPU, its driver or the device plugin is gone. */
  private gpuCapacityBelowInventory(): AlertRule {
    const capacity = this.inventory.capacity;
    return {
      alert: 'GpuCapacityBelowInventory',
      expr: `sum(kube_node_status_allocatable{resource="${GPU_RESOURCE.replace(/[./]/g, '_')}"}) < ${capacity}`,
      for: Duration.minutes(15),
      severity: AlertSeverity.WARNING,
      summary: 'Fewer GPUs are schedulable than the GPU inventory declares.',
      description: `Nodes advertise {{ $value }} units of ${GPU_RESOURCE}, the inventory declares ${capacity}: GPU workers beyond that stay Pending under load. Check the device plugin pods in ${this.namespace}, the GPU nodes and their drivers.`,
      runbookUrl: runbookUrl('GpuCapacityBelowInventory'),
    };
  }

  /** The pods of one daemon, named after it. */
  private daemonPods(name: string, component: string, image: string): ComponentPods {
    return new ComponentPods({ ownerKind: 'GpuNodeSupport', identity: { name, instance: name, component, version: imageTag(image) }, namespace: this.namespace });
  }

  private addRuntimeClass(): void {
    new KubeRuntimeClass(this, 'runtime-class', {
      metadata: { name: NVIDIA_RUNTIME_CLASS, labels: { ...this.devicePlugin.labels } },
      handler: NVIDIA_RUNTIME_CLASS,
    });
  }

  private addDevicePlugin(): void {
    const config = this.timeSlicingConfig();
    const configData = config ? { 'config.yaml': config } : undefined;
    if (configData) {
      new ConfigMapObject(this, 'device-plugin-config', { metadata: this.devicePlugin.metadata(`${DEVICE_PLUGIN}-config`), data: configData });
    }
    this.addGpuDaemon('device-plugin', this.devicePlugin, {
      // A changed time-slicing rolls the plugin, which only reads its configuration at start.
      config: configData,
      privileged: {
        reason: DEVICE_PLUGIN_PRIVILEGE,
        podSecurityContext: RUNTIME_DEFAULT_SECCOMP,
        // Upstream's settings: the image's root user to write the kubelet's socket directory, nothing else.
        containerSecurityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } },
      },
      container: this.devicePluginContainer(config !== undefined),
      volumes: [
        { name: 'device-plugins', hostPath: { path: DEVICE_PLUGIN_DIR, type: 'Directory' } },
        ...(config ? [{ name: 'config', configMap: { name: `${DEVICE_PLUGIN}-config` } }] : []),
      ],
    });
  }

  private devicePluginContainer(withConfig: boolean): ContainerOptions {
    return {
      name: DEVICE_PLUGIN,
      image: this.settings.devicePluginImage,
      env: [
        // A GPU-labelled node whose driver is missing or mid-upgrade idles instead of crash-looping.
        { name: 'FAIL_ON_INIT_ERROR', value: 'false' },
        { name: 'MIG_STRATEGY', value: this.settings.migStrategy },
        ...(withConfig ? [{ name: 'CONFIG_FILE', value: `${CONFIG_DIR}/config.yaml` }] : []),
      ],
      resources: toResourceRequirements(this.settings.devicePluginResources),
      volumeMounts: [
        { name: 'device-plugins', mountPath: DEVICE_PLUGIN_DIR },
        ...(withConfig ? [{ name: 'config', mountPath: CONFIG_DIR, readOnly: true }] : []),
      ],
    };
  }

  /** The device plugin's config file, only when GPUs are time-sliced: its absence means exclusive GPUs. */
  private timeSlicingConfig(): string | undefined {
    const sharing = this.inventory.sharing;
    if (!sharing.isTimeSliced) return undefined;
    return toConfigYaml({
      version: 'v1',
      sharing: { timeSlicing: { resources: [{ name: GPU_RESOURCE, replicas: sharing.replicas }] } },
    });
  }

  private addDcgmExporter(): void {
    const profiling = this.settings.profilingMetrics;
    const collectors = { [COLLECTORS_FILE]: collectorsCsv(profiling) };
    const collectorsName = `${DCGM_EXPORTER}-collectors`;
    new ConfigMapObject(this, 'dcgm-exporter-collectors', { metadata: this.dcgmExporter.metadata(collectorsName), data: collectors });
    this.addGpuDaemon('dcgm-exporter', this.dcgmExporter, {
      // dcgm-exporter reads its fields only at start: a changed list rolls it.
      config: collectors,
      privileged: {
        reason: dcgmExporterPrivilege(profiling),
        podSecurityContext: RUNTIME_DEFAULT_SECCOMP,
        // Root for the kubelet's pod-resources socket. SYS_ADMIN only for the profiling fields: DCGM
        // refuses to watch a field that needs it (and stops) instead of skipping it.
        containerSecurityContext: {
          runAsNonRoot: false, runAsUser: 0, allowPrivilegeEscalation: false,
          capabilities: profiling ? { drop: ['ALL'], add: ['SYS_ADMIN'] } : { drop: ['ALL'] },
        },
      },
      container: this.dcgmExporterContainer(),
      volumes: [
        { name: 'pod-resources', hostPath: { path: POD_RESOURCES_DIR, type: 'Directory' } },
        { name: 'collectors', configMap: { name: collectorsName } },
      ],
    });
    new KubeService(this, 'dcgm-exporter-service', {
      metadata: this.dcgmExporter.metadata(),
      spec: {
        type: 'ClusterIP',
        selector: { ...this.dcgmExporter.selector },
        ports: [{ name: 'metrics', port: DCGM_PORT, targetPort: k8s.IntOrString.fromString('metrics'), protocol: 'TCP' }],
      },
    });
    // Scrapes only, from the monitoring that watches it; no egress: it reads the node through sockets.
    this.dcgmExporter.addNetworkPolicy(this, 'dcgm-exporter-network-policy');
  }

  private dcgmExporterContainer(): ContainerOptions {
    return {
      name: DCGM_EXPORTER,
      image: this.settings.dcgmExporterImage,
      env: [
        { name: 'DCGM_EXPORTER_LISTEN', value: `:${DCGM_PORT}` },
        // Labels each GPU's series with the pod that holds it, from the kubelet's pod-resources API.
        { name: 'DCGM_EXPORTER_KUBERNETES', value: 'true' },
        // The library's field list, not the image's default, which differs between releases.
        { name: 'DCGM_EXPORTER_COLLECTORS', value: `${COLLECTORS_DIR}/${COLLECTORS_FILE}` },
        { name: 'NODE_NAME', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } },
      ],
      ports: [{ name: 'metrics', containerPort: DCGM_PORT, protocol: 'TCP' }],
      // DCGM takes a while to initialise: liveness waits for the first successful start.
      startupProbe: httpProbe('/health', 'metrics', { periodSeconds: 10, timeoutSeconds: 5, failureThreshold: 18 }),
      readinessProbe: httpProbe('/health', 'metrics', { periodSeconds: 15, timeoutSeconds: 5, failureThreshold: 3 }),
      livenessProbe: httpProbe('/health', 'metrics', { periodSeconds: 30, timeoutSeconds: 5, failureThreshold: 3 }),
      resources: toResourceRequirements(this.settings.dcgmExporterResources),
      volumeMounts: [
        { name: 'pod-resources', mountPath: POD_RESOURCES_DIR, readOnly: true },
        { name: 'collectors', mountPath: COLLECTORS_DIR, readOnly: true },
      ],
    };
  }

  /**
   * One daemon on every GPU node of the inventory, and nothing else, with its ServiceAccount
   * (`<id>-service-account`): one node at a time on a rollout.
   */
  private addGpuDaemon(id: string, pods: ComponentPods, daemon: GpuDaemon): void {
    const serviceAccount = pods.addServiceAccount(this, `${id}-service-account`);
    newDaemonSet(this, id, {
      metadata: pods.metadata(),
      spec: {
        selector: { matchLabels: { ...pods.selector } },
        updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: k8s.IntOrString.fromNumber(1) } },
        revisionHistoryLimit: 3,
        template: {
          labels: pods.labels,
          config: daemon.config,
          connections: pods.connections,
          spec: {
            serviceAccount,
            // Evicted last and scheduled first: without the device plugin no GPU pod can start on the node.
            tier: PriorityTier.PLATFORM,
            // Above every tier of the platform's own: without the device plugin no GPU pod starts on the node.
            priorityClassName: NODE_CRITICAL,
            // Without the nvidia runtime NVML is not in the container and both daemons find no GPU.
            runtimeClassName: NVIDIA_RUNTIME_CLASS,
            affinity: gpuNodeAffinity(this.inventory.nodeSelector),
            tolerations: gpuTolerations(),
            terminationGracePeriodSeconds: 30,
            privileged: daemon.privileged,
            containers: [daemon.container],
            volumes: daemon.volumes,
          },
        },
      },
    });
  }
}

/** What differs between the two GPU daemons. */
interface GpuDaemon {
  /** Why it runs outside the restricted profile, and how. */
  readonly privileged: PrivilegeException;
  /** Its one container. */
  readonly container: ContainerOptions;
  /** Its volumes: host sockets and configuration. */
  readonly volumes: k8s.Volume[];
  /**
   * Configuration files whose change rolls the daemon.
   * @default - none
   */
  readonly config?: ConfigFiles;
}

/** One series per physical GPU, whatever pod labels dcgm-exporter attaches to it. */
const PER_GPU = 'max by (Hostname, gpu, UUID)';

function gpuUtilizationSaturated(): AlertRule {
  return {
    alert: 'GpuUtilizationSaturated',
    expr: `${PER_GPU} (DCGM_FI_DEV_GPU_UTIL) > 95`,
    for: Duration.minutes(30),
    severity: AlertSeverity.WARNING,
    summary: 'GPU {{ $labels.gpu }} on {{ $labels.Hostname }} is saturated.',
    description: 'GPU {{ $labels.gpu }} ({{ $labels.UUID }}) on {{ $labels.Hostname }} has been over 95% busy for 30 minutes: every worker on it is at capacity and inference latency grows. Spread workers over more GPUs or lighten the models.',
    runbookUrl: runbookUrl('GpuUtilizationSaturated'),
  };
}

function gpuMemoryNearlyFull(): AlertRule {
  return {
    alert: 'GpuMemoryNearlyFull',
    expr: `${PER_GPU} (DCGM_FI_DEV_FB_USED / (DCGM_FI_DEV_FB_USED + DCGM_FI_DEV_FB_FREE)) > 0.9`,
    for: Duration.minutes(15),
    severity: AlertSeverity.WARNING,
    summary: 'GPU {{ $labels.gpu }} on {{ $labels.Hostname }} is running out of memory.',
    description: 'GPU {{ $labels.gpu }} ({{ $labels.UUID }}) on {{ $labels.Hostname }} has {{ $value | humanizePercentage }} of its memory in use: the next model load or a larger batch fails with out-of-memory, and with time-slicing one worker can starve the others. Lower model instances or the share of workers per GPU.',
    runbookUrl: runbookUrl('GpuMemoryNearlyFull'),
  };
}

/**
 * DCGM_FI_DEV_XID_ERRORS holds the code of the last XID, not a count: the alert fires while the
 * code is set and changed in the last 30 minutes, so one old error does not fire forever.
 */
function gpuXidErrors(): AlertRule {
  return {
    alert: 'GpuXidErrors',
    expr: `${PER_GPU} (DCGM_FI_DEV_XID_ERRORS) > 0 and ${PER_GPU} (changes(DCGM_FI_DEV_XID_ERRORS[30m])) > 0`,
    severity: AlertSeverity.CRITICAL,
    summary: 'GPU {{ $labels.gpu }} on {{ $labels.Hostname }} reported XID error {{ $value }}.',
    description: 'The NVIDIA driver reported XID {{ $value }} on GPU {{ $labels.gpu }} ({{ $labels.UUID }}) of {{ $labels.Hostname }}: the GPU or an application on it faulted and inference on it may have stopped. Look the code up in the XID catalog; most need the node drained and the GPU reset.',
    runbookUrl: runbookUrl('GpuXidErrors'),
  };
}

/** dcgm-exporter's collectors file: the device fields, and the profiling fields only when asked for. */
function collectorsCsv(profiling: boolean): string {
  const line = ([field, type, help]: readonly [string, string, string]): string => `${field}, ${type}, ${help}`;
  return [
    '# DCGM field, Prometheus type, help. Written by GpuNodeSupport.',
    '# Device fields: read through NVML, no capability needed.',
    ...DEVICE_FIELDS.map(line),
    ...(profiling ? ['# Profiling fields: need SYS_ADMIN and a data-centre GPU.', ...PROFILING_FIELDS.map(line)] : []),
    '',
  ].join('\n');
}

interface Settings {
  readonly namespace: string;
  readonly migStrategy: MigStrategy;
  readonly profilingMetrics: boolean;
  readonly devicePluginImage: string;
  readonly dcgmExporterImage: string;
  readonly devicePluginResources: FullResources;
  readonly dcgmExporterResources: FullResources;
}

function resolveSettings(id: string, props: GpuNodeSupportProps): Settings {
  const namespace = props.namespace ?? 'gpu-system';
  requireDnsLabel('GpuNodeSupport', id, 'namespace', namespace);
  const devicePluginResources = mergeResources(DEVICE_PLUGIN_RESOURCES, props.devicePluginResources);
  checkResources('GpuNodeSupport', id, 'devicePluginResources', devicePluginResources);
  const dcgmExporterResources = mergeResources(DCGM_EXPORTER_RESOURCES, props.dcgmExporterResources);
  checkResources('GpuNodeSupport', id, 'dcgmExporterResources', dcgmExporterResources);
  return {
    namespace,
    migStrategy: props.migStrategy ?? MigStrategy.NONE,
    profilingMetrics: props.profilingMetrics ?? false,
    devicePluginImage: requireImage(id, 'devicePluginImage', props.devicePluginImage ?? DEVICE_PLUGIN_IMAGE),
    dcgmExporterImage: requireImage(id, 'dcgmExporterImage', props.dcgmExporterImage ?? DCGM_EXPORTER_IMAGE),
    devicePluginResources,
    dcgmExporterResources,
  };
}


function requireImage(id: string, prop: string, image: string): string {
  requirePinnedImage('GpuNodeSupport', id, prop, image);
  return image;
}
