import { Construct } from 'constructs';
import { HelmChart, HelmChartSpecFailurePolicy } from '../../../imports/helm.cattle.io';
import { propError } from '../../core/errors';
import { platformLabels } from '../../core/labels';
import { requirePinnedChartVersion } from './helm-chart-version';
import { PlatformNamespace, PodSecurityLevel } from '../platform-namespace';
import { dns1123Label } from '../../core/names';

/** Props of {@link KedaInstallation}. */
export interface KedaInstallationProps {
  /**
   * Version of the KEDA Helm chart (equal to the KEDA version). Pinned: an upgrade is a reviewed change.
   * @default KEDA_CHART_VERSION
   */
  readonly version?: string;
  /**
   * Namespace KEDA runs in.
   * @default 'keda'
   */
  readonly namespace?: string;
}

/** The KEDA release whose ScaledObject CRD this library validates against. */
export const KEDA_CHART_VERSION = '2.20.2';

/**
 * KEDA, installed by K3s's built-in helm-controller from a `HelmChart` in `kube-system`. Needed
 * when any workload scales with `Scaling.prometheus`. KEDA registers the cluster's one
 * `external.metrics.k8s.io` provider: do not install another.
 */
export class KedaInstallation extends Construct {
  /** Namespace KEDA runs in. */
  public readonly namespace: string;

  constructor(scope: Construct, id: string, props: KedaInstallationProps = {}) {
    super(scope, id);
    const version = requirePinnedChartVersion('KedaInstallation', id, props.version ?? KEDA_CHART_VERSION, KEDA_CHART_VERSION);
    this.namespace = props.namespace ?? 'keda';
    // Checked here, or the error would name the inner PlatformNamespace instead of this prop.
    const namespaceProblem = dns1123Label(this.namespace);
    if (namespaceProblem) throw propError('KedaInstallation', id, 'namespace', this.namespace, `a DNS-1123 label (${namespaceProblem})`, 'Use lowercase letters, digits and dashes.');
    // KEDA's own pods run restricted; the namespace is ours so that its Pod Security level is explicit.
    new PlatformNamespace(this, 'namespace', { name: this.namespace, podSecurity: PodSecurityLevel.RESTRICTED, defaultDeny: false });
    new HelmChart(this, 'chart', {
      metadata: { name: 'keda', namespace: 'kube-system', labels: platformLabels() },
      spec: {
        repo: 'https://kedacore.github.io/charts',
        chart: 'keda',
        version,
        targetNamespace: this.namespace,
        createNamespace: false,
        failurePolicy: HelmChartSpecFailurePolicy.ABORT,
        valuesContent: [
          'resources:',
          '  operator: { requests: { cpu: 100m, memory: 128Mi }, limits: { cpu: "1", memory: 512Mi } }',
          '  metricServer: { requests: { cpu: 100m, memory: 128Mi }, limits: { cpu: "1", memory: 512Mi } }',
          '  webhooks: { requests: { cpu: 50m, memory: 64Mi }, limits: { cpu: 500m, memory: 256Mi } }',
          '',
        ].join('\n'),
      },
    });
  }
}
