import { Duration } from 'cdk8s';

/** How urgently a person must act on an alert. */
export enum AlertSeverity {
  /** Wake someone up: a camera channel or a service is lost now. */
  CRITICAL = 'critical',
  /** Act within working hours: something degrades or will fail. */
  WARNING = 'warning',
  /** For dashboards and routing, never paged (e.g. Watchdog). */
  NONE = 'none',
}

/** A Prometheus alerting rule, as a component declares it. */
export interface AlertRule {
  /** PascalCase alert name, e.g. `CameraStreamDown`. */
  readonly alert: string;
  /** PromQL expression; the alert fires for every series it returns. */
  readonly expr: string;
  /**
   * How long the expression must hold before the alert fires.
   * @default - fires at once
   */
  readonly for?: Duration;
  /** Severity label. */
  readonly severity: AlertSeverity;
  /** One line for the notification title; may use `{{ $labels.x }}`. */
  readonly summary: string;
  /** What is happening and what it means for the video system; may use `{{ $labels.x }}` and `{{ $value }}`. */
  readonly description: string;
  /** Where the runbook for this alert lives. */
  readonly runbookUrl: string;
  /**
   * Extra labels on the alert.
   * @default - only `severity`
   */
  readonly labels?: { readonly [key: string]: string };
}

/** A Prometheus recording rule, named `level:metric:operations`. */
export interface RecordingRule {
  /** Name of the recorded series. */
  readonly record: string;
  /** PromQL expression. */
  readonly expr: string;
  /**
   * Labels added to the recorded series.
   * @default - none
   */
  readonly labels?: { readonly [key: string]: string };
}

/** A named group of rules, evaluated together. */
export interface RuleGroup {
  /** Group name, unique in the platform. */
  readonly name: string;
  /**
   * Alerting rules of the group.
   * @default - none
   */
  readonly alerts?: readonly AlertRule[];
  /**
   * Recording rules of the group, evaluated before the alerts that may use them.
   * @default - none
   */
  readonly recordings?: readonly RecordingRule[];
  /**
   * How often the group is evaluated.
   * @default - the Prometheus global evaluation interval
   */
  readonly interval?: Duration;
}

/** A component that owns alerting and recording rules: monitoring that watches it loads them. */
export interface IRuleSource {
  /** The rule groups of this component. */
  toRuleGroups(): RuleGroup[];
}

/** Whether `value` owns rules: `MonitoringBundle.watch` adds the rules of every target that does. */
export function isRuleSource(value: unknown): value is IRuleSource {
  return typeof value === 'object' && value !== null && typeof (value as Partial<IRuleSource>).toRuleGroups === 'function';
}

/** Base of every runbook link; one page per alert, named after the alert in lower case. */
export const RUNBOOK_BASE_URL = 'https://github.com/cdk8s-video-analytics/cdk8s-video-analytics/blob/main/docs/runbooks.md';

/** The runbook anchor of an alert. */
export function runbookUrl(alert: string): string {
  return `${RUNBOOK_BASE_URL}#${alert.toLowerCase()}`;
}
