import { Duration } from 'cdk8s';
import { AlertRule, AlertSeverity, RuleGroup, runbookUrl } from './alert-rules';

/** Job names the platform rules read; kube-prometheus-stack uses the same ones. */
export const KUBE_STATE_METRICS_JOB = 'kube-state-metrics';
export const NODE_EXPORTER_JOB = 'node-exporter';
export const KUBELET_JOB = 'kubelet';

const KSM = `job="${KUBE_STATE_METRICS_JOB}"`;
const KUBELET = `job="${KUBELET_JOB}", metrics_path="/metrics"`;
const NODE_FS = `job="${NODE_EXPORTER_JOB}", fstype!="", mountpoint!=""`;

/** Options of {@link platformRuleGroups}. */
export interface PlatformRuleOptions {
  /**
   * Whether this Prometheus also holds series other Prometheus servers remote-write to it (a
   * fleet's centre): its rules on `up` then read its own targets only, those without the
   * `replica` label every remote-written series carries.
   * @default false
   */
  readonly receivesRemoteWrites?: boolean;
}

/**
 * The rules every platform needs, whatever it runs: mirrors of the kube-prometheus alerts
 * (same names, expressions and thresholds) so that runbooks and habits carry over.
 */
export function platformRuleGroups(options: PlatformRuleOptions = {}): RuleGroup[] {
  return [kubernetesGroup(), nodeGroup(), prometheusGroup(options.receivesRemoteWrites ? 'up{replica=""}' : 'up')];
}

function alert(rule: Omit<AlertRule, 'runbookUrl'>): AlertRule {
  return { ...rule, runbookUrl: runbookUrl(rule.alert) };
}

function kubernetesGroup(): RuleGroup {
  return {
    name: 'platform-kubernetes',
    alerts: [
      alert({
        alert: 'KubePodCrashLooping',
        expr: `max_over_time(kube_pod_container_status_waiting_reason{reason="CrashLoopBackOff", ${KSM}}[5m]) >= 1`,
        for: Duration.minutes(15),
        severity: AlertSeverity.WARNING,
        summary: 'Pod {{ $labels.namespace }}/{{ $labels.pod }} is crash looping.',
        description: 'Container {{ $labels.container }} of pod {{ $labels.namespace }}/{{ $labels.pod }} has been restarting in CrashLoopBackOff for 15 minutes.',
      }),
      alert({
        alert: 'KubeNodeNotReady',
        // A cordoned node is under maintenance: its readiness is expected to come and go.
        expr: `kube_node_status_condition{${KSM}, condition="Ready", status="true"} == 0 and on (node) kube_node_spec_unschedulable{${KSM}} == 0`,
        for: Duration.minutes(15),
        severity: AlertSeverity.WARNING,
        summary: 'Node {{ $labels.node }} is not ready.',
        description: 'Node {{ $labels.node }} has not been Ready for 15 minutes: the cameras, analysis and GPU work it carried run elsewhere or not at all.',
      }),
      ...volumeFillingUp(),
    ],
  };
}

/**
 * Kubelets report volume usage only for volume plugins that measure it (CSI drivers such as
 * Longhorn); K3s's local-path volumes are host directories and report nothing
 * (rancher/local-path-provisioner#44). Their disks are watched by NodeFilesystemSpaceFillingUp.
 */
