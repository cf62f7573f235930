import { Duration, Size } from 'cdk8s';
import { ContainerResources, Cpu, k8s } from 'cdk8s-plus-27';
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
const DEVICE_PLUGIN_PRIVILEGE = "registers the node's GPUs with the kubelet through the kubelet's device-plugin socket on the host";
const DCGM_EXPORTER_PRIVILEGE = "reads GPU telemetry through the NVIDIA driver (as root, with SYS_ADMIN) and each GPU's pod through the kubelet's pod-resources socket";

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

    // Privileged, not restricted: the device plugin serves its socket from a hostPath under
    // /var/lib/kubelet and both daemons load NVML through the nvidia runtime; dcgm-exporter also
    // runs as root with SYS_ADMIN to read the kubelet's pod-resources socket and profiling counters.
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
        // None of the pod's own, as upstream: the image's root user.
        // Upstream's settings: root to write the kubelet's socket directory, nothing else.
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
    this.addGpuDaemon('dcgm-exporter', this.dcgmExporter, {
      privileged: {
        reason: DCGM_EXPORTER_PRIVILEGE,
        // Upstream's settings: root for the kubelet's socket, SYS_ADMIN for DCGM (some versions refuse to watch fields without it).
        containerSecurityContext: { runAsNonRoot: false, runAsUser: 0, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'], add: ['SYS_ADMIN'] } },
      },
      container: this.dcgmExporterContainer(),
      volumes: [{ name: 'pod-resources', hostPath: { path: POD_RESOURCES_DIR, type: 'Directory' } }],
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
        { name: 'NODE_NAME', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } },
      ],
      ports: [{ name: 'metrics', containerPort: DCGM_PORT, protocol: 'TCP' }],
      // DCGM takes a while to initialise: liveness waits for the first successful start.
      startupProbe: httpProbe('/health', 'metrics', { periodSeconds: 10, timeoutSeconds: 5, failureThreshold: 18 }),
      readinessProbe: httpProbe('/health', 'metrics', { periodSeconds: 15, timeoutSeconds: 5, failureThreshold: 3 }),
      livenessProbe: httpProbe('/health', 'metrics', { periodSeconds: 30, timeoutSeconds: 5, failureThreshold: 3 }),
      resources: toResourceRequirements(this.settings.dcgmExporterResources),
      volumeMounts: [{ name: 'pod-resources', mountPath: POD_RESOURCES_DIR, readOnly: true }],
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

interface Settings {
  readonly namespace: string;
  readonly migStrategy: MigStrategy;
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
