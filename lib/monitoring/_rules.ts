import { AlertRule, RUNBOOK_BASE_URL, RecordingRule, RuleGroup } from './alert-rules';
import { dns1123Subdomain } from '../core/names';
import { promqlSyntaxError } from '../synth/validation/_promql-rules';
import { promDuration, wholeMillis } from './_format';
import { toConfigYaml } from '../synth/config-yaml';
import { spreadOf } from '../core/spread';

/** Something wrong with one field, in the parts of the library's one error style. */
export interface Problem {
  readonly prop: string;
  readonly value: unknown;
  readonly rule: string;
  readonly fix: string;
}

/** One rule as Prometheus reads it from a rule file (and as a PrometheusRule holds it). */
export interface PrometheusRuleEntry {
  readonly record?: string;
  readonly alert?: string;
  readonly expr: string;
  readonly for?: string;
  readonly labels?: Record<string, string>;
  readonly annotations?: Record<string, string>;
}

/** One group as Prometheus reads it from a rule file. */
export interface PrometheusRuleGroup {
  readonly name: string;
  readonly interval?: string;
  readonly rules: readonly PrometheusRuleEntry[];
}

const ALERT_NAME = /^[A-Z][A-Za-z0-9]*$/;
/** `level:metric:operations`, each part a valid metric-name fragment. */
const RECORD_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*:[a-zA-Z_][a-zA-Z0-9_]*:[a-zA-Z0-9_]+$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** Everything that would make Prometheus refuse the group, or that breaks the library's rule conventions. */
export function ruleGroupProblems(group: RuleGroup): Problem[] {
  const where = `groups.${group.name}`;
  const problems: Problem[] = [];
  const nameProblem = dns1123Subdomain(group.name ?? '');
  if (nameProblem) {
    problems.push({ prop: 'groups[].name', value: group.name, rule: `a DNS-1123 subdomain, because it names a rule file and a PrometheusRule (${nameProblem})`, fix: "Name the group like 'ingest-streams'." });
    return problems;
  }
  const alerts = group.alerts ?? [];
  const recordings = group.recordings ?? [];
  if (alerts.length + recordings.length === 0) {
    problems.push({ prop: where, value: '[]', rule: 'a group with at least one alert or recording rule', fix: 'Add rules or leave the group out.' });
  }
  if (group.interval !== undefined && !(wholeMillis(group.interval) >= 1000)) {
    problems.push({ prop: `${where}.interval`, value: group.interval.toMilliseconds({ integral: false }), rule: 'at least one second', fix: 'Leave it out to use the global evaluation interval.' });
  }
  recordings.forEach((recording, i) => problems.push(...recordingProblems(recording, `${where}.recordings[${i}]`)));
  alerts.forEach((alert, i) => problems.push(...alertProblems(alert, `${where}.alerts[${i}]`)));
  return problems;
}

function recordingProblems(recording: RecordingRule, where: string): Problem[] {
  const problems: Problem[] = [];
  if (!RECORD_NAME.test(recording.record ?? '')) {
    problems.push({ prop: `${where}.record`, value: recording.record, rule: 'named level:metric:operations', fix: "Name it like 'job_name:paths_inbound_bytes:rate5m'." });
  }
  problems.push(...expressionProblems(recording.expr, `${where}.expr`));
  problems.push(...labelProblems(recording.labels, `${where}.labels`));
  return problems;
}

