import { Construct } from 'constructs';
import { HelmChart, HelmChartSpecFailurePolicy } from '../../../imports/helm.cattle.io';
import { propError } from '../../core/errors';
import { platformLabels } from '../../core/labels';
import { requirePinnedChartVersion } from './helm-chart-version';
import { toConfigYaml } from '../../synth/config-yaml';

/** Props of {@link DeschedulerInstallation}. */
export interface DeschedulerInstallationProps {
  /**
   * Version of the descheduler Helm chart: its minor version follows the Kubernetes minor it is
   * built for. Pinned: an upgrade is a reviewed change.
   * @default DESCHEDULER_CHART_VERSION
   */
  readonly version?: string;
  /**
   * How often the descheduler runs, as a cron schedule.
   * @default '*\/15 * * * *' - every 15 minutes: a rolling upgrade's skew is gone within a quarter hour of its end
   */
  readonly schedule?: string;
}

/** The descheduler release for Kubernetes 1.30, the K3s minor the reference platform runs. */
export const DESCHEDULER_CHART_VERSION = '0.30.1';

/**
 * The Kubernetes descheduler, installed by K3s's built-in helm-controller from a `HelmChart` in
 * `kube-system`, so that spread comes back after maintenance: a rolling drain (every upgrade Plan
 * does one) leaves replicas crowded on the nodes drained first, and nothing moves them back. On a
 * schedule it evicts, through the eviction API and so within every PodDisruptionBudget, pods that
 * violate their topology spread or duplicate a replica on one node while another node would take
 * them (`nodeFit`). Pods with an emptyDir are evictable (here an emptyDir holds only caches and
 * scratch files); pods with a PersistentVolumeClaim are not (a local-path volume cannot move).
 */
export class DeschedulerInstallation extends Construct {
  constructor(scope: Construct, id: string, props: DeschedulerInstallationProps = {}) {
    super(scope, id);
    const version = requirePinnedChartVersion('DeschedulerInstallation', id, props.version ?? DESCHEDULER_CHART_VERSION, DESCHEDULER_CHART_VERSION);
    const schedule = props.schedule ?? '*/15 * * * *';
    if (!/^(\S+\s+){4}\S+$/.test(schedule.trim())) {
      throw propError('DeschedulerInstallation', id, 'schedule', schedule, 'a cron schedule of five fields', "Write it like '*/15 * * * *'.");
    }
    new HelmChart(this, 'chart', {
      metadata: { name: 'descheduler', namespace: 'kube-system', labels: platformLabels() },
      spec: {
        repo: 'https://kubernetes-sigs.github.io/descheduler/',
        chart: 'descheduler',
        version,
        targetNamespace: 'kube-system',
        failurePolicy: HelmChartSpecFailurePolicy.ABORT,
        valuesContent: toConfigYaml(deschedulerValues(schedule)),
      },
    });
  }
}

function deschedulerValues(schedule: string): Record<string, unknown> {
  return {
    kind: 'CronJob',
    schedule,
    resources: { requests: { cpu: '100m', memory: '128Mi' }, limits: { cpu: '500m', memory: '256Mi' } },
    deschedulerPolicyAPIVersion: 'descheduler/v1alpha2',
    deschedulerPolicy: {
      profiles: [{
        name: 'spread-after-maintenance',
        pluginConfig: [
          { name: 'DefaultEvictor', args: { evictLocalStoragePods: true, ignorePvcPods: true, nodeFit: true } },
          { name: 'RemoveDuplicates' },
          { name: 'RemovePodsViolatingTopologySpreadConstraint', args: { constraints: ['DoNotSchedule', 'ScheduleAnyway'] } },
        ],
        plugins: { balance: { enabled: ['RemoveDuplicates', 'RemovePodsViolatingTopologySpreadConstraint'] } },
      }],
    },
  };
}
