import { Construct } from 'constructs';
import {
  PodMonitor, PodMonitorSpecPodMetricsEndpointsRelabelingsAction, PrometheusRule, PrometheusRuleSpecGroupsRulesExpr,
} from '../../imports/monitoring.coreos.com';
import { RuleGroup } from './alert-rules';
import { platformLabels } from '../core/labels';
import { ScrapeTarget } from './scrape-target';
import { DASHBOARD_FILE, platformDashboard } from './_dashboard';
import { promDuration } from './_format';
import { toPrometheusRuleGroup } from './_rules';
import { MonitoringSettings } from './_settings';
import { ConfigMapObject } from '../synth/config-map';

/** The Grafana sidecar of kube-prometheus-stack loads every ConfigMap with this label. */
export const GRAFANA_DASHBOARD_LABEL = 'grafana_dashboard';

function labels(settings: MonitoringSettings): Record<string, string> {
  return { ...platformLabels(), ...settings.operatorSelectorLabels };
}

/**
 * A PodMonitor per target, in the monitoring namespace (where an operator's Prometheus looks by
 * default), selecting pods in the target's namespace. The job label is set to the target's job
 * name, as in standalone mode, so rules and dashboards read the same series either way.
 */
export function addPodMonitor(scope: Construct, settings: MonitoringSettings, target: ScrapeTarget): PodMonitor {
  return new PodMonitor(scope, `pod-monitor-${target.jobName}`, {
    metadata: { name: target.jobName, namespace: settings.namespace, labels: labels(settings) },
    spec: {
      namespaceSelector: { matchNames: [target.namespace] },
      selector: { matchLabels: { ...target.podSelector } },
      podMetricsEndpoints: [{
        port: target.portName,
        path: target.path ?? '/metrics',
        interval: target.interval ? promDuration(target.interval) : undefined,
        relabelings: [
          { action: PodMonitorSpecPodMetricsEndpointsRelabelingsAction.REPLACE, targetLabel: 'job', replacement: target.jobName },
          { action: PodMonitorSpecPodMetricsEndpointsRelabelingsAction.REPLACE, sourceLabels: ['__meta_kubernetes_pod_node_name'], targetLabel: 'node' },
        ],
      }],
    },
  });
}

export function addPrometheusRule(scope: Construct, settings: MonitoringSettings, group: RuleGroup): PrometheusRule {
  const rendered = toPrometheusRuleGroup(group);
  return new PrometheusRule(scope, `prometheus-rule-${group.name}`, {
    metadata: { name: group.name, namespace: settings.namespace, labels: labels(settings) },
    spec: {
      groups: [{
        name: rendered.name,
        interval: rendered.interval,
        rules: rendered.rules.map((rule) => ({ ...rule, expr: PrometheusRuleSpecGroupsRulesExpr.fromString(rule.expr) })),
      }],
    },
  });
}

export function addDashboardConfigMap(scope: Construct, settings: MonitoringSettings): ConfigMapObject {
  return new ConfigMapObject(scope, 'dashboard', {
    metadata: { name: 'video-analytics-dashboard', namespace: settings.namespace, labels: { ...labels(settings), [GRAFANA_DASHBOARD_LABEL]: '1' } },
    data: { [DASHBOARD_FILE]: platformDashboard() },
  });
}
