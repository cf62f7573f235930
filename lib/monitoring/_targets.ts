import { IConstruct } from 'constructs';
import { IRuleSource, RuleGroup } from './alert-rules';
import { IScrapeTarget, ScrapeTarget } from './scrape-target';
import { dns1123Label, ianaServiceName, labelValue, qualifiedName } from '../core/names';
import { wholeMillis } from './_format';
import { Problem } from './_rules';

/** Anything with a `toScrapeTarget()` method offers itself for scraping. */
export function isScrapeTarget(value: unknown): value is IScrapeTarget {
  return typeof value === 'object' && value !== null && typeof (value as Partial<IScrapeTarget>).toScrapeTarget === 'function';
}

/** Anything with a `toRuleGroups()` method owns rules. */
export function isRuleSource(value: unknown): value is IRuleSource {
  return typeof value === 'object' && value !== null && typeof (value as Partial<IRuleSource>).toRuleGroups === 'function';
}

/** Names a source in errors: its construct path, or how it reached the bundle. */
export function describeSource(source: unknown, fallback: string): string {
  const node = (source as Partial<IConstruct> | null)?.node;
  return node && typeof node.path === 'string' ? `'${node.path}'` : fallback;
}

/** A target and where it came from, to name both sides of a conflict. */
export interface Sourced<T> {
  readonly value: T;
  readonly source: string;
}

/** Everything Prometheus needs to know about a target, checked as the API server and Prometheus would. */
export function scrapeTargetProblems(target: ScrapeTarget): Problem[] {
  const where = `targets.${target.jobName}`;
  const problems: Problem[] = [];
  const jobProblem = dns1123Label(target.jobName ?? '');
  if (jobProblem) problems.push({ prop: 'jobName', value: target.jobName, rule: `a DNS-1123 label, because it also names a PodMonitor (${jobProblem})`, fix: "Use a name like 'ingest'." });
  const namespaceProblem = dns1123Label(target.namespace ?? '');
  if (namespaceProblem) problems.push({ prop: `${where}.namespace`, value: target.namespace, rule: `a namespace name (${namespaceProblem})`, fix: 'Use the namespace of the pods.' });
  const selector = Object.entries(target.podSelector ?? {});
  if (selector.length === 0) {
    problems.push({ prop: `${where}.podSelector`, value: '{}', rule: 'at least one label', fix: 'Select exactly the pods that serve the metrics.' });
  }
  for (const [key, value] of selector) {
    const problem = qualifiedName(key) ?? labelValue(value);
    if (problem) problems.push({ prop: `${where}.podSelector.${key}`, value, rule: `a valid label (${problem})`, fix: 'Use the labels of the pods.' });
  }
  const portProblem = ianaServiceName(target.portName ?? '');
  if (portProblem) problems.push({ prop: `${where}.portName`, value: target.portName, rule: `a container port name (${portProblem})`, fix: 'Name the metrics port in the pod spec and use that name.' });
  if (!Number.isInteger(target.port) || target.port < 1 || target.port > 65535) {
    problems.push({ prop: `${where}.port`, value: target.port, rule: 'an integer from 1 to 65535', fix: 'Give the number behind portName.' });
  }
  if (target.path !== undefined && !target.path.startsWith('/')) {
    problems.push({ prop: `${where}.path`, value: target.path, rule: "an absolute HTTP path starting with '/'", fix: "Use e.g. '/metrics'." });
  }
  if (target.interval !== undefined && !(wholeMillis(target.interval) >= 1000)) {
    problems.push({ prop: `${where}.interval`, value: target.interval.toMilliseconds({ integral: false }), rule: 'at least one second', fix: 'Scrape every 15 to 60 seconds.' });
  }
  return problems;
}

/** Two registrations that want the same job name or group name. */
export function duplicates<T>(items: ReadonlyArray<Sourced<T>>, keyOf: (item: T) => string): Array<[string, string, string]> {
  const seen = new Map<string, string>();
  const found: Array<[string, string, string]> = [];
  for (const item of items) {
    const key = keyOf(item.value);
    const first = seen.get(key);
    if (first === undefined) seen.set(key, item.source);
    else found.push([key, first, item.source]);
  }
  return found;
}

/** Sorted by name, so that the generated configuration does not depend on construct order. */
export function sortedTargets(targets: ReadonlyArray<Sourced<ScrapeTarget>>): ScrapeTarget[] {
  return targets.map((t) => t.value).sort((a, b) => compare(a.jobName, b.jobName));
}

export function sortedGroups(groups: ReadonlyArray<Sourced<RuleGroup>>): RuleGroup[] {
  return groups.map((g) => g.value).sort((a, b) => compare(a.name, b.name));
}

/** Code-unit order: locale-independent, so two machines always write the same files. */
export function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