function volumeFillingUp(): AlertRule[] {
  const available = `kubelet_volume_stats_available_bytes{${KUBELET}}`;
  const ratio = `${available} / kubelet_volume_stats_capacity_bytes{${KUBELET}}`;
  const writable = `kubelet_volume_stats_used_bytes{${KUBELET}} > 0`
    + ` unless on (namespace, persistentvolumeclaim) kube_persistentvolumeclaim_access_mode{${KSM}, access_mode="ReadOnlyMany"} == 1`;
  const description = 'Volume {{ $labels.persistentvolumeclaim }} in namespace {{ $labels.namespace }} has {{ $value | humanizePercentage }} free';
  return [
    alert({
      alert: 'KubePersistentVolumeFillingUp',
      expr: `(${ratio}) < 0.03 and ${writable}`,
      for: Duration.minutes(1),
      severity: AlertSeverity.CRITICAL,
      summary: 'Volume {{ $labels.namespace }}/{{ $labels.persistentvolumeclaim }} is almost full.',
      description: `${description}.`,
    }),
    alert({
      alert: 'KubePersistentVolumeFillingUp',
      expr: `(${ratio}) < 0.15 and predict_linear(${available}[6h], 4 * 24 * 3600) < 0 and ${writable}`,
      for: Duration.hours(1),
      severity: AlertSeverity.WARNING,
      summary: 'Volume {{ $labels.namespace }}/{{ $labels.persistentvolumeclaim }} is filling up.',
      description: `${description} and, at its recent growth, fills up within four days.`,
    }),
  ];
}

function nodeGroup(): RuleGroup {
  const percentFree = `node_filesystem_avail_bytes{${NODE_FS}} / node_filesystem_size_bytes{${NODE_FS}} * 100`;
  const writable = `node_filesystem_readonly{${NODE_FS}} == 0`;
  const fillsWithin = (hours: number) => `predict_linear(node_filesystem_avail_bytes{${NODE_FS}}[6h], ${hours} * 60 * 60) < 0`;
  const where = 'Filesystem {{ $labels.mountpoint }} ({{ $labels.device }}) on node {{ $labels.instance }}';
  const free = 'has {{ printf "%.1f" $value }}% space left';
  return {
    name: 'platform-node',
    alerts: [
      alert({
        alert: 'NodeFilesystemSpaceFillingUp',
        expr: `(${percentFree} < 15 and ${fillsWithin(24)} and ${writable})`,
        for: Duration.hours(1),
        severity: AlertSeverity.WARNING,
        summary: 'Filesystem on node {{ $labels.instance }} is predicted to run out of space within 24 hours.',
        description: `${where} ${free} and is filling up.`,
      }),
      alert({
        alert: 'NodeFilesystemSpaceFillingUp',
        expr: `(${percentFree} < 10 and ${fillsWithin(4)} and ${writable})`,
        for: Duration.hours(1),
        severity: AlertSeverity.CRITICAL,
        summary: 'Filesystem on node {{ $labels.instance }} is predicted to run out of space within 4 hours.',
        description: `${where} ${free} and is filling up fast.`,
      }),
      alert({
        alert: 'NodeFilesystemAlmostOutOfSpace',
        expr: `(${percentFree} < 5 and ${writable})`,
        for: Duration.minutes(30),
        severity: AlertSeverity.WARNING,
        summary: 'Filesystem on node {{ $labels.instance }} has less than 5% space left.',
        description: `${where} ${free}.`,
      }),
    ],
  };
}

/** @param up the `up` series of the targets this Prometheus scrapes itself */
function prometheusGroup(up: string): RuleGroup {
  return {
    name: 'platform-prometheus',
    alerts: [
      alert({
        alert: 'TargetDown',
        expr: `100 * (count by (job, namespace) (${up} == 0) / count by (job, namespace) (${up})) > 10`,
        for: Duration.minutes(10),
        severity: AlertSeverity.WARNING,
        summary: 'Prometheus cannot scrape {{ $labels.job }}.',
        description: '{{ printf "%.4g" $value }}% of the {{ $labels.job }} targets in namespace {{ $labels.namespace }} are down: their metrics, and the alerts built on them, are blind.',
      }),
      alert({
        alert: 'Watchdog',
        expr: 'vector(1)',
        severity: AlertSeverity.NONE,
        summary: 'Always firing: proves that the alerting pipeline works.',
        description: 'This alert fires all the time. Route it to a dead man\'s switch outside the cluster, which pages when the alert stops arriving: then Prometheus, Alertmanager or their node is gone.',
      }),
    ],
  };
}