function alertProblems(alert: AlertRule, where: string): Problem[] {
  const problems: Problem[] = [];
  if (!ALERT_NAME.test(alert.alert ?? '')) {
    problems.push({ prop: `${where}.alert`, value: alert.alert, rule: 'a PascalCase alert name', fix: "Name it like 'CameraStreamDown'." });
  }
  problems.push(...expressionProblems(alert.expr, `${where}.expr`));
  for (const field of ['summary', 'description', 'runbookUrl'] as const) {
    if (!alert[field] || alert[field].trim() === '') {
      problems.push({ prop: `${where}.${field}`, value: alert[field], rule: 'a non-empty text', fix: 'Every alert tells the person it reaches what happened and where the runbook is.' });
    }
  }
  if (alert.runbookUrl && !/^https?:\/\/\S+$/.test(alert.runbookUrl)) {
    problems.push({ prop: `${where}.runbookUrl`, value: alert.runbookUrl, rule: 'an http or https URL', fix: 'Use runbookUrl(alertName).' });
  }
  if (alert.for !== undefined && !(wholeMillis(alert.for) >= 1000)) {
    problems.push({ prop: `${where}.for`, value: alert.for.toMilliseconds({ integral: false }), rule: 'at least one second', fix: "Leave 'for' out to fire at once." });
  }
  problems.push(...labelProblems(alert.labels, `${where}.labels`));
  return problems;
}

function expressionProblems(expr: string, where: string): Problem[] {
  const problem = promqlSyntaxError(expr ?? '');
  return problem ? [{ prop: where, value: expr, rule: `valid PromQL (${problem})`, fix: 'Correct the expression; check it with promtool.' }] : [];
}

function labelProblems(labels: { readonly [key: string]: string } | undefined, where: string): Problem[] {
  return Object.keys(labels ?? {}).filter((key) => !LABEL_NAME.test(key) || key.startsWith('__')).map((key) => ({
    prop: `${where}.${key}`, value: key, rule: 'a Prometheus label name not starting with __', fix: 'Use letters, digits and underscores.',
  }));
}

/** The group with the runbook links of the library's page moved to `base`; other links are kept. */
export function withRunbookBase(group: RuleGroup, base: string): RuleGroup {
  if (!group.alerts) return group;
  const libraryPage = `${RUNBOOK_BASE_URL}#`;
  return {
    ...group,
    alerts: group.alerts.map((alert) => alert.runbookUrl.startsWith(libraryPage)
      ? { ...alert, runbookUrl: `${base}#${alert.runbookUrl.slice(libraryPage.length)}` }
      : alert),
  };
}

/** The group in Prometheus's rule file format: recording rules first, as later rules may read them. */
export function toPrometheusRuleGroup(group: RuleGroup): PrometheusRuleGroup {
  return {
    name: group.name,
    interval: group.interval ? promDuration(group.interval) : undefined,
    rules: [
      ...(group.recordings ?? []).map((recording): PrometheusRuleEntry => ({
        record: recording.record,
        expr: recording.expr,
        labels: recording.labels ? { ...recording.labels } : undefined,
      })),
      ...(group.alerts ?? []).map((alert): PrometheusRuleEntry => ({
        alert: alert.alert,
        expr: alert.expr,
        for: alert.for ? promDuration(alert.for) : undefined,
        labels: spreadOf(alert.labels, { severity: alert.severity }),
        annotations: { summary: alert.summary, description: alert.description, runbook_url: alert.runbookUrl },
      })),
    ],
  };
}

/** The ConfigMap key, and file name, of a group's rule file: Prometheus loads `*.rules.yaml`. */
export function ruleFileName(group: RuleGroup): string {
  return `${group.name}.rules.yaml`;
}

/** A rule file holding one group. */
export function ruleFile(group: RuleGroup): string {
  return toConfigYaml({ groups: [toPrometheusRuleGroup(group)] });
}

/** Spaces before each line of a file under `data:` in a ConfigMap's YAML: the key at two, its text at four. */
const DATA_TEXT_INDENT = 4;

/**
 * The bytes a file adds to the YAML of the ConfigMap that holds it, as cdk8s writes it: the key's
 * line, then the text as a block literal, each line indented by four. Exact for what
 * {@link toConfigYaml} writes (lines of printable ASCII, ending in one newline), which the
 * `yaml` package always writes as a block literal. The API server stores less (JSON, without
 * the indentation), so files whose bytes here add up to a limit take less than it in etcd.
 */
export function configMapEntryBytes(key: string, text: string): number {
  let lines = 0;
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) lines++;
  return Buffer.byteLength(`  ${key}: |\n`, 'utf8') + Buffer.byteLength(text, 'utf8') + DATA_TEXT_INDENT * lines;
}
