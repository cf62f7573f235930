import { IConstruct } from 'constructs';
import { ScrapeTarget } from './scrape-target';
import { dns1123Label, ianaServiceName, labelValue, qualifiedName } from '../core/names';
import { wholeMillis } from './_format';
import { Problem } from './_rules';

/** Names a source in errors: its construct path, or how it reached the bundle. */
export function describeSource(source: unknown, fallback: string): string {
  const node = (source as Partial<IConstruct> | null)?.node;
  return node && typeof node.path === 'string' ? `'${node.path}'` : fallback;
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

/** Code-unit order: locale-independent, so two machines always write the same files. */
export function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
