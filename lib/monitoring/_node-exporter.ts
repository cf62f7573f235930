import { k8s } from '../core/cdk8s-plus';
import { Construct } from 'constructs';
import { NON_ROOT_UID } from '../synth/pod/security';
import { goRuntimeEnv, toResourceRequirements } from '../synth/pod/resources';
import { healthProbes, monitoringPods } from './_component';
import { NODE_EXPORTER_JOB } from './_platform-rules';
import { ScrapeJob } from './_prometheus';
import { MonitoringSettings, NODE_EXPORTER_IMAGE } from './_settings';
import { ContainerOptions, PodServiceAccount, PriorityTier, PrivilegeException, newDaemonSet } from '../synth/pod/builder';
import { ComponentPods } from '../synth/pod/component-pods';

export const NODE_EXPORTER_PORT = 9100;

/** Pseudo and container filesystems, and K3s's containerd and kubelet mounts: only real disks matter. */
const IGNORED_MOUNT_POINTS = '^/(dev|proc|run/credentials/.+|run/k3s/containerd/.+|sys|var/lib/docker/.+|var/lib/kubelet/pods/.+|var/lib/rancher/k3s/agent/containerd/.+)($|/)';
const IGNORED_FS_TYPES = '^(autofs|binfmt_misc|bpf|cgroup2?|configfs|debugfs|devpts|devtmpfs|fusectl|hugetlbfs|iso9660|mqueue|nsfs|overlay|proc|procfs|pstore|rpc_pipefs|securityfs|selinuxfs|squashfs|sysfs|tracefs)$';
/** Pod network interfaces (veth pairs, flannel, cni0) come and go with pods. */
const IGNORED_DEVICES = '^(veth.*|cni.*|flannel.*|[a-f0-9]{15})$';

/**
 * Host access, as little as node-exporter needs: still nobody, without privilege escalation or
 * capabilities, on a read-only root filesystem.
 */
const HOST_ACCESS: PrivilegeException = {
  reason: "reads the host's /proc, /sys and root filesystem and reports its network interfaces (hostNetwork, hostPID, hostPath)",
  podSecurityContext: { runAsNonRoot: true, runAsUser: NON_ROOT_UID, runAsGroup: NON_ROOT_UID, seccompProfile: { type: 'RuntimeDefault' } },
  containerSecurityContext: { runAsNonRoot: true, allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } },
};

/**
 * node-exporter on every node, GPU nodes included. It reads the host's /proc, /sys and root
 * filesystem and reports the host's network interfaces, which needs hostNetwork, hostPID and
 * hostPath volumes: the restricted and baseline Pod Security levels forbid all three, so it runs
 * in its own namespace labelled privileged, keeping the monitoring namespace restricted. The
 * container itself still runs as nobody, read-only, with every capability dropped.
 */
export class NodeExporter extends Construct {
  // On the host network, which NetworkPolicies do not govern: its pods have no links and no policy.
  private readonly pods: ComponentPods;

  constructor(scope: Construct, id: string, private readonly settings: MonitoringSettings) {
    super(scope, id);
    this.pods = monitoringPods(settings, 'node-exporter', NODE_EXPORTER_IMAGE, settings.hostNamespace);
    this.addDaemonSet(this.pods.addServiceAccount(this));
  }

  /** Scraped on the node's address (host network); `instance` is the node name, as node alerts expect. */
  public get scrapeJob(): ScrapeJob {
    return {
      jobName: NODE_EXPORTER_JOB, namespace: this.pods.namespace, podSelector: this.pods.selector,
      portName: 'metrics', port: NODE_EXPORTER_PORT, instanceIsNode: true, hostNetwork: true,
    };
  }

  private addDaemonSet(serviceAccount: PodServiceAccount): void {
    newDaemonSet(this, 'daemonset', {
      metadata: this.pods.metadata(),
      spec: {
        selector: { matchLabels: { ...this.pods.selector } },
        updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: k8s.IntOrString.fromNumber(1) } },
        revisionHistoryLimit: 3,
        template: {
          labels: this.pods.labels,
          spec: {
            serviceAccount,
            tier: PriorityTier.PLATFORM,
            privileged: HOST_ACCESS,
            hostNetwork: true,
            hostPid: true,
            // Every node, whatever its taints (GPU nodes, control plane, nodes under pressure).
            tolerations: [{ operator: 'Exists' }],
            containers: [this.container()],
            volumes: [
              { name: 'sys', hostPath: { path: '/sys' } },
              { name: 'root', hostPath: { path: '/' } },
            ],
          },
        },
      },
    });
  }

  private container(): ContainerOptions {
    return {
      name: 'node-exporter',
      image: NODE_EXPORTER_IMAGE,
      args: [
        `--web.listen-address=:${NODE_EXPORTER_PORT}`,
        '--path.sysfs=/host/sys',
        '--path.rootfs=/host/root',
        '--path.udev.data=/host/root/run/udev/data',
        '--no-collector.wifi',
        `--collector.filesystem.mount-points-exclude=${IGNORED_MOUNT_POINTS}`,
        `--collector.filesystem.fs-types-exclude=${IGNORED_FS_TYPES}`,
        `--collector.netclass.ignored-devices=${IGNORED_DEVICES}`,
        `--collector.netdev.device-exclude=${IGNORED_DEVICES}`,
      ],
      env: goRuntimeEnv('node-exporter'),
      ports: [{ name: 'metrics', containerPort: NODE_EXPORTER_PORT, protocol: 'TCP' }],
      ...healthProbes('metrics', { ready: '/', live: '/' }, 10),
      resources: toResourceRequirements(this.settings.resources.nodeExporter),
      volumeMounts: [
        { name: 'sys', mountPath: '/host/sys', readOnly: true, mountPropagation: 'HostToContainer' },
        { name: 'root', mountPath: '/host/root', readOnly: true, mountPropagation: 'HostToContainer' },
      ],
    };
  }
}
